"""Every user-interface string of the reports and the site, per language, in one place.

The scheme is gettext's: a message's id *is* its English text, so a template that
renders without translations (a user's Jinja environment, an old context) still reads
correctly in English, and a translation is one more dictionary here, no code change.
Placeholders are ``str.format`` names (``"{ok} of {planned} planned runs finished."``),
so a translation may reorder them.

Sentences written from the statistics (conclusions, claim reasons) live in
:data:`bench.analysis.PHRASES`, next to the code that fills them; this module holds the
headings, table headers, captions, figure labels and the site's chrome.

Templates call ``t("Results")`` or ``t("{n} runs", n=3)``; :func:`install` registers ``t``
as a Jinja global that reads the ``lang`` of the rendering context.  In HTML templates
(autoescaping on) the message is escaped and so is every value put into it, except
values that are already markup.
"""

# ruff: noqa: E501  -- the catalog's keys are the English messages, kept whole so they can be found

from __future__ import annotations

import re
from typing import Any, Callable

from bench.errors import BenchError

__all__ = [
    "LANGUAGES",
    "MESSAGES",
    "check_lang",
    "gettext",
    "install",
    "localize_units",
    "t",
    "verdict_detail",
]

#: Languages a report can be written in; the first is the default.
LANGUAGES: tuple[str, ...] = ("en", "ru")
DEFAULT_LANG = "en"

#: Translations by language: English message → translated message.  English needs none.
MESSAGES: dict[str, dict[str, str]] = {"en": {}, "ru": {}}  # "ru" is filled below


def check_lang(lang: str | None) -> str:
    """``lang`` if bench can write it (None → the default), else a one-line BenchError."""
    if lang is None:
        return DEFAULT_LANG
    if lang not in LANGUAGES:
        raise BenchError(f"--lang: {lang!r} is not allowed — choose one of: {', '.join(LANGUAGES)}")
    return lang


def gettext(message: str, lang: str | None = None, **values: Any) -> str:
    """``message`` in ``lang`` (English when no translation exists), with ``values`` filled in."""
    text = MESSAGES.get(lang or DEFAULT_LANG, {}).get(message, message)
    return text.format(**values) if values else text


t = gettext


def install(env: Any) -> Any:
    """Register ``t`` (and ``languages``) as globals of a Jinja2 environment; returns ``env``."""
    import jinja2
    from markupsafe import escape

    @jinja2.pass_context
    def template_t(context: Any, message: Any, **values: Any) -> str:
        lang = context.get("lang") or DEFAULT_LANG
        text = MESSAGES.get(lang, {}).get(str(message), str(message))
        if context.eval_ctx.autoescape:
            markup = escape(text)
            return markup.format(**values) if values else markup
        return text.format(**values) if values else text

    env.globals["t"] = template_t
    env.globals["languages"] = LANGUAGES
    for name in ("fmt_pp", "fmt_seconds", "fmt_ci", "fmt_value"):
        if name in env.filters:
            env.filters[name] = _localized_filter(env.filters[name])
    return env


def _localized_filter(original: Callable[..., str]) -> Callable[..., str]:
    """A number filter whose units (and yes/no) follow the ``lang`` of the rendering context."""
    import jinja2

    @jinja2.pass_context
    def localized(context: Any, value: Any, *args: Any, **kwargs: Any) -> str:
        lang = context.get("lang") or DEFAULT_LANG
        if isinstance(value, bool):
            return gettext("yes" if value else "no", lang)
        return localize_units(original(value, *args, **kwargs), lang)

    return localized


#: Units the number filters of bench.formatting write, per language.
_UNITS: dict[str, dict[str, str]] = {
    "ru": {"pp": "п.п.", "ms": "мс", "µs": "мкс", "s": "с", "min": "мин", "h": "ч"},
}
_UNIT_AFTER_NUMBER = re.compile(r"(?<=\d) (pp|ms|µs|s|min|h)(?=[\s),;.…]|$)")


def localize_units(text: str, lang: str | None) -> str:
    """Units after numbers ("+1.2 pp", "4 min 05 s") in ``lang``; other text is left alone."""
    units = _UNITS.get(lang or DEFAULT_LANG)
    if not units or not text:
        return text
    return _UNIT_AFTER_NUMBER.sub(lambda m: " " + units[m.group(1)], text)


# -- verdict details: analysis writes them in English; reports translate their pieces --------
_DETAIL_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str], str], str]]] = [
    (
        re.compile(r"^(?P<verdict>[^—]+?) — p_holm = (?P<p>\S+)$"),
        lambda m, lang: gettext(
            "{verdict} — p_holm = {p}", lang, verdict=gettext(m["verdict"], lang), p=m["p"]
        ),
    ),
    (
        re.compile(r"^(?P<verdict>[^—]+?) — \|Δ\| = (?P<d>\S+) below min_effect (?P<me>\S+)$"),
        lambda m, lang: gettext(
            "{verdict} — |Δ| = {delta} below min_effect {min_effect}",
            lang,
            verdict=gettext(m["verdict"], lang),
            delta=m["d"],
            min_effect=m["me"],
        ),
    ),
    (
        re.compile(
            r"^(?P<verdict>[^—]+?) — (?P<n>\d+) seeds?"
            r"(?: \(baseline (?P<na>\d+), variant (?P<nb>\d+)\))?$"
        ),
        lambda m, lang: (
            gettext("{verdict} — {n} seed(s)", lang, verdict=gettext(m["verdict"], lang), n=m["n"])
            + (
                gettext(" (baseline {na}, variant {nb})", lang, na=m["na"], nb=m["nb"])
                if m["na"] is not None
                else ""
            )
        ),
    ),
]


def verdict_detail(text: str | None, lang: str | None) -> str:
    """A verdict detail from :mod:`bench.analysis` ("better — p_holm = 0.012") in ``lang``."""
    if not text or (lang or DEFAULT_LANG) == DEFAULT_LANG:
        return text or ""
    for pattern, render in _DETAIL_PATTERNS:
        match = pattern.match(text)
        if match:
            return render(match, lang or DEFAULT_LANG)
    return gettext(text, lang)


# -- Russian --------------------------------------------------------------------------------
# Terms: suite → набор, variant → вариант, baseline → базовый вариант, run → запуск,
# seed → сид, claim → гипотеза, CI → ДИ (доверительный интервал), pp → п.п.
MESSAGES["ru"].update(
    {
        # page frame
        "{title} — bench report": "{title} — отчёт bench",
        "Site": "Сайт",
        "All reports": "Все отчёты",
        "Suite": "Набор",
        "profile": "профиль",
        "from": "из",
        "generated {when} by bench {version}": "создан {when}, bench {version}",
        "Generated {when} by bench {version}.": "Создан {when}, bench {version}.",
        "Sections": "Разделы",
        "What was run": "Что запускалось",
        "Conclusions": "Выводы",
        "Claims": "Гипотезы",
        "Results": "Результаты",
        "Figures": "Графики",
        "Per-class accuracy": "Точность по классам",
        "Configurations": "Конфигурации",
        "Failures": "Сбои",
        # summary cards
        "Dataset": "Данные",
        "Name": "Название",
        "Input": "Вход",
        "Classes": "Классы",
        "Train": "Обучение",
        "Validation": "Валидация",
        "Test": "Тест",
        "Training": "Обучение",
        "Epochs": "Эпохи",
        "Batch size": "Размер батча",
        "Optimizer": "Оптимизатор",
        "Learning rate": "Скорость обучения",
        "Seeds": "Сиды",
        "Baseline": "Базовый вариант",
        "Tests": "Тесты",
        "smallest effect of interest {x} pp": "наименьший значимый эффект {x} п.п.",
        "Environment": "Окружение",
        "Hardware": "Оборудование",
        "Host": "Хост",
        "Runs": "Запуски",
        "{ok} of {planned} planned runs finished.": "Завершено запусков: {ok} из {planned} запланированных.",
        "ok": "успешно",
        "failed": "с ошибкой",
        "diverged": "разошлись",
        "over budget": "вне бюджета",
        "budget": "вне бюджета",
        "not run": "не запущены",
        "missing": "не запущен",
        "{cpu}, {cores} cores": "{cpu}, ядер: {cores}",
        ", GPUs: {gpus}": ", GPU: {gpus}",
        ", no GPU": ", без GPU",
        # Markdown summary
        "Dataset:": "Данные:",
        "{name} — input {shape}, {classes} classes; {train} train / {validation} validation / {test} test examples.": (
            "{name} — вход {shape}, классов: {classes}; примеров: {train} для обучения / "
            "{validation} для валидации / {test} для теста."
        ),
        "Training:": "Обучение:",
        "{epochs} epoch, batch size {batch_size}, {optimizer}, learning rate {learning_rate}; seeds: {seeds}.": (
            "эпох: {epochs}, размер батча {batch_size}, {optimizer}, скорость обучения {learning_rate}; сиды: {seeds}."
        ),
        "{epochs} epochs, batch size {batch_size}, {optimizer}, learning rate {learning_rate}; seeds: {seeds}.": (
            "эпох: {epochs}, размер батча {batch_size}, {optimizer}, скорость обучения {learning_rate}; сиды: {seeds}."
        ),
        "Baseline:": "Базовый вариант:",
        "differences tested at α = {alpha}": "различия проверены при α = {alpha}",
        "Runs:": "Запуски:",
        "{ok} of {planned} planned runs finished ok; failed {failed}, diverged {diverged}, over budget {budget}, not run {missing}.": (
            "успешно завершено {ok} из {planned} запланированных; с ошибкой {failed}, разошлись {diverged}, "
            "вне бюджета {budget}, не запущены {missing}."
        ),
        "Hardware:": "Оборудование:",
        "{hardware} (host {host}).": "{hardware} (хост {host}).",
        "Versions:": "Версии:",
        # conclusions
        "Variant": "Вариант",
        "Accuracy": "Точность",
        "Δ vs baseline": "Δ к базовому",
        "95% CI of Δ": "95% ДИ для Δ",
        "p (Holm)": "p (Холм)",
        "Verdict": "Вердикт",
        "FLOPs ×": "FLOPs ×",
        "Time ×": "Время ×",
        "Params ×": "Параметры ×",
        "{low} to {high}": "от {low} до {high}",
        "Δ: difference of mean accuracy from the baseline {baseline}, in percentage points, with its 95% confidence interval; p-values Holm-corrected across variants, significance at α = {alpha}. Ratios are variant ÷ baseline (below 1× is cheaper).": (
            "Δ — разность средней точности варианта и базового варианта {baseline} в процентных пунктах, "
            "с 95% доверительным интервалом; p-значения с поправкой Холма по всем вариантам, уровень "
            "значимости α = {alpha}. Отношения — вариант ÷ базовый (меньше 1× — дешевле)."
        ),
        "Δ: difference of mean accuracy from the baseline in percentage points, with its 95% confidence interval; p-values Holm-corrected, significance at α = {alpha}. Ratios are variant ÷ baseline.": (
            "Δ — разность средней точности варианта и базового варианта в процентных пунктах, с 95% "
            "доверительным интервалом; p-значения с поправкой Холма, уровень значимости α = {alpha}. "
            "Отношения — вариант ÷ базовый."
        ),
        "Verdicts:": "Вердикты:",
        "better": "лучше",
        "worse": "хуже",
        "no significant difference": "нет значимой разницы",
        "inconclusive": "нет вывода",
        "confirmed": "подтверждена",
        "refuted": "опровергнута",
        "{verdict} — p_holm = {p}": "{verdict} — p (Холм) = {p}",
        "{verdict} — |Δ| = {delta} below min_effect {min_effect}": (
            "{verdict} — |Δ| = {delta} меньше минимального эффекта {min_effect}"
        ),
        "{verdict} — {n} seed(s)": "{verdict} — сидов: {n}",
        " (baseline {na}, variant {nb})": " (у базового {na}, у варианта {nb})",
        # claims
        "Claim": "Гипотеза",
        "Measured": "Измерено",
        "Note": "Примечание",
        "{metric} {direction}": "{metric}: {direction}",
        "up": "выше",
        "down": "ниже",
        "same": "без изменений",
        " pp": " п.п.",
        " (95% CI {low} … {high})": " (95% ДИ {low} … {high})",
        # results
        "Show individual seeds": "Показать отдельные сиды",
        "Top-5": "Top-5",
        "Loss": "Потери",
        "FLOPs": "FLOPs",
        "Params": "Параметры",
        "Train time": "Время обучения",
        "Images/s": "Изобр./с",
        "Latency": "Задержка",
        "Notes": "Примечания",
        "baseline": "базовый",
        "yes": "да",
        "no": "нет",
        "{x} ms": "{x} мс",
        "the base configuration": "базовая конфигурация",
        "not beaten on both accuracy and FLOPs by another variant": (
            "ни один другой вариант не лучше сразу и по точности, и по FLOPs"
        ),
        "Pareto": "Парето",
        "seed {seed}": "сид {seed}",
        "Seed": "Сид",
        "Successful runs only.": "Только успешные запуски.",
        "Accuracy and top-5: mean ± standard deviation over the runs (percentage points)": (
            "Точность и top-5: среднее ± стандартное отклонение по запускам (процентные пункты)"
        ),
        "Accuracy: mean ± standard deviation over the runs (percentage points)": (
            "Точность: среднее ± стандартное отклонение по запускам (процентные пункты)"
        ),
        "FLOPs per example for one forward pass (see the convention below; hover for multiply-adds)": (
            "FLOPs на один пример за один прямой проход (соглашение — внизу страницы; "
            "число умножений-сложений — во всплывающей подсказке)"
        ),
        "train time: mean wall-clock time per run": "время обучения: среднее астрономическое время запуска",
        "no other variant is both cheaper and more accurate": (
            "нет другого варианта, который одновременно дешевле и точнее"
        ),
        "Click a column header to sort.": "Щёлкните заголовок столбца, чтобы отсортировать.",
        "Successful runs only; accuracy is the mean ± standard deviation over seeds; FLOPs per example for one forward pass (see the convention below).": (
            "Только успешные запуски; точность — среднее ± стандартное отклонение по сидам; FLOPs на "
            "один пример за один прямой проход (соглашение — ниже)."
        ),
        "No results yet.": "Результатов пока нет.",
        "variant": "вариант",
        "changes": "изменения",
        "seeds": "сиды",
        "accuracy": "точность",
        "top-5": "top-5",
        "params": "параметры",
        "train time": "время обучения",
        "images/s": "изобр./с",
        "latency": "задержка",
        "what changed": "что изменено",
        "Δ vs baseline (95% CI)": "Δ к базовому (95% ДИ)",
        "verdict": "вердикт",
        "×FLOPs": "×FLOPs",
        "×time": "×время",
        "×params": "×параметры",
        "claim": "гипотеза",
        "note": "примечание",
        "measured": "измерено",
        # metrics named in claims
        "top5_accuracy": "точность top-5",
        "coarse_accuracy": "точность по надклассам",
        "loss": "потери",
        "flops": "FLOPs",
        "train_seconds": "время обучения",
        "images_per_second": "пропускная способность",
        "latency_ms": "задержка",
        # per class, configurations, failures
        "Accuracy on the examples of each class, mean over seeds.": (
            "Точность на примерах каждого класса, среднее по сидам."
        ),
        "Classes that changed significantly": "Классы, точность на которых значимо изменилась",
        "class": "класс",
        "Against the baseline, per class: Welch's t over seeds, Holm-corrected across classes; variants with no such class are not listed.": (
            "Сравнение с базовым вариантом по каждому классу: t-критерий Уэлча по сидам, поправка Холма "
            "по классам; варианты без таких классов не показаны."
        ),
        "The resolved configuration each variant trained with.": (
            "Итоговая конфигурация, с которой обучался каждый вариант."
        ),
        "Changes from the baseline:": "Отличия от базового варианта:",
        "Status": "Статус",
        "Error (last lines)": "Ошибка (последние строки)",
        "FLOPs convention.": "Соглашение о FLOPs.",
        (
            "FLOPs = 2 × multiply-adds of convolutions and dense layers, for one forward pass of one "
            "example at the suite's input size; bias, batch-norm, activations and pooling are not counted. "
            "Training FLOPs ≈ 3 × forward × images seen."
        ): (
            "FLOPs = 2 × число умножений-сложений в свёрточных и полносвязных слоях за один прямой проход "
            "одного примера при размере входа набора; смещения, batch-norm, активации и пулинг не "
            "учитываются. FLOPs обучения ≈ 3 × прямой проход × число просмотренных изображений."
        ),
        # figures: titles, axes, legends, captions
        "Accuracy by variant": "Точность по вариантам",
        "Top-5 accuracy by variant": "Точность top-5 по вариантам",
        "Accuracy vs FLOPs": "Точность и FLOPs",
        "Accuracy vs training time": "Точность и время обучения",
        "Learning curves": "Кривые обучения",
        "{label} by variant": "{label} по вариантам",
        "{y} vs {x}": "{y} и {x}",
        "Top-5 accuracy": "Точность top-5",
        "FLOPs per example (forward pass)": "FLOPs на пример (прямой проход)",
        "Multiply-adds per example": "Умножений-сложений на пример",
        "Parameters": "Параметры",
        "Training time per run": "Время обучения одного запуска",
        "Throughput (images/s)": "Пропускная способность (изобр./с)",
        "Latency (ms)": "Задержка (мс)",
        "multiply-adds": "умножения-сложения",
        "parameters": "параметры",
        "training time": "время обучения",
        "forward FLOPs per example": "FLOPs прямого прохода на пример",
        "training time per run": "время обучения одного запуска",
        "no runs": "нет запусков",
        "baseline mean": "среднее базового",
        "baseline mean ({name})": "среднее базового ({name})",
        "no successful runs": "нет успешных запусков",
        "no data": "нет данных",
        "  (lower is better)": "  (меньше — лучше)",
        "mean ± 95% CI": "среднее ± 95% ДИ",
        "single seeds": "отдельные сиды",
        "no training history": "нет истории обучения",
        "no accuracy or loss history": "нет истории точности или потерь",
        "epoch": "эпоха",
        " (baseline)": " (базовый)",
        "validation": "валидация",
        "training": "обучение",
        "no successful runs with {x} and {metric}": "нет успешных запусков с {x} и {metric}",
        "  (log scale)": "  (логарифмическая шкала)",
        "Pareto (not beaten on both axes)": "Парето (не хуже других по обеим осям)",
        "dominated": "доминируемые",
        "95% CI over seeds": "95% ДИ по сидам",
        "no confusion matrix": "нет матрицы ошибок",
        "fraction of the true class": "доля истинного класса",
        "predicted class": "предсказанный класс",
        "true class": "истинный класс",
        "Confusion matrix (row-normalised)": "Матрица ошибок (нормирована по строкам)",
        "Confusion matrix": "Матрица ошибок",
        "Confusion matrix: {variant}": "Матрица ошибок: {variant}",
        "Confusion matrix for {variant}": "Матрица ошибок варианта {variant}",
        "Confusion matrix of the best variant ({variant}), all seeds": (
            "Матрица ошибок лучшего варианта ({variant}), все сиды"
        ),
        ", row-normalised: each row (true class) shows the fraction of its examples predicted as each class; the diagonal is per-class recall.": (
            ", нормированная по строкам: строка (истинный класс) показывает, какая доля её примеров "
            "отнесена к каждому классу; на диагонали — полнота по классам."
        ),
        "no per-class results": "нет результатов по классам",
        "accuracy (%)": "точность (%)",
        "Per-class accuracy (mean over seeds)": "Точность по классам (среднее по сидам)",
        "no interval for {names} (a single seed)": "нет интервала для {names} (один сид)",
        "no successful runs: {names}": "нет успешных запусков: {names}",
        "not measured: {names}": "не измерено: {names}",
        "{label} of each variant (rows). Large marker: mean over seeds; whiskers: 95% t confidence interval of the mean (clipped to 0–100%); small dots: single seeds; dashed line and shaded band: the baseline's mean and its interval.": (
            "{label} каждого варианта (строки). Крупный маркер — среднее по сидам; усы — 95% "
            "t-доверительный интервал среднего (в пределах 0–100%); мелкие точки — отдельные сиды; "
            "пунктир и затенённая полоса — среднее базового варианта и его интервал."
        ),
        "Accuracy (left) and loss (right) after each epoch. Solid: validation; dashed: training. Lines: mean over seeds; bands: range from the lowest to the highest seed. Successful runs only.": (
            "Точность (слева) и потери (справа) после каждой эпохи. Сплошные линии — валидация, "
            "пунктир — обучение. Линии — среднее по сидам; полосы — от худшего до лучшего сида. "
            "Только успешные запуски."
        ),
        "Mean accuracy over seeds (whiskers: 95% t confidence interval, within 0–100%) against the mean {what}. Filled, ringed points joined by the step line are Pareto-optimal: no other variant is both cheaper and more accurate; hollow points are dominated.": (
            "Средняя точность по сидам (усы — 95% t-доверительный интервал, в пределах 0–100%) в "
            "зависимости от среднего: {what}. Закрашенные точки в кольце, соединённые ступенчатой "
            "линией, оптимальны по Парето: нет варианта, который одновременно дешевле и точнее; "
            "полые точки доминируются."
        ),
        " Not shown (no data): {names}.": " Не показаны (нет данных): {names}.",
        # the site (bench publish)
        "Benchmark reports": "Отчёты о сравнении моделей",
        "Suites: {n} · generated {when} by bench {version}": "Наборов: {n} · создано {when}, bench {version}",
        "Filter": "Фильтр",
        "Filter by title, suite, dataset or variant": "Фильтр по названию, набору, данным или варианту",
        "{shown} of {total} shown": "показано {shown} из {total}",
        "Report": "Отчёт",
        "Last run": "Последний запуск",
        "Best variant": "Лучший вариант",
        "Best accuracy": "Лучшая точность",
        "copied report": "скопированный отчёт",
        "{n} not ok": "неуспешных: {n}",
        "No report matches the filter.": "Под фильтр не подходит ни один отчёт.",
        "No reports yet.": "Отчётов пока нет.",
        "Comparison": "Сравнение",
        "The same suite measured twice": "Один набор, измеренный дважды",
        "Static pages: they open from disk or any web server, with no network.": (
            "Статические страницы: открываются с диска или с любого веб-сервера, без сети."
        ),
        "Accuracy on each class (columns) for each variant (rows), mean over seeds, in percent.": (
            "Точность на каждом классе (столбцы) для каждого варианта (строки), среднее по сидам, в процентах."
        ),
    }
)
