"""A hierarchical classifier for CIFAR-100: superclass first, then the class within it.

The seed homework proposes that a CIFAR-100 network "first assign the image to
one of the 20 superclasses, then decide which class inside it".  This family
is that network: a shared convolutional trunk (the CNN family's blocks), a
*coarse* head with one softmax over the superclasses, and a *fine* head whose
input is the trunk's features concatenated with the coarse probabilities
(``condition: concat``), so the fine decision is conditioned on the coarse
one.  ``condition: none`` gives two independent heads (plain multi-task
learning), the control that tells whether the conditioning itself helps.

The model has two outputs named ``coarse`` and ``fine``: the worker trains
both (sparse cross-entropy each, on ``Dataset.coarse_*`` and the fine labels)
and scores the run on ``fine``.  The helpers below are what the worker uses,
kept here so that the one place that trains stays small.

FLOPs (2 × MACs): the trunk as for the CNN family, then the coarse head's
dense layers and the fine head's, whose first layer takes ``features + coarse``
inputs when conditioned.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from bench.models import ACTIVATIONS
from bench.models.cnn import Block, Fraction, conv_trunk, dense_head

COARSE_OUTPUT = "coarse"
FINE_OUTPUT = "fine"


class Config(BaseModel):
    """Shared ``blocks`` → coarse head (``coarse_classes``) and fine head (conditioned on it)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    family: Literal["hierarchical"] = "hierarchical"
    blocks: list[Block] = Field(min_length=1)
    global_pool: Optional[Literal["avg", "max"]] = None
    coarse_classes: Annotated[int, Field(ge=2)] = 20
    coarse_dense: list[Annotated[int, Field(ge=1)]] = [256]
    fine_dense: list[Annotated[int, Field(ge=1)]] = [512]
    dense_dropout: Fraction = 0.0
    activation: Literal[ACTIVATIONS] = "relu"  # type: ignore[valid-type]
    condition: Literal["concat", "none"] = "concat"


def build(config: Config, input_shape: tuple[int, ...], num_classes: int) -> Any:
    """Build the two-output model: outputs ``[coarse, fine]``, both softmax."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape)
    features = conv_trunk(inputs, config.blocks, config.activation, config.global_pool)
    c = dense_head(features, config.coarse_dense, config.dense_dropout, config.activation)
    coarse = layers.Dense(config.coarse_classes, activation="softmax", name=COARSE_OUTPUT)(c)
    f = layers.Concatenate()([features, coarse]) if config.condition == "concat" else features
    f = dense_head(f, config.fine_dense, config.dense_dropout, config.activation)
    fine = layers.Dense(num_classes, activation="softmax", name=FINE_OUTPUT)(f)
    return keras.Model(inputs, [coarse, fine], name="hierarchical")


# --------------------------------------------------------------------------- for the worker


def has_coarse_head(model: Any) -> bool:
    """True for a model with exactly two outputs named ``coarse`` and ``fine`` (any family)."""
    names = list(getattr(model, "output_names", None) or [])
    return sorted(names) == [COARSE_OUTPUT, FINE_OUTPUT]


def coarse_width(model: Any) -> int:
    """Number of classes of the ``coarse`` output."""
    index = list(model.output_names).index(COARSE_OUTPUT)
    return int(model.outputs[index].shape[-1])


def split_outputs(model: Any, outputs: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(coarse, fine)`` probabilities from what ``predict`` returned (a list or a dict)."""
    if isinstance(outputs, dict):
        return np.asarray(outputs[COARSE_OUTPUT]), np.asarray(outputs[FINE_OUTPUT])
    names = list(model.output_names)
    return (
        np.asarray(outputs[names.index(COARSE_OUTPUT)]),
        np.asarray(outputs[names.index(FINE_OUTPUT)]),
    )


def fine_model(model: Any) -> Any:
    """The sub-model that computes the ``fine`` output only (for latency: one tensor out)."""
    import keras

    index = list(model.output_names).index(FINE_OUTPUT)
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, model.outputs[index])


def two_targets(dataset: Any) -> Any:
    """A ``tf.data`` pipeline of ``(x, [[coarse, fine], ...])`` → ``(x, {coarse, fine})``.

    Coarse and fine labels travel as one (batch, 2) array through the worker's
    usual pipeline, so they are shuffled together; they are split per batch.
    """
    return dataset.map(lambda x, y: (x, {COARSE_OUTPUT: y[:, 0], FINE_OUTPUT: y[:, 1]}))


def fine_history(history: dict[str, list[float]]) -> dict[str, list[float]]:
    """Keras' two-output history renamed so learning curves compare with one-output runs.

    ``fine_accuracy`` → ``accuracy``, ``fine_loss`` → ``loss`` (and their ``val_``
    forms); the summed loss of both heads becomes ``total_loss``; ``coarse_*`` stay.
    """
    renamed: dict[str, list[float]] = {}
    for name, values in history.items():
        split = "val_" if name.startswith("val_") else ""
        rest = name[len(split) :]
        if rest == "loss":
            rest = "total_loss"
        elif rest.startswith(FINE_OUTPUT + "_"):
            rest = rest[len(FINE_OUTPUT) + 1 :]
        renamed[split + rest] = values
    return renamed


def fine_to_coarse(fine: np.ndarray, coarse: np.ndarray, num_fine: int) -> np.ndarray:
    """Each fine class's superclass, from training labels: the most frequent coarse label.

    CIFAR-100 maps every class to exactly one superclass, so the mode is that
    superclass; a class absent from ``fine`` maps to -1 (never correct).
    """
    fine = np.asarray(fine, dtype=np.int64).reshape(-1)
    coarse = np.asarray(coarse, dtype=np.int64).reshape(-1)
    mapping = np.full(num_fine, -1, dtype=np.int64)
    if len(fine) == 0:
        return mapping
    counts = np.zeros((num_fine, int(coarse.max()) + 1), dtype=np.int64)
    np.add.at(counts, (fine, coarse), 1)
    seen = counts.sum(axis=1) > 0
    mapping[seen] = counts[seen].argmax(axis=1)
    return mapping
