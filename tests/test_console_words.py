"""The console lines of ``bench run`` and ``bench verify`` come from the word catalogs, in ``--lang``.

Training is replaced by a scripted fake and verify's retraining by a copy of the stored run,
so both verbs run in this process in well under a second.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import numpy as np
import pytest

import bench.verify
import bench.worker
from bench.cli import main
from bench.executors.sizing import SizingReason, WorkerPlan, describe
from bench.store import RunResult
from conftest import TINY_SUITE, build_synthetic_store

SUITE = """\
name: words
dataset: {name: digits, train_size: 300, test_size: 200}
train: {epochs: 1, batch_size: 32, seeds: 2}
model:
  family: cnn
  blocks:
    - {filters: 4, kernel: 3, pool: 2}
  dense: [16]
variants:
  - name: wide
    set: {model.dense: [32]}
  - name: broken
    set: {model.activation: tanh}
"""
CAUSE = "ValueError: scripted failure"


def _scripted_run(spec, on_epoch=None) -> RunResult:
    """Stands in for training: 'broken' fails, the others score a seeded accuracy."""
    if spec.variant == "broken":
        return RunResult(
            key=spec.key, suite=spec.suite, variant=spec.variant, seed=spec.seed,
            config=spec.config.model_dump(mode="json"), status="failed",
            error=f"Traceback (most recent call last):\n  File x\n{CAUSE}\n", started_at=0.0, finished_at=1.5,
        )  # fmt: skip
    noise = np.random.default_rng([zlib.crc32(spec.variant.encode()), spec.seed]).standard_normal()
    return RunResult(
        key=spec.key, suite=spec.suite, variant=spec.variant, seed=spec.seed,
        config=spec.config.model_dump(mode="json"), status="ok",
        metrics={"accuracy": 0.9 + 0.005 * noise}, started_at=0.0, finished_at=12.34,
    )  # fmt: skip


@pytest.fixture
def scripted_training(monkeypatch):
    """Every run trains through the fake, in this process (no worker processes)."""
    import bench.executors

    original = bench.executors.make_executor
    monkeypatch.setattr(bench.executors, "make_executor", lambda *args, **kwargs: original("local", None))
    monkeypatch.setattr(bench.worker, "train_run", _scripted_run)  # the runner looks it up at call time
    monkeypatch.setenv("COLUMNS", "500")  # one console line per line: rich wraps at the terminal's width


def _latin_words(text: str, names: list[str]) -> list[str]:
    """Latin words of 4+ letters left once paths, names and command names are taken out."""
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, "")
    text = re.sub(r"`[^`]*`", "", text)  # a command to type is code, not words
    return re.findall(r"\b(?!bench\b)[A-Za-z]{4,}\b", text)


def test_bench_run_speaks_russian_with_lang_ru(write_suite, tmp_path: Path, scripted_training, capsys) -> None:
    suite = write_suite(SUITE)
    store = tmp_path / "store" / "results.sqlite"
    assert main(["run", str(suite), "--store", str(store), "--no-report", "--lang", "ru"]) == 0
    captured = capsys.readouterr()
    summary = captured.out.strip().splitlines()[-1]
    assert summary.startswith("запланировано запусков: 6, уже в хранилище: 0, обучено: 6 (")
    assert "с ошибкой: 2" in summary and "успешно: 4" in summary and f"→ {store}" in summary
    lines = captured.err.strip().splitlines()
    assert lines[0] == f"words: запусков к обучению — 6 из 6 (уже в {store}: 0); в этом процессе, по одному запуску за раз"
    run_lines = [line for line in lines if line.startswith("запуск ")]
    assert len(run_lines) == 6
    assert any(re.fullmatch(r"запуск \d/6 wide, сид [01]: успешно точность \d\d\.\d% \(12\.3 с\)", line)
               for line in run_lines), run_lines  # fmt: skip
    assert any(line.endswith(f": ОШИБКА через 1.5 с: {CAUSE}") for line in run_lines), run_lines
    shown = captured.out + captured.err
    left = _latin_words(shown, [str(store), "words", "wide", "broken", "base", CAUSE])
    assert not left, left

    # the same store again in English: the lines the existing tests and users know
    assert main(["run", str(suite), "--store", str(store), "--no-report", "--fresh", "--only", "wide"]) == 0
    captured = capsys.readouterr()
    assert "2 runs planned, 0 already in the store, 2 trained (2 ok) in " in captured.out
    assert re.search(r"run 1/2 wide seed [01]: ok accuracy \d\d\.\d% \(12\.3 s\)", captured.err)


def test_bench_run_takes_the_suites_lang_and_all_failed_speaks_it(write_suite, tmp_path: Path,
                                                                 scripted_training, capsys) -> None:  # fmt: skip
    suite = write_suite(SUITE.replace("name: words\n", "name: words\nlang: ru\n"))
    store = tmp_path / "results.sqlite"
    assert main(["run", str(suite), "--store", str(store), "--no-report", "--only", "broken"]) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error == (
        f"bench: error: все запуски завершились ошибкой (обучено: 2): 2× {CAUSE}; нового для отчёта нет "
        f"(ошибку каждого запуска покажет `bench show {store} ВАРИАНТ`)"
    )
    # --lang over the suite's lang:
    assert main(["run", str(suite), "--store", str(store), "--no-report", "--only", "base", "--lang", "en"]) == 0
    assert "2 runs planned, 0 already in the store, 2 trained (2 ok) in " in capsys.readouterr().out


def test_the_worker_plan_is_described_in_either_language() -> None:
    plan = WorkerPlan(2, 1, SizingReason.PER_CORE, cores=2, runs=6)
    assert describe(plan) == "2 workers × 1 thread (one worker per core (2 cores))"
    assert describe(plan, "ru") == "рабочих процессов: 2, потоков в каждом: 1 (по процессу на ядро (ядер: 2))"
    memory = WorkerPlan(1, 16, SizingReason.MEMORY, memory=2 * 2**30, worker_memory=0.9 * 2**30)
    assert describe(memory) == "1 worker × 16 threads (memory: 2 GiB available, ~0.9 GiB per worker)"
    recorded = WorkerPlan(1, 3, SizingReason.JOBS, recorded_threads=True)
    assert describe(recorded, "ru") == "рабочих процессов: 1, потоков в каждом: 3 (задано --jobs 1, потоков: 3, как записано)"


def _copy_of_stored(runs):
    """verify's retraining, replaced: each run comes back exactly as stored, but accuracy moved."""
    reruns = {}
    for stored in runs:
        reruns[stored.key] = RunResult(
            key=stored.key, suite=stored.suite, variant=stored.variant, seed=stored.seed,
            config=stored.config, status="ok",
            metrics={**stored.metrics, "accuracy": stored.metrics["accuracy"] + 0.125},
            history={k: list(v) for k, v in stored.history.items()},
            predictions={k: v.copy() for k, v in stored.predictions.items()},
            manifest=dict(stored.manifest),
        )  # fmt: skip
    return reruns


def test_bench_verify_speaks_the_stores_language_or_lang(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(bench.verify, "_retrain", _copy_of_stored)
    english = build_synthetic_store(tmp_path / "en" / "results.sqlite")
    assert main(["verify", str(english)]) == 1
    out = capsys.readouterr().out
    assert ": different" in out and "accuracy: stored" in out and "Δ +0.125" in out
    assert "0 of 1 run(s) reproduced" in out

    assert main(["verify", str(english), "--lang", "ru", "--tolerance", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "base, сид 0 (ключ " in out and ": в пределах допуска" in out
    assert "accuracy: в хранилище " in out and "(в пределах допуска)" in out
    assert out.strip().splitlines()[-1] == f"проверка: воспроизведено запусков — 1 из 1 (допуск 0.2) — {english}"
    assert not _latin_words(out, [str(english), "base", "accuracy"]), out

    russian = build_synthetic_store(tmp_path / "ru" / "results.sqlite", TINY_SUITE.replace("name: tiny\n", "name: tiny\nlang: ru\n"))
    assert main(["verify", str(russian)]) == 1
    out = capsys.readouterr().out
    assert ": отличается" in out and "проверка: воспроизведено запусков — 0 из 1" in out
    assert main(["verify", str(russian), "--lang", "en"]) == 1
    assert "verify: 0 of 1 run(s) reproduced" in capsys.readouterr().out


def test_until_conclusive_speaks_russian_at_each_look() -> None:
    from bench import sequential
    from bench.adaptive import AdaptiveSummary, plan_look

    design = sequential.make_design(3, 9)
    rng = np.random.default_rng(2)
    base = 0.9 + rng.normal(0, 0.005, size=3)
    look = sequential.decide_look(
        design, base, {"clear": base + 0.05 + rng.normal(0, 0.0002, size=3), "open": base + rng.normal(0, 0.005, size=3)},
        paired=True, min_effect=0.01,
    )  # fmt: skip
    plan = plan_look(look, {"base": 3, "clear": 3, "open": 3}, "base", "ru")
    assert plan.stopped["clear"].startswith("решено при 3 сидах: граница пересечена (p ")
    said = [*plan.stopped.values(), *plan.reasons.values()]
    summary = AdaptiveSummary(rounds=1, trained=4, verdicts={"clear": "better", "open": "inconclusive"})
    said.append(summary.line("ru"))
    assert said[-1] == "до вывода: раундов с новыми сидами — 1, обучено запусков — 4; вердикты: лучше: 1, нет вывода: 1"
    assert not _latin_words(" ".join(said), ["min_effect"]), said
