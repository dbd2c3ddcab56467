"""Name → raw loader, with a per-process cache of the raw arrays.

A worker trains many runs on one dataset; reading and decoding the files once
per process (keyed by name and resolved folders) saves seconds to minutes per
run.  Cached arrays are read-only; :mod:`bench.datasets.prepare` copies what it uses.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, Optional

from bench.datasets.config import DATASET_NAMES, DatasetConfig
from bench.datasets.raw import RawData
from bench.errors import BenchError

FolderKey = Optional[tuple[str, Optional[tuple[int, int]], Optional[int], Optional[int], int]]


def _keras_loader(name: str) -> Callable[[tuple[str, ...]], RawData]:
    from bench.datasets.keras_files import load_cifar10, load_cifar100, load_fashion_mnist, load_mnist

    return {
        "mnist": load_mnist,
        "fashion_mnist": load_fashion_mnist,
        "cifar10": load_cifar10,
        "cifar100": load_cifar100,
    }[name]


@lru_cache(maxsize=4)
def _load_raw_cached(name: str, dirs: tuple[str, ...], folder_key: FolderKey) -> RawData:
    if name == "digits":
        from bench.datasets.embedded import load_digits

        return load_digits()
    if name == "mnist5k":
        from bench.datasets.embedded import load_mnist5k

        return load_mnist5k()
    if name == "folder":
        from bench.datasets.folder import load_folder

        assert folder_key is not None
        data_dir, size, classes, per_class, seed = folder_key
        return load_folder(data_dir, size, classes, per_class, seed)
    if name in ("mnist", "fashion_mnist", "cifar10", "cifar100"):
        return _keras_loader(name)(dirs)
    raise BenchError(f"unknown dataset {name!r}; allowed: {', '.join(sorted(DATASET_NAMES))}")


def load_raw(config: DatasetConfig) -> RawData:
    """The dataset's arrays as stored (no splits, no preprocessing), cached per process."""
    name = config.name
    if name in ("digits", "mnist5k"):
        return _load_raw_cached(name, (), None)
    if name == "folder":
        import os
        from pathlib import Path

        from bench.datasets.folder import DEFAULT_FOLDER_SIZE

        data_dir = (
            str(Path(os.path.expanduser(config.data_dir)).resolve()) if config.data_dir else ""
        )
        size = tuple(config.image_size) if config.image_size else DEFAULT_FOLDER_SIZE
        per_class = config.images_per_class
        seed = config.split_seed if per_class is not None else 0  # seed only picks capped files
        key = (data_dir, size, config.classes, per_class, seed)
        return _load_raw_cached(name, (), key)  # type: ignore[arg-type]
    from bench.datasets.keras_files import search_dirs

    return _load_raw_cached(name, search_dirs(config.data_dir), None)


def clear_cache() -> None:
    """Drop every cached raw dataset."""
    _load_raw_cached.cache_clear()
