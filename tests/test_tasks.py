"""Tasks as plug-ins: evaluation from outputs, per-item views, the task of a run, and a
task defined here training through the worker's one loop unchanged."""

from __future__ import annotations

import sys
import textwrap
from typing import Any, Mapping

import numpy as np
import pytest

from bench import metrics, tasks
from bench.datasets import Dataset
from bench.errors import BenchError
from bench.tasks import Evaluation, ItemViews, Task


def tiny_dataset(num_classes: int = 6, coarse: bool = False, test: int = 12) -> Dataset:
    """Images are irrelevant to evaluation: a few zeros with scripted labels."""
    rng = np.random.default_rng(0)
    sizes = {"train": 24, "val": 6, "test": test}
    labels = {split: np.arange(n) % num_classes for split, n in sizes.items()}
    targets: dict[str, dict[str, np.ndarray]] = {split: {"label": y} for split, y in labels.items()}
    target_classes = {}
    if coarse:  # superclass = class // 2
        for split, y in labels.items():
            targets[split]["coarse_label"] = y // 2
        target_classes["coarse_label"] = [f"super{i}" for i in range((num_classes + 1) // 2)]
    return Dataset(
        name="fake",
        x_train=rng.random((sizes["train"], 2, 2, 1), dtype=np.float32),
        x_val=np.zeros((sizes["val"], 2, 2, 1), np.float32),
        x_test=np.zeros((sizes["test"], 2, 2, 1), np.float32),
        targets=targets,
        class_names=[str(i) for i in range(num_classes)],
        target_classes=target_classes,
    )


def one_hot_guesses(y_true: np.ndarray, wrong: list[int], num_classes: int) -> np.ndarray:
    """Probabilities 0.9 on the true class, except at ``wrong``: 0.9 on the next class and
    the true class second (0.1 shared by the rest, 0.01 each)."""
    picked = y_true.copy()
    picked[wrong] = (picked[wrong] + 1) % num_classes
    probabilities = np.full((len(y_true), num_classes), 0.01)
    probabilities[wrong, y_true[wrong]] = 0.1 - 0.01 * (num_classes - 2)
    probabilities[np.arange(len(y_true)), picked] = 0.9
    return probabilities / probabilities.sum(axis=1, keepdims=True)


def test_classification_scores_probabilities_and_stores_labels():
    data = tiny_dataset(num_classes=6)
    probabilities = one_hot_guesses(data.y_test, wrong=[0, 5, 7], num_classes=6)
    probabilities[7] = np.roll([0.9, 0.04, 0.03, 0.02, 0.01, 0.0], data.y_test[7] + 1)  # true class last
    result = tasks.get("classification").evaluate({"dense": probabilities}, data)
    assert result.metrics["accuracy"] == pytest.approx(9 / 12)
    right, second = 0.9 / 0.95, 0.06 / 1.0  # the rows as normalised
    expected_loss = -(9 * np.log(right) + 2 * np.log(second) + np.log(1e-7)) / 12  # Keras clips 0 to 1e-7
    assert result.metrics["loss"] == pytest.approx(expected_loss, rel=1e-6)
    assert result.metrics["top5_accuracy"] == pytest.approx(11 / 12)
    assert result.items["y_true"].tolist() == data.y_test.tolist()
    assert result.items["y_pred"][[0, 5, 7]].tolist() == [1, 0, 2]
    assert "coarse_accuracy" not in result.metrics


def test_top5_only_beyond_five_classes_and_one_output_required():
    data = tiny_dataset(num_classes=4)
    task = tasks.get("classification")
    result = task.evaluate({"out": one_hot_guesses(data.y_test, [], 4)}, data)
    assert result.metrics["accuracy"] == 1.0 and "top5_accuracy" not in result.metrics
    with pytest.raises(BenchError, match="one output; this model has 2"):
        task.evaluate({"a": np.zeros((12, 4)), "b": np.zeros((12, 4))}, data)


@pytest.mark.slow
def test_loss_matches_keras_sparse_cross_entropy():
    import keras

    rng = np.random.default_rng(1)
    probabilities = rng.random((50, 7)).astype(np.float32)
    probabilities[3, 2] = 0.0  # clipped, not -inf
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    y_true = rng.integers(0, 7, 50)
    y_true[3] = 2
    expected = np.asarray(keras.losses.sparse_categorical_crossentropy(y_true, probabilities))
    from bench.tasks.classification import cross_entropy

    np.testing.assert_allclose(cross_entropy(y_true, probabilities), expected, rtol=1e-5)


def test_a_flat_model_on_superclassed_data_is_scored_on_superclasses_too():
    data = tiny_dataset(num_classes=6, coarse=True)
    # wrong at 0 (0→1: same superclass 0) and 3 (3→4: superclass 1→2)
    result = tasks.get("classification").evaluate({"p": one_hot_guesses(data.y_test, [0, 3], 6)}, data)
    assert result.metrics["accuracy"] == pytest.approx(10 / 12)
    assert result.metrics["coarse_accuracy"] == pytest.approx(11 / 12)
    assert result.items["coarse_true"].tolist() == (data.y_test // 2).tolist()


def test_hierarchical_scores_the_fine_head_and_the_coarse_head_on_its_own():
    data = tiny_dataset(num_classes=6, coarse=True)
    fine = one_hot_guesses(data.y_test, [1], 6)
    coarse = one_hot_guesses(data.y_test // 2, [2, 4], 3)
    result = tasks.get("hierarchical").evaluate({"fine": fine, "coarse": coarse}, data)
    assert result.metrics["accuracy"] == pytest.approx(11 / 12)
    assert result.metrics["coarse_accuracy"] == pytest.approx(10 / 12)
    assert result.items["coarse_pred"][[2, 4]].tolist() == [((2 // 2) + 1) % 3, ((4 // 2) + 1) % 3]


def test_a_task_refuses_a_dataset_without_its_targets():
    with pytest.raises(BenchError, match="needs the dataset targets coarse_label, but dataset 'fake' carries only: label"):
        tasks.get("hierarchical").check(tiny_dataset(), model=None)


def test_item_views_from_stored_labels_without_tensorflow():
    views = tasks.get("classification").item_views(
        {"y_true": np.array([0, 0, 1, 1, 2], np.int16), "y_pred": np.array([0, 1, 1, 1, 0], np.int16)}, 4
    )
    assert views.per_class_metric == "accuracy"
    np.testing.assert_array_equal(views.per_class, [0.5, 1.0, 0.0, np.nan])
    assert views.confusion.tolist() == [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
    assert views.paired[0].dtype == np.int64 and views.paired[1].tolist() == [0, 1, 1, 1, 0]
    assert tasks.get("hierarchical").item_views({}, 4) == ItemViews()


def test_the_task_of_a_stored_run():
    assert tasks.task_of({"model": {"family": "cnn"}}, {"task": "hierarchical"}) == "hierarchical"
    # stored before runs recorded their task: the family decides
    assert tasks.task_of({"model": {"family": "hierarchical"}}, {}) == "hierarchical"
    assert tasks.task_of({"model": {"family": "cnn"}}) == "classification"
    assert tasks.task_of({"model": {"family": "python", "task": "hierarchical"}}) == "hierarchical"
    with pytest.raises(BenchError, match="unknown task 'nope'; known tasks: classification, detection, hierarchical"):
        tasks.get("nope")


def test_the_read_side_asks_tasks_without_importing_tensorflow():
    import subprocess

    code = (
        "import sys, numpy as np\n"
        "from bench import tasks, metrics\n"
        "metrics.all_metrics()\n"
        "t = tasks.get(tasks.task_of({'model': {'family': 'hierarchical'}}))\n"
        "t.item_views({'y_true': np.zeros(3, int), 'y_pred': np.zeros(3, int)}, 2)\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_dataset_targets_have_one_row_per_image():
    data = tiny_dataset()
    with pytest.raises(ValueError, match="target 'label' has 3 rows in split 'test', which has 12 images"):
        Dataset(name="bad", x_train=data.x_train, x_val=data.x_val, x_test=data.x_test,
                targets={**data.targets, "test": {"label": np.zeros(3)}}, class_names=data.class_names)
    with pytest.raises(KeyError, match="carries no target 'boxes'; it has: label"):
        data.target("boxes", "train")


def test_the_prepared_dataset_cache_keeps_every_target(tmp_path):
    from bench.worker import _read_dataset, _write_dataset

    data = tiny_dataset(coarse=True)
    data.targets = {s: {**t, "boxes": np.ones((len(t["label"]), 2, 4), np.float32)} for s, t in data.targets.items()}
    _write_dataset(tmp_path / "d.npz", data)
    back = _read_dataset(tmp_path / "d.npz")
    assert back.target_names == ["boxes", "coarse_label", "label"]
    assert back.target_classes == data.target_classes
    for split in ("train", "val", "test"):
        for name in back.target_names:
            np.testing.assert_array_equal(back.target(name, split), data.target(name, split))


# --------------------------------------------------------------------------- a plug-in task

class Parity(Task):
    """Is the digit odd?  One sigmoid output, a metric of its own, per-item results of another shape."""

    name = "test_parity"
    targets = ("label",)

    def fit_targets(self, data: Any, split: str) -> np.ndarray:
        return (data.target("label", split) % 2).astype(np.float32)[:, None]

    def compile_args(self, data: Any, model: Any) -> tuple[Any, Any]:
        return "binary_crossentropy", ["binary_accuracy"]

    def evaluate(self, outputs: Mapping[str, np.ndarray], data: Any) -> Evaluation:
        (probability,) = outputs.values()
        odd = (data.y_test % 2)[:, None]
        return Evaluation(
            metrics={"parity_accuracy": float(np.mean((probability > 0.5) == odd))},
            items={"odd_true": odd.astype(np.int8), "odd_probability": probability.astype(np.float32)},
        )

    def item_views(self, items: Mapping[str, np.ndarray], num_classes: int) -> ItemViews:
        return ItemViews()


PARITY_BUILDER = '''
import keras

def parity_net(input_shape, num_classes):
    inputs = keras.Input(input_shape)
    hidden = keras.layers.Dense(8, activation="relu")(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid", name="odd")(hidden))
'''


@pytest.fixture
def parity_task(tmp_path, monkeypatch):
    (tmp_path / "parity_builders.py").write_text(PARITY_BUILDER)
    monkeypatch.syspath_prepend(str(tmp_path))
    tasks.register(Parity())
    metrics.register(metrics.Metric("parity_accuracy", metrics.Kind.FRACTION, metrics.Direction.HIGHER,
                                    {"en": "parity accuracy", "ru": "точность чётности"}, task="test_parity"))
    yield
    tasks.unregister("test_parity")
    metrics.unregister("parity_accuracy")
    sys.modules.pop("parity_builders", None)


@pytest.mark.slow
def test_a_task_registered_here_trains_through_the_worker_unchanged(parity_task, write_suite):
    from bench.suite import load_suite
    from bench.worker import train_run

    path = write_suite(textwrap.dedent("""\
        name: parity
        dataset: {name: digits, train_size: 120, test_size: 60, validation: 0.1}
        train: {epochs: 1, batch_size: 32, seeds: 1}
        model: {family: python, builder: "parity_builders:parity_net", task: test_parity}
        variants:
          - name: claimed
            set: {train.epochs: 2}
            claim: {metric: parity_accuracy, direction: up}
        """))
    result = train_run(load_suite(path).specs(only=["base"])[0])
    assert result.status == "ok", result.error
    assert result.dataset["task"] == "test_parity"
    assert 0.0 <= result.metrics["parity_accuracy"] <= 1.0 and "accuracy" not in result.metrics
    assert result.metrics["flops"] > 0 and result.metrics["epochs_run"] == 1
    assert set(result.predictions) == {"odd_true", "odd_probability"}
    assert result.predictions["odd_probability"].shape == (60, 1)
    assert set(result.history) == {"loss", "binary_accuracy", "val_loss", "val_binary_accuracy"}
