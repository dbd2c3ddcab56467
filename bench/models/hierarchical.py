"""A hierarchical classifier for CIFAR-100: superclass first, then the class within it.

The seed homework proposes that a CIFAR-100 network "first assign the image to
one of the 20 superclasses, then decide which class inside it".  This family
is that network: a shared convolutional trunk (the CNN family's blocks), a
*coarse* head with one softmax over the superclasses, and a *fine* head whose
input is the trunk's features concatenated with the coarse probabilities
(``condition: concat``), so the fine decision is conditioned on the coarse
one.  ``condition: none`` gives two independent heads (plain multi-task
learning), the control that tells whether the conditioning itself helps.

The model has two outputs named ``coarse`` and ``fine``, as the
``hierarchical`` task (:mod:`bench.tasks.hierarchical`) expects: it trains both
(on the dataset's ``coarse_label`` and ``label`` targets) and scores the run on ``fine``.

FLOPs (2 × MACs): the trunk as for the CNN family, then the coarse head's
dense layers and the fine head's, whose first layer takes ``features + coarse``
inputs when conditioned.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from bench.models import ACTIVATIONS
from bench.models.cnn import Block, Fraction, conv_trunk, dense_head
from bench.tasks.hierarchical import COARSE_OUTPUT, FINE_OUTPUT

#: The task every model of this family is trained for (:mod:`bench.tasks.hierarchical`).
TASK = "hierarchical"


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
