"""An ensemble: several models of any families on one input, their softmax outputs averaged.

The seed homework expects ImageNet to need "an ensemble of networks".  Here
``members`` is a list of model configurations of any registered family
(ensembles included), each built ``repeat`` times with its own random
initialisation; the ensemble's prediction is the mean of the members'
probabilities.  The whole ensemble is one Keras model trained end to end on
the loss of that mean (one run, one optimiser): cheaper to orchestrate than
training members separately, at the price that members are not independent
the way a classic bagged ensemble's are — the report compares it with a
single member, which is the question that matters.

FLOPs and parameters are the sums over members (the averaging is not counted).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bench.models.checks import error_at, strip_union_tags

if TYPE_CHECKING:
    ModelConfig = Any


class Config(BaseModel):
    """``members`` (any families), each built ``repeat`` times; outputs averaged."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    family: Literal["ensemble"] = "ensemble"
    members: list[ModelConfig] = Field(min_length=1)
    repeat: Annotated[int, Field(ge=1, le=64)] = 1

    @field_validator("members", mode="wrap")
    @classmethod
    def _members(cls, value: Any, handler: Any) -> list[Any]:
        """Validate members with key paths as written (``members[0].blocks``) and one output each."""
        from bench.models import FAMILY_MODULES

        try:
            members = handler(value)
        except ValidationError as exc:
            raise strip_union_tags(exc, set(FAMILY_MODULES)) from None
        for i, member in enumerate(members):
            if member.family == "hierarchical":
                raise error_at(
                    (i, "family"), member.family,
                    "ensemble members need one output to average; hierarchical has two",
                )
            activation = getattr(member, "output_activation", "softmax")
            if activation != "softmax":
                raise error_at(
                    (i, "output_activation"), activation,
                    "ensemble members average softmax probabilities; allowed: softmax",
                )
        return members

    @model_validator(mode="after")
    def _two_or_more(self) -> Config:
        if len(self.members) * self.repeat < 2:
            raise ValueError("an ensemble needs at least 2 members: add members or set repeat: 2 or more")
        return self

    def expanded(self) -> list[Any]:
        """Every member to build, ``repeat`` included, in order."""
        return [member for member in self.members for _ in range(self.repeat)]


def build(config: Config, input_shape: tuple[int, ...], num_classes: int) -> Any:
    """Build each member on one shared input and average their outputs."""
    import keras
    from keras import layers

    from bench.models import build_model

    inputs = keras.Input(shape=input_shape)
    outputs = []
    for i, member_config in enumerate(config.expanded()):
        member = build_model(member_config, input_shape, num_classes)
        if len(member.outputs) != 1:
            raise TypeError(
                f"ensemble member {i} ({member_config.family}) must have one output. "
                f"Received: {len(member.outputs)}"
            )
        # Re-wrapped under a unique name: members of one family would otherwise clash.
        single_input = member.inputs[0] if len(member.inputs) == 1 else member.inputs
        named = keras.Model(single_input, member.outputs[0], name=f"member_{i}_{member.name}")
        outputs.append(named(inputs))
    return keras.Model(inputs, layers.Average(name="mean_probabilities")(outputs), name="ensemble")


def _resolve_members() -> None:
    """Bind ``ModelConfig`` (the union of every family, this one included) and finish the class.

    Called at import, after ``Config`` exists: the registry imports this module
    while collecting the union, and finds ``Config`` already defined.
    """
    from bench.models import model_config_union

    globals()["ModelConfig"] = Annotated[
        Union[model_config_union()],  # type: ignore[valid-type]
        Field(discriminator="family"),
    ]
    Config.model_rebuild()


_resolve_members()
