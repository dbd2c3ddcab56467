"""Model families: each built from its config, each with FLOPs equal to a hand count.

Every count below is multiply-adds (MACs) written out layer by layer; the
profiler's FLOPs must be exactly twice that (bench.flops counts convolutions
and matrix multiplies only: no bias, batch-norm, activation, pooling,
addition or resampling).  Models are tiny so the file runs in seconds, except
the one test of keras.applications at 224×224 against published counts.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from bench.config import RunConfig
from bench.errors import BenchError
from bench.suite import load_suite


def model_config(**model):
    return RunConfig.model_validate({"dataset": {"name": "digits"}, "model": model}).model


def build(config, shape, classes):
    from bench.models import build_model

    return build_model(config, shape, classes)


def flops(model) -> int:
    from bench.flops import count_flops

    value = count_flops(model)
    assert isinstance(value, int)
    return value


def layer_macs(model) -> int:
    """MACs from the layers' shapes (conv, depthwise, dense), nested models included.

    An independent count for architectures too large to write out by hand.
    """
    import keras

    total = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            _, h, w, c = layer.output.shape
            total += h * w * c * int(np.prod(layer.kernel_size))
        elif isinstance(layer, keras.layers.Conv2D):
            _, h, w, c = layer.output.shape
            c_in = layer.input.shape[-1]
            total += h * w * c * int(np.prod(layer.kernel_size)) * c_in // layer.groups
        elif isinstance(layer, keras.layers.Dense):
            total += layer.input.shape[-1] * layer.units
    return total


# --------------------------------------------------------------------------- network in network


@pytest.mark.slow
def test_nin_mlpconv_blocks_and_hand_count():
    import keras

    config = model_config(
        family="nin",
        blocks=[
            {"filters": 4, "kernel": 3, "mlp": [5], "pool": 2},
            {"filters": 6, "kernel": 3, "pool": 0},  # mlp: null → two 1×1 convs of 6
        ],
    )
    model = build(config, (8, 8, 3), 7)
    convs = [l for l in model.layers if isinstance(l, keras.layers.Conv2D)]
    assert [(l.filters, l.kernel_size) for l in convs] == [
        (4, (3, 3)), (5, (1, 1)), (6, (3, 3)), (6, (1, 1)), (6, (1, 1)), (7, (1, 1)),
    ]
    assert not any(isinstance(l, keras.layers.Dense) for l in model.layers)  # no dense head
    assert any(isinstance(l, keras.layers.GlobalAveragePooling2D) for l in model.layers)
    assert model.output_shape == (None, 7)
    macs = (
        8 * 8 * 4 * (9 * 3)      # 3×3 conv, 3 → 4 channels
        + 8 * 8 * 5 * 4          # 1×1 conv 4 → 5
        + 4 * 4 * 6 * (9 * 5)    # after pooling: 3×3 conv 5 → 6
        + 2 * (4 * 4 * 6 * 6)    # two 1×1 convs 6 → 6
        + 4 * 4 * 7 * 6          # class maps: 1×1 conv 6 → 7 classes
    )
    assert flops(model) == 2 * macs


# --------------------------------------------------------------------------- resnet


@pytest.mark.slow
def test_resnet_basic_blocks_projection_and_hand_count():
    import keras

    config = model_config(
        family="resnet",
        stem={"filters": 4, "kernel": 3, "stride": 1},
        stages=[{"filters": 4, "blocks": 1, "stride": 1}, {"filters": 8, "blocks": 1, "stride": 2}],
    )
    model = build(config, (8, 8, 3), 5)
    assert sum(isinstance(l, keras.layers.Add) for l in model.layers) == 2
    assert sum(isinstance(l, keras.layers.BatchNormalization) for l in model.layers) == 6
    assert all(
        l.momentum == 0.9 for l in model.layers if isinstance(l, keras.layers.BatchNormalization)
    )
    macs = (
        8 * 8 * 4 * 27              # stem
        + 2 * (8 * 8 * 4 * 36)      # stage 1: two 3×3 convs 4 → 4, identity shortcut
        + 4 * 4 * 8 * 36            # stage 2: 3×3 stride 2, 4 → 8
        + 4 * 4 * 8 * 72            # 3×3, 8 → 8
        + 4 * 4 * 8 * 4             # 1×1 stride-2 projection shortcut, 4 → 8
        + 8 * 5                     # dense after global average pooling
    )
    assert flops(model) == 2 * macs


@pytest.mark.slow
def test_resnet_bottleneck_hand_count():
    config = model_config(
        family="resnet",
        stem={"filters": 4},
        stages=[{"filters": 2, "blocks": 1, "stride": 2}],
        block="bottleneck",
        batch_norm=False,
    )
    model = build(config, (8, 8, 3), 3)
    assert model.layers[-2].output.shape[-1] == 8  # 4 × the bottleneck width
    macs = (
        8 * 8 * 4 * 27          # stem
        + 4 * 4 * 8 * 4         # projection: 1×1 stride 2, 4 → 8
        + 8 * 8 * 2 * 4         # 1×1 reduce 4 → 2 at 8×8
        + 4 * 4 * 2 * 18        # 3×3 stride 2, 2 → 2
        + 4 * 4 * 8 * 2         # 1×1 expand 2 → 8
        + 8 * 3                 # dense
    )
    assert flops(model) == 2 * macs


# --------------------------------------------------------------------------- scale-permuted


@pytest.mark.slow
def test_scale_permuted_goes_down_and_up_and_hand_count():
    import keras

    config = model_config(
        family="scale_permuted",
        stem={"filters": 4},
        level_filters=[4, 8],
        blocks=[
            {"level": 0},                                   # from the stem
            {"level": 1, "output": True},                   # down
            {"level": 0, "inputs": [0, 1], "output": True}, # up, cross-scale
        ],
    )
    model = build(config, (8, 8, 3), 3)
    adds = [l for l in model.layers if isinstance(l, keras.layers.Add)]
    sizes = [l.output.shape[1] for l in adds]
    assert sizes == [8, 4, 8, 8]  # residual adds at 8, 4, then the merge and residual at 8
    assert any(isinstance(l, keras.layers.Resizing) for l in model.layers)  # upsampling
    assert any(isinstance(l, keras.layers.Average) for l in model.layers)  # two outputs merged
    macs = (
        8 * 8 * 4 * 27              # stem, 3 → 4
        + 2 * (8 * 8 * 4 * 36)      # block 0 at level 0, width 4
        + 4 * 4 * 8 * 4             # block 1's input: pooled to 4×4, then 1×1 conv 4 → 8
        + 2 * (4 * 4 * 8 * 72)      # block 1 at level 1, width 8
        + 4 * 4 * 4 * 8             # block 2's input from block 1: 1×1 conv 8 → 4 at 4×4, then up
        + 2 * (8 * 8 * 4 * 36)      # block 2 at level 0, width 4
        + 8 * 8 * 8 * 4             # head: block 2 brought to 8 channels (block 1 already is)
        + 8 * 3                     # dense
    )
    assert flops(model) == 2 * macs


@pytest.mark.slow
def test_scale_permuted_odd_sizes_resample_exactly():
    config = model_config(
        family="scale_permuted",
        stem={"filters": 2},
        level_filters=[2, 3, 4],
        blocks=[
            {"level": 2},
            {"level": 1, "output": True},
            {"level": 0, "inputs": [0, 1], "output": True},
        ],
    )
    model = build(config, (7, 7, 1), 2)  # levels 7×7, 4×4, 2×2: 2 → 7 is not a factor
    assert model.output_shape == (None, 2)
    assert layer_macs(model) * 2 == flops(model)


@pytest.mark.parametrize(
    "blocks, where",
    [
        ([{"level": 0, "inputs": [0]}, {"level": 1, "output": True}], "model.blocks[0].inputs"),
        ([{"level": 0}, {"level": 1, "inputs": [1], "output": True}], "model.blocks[1].inputs"),
        ([{"level": 0}, {"level": 3, "output": True}], "model.blocks[1].level"),
        ([{"level": 0, "output": True}, {"level": 1, "inputs": [0]},
          {"level": 1, "inputs": [0], "output": True}], "model.blocks[1]"),
        ([{"level": 0}, {"level": 1}], "model.blocks"),
    ],
)
def test_scale_permuted_wiring_errors_name_the_block(write_suite, blocks, where):
    import yaml

    text = textwrap.dedent(
        """\
        name: wiring
        dataset: {name: digits}
        model:
          family: scale_permuted
          level_filters: [4, 8]
          blocks:
        """
    ) + textwrap.indent(yaml.safe_dump(blocks, default_flow_style=None), "    ")
    with pytest.raises(BenchError) as info:
        load_suite(write_suite(text))
    message = str(info.value)
    assert f": {where}: " in message and "\n" not in message


# --------------------------------------------------------------------------- hierarchical


@pytest.mark.slow
@pytest.mark.parametrize("condition, fine_inputs", [("concat", 8 + 2), ("none", 8)])
def test_hierarchical_two_named_outputs_and_hand_count(condition, fine_inputs):
    from bench.tasks import hierarchical

    config = model_config(
        family="hierarchical",
        blocks=[{"filters": 2, "kernel": 3, "pool": 2}],
        coarse_classes=2, coarse_dense=[3], fine_dense=[4], condition=condition,
    )
    model = build(config, (4, 4, 1), 6)
    assert model.output_names == ["coarse", "fine"]
    assert hierarchical.has_coarse_head(model) and hierarchical.coarse_width(model) == 2
    assert [tuple(o.shape) for o in model.outputs] == [(None, 2), (None, 6)]
    macs = (
        4 * 4 * 2 * 9            # trunk conv → 2×2×2 = 8 features after pooling
        + 8 * 3 + 3 * 2          # coarse head: dense 3, coarse output 2
        + fine_inputs * 4        # fine head's dense: features (+ coarse probabilities)
        + 4 * 6                  # fine output
    )
    assert flops(model) == 2 * macs
    outputs = model.predict(np.zeros((3, 4, 4, 1), np.float32), verbose=0)
    coarse, fine = hierarchical.split_outputs(model, outputs)
    assert coarse.shape == (3, 2) and fine.shape == (3, 6)
    assert np.allclose(fine.sum(axis=1), 1.0, atol=1e-5)
    assert hierarchical.fine_model(model).output_shape == (None, 6)


def test_fine_to_coarse_map_from_training_labels():
    from bench.tasks.classification import fine_to_coarse

    fine = np.array([0, 1, 2, 3, 0, 1, 3])
    coarse = np.array([1, 0, 1, 2, 1, 0, 2])
    assert fine_to_coarse(fine, coarse, 5).tolist() == [1, 0, 1, 2, -1]  # class 4 unseen
    assert fine_to_coarse(np.array([], int), np.array([], int), 2).tolist() == [-1, -1]


def test_hierarchical_history_renamed_like_one_output_runs():
    from bench.tasks.hierarchical import fine_history

    keras_names = ["loss", "fine_loss", "coarse_loss", "fine_accuracy", "coarse_accuracy",
                   "fine_top5_accuracy", "val_loss", "val_fine_loss", "val_fine_accuracy"]
    renamed = fine_history({name: [float(i)] for i, name in enumerate(keras_names)})
    assert renamed["loss"] == [1.0] and renamed["total_loss"] == [0.0]
    assert renamed["accuracy"] == [3.0] and renamed["coarse_accuracy"] == [4.0]
    assert renamed["val_loss"] == [7.0] and renamed["val_total_loss"] == [6.0]
    assert renamed["val_accuracy"] == [8.0] and renamed["top5_accuracy"] == [5.0]


# --------------------------------------------------------------------------- ensemble


@pytest.mark.slow
def test_ensemble_sums_members_flops_and_params():
    import keras

    cnn = {"family": "cnn", "blocks": [{"filters": 2, "kernel": 3, "pool": 2}]}
    nin = {"family": "nin", "blocks": [{"filters": 2, "kernel": 1, "mlp": [], "pool": 0}]}
    config = model_config(family="ensemble", members=[cnn, nin], repeat=2)
    model = build(config, (4, 4, 1), 3)
    members = [l for l in model.layers if isinstance(l, keras.Model)]
    assert [m.name.split("_")[:2] for m in members] == [["member", str(i)] for i in range(4)]
    cnn_macs = 4 * 4 * 2 * 9 + 8 * 3          # conv, then dense on 2×2×2
    nin_macs = 4 * 4 * 2 * 1 + 4 * 4 * 3 * 2  # 1×1 conv 1 → 2, class maps 2 → 3
    assert flops(model) == 2 * 2 * (cnn_macs + nin_macs)
    assert model.count_params() == sum(m.count_params() for m in members)
    single = build(model_config(**cnn), (4, 4, 1), 3)
    assert members[0].count_params() == single.count_params()
    x = np.random.default_rng(0).random((5, 4, 4, 1), dtype=np.float32)
    probabilities = np.asarray(model(x))
    averaged = np.mean([np.asarray(m(x)) for m in members], axis=0)  # the mean of softmaxes
    assert probabilities.shape == (5, 3) and np.allclose(probabilities, averaged, atol=1e-6)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_ensemble_of_ensembles_validates_recursively():
    inner = {"family": "ensemble", "repeat": 2,
             "members": [{"family": "resnet", "stages": [{"filters": 2, "blocks": 1}]}]}
    config = model_config(family="ensemble", members=[inner, {"family": "keras_app", "name": "MobileNetV2"}])
    assert config.members[0].members[0].family == "resnet"
    dumped = config.model_dump(mode="json")
    assert model_config(**dumped) == config  # suites re-validate dumps after every override


@pytest.mark.parametrize(
    "members, where, says",
    [
        ([{"family": "cnn", "blocks": [{"filters": 2, "bogus": 1}]}, {"family": "cnn", "blocks": [{"filters": 2}]}],
         "model.members[0].blocks[0].bogus", "unknown key"),
        ([{"family": "ensemble", "members": [{"family": "cnn", "blocks": [{"filters": "two"}]}], "repeat": 2}],
         "model.members[0].members[0].blocks[0].filters", "valid integer"),
        ([{"family": "nope"}], "model.members[0]", "unknown model family 'nope'"),
        ([{"family": "hierarchical", "blocks": [{"filters": 2}]}, {"family": "cnn", "blocks": [{"filters": 2}]}],
         "model.members[0].family", "hierarchical has two"),
        ([{"family": "cnn", "blocks": [{"filters": 2}], "output_activation": "sigmoid"},
          {"family": "cnn", "blocks": [{"filters": 2}]}],
         "model.members[0].output_activation", "allowed: softmax"),
        ([{"family": "cnn", "blocks": [{"filters": 2}]}], "model", "at least 2 members"),
    ],
)
def test_ensemble_member_errors_are_one_line_with_the_members_key_path(write_suite, members, where, says):
    import yaml

    text = "name: ens\ndataset: {name: digits}\nmodel:\n  family: ensemble\n  members:\n" + textwrap.indent(
        yaml.safe_dump(members, default_flow_style=None), "    "
    )
    with pytest.raises(BenchError) as info:
        load_suite(write_suite(text))
    message = str(info.value)
    assert f": {where}: " in message, message
    assert says in message and "\n" not in message
    line = int(message.split(":")[1])
    assert line >= 3  # points into the model section, at the member where it can


# --------------------------------------------------------------------------- keras.applications


@pytest.mark.slow
def test_keras_app_names_exist_and_validate_without_tensorflow():
    import keras

    from bench.models.keras_app import APPLICATIONS

    missing = [name for name in APPLICATIONS if not callable(getattr(keras.applications, name, None))]
    assert not missing
    code = (
        "import sys\n"
        "from bench.config import RunConfig\n"
        "RunConfig.model_validate({'dataset': {'name': 'digits'}, "
        "'model': {'family': 'keras_app', 'name': 'ResNet50'}})\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "model, says",
    [
        ({"name": "ResNet51"}, "'ConvNeXtBase', "),
        ({"name": "ResNet50", "weights": "imagenet"}, "never downloads"),
        ({"name": "ResNet50", "alpha": 0.5}, "alpha (width multiplier) applies to MobileNet"),
        ({"name": "ResNet50", "dropout": 0.2}, "set include_top: false"),
    ],
)
def test_keras_app_config_errors(model, says):
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as info:
        model_config(family="keras_app", **model)
    assert says in str(info.value)


@pytest.mark.slow
def test_keras_app_small_instance_counts_like_its_layers():
    config = model_config(family="keras_app", name="MobileNetV2", alpha=0.35)
    model = build(config, (32, 32, 3), 10)
    assert model.output_shape == (None, 10)
    assert flops(model) == 2 * layer_macs(model)
    headless = build(
        model_config(family="keras_app", name="MobileNetV2", alpha=0.35, include_top=False, dropout=0.2),
        (32, 32, 3), 4,
    )
    assert headless.output_shape == (None, 4) and flops(headless) == 2 * layer_macs(headless)


@pytest.mark.slow
def test_keras_app_flops_match_published_multiply_adds():
    """ResNet50 3.86 G (Keras' layout), MobileNetV2 300 M, VGG16 15.5 G MACs at 224×224, ±5%.

    VGG16 is built without its dense top: freezing its 124 M dense weights into
    the profiled graph takes ~9 GB and a minute, and those layers are 0.8% of
    its multiply-adds (bench's own head adds a 512 → 1000 dense layer).
    """
    published = {"ResNet50": 3.86e9, "MobileNetV2": 300e6, "VGG16": 15.5e9}
    for name, macs in published.items():
        options = {"include_top": False} if name == "VGG16" else {}
        model = build(model_config(family="keras_app", name=name, **options), (224, 224, 3), 1000)
        measured = flops(model) / 2
        assert abs(measured - macs) / macs < 0.05, (name, measured)
        del model


# --------------------------------------------------------------------------- registry


def test_every_family_registered_and_listed_in_errors(write_suite):
    from bench.models import FAMILY_MODULES

    assert set(FAMILY_MODULES) >= {"cnn", "python", "nin", "hierarchical", "ensemble",
                                   "resnet", "scale_permuted", "keras_app"}
    path = write_suite("name: x\ndataset: {name: digits}\nmodel: {family: transformer}\n")
    with pytest.raises(BenchError, match=r"suite.yaml:3: model: unknown model family 'transformer'; "
                                         r"allowed: .*scale_permuted.*keras_app"):
        load_suite(path)
