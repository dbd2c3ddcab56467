"""The conclusions on real (tiny) training: no false alarm on an A/A pair, a crippled model called worse.

Training is deterministic on CPU (op determinism, seeded), so each test's outcome is
fixed for a machine; both cases are chosen far from the significance boundary.
"""

from __future__ import annotations

import re

import pytest
from rich.console import Console

from bench import analysis
from bench.report import render_report
from bench.runner import run_suite
from bench import words
from bench.store import ResultStore
from bench.suite import load_suite

MODEL = """\
model:
  family: cnn
  blocks:
    - {filters: 8, kernel: 3, pool: 2}
  dense: [32]
"""

# Two variants that differ only in which seeds they train: any verdict but
# 'no significant difference' (or 'inconclusive') would be a false alarm.
A_A_SUITE = """\
name: a-a
dataset: {name: digits, train_size: 1000, test_size: 500, validation: 0.1}
train: {epochs: 2, batch_size: 32, seeds: 3}
""" + MODEL + """\
variants:
  - name: other-seeds
    set: {train.seed_offset: 100}
"""

# A learning rate 100x too small barely moves the weights in 2 epochs: near-chance accuracy.
CRIPPLED_SUITE = """\
name: crippled
dataset: {name: mnist5k, train_size: 1500, test_size: 500, validation: 0.1}
train: {epochs: 2, batch_size: 64, learning_rate: 1.0e-3, seeds: 3}
""" + MODEL + """\
variants:
  - name: lr-tiny
    set: {train.learning_rate: 1.0e-5}
    claim: {metric: accuracy, direction: down}
"""


def train_and_report(path, store):
    suite = load_suite(path)
    summary = run_suite(suite, store, console=Console(stderr=True, quiet=True))
    assert summary.statuses == {"ok": 6}, summary.statuses
    md = render_report(store)[0].read_text()
    with ResultStore(store) as opened:
        comparisons = analysis.compare_to_baseline(opened.runs_frame(), "base")
    return md, comparisons.iloc[0]


def section(md: str, title: str) -> str:
    match = re.search(rf"^## {title}\n(.*?)(?=^## |\Z)", md, re.S | re.M)
    assert match, f"no section {title!r}"
    return match.group(1)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_variants_differing_only_in_seeds_are_never_called_better_or_worse(write_suite, tmp_path):
    md, row = train_and_report(write_suite(A_A_SUITE), tmp_path / "aa" / "results.sqlite")
    assert row["verdict"] in (analysis.NO_DIFFERENCE, analysis.INCONCLUSIVE), row["reason"]
    conclusions = section(md, "Conclusions")
    assert "other-seeds" in conclusions
    conclusions = conclusions.replace(words.t("report.direction_legend", "en"), "")  # the ↑/↓ key
    assert not re.search(r"\b(better|worse|rose|fell)\b", conclusions), conclusions


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_crippling_change_is_reported_worse(write_suite, tmp_path):
    md, row = train_and_report(write_suite(CRIPPLED_SUITE), tmp_path / "cr" / "results.sqlite")
    assert row["verdict"] == analysis.WORSE, row["reason"]
    assert row["delta"] < -0.3  # not a marginal call
    assert re.search(r"^\| lr-tiny .*\| worse", section(md, "Conclusions"), re.M), md
    # report.md shows the change as written: "_" inside a word starts no emphasis
    assert "lr-tiny (train.learning_rate: 0.001 → 1e-05): accuracy fell by" in md
    assert re.search(r"^\| lr-tiny .*\| confirmed", section(md, "Claims"), re.M)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_an_a_a_suite_with_a_split_per_seed_calls_no_difference(write_suite, tmp_path):
    """Each seed draws its own train/validation split; two variants that differ only in
    their seeds (so in their splits too) must not be told apart on real data."""
    text = A_A_SUITE.replace("name: a-a", "name: a-a-splits").replace(
        "validation: 0.1}", "validation: 0.1, resample: per_seed}"
    )
    md, row = train_and_report(write_suite(text), tmp_path / "aa" / "results.sqlite")
    assert row["verdict"] in (analysis.NO_DIFFERENCE, analysis.INCONCLUSIVE), row["reason"]
    assert "split" in section(md, "Conclusions")  # the intervals say they cover the splits
