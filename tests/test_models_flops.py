"""The CNN family built from config, and FLOPs equal to the hand-computed count."""

from __future__ import annotations

import pytest

from bench.config import RunConfig
from bench.errors import BenchError


def cnn_config(**model):
    model.setdefault("family", "cnn")
    return RunConfig.model_validate({"dataset": {"name": "digits"}, "model": model}).model


@pytest.mark.slow
def test_cnn_follows_its_config():
    import keras

    from bench.models import build_model

    config = cnn_config(
        blocks=[
            {"filters": 6, "kernel": [3, 2], "convs": 2, "batch_norm": True, "pool": 2, "pool_type": "avg", "dropout": 0.2},
            {"filters": 5, "kernel": 1, "stride": 2, "padding": "valid", "activation": "tanh", "pool": 0},
        ],
        dense=[7, 3], dense_dropout=0.5, activation="elu", output_activation="sigmoid",
    )
    model = build_model(config, (12, 12, 3), 4)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("Conv2D") == 3
    assert kinds.count("BatchNormalization") == 2
    assert kinds.count("AveragePooling2D") == 1 and "MaxPooling2D" not in kinds
    assert kinds.count("Dropout") == 3
    convs = [l for l in model.layers if isinstance(l, keras.layers.Conv2D)]
    assert convs[0].kernel_size == (3, 2) and convs[2].strides == (2, 2)
    assert [l.units for l in model.layers if isinstance(l, keras.layers.Dense)] == [7, 3, 4]
    assert model.layers[-1].activation.__name__ == "sigmoid"
    assert model.output_shape == (None, 4)
    # 12×12 → avg-pool → 6×6 → stride-2 valid 1×1 conv → 3×3×5 = 45 features
    assert [l for l in model.layers if type(l).__name__ == "Flatten"][0].output.shape[-1] == 45


@pytest.mark.slow
def test_flops_equal_hand_count_for_a_small_cnn():
    from bench.flops import count_flops, count_macs
    from bench.models import build_model

    config = cnn_config(
        blocks=[
            {"filters": 4, "kernel": 3, "convs": 1, "pool": 2},
            {"filters": 8, "kernel": 3, "convs": 2, "pool": 2},
        ],
        dense=[16],
    )
    model = build_model(config, (8, 8, 1), 10)
    macs = (
        8 * 8 * 4 * (3 * 3 * 1)      # conv 1 at 8×8 ('same')
        + 4 * 4 * 8 * (3 * 3 * 4)   # conv 2 at 4×4 after pooling
        + 4 * 4 * 8 * (3 * 3 * 8)   # conv 3
        + (2 * 2 * 8) * 16          # dense after pooling to 2×2×8
        + 16 * 10                   # output layer
    )
    assert count_flops(model) == 2 * macs
    assert count_macs(model) == macs


@pytest.mark.slow
def test_python_builder_family(tmp_path, monkeypatch):
    (tmp_path / "my_models.py").write_text(
        "import keras\n"
        "def tiny(input_shape, num_classes, width=4):\n"
        "    inputs = keras.Input(input_shape)\n"
        "    x = keras.layers.Flatten()(inputs)\n"
        "    x = keras.layers.Dense(width)(x)\n"
        "    return keras.Model(inputs, keras.layers.Dense(num_classes, activation='softmax')(x))\n"
        "def not_a_model(input_shape, num_classes):\n"
        "    return 42\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    from bench.flops import count_flops
    from bench.models import build_model

    model = build_model(cnn_config(family="python", builder="my_models:tiny", params={"width": 5}), (2, 2, 1), 3)
    assert count_flops(model) == 2 * (4 * 5 + 5 * 3)
    with pytest.raises(TypeError, match="must build a keras.Model. Received: int"):
        build_model(cnn_config(family="python", builder="my_models:not_a_model"), (2, 2, 1), 3)
    with pytest.raises(Exception, match="cannot import module 'absent_module_xyz'"):
        cnn_config(family="python", builder="absent_module_xyz:f")
    with pytest.raises(Exception, match="has no function 'nothing'"):
        cnn_config(family="python", builder="my_models:nothing")
    assert BenchError  # the CLI turns the ValueError into a one-line BenchError via the suite loader
