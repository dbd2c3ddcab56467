"""Report figures: seaborn/matplotlib PNGs drawn from the results tables (no TensorFlow).

Every plotting function takes pandas DataFrames (or arrays) and an output path, writes one
PNG, closes its figure and returns the path.  The inputs are:

``runs``
    one row per run: ``variant``, ``seed``, ``status`` and one column per metric the runs
    recorded (names of the metric table, :mod:`bench.metrics`; NaN allowed, missing columns
    are treated as all-NaN).  Only successful runs are plotted; variants keep their order
    of first appearance (the baseline first).
``history``
    long table of per-epoch values: ``variant``, ``seed``, ``epoch``, ``name``, ``value``.

Colours are fixed per variant for the whole report (:func:`variant_palette`): the baseline
is always dark grey, the other variants take the colour-blind-safe seaborn palette in order.
:func:`all_figures` draws every figure that has data and returns their titles and captions.

Every function takes ``lang`` (``en``/``ru``): titles, axis labels, legends and captions
come from the word catalogs (:mod:`bench.words`) in that language; metric labels, directions
and fraction-ness from the metric table (:mod:`bench.metrics`).
"""

from __future__ import annotations

import base64
import contextvars
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.ticker import EngFormatter, FuncFormatter

from bench import metrics
from bench.files import atomic_path
from bench.plaintext import plain_label
from bench.status import Status
from bench.words import t as _t

__all__ = [
    "DPI",
    "PRINT_FORMATS",
    "all_figures",
    "by_variant_metrics",
    "confusion_matrix_plot",
    "figure_data_uri",
    "learning_curves",
    "metric_by_variant",
    "metric_vs_cost",
    "per_class_plot",
    "variant_order",
    "variant_palette",
]

DPI = 110
BASELINE_COLOR = "#3b3b3b"
_WIDTH = 8.0  # inches; ~880 px at DPI 110, fits a laptop screen and the report column


def _capitalised(text: str) -> str:
    """A label at the start of a title; one spelled with capitals inside ("mAP") stays as it is."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].upper() + text[1:]


def _metric_label(metric: str, lang: str) -> str:
    """An axis label: the metric's label, capitalised, with its unit unless that is in it."""
    from bench.formatting import unit

    text = _capitalised(metrics.label(metric, lang))
    shown = "" if _fraction_metric(metric) else unit(metric, lang)
    return plain_label(f"{text} ({shown})" if shown and shown not in text else text)


def _fraction_metric(metric: str) -> bool:
    return metrics.get(metric).is_fraction


def _lower_is_better(metric: str) -> bool:
    return metrics.get(metric).direction is metrics.Direction.LOWER


# -- helpers ---------------------------------------------------------------------------
def variant_order(*frames: pd.DataFrame | None) -> list[str]:
    """Variant names in order of first appearance over the given frames."""
    order: list[str] = []
    seen: set[str] = set()
    for frame in frames:
        if frame is None or "variant" not in getattr(frame, "columns", ()):
            continue
        for name in frame["variant"].tolist():
            key = str(name)
            if key not in seen:
                seen.add(key)
                order.append(key)
    return order


def variant_palette(variants: Sequence[str], baseline: str | None = None) -> dict[str, Any]:
    """A fixed colour per variant: the baseline dark grey, the rest colour-blind safe."""
    others = [v for v in variants if v != baseline]
    if len(others) <= 10:
        colours = sns.color_palette("colorblind", 10)
    else:
        colours = sns.color_palette("husl", len(others))
    palette: dict[str, Any] = {v: colours[i % len(colours)] for i, v in enumerate(others)}
    if baseline is not None:
        palette[baseline] = BASELINE_COLOR
    return palette


def _ok(runs: pd.DataFrame) -> pd.DataFrame:
    if runs is None or len(runs) == 0 or "variant" not in runs.columns:
        return pd.DataFrame(columns=["variant", "seed", "status"])
    frame = runs
    if "status" in frame.columns:
        frame = frame[frame["status"].astype(str) == Status.OK.value]
    frame = frame.copy()
    frame["variant"] = frame["variant"].astype(str)
    return frame


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def _summary(ok: pd.DataFrame, metric: str, order: Sequence[str]) -> pd.DataFrame:
    """Per variant (in ``order``): n, mean, CI bounds of ``metric`` over the ok seeds."""
    from bench.analysis import summarize

    frame = ok.assign(**{metric: _numeric(ok, metric)})
    stats = summarize(frame, [metric]).set_index("variant") if len(frame) else pd.DataFrame()
    rows = []
    for name in order:
        if name in stats.index:
            row = stats.loc[name]
            n, mean, low, high = int(row["n"]), row["mean"], row["ci_low"], row["ci_high"]
        else:
            n, mean, low, high = 0, math.nan, math.nan, math.nan
        if _fraction_metric(metric) and np.isfinite(low):  # a proportion stays in [0, 1]
            low, high = max(low, 0.0), min(high, 1.0)
        rows.append({"variant": name, "n": n, "mean": mean, "low": low, "high": high})
    frame = pd.DataFrame(rows, columns=["variant", "n", "mean", "low", "high"])
    return frame.astype({"n": int, "mean": float, "low": float, "high": float})


def _is_fraction(metric: str, values: Iterable[float]) -> bool:
    """A fraction metric (the metric table says so) whose values do lie in 0..1."""
    if not _fraction_metric(metric):
        return False
    finite = [v for v in values if v is not None and np.isfinite(v)]
    return bool(finite) and min(finite) >= 0.0 and max(finite) <= 1.0


def _percent_formatter(decimals: int) -> FuncFormatter:
    return FuncFormatter(lambda v, _pos: f"{v * 100:.{decimals}f}%")


#: What a file would carry that changes on every draw (the software version, dates), left out:
#: an unchanged figure is written byte for byte the same, so a committed report stays unchanged.
_METADATA: dict[str, dict[str, None]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}
#: ``all_figures(print_format=...)``: formats written beside each PNG, for print.
PRINT_FORMATS = ("svg", "pdf")
_ALSO: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("bench_figure_formats", default=())


def _finish(fig: plt.Figure, path: str | Path) -> Path:
    """Save ``fig`` to ``path`` (and beside it in the print formats :func:`all_figures` asks for),
    then close it."""
    path = Path(path)
    targets = [path] + [path.with_suffix(f".{fmt}") for fmt in _ALSO.get() if f".{fmt}" != path.suffix]
    try:
        for target in targets:
            fmt = target.suffix.lstrip(".") or "png"
            with atomic_path(target) as temporary, plt.rc_context({"svg.hashsalt": "bench"}):
                fig.savefig(  # through a temporary file: a full disk never leaves half a figure
                    temporary, format=fmt, dpi=DPI, bbox_inches="tight", facecolor="white",
                    metadata=_METADATA.get(fmt),
                )  # fmt: skip
    finally:
        plt.close(fig)
    return path


def _empty_figure(path: str | Path, message: str, title: str = "") -> Path:
    fig, ax = plt.subplots(figsize=(_WIDTH * 0.6, 1.6))
    ax.axis("off")
    ax.text(0.5, 0.5, plain_label(message), ha="center", va="center", fontsize=11, color="#555555")
    if title:
        ax.set_title(plain_label(title), fontsize=12, loc="left")
    return _finish(fig, path)


def _style() -> dict[str, Any]:
    return {
        "axes.grid": True,
        "grid.color": "#e3e3e3",
        "grid.linewidth": 0.8,
        "axes.edgecolor": "#bbbbbb",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.size": 10,
        "axes.titlesize": 12,
        "axes.titleweight": "bold",
        "axes.labelsize": 10,
        "legend.fontsize": 9,
        "legend.frameon": False,
    }


def _label(name: str, limit: int = 38) -> str:
    """A variant or class name as drawn: plain text (never math, never a hidden legend entry),
    long names shortened in the middle (full names in tables)."""
    return plain_label(name if len(name) <= limit else name[: limit - 12] + "…" + name[-11:])


# -- figures ---------------------------------------------------------------------------
def metric_by_variant(
    runs: pd.DataFrame,
    path: str | Path,
    metric: str = "accuracy",
    baseline: str | None = None,
    *,
    order: Sequence[str] | None = None,
    palette: Mapping[str, Any] | None = None,
    title: str | None = None,
    lang: str = "en",
) -> Path:
    """Per variant: mean with a 95% t-interval, every seed as a dot, the baseline mean dashed.

    Variants are rows (names on the y axis, readable however long) in their given order;
    a variant without a successful run keeps its row, marked "no successful runs".
    """
    order = list(order) if order is not None else variant_order(runs)
    if baseline is None and order:
        baseline = order[0]
    palette = dict(palette) if palette is not None else variant_palette(order, baseline)
    ok = _ok(runs)
    label = _metric_label(metric, lang)
    title = title if title is not None else _t("figure.label_by_variant", lang, label=_capitalised(metrics.label(metric, lang)))
    if not order:
        return _empty_figure(path, _t("figure.no_runs", lang), title)
    summary = _summary(ok, metric, order)
    values = _numeric(ok, metric)
    fraction = _is_fraction(metric, values.dropna().tolist())

    with plt.rc_context(_style()):
        height = max(2.2, 0.42 * len(order) + 1.3)
        fig, ax = plt.subplots(figsize=(_WIDTH, height))
        ys = np.arange(len(order))
        base_row = summary[summary["variant"] == baseline]
        if len(base_row) and np.isfinite(base_row["mean"].iloc[0]):
            base_mean = float(base_row["mean"].iloc[0])
            if np.isfinite(base_row["low"].iloc[0]):
                ax.axvspan(
                    base_row["low"].iloc[0],
                    base_row["high"].iloc[0],
                    color=BASELINE_COLOR,
                    alpha=0.07,
                    lw=0,
                    zorder=0,
                )
            ax.axvline(
                base_mean,
                color=BASELINE_COLOR,
                ls="--",
                lw=1.2,
                zorder=1,
                label=_t("figure.baseline_mean", lang)
                if baseline.lower() == "baseline"
                else _t("figure.baseline_mean_name", lang, name=_label(baseline, 24)),
            )
        for y, row in zip(ys, summary.itertuples(index=False)):
            colour = palette.get(row.variant, BASELINE_COLOR)
            seeds = values[ok["variant"] == row.variant].dropna().to_numpy()
            if seeds.size:
                jitter = np.linspace(-0.14, 0.14, seeds.size) if seeds.size > 1 else np.zeros(1)
                ax.scatter(
                    seeds,
                    y + 0.22 + jitter * 0.5,
                    s=16,
                    color=colour,
                    alpha=0.55,
                    edgecolor="none",
                    zorder=2,
                )
            if not np.isfinite(row.mean):
                ax.text(
                    0.01,
                    y,
                    _t("figure.no_successful_runs", lang) if row.n == 0 else _t("figure.no_data", lang),
                    transform=ax.get_yaxis_transform(),
                    va="center",
                    fontsize=9,
                    color="#a33",
                    style="italic",
                )
                continue
            if np.isfinite(row.low):
                ax.errorbar(
                    row.mean,
                    y,
                    xerr=[[row.mean - row.low], [row.high - row.mean]],
                    fmt="none",
                    ecolor=colour,
                    elinewidth=2.2,
                    capsize=4,
                    zorder=3,
                )
            is_base = row.variant == baseline
            ax.scatter(
                [row.mean],
                [y],
                s=70 if is_base else 55,
                marker="D" if is_base else "o",
                color=colour,
                edgecolor="white",
                linewidth=0.8,
                zorder=4,
            )
        ax.set_yticks(ys)
        ax.set_yticklabels([_label(v) for v in order])
        for tick, name in zip(ax.get_yticklabels(), order):
            if name == baseline:
                tick.set_fontweight("bold")
        ax.set_ylim(len(order) - 0.5, -0.6)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(label + (_t("figure.lower_is_better", lang) if _lower_is_better(metric) else ""))
        if fraction:
            finite = pd.concat([values.dropna(), summary["low"].dropna(), summary["high"].dropna()])
            span = float(finite.max() - finite.min()) if len(finite) else 0.0
            ax.xaxis.set_major_formatter(
                _percent_formatter(0 if span > 0.2 else 1 if span > 0.02 else 2)
            )
        ax.set_title(plain_label(title), loc="left")
        handles = [
            Line2D(
                [],
                [],
                marker="o",
                ls="-",
                color="#666666",
                lw=2.2,
                markersize=6,
                label=_t("figure.mean_95_ci", lang),
            ),
            Line2D(
                [],
                [],
                marker="o",
                ls="none",
                color="#666666",
                alpha=0.55,
                markersize=4,
                label=_t("figure.single_seeds", lang),
            ),
        ]
        if ax.get_legend_handles_labels()[0]:
            handles += ax.get_legend_handles_labels()[0]
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(0, -0.12 - 0.6 / height), ncol=3
        )
        return _finish(fig, path)


def learning_curves(
    history: pd.DataFrame,
    path: str | Path,
    *,
    order: Sequence[str] | None = None,
    palette: Mapping[str, Any] | None = None,
    baseline: str | None = None,
    lang: str = "en",
) -> Path:
    """Accuracy (left) and loss (right) per epoch: validation solid, training dashed.

    One line per variant, the mean over seeds, with a band from the lowest to the highest
    seed.  Short histories (a single epoch included) are drawn with markers.
    """
    needed = {"variant", "epoch", "name", "value"}
    if history is None or len(history) == 0 or not needed <= set(history.columns):
        return _empty_figure(path, _t("figure.no_training_history", lang), _t("figure.learning_curves", lang))
    frame = history.copy()
    frame["variant"] = frame["variant"].astype(str)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    frame["epoch"] = pd.to_numeric(frame["epoch"], errors="coerce")
    frame = frame[np.isfinite(frame["value"]) & np.isfinite(frame["epoch"])]
    order = list(order) if order is not None else variant_order(frame)
    order = [v for v in order if v in set(frame["variant"])] + [
        v for v in variant_order(frame) if v not in set(order)
    ]
    if baseline is None and order:
        baseline = order[0]
    palette = dict(palette) if palette is not None else variant_palette(order, baseline)

    panels = [
        ("accuracy", ("val_accuracy", "accuracy")),
        ("loss", ("val_loss", "loss")),
    ]
    panels = [(t, names) for t, names in panels if frame["name"].isin(names).any()]
    if not panels or frame.empty:
        return _empty_figure(path, _t("figure.no_accuracy_or_loss_history", lang), _t("figure.learning_curves", lang))

    n_epochs = frame["epoch"].nunique()
    dodge = min(0.12, 0.8 / max(1, len(order)))
    markers = n_epochs <= 15
    with plt.rc_context(_style()):
        fig, axes = plt.subplots(
            1, len(panels), figsize=(_WIDTH + 1.5 * (len(panels) - 1), 3.8), squeeze=False
        )
        for ax, (panel, (val_name, train_name)) in zip(axes[0], panels):
            for name, style in ((train_name, "--"), (val_name, "-")):
                part = frame[frame["name"] == name]
                if part.empty:
                    continue
                for index, variant in enumerate(order):
                    data = part[part["variant"] == variant]
                    if data.empty:
                        continue
                    stats = data.groupby("epoch")["value"].agg(["mean", "min", "max"]).sort_index()
                    if n_epochs == 1:  # side by side, or every variant hides the others
                        stats.index = stats.index + dodge * (index - (len(order) - 1) / 2)
                    colour = palette.get(variant, BASELINE_COLOR)
                    ax.plot(
                        stats.index,
                        stats["mean"],
                        ls=style,
                        color=colour,
                        lw=2.0 if style == "-" else 1.3,
                        alpha=1.0 if style == "-" else 0.8,
                        marker="o" if markers else None,
                        markersize=4 if style == "-" else 3,
                    )
                    if len(stats) > 1 and (stats["max"] > stats["min"]).any():
                        ax.fill_between(
                            stats.index,
                            stats["min"],
                            stats["max"],
                            color=colour,
                            alpha=0.12 if style == "-" else 0.06,
                            lw=0,
                        )
                    elif len(stats) == 1 and stats["max"].iloc[0] > stats["min"].iloc[0]:
                        ax.vlines(stats.index, stats["min"], stats["max"], color=colour, alpha=0.4)
            epochs = sorted(frame["epoch"].unique())
            if len(epochs) <= 12:
                ax.set_xticks(epochs)
            if len(epochs) == 1:
                ax.set_xlim(epochs[0] - 0.6, epochs[0] + 0.6)
            ax.set_xlabel(_t("figure.epoch", lang))
            ax.set_title(_metric_label(panel, lang), loc="left")
            if _fraction_metric(panel):
                vals = frame[frame["name"].isin((val_name, train_name))]["value"]
                if len(vals) and vals.min() >= 0 and vals.max() <= 1:
                    span = float(vals.max() - vals.min())
                    ax.yaxis.set_major_formatter(_percent_formatter(0 if span > 0.2 else 1))
            else:
                vals = frame[frame["name"].isin((val_name, train_name))]["value"]
                if len(vals) and vals.min() > 0 and vals.max() / vals.min() > 30:
                    ax.set_yscale("log")
        handles = [
            Line2D(
                [],
                [],
                color=palette.get(v, BASELINE_COLOR),
                lw=2.2,
                label=_label(v, 30) + (_t("figure.baseline_suffix", lang) if v == baseline and v != "baseline" else ""),
            )
            for v in order
        ]
        handles += [
            Line2D([], [], color="#666666", ls="-", lw=2, label=_t("figure.validation", lang)),
            Line2D([], [], color="#666666", ls="--", lw=1.3, label=_t("figure.training", lang)),
        ]
        fig.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=min(4, len(handles)),
            frameon=False,
        )
        fig.tight_layout()
        return _finish(fig, path)




def _place_labels(ax: plt.Axes, table: pd.DataFrame, baseline: str | None) -> None:
    """Name each point to its right, nudging labels apart vertically where they would overlap.

    Variants often share a cost (same FLOPs), so labels are spread in display space: points
    whose labels would collide (close in x) get labels at least one line apart, joined to
    their point by a thin leader line when moved.
    """
    ax.figure.canvas.draw()  # fixes the limits so display coordinates are final
    to_display = ax.transData.transform
    pts = [(str(name), *to_display((row["x"], row["y"]))) for name, row in table.iterrows()]
    line = 9 / 72 * ax.figure.dpi * 1.25  # one 9-pt text line, in display pixels
    char = 9 / 72 * ax.figure.dpi * 0.6  # mean character width of a 9-pt label
    offset = 14.0  # label start, pixels right of its point
    placed: list[tuple[float, float, float]] = []  # (left, right, y) of labels, display pixels
    positions: dict[str, float] = {}
    for name, px, py in sorted(pts, key=lambda p: (-p[2], p[1])):  # top to bottom
        left, right = px + offset - 4, px + offset + char * len(_label(name, 26)) + 4
        y = py
        for _ in range(len(pts) + 1):
            clash = [
                ly
                for l_left, l_right, ly in placed
                if left < l_right and l_left < right and abs(ly - y) < line
            ]
            if not clash:
                break
            y = min(clash) - line
        placed.append((left, right, y))
        positions[name] = y
    for name, px, py in pts:
        y_pix = positions[name]
        moved = abs(y_pix - py) > 1
        row = table.loc[name]
        ax.annotate(
            _label(name, 26),
            (row["x"], row["y"]),
            xytext=(offset, y_pix - py),
            textcoords="offset pixels",
            fontsize=9,
            va="center",
            fontweight="bold" if name == baseline else "normal",
            color="#222222",
            zorder=5,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
            arrowprops={
                "arrowstyle": "-",
                "color": "#aaaaaa",
                "lw": 0.7,
                "shrinkA": 0,
                "shrinkB": 5,
            }
            if moved
            else None,
        )


def metric_vs_cost(
    runs: pd.DataFrame,
    path: str | Path,
    x: str = "flops",
    pareto: set[str] | None = None,
    *,
    metric: str = "accuracy",
    baseline: str | None = None,
    order: Sequence[str] | None = None,
    palette: Mapping[str, Any] | None = None,
    lang: str = "en",
) -> Path:
    """Mean ``metric`` (95% t-interval over seeds) against the mean cost ``x``, per variant.

    Points carry the variant names; Pareto variants (no other variant is both cheaper and
    better on ``metric``) are filled and ringed and joined by a step line, the others hollow.
    The x axis is logarithmic when the costs span more than a factor of 10.
    """
    order = list(order) if order is not None else variant_order(runs)
    if baseline is None and order:
        baseline = order[0]
    palette = dict(palette) if palette is not None else variant_palette(order, baseline)
    ok = _ok(runs)
    x_label = _metric_label(x, lang)
    y_label = _metric_label(metric, lang)
    title = _t("figure.y_vs_x", lang, y=y_label, x=metrics.label(x, lang))
    acc = _summary(ok, metric, order).set_index("variant")
    cost = _summary(ok, x, order).set_index("variant")
    table = pd.DataFrame(
        {"x": cost["mean"], "y": acc["mean"], "low": acc["low"], "high": acc["high"], "n": acc["n"]}
    )
    table = table[np.isfinite(table["x"]) & np.isfinite(table["y"])]
    if table.empty:
        return _empty_figure(
            path, _t("figure.no_runs_with", lang, x=metrics.label(x, lang), metric=metrics.label(metric, lang)), title
        )
    if pareto is None:
        from bench.analysis import pareto_front

        pareto = pareto_front(
            table.rename(columns={"x": "cost", "y": "score"}), x="cost", y="score",
            maximize_y=not _lower_is_better(metric),
        )  # fmt: skip
    pareto = {str(p) for p in pareto}
    fraction = _is_fraction(metric, table["y"].tolist())

    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(_WIDTH, 5.0), dpi=DPI)
        xs = table["x"].to_numpy()
        log_x = bool(xs.min() > 0 and xs.max() / xs.min() > 10)
        if log_x:
            ax.set_xscale("log")
        front = table[table.index.isin(pareto)].sort_values("x")
        if len(front) > 1:
            ax.plot(
                front["x"],
                front["y"],
                drawstyle="steps-post",
                color="#999999",
                lw=1.2,
                ls="-",
                zorder=1,
            )
        for name, row in table.iterrows():
            colour = palette.get(name, BASELINE_COLOR)
            if np.isfinite(row["low"]):
                ax.errorbar(
                    row["x"],
                    row["y"],
                    yerr=[[row["y"] - row["low"]], [row["high"] - row["y"]]],
                    fmt="none",
                    ecolor=colour,
                    elinewidth=1.5,
                    capsize=3,
                    alpha=0.8,
                    zorder=2,
                )
            on_front = name in pareto
            if on_front:
                ax.scatter(
                    [row["x"]],
                    [row["y"]],
                    s=170,
                    facecolor="none",
                    edgecolor="#222222",
                    linewidth=1.3,
                    zorder=3,
                )
            ax.scatter(
                [row["x"]],
                [row["y"]],
                s=60,
                marker="D" if name == baseline else "o",
                facecolor=colour if on_front else "white",
                edgecolor=colour,
                linewidth=2.0,
                zorder=4,
            )
        ax.margins(x=0.12, y=0.15)
        _place_labels(ax, table, baseline)
        kind = metrics.get(x).kind
        if kind in (metrics.Kind.FLOPS, metrics.Kind.MACS, metrics.Kind.COUNT):
            ax.xaxis.set_major_formatter(EngFormatter(sep=" "))
        elif kind is metrics.Kind.SECONDS:
            from bench.formatting import unit

            ax.xaxis.set_major_formatter(EngFormatter(unit=unit(x, lang), sep=" "))
        ax.set_xlabel(x_label + (_t("figure.log_scale", lang) if log_x else ""))
        ax.set_ylabel(y_label)
        if fraction:
            span = float(
                np.nanmax(table[["y", "high"]].to_numpy())
                - np.nanmin(table[["y", "low"]].to_numpy())
            )
            ax.yaxis.set_major_formatter(
                _percent_formatter(0 if span > 0.2 else 1 if span > 0.02 else 2)
            )
        ax.set_title(plain_label(title), loc="left")
        handles = [
            Line2D(
                [],
                [],
                marker="o",
                ls="none",
                markerfacecolor="#777777",
                markeredgecolor="#222222",
                markersize=8,
                label=_t("figure.pareto_legend", lang),
            ),
            Line2D(
                [],
                [],
                marker="o",
                ls="none",
                markerfacecolor="white",
                markeredgecolor="#777777",
                markeredgewidth=2,
                markersize=7,
                label=_t("figure.dominated", lang),
            ),
            Line2D([], [], color="#777777", lw=1.5, label=_t("figure.95_ci_over_seeds", lang)),
        ]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, -0.13), ncol=3)
        return _finish(fig, path)


def confusion_matrix_plot(
    matrix: np.ndarray, class_names: Sequence[str], path: str | Path, title: str = "", lang: str = "en"
) -> Path:
    """Row-normalised confusion matrix (rows: true class), annotated up to 12 classes."""
    counts = np.asarray(matrix, dtype=float)
    if counts.ndim != 2 or counts.shape[0] == 0 or counts.shape[0] != counts.shape[1]:
        return _empty_figure(path, _t("figure.no_confusion_matrix", lang), title)
    sums = counts.sum(axis=1, keepdims=True)
    normalised = np.divide(counts, sums, out=np.zeros_like(counts), where=sums > 0)
    n = counts.shape[0]
    names = (
        [str(c) for c in class_names]
        if class_names is not None and len(class_names) == n
        else [str(i) for i in range(n)]
    )
    annotate = n <= 12
    size = min(11.0, max(4.2, 0.55 * n + 2.0))
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(size + 1.0, size))
        sns.heatmap(
            normalised,
            ax=ax,
            vmin=0.0,
            vmax=1.0,
            cmap="Blues",
            square=True,
            annot=annotate,
            fmt=".2f",
            annot_kws={"fontsize": 8 if n > 8 else 9},
            linewidths=0.4 if n <= 30 else 0,
            linecolor="white",
            xticklabels=[_label(c, 16) for c in names] if n <= 50 else False,
            yticklabels=[_label(c, 16) for c in names] if n <= 50 else False,
            cbar_kws={"label": _t("figure.fraction_of_the_true_class", lang), "shrink": 0.8},
        )
        ax.set_xlabel(_t("figure.predicted_class", lang))
        ax.set_ylabel(_t("figure.true_class", lang))
        if n <= 50:
            long = max((len(c) for c in names), default=0) > 3 or n > 12
            ax.set_xticklabels(
                ax.get_xticklabels(), rotation=45 if long else 0, ha="right" if long else "center"
            )
            ax.set_yticklabels(ax.get_yticklabels(), rotation=0)
        ax.grid(False)
        ax.set_title(plain_label(title or _t("figure.confusion_matrix_row_normalised", lang)), loc="left")
        return _finish(fig, path)


def per_class_metric(frame: pd.DataFrame | None) -> str | None:
    """The metric a per-class frame holds: its one column besides ``variant`` and ``class_name``
    (the run's task says which: accuracy for classes, AP for detection)."""
    if frame is None or not {"variant", "class_name"} <= set(frame.columns):
        return None
    others = [c for c in frame.columns if c not in ("variant", "class_name")]
    return str(others[0]) if len(others) == 1 else None


def per_class_plot(frame: pd.DataFrame, path: str | Path, lang: str = "en") -> Path:
    """Heatmap of a per-class score: variants (rows, given order) × classes (columns).

    ``frame`` has ``variant``, ``class_name`` and one column named after the metric the
    scores are (:func:`per_class_metric`), mean over seeds.
    """
    metric = per_class_metric(frame)
    if metric is None or len(frame) == 0:
        return _empty_figure(path, _t("figure.no_per_class_results", lang))
    label = _capitalised(metrics.label(metric, lang))
    data = frame.copy()
    data["variant"] = data["variant"].astype(str)
    data["class_name"] = data["class_name"].astype(str)
    data[metric] = pd.to_numeric(data[metric], errors="coerce")
    rows = variant_order(data)
    cols = list(dict.fromkeys(data["class_name"].tolist()))
    table = data.pivot_table(
        index="variant", columns="class_name", values=metric, aggfunc="mean", dropna=False
    ).reindex(index=rows, columns=cols)
    finite = table.to_numpy()[np.isfinite(table.to_numpy())]
    fraction = _is_fraction(metric, finite.tolist())
    annotate = len(cols) <= 12 and len(rows) <= 30
    width = min(16.0, max(5.5, 0.62 * len(cols) + 3.5))
    height = max(2.2, 0.42 * len(rows) + 1.6)
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(width, height))
        sns.heatmap(
            table * (100 if fraction else 1),
            ax=ax,
            cmap="viridis",
            vmin=None,
            vmax=100 if fraction and finite.max() > 0.9 else None,
            annot=annotate,
            fmt=".1f" if fraction else ".3g",
            annot_kws={"fontsize": 8},
            linewidths=0.4,
            linecolor="white",
            xticklabels=[_label(c, 16) for c in cols],
            yticklabels=[_label(r) for r in rows],
            cbar_kws={"label": plain_label(f"{label} (%)") if fraction else _metric_label(metric, lang)},
        )
        long = max((len(c) for c in cols), default=0) > 3 or len(cols) > 12
        ax.set_xticklabels(
            ax.get_xticklabels(), rotation=45 if long else 0, ha="right" if long else "center"
        )
        ax.set_yticklabels(ax.get_yticklabels(), rotation=0)
        ax.set_xlabel(_t("figure.class", lang))
        ax.set_ylabel("")
        ax.grid(False)
        ax.set_title(plain_label(_t("figure.per_class_title", lang, label=label)), loc="left")
        return _finish(fig, path)


# -- all figures of a report -----------------------------------------------------------
def _confusion_items(confusion: Any) -> list[dict[str, Any]]:
    """Normalise the accepted ``confusion`` shapes to [{matrix, class_names, title, variant}].

    Accepted: one dict ``{"matrix", "class_names", "title"?, "variant"?}``; a list of such
    dicts; or a mapping ``variant -> {"matrix", "class_names"}`` or ``variant -> (matrix,
    class_names)``.
    """
    if confusion is None:
        return []
    if isinstance(confusion, Mapping) and "matrix" in confusion:
        return [dict(confusion)]
    items: list[dict[str, Any]] = []
    if isinstance(confusion, Mapping):
        for variant, value in confusion.items():
            if isinstance(value, Mapping):
                item = dict(value)
            else:
                matrix, names = value
                item = {"matrix": matrix, "class_names": names}
            item.setdefault("variant", str(variant))
            items.append(item)
        return items
    return [dict(item) for item in confusion]


def _slug(text: str) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    while "--" in cleaned:
        cleaned = cleaned.replace("--", "-")
    return cleaned[:40] or "figure"


def _attach_variants(history: pd.DataFrame, runs: pd.DataFrame | None) -> pd.DataFrame:
    """A store history (``run_key``) gets ``variant``/``seed`` from the runs' ``key``."""
    if "variant" in history.columns or "run_key" not in history.columns:
        return history
    if runs is None or not {"key", "variant", "seed"} <= set(runs.columns):
        return history
    keys = runs[["key", "variant", "seed"]].rename(columns={"key": "run_key"})
    return history.merge(keys, on="run_key", how="inner")


def _file_stem(metric: str) -> str:
    """A metric name as a file name (metric names are identifiers; a user's own may not be)."""
    return metric if metric.isidentifier() else _slug(metric)


def by_variant_metrics(runs: pd.DataFrame) -> list[str]:
    """The metrics drawn "by variant", in table order: every report metric the successful
    runs hold, except the costs (drawn against the primary metric instead), sizes and counts
    that seeds do not scatter (multiply-adds: the results table says them) and metrics whose
    value is the same in every run (nothing to see); the first (primary) one is drawn even
    then, so a single run still gets its figure."""
    ok = _ok(runs)
    named = set(metrics.report_metrics(ok.columns)) | set(metrics.compared_metrics(ok.columns))
    present = [c for c in ok.columns if c in named and _numeric(ok, c).notna().any()]
    primary = next(iter(metrics.compared_metrics(present)), None)
    shown = []
    for name in metrics.report_metrics(present):
        facts = metrics.get(name)
        if facts.cost or (name != primary and not facts.varies_by_seed):
            continue
        if name == primary or _numeric(ok, name).dropna().nunique() > 1:
            shown.append(name)
    if primary in shown:  # the primary metric leads: the cost figures plot it
        shown.remove(primary)
        shown.insert(0, primary)
    return shown


def all_figures(
    runs: pd.DataFrame,
    history: pd.DataFrame | None,
    out_dir: str | Path,
    baseline: str | None = None,
    confusion: Any = None,
    per_class: pd.DataFrame | None = None,
    lang: str = "en",
    print_format: str = "png",
) -> list[dict[str, str]]:
    """Draw every figure that has data into ``out_dir/figures``.

    Returns ``[{"id", "title", "caption", "file"}]`` with ``file`` (a PNG) relative to
    ``out_dir``.  ``print_format`` ``svg`` or ``pdf`` also writes each figure in that format
    beside its PNG, named in ``print_file``.  History is limited to the successful runs (when
    ``runs`` says which they are).
    """
    if print_format != "png" and print_format not in PRINT_FORMATS:
        raise ValueError(f"print_format: {print_format!r} is not png, {' or '.join(PRINT_FORMATS)}")
    token = _ALSO.set((print_format,) if print_format != "png" else ())
    try:
        return _all_figures(runs, history, out_dir, baseline, confusion, per_class, lang, print_format)
    finally:
        _ALSO.reset(token)


def _all_figures(
    runs: pd.DataFrame,
    history: pd.DataFrame | None,
    out_dir: str | Path,
    baseline: str | None,
    confusion: Any,
    per_class: pd.DataFrame | None,
    lang: str,
    print_format: str,
) -> list[dict[str, str]]:
    out_dir = Path(out_dir)
    fig_dir = out_dir / "figures"
    runs = runs if runs is not None else pd.DataFrame(columns=["variant", "seed", "status"])
    order = variant_order(runs)
    if history is not None and len(history):
        history = _attach_variants(history, runs)
        for name in variant_order(history):
            if name not in order:
                order.append(name)
    if baseline is None and order:
        baseline = order[0]
    palette = variant_palette(order, baseline)
    ok = _ok(runs)
    figures: list[dict[str, str]] = []

    def add(fig_id: str, title: str, caption: str, file_name: str) -> None:
        entry = {"id": fig_id, "title": title, "caption": caption, "file": f"figures/{file_name}"}
        if print_format != "png":
            entry["print_file"] = f"figures/{Path(file_name).with_suffix('.' + print_format)}"
        figures.append(entry)

    def seeds_note(metric: str) -> str:
        counts = _summary(ok, metric, order)
        with_ok = set(ok["variant"])
        single = [r.variant for r in counts.itertuples() if r.n == 1]
        failed = [r.variant for r in counts.itertuples() if r.n == 0 and r.variant not in with_ok]
        no_value = [r.variant for r in counts.itertuples() if r.n == 0 and r.variant in with_ok]
        notes = []
        if single:
            notes.append(_t("figure.no_interval", lang, names=", ".join(single)))
        if failed:
            notes.append(_t("figure.no_successful_runs_names", lang, names=", ".join(failed)))
        if no_value:
            notes.append(_t("figure.not_measured_names", lang, names=", ".join(no_value)))
        text = "; ".join(notes)
        return (" " + text[:1].upper() + text[1:] + ".") if notes else ""

    shown = by_variant_metrics(ok)
    primary = shown[0] if shown else None

    def by_variant(metric: str) -> None:
        label = _capitalised(metrics.label(metric, lang))
        title = _t("figure.label_by_variant", lang, label=label)
        file_name = f"{_file_stem(metric)}.png"
        metric_by_variant(
            runs, fig_dir / file_name, metric=metric, baseline=baseline, order=order, palette=palette,
            title=title, lang=lang,
        )  # fmt: skip
        facts = metrics.get(metric)
        caption = _t("figure.by_variant_caption", lang, label=label,
                     direction=_t(f"direction.{facts.direction.value}", lang))  # fmt: skip
        if facts.is_fraction:
            caption += _t("figure.interval_clipped", lang)
        add(metric, title, caption + seeds_note(metric), file_name)

    # the task's own metrics first (what the suite is about), the ones every run records later
    for metric in shown:
        if metrics.get(metric).task is not None or metric == primary:
            by_variant(metric)

    if (
        history is not None
        and len(history)
        and {"variant", "epoch", "name", "value"} <= set(history.columns)
    ):
        curves = history
        if "seed" in curves.columns and len(ok) and "seed" in ok.columns:
            pairs = set(zip(ok["variant"].astype(str), ok["seed"].tolist()))
            mask = [(str(v), s) in pairs for v, s in zip(curves["variant"], curves["seed"])]
            curves = curves[mask]
        elif "status" in runs.columns and not len(ok):
            curves = curves.iloc[0:0]
        names = set(curves["name"]) & {"accuracy", "val_accuracy", "loss", "val_loss"}
        finite = (
            pd.to_numeric(curves["value"], errors="coerce").notna().any() if len(curves) else False
        )
        if names and finite:
            learning_curves(
                curves,
                fig_dir / "learning_curves.png",
                order=order,
                palette=palette,
                baseline=baseline,
                lang=lang,
            )
            add(
                "learning_curves",
                _t("figure.learning_curves", lang),
                _t("figure.learning_curves_caption", lang),
                "learning_curves.png",
            )

    for x, suffix in (("flops", "flops"), ("train_seconds", "time")):
        if primary is None or primary == x:
            continue
        score = _summary(ok, primary, order)
        cost = _summary(ok, x, order)
        usable = np.isfinite(score["mean"].to_numpy()) & np.isfinite(cost["mean"].to_numpy())
        if not usable.any():
            continue
        file_name = f"{_file_stem(primary)}_vs_{suffix}.png"
        metric_vs_cost(
            runs, fig_dir / file_name, x=x, metric=primary, baseline=baseline, order=order,
            palette=palette, lang=lang,
        )  # fmt: skip
        missing = [v for v, ok_ in zip(order, usable) if not ok_]
        add(
            f"{primary}_vs_{suffix}",
            _t("figure.y_vs_x", lang, y=_capitalised(metrics.label(primary, lang)), x=metrics.label(x, lang)),
            _t("figure.vs_cost_caption", lang, metric=metrics.label(primary, lang), what=metrics.label(x, lang))
            + (_t("figure.not_shown_no_data_names", lang, names=", ".join(missing)) if missing else ""),
            file_name,
        )

    for metric in shown:
        if metrics.get(metric).task is None and metric != primary:
            by_variant(metric)

    scored = per_class_metric(per_class)
    if scored is not None and len(per_class) and pd.to_numeric(per_class[scored], errors="coerce").notna().any():
        label = _capitalised(metrics.label(scored, lang))
        file_name = f"per_class_{_file_stem(scored)}.png"
        per_class_plot(per_class, fig_dir / file_name, lang=lang)
        add(
            f"per_class_{scored}",
            _t("figure.per_class", lang, label=label),
            _t("figure.per_class_caption", lang, label=label),
            file_name,
        )

    for index, item in enumerate(_confusion_items(confusion)):
        matrix = item.get("matrix")
        if matrix is None or np.asarray(matrix).size == 0:
            continue
        variant = item.get("variant")
        title = item.get("title") or (
            _t("figure.confusion_matrix_variant", lang, variant=variant)
            if variant
            else _t("figure.confusion_matrix", lang)
        )
        file_name = f"confusion_{_slug(str(variant)) if variant else index}_{index}.png"
        confusion_matrix_plot(
            np.asarray(matrix),
            list(item.get("class_names") or []),
            fig_dir / file_name,
            title=title,
            lang=lang,
        )
        add(
            f"confusion_{index}",
            title,
            (_t("figure.confusion_matrix_for_variant", lang, variant=variant) if variant else _t("figure.confusion_matrix", lang))
            + (f" ({item['caption']})" if item.get("caption") else "")
            + _t("figure.confusion_caption_tail", lang),
            file_name,
        )
    return figures


def figure_data_uri(path: str | Path) -> str:
    """A PNG file as a ``data:image/png;base64,…`` URI, for a self-contained HTML report."""
    data = Path(path).read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")
