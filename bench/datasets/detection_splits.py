"""Detection data (``mnist_det``, ``voc``, ``coco``) → the :class:`Dataset` a run trains on.

A detection dataset carries three targets per split, one row per image, the ragged
per-image object lists padded to the split's most objects in one image:

* ``boxes`` float32 (N, G, 4): corners ``(xmin, ymin, xmax, ymax)`` in pixels of the
  prepared image (continuous coordinates, :mod:`bench.detection`);
* ``box_labels`` int32 (N, G): class index from 0, **-1 marks a padding slot**;
* ``difficult`` bool (N, G): VOC's flag / COCO's crowd regions (ignored by the metrics).

Splits: the official test set (mnist_det: canvases of test digits only); validation is
drawn at random (``split_seed``, and ``resample_seed`` under ``resample: per_seed``)
from the training images, as for classification: with ``train_size = T`` there are
exactly T training images and ``round(T·v/(1-v))`` validation images, else
``round(v·P)`` of the P training images validate.  ``test_size`` keeps the first test
images.  Pixels: channels and ``image_size`` are applied (boxes scaled with the image),
then ``normalize`` as for classification.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Optional

import numpy as np

from bench.datasets.config import DatasetConfig, MnistDetSection
from bench.datasets.dataset import Dataset
from bench.datasets.detection_data import DetectionData, DetectionSplit
from bench.errors import BenchError, DataUnavailableError

__all__ = [
    "BOXES", "BOX_LABELS", "DETECTION_TARGETS", "DIFFICULT", "annotation_problem", "image_objects", "load_detection",
    "pad_objects",
]  # fmt: skip

BOXES = "boxes"
BOX_LABELS = "box_labels"
DIFFICULT = "difficult"
#: The targets every detection dataset carries.
DETECTION_TARGETS: tuple[str, ...] = (BOXES, BOX_LABELS, DIFFICULT)
DEFAULT_TRAIN_CANVASES = 2000
DEFAULT_TEST_CANVASES = 500
DEFAULT_IMAGE_SIZE = (300, 300)


def pad_objects(split: DetectionSplit) -> dict[str, np.ndarray]:
    """The split's per-image objects as padded arrays (see the module docstring)."""
    count = len(split)
    width = max((len(lab) for lab in split.labels), default=0)
    boxes = np.zeros((count, width, 4), dtype=np.float32)
    labels = np.full((count, width), -1, dtype=np.int32)
    difficult = np.zeros((count, width), dtype=bool)
    for i, (b, lab, d) in enumerate(zip(split.boxes, split.labels, split.difficult)):
        k = len(lab)
        boxes[i, :k] = np.asarray(b, dtype=np.float32).reshape(-1, 4)
        labels[i, :k] = lab
        difficult[i, :k] = d
    return {BOXES: boxes, BOX_LABELS: labels, DIFFICULT: difficult}


def image_objects(data: Dataset, split: str) -> list[dict[str, np.ndarray]]:
    """Ground truth per image of ``split`` (padding dropped), as
    :func:`bench.detection.evaluation.evaluate_detections` takes it."""
    boxes = data.target(BOXES, split)
    labels = data.target(BOX_LABELS, split)
    difficult = data.target(DIFFICULT, split)
    objects = []
    for b, lab, d in zip(boxes, labels, difficult):
        real = lab >= 0
        objects.append({"boxes": b[real].astype(np.float64), "labels": lab[real].astype(np.int64),
                         "difficult": d[real].astype(bool)})  # fmt: skip
    return objects


def _validation_count(config: DatasetConfig, pool: Optional[int]) -> tuple[int, int]:
    """(training + validation images to read, of them validation): with ``train_size`` T,
    T + round(T·v/(1-v)); else the whole ``pool``, of which round(v·pool) validate."""
    v = float(config.validation)
    if config.train_size is not None:
        n_val = int(round(config.train_size * v / (1.0 - v)))
        return config.train_size + n_val, n_val
    if pool is None:
        raise ValueError("without train_size the number of training images must be known")
    return pool, int(round(v * pool))


def _subset(split: DetectionSplit, index: np.ndarray) -> DetectionSplit:
    return DetectionSplit(
        images=split.images[index],
        boxes=[split.boxes[i] for i in index],
        labels=[split.labels[i] for i in index],
        difficult=[split.difficult[i] for i in index],
        ids=[split.ids[i] for i in index],
    )


def _read(config: DatasetConfig) -> tuple[DetectionData, int]:
    """The raw detection data and how many of its training images validate."""
    if config.name == "mnist_det":
        from bench.datasets.mnist_det import MnistDetOptions, make_mnist_det

        section = config.mnist_det or MnistDetSection()
        train_size = config.train_size or DEFAULT_TRAIN_CANVASES
        total, n_val = _validation_count(config.model_copy(update={"train_size": train_size}), None)
        train_size = total
        options = MnistDetOptions(
            canvas_size=section.canvas_size, digits_per_canvas=tuple(section.digits_per_canvas),
            digit_size=tuple(section.digit_size), max_overlap=section.max_overlap,
            train_canvases=train_size, test_canvases=config.test_size or DEFAULT_TEST_CANVASES,
            test_fraction=section.test_fraction, split_seed=config.split_seed,
        )  # fmt: skip
        return make_mnist_det(options), n_val
    if not config.data_dir:
        raise DataUnavailableError(
            f"dataset {config.name!r} needs data_dir: the folder holding its files "
            f"({'a VOC year folder, e.g. VOCdevkit/VOC2007' if config.name == 'voc' else 'annotations/ and image folders'})"
        )
    root = Path(config.data_dir).expanduser()
    if not root.is_dir():
        raise DataUnavailableError(f"dataset {config.name!r}: data_dir {str(root)!r} is not a folder")
    size = tuple(config.image_size) if config.image_size else DEFAULT_IMAGE_SIZE
    wanted = None
    if config.train_size is not None:
        wanted, _ = _validation_count(config, None)
    if config.name == "voc":
        from bench.datasets.config import VocSection
        from bench.datasets.voc import VOC_CLASSES, load_voc

        section = config.voc or VocSection()
        names = list(section.label_map or VOC_CLASSES)
        train = load_voc(root, section.train_split, size, names, section.keep_difficult, wanted)
        test = load_voc(root, section.test_split, size, names, section.keep_difficult, config.test_size)
        source = f"Pascal VOC in {root} ({section.train_split} / {section.test_split})"
    elif config.name == "coco":
        from bench.datasets.coco import load_coco
        from bench.datasets.config import CocoSection

        section_c = config.coco or CocoSection()
        train, names = load_coco(root / section_c.train_annotations, root / section_c.train_images, size, wanted)
        test, test_names = load_coco(root / section_c.test_annotations, root / section_c.test_images, size,
                                     config.test_size)  # fmt: skip
        if test_names != names:
            raise BenchError(
                f"{root / section_c.test_annotations}: categories differ from {section_c.train_annotations}'s; "
                "allowed: the same categories in both files"
            )
        source = f"COCO in {root}"
    else:
        raise BenchError(f"dataset {config.name!r} is not a detection dataset")
    data = DetectionData(name=config.name, train=train, test=test, class_names=names, max_value=255.0, source=source)
    if config.train_size is not None and len(train) < (wanted or 0):
        raise DataUnavailableError(
            f"dataset {config.name!r}: train_size {config.train_size} with validation {config.validation} "
            f"needs {wanted} training images; there are {len(train)}; lower train_size"
        )
    _, n_val = _validation_count(config, len(train))
    return data, n_val


def annotation_problem(config: DatasetConfig) -> Optional[str]:
    """What keeps a VOC or COCO dataset from loading -- a missing file, a class missing from
    the label map, a box outside its image -- found by reading its annotations only (no
    image is decoded), as one line; None when they are sound (and always for mnist_det)."""
    if config.name == "mnist_det":
        return None
    if not config.data_dir:
        return (f"dataset {config.name!r}: dataset.data_dir is not set; point it at "
                f"{'a VOC year folder (VOCdevkit/VOC2007)' if config.name == 'voc' else 'the COCO folder'}")  # fmt: skip
    root = Path(config.data_dir).expanduser()
    try:
        if config.name == "voc":
            from bench.datasets.config import VocSection
            from bench.datasets.voc import VOC_CLASSES, load_voc

            section = config.voc or VocSection()
            names = list(section.label_map or VOC_CLASSES)
            for split in (section.train_split, section.test_split):
                load_voc(root, split, 1, names, section.keep_difficult, read_images=False)
        elif config.name == "coco":
            from bench.datasets.coco import load_coco
            from bench.datasets.config import CocoSection

            section_c = config.coco or CocoSection()
            load_coco(root / section_c.train_annotations, root / section_c.train_images, 1, read_images=False)
            load_coco(root / section_c.test_annotations, root / section_c.test_images, 1, read_images=False)
    except BenchError as error:
        return str(error)
    return None


def _fingerprint(name: str, class_names: list[str], shape: tuple[int, ...], targets: dict[str, np.ndarray]) -> str:
    """sha256 of name, class names, test image shape and test objects: equal means the same test set."""
    digest = hashlib.sha256(f"{name}|{tuple(int(d) for d in shape)}|{chr(31).join(class_names)}|".encode())
    for key in DETECTION_TARGETS:
        digest.update(np.ascontiguousarray(targets[key]).tobytes())
    return digest.hexdigest()


def _prepared_pixels(split: DetectionSplit, config: DatasetConfig) -> tuple[np.ndarray, list[np.ndarray]]:
    """float32 images with channels and ``image_size`` applied, and the boxes scaled with them."""
    from bench.datasets.prepare import resize_images, to_gray, to_rgb

    x = np.asarray(split.images, dtype=np.float32)
    boxes = [np.asarray(b, dtype=np.float32).reshape(-1, 4) for b in split.boxes]
    if config.channels == 1 and x.shape[-1] == 3:
        x = to_gray(x)
    if config.image_size and tuple(config.image_size) != tuple(x.shape[1:3]):
        height, width = (int(v) for v in config.image_size)
        scale = np.array([width / x.shape[2], height / x.shape[1]] * 2, dtype=np.float32)
        x = resize_images(x, (height, width))
        boxes = [b * scale for b in boxes]
    if config.channels == 3 and x.shape[-1] == 1:
        x = to_rgb(x)
    return x, boxes


def load_detection(config: DatasetConfig) -> Dataset:
    """Read, split and prepare a detection dataset (no TensorFlow)."""
    from bench.datasets.prepare import normalize

    data, n_val = _read(config)
    assert data.test is not None
    pool = len(data.train)
    seed = [config.split_seed, 3] if config.resample_seed is None else [config.split_seed, config.resample_seed, 3]
    order = np.random.default_rng(seed).permutation(pool)
    val_index, train_index = np.sort(order[:n_val]), np.sort(order[n_val:])
    if len(train_index) == 0:
        raise DataUnavailableError(
            f"dataset {config.name!r}: no training images left after validation; lower validation"
        )
    splits = {"train": _subset(data.train, train_index), "val": _subset(data.train, val_index), "test": data.test}
    pixels, targets = {}, {}
    for name, split in splits.items():
        x, boxes = _prepared_pixels(split, config)
        pixels[name] = x
        targets[name] = pad_objects(DetectionSplit(split.images, boxes, split.labels, split.difficult, split.ids))
    xs, norm_stats = normalize([pixels["train"], pixels["val"], pixels["test"]], config.normalize, data.max_value)
    info: dict[str, object] = {
        "source": data.source,
        "task_data": "detection",
        "sizes": {k: len(v) for k, v in splits.items()},
        "objects": {k: int(v.object_count) for k, v in splits.items()},
        "normalize": config.normalize,
        "normalization": norm_stats,
        "max_value": data.max_value,
        "split_seed": int(config.split_seed),
        "resample_seed": config.resample_seed,
        "fingerprint": _fingerprint(data.name, data.class_names, xs[2].shape, targets["test"]),
    }
    if "options" in data.info:
        info["generator"] = data.info["options"]
    return Dataset(name=data.name, x_train=xs[0], x_val=xs[1], x_test=xs[2], targets=targets,
                   class_names=list(data.class_names), info=info)  # fmt: skip
