"""Readers for the standard files Keras downloads (MNIST, Fashion-MNIST, CIFAR-10/100).

Nothing is ever downloaded: this machine may have no network, and a benchmark
must not fetch data silently mid-run.  We look in ``dataset.data_dir`` first,
then in the Keras cache (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``),
so files fetched once by ``keras.datasets.*.load_data()`` are reused as-is.
When nothing is found the error names every folder searched, the exact files
expected and where to get them.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import struct
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np

from bench.datasets.dataset import COARSE_LABEL
from bench.datasets.raw import RawData
from bench.errors import DataUnavailableError

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR100_URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"

FASHION_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
FASHION_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]  # fmt: skip
CIFAR10_NAMES = [
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
]  # fmt: skip
CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
CIFAR100_FILES = ("train", "test", "meta")


@dataclass(frozen=True)
class FileLayout:
    """Where a dataset's files lie inside a searched folder: the loader reads them from there,
    and ``bench run`` looks there before anything trains (:mod:`bench.datachecks`)."""

    folders: tuple[str, ...]  # sub-folders holding every file ("" is the searched folder itself)
    files: tuple[str, ...]
    archives: tuple[str, ...] = ()  # or one of these archives, right in a searched folder
    described: str = ""  # what to put there, for a message


#: The one table of where each Keras-file dataset is found.
LAYOUTS: dict[str, FileLayout] = {
    "mnist": FileLayout(("",), ("mnist.npz",), (), "mnist.npz"),
    "fashion_mnist": FileLayout(
        ("fashion-mnist", ""), FASHION_FILES, (), "a fashion-mnist/ folder with the four *-idx*-ubyte.gz files"
    ),
    "cifar10": FileLayout(
        ("cifar-10-batches-py", "cifar-10-batches-py-target/cifar-10-batches-py", ""),
        CIFAR10_FILES,
        ("cifar-10-python.tar.gz", "cifar-10-batches-py.tar.gz", "cifar-10-batches-py-target_archive"),
        "cifar-10-batches-py/ or cifar-10-python.tar.gz",
    ),
    "cifar100": FileLayout(
        ("cifar-100-python", "cifar-100-python-target/cifar-100-python", ""),
        CIFAR100_FILES,
        ("cifar-100-python.tar.gz", "cifar-100-python-target_archive"),
        "cifar-100-python/ or cifar-100-python.tar.gz",
    ),
}  # fmt: skip


# --------------------------------------------------------------------------- locating


def keras_datasets_dir() -> Path:
    """Where Keras caches datasets, resolved as Keras itself does (read at call time)."""
    if "KERAS_HOME" in os.environ:
        base = Path(os.path.expanduser(os.environ["KERAS_HOME"]))
    else:
        home = os.path.expanduser("~")
        base = Path(home if os.access(home, os.W_OK) else "/tmp") / ".keras"
    if base.exists() and not os.access(base, os.W_OK):
        base = Path("/tmp") / ".keras"  # Keras' fallback for a read-only cache
    return base / "datasets"


def search_dirs(data_dir: Optional[str]) -> tuple[str, ...]:
    """The folders a Keras-file dataset is looked for in, in order: data_dir, Keras cache."""
    dirs: list[str] = []
    if data_dir:
        dirs.append(str(Path(os.path.expanduser(data_dir)).resolve()))
    cache = str(keras_datasets_dir())
    if cache not in dirs:
        dirs.append(cache)
    return tuple(dirs)


def _missing(name: str, what: str, dirs: Sequence[str], fetch: str) -> DataUnavailableError:
    """One line: the dataset, every folder searched, the files expected, where to get them.

    ``fetch`` is a sentence fragment ending where the folder goes, e.g.
    "download URL and put it in".
    """
    where = " or ".join(dirs)
    target = "that folder" if len(dirs) == 1 else "one of those folders"
    return DataUnavailableError(
        f"dataset {name!r}: no {what} in {where}; {fetch} {target}, "
        "or set dataset.data_dir to the folder holding it"
    )


def _bad_file(name: str, path: object, why: str) -> DataUnavailableError:
    return DataUnavailableError(f"dataset {name!r}: cannot read {path}: {why}")


# --------------------------------------------------------------------------- MNIST


def load_mnist(dirs: Sequence[str]) -> RawData:
    """Keras' ``mnist.npz`` (x_train, y_train, x_test, y_test) as (N, 28, 28, 1) uint8."""
    layout = LAYOUTS["mnist"]
    for path in (Path(d) / sub / layout.files[0] for d in dirs for sub in layout.folders):
        if path.is_file():
            try:
                with np.load(path, allow_pickle=False) as f:
                    arrays = {k: f[k] for k in ("x_train", "y_train", "x_test", "y_test")}
            except (OSError, ValueError, KeyError) as exc:
                raise _bad_file("mnist", path, f"{type(exc).__name__}: {exc}") from exc
            return RawData(
                name="mnist",
                x_train=_nhwc_gray(arrays["x_train"]),
                y_train=arrays["y_train"],
                x_test=_nhwc_gray(arrays["x_test"]),
                y_test=arrays["y_test"],
                class_names=[str(i) for i in range(10)],
                max_value=255.0,
                source=str(path),
            )
    raise _missing("mnist", "mnist.npz", dirs, f"download {KERAS_URL}mnist.npz and put it in")


def _nhwc_gray(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    return x[..., np.newaxis] if x.ndim == 3 else x


# --------------------------------------------------------------------------- Fashion-MNIST


def _read_idx(path: Path, name: str, expect_magic: int) -> np.ndarray:
    """Parse a gzipped IDX file (big-endian header: magic, then one uint32 per dimension)."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise _bad_file(name, path, f"{type(exc).__name__}: {exc}") from exc
    if len(raw) < 8:
        raise _bad_file(name, path, "file too short for an IDX header")
    (magic,) = struct.unpack(">I", raw[:4])
    if magic != expect_magic:
        raise _bad_file(name, path, f"IDX magic {magic:#010x}, expected {expect_magic:#010x}")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    data = np.frombuffer(raw, dtype=np.uint8, offset=header)
    if data.size != int(np.prod(dims)):
        raise _bad_file(name, path, f"{data.size} bytes of data for shape {dims}")
    return data.reshape(dims)


def load_fashion_mnist(dirs: Sequence[str]) -> RawData:
    """Keras' four gzipped IDX files from a ``fashion-mnist/`` folder, (N, 28, 28, 1) uint8."""
    candidates = [Path(d) / sub for sub in LAYOUTS["fashion_mnist"].folders for d in dirs]
    for folder in candidates:
        paths = [folder / f for f in FASHION_FILES]
        if all(p.is_file() for p in paths):
            y_train = _read_idx(paths[0], "fashion_mnist", 0x00000801)
            x_train = _read_idx(paths[1], "fashion_mnist", 0x00000803)
            y_test = _read_idx(paths[2], "fashion_mnist", 0x00000801)
            x_test = _read_idx(paths[3], "fashion_mnist", 0x00000803)
            for x, y, p in ((x_train, y_train, paths[1]), (x_test, y_test, paths[3])):
                if len(x) != len(y):
                    raise _bad_file("fashion_mnist", p, f"{len(x)} images but {len(y)} labels")
            return RawData(
                name="fashion_mnist",
                x_train=x_train[..., np.newaxis],
                y_train=y_train,
                x_test=x_test[..., np.newaxis],
                y_test=y_test,
                class_names=list(FASHION_NAMES),
                max_value=255.0,
                source=str(folder),
            )
    partial = [
        (folder, [f for f in FASHION_FILES if not (folder / f).is_file()])
        for folder in candidates
        if folder.is_dir() and any((folder / f).is_file() for f in FASHION_FILES)
    ]
    detail = ""
    if partial:
        folder, lacking = partial[0]
        detail = f" ({folder} lacks {', '.join(lacking)})"
    raise _missing(
        "fashion_mnist",
        f"fashion-mnist/ folder holding {', '.join(FASHION_FILES)}{detail}",
        dirs,
        f"download the four files from {KERAS_URL}<file name> into a fashion-mnist/ "
        "sub-folder of",
    )


# --------------------------------------------------------------------------- CIFAR

def _cifar_source(
    name: str,
    dirs: Sequence[str],
    folder_names: Sequence[str],
    archive_names: Sequence[str],
    needed: Sequence[str],
) -> tuple[str, dict[str, bytes] | Path]:
    """Find an extracted CIFAR folder or its .tar.gz; returns (source, folder or member bytes)."""
    for d in dirs:
        base = Path(d)
        for folder in [base / f for f in folder_names]:  # "" is base itself
            if all((folder / f).is_file() for f in needed):
                return str(folder), folder
    for d in dirs:
        for archive in archive_names:
            path = Path(d) / archive
            if path.is_file():
                return str(path), _read_tar_members(name, path, needed)
    return "", {}


def _read_tar_members(name: str, path: Path, needed: Sequence[str]) -> dict[str, bytes]:
    """Stream once through a .tar.gz, keeping the members whose base name is needed."""
    wanted = set(needed) | {"batches.meta", "meta"}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(path, "r|*") as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and base in wanted and base not in found:
                    fh = tar.extractfile(member)
                    if fh is not None:
                        found[base] = fh.read()
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise _bad_file(name, path, f"{type(exc).__name__}: {exc}") from exc
    lacking = [f for f in needed if f not in found]
    if lacking:
        raise _bad_file(name, path, f"archive lacks {', '.join(lacking)}")
    return found


def _unpickle(name: str, where: str, data: bytes) -> dict[str, Any]:
    """Load one CIFAR pickle (written by Python 2: bytes keys) with str keys."""
    try:
        obj = pickle.load(io.BytesIO(data), encoding="bytes")
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a bad file
        raise _bad_file(name, where, f"not a CIFAR pickle ({type(exc).__name__}: {exc})") from exc
    if not isinstance(obj, dict):
        raise _bad_file(name, where, f"not a CIFAR pickle (a {type(obj).__name__})")
    return {(k.decode("latin1") if isinstance(k, bytes) else str(k)): v for k, v in obj.items()}


def _member_reader(name: str, source: str, found: dict[str, bytes] | Path) -> Callable[[str], dict]:
    def read(member: str) -> dict[str, Any]:
        if isinstance(found, Path):
            path = found / member
            return _unpickle(name, str(path), path.read_bytes())
        return _unpickle(name, f"{source}:{member}", found[member])

    return read


def _cifar_images(name: str, where: str, batch: dict[str, Any]) -> np.ndarray:
    data = np.asarray(batch.get("data"), dtype=np.uint8) if "data" in batch else None
    if data is None or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        shape = None if data is None else data.shape
        raise _bad_file(name, where, f"'data' should be N×3072 uint8, got {shape}")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # channel-first rows → NHWC


def _names(values: Sequence[Any]) -> list[str]:
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


def _labels(name: str, where: str, batch: dict[str, Any], key: str, n: int) -> np.ndarray:
    if key not in batch:
        raise _bad_file(name, where, f"no {key!r} key (has {', '.join(sorted(batch))})")
    y = np.asarray(batch[key], dtype=np.int64).reshape(-1)
    if len(y) != n:
        raise _bad_file(name, where, f"{n} images but {len(y)} {key}")
    return y


def load_cifar10(dirs: Sequence[str]) -> RawData:
    """CIFAR-10 python batches (extracted folder or the .tar.gz) as (N, 32, 32, 3) uint8."""
    layout = LAYOUTS["cifar10"]
    source, found = _cifar_source("cifar10", dirs, layout.folders, layout.archives, layout.files)
    if not source:
        raise _missing(
            "cifar10",
            layout.described,
            dirs,
            f"download {CIFAR10_URL} and put it (or its extracted folder) in",
        )
    read = _member_reader("cifar10", source, found)
    xs, ys = [], []
    for member in CIFAR10_FILES:
        batch = read(member)
        x = _cifar_images("cifar10", f"{source}/{member}", batch)
        xs.append(x)
        ys.append(_labels("cifar10", f"{source}/{member}", batch, "labels", len(x)))
    class_names = list(CIFAR10_NAMES)
    if isinstance(found, Path):
        has_meta = (found / "batches.meta").is_file()
    else:
        has_meta = "batches.meta" in found
    if has_meta:
        meta = read("batches.meta")
        if "label_names" in meta:
            class_names = _names(meta["label_names"])
    return RawData(
        name="cifar10",
        x_train=np.concatenate(xs[:-1]),
        y_train=np.concatenate(ys[:-1]),
        x_test=xs[-1],
        y_test=ys[-1],
        class_names=class_names,
        max_value=255.0,
        source=source,
    )


def load_cifar100(dirs: Sequence[str]) -> RawData:
    """CIFAR-100 (train, test, meta) with both fine and coarse labels, (N, 32, 32, 3) uint8."""
    layout = LAYOUTS["cifar100"]
    source, found = _cifar_source("cifar100", dirs, layout.folders, layout.archives, layout.files)
    if not source:
        raise _missing(
            "cifar100",
            layout.described,
            dirs,
            f"download {CIFAR100_URL} and put it (or its extracted folder) in",
        )
    read = _member_reader("cifar100", source, found)
    parts = {}
    for member in ("train", "test"):
        where = f"{source}/{member}"
        batch = read(member)
        x = _cifar_images("cifar100", where, batch)
        fine = _labels("cifar100", where, batch, "fine_labels", len(x))
        coarse = _labels("cifar100", where, batch, "coarse_labels", len(x))
        parts[member] = (x, fine, coarse)
    meta = read("meta")
    for key in ("fine_label_names", "coarse_label_names"):
        if key not in meta:
            raise _bad_file("cifar100", f"{source}/meta", f"no {key!r} key")
    return RawData(
        name="cifar100",
        x_train=parts["train"][0],
        y_train=parts["train"][1],
        targets_train={COARSE_LABEL: parts["train"][2]},
        x_test=parts["test"][0],
        y_test=parts["test"][1],
        targets_test={COARSE_LABEL: parts["test"][2]},
        class_names=_names(meta["fine_label_names"]),
        target_classes={COARSE_LABEL: _names(meta["coarse_label_names"])},
        max_value=255.0,
        source=source,
    )
