"""bench.formatting: the one place numbers become text, by metric kind and language."""

from __future__ import annotations

import math

import pytest

from bench import formatting as f
from bench import metrics
from bench.analysis import ClaimResult, Verdict


@pytest.mark.parametrize(
    ("x", "metric", "lang", "text"),
    [
        (0.9734, "accuracy", "en", "97.3%"),
        (0.123456, "loss", "en", "0.123"),
        (1.2e6, "flops", "en", "1.2 MFLOPs"),
        (84210, "params", "en", "84.2 k"),
        (12.34, "train_seconds", "en", "12.3 s"),
        (245, "train_seconds", "ru", "4 мин 05 с"),
        (4.5, "latency_ms", "ru", "4.5 мс"),
        (1234.0, "images_per_second", "en", "1,234 images/s"),
        (None, "accuracy", "en", "—"),
        (math.nan, "loss", "en", "—"),
    ],
)
def test_value_by_kind_and_language(x, metric, lang, text) -> None:
    assert f.value(x, metric, lang) == text


def test_differences_intervals_and_spreads() -> None:
    assert f.delta(0.012, "accuracy") == "+1.2 pp"
    assert f.delta(-0.012, "accuracy", "ru") == "−1.2 п.п."
    assert f.delta(0.0, "accuracy") == "0.0 pp"  # zero is unsigned; ± only means a spread
    assert f.delta(0.0004, "accuracy") == "+0.04 pp"
    assert f.delta(-0.0132, "loss") == "−0.0132"
    assert f.delta(1.5, "train_seconds", "ru") == "+1.50 с"
    assert f.delta(0.012, "accuracy", signed=False) == "1.2 pp"
    assert f.interval(-0.003, 0.021, "accuracy") == "−0.3…+2.1 pp"
    assert f.interval(-0.003, 0.021, "accuracy", "ru") == "−0.3…+2.1 п.п."
    assert f.interval(math.nan, 0.1, "accuracy") == "—"
    assert f.spread(0.006, "accuracy", "ru") == "±0.6 п.п."
    assert f.value_spread(0.973, 0.006, "accuracy") == "97.3% ± 0.6 pp"
    assert f.value_spread(0.973, math.nan, "accuracy") == "97.3%"


def test_plain_numbers() -> None:
    assert f.p_value(0.0321) == "0.032" and f.p_value(1e-5) == "<0.001" and f.p_value(0.5) == "0.50"
    assert f.ratio(1.5) == "1.50×" and f.ratio(250) == "250×" and f.ratio(None) == "—"
    assert f.number(1234.6) == "1,235" and f.number(-0.5) == "−0.5"
    assert f.seconds(0.35) == "350 ms" and f.seconds(3720, "ru") == "1 ч 02 мин"


def test_units_come_from_the_metric_table() -> None:
    assert f.unit("accuracy") == "%" and f.delta_unit("accuracy", "ru") == "п.п."
    assert f.unit("train_seconds", "ru") == "с" and f.unit("loss") == ""
    metrics.register(metrics.Metric("error_rate", metrics.Kind.FRACTION, metrics.Direction.LOWER,
                                    {"en": "error rate", "ru": "доля ошибок"}))  # fmt: skip
    try:
        assert f.value(0.05, "error_rate") == "5.0%" and f.delta(-0.01, "error_rate") == "−1.0 pp"
    finally:
        metrics.unregister("error_rate")


def test_verdict_class_is_a_lookup() -> None:
    assert f.verdict_class(Verdict.BETTER) == "better"
    assert f.verdict_class(Verdict.NO_DIFFERENCE) == "same"
    assert f.verdict_class("inconclusive") == "inconclusive"
    assert f.verdict_class(ClaimResult.REFUTED) == "worse"
    assert f.verdict_class("it got much better") == "neutral"  # text is never guessed from


def test_filters_read_the_language_of_the_template() -> None:
    env = f.template_environment()
    template = env.from_string(
        '{{ x|value("train_seconds") }} | {{ d|delta("accuracy") }} | {{ lo|interval(hi, "accuracy") }}'
        ' | {{ v|verdict_word }} | {{ t("verdict.worse") }} | {{ "accuracy"|metric_label }}'
    )
    values = dict(x=12.3, d=0.012, lo=-0.01, hi=0.02, v=Verdict.BETTER)
    assert template.render(lang="ru", **values) == "12.3 с | +1.2 п.п. | −1.0…+2.0 п.п. | лучше | хуже | точность"
    assert template.render(lang="en", **values) == "12.3 s | +1.2 pp | −1.0…+2.0 pp | better | worse | accuracy"


def test_t_escapes_in_html() -> None:
    env = f.template_environment()
    env.autoescape = True
    html = env.from_string('{{ t("report.seed_seed", seed=x) }}').render(x="<b>", lang="ru")
    assert html == "сид &lt;b&gt;"


def test_confidence_levels_keep_their_digits_and_never_read_100() -> None:
    assert f.confidence_level(0.95) == "95"
    assert f.confidence_level(0.9) == "90"
    assert f.confidence_level(0.99372) == "99.37"
    assert f.confidence_level(0.999753) == "99.98"
    assert f.confidence_level(0.99999) == "99.999"
    assert f.confidence_level(1.0) == "100"
    assert f.confidence_level(float("nan")) == f.DASH


def test_probabilities_and_exact_values() -> None:
    assert f.probability(0.4286) == "0.43"
    assert f.exact(0.1 + 0.2) == "0.3"
    assert f.exact(0.30000000041) == "0.3000000004"
    assert f.exact(1.2e-7, signed=True) == "+1.2e-07"
