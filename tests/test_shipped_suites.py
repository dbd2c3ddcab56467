"""The shipped suites: every variant builds, and every quick profile runs end to end.

No suite's real data is needed: each suite's quick profile is trained here in
a test-sized form — the suite's own dataset format (CIFAR pickles, mnist.npz,
an image folder) written tiny under tmp_path and found through
``dataset.data_dir``, one epoch, one seed — through the real runner, worker
and store.  Input shapes, channels, classes and models stay those of the
quick profile.  The CIFAR-100 suite doubles as the hierarchical end-to-end
test: two heads trained on fine and coarse labels, coarse accuracy recorded
for every run.
"""

from __future__ import annotations

import io
import json
import pickle
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from bench.config import DatasetConfig
from bench.suite import Suite, load_suite

SUITES_DIR = Path(__file__).resolve().parent.parent / "suites"
SEED_SUITES = ("cifar10-seed", "mnist-seed", "cifar100-seed", "imagenet-seed", "spinenet-vs-resnet")
EMBEDDED = ("digits", "mnist5k")

# Native image shape and classes of each dataset (what loading would give), so
# that models can be built without the data.
NATIVE: dict[str, tuple[tuple[int, int, int], int]] = {
    "digits": ((8, 8, 1), 10),
    "mnist5k": ((28, 28, 1), 10),
    "mnist": ((28, 28, 1), 10),
    "fashion_mnist": ((28, 28, 1), 10),
    "cifar10": ((32, 32, 3), 10),
    "cifar100": ((32, 32, 3), 100),
}


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read the real Keras cache, never write the user's dataset cache."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path_factory.mktemp("empty_keras_home")))
    monkeypatch.setenv("BENCH_CACHE", "off")


#: Detection datasets: classes, channels, and the size when image_size is not given.
DETECTION_NATIVE: dict[str, tuple[int, int]] = {"voc": (20, 3), "coco": (80, 3), "mnist_det": (10, 1)}
DETECTION_SUITES = ("ssd-seed", "spinenet-detection")


def input_of(dataset: DatasetConfig) -> tuple[tuple[int, int, int], int]:
    """(input shape, classes) a dataset config yields, computed from the config alone."""
    if dataset.name in DETECTION_NATIVE:
        classes, channels = DETECTION_NATIVE[dataset.name]
        side = dataset.mnist_det.canvas_size if dataset.mnist_det else 64 if dataset.name == "mnist_det" else 300
        h, w = dataset.image_size or (side, side)
        return (h, w, dataset.channels or channels), classes
    if dataset.name == "folder":
        (h, w), channels, classes = dataset.image_size or (64, 64), 3, dataset.classes
        assert classes is not None, "a shipped folder suite names its number of classes"
    else:
        (h, w, channels), classes = NATIVE[dataset.name]
        if dataset.image_size:
            h, w = dataset.image_size
        classes = 20 if dataset.labels == "coarse" else dataset.classes or classes
    return (h, w, dataset.channels or channels), classes


# --------------------------------------------------------------------------- every variant builds


def test_shipped_suites_are_the_seed_experiments():
    names = {path.stem for path in SUITES_DIR.glob("*.yaml")}
    assert set(SEED_SUITES) <= names
    for name in SEED_SUITES:
        suite = load_suite(SUITES_DIR / f"{name}.yaml")
        assert suite.name == name and suite.description
        assert any(v.claim for v in suite.variants), name
        quick = load_suite(SUITES_DIR / f"{name}.yaml", profile="quick")
        assert quick.variants[0].config.train.seeds <= 2
        assert all(v.config.train.epochs <= 20 for v in quick.variants)
    spinenet = load_suite(SUITES_DIR / "spinenet-vs-resnet.yaml")
    assert "1912.05027" in spinenet.description
    families = {v.config.model.family for name in SEED_SUITES
                for v in load_suite(SUITES_DIR / f"{name}.yaml").variants}
    assert families >= {"cnn", "nin", "ensemble", "hierarchical", "resnet", "scale_permuted"}


def test_detection_suites_ask_the_papers_questions_on_voc_and_quickly_on_mnist_det():
    for name in DETECTION_SUITES:
        full = load_suite(SUITES_DIR / f"{name}.yaml")
        quick = load_suite(SUITES_DIR / f"{name}.yaml", profile="quick")
        assert full.variants[0].config.dataset.name == "voc" and full.description
        assert {v.config.dataset.name for v in quick.variants} == {"mnist_det"}
        assert quick.variants[0].config.train.seeds <= 3
        assert all(v.claim and v.claim.metric == "map50" for v in full.variants if v.claim)
    ssd_seed = load_suite(SUITES_DIR / "ssd-seed.yaml")
    assert "1512.02325" in ssd_seed.description and len([v for v in ssd_seed.variants if v.claim]) >= 4
    spinenet = load_suite(SUITES_DIR / "spinenet-detection.yaml", profile="quick")
    backbones = {v.name: v.config.model.backbone.family for v in spinenet.variants}
    assert backbones == {"base": "resnet", "scale-permuted": "scale_permuted"}
    assert spinenet.variants[0].config.model.top_down and spinenet.variants[1].config.model.top_down is None


@pytest.mark.slow
def test_every_variant_of_every_suite_builds_with_flops_and_params():
    """Each variant's model at its full and its quick profile's input (no training).

    FLOPs are counted once per architecture and input: dropout and activations
    do not change them, and counting is the slow part.
    """
    from bench.flops import count_flops
    from bench.models import build_model

    counted: dict[str, int] = {}
    seen = 0
    for path in sorted(SUITES_DIR.glob("*.yaml")):
        profiles = [None, "quick"] if "quick" in _profiles(path) else [None]
        variants = [v for profile in profiles for v in load_suite(path, profile=profile).variants]
        for variant in variants:
            shape, classes = input_of(variant.config.dataset)
            model = build_model(variant.config.model, shape, classes)
            detector = variant.config.model.family == "ssd"  # scores of classes + background, 4 offsets
            assert model.output_shape[-1] == classes + 5 * detector or isinstance(model.output_shape, list)
            params = model.count_params()
            assert isinstance(params, int) and params > 0, (path.name, variant.name)
            # Dropout and activations do not change FLOPs: count each architecture once.
            key = json.dumps([_architecture(variant.config.model.model_dump(mode="json")), shape, classes])
            if key not in counted:
                counted[key] = count_flops(model)
            flops = counted[key]
            assert isinstance(flops, int) and flops > 0 and flops % 2 == 0, (path.name, variant.name)
            seen += 1
    assert seen >= 80


def _profiles(path: Path) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8")).get("profiles", {})


def _architecture(model: Any) -> Any:
    """A model config without the fields that leave the graph's FLOPs unchanged."""
    if isinstance(model, dict):
        return {k: _architecture(v) for k, v in model.items()
                if k not in ("dropout", "dense_dropout", "activation", "output_activation")}
    if isinstance(model, list):
        return [_architecture(v) for v in model]
    return model


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in SEED_SUITES if n != "cifar100-seed"])
def test_quick_profile_data_is_offline_and_shaped_as_the_config_says(name):
    """The quick profiles run without any downloaded file (cifar100-seed cannot: no
    bundled dataset has superclasses)."""
    from bench.datasets import load_dataset

    suite = load_suite(SUITES_DIR / f"{name}.yaml", profile="quick")
    for config in {v.config.dataset.model_dump_json(): v.config.dataset for v in suite.variants}.values():
        assert config.name in EMBEDDED
        data = load_dataset(config)
        shape, classes = input_of(config)
        assert data.input_shape == shape and data.num_classes == classes
        assert 0 < len(data.x_train) <= 2000


# --------------------------------------------------------------------------- tiny real-format files


def _images(n: int, labels: np.ndarray, size: int, channels: int, rng: np.random.Generator) -> np.ndarray:
    """Noise plus a class-dependent brightness, so one epoch can learn something."""
    x = rng.integers(0, 96, size=(n, size, size, channels), dtype=np.int64)
    x += (labels.reshape(-1, 1, 1, 1) * 13) % 160
    return x.astype(np.uint8)


def _cifar_rows(x: np.ndarray) -> np.ndarray:
    return x.transpose(0, 3, 1, 2).reshape(len(x), -1)  # NHWC → channel-first rows


def _dump(path: Path, obj: dict) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)


def write_cifar10(root: Path, per_batch: int = 12, n_test: int = 20) -> None:
    rng = np.random.default_rng(10)
    sub = root / "cifar-10-batches-py"
    sub.mkdir(parents=True)
    for b in range(1, 6):
        y = (np.arange(per_batch) + b) % 10
        _dump(sub / f"data_batch_{b}", {b"labels": y.tolist(), b"data": _cifar_rows(_images(per_batch, y, 32, 3, rng))})
    y = np.arange(n_test) % 10
    _dump(sub / "test_batch", {b"labels": y.tolist(), b"data": _cifar_rows(_images(n_test, y, 32, 3, rng))})


def write_cifar100(root: Path, n_train: int = 80, n_test: int = 20) -> None:
    """Fine labels 0..19 in use, superclass = fine // 5 as in CIFAR-100 (4 superclasses)."""
    rng = np.random.default_rng(100)
    sub = root / "cifar-100-python"
    sub.mkdir(parents=True)
    for member, n in (("train", n_train), ("test", n_test)):
        fine = np.arange(n) % 20
        _dump(sub / member, {b"data": _cifar_rows(_images(n, fine, 32, 3, rng)),
                             b"fine_labels": fine.tolist(), b"coarse_labels": (fine // 5).tolist()})
    _dump(sub / "meta", {b"fine_label_names": [f"fine{i}".encode() for i in range(100)],
                         b"coarse_label_names": [f"coarse{i}".encode() for i in range(20)]})


def write_mnist(root: Path, n_train: int = 60, n_test: int = 20) -> None:
    rng = np.random.default_rng(1)
    root.mkdir(parents=True, exist_ok=True)
    y_train, y_test = np.arange(n_train) % 10, np.arange(n_test) % 10
    np.savez(root / "mnist.npz",
             x_train=_images(n_train, y_train, 28, 1, rng)[..., 0], y_train=y_train.astype(np.uint8),
             x_test=_images(n_test, y_test, 28, 1, rng)[..., 0], y_test=y_test.astype(np.uint8))


def write_folder(root: Path, classes: int = 3, per_class: int = 10) -> None:
    """train/<class>/*.png and *.jpg of assorted sizes, as an ImageNet subset looks."""
    rng = np.random.default_rng(2)
    for c in range(classes):
        folder = root / "train" / f"n0{c}"
        folder.mkdir(parents=True)
        for i in range(per_class):
            size = (20 + 3 * i, 16 + 2 * c)
            pixels = _images(1, np.array([c]), 1, 3, rng)[0, 0, 0]
            image = Image.new("RGB", size, tuple(int(p) for p in pixels))
            image.save(folder / (f"img{i}.jpg" if i % 2 else f"img{i}.png"))


WRITERS = {"cifar10": write_cifar10, "cifar100": write_cifar100, "mnist": write_mnist, "folder": write_folder}


def tiny(suite: Suite, full_dataset: str, data_dir: Path) -> Suite:
    """The suite with every variant on tiny files of the full profile's format, 1 epoch."""

    def shrink(config):  # type: ignore[no-untyped-def]
        folder = full_dataset == "folder"
        dataset = config.dataset.model_copy(update={
            "name": full_dataset,
            "data_dir": str(data_dir),
            "train_size": None,
            "test_size": 6 if folder else None,
            "classes": None if folder else config.dataset.classes,
            "images_per_class": None,
        })
        train = config.train.model_copy(update={"epochs": 1, "batch_size": 16, "seeds": 1})
        return config.model_copy(update={"dataset": dataset, "train": train})

    return replace(suite, variants=[replace(v, config=shrink(v.config)) for v in suite.variants])


# --------------------------------------------------------------------------- quick profiles, end to end


def representatives(suite: Suite) -> list[str]:
    """One variant per distinct code path: model family (and a hierarchical model's
    conditioning), output activation, and dataset configuration.

    The variants left out differ from one trained here only in numbers (widths,
    kernels, dropout, epochs, batch size) that the same code handles; every
    variant is still built and counted by the test above.  Training all of
    them would take minutes on two cores.
    """
    chosen: dict[str, str] = {}
    for variant in suite.variants:
        model = variant.config.model
        key = json.dumps([
            model.family, getattr(model, "condition", None), getattr(model, "output_activation", None),
            variant.config.dataset.model_dump(mode="json"),
        ])
        chosen.setdefault(key, variant.name)
    return list(chosen.values())



@pytest.mark.slow
@pytest.mark.parametrize("name", SEED_SUITES)
def test_quick_profile_runs_end_to_end_on_tiny_files_of_the_real_format(name, tmp_path):
    from rich.console import Console

    from bench.runner import run_suite
    from bench.store import ResultStore

    full = load_suite(SUITES_DIR / f"{name}.yaml").variants[0].config.dataset.name
    WRITERS[full](tmp_path / "data")
    quick = load_suite(SUITES_DIR / f"{name}.yaml", profile="quick", seeds=1)
    suite = tiny(quick, full, tmp_path / "data")
    store_path = tmp_path / "results.sqlite"
    chosen = representatives(suite)
    summary = run_suite(suite, store_path, only=chosen, console=Console(file=io.StringIO()))

    assert summary.trained == len(chosen)
    with ResultStore(store_path) as store:
        runs = store.runs_frame(suite.name)
    assert list(runs["variant"]) == [v.name for v in suite.variants]  # all planned
    runs = runs[runs["variant"].isin(chosen)]
    failed = runs[~runs["status"].isin(["ok", "diverged"])]
    assert failed.empty, "\n".join(f"{r.variant}: {r.error}" for r in failed.itertuples())
    for column in ("flops", "params"):
        values = runs[column].to_numpy(dtype=float)
        assert np.all(values > 0) and np.all(values == np.round(values)), column
    expected = {v.name: list(input_of(v.config.dataset)[0]) for v in quick.variants}
    for variant, dataset in zip(runs["variant"], runs["dataset"]):
        assert json.loads(dataset)["input_shape"] == expected[variant], variant  # the quick profile's input
    if full == "cifar100":
        check_coarse_accuracy(store_path, runs)


def check_coarse_accuracy(store_path: Path, runs: Any) -> None:
    """Every CIFAR-100 run has coarse accuracy; a flat model's is its fine prediction's superclass.

    Hierarchical runs trained both heads (their curves have ``coarse_accuracy``)
    and take coarse predictions from the coarse head.
    """
    from bench.tasks.classification import fine_to_coarse
    from bench.store import ResultStore

    superclass = fine_to_coarse(np.arange(100), np.arange(100) // 5, 100)  # as written
    assert runs["coarse_accuracy"].notna().all()
    with ResultStore(store_path) as store:
        for run in runs.itertuples():
            predictions = store.predictions(run.key)
            coarse_true, coarse_pred = predictions["coarse_true"], predictions["coarse_pred"]
            assert np.isclose(run.coarse_accuracy, np.mean(coarse_true == coarse_pred))
            assert np.array_equal(coarse_true, superclass[predictions["y_true"]])
            curves = set(store.history_frame([run.key])["name"])
            assert {"accuracy", "val_accuracy", "loss", "val_loss"} <= curves
            if run.variant.startswith("hierarchical"):
                assert {"coarse_accuracy", "val_coarse_accuracy", "total_loss"} <= curves
            else:
                assert np.array_equal(coarse_pred, superclass[predictions["y_pred"]])
