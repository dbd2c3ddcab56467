"""Everyday commands: bench list, bench show, --version, and --help with an example per verb."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli import _verb_modules, main
from bench.store import ResultStore, RunResult
from conftest import TINY_SUITE, build_synthetic_store


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch) -> Path:
    """suites/ with a run suite, a suite never run and a broken one; reports/ with the store."""
    monkeypatch.chdir(tmp_path)
    suites = tmp_path / "suites"
    store = build_synthetic_store(
        tmp_path / "reports" / "tiny" / "results.sqlite", suite_dir=suites
    )
    (suites / "other.yaml").write_text(TINY_SUITE.replace("name: tiny", "name: other"))
    (suites / "broken.yaml").write_text("name: broken\nvariants: [\n")
    with ResultStore(store) as results:
        runs = results.runs_frame()
        first = runs.iloc[-1]
        results.record(
            RunResult(
                key=first["key"],
                suite="tiny",
                variant=first["variant"],
                seed=int(first["seed"]),
                config={},
                status="failed",
                error="worker died: killed by SIGKILL\nlast output:\nsome library log line",
            )
        )
        results.delete_runs([runs.iloc[1]["key"]])  # base, seed 1: not trained yet
    return tmp_path


def test_list_shows_suites_and_stores_with_their_state(workspace: Path, capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    # file  suite  variants  runs  done  failed  damaged  missing  store
    assert lines["synthetic-suite.yaml"][1:8] == ["tiny", "2", "4", "2", "1", "0", "1"]
    assert lines["other.yaml"][1:8] == ["other", "2", "4", "0", "0", "0", "4"] and "not run yet" in out
    assert lines["broken.yaml"][1] == "—" and "invalid:" in out
    store_line = lines["reports/tiny/results.sqlite"]
    assert store_line[1:7] == ["tiny", "4", "2", "1", "0", "1"]  # planned, ok, failed, damaged, missing
    assert main(["list", "--suites", "nowhere", "--reports", "nowhere"]) == 0
    assert capsys.readouterr().out.count("(none)") == 2


def test_show_prints_runs_and_curves(workspace: Path, capsys) -> None:
    assert main(["show", "reports/tiny/results.sqlite", "tanh"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("tiny · variant tanh (model.activation: relu → tanh)")
    assert "seed 0 — Learning curves" in out and "val_accuracy" in out and "75.0%" in out
    assert "seed 1: failed — worker died: killed by SIGKILL" in out  # the cause, not a log line
    assert "some library log line" not in out
    assert main(["show", "reports/tiny", "base", "--metric", "loss"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("tiny · variant base (baseline) · 1 ok, 1 not run")
    assert "epoch    loss\n" in out and "val_loss" not in out
    assert main(["show", "reports/tiny", "tanh", "--lang", "ru"]) == 0
    out = capsys.readouterr().out
    assert "ключ" in out and "эпоха" in out and "key" not in out and "epoch" not in out
    assert main(["show", "suites/synthetic-suite.yaml", "base"]) == 0
    capsys.readouterr()
    assert main(["show", "reports/tiny", "relu"]) == 2
    assert "no variant 'relu'; the suite has: base, tanh" in capsys.readouterr().err
    assert main(["show", "reports/tiny", "base", "--metric", "f1"]) == 2
    assert "--metric: f1 not recorded" in capsys.readouterr().err


def test_version_and_every_verb_has_help_with_an_example(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.startswith("bench ")
    verbs = _verb_modules()
    assert {"run", "report", "validate", "publish", "export", "list", "show"} <= set(verbs)
    for verb in verbs:
        with pytest.raises(SystemExit) as exit_info:
            main([verb, "--help"])
        out = capsys.readouterr().out
        assert exit_info.value.code == 0 and "Example" in out and f"bench {verb}" in out, verb


@pytest.mark.slow
def test_everyday_verbs_never_import_tensorflow(workspace: Path) -> None:
    code = (
        "import sys, io, contextlib; from bench.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['list']) == 0\n"
        "    assert main(['show', 'reports/tiny', 'tanh']) == 0\n"
        "    assert main(['export', 'reports/tiny', '--format', 'json']) == 0\n"
        "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]\n"
        "sys.exit(f'imported {bad}' if bad else 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=workspace, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
