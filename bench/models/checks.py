"""Validation errors located at the exact item, for checks that span several fields.

A pydantic ``model_validator`` can only blame the whole model, so the suite
loader would point at ``model:`` instead of, say, ``model.blocks[3].inputs``.
Raising a :class:`pydantic_core.ValidationError` from a field validator with
a location keeps the one-line message precise (file:line:key path).
"""

from __future__ import annotations

from typing import Any, Sequence

from pydantic_core import InitErrorDetails, ValidationError


def error_at(loc: Sequence[str | int], value: Any, message: str) -> ValidationError:
    """A ``value_error`` at ``loc`` (relative to the validated field) saying ``message``."""
    detail: InitErrorDetails = {
        "type": "value_error",
        "loc": tuple(loc),
        "input": value,
        "ctx": {"error": ValueError(message)},
    }
    return ValidationError.from_exception_data("model", [detail])


def strip_union_tags(exc: ValidationError, tags: set[str]) -> ValidationError:
    """The same errors without the union tags pydantic inserts after list indices.

    ``members.0.cnn.blocks`` becomes ``members.0.blocks``: the key path a user
    writes (and the suite loader finds a line for).
    """
    details: list[InitErrorDetails] = []
    for error in exc.errors():
        loc = list(error["loc"])
        out: list[str | int] = []
        for i, part in enumerate(loc):
            if i > 0 and isinstance(loc[i - 1], int) and part in tags:
                continue
            out.append(part)
        detail: InitErrorDetails = {"type": error["type"], "loc": tuple(out), "input": error["input"]}
        if "ctx" in error:
            detail["ctx"] = error["ctx"]
        details.append(detail)
    return ValidationError.from_exception_data(exc.title, details)
