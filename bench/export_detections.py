"""``bench export STORE --detections``: test ground truth and each run's detections as COCO JSON.

So any COCO tool (pycocotools' ``COCOeval``, FiftyOne, a plotting notebook) can
re-score or inspect a detection run without bench: per test set one *instances*
file (images, annotations, categories) and per run one *results* file (a list of
``{image_id, category_id, bbox, score}``), plus ``index.json`` saying which results
file belongs to which run and instances file, with the run's stored metrics.

Conventions (the COCO ones): ``bbox`` is ``[x, y, width, height]`` in pixels of the
image the model saw; image ids are the test-set row plus one; category ids are the
class index plus one.  A ``difficult`` object (VOC) is written with ``iscrowd: 1``,
COCO's way of saying "neither a hit nor a miss" (COCO then matches it by its own
crowd rule, so a store with difficult objects re-scores close to, not exactly at, its
stored ``map``).  Never imports TensorFlow.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from bench import results
from bench.detection.items import unpack
from bench.errors import BenchError
from bench.files import make_folder, write_text_atomic

__all__ = ["DetectionExport", "coco_instances", "coco_results", "export_detections"]

INDEX_FILE = "index.json"
#: Stored metrics copied into the index next to each results file.
_INDEX_METRICS = ("map", "map50", "map50_voc07", "map50_coco", "recall100")


@dataclass
class DetectionExport:
    """What was written: the folder, the instances files and one results file per run."""

    folder: Path
    instances: list[Path] = field(default_factory=list)
    results: list[Path] = field(default_factory=list)

    def line(self) -> str:
        return (f"export: {len(self.results)} run(s) of detections and {len(self.instances)} "
                f"ground-truth file(s) in COCO JSON → {self.folder}")  # fmt: skip


def _box(box: np.ndarray) -> list[float]:
    x0, y0, x1, y1 = (float(v) for v in box)
    return [x0, y0, x1 - x0, y1 - y0]


def coco_instances(gt: list[dict[str, np.ndarray]], class_names: list[str], input_shape: tuple[int, ...],
                   description: str = "") -> dict[str, Any]:  # fmt: skip
    """The ground truth of one test set as a COCO ``instances`` document."""
    height, width = (int(input_shape[0]), int(input_shape[1])) if len(input_shape) >= 2 else (0, 0)
    images, annotations = [], []
    for index, image in enumerate(gt):
        images.append({"id": index + 1, "width": width, "height": height, "file_name": f"test_{index:06d}.png"})
        difficult = np.asarray(image.get("difficult", np.zeros(len(image["labels"]), bool)), dtype=bool)
        for box, label, hard in zip(np.asarray(image["boxes"]).reshape(-1, 4), image["labels"], difficult):
            xywh = _box(box)
            annotations.append({
                "id": len(annotations) + 1, "image_id": index + 1, "category_id": int(label) + 1,
                "bbox": xywh, "area": xywh[2] * xywh[3], "iscrowd": int(bool(hard)),
            })  # fmt: skip
    categories = [{"id": k + 1, "name": str(name), "supercategory": "object"} for k, name in enumerate(class_names)]
    return {
        "info": {"description": description, "version": "1.0"},
        "images": images,
        "annotations": annotations,
        "categories": categories,
    }


def coco_results(detections: list[dict[str, np.ndarray]]) -> list[dict[str, Any]]:
    """One run's detections as a COCO results list (what ``COCO.loadRes`` reads)."""
    out = []
    for index, image in enumerate(detections):
        for box, label, score in zip(np.asarray(image["boxes"]).reshape(-1, 4), image["labels"], image["scores"]):
            out.append({"image_id": index + 1, "category_id": int(label) + 1, "bbox": _box(box),
                        "score": float(score)})  # fmt: skip
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "variant"


def _gt_identity(items: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in ("gt_boxes", "gt_labels", "gt_difficult"):
        if name in items:
            array = np.ascontiguousarray(items[name])
            digest.update(f"{name}{array.dtype}{array.shape}".encode())
            digest.update(array.tobytes())
    return digest.hexdigest()


def export_detections(
    store_path: str | Path,
    out_dir: str | Path,
    *,
    suite: Optional[str] = None,
    variant: Optional[str] = None,
    seed: Optional[int] = None,
) -> DetectionExport:
    """Write the test ground truth and each chosen run's detections under ``out_dir``.

    ``variant``/``seed`` narrow the runs (default: every successful detection run).  Bad
    choices raise :class:`BenchError` naming what is there, before anything is written.
    """
    found = results.load(store_path, suite, history=False)
    ok = found.ok
    chosen = ok
    if variant is not None:
        if variant not in found.variant_names:
            raise BenchError(f"{store_path}: --variant {variant!r} is not in suite {found.name!r}; "
                             f"variants: {', '.join(found.variant_names)}")  # fmt: skip
        chosen = chosen[chosen["variant"] == variant]
    if seed is not None:
        seeds = sorted({int(s) for s in chosen["seed"]})
        chosen = chosen[chosen["seed"] == seed]
        if chosen.empty:
            raise BenchError(f"{store_path}: --seed {seed} has no successful run"
                             f"{f' of variant {variant!r}' if variant else ''}; seeds with one: "
                             f"{', '.join(map(str, seeds)) or 'none'}")  # fmt: skip
    runs = []
    for run in chosen.to_dict("records"):
        items = found.predictions.get(run["key"], {})
        if "gt_boxes" in items and "det_boxes" in items:
            runs.append((run, items))
    if not runs:
        raise BenchError(f"{store_path}: no successful run with stored detections"
                         f"{f' for variant {variant!r}' if variant else ''}"
                         f"{f' and seed {seed}' if seed is not None else ''} in suite {found.name!r} "
                         f"(tasks stored: {', '.join(found.tasks) or 'none'}); --detections exports "
                         "detection runs")  # fmt: skip

    folder = make_folder(Path(out_dir))
    written = DetectionExport(folder)
    instances_of: dict[str, str] = {}
    identities = list(dict.fromkeys(_gt_identity(items) for _, items in runs))
    index: list[dict[str, Any]] = []
    for run, items in runs:
        gt, detections = unpack(items)
        identity = _gt_identity(items)
        if identity not in instances_of:
            name = "instances_test.json" if len(identities) == 1 else f"instances_test_{identities.index(identity) + 1}.json"
            dataset = found.dataset([run["variant"]])
            classes = dataset.names_of_classes or [str(k) for k in range(int(dataset.classes or 0) or _classes(gt))]
            document = coco_instances(gt, classes, tuple(dataset.input_shape),
                                      description=f"bench {found.name}: test set of {dataset.name}")  # fmt: skip
            write_text_atomic(folder / name, json.dumps(document))
            written.instances.append(folder / name)
            instances_of[identity] = name
        name = f"detections_{_slug(str(run['variant']))}_seed{int(run['seed'])}.json"
        write_text_atomic(folder / name, json.dumps(coco_results(detections)))
        written.results.append(folder / name)
        index.append({
            "key": run["key"], "variant": run["variant"], "seed": int(run["seed"]),
            "instances": instances_of[identity], "results": name,
            "metrics": {m: results.finite_or_none(run.get(m)) for m in _INDEX_METRICS if m in run},
        })  # fmt: skip
    write_text_atomic(folder / INDEX_FILE, json.dumps({"suite": found.name, "runs": index}, indent=2))
    return written


def _classes(gt: list[dict[str, np.ndarray]]) -> int:
    labels = [int(np.max(image["labels"])) for image in gt if len(image["labels"])]
    return 1 + max(labels) if labels else 0
