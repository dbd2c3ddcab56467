"""Resume, safely: claims, kill -9 of `bench run`, two `bench run`s on one store, budgets, schema 2."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.runner import ClaimQueue, run_suite
from bench.store import SCHEMA_VERSION, Claimant, ResultStore, RunResult, migrate_v1_to_v2
from bench.suite import load_suite

SUITE = """\
name: resumable
dataset: {name: digits, train_size: 200, test_size: 100, validation: 0.1}
train: {epochs: 1, batch_size: 32, seeds: 2}
model:
  family: cnn
  blocks: [{filters: 4, kernel: 3, pool: 2}]
  dense: [16]
variants:
  - name: tanh
    set: {model.activation: tanh}
  - name: elu
    set: {model.activation: elu}
"""
PLANNED = 6


@pytest.fixture
def suite_path(write_suite, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))
    return write_suite(SUITE)


def _bench_run(suite: Path, store: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench",
            "run",
            str(suite),
            "--store",
            str(store),
            "--no-report",
            *extra,
        ],
        cwd=suite.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _stored_runs(store: Path) -> int:
    try:
        with sqlite3.connect(store, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    except sqlite3.Error:  # not created yet
        return 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _result(key: str, status: str = "ok") -> RunResult:
    return RunResult(key=key, suite="s", variant="v", seed=0, config={}, status=status)


# -- claims ----------------------------------------------------------------------------------------
def test_a_key_is_claimed_once_until_its_owner_dies_or_goes_quiet(tmp_path):
    here = socket.gethostname()
    me, other = Claimant.this_process(), Claimant(os.getppid(), here, "other")
    with ResultStore(tmp_path / "s.sqlite") as store:
        assert store.claim("k1", me).claimed
        assert store.claim("k1", me).claimed  # claiming again is harmless
        refused = store.claim("k1", other)
        assert not refused.claimed and refused.holder == f"{os.getpid()}@{here}"

        dead = Claimant(_dead_pid(), here, "dead")
        assert store.claim("k2", dead).claimed
        taken = store.claim("k2", other)  # a dead pid on this host: stale at once
        assert taken.claimed and taken.took_over == f"{dead.pid}@{here}"

        far = Claimant(1, "another-host", "far")
        assert store.claim("k3", far).claimed
        assert not store.claim("k3", me).claimed  # another host: only the heartbeat tells
        assert store.claim("k3", me, timeout=-1).claimed  # ... and an old heartbeat is stale

        store.record(_result("k1"))  # recording drops the claim in the same transaction
        assert store.claim("k1", other).finished
        store.record(_result("k4", "failed"))
        assert store.claim("k4", other).claimed  # failed runs are trained again
        assert store.heartbeat(me) == 1
        store.release(other)
        assert {c["key"] for c in store.claims()} == {"k3"}


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def test_a_version_1_store_is_migrated_to_version_2(tmp_path):
    path = tmp_path / "old.sqlite"
    with ResultStore(path) as store:
        store.record(_result("k1"))
    with sqlite3.connect(path) as db:  # what bench wrote before claims existed
        db.execute("DROP TABLE claims")
        db.execute("UPDATE meta SET value='1' WHERE name='schema_version'")
    with ResultStore(path) as store:
        assert store.finished_keys() == {"k1"}
        assert store.claim("k2", Claimant.this_process()).claimed
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta").fetchone() == (str(SCHEMA_VERSION),)
    assert SCHEMA_VERSION >= 2 and migrate_v1_to_v2.__doc__


# -- budgets -----------------------------------------------------------------------------------------
def test_the_suite_budget_stops_handing_out_runs(suite_path, tmp_path):
    specs = load_suite(suite_path).specs()
    now = [0.0]
    with ResultStore(tmp_path / "s.sqlite") as store:
        queue = ClaimQueue(
            store, specs, Claimant.this_process(), deadline=60.0, clock=lambda: now[0]
        )
        assert queue.take() == specs[0]
        now[0] = 61.0
        assert queue.take() is None and queue.exhausted()
        assert queue.not_started == specs[1:]


def test_runs_past_the_budget_stay_missing_not_failed(suite_path, tmp_path, capsys):
    store_path = tmp_path / "s.sqlite"
    summary = run_suite(load_suite(suite_path), store_path, max_minutes=1e-9)
    assert summary.trained == 0 and len(summary.not_started) == PLANNED
    assert "6 run(s) not started" in capsys.readouterr().err
    with ResultStore(store_path) as store:
        assert set(store.runs_frame()["status"]) == {"missing"} and not store.claims()


# -- kill -9 and concurrency, through the real command -------------------------------------------------------
@pytest.mark.slow
def test_kill_9_of_bench_run_loses_nothing_and_the_rerun_trains_only_what_is_missing(
    suite_path, tmp_path
):
    store = tmp_path / "results.sqlite"
    parent = _bench_run(suite_path, store, "--jobs", "2")
    deadline = time.monotonic() + 240
    while _stored_runs(store) < 1:
        assert parent.poll() is None, parent.stdout.read() if parent.stdout else ""
        assert time.monotonic() < deadline, "no run finished in time"
        time.sleep(0.1)
    workers = _children(parent.pid)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    finished = _stored_runs(store)
    assert 1 <= finished < PLANNED
    gone = time.monotonic() + 20
    while any(_alive(pid) for pid in workers) and time.monotonic() < gone:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers), "worker processes outlived their parent"

    with ResultStore(store) as reopened:
        assert reopened.integrity_ok()
        finished = len(reopened.finished_keys())
    again = run_suite(load_suite(suite_path), store)  # takes over the dead process's claims
    assert (again.skipped, again.trained, again.statuses) == (
        finished,
        PLANNED - finished,
        {"ok": PLANNED - finished},
    )
    with ResultStore(store) as reopened:
        assert reopened.integrity_ok() and not reopened.claims()
        assert len(reopened.finished_keys()) == PLANNED


@pytest.mark.slow
def test_two_bench_runs_on_one_store_train_each_key_exactly_once(suite_path, tmp_path):
    store = tmp_path / "results.sqlite"
    runs = [_bench_run(suite_path, store, "--jobs", "1") for _ in range(2)]
    outputs = [run.communicate(timeout=400)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    trained = [int(re.search(r"(\d+) trained \(", out).group(1)) for out in outputs]  # type: ignore[union-attr]
    assert sum(trained) == PLANNED, outputs
    with ResultStore(store) as reopened:
        frame = reopened.runs_frame()
        assert len(frame) == PLANNED and set(frame["status"]) == {"ok"}
        assert frame["key"].is_unique and not reopened.claims()
