"""What each task adds to a report, asked by name (no task is named here).

A report holds runs of one task or several; for each task this module asks the task
(:class:`bench.tasks.Task`) for its own figures (:meth:`Task.report_figures`) and, per
variant against the baseline, its paired per-item test (:meth:`Task.paired_test`),
and puts the task's answer into words.  The paired test describes the trained models
on this test set (its variation is the test items', not the seeds'), so it is shown
beside the conclusions and never changes a verdict.

Task figures are cached like the report's own: a digest of everything they are drawn
from decides whether last time's PNGs are still right.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Optional

import numpy as np

import bench
from bench import formatting, tasks, words
from bench import metrics as metric_table
from bench.files import cached_figures, write_text_atomic
from bench.layout import FIGURES_DIR
from bench.results import SuiteResults, finite_or_none

__all__ = ["best_variant", "paired_test_of", "paired_tests", "paired_text", "task_figures"]

_INDEX = "task_index.json"


def best_variant(found: SuiteResults, primary: Optional[str]) -> Optional[str]:
    """The variant with the best mean of ``primary`` over its successful runs."""
    ok = found.ok
    if primary is None or primary not in ok or ok[primary].dropna().empty:
        return None
    means = ok.groupby("variant", sort=False)[primary].mean().dropna()
    if means.empty:
        return None
    lower = metric_table.get(primary).direction is metric_table.Direction.LOWER
    return str(means.idxmin() if lower else means.idxmax())


def _runs_of(found: SuiteResults) -> dict[str, list[tasks.RunItems]]:
    """Successful runs with stored per-item results, by task, in plan order."""
    by_task: dict[str, list[tasks.RunItems]] = {}
    for run in found.ok.to_dict("records"):
        items = found.predictions.get(run["key"])
        if not items:
            continue
        config = run.get("config")
        try:
            config = json.loads(config) if isinstance(config, str) else dict(config or {})
        except ValueError:
            config = {}
        by_task.setdefault(str(run["task"]), []).append(
            tasks.RunItems(str(run["key"]), str(run["variant"]), int(run["seed"]), items, config)
        )
    return by_task


def task_figures(found: SuiteResults, out_dir: Path, lang: str, primary: Optional[str]) -> list[dict[str, Any]]:
    """Every task's own figures of this suite, as the report lists figures
    (``id``, ``title``, ``caption``, ``file`` relative to ``out_dir``, ``data_uri``)."""
    out_dir = Path(out_dir)
    by_task = _runs_of(found)
    if not by_task:
        return []
    best = best_variant(found, primary)
    classes = int(found.num_classes() or 0)
    dataset = found.dataset()
    names = dataset.names_of_classes or [str(k) for k in range(classes)]
    shape = tuple(int(x) for x in dataset.input_shape)
    digest = _digest(by_task, found.baseline, best, [names, shape], lang)
    index_path = out_dir / FIGURES_DIR / _INDEX
    listed = cached_figures(index_path, digest, out_dir)
    if listed is None:
        listed = []
        for name, runs in by_task.items():
            request = tasks.FigureRequest(tuple(runs), found.baseline, best, classes, tuple(names),
                                          out_dir / FIGURES_DIR, lang, shape)  # fmt: skip
            listed += [figure.to_dict() for figure in tasks.get(name).report_figures(request)]
        write_text_atomic(index_path, json.dumps({"digest": digest, "figures": listed}))
    for figure in listed:
        data = (out_dir / figure["file"]).read_bytes()
        figure["data_uri"] = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return listed


def paired_tests(found: SuiteResults, lang: str) -> list[dict[str, str]]:
    """Per variant against the baseline, what its task's paired per-item test says on
    their same-seed runs: ``{"variant", "text"}``; variants without such a pair are left out."""
    out = []
    for variant in found.variants_with_runs():
        if variant == found.baseline:
            continue
        test = paired_test_of(found, found.baseline, variant)
        if test is not None:
            out.append({"variant": variant, "text": paired_text(test, found.baseline, variant, lang)})
    return out


def paired_test_of(found: SuiteResults, a: str, b: str) -> Optional[tasks.PairedTest]:
    """The paired per-item test of variant ``b`` against ``a`` that their task gives, on
    their successful same-seed runs with stored per-item results; None without such pairs."""
    ok = found.ok[found.ok["key"].isin(found.predictions)]
    a_by_seed = {int(r["seed"]): r for r in ok[ok["variant"] == a].to_dict("records")}
    matched = [
        (a_by_seed[int(r["seed"])], r)
        for r in ok[ok["variant"] == b].to_dict("records")
        if int(r["seed"]) in a_by_seed and a_by_seed[int(r["seed"])]["task"] == r["task"]
    ]
    if not matched:
        return None
    task = tasks.get(str(matched[0][0]["task"]))
    pairs = [(found.predictions[x["key"]], found.predictions[y["key"]]) for x, y in matched]
    return task.paired_test(pairs, int(found.num_classes() or 0))


def paired_text(test: tasks.PairedTest, a: str, b: str, lang: str) -> str:
    """One sentence stating a paired per-item test of ``b`` against ``a``."""
    values: dict[str, Any] = {"a": a, "b": b, "pairs": test.pairs, "items": formatting.count(test.items)}
    values.update({k: formatting.count(v) for k, v in test.counts.items()})
    if test.metric is not None:
        values.update(
            metric=metric_table.label(test.metric, lang),
            delta=formatting.delta(test.delta, test.metric, lang),
            ci=formatting.interval(test.ci_low, test.ci_high, test.metric, lang),
            level=formatting.number(round(100 * (test.level or 0.0))),
            p=_p_text(test.p_value),
        )  # fmt: skip
        if finite_or_none(test.ci_low) is None:
            return words.t(f"paired.{test.method}_no_interval", lang, **values)
    return words.t(f"paired.{test.method}", lang, **values)


def _p_text(p: Optional[float]) -> str:
    text = formatting.p_value(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


# -- the cache of task figures ------------------------------------------------------------------
def _module_source(name: str) -> bytes:
    module = sys.modules.get(name)
    path = getattr(module, "__file__", None)
    try:
        return Path(path).read_bytes() if path else name.encode()
    except OSError:
        return name.encode()


def _digest(by_task: dict[str, list[tasks.RunItems]], baseline: str, best: Optional[str], names: Any, lang: str) -> str:
    digest = hashlib.sha256()
    for name, runs in sorted(by_task.items()):
        task = tasks.get(name)
        for module in (type(task).__module__, *task.figure_modules):
            digest.update(_module_source(module))
        for run in runs:
            digest.update(json.dumps([name, run.key, run.variant, run.seed, run.config.get("dataset")], default=str).encode())
            for array_name in sorted(run.items):
                array = np.ascontiguousarray(run.items[array_name])
                digest.update(f"{array_name}{array.dtype}{array.shape}".encode())
                digest.update(array.tobytes())
    for lang_file in ("en.py", "ru.py"):  # a relabelled caption redraws
        digest.update((Path(words.__file__).parent / lang_file).read_bytes())
    digest.update(json.dumps([baseline, best, names, lang, bench.__version__]).encode())
    return digest.hexdigest()


