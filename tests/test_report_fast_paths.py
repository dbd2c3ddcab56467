"""The report's fast paths give the numbers and text of the plain ones.

A report reuses what it worked out once (the per-class family, one set of bootstrap
draws per shape, compiled templates) and leaves scipy.stats and matplotlib unimported
where nothing needs them; none of it may change a number, a word or a stale template.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from bench import analysis, formatting, inference, results
from bench.report import render_report
from conftest import TINY_SUITE, build_synthetic_store

THREE_VARIANTS = TINY_SUITE.replace("seeds: 2", "seeds: 4") + (
    "  - name: elu\n    set: {model.activation: elu}\n"
)


def test_t_quantiles_are_scipy_stats_numbers() -> None:
    q = np.array([1e-9, 0.0005, 0.005, 0.025, 0.05 / 9 / 2, 0.3, 0.5, 0.975, 0.999999])
    for df in (0.7, 1.0, 2.0, 3.5, 9.0, 17.3, 250.0):
        assert np.array_equal(inference.t_isf(q, df), stats.t.isf(q, df))
        assert np.array_equal(inference.t_ppf(q, df), stats.t.ppf(q, df))
    df = np.linspace(0.5, 80, 50)
    assert np.array_equal(inference.t_isf(0.0125, df), stats.t.isf(0.0125, df))
    x = np.array([-40.0, -3.2, -1e-3, 0.0, 0.4, 2.1, 7.5, 60.0])
    for df in (0.7, 1.0, 3.5, 17.3, 250.0):
        assert np.array_equal(inference.t_sf(x, df), stats.t.sf(x, df))
        assert np.array_equal(inference.t_cdf(x, df), stats.t.cdf(x, df))
    # outside the plain domain scipy.stats answers itself
    assert inference.t_sf(np.inf, 4) == stats.t.sf(np.inf, 4)
    assert inference.t_isf(1.0, 3) == stats.t.isf(1.0, 3)
    assert np.isnan(inference.t_ppf(0.5, -1.0))


@pytest.mark.parametrize("counts", [(0, 5, 0, 7), (5, 5, 3, 3), (2, 5, 0, 7), (1, 4, 3, 4)])
def test_rates_of_an_empty_column_match_fisher(counts: tuple[int, int, int, int]) -> None:
    bad_a, total_a, bad_b, total_b = counts
    table = [[bad_a, total_a - bad_a], [bad_b, total_b - bad_b]]
    assert inference.compare_rates(*counts).p_value == stats.fisher_exact(table).pvalue


@pytest.mark.parametrize("paired", [True, False])
def test_bootstraps_drawn_together_equal_one_each(paired: bool) -> None:
    rng = np.random.default_rng(3)
    seeds_b = 5 if paired else 7
    pairs = [
        ((rng.random((5, 120)) < 0.7).astype(float), (rng.random((seeds_b, 120)) < p).astype(float))
        for p in (0.6, 0.7, 0.8)
    ]
    levels = [0.95, 0.983, 0.9]
    together = inference.two_level_bootstraps(pairs, paired_seeds=paired, n_boot=700, ci_levels=levels)
    for (a, b), level, shared in zip(pairs, levels, together):
        alone = inference.two_level_bootstrap(a, b, paired_seeds=paired, n_boot=700, ci_level=level)
        assert dataclasses.astuple(shared) == dataclasses.astuple(alone)
    with pytest.raises(ValueError, match="same shapes"):
        inference.two_level_bootstraps([pairs[0], (pairs[0][0][:3], pairs[0][1][:3])])


def test_the_kept_class_family_answers_as_a_fresh_one(tmp_path: Path) -> None:
    store = build_synthetic_store(
        tmp_path / "results.sqlite", THREE_VARIANTS,
        accuracies={"tanh": [0.6, 0.62, 0.61, 0.63], "elu": [0.9, 0.91, 0.9, 0.92]},
    )  # fmt: skip
    found = results.load(store)
    family = ["tanh", "elu"]
    for variant in family:
        kept = found.class_changes("base", variant, family)
        fresh = analysis.per_class_changes(
            found.runs, found.labelled_predictions(), "base", variant, int(found.num_classes()),
            alpha=found.alpha, min_effect=found.min_effect,
            class_names=found.dataset(["base", variant]).names_of_classes, family=family,
        )  # fmt: skip
        assert kept is not None and kept.equals(fresh)
    assert found.class_changes("base", "tanh", family) is not found.class_changes("base", "elu", family)


def _template_folder(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    (folder / "page.md.j2").write_text(text, encoding="utf-8")
    return folder


def test_an_edited_template_is_never_served_from_the_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))
    folder = _template_folder(tmp_path, "first {{ x }}\n")
    assert formatting.render_template("page.md.j2", {"x": 1}, folder) == "first 1\n"
    assert list((tmp_path / "cache" / "templates").iterdir())  # compiled code was kept
    assert formatting.render_template("page.md.j2", {"x": 2}, folder) == "first 2\n"
    (folder / "page.md.j2").write_text("second {{ x }}\n", encoding="utf-8")
    assert formatting.render_template("page.md.j2", {"x": 3}, folder) == "second 3\n"


def test_the_cache_key_holds_the_environment_settings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))
    folder = _template_folder(tmp_path, "{% if true %}\nA\n{% endif %}\nB\n")
    trimmed = formatting.template_environment(folder)
    assert trimmed.get_template("page.md.j2").render() == "A\nB\n"
    untrimmed = formatting.template_environment(folder)
    untrimmed.trim_blocks = False
    assert untrimmed.get_template("page.md.j2").render() == "\nA\n\nB\n"


@pytest.mark.parametrize("setting", ["off", "file"])
def test_no_usable_cache_folder_only_costs_the_compile(tmp_path: Path, monkeypatch, setting: str) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("BENCH_CACHE", "off" if setting == "off" else str(blocker))
    folder = _template_folder(tmp_path, "{{ x }}\n")
    assert formatting.render_template("page.md.j2", {"x": 4}, folder) == "4\n"
    assert blocker.read_text(encoding="utf-8") == "x"


@pytest.mark.slow
def test_a_warm_report_imports_neither_scipy_stats_nor_matplotlib(tmp_path: Path) -> None:
    store = build_synthetic_store(tmp_path / "reports" / "tiny" / "results.sqlite", THREE_VARIANTS)
    from bench import metrics

    # a metric these runs do not have, registered in this process only: the figures stay the same
    metrics.register(metrics.Metric("unrelated_rate", metrics.Kind.FRACTION, metrics.Direction.LOWER,
                                    {"en": "unrelated rate", "ru": "посторонняя доля"}))  # fmt: skip
    try:
        render_report(store)  # draws the figures
    finally:
        metrics.unregister("unrelated_rate")
    before = (store.parent / "report.md").read_bytes()
    probe = (
        "import sys; from bench.cli import main; "
        f"main(['report', {str(store)!r}]); "
        "import json; print(json.dumps([m for m in ('scipy.stats', 'matplotlib', 'seaborn', "
        "'tensorflow') if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    assert (store.parent / "report.md").read_bytes() == before
