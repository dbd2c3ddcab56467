"""The dataset registry: real file formats written tiny under tmp_path, plus the embedded sets.

No network and no TensorFlow: every Keras-format file is built here with the
same layout Keras downloads (npz, gzipped IDX, CIFAR pickles, .tar.gz).
"""

from __future__ import annotations

import gzip
import pickle
import struct
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench.config import DatasetConfig
from bench.datasets import DATASET_NAMES, Dataset, load_dataset
from bench.datasets.prepare import resize_images, stratified_split
from bench.datasets.registry import load_raw
from bench.errors import BenchError, DataUnavailableError

CIFAR10_NAMES = [
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"
]  # fmt: skip


@pytest.fixture(autouse=True)
def _isolated_keras_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never read the real ~/.keras: point KERAS_HOME at an empty folder."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path_factory.mktemp("empty_keras_home")))


def cfg(**kw: object) -> DatasetConfig:
    return DatasetConfig(**kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- file writers


def _gray_images(n: int, labels: np.ndarray, size: int = 28) -> np.ndarray:
    """Image i is filled with value 10 * label + i % 7 (so labels are visible in pixels)."""
    x = np.zeros((n, size, size), dtype=np.uint8)
    for i in range(n):
        x[i] = 10 * labels[i] + i % 7
    x[:, 0, 0] = 255  # every image reaches the max
    return x


def write_mnist_npz(folder: Path, n_train: int = 20, n_test: int = 10) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    y_train = np.arange(n_train, dtype=np.uint8) % 10
    y_test = np.arange(n_test, dtype=np.uint8) % 10
    path = folder / "mnist.npz"
    np.savez(
        path,
        x_train=_gray_images(n_train, y_train),
        y_train=y_train,
        x_test=_gray_images(n_test, y_test),
        y_test=y_test,
    )
    return path


def _idx_labels(path: Path, y: np.ndarray) -> None:
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">II", 0x00000801, len(y)) + y.astype(np.uint8).tobytes())


def _idx_images(path: Path, x: np.ndarray) -> None:
    n, h, w = x.shape
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">IIII", 0x00000803, n, h, w) + x.astype(np.uint8).tobytes())


def write_fashion(folder: Path, n_train: int = 30, n_test: int = 10) -> Path:
    sub = folder / "fashion-mnist"
    sub.mkdir(parents=True, exist_ok=True)
    y_train = (np.arange(n_train) * 3 % 10).astype(np.uint8)
    y_test = (np.arange(n_test) % 10).astype(np.uint8)
    _idx_labels(sub / "train-labels-idx1-ubyte.gz", y_train)
    _idx_images(sub / "train-images-idx3-ubyte.gz", _gray_images(n_train, y_train))
    _idx_labels(sub / "t10k-labels-idx1-ubyte.gz", y_test)
    _idx_images(sub / "t10k-images-idx3-ubyte.gz", _gray_images(n_test, y_test))
    return sub


def _cifar_rows(labels: list[int]) -> np.ndarray:
    """N×3072 channel-first rows: R = 10 + label, G = 100 + label, B = 200 + label."""
    n = len(labels)
    chw = np.zeros((n, 3, 32, 32), dtype=np.uint8)
    for i, lab in enumerate(labels):
        chw[i, 0], chw[i, 1], chw[i, 2] = 10 + lab, 100 + lab, 200 + lab
    chw[:, 0, 0, 5] = 0  # a marker at row 0, column 5 of the red plane
    return chw.reshape(n, 3072)


def _dump(path: Path, obj: dict) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)


def write_cifar10(folder: Path, per_batch: int = 10, n_test: int = 10) -> Path:
    """cifar-10-batches-py/ with 5 data batches (labels 0..9 cycling), test_batch, batches.meta."""
    sub = folder / "cifar-10-batches-py"
    sub.mkdir(parents=True, exist_ok=True)
    for b in range(1, 6):
        labels = [(i + b) % 10 for i in range(per_batch)]
        batch = {b"batch_label": b"x", b"labels": labels, b"data": _cifar_rows(labels)}
        _dump(sub / f"data_batch_{b}", batch)
    test_labels = [i % 10 for i in range(n_test)]
    _dump(sub / "test_batch", {b"labels": test_labels, b"data": _cifar_rows(test_labels)})
    meta = {b"label_names": [s.encode() for s in CIFAR10_NAMES], b"num_vis": 3072}
    _dump(sub / "batches.meta", meta)
    return sub


def write_cifar100(folder: Path, n_train: int = 40, n_test: int = 20) -> Path:
    """cifar-100-python/: fine labels 0..9 cycling, coarse = fine // 2 (20 coarse names)."""
    sub = folder / "cifar-100-python"
    sub.mkdir(parents=True, exist_ok=True)
    for member, n in (("train", n_train), ("test", n_test)):
        fine = [i % 10 for i in range(n)]
        coarse = [f // 2 for f in fine]
        _dump(
            sub / member,
            {
                b"data": _cifar_rows(fine),
                b"fine_labels": fine,
                b"coarse_labels": coarse,
                b"filenames": [],
            },
        )
    _dump(
        sub / "meta",
        {
            b"fine_label_names": [f"fine{i}".encode() for i in range(100)],
            b"coarse_label_names": [f"coarse{i}".encode() for i in range(20)],
        },
    )
    return sub


def write_folder(
    root: Path, classes: tuple[str, ...] = ("cat", "dog", "fish"), per_class: int = 5
) -> Path:
    """One sub-folder per class; PNG and JPEG of assorted sizes, one grayscale PNG per class."""
    for c, cls in enumerate(classes):
        d = root / cls
        d.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            colour = (40 * c + 20, 5 * i, 200)
            if i == 0:
                Image.new("L", (50, 40), 80 + c).save(d / f"img{i}.png")
            elif i % 2:
                Image.new("RGB", (80 + i, 60), colour).save(d / f"img{i}.jpg", quality=95)
            else:
                Image.new("RGB", (30, 30 + i), colour).save(d / f"img{i}.PNG")
        (d / "notes.txt").write_text("not an image")
    return root


# --------------------------------------------------------------------------- helpers


def assert_well_formed(ds: Dataset, shape: tuple[int, int, int]) -> None:
    for x, y in ((ds.x_train, ds.y_train), (ds.x_val, ds.y_val), (ds.x_test, ds.y_test)):
        assert x.dtype == np.float32 and y.dtype == np.int64
        assert x.shape[1:] == shape and x.shape[0] == y.shape[0]
        assert y.ndim == 1
    assert ds.input_shape == shape
    sizes = {"train": len(ds.y_train), "val": len(ds.y_val), "test": len(ds.y_test)}
    assert ds.info["sizes"] == sizes
    assert isinstance(ds.info["fingerprint"], str) and len(ds.info["fingerprint"]) == 64


def every_split_has(ds: Dataset, classes: set[int]) -> bool:
    return all(set(np.unique(y).tolist()) == classes for y in (ds.y_train, ds.y_val, ds.y_test))


# --------------------------------------------------------------------------- embedded sets


def test_registry_names() -> None:
    assert set(DATASET_NAMES) == {
        "digits", "mnist5k", "mnist", "fashion_mnist", "cifar10", "cifar100", "folder", "mnist_det", "voc", "coco"
    }  # fmt: skip


@pytest.mark.slow
def test_digits_shapes_and_unit_range() -> None:
    ds = load_dataset(cfg(name="digits"))
    assert_well_formed(ds, (8, 8, 1))
    assert len(ds.y_train) + len(ds.y_val) + len(ds.y_test) == 1797
    assert len(ds.y_test) == round(0.2 * 1797)
    assert ds.class_names == [str(i) for i in range(10)] and ds.num_classes == 10
    assert ds.x_train.min() == 0.0 and ds.x_train.max() == 1.0  # divided by 16, not 255
    assert ds.info["source"].startswith("embedded") and ds.info["test_from"] == "split"
    assert ds.target_names == ["label"] and ds.target_classes == {}
    raw = load_dataset(cfg(name="digits", normalize="none"))
    assert raw.x_train.max() == 16.0 and raw.x_train.dtype == np.float32


@pytest.mark.slow
def test_mnist5k_stratified_every_class_everywhere() -> None:
    ds = load_dataset(cfg(name="mnist5k"))
    assert_well_formed(ds, (28, 28, 1))
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (3600, 400, 1000)
    assert every_split_has(ds, set(range(10)))
    for y, n in ((ds.y_train, 360), (ds.y_val, 40), (ds.y_test, 100)):
        assert np.all(np.bincount(y, minlength=10) == n)  # exactly proportional
    assert 0.0 <= ds.x_test.min() and ds.x_test.max() <= 1.0
    assert not np.all(np.diff(ds.y_train) >= 0)  # shuffled, not class-sorted


@pytest.mark.slow
def test_determinism_by_split_seed() -> None:
    a = load_dataset(cfg(name="mnist5k", train_size=200, test_size=100, split_seed=3))
    b = load_dataset(cfg(name="mnist5k", train_size=200, test_size=100, split_seed=3))
    c = load_dataset(cfg(name="mnist5k", train_size=200, test_size=100, split_seed=4))
    for attr in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr))
    assert a.info["fingerprint"] == b.info["fingerprint"]
    assert not np.array_equal(a.x_train, c.x_train)
    assert not np.array_equal(a.y_test, c.y_test)


@pytest.mark.slow
def test_train_and_test_size_rule() -> None:
    ds = load_dataset(cfg(name="mnist5k", train_size=300, test_size=100, validation=0.1))
    # validation keeps its share of train+val: round(300 * 0.1 / 0.9) = 33, drawn from the pool
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (300, 33, 100)
    assert ds.info["validation_from"] == "pool"
    assert every_split_has(ds, set(range(10)))
    assert np.all(np.bincount(ds.y_train) == 30) and np.all(np.bincount(ds.y_test) == 10)

    # digits: pool = 1797 - 359 = 1438 < 1400 + 156, so validation comes out of the 1400
    within = load_dataset(cfg(name="digits", train_size=1400))
    assert (len(within.y_train), len(within.y_val)) == (1260, 140)
    assert within.info["validation_from"] == "train_size"

    none = load_dataset(cfg(name="mnist5k", train_size=100, validation=0.0))
    assert len(none.y_train) == 100 and none.x_val.shape == (0, 28, 28, 1)
    assert none.y_val.shape == (0,) and none.y_val.dtype == np.int64


@pytest.mark.slow
def test_sizes_too_large_are_one_line_errors() -> None:
    with pytest.raises(DataUnavailableError, match=r"train_size 4500 exceeds the 4000") as err:
        load_dataset(cfg(name="mnist5k", train_size=4500))
    assert "\n" not in str(err.value) and "mnist5k" in str(err.value)
    with pytest.raises(DataUnavailableError, match="test_size"):
        load_dataset(cfg(name="digits", test_size=1797))


def test_classes_limit_on_embedded() -> None:
    ds = load_dataset(cfg(name="mnist5k", classes=3, test_size=60))
    assert ds.class_names == ["0", "1", "2"] and ds.num_classes == 3
    assert every_split_has(ds, {0, 1, 2})
    assert len(ds.y_train) + len(ds.y_val) + len(ds.y_test) == 1500
    with pytest.raises(BenchError, match="classes 11"):
        load_dataset(cfg(name="digits", classes=11))


def test_images_per_class_on_embedded() -> None:
    ds = load_dataset(cfg(name="mnist5k", images_per_class=20, validation=0.0))
    assert len(ds.y_train) + len(ds.y_test) == 200
    assert np.all(np.bincount(ds.y_test) == 4)


def test_normalisation_modes_standard_uses_train_stats() -> None:
    base = dict(name="mnist5k", train_size=300, test_size=100, split_seed=1)
    raw = load_dataset(cfg(**base, normalize="none"))
    std = load_dataset(cfg(**base, normalize="standard"))
    unit = load_dataset(cfg(**base, normalize="unit"))
    assert raw.x_train.max() == 255.0 and raw.x_train.dtype == np.float32
    np.testing.assert_allclose(unit.x_test, raw.x_test / 255.0, atol=1e-6)
    mean, sd = raw.x_train.astype(np.float64).mean(), raw.x_train.astype(np.float64).std()
    np.testing.assert_allclose(std.x_test, (raw.x_test - mean) / sd, atol=1e-4)
    np.testing.assert_allclose(std.x_val, (raw.x_val - mean) / sd, atol=1e-4)
    assert abs(float(std.x_train.mean())) < 1e-4 and abs(float(std.x_train.std()) - 1) < 1e-3
    assert abs(float(std.x_test.mean())) > 1e-4  # test set is not re-centred on itself
    assert std.info["normalization"]["mean"] == pytest.approx([mean])


def test_resize_matches_pillow_per_image() -> None:
    rng = np.random.default_rng(0)
    x = (rng.random((3, 13, 17, 2)) * 255).astype(np.float32)
    out = resize_images(x, (20, 9))
    assert out.shape == (3, 20, 9, 2) and out.dtype == np.float32
    for i in range(3):
        for c in range(2):
            ref = Image.fromarray(x[i, :, :, c]).resize((9, 20), Image.Resampling.BILINEAR)
            np.testing.assert_allclose(out[i, :, :, c], np.asarray(ref), atol=1e-3)
    np.testing.assert_array_equal(resize_images(x, (13, 17)), x)  # same size: untouched


def test_resize_and_channels_through_config() -> None:
    c = cfg(name="digits", image_size=(16, 12), channels=3, train_size=50, test_size=20)
    ds = load_dataset(c)
    assert_well_formed(ds, (16, 12, 3))
    np.testing.assert_array_equal(ds.x_train[..., 0], ds.x_train[..., 2])
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0


def test_stratified_split_helper_covers_classes() -> None:
    y = np.repeat(np.arange(5), [2, 3, 10, 40, 45])
    take, rest = stratified_split(y, 10, np.random.default_rng(0))
    assert len(take) == 10 and len(rest) == 90
    assert sorted(np.concatenate([take, rest]).tolist()) == list(range(100))
    assert set(y[take].tolist()) == set(range(5)) and set(y[rest].tolist()) == set(range(5))


# --------------------------------------------------------------------------- Keras file formats


def test_mnist_npz(tmp_path: Path) -> None:
    write_mnist_npz(tmp_path)
    ds = load_dataset(cfg(name="mnist", data_dir=str(tmp_path), validation=0.1))
    assert_well_formed(ds, (28, 28, 1))
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (18, 2, 10)
    np.testing.assert_array_equal(ds.y_test, np.arange(10) % 10)  # official test kept in order
    # pixel value encodes the label
    expected = 10 * ds.y_test + np.arange(10) % 7
    np.testing.assert_allclose(ds.x_test[:, 5, 5, 0] * 255, expected, atol=1e-3)
    assert ds.info["test_from"] == "official" and ds.info["source"] == str(tmp_path / "mnist.npz")
    assert ds.class_names == [str(i) for i in range(10)]


def test_official_test_fingerprint_is_seed_independent(tmp_path: Path) -> None:
    write_mnist_npz(tmp_path)
    a = load_dataset(cfg(name="mnist", data_dir=str(tmp_path), split_seed=0))
    b = load_dataset(cfg(name="mnist", data_dir=str(tmp_path), split_seed=1))
    c = load_dataset(cfg(name="mnist", data_dir=str(tmp_path), test_size=5))
    assert a.info["fingerprint"] == b.info["fingerprint"]
    assert not np.array_equal(a.y_train, b.y_train)
    assert c.info["fingerprint"] != a.info["fingerprint"] and len(c.y_test) == 5
    with pytest.raises(DataUnavailableError, match="test_size 11"):
        load_dataset(cfg(name="mnist", data_dir=str(tmp_path), test_size=11))


def test_mnist_channels_to_rgb(tmp_path: Path) -> None:
    write_mnist_npz(tmp_path)
    ds = load_dataset(cfg(name="mnist", data_dir=str(tmp_path), channels=3, image_size=(32, 32)))
    assert_well_formed(ds, (32, 32, 3))
    np.testing.assert_array_equal(ds.x_test[..., 0], ds.x_test[..., 1])


def test_keras_home_cache_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "khome"
    write_mnist_npz(home / "datasets", n_train=30)
    monkeypatch.setenv("KERAS_HOME", str(home))
    ds = load_dataset(cfg(name="mnist", validation=0.0))
    assert len(ds.y_train) == 30
    assert ds.info["source"] == str(home / "datasets" / "mnist.npz")
    # data_dir is searched first, the Keras cache after it
    other = tmp_path / "other"
    write_mnist_npz(other, n_train=20)
    assert len(load_dataset(cfg(name="mnist", data_dir=str(other), validation=0.0)).y_train) == 20
    fallback = load_dataset(cfg(name="mnist", data_dir=str(tmp_path / "none"), validation=0.0))
    assert len(fallback.y_train) == 30


def test_raw_arrays_cached_per_process(tmp_path: Path) -> None:
    write_mnist_npz(tmp_path)
    c = cfg(name="mnist", data_dir=str(tmp_path))
    assert load_raw(c) is load_raw(c)
    assert not load_raw(c).x_train.flags.writeable


def test_fashion_mnist_idx(tmp_path: Path) -> None:
    write_fashion(tmp_path)
    ds = load_dataset(cfg(name="fashion_mnist", data_dir=str(tmp_path), normalize="none"))
    assert_well_formed(ds, (28, 28, 1))
    assert len(ds.y_train) + len(ds.y_val) == 30 and len(ds.y_test) == 10
    assert ds.class_names[0] == "T-shirt/top" and ds.class_names[9] == "Ankle boot"
    np.testing.assert_array_equal(ds.x_test[:, 3, 3, 0], 10 * ds.y_test + np.arange(10) % 7)
    assert ds.x_test.max() == 255.0


def test_fashion_mnist_missing_file_named(tmp_path: Path) -> None:
    sub = write_fashion(tmp_path)
    (sub / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DataUnavailableError) as err:
        load_dataset(cfg(name="fashion_mnist", data_dir=str(tmp_path)))
    msg = str(err.value)
    assert "\n" not in msg and "lacks t10k-images-idx3-ubyte.gz" in msg and str(tmp_path) in msg


def _check_cifar10(ds: Dataset, n_train: int) -> None:
    assert_well_formed(ds, (32, 32, 3))
    assert len(ds.y_train) + len(ds.y_val) == n_train and len(ds.y_test) == 10
    assert ds.class_names == CIFAR10_NAMES
    # channel-first rows were transposed to NHWC: R, G, B planes hold 10/100/200 + label
    np.testing.assert_array_equal(ds.x_test[:, 4, 4, 0], 10 + ds.y_test)
    np.testing.assert_array_equal(ds.x_test[:, 4, 4, 1], 100 + ds.y_test)
    np.testing.assert_array_equal(ds.x_test[:, 4, 4, 2], 200 + ds.y_test)
    assert np.all(ds.x_test[:, 0, 5, 0] == 0) and np.all(ds.x_test[:, 5, 0, 0] != 0)


def test_cifar10_extracted_folder(tmp_path: Path) -> None:
    write_cifar10(tmp_path)
    ds = load_dataset(cfg(name="cifar10", data_dir=str(tmp_path), normalize="none"))
    _check_cifar10(ds, 50)
    with_val = load_dataset(cfg(name="cifar10", data_dir=str(tmp_path), validation=0.2))
    assert every_split_has(with_val, set(range(10)))


def test_cifar10_tar_gz_read_without_extracting(tmp_path: Path) -> None:
    build = tmp_path / "build"
    write_cifar10(build)
    data = tmp_path / "data"
    data.mkdir()
    with tarfile.open(data / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(build / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    ds = load_dataset(cfg(name="cifar10", data_dir=str(data), normalize="none"))
    _check_cifar10(ds, 50)
    assert ds.info["source"] == str(data / "cifar-10-python.tar.gz")
    assert sorted(p.name for p in data.iterdir()) == ["cifar-10-python.tar.gz"]  # nothing extracted


def test_cifar10_keras3_cache_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keras 3 extracts to datasets/cifar-10-batches-py-target/cifar-10-batches-py/."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    write_cifar10(tmp_path / "datasets" / "cifar-10-batches-py-target")
    _check_cifar10(load_dataset(cfg(name="cifar10", normalize="none")), 50)


def test_cifar10_to_gray_uses_601_luma(tmp_path: Path) -> None:
    write_cifar10(tmp_path)
    ds = load_dataset(cfg(name="cifar10", data_dir=str(tmp_path), normalize="none", channels=1))
    assert_well_formed(ds, (32, 32, 1))
    y = ds.y_test.astype(np.float32)
    expected = 0.299 * (10 + y) + 0.587 * (100 + y) + 0.114 * (200 + y)
    np.testing.assert_allclose(ds.x_test[:, 4, 4, 0], expected, rtol=1e-5)


def test_cifar10_missing_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    khome = tmp_path / "kh"
    monkeypatch.setenv("KERAS_HOME", str(khome))
    with pytest.raises(DataUnavailableError) as err:
        load_dataset(cfg(name="cifar10", data_dir=str(tmp_path / "data")))
    msg = str(err.value)
    assert "\n" not in msg
    assert "'cifar10'" in msg and "cifar-10-python.tar.gz" in msg and "cifar-10-batches-py/" in msg
    assert str(tmp_path / "data") in msg and str(khome / "datasets") in msg
    assert "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in msg


@pytest.mark.parametrize(
    "name, file", [("mnist", "mnist.npz"), ("cifar100", "cifar-100-python.tar.gz")]
)
def test_missing_message_names_file_and_folder(tmp_path: Path, name: str, file: str) -> None:
    with pytest.raises(DataUnavailableError) as err:
        load_dataset(cfg(name=name, data_dir=str(tmp_path)))
    msg = str(err.value)
    assert file in msg and str(tmp_path) in msg and "\n" not in msg


def test_cifar100_fine_coarse_both(tmp_path: Path) -> None:
    write_cifar100(tmp_path)
    fine = load_dataset(cfg(name="cifar100", data_dir=str(tmp_path), labels="fine"))
    assert_well_formed(fine, (32, 32, 3))
    assert fine.num_classes == 100 and fine.class_names[3] == "fine3"
    assert fine.target_classes["coarse_label"] == [f"coarse{i}" for i in range(20)]
    pairs = (
        (fine.y_train, fine.target("coarse_label", "train")),
        (fine.y_val, fine.target("coarse_label", "val")),
        (fine.y_test, fine.target("coarse_label", "test")),
    )
    for y, c in pairs:
        assert c is not None and c.dtype == np.int64
        np.testing.assert_array_equal(c, y // 2)
    assert len(fine.y_test) == 20 and len(fine.y_train) + len(fine.y_val) == 40

    both = load_dataset(cfg(name="cifar100", data_dir=str(tmp_path), labels="both"))
    np.testing.assert_array_equal(both.y_train, fine.y_train)
    np.testing.assert_array_equal(both.target("coarse_label", "test"), fine.target("coarse_label", "test"))

    coarse = load_dataset(cfg(name="cifar100", data_dir=str(tmp_path), labels="coarse"))
    assert coarse.class_names == [f"coarse{i}" for i in range(20)] and coarse.num_classes == 20
    assert set(coarse.y_test.tolist()) == {0, 1, 2, 3, 4}
    np.testing.assert_array_equal(coarse.target("coarse_label", "test"), coarse.y_test)
    assert coarse.target_classes["coarse_label"] == coarse.class_names


def test_cifar100_classes_and_tar(tmp_path: Path) -> None:
    build = tmp_path / "build"
    write_cifar100(build)
    with tarfile.open(tmp_path / "cifar-100-python.tar.gz", "w:gz") as tar:
        tar.add(build / "cifar-100-python", arcname="cifar-100-python")
    ds = load_dataset(cfg(name="cifar100", data_dir=str(tmp_path), classes=4, validation=0.0))
    assert ds.class_names == ["fine0", "fine1", "fine2", "fine3"]
    assert set(ds.y_train.tolist()) == {0, 1, 2, 3}
    assert len(ds.y_train) == 16 and len(ds.y_test) == 8
    np.testing.assert_array_equal(ds.target("coarse_label", "train"), ds.y_train // 2)


def test_coarse_labels_only_for_cifar100(tmp_path: Path) -> None:
    write_mnist_npz(tmp_path)
    with pytest.raises(BenchError, match="no coarse labels"):
        load_dataset(cfg(name="mnist", data_dir=str(tmp_path), labels="coarse"))


# --------------------------------------------------------------------------- image folders


def test_folder_flat_layout(tmp_path: Path) -> None:
    write_folder(tmp_path / "imgs")
    c = cfg(name="folder", data_dir=str(tmp_path / "imgs"), validation=0.0, normalize="none")
    ds = load_dataset(c)
    assert_well_formed(ds, (64, 64, 3))
    assert ds.class_names == ["cat", "dog", "fish"]
    assert len(ds.y_train) == 12 and len(ds.y_test) == 3  # 20% of 15, one per class
    assert ds.x_val.shape == (0, 64, 64, 3)  # val is empty by request
    assert set(ds.y_test.tolist()) == {0, 1, 2}
    assert ds.x_train.max() <= 255.0 and ds.x_train.min() >= 0.0
    assert ds.info["test_from"] == "split" and ds.info["loader"]["layout"] == "flat"


def test_folder_split_layout_size_classes_and_cap(tmp_path: Path) -> None:
    root = tmp_path / "imnet"
    write_folder(root / "train", classes=("a", "b", "c", "d"), per_class=6)
    write_folder(root / "val", classes=("a", "b", "c", "d"), per_class=2)
    c = dict(name="folder", data_dir=str(root), image_size=(24, 20), classes=3, images_per_class=4)
    ds = load_dataset(cfg(**c))
    assert_well_formed(ds, (24, 20, 3))
    assert ds.class_names == ["a", "b", "c"]
    assert len(ds.y_train) + len(ds.y_val) == 12 and len(ds.y_test) == 6
    assert ds.info["test_from"] == "official"
    assert ds.info["loader"]["test_folder"] == str(root / "val")
    again = load_dataset(cfg(**c, normalize="standard"))
    assert again.info["fingerprint"] == ds.info["fingerprint"]
    gray = load_dataset(cfg(**c, channels=1))
    assert gray.input_shape == (24, 20, 1)


def test_folder_pixels_are_rgb_and_resized(tmp_path: Path) -> None:
    root = tmp_path / "solid"
    for cls, colour in (("blue", (0, 0, 255)), ("red", (255, 0, 0))):
        (root / cls).mkdir(parents=True)
        for i in range(5):
            Image.new("RGB", (40 + i, 30), colour).save(root / cls / f"{i}.png")
    ds = load_dataset(cfg(name="folder", data_dir=str(root), image_size=(8, 8), validation=0.0))
    red = ds.x_train[ds.y_train == 1]
    assert len(red) > 0
    np.testing.assert_allclose(red[..., 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(red[..., 1:], 0.0, atol=1e-6)
    assert ds.class_names == ["blue", "red"]


def test_folder_missing_or_empty(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailableError, match="does not exist"):
        load_dataset(cfg(name="folder", data_dir=str(tmp_path / "nope")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataUnavailableError, match="need at least 2"):
        load_dataset(cfg(name="folder", data_dir=str(tmp_path / "empty")))
    with pytest.raises(DataUnavailableError, match="data_dir is not set"):
        load_dataset(cfg(name="folder"))


# --------------------------------------------------------------------------- no TensorFlow


@pytest.mark.slow
def test_datasets_package_never_imports_tensorflow() -> None:
    code = (
        "import sys, bench.datasets, bench.datasets.prepare, bench.datasets.registry, "
        "bench.datasets.keras_files, bench.datasets.folder, bench.datasets.embedded\n"
        "from bench.config import DatasetConfig\n"
        "bench.datasets.load_dataset(DatasetConfig(name='digits'))\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
