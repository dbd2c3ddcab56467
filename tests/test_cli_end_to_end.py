"""End to end: `bench run` on tiny embedded data, resume, report, validate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli import main
from bench.store import ResultStore


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The installed command as a user runs it, in a fresh process."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_bench_run_trains_resumes_and_reports(tiny_suite, tmp_path):
    store = tmp_path / "out" / "results.sqlite"
    first = run_cli("run", str(tiny_suite), "--store", str(store), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "4 runs planned, 0 already in the store, 4 trained (4 ok)" in first.stdout
    report_md = (tmp_path / "out" / "report.md").read_text()
    report_html = (tmp_path / "out" / "report.html").read_text()
    assert "tanh" in report_md and "<table" in report_html
    assert "data:image/png;base64," in report_html

    with ResultStore(store) as opened:
        frame = opened.runs_frame()
        assert list(frame["status"]) == ["ok"] * 4
        assert frame["accuracy"].between(0.0, 1.0).all()
        assert (frame["flops"] > 0).all() and (frame["params"] > 0).all()
        assert opened.predictions(frame["key"][0])["y_pred"].shape == (200,)
        assert len(opened.history_frame([frame["key"][0]])) >= 2

    again = run_cli("run", str(tiny_suite), "--store", str(store), "--no-report", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "4 already in the store, 0 trained" in again.stdout


@pytest.mark.slow
def test_report_and_validate_commands_do_not_import_tensorflow(tiny_suite, synthetic_store, tmp_path):
    """Render from a store written in the test, with TensorFlow made unimportable."""
    store = synthetic_store
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "tensorflow.py").write_text("raise ImportError('tensorflow must not be imported here')\n")
    (blocker / "keras.py").write_text("raise ImportError('keras must not be imported here')\n")
    env = dict(os.environ, PYTHONPATH=f"{blocker}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    for args in (["report", str(store)], ["validate", str(tiny_suite)]):
        done = subprocess.run([sys.executable, "-m", "bench", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert (store.parent / "report.html").exists()


def test_bad_suite_exits_2_with_one_line_and_writes_nothing(write_suite, tmp_path, capsys):
    path = write_suite("name: t\ndataset: {name: digits}\nmodel: {family: cnn, blocks: [{filters: 4, dropout: 2}]}\n")
    store = tmp_path / "never" / "results.sqlite"
    assert main(["run", str(path), "--store", str(store)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith(f"bench: error: {path}:3: model.blocks[0].dropout: 2")
    assert not store.parent.exists()
    assert main(["validate", str(path)]) == 2
    assert main(["run", str(path.parent / "absent.yaml")]) == 2


def test_zero_seeds_is_refused(tiny_suite, tmp_path, capsys):
    assert main(["run", str(tiny_suite), "--seeds", "0", "--store", str(tmp_path / "s.sqlite")]) == 2
    assert "--seeds: 0 is not allowed" in capsys.readouterr().err
    assert not (tmp_path / "s.sqlite").exists()


def test_unknown_only_variant_is_refused_before_training(tiny_suite, tmp_path, capsys):
    assert main(["run", str(tiny_suite), "--only", "nope", "--store", str(tmp_path / "s.sqlite")]) == 2
    assert "no variant 'nope'; the suite has: base, tanh" in capsys.readouterr().err
    assert not (tmp_path / "s.sqlite").exists()


def test_validate_reports_ok(tiny_suite, capsys):
    assert main(["validate", str(tiny_suite)]) == 0
    assert "ok — suite 'tiny', 2 variants, 4 runs" in capsys.readouterr().out


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert "bench 0." in capsys.readouterr().out
