"""A user's own builder: ``model: {family: python, builder: "module:function"}``.

The function is called as ``function(input_shape, num_classes, **params)`` and
must return a ``keras.Model``.  ``task`` names the task the model is trained for
(:mod:`bench.tasks`; default ``classification``): a builder returning outputs
``coarse`` and ``fine`` says ``task: hierarchical``.  A suite naming one runs that
code when it trains (suites are code: run only suites you trust); validating a
suite only looks the module up and reads its source, it never imports it.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bench.errors import BenchError


class Config(BaseModel):
    """Where the builder lives and the keyword arguments it gets."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    family: Literal["python"] = "python"
    builder: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    params: dict[str, Any] = {}
    task: Optional[str] = None  # None: classification; left out of the run key (see RunConfig)

    @field_validator("task")
    @classmethod
    def _known_task(cls, task: Optional[str]) -> Optional[str]:
        from bench import tasks

        if task is not None and task not in tasks.names():
            raise ValueError(f"unknown task {task!r}; allowed: {', '.join(tasks.names())}")
        return task

    @field_validator("builder")
    @classmethod
    def _importable(cls, spec: str) -> str:
        from bench.datachecks import check_builder

        check_builder(spec)  # found and defined, without running the module
        return spec


def resolve_builder(spec: str) -> Callable[..., Any]:
    """Import ``module:function``; a clear error when either is missing."""
    module_name, _, function_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import failure is the user's to fix
        raise ValueError(
            f"cannot import module {module_name!r} for builder {spec!r}: {exc}; "
            "make it importable (install it or add its folder to PYTHONPATH)"
        ) from None
    function = getattr(module, function_name, None)
    if not callable(function):
        raise ValueError(f"module {module_name!r} has no function {function_name!r}")
    return function


def build(config: Config, input_shape: tuple[int, ...], num_classes: int) -> Any:
    """Call the user's builder."""
    try:
        function = resolve_builder(config.builder)
    except ValueError as exc:
        raise BenchError(str(exc)) from None
    return function(input_shape, num_classes, **config.params)
