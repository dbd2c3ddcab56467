"""ImageNet-style image folders: ``<data_dir>/<class>/<image>.jpg``.

Two layouts are accepted:

* flat: ``data_dir/<class>/*`` — the test split is carved out later by
  :mod:`bench.datasets.prepare`;
* split: ``data_dir/train/<class>/*`` plus ``data_dir/test/<class>/*`` (or
  ``val/`` when there is no ``test/``) used as the official test set.

Class names are the sub-folder names in sorted order; ``classes: K`` keeps the
first K of them and ``images_per_class`` reads at most that many files per
class (in each of train/ and test/), so a profile of a large folder only
decodes what it uses.  Images are decoded with Pillow, converted to RGB and
resized (bilinear) to ``image_size`` while loading, because folder images
rarely share one size.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from bench.datasets.raw import RawData
from bench.errors import DataUnavailableError

DEFAULT_FOLDER_SIZE: tuple[int, int] = (64, 64)
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
TEST_SUBDIRS = ("test", "val")


def _visible_dirs(folder: Path) -> list[Path]:
    return sorted(
        (p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.name,
    )


def _image_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_EXTENSIONS
    )


def _decode(path: Path, size: tuple[int, int]) -> np.ndarray:
    """One image → (h, w, 3) uint8; JPEG draft mode decodes big photos at reduced scale first."""
    from PIL import Image

    h, w = size
    try:
        with Image.open(path) as img:
            if img.format == "JPEG":
                img.draft("RGB", (w, h))
            rgb = img.convert("RGB")
            if rgb.size != (w, h):
                rgb = rgb.resize((w, h), Image.Resampling.BILINEAR)
            return np.asarray(rgb, dtype=np.uint8)
    except (OSError, ValueError) as exc:
        raise DataUnavailableError(
            f"dataset 'folder': cannot read image {path}: {type(exc).__name__}: {exc}"
        ) from exc


def _collect(
    root: Path,
    class_names: Sequence[str],
    images_per_class: Optional[int],
    rng: np.random.Generator,
) -> tuple[list[Path], np.ndarray]:
    files: list[Path] = []
    labels: list[int] = []
    for label, cls in enumerate(class_names):
        folder = root / cls
        found = _image_files(folder) if folder.is_dir() else []
        if images_per_class is not None and len(found) > images_per_class:
            keep = np.sort(rng.choice(len(found), size=images_per_class, replace=False))
            found = [found[i] for i in keep]
        files.extend(found)
        labels.extend([label] * len(found))
    return files, np.asarray(labels, dtype=np.int64)


def _decode_all(files: Sequence[Path], size: tuple[int, int]) -> np.ndarray:
    if not files:
        return np.zeros((0, size[0], size[1], 3), dtype=np.uint8)
    workers = max(1, min(8, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:  # Pillow releases the GIL while decoding
        images = list(pool.map(lambda p: _decode(p, size), files))
    return np.stack(images)


def load_folder(
    data_dir: Optional[str],
    image_size: Optional[tuple[int, int]] = None,
    classes: Optional[int] = None,
    images_per_class: Optional[int] = None,
    seed: int = 0,
) -> RawData:
    """Read an image-folder dataset into (N, h, w, 3) uint8 arrays.

    ``seed`` picks which files survive ``images_per_class`` (deterministic).
    """
    if not data_dir:
        raise DataUnavailableError(
            "dataset 'folder': dataset.data_dir is not set; point it at a folder with one "
            "sub-folder of JPEG/PNG images per class (optionally under train/ and test/)"
        )
    root = Path(os.path.expanduser(data_dir)).resolve()
    if not root.is_dir():
        raise DataUnavailableError(
            f"dataset 'folder': data_dir {root} does not exist; it should hold one sub-folder "
            "of JPEG/PNG images per class (optionally under train/ and test/)"
        )
    size = tuple(image_size) if image_size else DEFAULT_FOLDER_SIZE
    train_root = root / "train"
    layout = "flat"
    test_root: Optional[Path] = None
    if train_root.is_dir() and _visible_dirs(train_root):
        layout = "split"
        for sub in TEST_SUBDIRS:
            if (root / sub).is_dir():
                test_root = root / sub
                break
    else:
        train_root = root
    all_classes = [p.name for p in _visible_dirs(train_root) if _image_files(p)]
    if len(all_classes) < 2:
        raise DataUnavailableError(
            f"dataset 'folder': {train_root} holds {len(all_classes)} class folder(s) with "
            f"images ({', '.join(sorted(IMAGE_EXTENSIONS))}); need at least 2, "
            "one sub-folder of images per class"
        )
    class_names = all_classes[:classes] if classes else all_classes
    rng = np.random.default_rng([seed, 0x1F01DE4])
    train_files, y_train = _collect(train_root, class_names, images_per_class, rng)
    x_train = _decode_all(train_files, size)  # type: ignore[arg-type]
    x_test = y_test = None
    if test_root is not None:
        test_files, y_test = _collect(test_root, class_names, images_per_class, rng)
        if len(test_files):
            x_test = _decode_all(test_files, size)  # type: ignore[arg-type]
        else:
            test_root, y_test = None, None
    return RawData(
        name="folder",
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        class_names=class_names,
        max_value=255.0,
        source=str(root),
        info={
            "layout": layout,
            "test_folder": str(test_root) if test_root is not None else None,
            "classes_found": len(all_classes),
            "loaded_size": list(size),
        },
    )
