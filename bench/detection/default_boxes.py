"""SSD default boxes (Liu et al. 2016, "SSD: Single Shot MultiBox Detector", §2.2).

Each feature map ``k`` of ``m`` gets a scale ``s_k`` (fraction of the image side),
spaced linearly from ``s_min`` to ``s_max``; every cell of the map gets one box per
aspect ratio ``a`` with width ``s_k·√a`` and height ``s_k/√a``, plus, for ratio 1,
one more square box of scale ``√(s_k·s_{k+1})``.  Boxes are centred on the cells
(``(j + 0.5) / W``) in coordinates normalised to the image (0..1), in centre form
``(cx, cy, w, h)``.  The order -- map by map, cell rows, cell columns, box -- is the
order a head's ``(H, W, boxes·C)`` output has once reshaped to ``(H·W·boxes, C)``.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["boxes_per_location", "default_boxes", "ssd_scales"]


def ssd_scales(num_maps: int, s_min: float = 0.2, s_max: float = 0.9) -> list[float]:
    """The paper's ``num_maps + 1`` scales: ``num_maps`` spaced linearly over
    ``[s_min, s_max]`` and one more step beyond (the extra square box of the last map
    needs ``s_{m+1}``).  A single map gets ``[s_min, s_max]``."""
    if num_maps < 1:
        raise ValueError(f"num_maps must be at least 1. Received: {num_maps}")
    if not 0.0 < s_min <= s_max:
        raise ValueError(f"need 0 < s_min <= s_max. Received: s_min={s_min}, s_max={s_max}")
    if num_maps == 1:
        return [float(s_min), float(s_max)]
    step = (s_max - s_min) / (num_maps - 1)
    return [float(s_min + step * k) for k in range(num_maps)] + [float(s_max + step)]


def boxes_per_location(aspect_ratios: Sequence[float], extra_square: bool = True) -> int:
    """How many default boxes one cell of a map with these ratios carries."""
    return len(aspect_ratios) + int(extra_square and any(np.isclose(a, 1.0) for a in aspect_ratios))


def default_boxes(
    feature_sizes: Sequence[tuple[int, int]],
    scales: Sequence[float],
    aspect_ratios: Sequence[Sequence[float]],
    extra_square: bool = True,
    clip: bool = False,
) -> np.ndarray:
    """All default boxes of a detector, ``(A, 4)`` in centre form, normalised.

    Args:
        feature_sizes: ``(height, width)`` of each feature map, finest first.
        scales: ``len(feature_sizes) + 1`` scales (see :func:`ssd_scales`).
        aspect_ratios: per map, the width/height ratios (e.g. ``[1, 2, 0.5]``).
        extra_square: add the paper's second square box (scale ``√(s_k·s_{k+1})``).
        clip: clip boxes to the image (the paper does not).
    """
    if len(scales) != len(feature_sizes) + 1:
        raise ValueError(
            f"need one scale per feature map plus one. Received: {len(scales)} scales "
            f"for {len(feature_sizes)} maps"
        )
    if len(aspect_ratios) != len(feature_sizes):
        raise ValueError(
            f"need one list of aspect ratios per feature map. Received: {len(aspect_ratios)} "
            f"lists for {len(feature_sizes)} maps"
        )
    per_map = []
    for k, ((height, width), ratios) in enumerate(zip(feature_sizes, aspect_ratios)):
        if any(r <= 0 for r in ratios) or not ratios:
            raise ValueError(f"aspect ratios must be positive and non-empty. Received: {list(ratios)}")
        shapes = []  # (w, h) of each box at one location
        for ratio in ratios:
            shapes.append((scales[k] * np.sqrt(ratio), scales[k] / np.sqrt(ratio)))
            if extra_square and np.isclose(ratio, 1.0):
                side = float(np.sqrt(scales[k] * scales[k + 1]))
                shapes.append((side, side))
        shape_array = np.asarray(shapes, dtype=np.float64)  # (B, 2)
        cy, cx = np.meshgrid(
            (np.arange(height) + 0.5) / height, (np.arange(width) + 0.5) / width, indexing="ij"
        )
        centres = np.stack([cx, cy], axis=-1).reshape(-1, 1, 2)  # (H·W, 1, 2)
        grid = np.concatenate(
            [np.broadcast_to(centres, (centres.shape[0], len(shapes), 2)),
             np.broadcast_to(shape_array, (centres.shape[0], len(shapes), 2))],
            axis=-1,
        )  # fmt: skip
        per_map.append(grid.reshape(-1, 4))
    boxes = np.concatenate(per_map, axis=0)
    if clip:
        from bench.detection.boxes import center_to_corner, corner_to_center

        boxes = corner_to_center(np.clip(center_to_corner(boxes), 0.0, 1.0))
    return boxes
