"""The word catalogs: one per language, the same ids and placeholders; sentences from records."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench import analysis, formatting, words
from bench.errors import BenchError

ROOT = Path(__file__).resolve().parent.parent


def test_every_key_is_in_every_language_with_the_same_placeholders() -> None:
    english = words.catalog("en")
    assert len(english) > 250
    for lang in words.LANGUAGES:
        found = words.catalog(lang)
        assert set(found) == set(english), (lang, set(found) ^ set(english))
        for key, text in english.items():
            assert words.placeholders(found[key]) == words.placeholders(text), (lang, key)
            assert found[key].strip() or not text.strip(), (lang, key)
            assert not words.placeholders(text) & {"key", "lang"}, (key, "t() takes these names itself")


def test_russian_differs_from_english_where_words_are_written() -> None:
    en, ru = words.catalog("en"), words.catalog("ru")
    latin_word = re.compile(r"\b(?!FLOPs|MACs|Top|top|CI|GPU|bench|diff|batch|norm|min_effect|p_holm|Pareto)[A-Za-z]{4,}")
    english_left = [k for k, text in ru.items() if latin_word.search(re.sub(r"\{\w+\}", "", text))]
    assert not english_left, english_left
    assert sum(en[k] != ru[k] for k in en) > 0.9 * len(en)


def test_t_and_check_lang() -> None:
    assert words.t("verdict.better", "ru") == "лучше" and words.t("verdict.better") == "better"
    assert words.t("report.seed_seed", "ru", seed=3) == "сид 3"
    with pytest.raises(KeyError):
        words.t("no.such.key")
    assert words.check_lang(None) == "en" and words.check_lang("ru") == "ru"
    with pytest.raises(BenchError, match="choose one of: en, ru"):
        words.check_lang("fr")


def test_every_id_the_code_asks_for_exists() -> None:
    english = words.catalog("en")
    pattern = re.compile(r"""\b(?:words\.t|_t|t)\(\s*["']([a-z0-9_]+\.[a-z0-9_.]+)["']""")
    used: set[str] = set()
    for path in [*ROOT.joinpath("bench").rglob("*.py"), *ROOT.joinpath("templates").rglob("*.j2")]:
        used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 40
    missing = sorted(k for k in used if k not in english)
    assert not missing, missing


def test_every_verdict_reason_and_status_has_words() -> None:
    for lang in words.LANGUAGES:
        for verdict in analysis.Verdict:
            assert words.verdict_word(verdict, lang)
        for result in analysis.ClaimResult:
            assert words.claim_result_word(result, lang)
        for reason in analysis.ClaimReason:
            assert f"claim.reason.{reason.value}" in words.catalog(lang)
        for status in ("ok", "failed", "diverged", "budget", "missing"):
            assert words.status_word(status, lang)


def _runs(groups: dict[str, list[float]], metric: str = "accuracy") -> pd.DataFrame:
    rows = [
        {"key": f"{v}-{i}", "variant": v, "seed": i, "status": "ok", metric: x}
        for v, xs in groups.items()
        for i, x in enumerate(xs)
    ]
    return pd.DataFrame(rows)


def test_sentences_follow_the_reason_not_the_text() -> None:
    runs = _runs({
        "base": [0.9000, 0.9001, 0.8999], "up": [0.9200, 0.9201, 0.9199],
        "tiny": [0.9030, 0.9031, 0.9029], "lone": [0.95],
    })  # fmt: skip
    table = analysis.compare_to_baseline(runs, "base", min_effect=0.005)
    recs = {r.variant: r for r in analysis.records(table)}
    assert recs["up"].reason is analysis.Reason.SIGNIFICANT
    assert recs["tiny"].reason is analysis.Reason.BELOW_MIN_EFFECT
    assert recs["lone"].reason is analysis.Reason.TOO_FEW_SEEDS
    en = words.conclusion_sentences(table)
    ru = words.conclusion_sentences(table, lang="ru")
    assert en[0].startswith("up: accuracy rose by 2.0 pp (95% CI +2.0…+2.0 pp")
    assert "smaller than the minimum effect of 0.5 pp" in en[1]
    assert "inconclusive with 1 seed" in en[2]
    assert ru[0].startswith("up: точность — рост на 2.0 п.п. (95% ДИ +2.0…+2.0 п.п.")
    assert "меньше минимального эффекта 0.5 п.п." in ru[1]
    assert "не дало вывода" in ru[2]
    for sentence in ru:
        assert not re.search(r"\b(rose|fell|seeds|inconclusive|pp)\b", sentence), sentence
    assert words.verdict_detail(recs["up"], "ru") == "лучше — p (Холм) < 0.001"  # p as the p column shows it


def test_a_metric_without_a_better_side_is_higher_or_lower() -> None:
    runs = _runs({"base": [10.0, 10.1, 9.9], "v": [12.0, 12.1, 11.9]}, metric="epochs_run")
    (rec,) = analysis.records(analysis.compare_to_baseline(runs, "base", "epochs_run"))
    assert rec.verdict is analysis.Verdict.HIGHER and rec.higher_is_better is None
    assert formatting.verdict_class(rec.verdict) == "neutral"
    (sentence,) = words.conclusion_sentences([rec])
    assert "epochs run was higher by" not in sentence and "higher by 2.00" in sentence


def test_claim_words() -> None:
    runs = _runs({"base": [0.900, 0.901, 0.899], "v": [0.920, 0.921, 0.919]})
    table = analysis.compare_to_baseline(runs, "base")
    claims = analysis.claim_records(table, [
        {"variant": "v", "metric": "accuracy", "direction": "up"},
        {"variant": "v", "metric": "accuracy", "direction": "same"},
        {"variant": "ghost", "metric": "accuracy", "direction": "down"},
    ])  # fmt: skip
    up, same, ghost = claims
    assert (up.result, same.result, ghost.result) == (
        analysis.ClaimResult.CONFIRMED, analysis.ClaimResult.REFUTED, analysis.ClaimResult.INCONCLUSIVE
    )
    assert words.claim_text(up, "ru") == "точность: выше"
    assert words.claim_reason(up) == "significant change in the claimed direction (better)"
    assert words.claim_reason(ghost, "ru").startswith("нет сравнения ghost")
    assert words.measured_text(up).startswith("+2.0 pp (95% CI +")
    assert words.measured_text(ghost) == formatting.DASH
    assert math.isnan(ghost.delta) and np.isnan(analysis.check_claims(table, [{"variant": "ghost", "direction": "up"}]).loc[0, "delta"])
