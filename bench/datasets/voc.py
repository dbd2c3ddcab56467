"""Pascal VOC: ``Annotations/*.xml``, ``JPEGImages/``, ``ImageSets/Main/<split>.txt``.

Point ``data_dir`` at one year's folder (``VOCdevkit/VOC2007``).  Images are resized to
``image_size`` (the SSD300 setting stretches every image to 300×300) and boxes are
scaled with them.  VOC boxes are 1-based inclusive pixel indices; they become
continuous corners ``(xmin - 1, ymin - 1, xmax, ymax)``, which keeps the devkit's
areas.  ``difficult`` flags are kept (the metrics ignore those objects, as VOC does).
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

from bench.datasets.detection_data import DetectionSplit
from bench.errors import BenchError

__all__ = ["VOC_CLASSES", "load_voc", "read_image"]

#: The 20 classes of VOC2007/2012 in the devkit's order (label 0 is "aeroplane").
VOC_CLASSES: tuple[str, ...] = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
    "train", "tvmonitor",
)  # fmt: skip

Size = Union[int, tuple[int, int]]


def _hw(image_size: Size) -> tuple[int, int]:
    if isinstance(image_size, int):
        return image_size, image_size
    return int(image_size[0]), int(image_size[1])


def read_image(path: Path, image_size: Size, channels: int = 3) -> tuple[np.ndarray, tuple[int, int]]:
    """The image at ``path`` resized to ``image_size`` (uint8 HWC) and its original ``(height, width)``."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            image = opened.convert("RGB" if channels == 3 else "L")
    except (OSError, UnidentifiedImageError) as error:
        raise BenchError(f"{path}: cannot read the image ({error}); allowed: a JPEG or PNG file") from None
    original = (image.height, image.width)
    height, width = _hw(image_size)
    pixels = np.asarray(image.resize((width, height), Image.Resampling.BILINEAR), dtype=np.uint8)
    return pixels.reshape(height, width, channels), original


def _text(node: ElementTree.Element, key: str, where: str) -> str:
    found = node.find(key)
    if found is None or found.text is None or not found.text.strip():
        raise BenchError(f"{where}: missing <{key}>; allowed: the Pascal VOC annotation format")
    return found.text.strip()


def _number(node: ElementTree.Element, key: str, where: str) -> float:
    text = _text(node, key, where)
    try:
        return float(text)
    except ValueError:
        raise BenchError(f"{where}/{key} = {text!r} is not a number; allowed: pixel coordinates") from None


def _read_annotation(
    path: Path, labels_of: dict[str, int], keep_difficult: bool
) -> tuple[str, tuple[int, int], np.ndarray, np.ndarray, np.ndarray]:
    """(file name, (height, width), boxes in original pixels, labels, difficult) of one XML file."""
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError) as error:
        raise BenchError(f"{path}: cannot read the annotation ({error}); allowed: Pascal VOC XML") from None
    filename = _text(root, "filename", str(path))
    size = root.find("size")
    if size is None:
        raise BenchError(f"{path}: missing <size>; allowed: the Pascal VOC annotation format")
    width = _number(size, "width", f"{path}: size")
    height = _number(size, "height", f"{path}: size")
    boxes, labels, difficult = [], [], []
    for index, obj in enumerate(root.findall("object")):
        where = f"{path}: object[{index}]"
        name = _text(obj, "name", where)
        if name not in labels_of:
            raise BenchError(
                f"{where}/name = {name!r} is not in the label map; allowed: {', '.join(labels_of)}"
            )
        flag = obj.find("difficult")
        is_difficult = flag is not None and (flag.text or "0").strip() == "1"
        if is_difficult and not keep_difficult:
            continue
        bndbox = obj.find("bndbox")
        if bndbox is None:
            raise BenchError(f"{where}: missing <bndbox>; allowed: the Pascal VOC annotation format")
        xmin, ymin, xmax, ymax = (_number(bndbox, k, f"{where}/bndbox") for k in ("xmin", "ymin", "xmax", "ymax"))
        if not (1 <= xmin <= xmax <= width and 1 <= ymin <= ymax <= height):
            raise BenchError(
                f"{where}/bndbox = ({xmin:g}, {ymin:g}, {xmax:g}, {ymax:g}) is outside the image "
                f"({width:g}×{height:g}); allowed: 1 <= xmin <= xmax <= width, 1 <= ymin <= ymax <= height"
            )
        boxes.append([xmin - 1.0, ymin - 1.0, xmax, ymax])
        labels.append(labels_of[name])
        difficult.append(is_difficult)
    return (
        filename,
        (int(height), int(width)),
        np.asarray(boxes, dtype=np.float64).reshape(-1, 4),
        np.asarray(labels, dtype=np.int64),
        np.asarray(difficult, dtype=bool),
    )


def load_voc(
    data_dir: Union[str, Path],
    split: str,
    image_size: Size = 300,
    class_names: Sequence[str] = VOC_CLASSES,
    keep_difficult: bool = True,
    max_images: Optional[int] = None,
    read_images: bool = True,
) -> DetectionSplit:
    """One split (``train``, ``val``, ``trainval``, ``test``) of a VOC folder.

    ``read_images=False`` checks the annotations and that every image file exists,
    without decoding any (the images come back black): what ``bench run`` checks first.

    Raises:
        BenchError: a missing file, a class not in ``class_names``, a box outside its
            image, or an image whose size disagrees with its annotation.
    """
    root = Path(data_dir)
    list_file = root / "ImageSets" / "Main" / f"{split}.txt"
    if not list_file.is_file():
        present = sorted(p.stem for p in list_file.parent.glob("*.txt") if "_" not in p.stem)
        raise BenchError(
            f"{list_file}: not found; allowed splits here: {', '.join(present) or 'none'} "
            f"(data_dir must be a VOC year folder holding Annotations/, JPEGImages/, ImageSets/Main/)"
        )
    ids = [line.split()[0] for line in list_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    if max_images is not None:
        ids = ids[:max_images]
    labels_of = {name: index for index, name in enumerate(class_names)}
    height, width = _hw(image_size)
    images = np.zeros((len(ids), height, width, 3) if read_images else (0,), dtype=np.uint8)
    all_boxes, all_labels, all_difficult = [], [], []
    for index, image_id in enumerate(ids):
        annotation = root / "Annotations" / f"{image_id}.xml"
        if not annotation.is_file():
            raise BenchError(f"{list_file}: image id {image_id!r} has no {annotation}; allowed: ids with an annotation")
        filename, (xml_h, xml_w), boxes, labels, difficult = _read_annotation(annotation, labels_of, keep_difficult)
        if not read_images:
            if not (root / "JPEGImages" / filename).is_file():
                raise BenchError(f"{annotation}: filename = {filename!r} is not in {root / 'JPEGImages'}; "
                                 "allowed: an image file of that folder")  # fmt: skip
            all_boxes.append(boxes.astype(np.float32))
            all_labels.append(labels)
            all_difficult.append(difficult)
            continue
        images[index], (real_h, real_w) = read_image(root / "JPEGImages" / filename, (height, width))
        if (real_h, real_w) != (xml_h, xml_w):
            raise BenchError(
                f"{annotation}: size = {xml_w}×{xml_h} but JPEGImages/{filename} is {real_w}×{real_h}; "
                f"allowed: the image's own size"
            )
        scale = np.array([width / real_w, height / real_h] * 2)
        all_boxes.append((boxes * scale).astype(np.float32))
        all_labels.append(labels)
        all_difficult.append(difficult)
    if not read_images:
        images = np.zeros((len(ids), 1, 1, 3), dtype=np.uint8)
    return DetectionSplit(images, all_boxes, all_labels, all_difficult, ids=ids)
