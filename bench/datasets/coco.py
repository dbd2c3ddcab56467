"""COCO: an ``instances_*.json`` annotation file plus its image folder.

Categories become labels 0.. in the order of their ids; boxes ``[x, y, w, h]`` become
corners, scaled with the image to ``image_size``.  Crowd regions (``iscrowd: 1``) are
kept as ``difficult``: the metrics ignore them, as COCO's evaluation does.  Images
without annotations are kept (they count for false positives).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from bench.datasets.detection_data import DetectionSplit
from bench.datasets.voc import Size, _hw, read_image
from bench.errors import BenchError

__all__ = ["load_coco"]

#: COCO boxes are floats; a box may overhang its image by this much (pixels) from rounding.
EDGE_TOLERANCE = 1.0


def _need(record: dict[str, Any], key: str, where: str) -> Any:
    if key not in record:
        raise BenchError(f"{where}: missing key {key!r}; allowed: the COCO instances format")
    return record[key]


def load_coco(
    annotation_file: Union[str, Path],
    image_dir: Union[str, Path],
    image_size: Size = 300,
    max_images: Optional[int] = None,
    read_images: bool = True,
) -> tuple[DetectionSplit, list[str]]:
    """The images of a COCO annotation file with their boxes, and the class names.

    ``read_images=False`` checks the annotations and that every image file exists, without
    decoding any (the images come back as 1×1 black): what ``bench run`` checks first.

    Raises:
        BenchError: unreadable JSON, a missing key, an annotation whose category or image
            is not in the file, or a box outside its image.
    """
    path = Path(annotation_file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise BenchError(f"{path}: cannot read the annotations ({error}); allowed: COCO instances JSON") from None
    categories = sorted(_need(data, "categories", str(path)), key=lambda c: c["id"])
    label_of = {c["id"]: index for index, c in enumerate(categories)}
    class_names = [str(c.get("name", c["id"])) for c in categories]
    images_meta = _need(data, "images", str(path))
    if max_images is not None:
        images_meta = images_meta[:max_images]
    position = {}
    for index, meta in enumerate(images_meta):
        position[_need(meta, "id", f"{path}: images[{index}]")] = index
    boxes: list[list[list[float]]] = [[] for _ in images_meta]
    labels: list[list[int]] = [[] for _ in images_meta]
    crowd: list[list[bool]] = [[] for _ in images_meta]
    all_ids = {meta.get("id") for meta in data["images"]}
    for index, ann in enumerate(_need(data, "annotations", str(path))):
        where = f"{path}: annotations[{index}]"
        image_id = _need(ann, "image_id", where)
        if image_id not in position:
            if image_id in all_ids:
                continue  # an image left out by max_images
            raise BenchError(f"{where}.image_id = {image_id!r} is not an image of this file; allowed: ids in 'images'")
        category = _need(ann, "category_id", where)
        if category not in label_of:
            raise BenchError(
                f"{where}.category_id = {category!r} is not in the label map ('categories'); "
                f"allowed: {', '.join(str(c) for c in label_of)}"
            )
        meta = images_meta[position[image_id]]
        width, height = float(meta.get("width", 0)), float(meta.get("height", 0))
        x, y, w, h = (float(v) for v in _need(ann, "bbox", where))
        if not (w > 0 and h > 0 and x >= -EDGE_TOLERANCE and y >= -EDGE_TOLERANCE
                and x + w <= width + EDGE_TOLERANCE and y + h <= height + EDGE_TOLERANCE):  # fmt: skip
            raise BenchError(
                f"{where}.bbox = [{x:g}, {y:g}, {w:g}, {h:g}] is outside image {image_id} "
                f"({width:g}×{height:g}); allowed: w, h > 0 and the box inside the image"
            )
        k = position[image_id]
        boxes[k].append([max(x, 0.0), max(y, 0.0), min(x + w, width), min(y + h, height)])
        labels[k].append(label_of[category])
        crowd[k].append(bool(ann.get("iscrowd", 0)))
    height_out, width_out = _hw(image_size) if read_images else (1, 1)
    images = np.zeros((len(images_meta), height_out, width_out, 3), dtype=np.uint8)
    folder = Path(image_dir)
    scaled = []
    for index, meta in enumerate(images_meta):
        file_name = _need(meta, "file_name", f"{path}: images[{index}]")
        if not read_images:
            if not (folder / file_name).is_file():
                raise BenchError(f"{path}: images[{index}].file_name = {file_name!r} is not in {folder}; "
                                 "allowed: an image file of that folder")  # fmt: skip
            scaled.append(np.asarray(boxes[index], dtype=np.float32).reshape(-1, 4))
            continue
        images[index], (real_h, real_w) = read_image(folder / file_name, (height_out, width_out))
        if (real_h, real_w) != (meta.get("height"), meta.get("width")):
            raise BenchError(
                f"{path}: images[{index}] width×height = {meta.get('width')}×{meta.get('height')} but "
                f"{folder / file_name} is {real_w}×{real_h}; allowed: the image's own size"
            )
        scale = np.array([width_out / real_w, height_out / real_h] * 2)
        scaled.append((np.asarray(boxes[index], dtype=np.float64).reshape(-1, 4) * scale).astype(np.float32))
    split = DetectionSplit(
        images=images,
        boxes=scaled,
        labels=[np.asarray(lab, dtype=np.int64) for lab in labels],
        difficult=[np.asarray(c, dtype=bool) for c in crowd],
        ids=[str(meta["id"]) for meta in images_meta],
    )
    return split, class_names
