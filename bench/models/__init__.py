"""Model families: a registry from a family name to its config class and builder.

A family is one module in this package exposing ``Config`` (a pydantic class
whose ``family`` field is a ``Literal`` of the family's name; no TensorFlow at
import time) and ``build(config, input_shape, num_classes) -> keras.Model``
(imports Keras inside, so suites validate without TensorFlow), and may declare
``TASK``, the task its models are trained for (:mod:`bench.tasks`; default
``classification``).  Register new families in ``FAMILY_MODULES``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Mapping, Sequence

FAMILY_MODULES: dict[str, str] = {
    "cnn": "bench.models.cnn",
    "python": "bench.models.python_builder",
    "nin": "bench.models.nin",
    "resnet": "bench.models.resnet",
    "scale_permuted": "bench.models.scale_permuted",
    "hierarchical": "bench.models.hierarchical",
    "keras_app": "bench.models.keras_app",
    "ensemble": "bench.models.ensemble",
    "ssd": "bench.models.ssd",
}

ACTIVATIONS = (
    "relu",
    "tanh",
    "sigmoid",
    "elu",
    "selu",
    "gelu",
    "swish",
    "softplus",
    "leaky_relu",
    "relu6",
    "hard_sigmoid",
    "linear",
)
#: The task of a family that declares none.
DEFAULT_TASK = "classification"

OUTPUT_ACTIVATIONS = ("softmax", "sigmoid", "linear", "tanh", "relu", "softplus")


def family_module(family: str) -> ModuleType:
    """The module implementing ``family`` (its Config and build)."""
    return importlib.import_module(FAMILY_MODULES[family])


def model_config_union() -> tuple[type, ...]:
    """All registered families' config classes, for the discriminated union."""
    return tuple(family_module(name).Config for name in FAMILY_MODULES)


def task_name(config: Any) -> str:
    """The task a model config is trained for: its own ``task`` field where the family has
    one (``python``), else the family's ``TASK``, else ``classification``.

    Takes a validated config or its JSON form (a stored run's ``config["model"]``).
    """
    get = config.get if isinstance(config, Mapping) else lambda name: getattr(config, name, None)
    chosen = get("task")
    if chosen:
        return str(chosen)
    family = get("family")
    module = family_module(family) if family in FAMILY_MODULES else None
    return str(getattr(module, "TASK", DEFAULT_TASK))


def build_model(config: Any, input_shape: Sequence[int], num_classes: int) -> Any:
    """Build an uncompiled ``keras.Model`` for a validated model config.

    Raises:
        TypeError: if a builder returns something other than a keras.Model.
    """
    import keras

    model = family_module(config.family).build(config, tuple(input_shape), num_classes)
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"model family {config.family!r} must build a keras.Model. "
            f"Received: {type(model).__name__}"
        )
    return model
