"""The detection task's read-side views of stored runs (NumPy, no TensorFlow).

What a report shows of detection beyond the metric table: precision-recall curves
per class and a few test images with their true and predicted boxes, each for the
baseline and the best variant, and the paired per-image bootstrap of the ``map50``
difference between two variants' same-seed runs.  The task
(:mod:`bench.tasks.detection`) hands these to the report through the generic hooks of
:class:`bench.tasks.Task`; the per-item arrays are those
:mod:`bench.detection.items` packs.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from typing import Mapping, Optional, Sequence

import numpy as np

from bench.detection.items import RankedMatches, ranked_matches, unpack
from bench.store import SAMPLE_PREFIX
from bench.tasks._base import FigureRequest, ItemViews, PairedTest, RunItems, TaskFigure
from bench.words import t

__all__ = [
    "BOOTSTRAP_LEVEL",
    "BOOTSTRAP_SAMPLES",
    "PER_CLASS_METRIC",
    "PICTURE_IMAGES",
    "class_aps",
    "item_views",
    "map50_batch",
    "mean_pr_curves",
    "paired_test",
    "report_figures",
    "same_test_set",
    "test_images",
]

log = logging.getLogger(__name__)

#: Bootstrap resamples of the test images; with the matching done once they take well
#: under a second per run pair for a few hundred images.
BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_LEVEL = 0.95
#: Test images in the report's picture (the first ones of the test split).
PICTURE_IMAGES = 4
#: Predicted boxes drawn in the picture: score at least this.
PICTURE_MIN_SCORE = 0.5
_GT_ARRAYS = ("gt_boxes", "gt_labels")
#: The per-class score of the report's per-class table (VOC AP at IoU 0.5).
PER_CLASS_METRIC = "ap50"
#: Test images the run stored itself (uint8, the first PICTURE_IMAGES of the test split),
#: so the picture needs no dataset where the report is made.
SAMPLE_IMAGES = f"{SAMPLE_PREFIX}images"


# -- per-class view -------------------------------------------------------------------------
def item_views(items: Mapping[str, np.ndarray], num_classes: int) -> ItemViews:
    """Per-class VOC AP@0.5 of one run (NaN for a class without ground truth); detection
    has no per-item right/wrong label pairs and no confusion matrix."""
    if "gt_boxes" not in items or "det_boxes" not in items or num_classes < 1:
        return ItemViews(per_class_metric=PER_CLASS_METRIC)
    gt, dets = unpack(items)
    matches = ranked_matches(gt, dets, num_classes)
    per_class = class_aps(matches, np.ones((1, len(gt))))[0]
    return ItemViews(per_class=per_class, per_class_metric=PER_CLASS_METRIC)


# -- paired per-image bootstrap ----------------------------------------------------------
def same_test_set(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> bool:
    """True when two runs stored the same ground truth (the same test images, in order)."""
    for name in _GT_ARRAYS:
        if name not in a or name not in b:
            return False
        if np.shape(a[name]) != np.shape(b[name]) or not np.array_equal(a[name], b[name]):
            return False
    return True


def paired_test(
    pairs: Sequence[tuple[Mapping[str, np.ndarray], Mapping[str, np.ndarray]]],
    num_classes: int,
    *,
    samples: int = BOOTSTRAP_SAMPLES,
    level: float = BOOTSTRAP_LEVEL,
    seed: int = 0,
) -> Optional[PairedTest]:
    """Bootstrap over test images of map50(b) − map50(a), averaged over same-seed run pairs.

    Each resample draws the test images with replacement once and scores both runs of
    every pair on that same draw, so the interval covers which test images were drawn
    (for these trained models), not seeds.  Percentile interval at ``level``; the
    two-sided p is twice the smaller share of resampled differences on either side of 0.
    Pairs on different test sets are skipped; None when no pair is left.
    """
    usable = [(a, b) for a, b in pairs if same_test_set(a, b)]
    if not usable or num_classes < 1:
        return None
    images = len(unpack(usable[0][0])[0])
    if images == 0:
        return None
    rng = np.random.default_rng(seed)
    draws = np.stack([np.bincount(rng.integers(0, images, images), minlength=images) for _ in range(samples)])
    observed, deltas = [], []
    for a, b in usable:
        (full_a, drawn_a), (full_b, drawn_b) = (_scores(items, num_classes, draws, seed) for items in (a, b))
        observed.append(full_b - full_a)
        deltas.append(drawn_b - drawn_a)
    observed = float(np.mean(observed))
    deltas = np.mean(deltas, axis=0)
    deltas = deltas[np.isfinite(deltas)]
    if not deltas.size or not np.isfinite(observed):
        return PairedTest("bootstrap_images", "map50", len(usable), images, delta=observed if np.isfinite(observed) else None)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(deltas, [tail, 1.0 - tail])
    below = (np.sum(deltas <= 0) + 1) / (deltas.size + 1)
    above = (np.sum(deltas >= 0) + 1) / (deltas.size + 1)
    return PairedTest(
        "bootstrap_images", "map50", len(usable), images, delta=observed, ci_low=float(low),
        ci_high=float(high), level=level, p_value=float(min(1.0, 2.0 * min(below, above))),
    )  # fmt: skip


#: map50 of a run on all images and on each bootstrap draw, by the run's arrays and the
#: draws: a report pairs the baseline's runs with every variant's on the same draws
_SCORES: dict[str, tuple[float, np.ndarray]] = {}
_SCORES_KEPT = 64


def _scores(items: Mapping[str, np.ndarray], num_classes: int, draws: np.ndarray, seed: int) -> tuple[float, np.ndarray]:
    digest = hashlib.sha256(f"{num_classes} {draws.shape} {seed}".encode())
    for name in sorted(items):
        if name.startswith(("gt_", "det_")):
            array = np.ascontiguousarray(items[name])
            digest.update(f"{name}{array.dtype}{array.shape}".encode())
            digest.update(array.tobytes())
    key = digest.hexdigest()
    if key not in _SCORES:
        gt, dets = unpack(items)
        matches = ranked_matches(gt, dets, num_classes)
        full = float(map50_batch(matches, np.ones((1, draws.shape[1])))[0])
        if len(_SCORES) >= _SCORES_KEPT:
            _SCORES.pop(next(iter(_SCORES)))
        _SCORES[key] = (full, map50_batch(matches, draws))
    return _SCORES[key]


def map50_batch(matches: RankedMatches, weights: np.ndarray) -> np.ndarray:
    """``map50`` of one run under each row of ``weights`` (draws, images): image ``i``
    counted ``weights[d, i]`` times -- :func:`bench.detection.items.map50_of` for many
    draws at once.  A class without positives in a draw is left out of that draw's
    mean; NaN where no class has any."""
    aps = class_aps(matches, weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a draw without any positives
        return np.nanmean(aps, axis=1)


def class_aps(matches: RankedMatches, weights: np.ndarray, chunk: int = 16) -> np.ndarray:
    """Per draw and class (draws, K), the VOC devkit's all-point AP@0.5 with image ``i``
    counted ``weights[d, i]`` times; NaN for a class without positives in that draw.
    The ranking by score is done once per class and the AP vectorised over draws."""
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    draws, classes = weights.shape[0], matches.positives.shape[1]
    positives = weights @ matches.positives  # (draws, K)
    aps = np.full((draws, classes), np.nan)
    for k in range(classes):
        has = positives[:, k] > 0
        if not has.any():
            continue
        mine = np.flatnonzero((matches.label == k) & matches.counted)
        if mine.size == 0:
            aps[has, k] = 0.0
            continue
        order = mine[np.argsort(-matches.score[mine], kind="stable")]
        hit = matches.true_positive[order].astype(np.float64)
        image = matches.image[order]
        for start in range(0, draws, chunk):
            w = weights[start : start + chunk][:, image]  # (b, Dk)
            tp = np.cumsum(w * hit, axis=1)
            fp = np.cumsum(w * (1.0 - hit), axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                recall = tp / positives[start : start + chunk, k][:, None]
            precision = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
            # the area under the precision envelope; points of undrawn images (weight 0)
            # repeat their predecessor and add no area
            b = w.shape[0]
            mrec = np.hstack([np.zeros((b, 1)), recall, np.ones((b, 1))])
            mpre = np.hstack([np.zeros((b, 1)), precision, np.zeros((b, 1))])
            envelope = np.maximum.accumulate(mpre[:, ::-1], axis=1)[:, ::-1]
            area = np.sum(np.diff(mrec, axis=1) * envelope[:, 1:], axis=1)
            rows = np.arange(start, start + b)
            aps[rows[has[rows]], k] = area[has[rows]]
    return aps


# -- precision-recall curves --------------------------------------------------------------
def _envelope_on_grid(recall: np.ndarray, precision: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The precision envelope (best precision at this recall or more) at each grid recall;
    0 beyond the largest recall reached."""
    if recall.size == 0:
        return np.zeros(grid.size)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    where = np.searchsorted(recall, grid, side="left")
    out = np.zeros(grid.size)
    reached = where < envelope.size
    out[reached] = envelope[where[reached]]
    return out


def mean_pr_curves(runs: Sequence[Mapping[str, np.ndarray]], num_classes: int, grid: np.ndarray) -> np.ndarray:
    """Per class, the VOC precision envelope at the ``grid`` recalls, mean over ``runs``;
    NaN rows for classes without ground truth."""
    curves = np.full((len(runs), num_classes, grid.size), np.nan)
    for r, items in enumerate(runs):
        gt, dets = unpack(items)
        matches = ranked_matches(gt, dets, num_classes)
        positives = matches.positives.sum(axis=0)
        for k in range(num_classes):
            if not positives[k]:
                continue
            mine = np.flatnonzero((matches.label == k) & matches.counted)
            hit = matches.true_positive[mine[np.argsort(-matches.score[mine], kind="stable")]]
            tp, fp = np.cumsum(hit), np.cumsum(~hit)
            precision = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
            curves[r, k] = _envelope_on_grid(tp / positives[k], precision, grid)
    if not len(runs):
        return np.full((num_classes, grid.size), np.nan)
    with np.errstate(invalid="ignore"):
        defined = np.isfinite(curves).any(axis=0)
        return np.where(defined, np.nanmean(np.where(np.isfinite(curves), curves, 0.0), axis=0), np.nan)


# -- pictures ------------------------------------------------------------------------------
def sample_images(x_test: np.ndarray) -> np.ndarray:
    """The first PICTURE_IMAGES test images as uint8, for a run to store beside its boxes."""
    first = np.asarray(x_test[:PICTURE_IMAGES], dtype=np.float64)
    return np.clip(np.rint(first * 255.0), 0, 255).astype(np.uint8)


def test_images(run: RunItems, count: int) -> Optional[np.ndarray]:
    """The first ``count`` test images of a run in [0, 1]: those it stored, else loaded again
    from its dataset section (no TensorFlow); None when neither is possible here (say,
    VOC's folder is absent where the report is made)."""
    stored = run.items.get(SAMPLE_IMAGES)
    if stored is not None and len(stored):
        return np.asarray(stored[:count], dtype=np.float64) / 255.0
    from bench.datasets import DatasetConfig, load_dataset
    from bench.errors import BenchError

    section = run.config.get("dataset") if isinstance(run.config, Mapping) else None
    if not section:
        return None
    try:
        data = load_dataset(DatasetConfig.model_validate(section))
    except (BenchError, OSError, ValueError) as exc:
        log.info("no detection picture: the test images cannot be loaded here (%s)", exc)
        return None
    return np.asarray(data.x_test[:count])


def _picture_runs(request: FigureRequest, shown: Sequence[str]) -> list[RunItems]:
    """One run per shown variant, of the same seed where they share one (the smallest)."""
    seeds = [{r.seed for r in request.runs if r.variant == v} for v in shown]
    common = set.intersection(*seeds) if seeds else set()
    picked = []
    for variant, mine in zip(shown, seeds):
        seed = min(common) if common else min(mine)
        picked.append(next(r for r in request.runs if r.variant == variant and r.seed == seed))
    return picked


def report_figures(request: FigureRequest) -> list[TaskFigure]:
    """Precision-recall curves per class and a picture of test images with true and
    predicted boxes, for the baseline and the best variant."""
    from bench.detection import figures

    lang = request.lang
    shown = [v for v in dict.fromkeys([request.baseline, request.best]) if v and any(r.variant == v for r in request.runs)]
    if not shown or request.num_classes < 1:
        return []
    names = list(request.class_names) or [str(k) for k in range(request.num_classes)]
    listed: list[TaskFigure] = []
    who = ", ".join(shown)

    curves = {v: mean_pr_curves([r.items for r in request.runs if r.variant == v], request.num_classes,
                                figures.RECALL_GRID) for v in shown}  # fmt: skip
    figures.pr_curves_plot(curves, names, request.fig_dir / "pr_curves.png", baseline=request.baseline, lang=lang)
    listed.append(TaskFigure("pr_curves", t("figure.pr_curves", lang),
                             t("figure.pr_curves_caption", lang, variants=who), "figures/pr_curves.png"))  # fmt: skip

    picked = _picture_runs(request, shown)
    images = test_images(picked[0], PICTURE_IMAGES)
    if images is not None and tuple(images.shape[1:3]) != tuple(request.input_shape[:2]):
        log.info("no detection picture: test images of shape %s, boxes drawn on %s", images.shape[1:3], request.input_shape)
        images = None  # not the images the boxes are in the pixels of
    if images is not None and len(images):
        gt, _ = unpack(picked[0].items)
        count = min(len(images), len(gt))
        rows = []
        for run in picked:
            _, dets = unpack(run.items)
            rows.append((t("figure.variant_seed", lang, variant=run.variant, seed=run.seed), dets[:count]))
        figures.detections_plot(
            images[:count], gt[:count], rows, names, request.fig_dir / "detections.png",
            baseline=rows[0][0] if picked[0].variant == request.baseline else None,
            min_score=PICTURE_MIN_SCORE, lang=lang,
        )  # fmt: skip
        listed.append(TaskFigure(
            "detections", t("figure.detections", lang),
            t("figure.detections_caption", lang, n=count, score=f"{PICTURE_MIN_SCORE:g}"),
            "figures/detections.png",
        ))  # fmt: skip
    return listed
