"""Figures (bench/figures.py), filters and templates (bench/formatting.py, templates/).

Fast: small frames, no TensorFlow; every file goes to tmp_path.
"""

from __future__ import annotations

import math
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
import pytest

from bench import figures, formatting

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EVIL_NAME = "<b>x</b>"
EVIL_NOTE = "<script>alert(1)</script>"


# -- data ------------------------------------------------------------------------------
def make_runs() -> pd.DataFrame:
    """3 variants × 3 seeds, a variant with one ok seed, a variant whose runs all failed."""
    rng = np.random.default_rng(0)
    spec = {
        "baseline": (0.95, 2.0e6, 30.0),
        "tanh": (0.94, 2.0e6, 31.0),
        "deeper": (0.965, 3.1e7, 55.0),
    }
    rows = []
    for variant, (acc, flops, seconds) in spec.items():
        for seed in range(3):
            rows.append(
                {
                    "variant": variant,
                    "seed": seed,
                    "status": "ok",
                    "accuracy": acc + rng.normal(0, 0.004),
                    "top5_accuracy": 0.99 - rng.uniform(0, 0.01),
                    "loss": 0.2 + rng.normal(0, 0.01),
                    "flops": flops,
                    "params": flops / 50,
                    "train_seconds": seconds + rng.normal(0, 1),
                    "images_per_second": 900.0,
                    "latency_ms": 1.5,
                }
            )
    rows.append(
        {
            "variant": "one-seed",
            "seed": 0,
            "status": "ok",
            "accuracy": 0.93,
            "top5_accuracy": 0.985,
            "loss": 0.3,
            "flops": 1.0e6,
            "params": 2e4,
            "train_seconds": 12.0,
            "images_per_second": 1200.0,
            "latency_ms": 1.0,
        }
    )
    rows.append({"variant": "one-seed", "seed": 1, "status": "failed"})
    rows.append({"variant": "broken", "seed": 0, "status": "failed"})
    rows.append(
        {"variant": "broken", "seed": 1, "status": "diverged", "accuracy": 0.1, "loss": math.nan}
    )
    rows.append({"variant": "broken", "seed": 2, "status": "missing"})
    return pd.DataFrame(rows)


def make_history(runs: pd.DataFrame, epochs: int = 3) -> pd.DataFrame:
    rows = []
    for run in runs.itertuples():
        for epoch in range(1, epochs + 1):
            for name, value in (
                ("accuracy", 0.9 - 0.2 / epoch),
                ("val_accuracy", 0.88 - 0.2 / epoch),
                ("loss", 0.2 + 0.5 / epoch),
                ("val_loss", 0.25 + 0.5 / epoch),
            ):
                if run.status == "diverged" and "loss" in name:
                    value = math.nan
                rows.append(
                    {
                        "variant": run.variant,
                        "seed": run.seed,
                        "epoch": epoch,
                        "name": name,
                        "value": value + 0.003 * run.seed,
                    }
                )
    return pd.DataFrame(rows)


def assert_png(path: Path, min_bytes: int = 5000) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, path
    assert len(data) > min_bytes, (path, len(data))
    # IHDR: width and height are sane, and the image data chunk decompresses
    width, height = struct.unpack(">II", data[16:24])
    assert 200 < width < 4000 and 100 < height < 4000, (width, height)
    idat = b"".join(
        data[m.end() : m.end() + struct.unpack(">I", data[m.start() - 4 : m.start()])[0]]
        for m in re.finditer(b"IDAT", data)
    )
    assert len(zlib.decompress(idat)) > 0


# -- figures ---------------------------------------------------------------------------
@pytest.mark.slow
def test_all_figures_writes_valid_pngs(tmp_path: Path) -> None:
    runs = make_runs()
    per_class = pd.DataFrame(
        [
            {"variant": v, "class_name": f"class {c}", "accuracy": 0.9 + 0.01 * c}
            for v in ("baseline", "tanh", "deeper")
            for c in range(4)
        ]
    )
    matrix = np.array([[50, 2, 1], [3, 40, 7], [0, 5, 45]])
    result = figures.all_figures(
        runs,
        make_history(runs),
        tmp_path,
        baseline="baseline",
        confusion={"baseline": {"matrix": matrix, "class_names": ["cat", "dog", "bird"]}},
        per_class=per_class,
    )
    ids = [f["id"] for f in result]
    assert ids[:5] == [
        "accuracy",
        "top5_accuracy",
        "learning_curves",
        "accuracy_vs_flops",
        "accuracy_vs_time",
    ]
    # then the metrics every run records, where they vary (throughput, latency), not the costs
    assert ids[5:8] == ["loss", "images_per_second", "latency_ms"]
    assert "per_class_accuracy" in ids and any(i.startswith("confusion") for i in ids)
    for fig in result:
        assert set(fig) == {"id", "title", "caption", "file"}
        assert fig["file"].startswith("figures/") and fig["file"].endswith(".png")
        assert fig["title"] and len(fig["caption"]) > 30
        assert_png(tmp_path / fig["file"])
    captions = {f["id"]: f["caption"] for f in result}
    assert "mean over seeds" in captions["accuracy"] and "95%" in captions["accuracy"]
    assert "single seed" in captions["accuracy"] and "broken" in captions["accuracy"]
    assert "Pareto" in captions["accuracy_vs_flops"]
    uri = figures.figure_data_uri(tmp_path / result[0]["file"])
    assert uri.startswith("data:image/png;base64,iVBORw0KGgo")


@pytest.mark.slow
def test_figures_edge_cases(tmp_path: Path) -> None:
    runs = make_runs()
    # one variant, one seed, no cost columns at all
    single = pd.DataFrame([{"variant": "only", "seed": 0, "status": "ok", "accuracy": 0.5}])
    result = figures.all_figures(single, None, tmp_path / "single")
    assert [f["id"] for f in result] == ["accuracy"]
    assert_png(tmp_path / "single" / result[0]["file"], min_bytes=2000)
    # all-NaN FLOPs: no accuracy-vs-FLOPs figure, others still drawn
    nan_flops = runs.assign(flops=math.nan)
    ids = [f["id"] for f in figures.all_figures(nan_flops, None, tmp_path / "nan")]
    assert "accuracy_vs_flops" not in ids and "accuracy" in ids and "accuracy_vs_time" in ids
    # nothing succeeded: no figures at all, and no crash
    failed = runs.assign(status="failed")
    assert figures.all_figures(failed, make_history(runs), tmp_path / "failed") == []
    assert figures.all_figures(runs.iloc[0:0], pd.DataFrame(), tmp_path / "empty") == []
    # direct calls on degenerate input still write a figure
    assert_png(figures.metric_vs_cost(nan_flops, tmp_path / "d" / "c.png"), min_bytes=1000)
    assert_png(figures.metric_by_variant(failed, tmp_path / "d" / "a.png"), min_bytes=1000)
    one_epoch = make_history(runs, epochs=1)
    assert_png(figures.learning_curves(one_epoch, tmp_path / "d" / "l.png"))
    assert_png(
        figures.confusion_matrix_plot(np.zeros((2, 2)), ["a", "b"], tmp_path / "d" / "m.png"),
        min_bytes=1000,
    )
    assert_png(
        figures.metric_vs_cost(
            runs, tmp_path / "d" / "t.png", x="train_seconds", pareto={"baseline"}
        )
    )


def test_variant_order() -> None:
    assert figures.variant_order(make_runs()) == [
        "baseline",
        "tanh",
        "deeper",
        "one-seed",
        "broken",
    ]
    palette = figures.variant_palette(["b", "base", "c"], baseline="base")
    assert palette["base"] == figures.BASELINE_COLOR and palette["b"] != palette["c"]


@pytest.mark.slow
def test_no_tensorflow_imported() -> None:
    code = (
        "import sys, bench.figures, bench.formatting; "
        "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]; "
        "assert not bad, bad"
    )
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, timeout=120)


# -- filters ---------------------------------------------------------------------------
def test_filters() -> None:
    f = formatting
    assert f.fmt_num(0.12345) == "0.123"
    assert f.fmt_num(12.345) == "12.3"
    assert f.fmt_num(1234.5) == "1,234" or f.fmt_num(1234.5) == "1,235"
    assert f.fmt_num(3600) == "3,600"
    assert f.fmt_num(0.001) == "0.001"
    assert f.fmt_num(None) == f.fmt_num(math.nan) == "—"
    assert f.fmt_pct(0.9734) == "97.3%"
    assert (
        f.fmt_pp(0.012) == "+1.2 pp"
        and f.fmt_pp(-0.012) == "−1.2 pp"
        and f.fmt_pp(0.0) == "0.0 pp"  # ± only ever means a spread
    )
    assert f.fmt_flops(1.2e6) == "1.2 MFLOPs"
    assert f.fmt_flops(850) == "850 FLOPs"
    assert f.fmt_flops(3.25e9, unit="MACs") == "3.25 GMACs"
    assert f.fmt_count(1234567) == "1.23 M" and f.fmt_count(950) == "950"
    assert f.fmt_seconds(0.35) == "350 ms"
    assert f.fmt_seconds(12.34) == "12.3 s"
    assert f.fmt_seconds(245) == "4 min 05 s"
    assert f.fmt_seconds(3720) == "1 h 02 min"
    assert f.fmt_ratio(1.5) == "1.50×"
    assert f.fmt_p(0.00001) == "<0.001" and f.fmt_p(0.0321) == "0.032"
    assert f.fmt_ci((0.951, 0.963)) == "95.1–96.3%" and f.fmt_ci(0.006) == "±0.6 pp"
    assert [
        f.verdict_class(v)
        for v in (
            "better",
            "worse",
            "no significant difference",
            "inconclusive",
            "confirmed",
            "refuted",
            "",
        )
    ] == ["better", "worse", "same", "inconclusive", "better", "worse", "neutral"]
    assert f.md_cell("a|b\nc") == "a\\|b c"


# -- templates -------------------------------------------------------------------------
def make_context(
    figure_file: str = "figures/accuracy.png", data_uri: str = "data:image/png;base64,AAAA"
) -> dict:
    """A report context as bench/report.py builds it: tables of ready text (bench/tables.py)."""
    from bench.tables import Cell, Column, Row, Table, metric_column

    results = Table("results", [
        Column("variant", "Variant"), Column("runs", "Runs", numeric=True),
        metric_column("accuracy", "en"), metric_column("flops", "en"),
        metric_column("params", "en"), metric_column("train_seconds", "en"), Column("notes", "Notes"),
    ], [
        Row([Cell("baseline", title="baseline", css="baseline"), Cell("3", sort=3),
             Cell("97.3% ± 0.4 pp", sort=0.9734), Cell("1.2 MFLOPs", sort=1.2e6),
             Cell("84.2 k", sort=84210.0), Cell("4 min 05 s", sort=245.0), Cell("")], css="baseline"),
        Row([Cell(EVIL_NAME, detail="model.activation: relu → tanh"), Cell("3", sort=3),
             Cell("96.1% ± 0.5 pp", sort=0.9612), Cell("1.2 MFLOPs", sort=1.2e6),
             Cell("84.2 k", sort=84210.0), Cell("12.3 s", sort=12.34), Cell(EVIL_NOTE)]),
        Row([Cell("seed 0"), Cell("ok"), Cell("96.0%"), Cell("1.2 MFLOPs"), Cell("84.2 k"),
             Cell("12.0 s"), Cell("")], css="seed"),
        Row([Cell("lonely", detail="train.epochs: 4 → 1"), Cell("1", sort=1), Cell("91.0%", sort=0.91),
             Cell("—"), Cell("—"), Cell("—"), Cell("")]),
    ], caption="Successful runs only; 3,600 examples.")  # fmt: skip
    conclusions = Table("conclusions", [
        Column("variant", "Variant"), metric_column("accuracy", "en"),
        Column("delta", "Δ vs baseline", numeric=True), Column("ci", "95% CI of Δ", numeric=True),
        Column("p_holm", "p (Holm)", numeric=True), Column("verdict", "Verdict"),
        Column("flops_ratio", "×FLOPs", numeric=True),
    ], [
        Row([Cell(EVIL_NAME, detail="model.activation: relu → tanh"), Cell("96.1%"),
             Cell("−1.2 pp", sort=-0.0122), Cell("−2.0…−0.4 pp"), Cell("0.012", sort=0.0123),
             Cell("worse — p (Holm) = 0.0123", css="worse"), Cell("1.00×")]),
        Row([Cell("lonely", detail="train.epochs: 4 → 1"), Cell("91.0%"), Cell("−6.0 pp"), Cell("—"),
             Cell("—"), Cell("inconclusive — 1 seed", css="inconclusive"), Cell("—")]),
    ], caption="Δ: difference of the mean accuracy from the baseline.")  # fmt: skip
    claims = Table("claims", [
        Column("variant", "Variant"), Column("claim", "Claim"), Column("measured", "Measured"),
        Column("verdict", "Verdict"), Column("note", "Note"),
    ], [
        Row([Cell(EVIL_NAME), Cell("accuracy same"), Cell("−1.2 pp"),
             Cell("refuted", css="worse", detail="significant change"), Cell(EVIL_NOTE)]),
    ])  # fmt: skip
    per_class = Table("per-class", [
        Column("variant", "Variant"), Column("0", "0", numeric=True), Column("1", "1", numeric=True),
    ], [
        Row([Cell("baseline"), Cell("99.0%"), Cell("98.0%")]),
        Row([Cell(EVIL_NAME), Cell("97.0%"), Cell("96.0%")]),
    ], caption="Accuracy on the examples of each class, mean over seeds.")  # fmt: skip
    return {
        "suite": {
            "name": "quickstart",
            "title": "Quickstart & friends",
            "description": "What one change does.\n\nSecond paragraph.",
            "source": "suites/quickstart.yaml",
            "profile": None,
            "baseline": "baseline",
            "alpha": 0.05,
            "min_effect": 0.005,
        },
        "generated_at": "2025-01-02 03:04 UTC",
        "bench_version": "0.1.0",
        "convention": "FLOPs = 2 × multiply-adds, forward pass, one example at the input size",
        "environment": {
            "host": "box",
            "hardware": "2 CPU cores",
            "versions": {"python": "3.11.2", "tensorflow": "2.18.0"},
        },
        "dataset": {
            "name": "mnist5k",
            "input_shape": "28×28×1",
            "classes": 10,
            "train": 3600,
            "validation": 400,
            "test": 1000,
            "details": "stratified split",
        },
        "training": {
            "epochs": 4,
            "batch_size": 64,
            "optimizer": "adam",
            "learning_rate": 0.001,
            "seeds": [0, 1, 2],
        },
        "counts": {"planned": 9, "ok": 7, "failed": 1, "diverged": 1, "budget": 0, "missing": 0},
        "lang": "en",
        "best": {"variant": "baseline", "metric": "accuracy", "value": 0.9734},
        "legend": "↑ higher is better, ↓ lower is better.",
        "results": results,
        "conclusions": conclusions,
        "sentences": [
            "Changing the activation made accuracy worse by 1.2 pp.",
            f"Note on {EVIL_NAME}.",
        ],
        "claims": claims,
        "figures": [
            {
                "id": "accuracy",
                "title": "Accuracy by variant",
                "caption": "bars: mean over seeds",
                "file": figure_file,
                "data_uri": data_uri,
            }
        ],
        "variants": [
            {
                "name": "baseline",
                "changes": "",
                "description": "the reference",
                "config_yaml": "model:\n  activation: relu\n",
            },
            {
                "name": EVIL_NAME,
                "changes": "model.activation: relu → tanh",
                "description": EVIL_NOTE,
                "config_yaml": "model:\n  activation: tanh  # <b>\n",
            },
        ],
        "failures": [
            {
                "variant": "broken",
                "seed": 1,
                "status": "diverged",
                "error": "Traceback (most recent call last):\nValueError: loss is nan <script>alert(1)</script>",
            }
        ],
        "per_class": per_class,
        "per_class_title": "Accuracy per class",
        "per_class_changes": [
            {"variant": EVIL_NAME, "changes": "model.activation: relu → tanh",
             "classes": [{"class_name": "1", "text": "class 1: −2.0 pp (98.0% → 96.0%)", "css": "worse"}]},
        ],  # fmt: skip
    }


def render(name: str, context: dict, templates_dir: Path | None = None) -> str:
    from bench.tables import template_environment

    return template_environment(templates_dir).get_template(name).render(**context)


def test_html_report(tmp_path: Path) -> None:
    html = render("report.html.j2", make_context())
    assert html.lstrip().startswith("<!DOCTYPE html>")
    for section in (
        'id="summary"',
        'id="conclusions"',
        'id="claims"',
        'id="results"',
        'id="figures"',
        'id="per-class"',
        'id="configs"',
        'id="failures"',
        "FLOPs convention",
    ):
        assert section in html, section
    # formatted numbers
    for text in (
        "97.3%",
        "1.2 MFLOPs",
        "84.2 k",
        "4 min 05 s",
        "12.3 s",
        "3,600",
        "−1.2 pp",
        "0.012",
        "2 × multiply-adds",
        "FLOPs per example ↓",
        'data-direction="lower"',
        "Quickstart &amp; friends",
    ):
        assert text in html, text
    # escaping of user text
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    # self-contained: no external resources, images inline
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "http://" not in html and "https://" not in html and "@import" not in html
    srcs = re.findall(r'<img[^>]*\ssrc="([^"]*)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    # tables are real, numbers right-aligned, verdicts coloured and written
    assert html.count("<thead>") >= 4 and 'class="num"' in html
    assert 'class="verdict worse"' in html and 'class="verdict inconclusive"' in html
    assert "<details>" in html and "activation: tanh  # &lt;b&gt;" in html


def test_markdown_report(tmp_path: Path) -> None:
    context = make_context()
    md = render("report.md.j2", context)
    assert md.startswith("# Quickstart & friends\n")  # user text as written: this "&" starts no entity
    for heading in (
        "## What was run",
        "## Conclusions",
        "## Claims",
        "## Results",
        "## Figures",
        "## Accuracy per class",
        "## Configurations",
        "## Failures",
        "**FLOPs convention.**",
    ):
        assert heading in md, heading
    assert "![Accuracy by variant](figures/accuracy.png)" in md
    assert "*bars: mean over seeds*" in md
    assert "| Variant | Runs | accuracy ↑ | FLOPs per example ↓ |" in md
    assert "| baseline (baseline) | 3 | 97.3% ± 0.4 pp |" in md
    assert "| ↳ seed 0 | ok |" in md
    assert "```yaml\nmodel:\n  activation: relu\n```" in md
    assert "| −1.2 pp |" in md and "| worse — p (Holm) = 0.0123 |" in md
    assert "3,600 train / 400 validation / 1,000 test" in md
    assert "| baseline | 99.0% | 98.0% |" in md
    assert "\n\n\n\n" not in md


def test_templates_with_empty_lists() -> None:
    context = make_context()
    from bench.tables import Table

    for key in ("sentences", "figures", "variants", "failures", "per_class_changes"):
        context[key] = []
    for key in ("conclusions", "claims", "results", "per_class"):
        context[key] = Table(key, [])
    html = render("report.html.j2", context)
    md = render("report.md.j2", context)
    assert 'id="conclusions"' not in html and 'id="failures"' not in html and "<img" not in html
    assert "## Conclusions" not in md and "## Figures" not in md and "No results yet." in md


def test_user_templates_override(tmp_path: Path) -> None:
    (tmp_path / "report.md.j2").write_text(
        "custom {{ suite.name }} {{ 0.5|fmt_pct }}\n", encoding="utf-8"
    )
    context = make_context()
    assert render("report.md.j2", context, tmp_path) == "custom quickstart 50.0%\n"
    # templates the user did not override still come from the package
    assert "<!DOCTYPE html>" in render("report.html.j2", context, tmp_path)
    with pytest.raises(FileNotFoundError):
        formatting.template_environment(tmp_path / "nope")


def test_missing_context_key_is_an_error() -> None:
    for name in ("report.md.j2", "report.html.j2"):
        context = make_context()
        del context["convention"]
        with pytest.raises(jinja2.UndefinedError):
            render(name, context)
        context = make_context()
        del context["dataset"]["test"]
        with pytest.raises(jinja2.UndefinedError):
            render(name, context)


def test_autoescape_per_extension() -> None:
    env = formatting.template_environment(None)
    assert env.autoescape("report.html.j2") is True
    assert env.autoescape("report.md.j2") is False
    assert isinstance(env.undefined, type) and issubclass(env.undefined, jinja2.StrictUndefined)
    assert formatting.default_templates_dir() is not None


def test_per_class_table_in_both_formats() -> None:
    """Columns are the classes, one row per variant; user text escaped in HTML."""
    context = make_context()
    html = render("report.html.j2", context)
    section = html[
        html.index('id="per-class"') : html.index("</section>", html.index('id="per-class"'))
    ]
    assert ">Variant</th>" in section and ">0</th>" in section and "99.0%" in section
    assert "&lt;b&gt;x&lt;/b&gt;" in section and "class 1: −2.0 pp" in section
    md = render("report.md.j2", context)
    assert "| Variant | 0 | 1 |\n|---|--:|--:|\n| baseline | 99.0% | 98.0% |\n" in md
    assert "| &lt;b>x&lt;/b> | 97.0% | 96.0% |" in md  # a name is text, not HTML


@pytest.mark.slow
def test_by_variant_figures_follow_the_metric_table(tmp_path: Path) -> None:
    runs = make_runs().assign(latency_ms=1.5)  # the same in every run: nothing to see
    runs["macs"] = runs["flops"] / 2  # seeds do not scatter it: the results table says it
    per_class = pd.DataFrame(
        [{"variant": v, "class_name": f"c{c}", "top5_accuracy": 0.8 + 0.05 * c}
         for v in ("baseline", "tanh") for c in range(3)]
    )  # fmt: skip
    result = figures.all_figures(runs, None, tmp_path / "en", baseline="baseline", per_class=per_class)
    by_id = {f["id"]: f for f in result}
    assert "latency_ms" not in by_id and not {"flops", "macs", "params", "train_seconds"} & set(by_id)
    assert by_id["loss"]["title"] == "Loss by variant" and "lower is better" in by_id["loss"]["caption"]
    assert "higher is better" in by_id["accuracy"]["caption"] and "0–100%" in by_id["accuracy"]["caption"]
    assert "0–100%" not in by_id["loss"]["caption"]
    assert by_id["per_class_top5_accuracy"]["title"] == "Top-5 accuracy per class"
    assert_png(tmp_path / "en" / by_id["per_class_top5_accuracy"]["file"], min_bytes=2000)
    ru = {f["id"]: f for f in figures.all_figures(runs, None, tmp_path / "ru", lang="ru")}
    assert ru["loss"]["title"] == "Потери по вариантам" and "меньше — лучше" in ru["loss"]["caption"]
    assert ru["accuracy_vs_flops"]["title"] == "Точность и FLOPs на пример"
    assert figures._capitalised("mAP@0.5") == "mAP@0.5" and figures._capitalised("loss") == "Loss"
