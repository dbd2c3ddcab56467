"""The detection task's report figures: precision-recall curves per class and test
images with their true and predicted boxes (matplotlib, no TensorFlow).

Each function takes arrays already derived from the stored per-item results
(:mod:`bench.detection.views` does that), writes one PNG, closes its figure and
returns the path.  Words come from the catalogs (:mod:`bench.words`) in ``lang``;
every name a user wrote (variants, classes) is drawn as written
(:func:`bench.plaintext.plain_label`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from bench.figures import DPI, variant_palette
from bench.files import atomic_path
from bench.plaintext import plain_label
from bench.words import t

__all__ = ["RECALL_GRID", "detections_plot", "pr_curves_plot"]

#: Recall points the curves of several seeds are averaged on (as COCO interpolates).
RECALL_GRID = np.linspace(0.0, 1.0, 101)
#: A true box: dashed, drawn under the predictions.
TRUE_BOX_COLOR = "#1a9850"
_PANEL = 2.3  # inches per small panel


def _finish(fig: plt.Figure, path: str | Path) -> Path:
    path = Path(path)
    try:
        with atomic_path(path) as temporary:  # a full disk never leaves half a PNG
            fig.savefig(temporary, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    finally:
        plt.close(fig)
    return path


def _grid(panels: int, most_columns: int = 5) -> tuple[int, int]:
    columns = min(most_columns, max(1, panels))
    return math.ceil(panels / columns), columns


def pr_curves_plot(
    curves: Mapping[str, np.ndarray],
    class_names: Sequence[str],
    path: str | Path,
    *,
    baseline: str | None = None,
    lang: str = "en",
) -> Path:
    """One panel per class: precision against recall at IoU 0.5, one line per variant.

    ``curves`` maps a variant to an array (classes, len(RECALL_GRID)) of interpolated
    precision (the envelope, mean over seeds); a class row of NaN (no ground truth) is
    left empty and says so.
    """
    names = [str(n) for n in class_names]
    variants = list(curves)
    palette = variant_palette(variants, baseline)
    rows, columns = _grid(len(names))
    with plt.rc_context({"font.size": 8, "axes.titlesize": 9, "axes.spines.top": False, "axes.spines.right": False}):
        fig, axes = plt.subplots(
            rows, columns, figsize=(_PANEL * columns, _PANEL * rows * 0.92 + 0.6), squeeze=False,
            sharex=True, sharey=True,
        )  # fmt: skip
        for index, ax in enumerate(axes.flat):
            if index >= len(names):
                ax.set_visible(False)
                continue
            ax.set_title(plain_label(names[index]), loc="left")
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1.02)
            ax.grid(True, color="#e3e3e3", linewidth=0.6)
            drawn = False
            for variant in variants:
                precision = np.asarray(curves[variant])[index]
                if not np.isfinite(precision).any():
                    continue
                ax.plot(RECALL_GRID, precision, color=palette[variant], linewidth=1.4,
                        linestyle="--" if variant == baseline else "-")  # fmt: skip
                drawn = True
            if not drawn:
                ax.text(0.5, 0.5, t("figure.no_ground_truth", lang), ha="center", va="center",
                        fontsize=8, color="#777777", transform=ax.transAxes)  # fmt: skip
            if index % columns == 0:
                ax.set_ylabel(t("figure.precision", lang))
            if index // columns == rows - 1 or index + columns >= len(names):
                ax.set_xlabel(t("figure.recall", lang))
        handles = [
            Line2D([], [], color=palette[v], linestyle="--" if v == baseline else "-", linewidth=1.6,
                   label=plain_label(v + (t("figure.baseline_suffix", lang) if v == baseline else "")))
            for v in variants
        ]  # fmt: skip
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, 1.0), ncol=max(1, len(handles)),
                   frameon=False, fontsize=9)  # fmt: skip
        fig.suptitle(t("figure.pr_curves", lang), x=0.0, y=1.0 + 0.25 / max(rows, 1), ha="left",
                     fontsize=12, fontweight="bold")  # fmt: skip
        fig.tight_layout(rect=(0, 0, 1, 0.96))
        return _finish(fig, path)


def _image_for_display(image: np.ndarray) -> tuple[np.ndarray, Any]:
    """An image as imshow wants it (grey images with a grey colour map), values in [0, 1]."""
    pixels = np.asarray(image, dtype=np.float64)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    low, high = float(np.nanmin(pixels)), float(np.nanmax(pixels))
    if low < 0.0 or high > 1.0:  # standardised pixels: stretch back for the eye
        pixels = (pixels - low) / (high - low) if high > low else np.zeros_like(pixels)
    return pixels, ("gray" if pixels.ndim == 2 else None)


def _draw_boxes(ax: plt.Axes, boxes: np.ndarray, labels: np.ndarray, names: Sequence[str], color: Any,
                scores: np.ndarray | None = None, dashed: bool = False) -> None:  # fmt: skip
    for i, (x0, y0, x1, y1) in enumerate(np.asarray(boxes, dtype=float).reshape(-1, 4)):
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=color, linewidth=1.3,
                               linestyle="--" if dashed else "-"))  # fmt: skip
        label = int(labels[i])
        text = plain_label(names[label] if 0 <= label < len(names) else label)
        if scores is not None:
            text += f" {float(scores[i]):.2f}"
        ax.text(x0, y0 if scores is not None else y1, text, fontsize=6.5, color="white",
                va="bottom" if scores is not None else "top", ha="left",
                bbox={"facecolor": color, "edgecolor": "none", "pad": 0.8, "alpha": 0.85}, clip_on=True)  # fmt: skip


def detections_plot(
    images: np.ndarray,
    truths: Sequence[Mapping[str, np.ndarray]],
    rows: Sequence[tuple[str, Sequence[Mapping[str, np.ndarray]]]],
    class_names: Sequence[str],
    path: str | Path,
    *,
    baseline: str | None = None,
    min_score: float = 0.5,
    lang: str = "en",
) -> Path:
    """Test images (columns) with their true boxes (dashed) and each row's predicted boxes
    (solid, class and score) at or above ``min_score``.

    ``rows`` are ``(row title, detections per image)``; the detections of an image are a
    mapping with ``boxes``, ``labels`` and ``scores``; ``truths`` have ``boxes`` and ``labels``.
    """
    names = [str(n) for n in class_names]
    titles = [title for title, _ in rows]
    palette = variant_palette(titles, baseline)
    count = len(images)
    height, width = np.asarray(images[0]).shape[:2] if count else (1, 1)
    panel = _PANEL * min(1.6, max(0.8, width / max(height, 1)))
    with plt.rc_context({"font.size": 8, "axes.titlesize": 9}):
        fig, axes = plt.subplots(len(rows), max(count, 1), figsize=(panel * max(count, 1), _PANEL * len(rows) + 0.5),
                                 squeeze=False)  # fmt: skip
        for r, (title, detections) in enumerate(rows):
            colour = palette[title]
            for c in range(max(count, 1)):
                ax = axes[r, c]
                ax.set_xticks([])
                ax.set_yticks([])
                if c >= count:
                    ax.set_visible(False)
                    continue
                pixels, cmap = _image_for_display(images[c])
                ax.imshow(pixels, cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
                truth = truths[c]
                _draw_boxes(ax, truth["boxes"], truth["labels"], names, TRUE_BOX_COLOR, dashed=True)
                found = detections[c]
                keep = np.asarray(found["scores"], dtype=float) >= min_score
                _draw_boxes(ax, np.asarray(found["boxes"])[keep], np.asarray(found["labels"])[keep], names,
                            colour, scores=np.asarray(found["scores"])[keep])  # fmt: skip
                ax.set_xlim(0, width)
                ax.set_ylim(height, 0)
                if c == 0:
                    ax.set_ylabel(plain_label(title), fontsize=8)
        handles = [Line2D([], [], color=TRUE_BOX_COLOR, linestyle="--", label=t("figure.true_boxes", lang))] + [
            Line2D([], [], color=palette[title], label=t("figure.predicted_boxes", lang, name=plain_label(title)))
            for title in titles
        ]  # fmt: skip
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=len(handles), frameon=False)
        fig.tight_layout()
        return _finish(fig, path)
