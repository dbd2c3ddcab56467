"""The SSD family: geometry without TensorFlow, the network's shape, the MultiBox loss by
hand, and (slow) that a tiny SSD learns to find digits on mnist_det."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from pydantic import ValidationError

from bench.models import ssd

SMALL = {
    "backbone": [{"filters": 8, "convs": 1, "pool": False}, {"filters": 8, "convs": 1},
                 {"filters": 16, "convs": 1}],  # fmt: skip
    "feature_blocks": [1, 2],
    "extras": [{"filters": 16}],
    "aspect_ratios": [[1.0], [1.0, 2.0, 0.5], [1.0, 0.5]],
}


def test_geometry_without_tensorflow() -> None:
    config = ssd.Config(**SMALL)
    assert ssd.feature_sizes(config, (30, 20, 1)) == [(15, 10), (8, 5), (4, 3)]
    # boxes per cell: ratio 1 + extra square = 2; 3 + 1 = 4; 2 + 1 = 3
    assert ssd.anchors(config, (30, 20, 1)).shape == (15 * 10 * 2 + 8 * 5 * 4 + 4 * 3 * 3, 4)
    assert config.scale_list() == pytest.approx([0.2, 0.55, 0.9, 1.25])


@pytest.mark.parametrize("change,message", [
    ({"feature_blocks": [1]}, "the last backbone map \\(2\\) must feed a head"),
    ({"feature_blocks": [2, 1]}, "distinct indices of the backbone's 3 candidate maps in rising order"),
    ({"feature_blocks": [1, 5]}, "distinct indices of the backbone's 3 candidate maps"),
    ({"aspect_ratios": [[1.0], [1.0]]}, "one list per feature map \\(3\\)"),
    ({"scales": [0.1, 0.2, 0.3]}, "feature maps \\+ 1 = 4 values"),
    ({"negatives": "some"}, "'hard' or 'all'"),
])  # fmt: skip
def test_config_errors_say_what_is_allowed(change: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ssd.Config(**{**SMALL, **change})


def test_targets_are_matched_classes_and_encodings() -> None:
    config = ssd.Config(**{**SMALL, "aspect_ratios": [1.0]})
    shape = (32, 32, 1)
    boxes = [np.array([[4.0, 4.0, 12.0, 12.0]]), np.zeros((0, 4))]
    y = ssd.targets(config, shape, boxes, [np.array([7]), np.zeros(0)])
    assert y.shape == (2, ssd.anchors(config, shape).shape[0], 5) and y.dtype == np.float32
    assert set(np.unique(y[0, :, 0])) == {0.0, 8.0} and not y[1].any()


@pytest.mark.slow
def test_network_predicts_one_row_per_default_box() -> None:
    config = ssd.Config(**SMALL)
    model = ssd.build(config, (30, 20, 1), 4)
    assert model.output_shape == (None, ssd.anchors(config, (30, 20, 1)).shape[0], 4 + 1 + 4)


def _reference_loss(y_true: np.ndarray, y_pred: np.ndarray, columns: int, hard: bool, ratio: float = 3.0) -> float:
    """The paper's loss written out with loops."""
    total, matched = 0.0, 0
    for truth, pred in zip(y_true, y_pred):
        labels = truth[:, 0].astype(int)
        logits = pred[:, :columns]
        log_softmax = logits - logits.max(1, keepdims=True)
        log_softmax -= np.log(np.exp(log_softmax).sum(1, keepdims=True))
        ce = -log_softmax[np.arange(len(labels)), labels]
        positive = labels > 0
        matched += positive.sum()
        diff = np.abs(truth[:, 1:] - pred[:, columns:])
        total += np.where(diff < 1, 0.5 * diff**2, diff - 0.5).sum(1)[positive].sum()
        total += ce[positive].sum()
        if hard:
            negatives = np.flatnonzero(~positive)
            hardest = negatives[np.argsort(-ce[negatives])][: int(min(ratio * positive.sum(), len(negatives)))]
            total += ce[hardest].sum()
        else:
            total += ce[~positive].sum()
    return total / max(matched, 1)


@pytest.mark.slow
@pytest.mark.parametrize("negatives", ["hard", "all"])
def test_multibox_loss_matches_the_paper_written_out(negatives: str) -> None:
    config = ssd.Config(**{**SMALL, "negatives": negatives})
    rng = np.random.default_rng(0)
    classes = np.zeros((3, 12))
    classes[0, [2, 7]] = [1, 2]
    classes[1, 5] = 2  # image 2 (index 2) has no object at all
    y_true = np.concatenate([classes[..., None], rng.normal(0, 1.5, (3, 12, 4))], axis=-1).astype("float32")
    y_pred = rng.normal(0, 2, (3, 12, 3 + 4)).astype("float32")
    loss = ssd.make_loss(config, num_classes=2)
    value = float(loss(y_true, y_pred))
    assert value == pytest.approx(_reference_loss(y_true, y_pred, 3, negatives == "hard"), rel=1e-5)


@pytest.mark.slow
def test_tiny_ssd_learns_to_find_digits_on_mnist_det() -> None:
    import keras
    import tensorflow as tf

    from bench.datasets.mnist_det import MnistDetOptions, make_mnist_det
    from bench.detection.evaluation import evaluate_detections

    with contextlib.suppress(RuntimeError):  # one thread each, unless TF already started here
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    keras.utils.set_random_seed(0)
    data = make_mnist_det(MnistDetOptions(train_canvases=1500, test_canvases=300, split_seed=0))
    config = ssd.Config(
        backbone=[{"filters": 16, "convs": 1, "pool": False}, {"filters": 32, "convs": 1},
                  {"filters": 48, "convs": 2}, {"filters": 64, "convs": 1}],  # fmt: skip
        feature_blocks=[2, 3], extras=[{"filters": 64}],
        aspect_ratios=[1.0, 0.5, 0.33], s_min=0.15, s_max=0.5,
    )
    shape = data.train.images.shape[1:]
    model = ssd.build(config, shape, 10)
    epochs, batch_size = 4, 32
    schedule = keras.optimizers.schedules.CosineDecay(3e-3, epochs * -(-len(data.train) // batch_size))
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=ssd.make_loss(config, 10))
    x = data.train.images.astype("float32") / 255.0
    y = ssd.targets(config, shape, data.train.boxes, data.train.labels)
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    detections = ssd.predict_detections(model, config, data.test.images.astype("float32") / 255.0)
    result = evaluate_detections(data.test.targets(), detections, 10)
    # measured on 2 shared cores, one thread: map50 0.74 (map 0.44) in under a minute
    assert result["map50"] >= 0.6, result["map50"]
