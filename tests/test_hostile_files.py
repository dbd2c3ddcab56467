"""Hostile and unlucky files: stores that must not change, damaged stores, full disks,
read-only places, a publish told to delete outside its folder.

Nothing trains here: stores are filled with scripted runs (``build_synthetic_store``).
Permission cases run the CLI in a subprocess without root's file-permission override,
so they hold when the tests run as root.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.cli import main
from bench.errors import BenchError
from bench.store import ResultStore
from conftest import build_synthetic_store


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sidecars(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name + "-"))


def bench_cli(*args: str, unprivileged: bool = False, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bench`` in a subprocess; ``unprivileged``: without root's permission override."""
    command = [sys.executable, "-m", "bench", *args]
    if unprivileged and os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: file permissions cannot be exercised")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    environment = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=environment, timeout=600)


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return build_synthetic_store(tmp_path / "reports" / "tiny" / "results.sqlite")


# -- reading never writes -----------------------------------------------------------------------
def read_only_verbs(store: Path, out: Path) -> list[list[str]]:
    return [
        ["report", str(store), "--out", str(out / "report")],
        ["diff", str(store), "base", "tanh"],
        ["diff", str(store), str(store)],
        ["export", str(store), "--out", str(out / "runs.csv")],
        ["export", str(store), "--format", "json"],
        ["show", str(store), "tanh"],
        ["list", "--reports", str(store.parent.parent), "--suites", str(out / "no-suites")],
        ["publish", str(store.parent.parent), "--out", str(out / "site")],
    ]


@pytest.mark.slow
def test_every_reading_verb_leaves_the_store_bytes_unchanged(store: Path, tmp_path: Path, capsys) -> None:
    before = digest(store)
    assert sidecars(store) == []
    for verb in read_only_verbs(store, tmp_path / "out"):
        assert main(verb) == 0, (verb, capsys.readouterr().err)
        assert digest(store) == before, verb
        assert sidecars(store) == [], verb
    from bench.store import load_results

    assert len(load_results(store)) == 4
    assert digest(store) == before and sidecars(store) == []


@pytest.mark.slow
def test_an_old_schema_is_read_as_it_is_not_migrated(store: Path, tmp_path: Path, capsys) -> None:
    db = sqlite3.connect(store)
    db.execute("DROP TABLE claims")
    db.execute("UPDATE meta SET value='1' WHERE name='schema_version'")
    db.commit()
    assert db.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"  # rollback journal
    db.close()
    before = digest(store)
    for verb in read_only_verbs(store, tmp_path / "out"):
        assert main(verb) == 0, (verb, capsys.readouterr().err)
    assert digest(store) == before and sidecars(store) == []
    with ResultStore(store, create=False) as opened:
        assert opened.schema_version == 1
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL
    db.close()


def test_a_store_being_written_is_read_beside_its_writer(store: Path) -> None:
    """While `bench run` holds the store (its -wal exists) a reader goes through SQLite's locks."""
    with ResultStore(store) as writer:
        writer.finished_keys()
        assert "results.sqlite-wal" in sidecars(store)
        with ResultStore(store, create=False) as reader:
            assert len(reader.runs_frame()) == 4
            with pytest.raises(BenchError, match="opened for reading only"):
                reader.delete_runs(["x"])


@pytest.mark.slow
def test_a_store_on_a_read_only_path_is_readable(store: Path, tmp_path: Path) -> None:
    place = tmp_path / "archive"
    place.mkdir()
    shutil.copy(store, place / "results.sqlite")
    (place / "results.sqlite").chmod(0o444)
    place.chmod(0o555)
    try:
        before = digest(place / "results.sqlite")
        result = bench_cli("export", str(place / "results.sqlite"), unprivileged=True)
        assert result.returncode == 0, result.stderr
        assert result.stdout.count("\n") == 5
        written = bench_cli("run", str(store.parent / "synthetic-suite.yaml"), "--store",
                            str(place / "results.sqlite"), unprivileged=True)  # fmt: skip
        assert written.returncode == 2
        assert one_line(written.stderr).endswith(
            "results.sqlite: cannot write the results store (permission denied); bench run records "
            "runs in it — pass --store PATH to write elsewhere"
        )
        assert digest(place / "results.sqlite") == before
        assert sorted(p.name for p in place.iterdir()) == ["results.sqlite"]
    finally:
        place.chmod(0o755)


# -- distinct messages when it is not a store -----------------------------------------------------
def test_not_a_store_only_when_it_is_not_one(store: Path, tmp_path: Path) -> None:
    with pytest.raises(BenchError, match=r"is a folder, not a results store file; the store inside it is"):
        ResultStore(store.parent, create=False)
    with pytest.raises(BenchError, match=r"no results store here \(no such file\)"):
        ResultStore(tmp_path / "absent.sqlite", create=False)
    text = tmp_path / "notes.sqlite"
    text.write_text("hello, not a database at all " * 40)
    with pytest.raises(BenchError, match=r"not a bench results store \(not an SQLite file\)"):
        ResultStore(text, create=False)
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    with pytest.raises(BenchError, match="an empty SQLite file, not a bench results store"):
        ResultStore(empty, create=False)
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE people (name TEXT)")
    db.commit()
    db.close()
    before = digest(other)
    with pytest.raises(BenchError, match="an SQLite file, but not a bench results store"):
        ResultStore(other, create=False)
    assert digest(other) == before and sidecars(other) == []
    with pytest.raises(BenchError, match=r"cannot create the store: .*notes.sqlite is a file, not a folder"):
        ResultStore(text / "results.sqlite")


@pytest.mark.slow
def test_permission_problems_have_their_own_messages(store: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked.sqlite"
    shutil.copy(store, locked)
    locked.chmod(0o000)
    place = tmp_path / "read-only-place"
    place.mkdir()
    place.chmod(0o555)
    suite = str(store.parent / "synthetic-suite.yaml")
    try:
        unreadable = bench_cli("export", str(locked), unprivileged=True)
        assert unreadable.returncode == 2
        assert one_line(unreadable.stderr).endswith("locked.sqlite: cannot read the results store (permission denied)")
        new_store = bench_cli("run", suite, "--store", str(place / "sub" / "results.sqlite"), unprivileged=True)
        assert new_store.returncode == 2
        assert "cannot create the store's folder in" in one_line(new_store.stderr)
        report = bench_cli("report", str(store), "--out", str(place / "report"), unprivileged=True)
        assert report.returncode == 2
        assert one_line(report.stderr).endswith("cannot create the folder (permission denied)")
    finally:
        locked.chmod(0o644)
        place.chmod(0o755)
    assert list(place.iterdir()) == []


# -- damaged stores ---------------------------------------------------------------------------------
def damage(store: Path, statement: str, *params: object) -> None:
    db = sqlite3.connect(store)
    db.execute(statement, params)
    db.commit()
    db.close()


def first_key(store: Path, variant: str = "tanh") -> str:
    db = sqlite3.connect(store)
    key = db.execute("SELECT key FROM runs WHERE variant=? ORDER BY seed", (variant,)).fetchone()[0]
    db.close()
    return key


def wrong_length_blob() -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.arange(5, dtype=np.int16))
    return buffer.getvalue()


RUN_DAMAGE = {
    "config-json": ("UPDATE runs SET config='{not json' WHERE key=?", "table runs, run {key}: config is not valid JSON"),
    "hardware-json": ("UPDATE runs SET hardware='[1, 2' WHERE key=?", "table runs, run {key}: hardware is not valid JSON"),
    "metric-text": ("UPDATE metrics SET value='high' WHERE run_key=? AND name='accuracy'",
                    "table metrics, run {key}: accuracy is stored as text 'high', not a number"),
    "blob-text": ("UPDATE predictions SET array='nope' WHERE run_key=? AND name='y_pred'",
                  "table predictions, run {key}: y_pred is stored as text, not an array"),
    "blob-garbage": ("UPDATE predictions SET array=x'00010203' WHERE run_key=? AND name='y_pred'",
                     "table predictions, run {key}: y_pred is not a NumPy array"),
    "blob-length": ("UPDATE predictions SET array=? WHERE run_key=? AND name='y_pred'",
                    "table predictions, run {key}: arrays of different lengths (y_pred 5, y_true 200)"),
    "blob-truncated": ("UPDATE predictions SET array=substr(array, 1, 200) WHERE run_key=? AND name='y_true'",
                       "table predictions, run {key}: y_true is 200 bytes, but its header promises"),
    "status": ("UPDATE runs SET status='weird' WHERE key=?", "table runs, run {key}: status 'weird' is not one of"),
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(RUN_DAMAGE))
def test_a_damaged_run_is_listed_as_damaged_and_the_rest_still_report(
    store: Path, tmp_path: Path, capsys, case: str
) -> None:
    key = first_key(store)
    statement, expected = RUN_DAMAGE[case]
    params = (wrong_length_blob(), key) if case == "blob-length" else (key,)
    damage(store, statement, *params)
    expected = expected.format(key=key)

    assert main(["report", str(store), "--out", str(tmp_path / "report")]) == 0
    err = capsys.readouterr().err
    assert one_line(err) == (
        f"bench: warning: {store}: damaged {expected}"
        + err.strip().split(expected, 1)[1]
    )
    assert expected in err and "the run is left out" in err
    assert (tmp_path / "report" / "report.html").is_file()

    with ResultStore(store, create=False) as opened, pytest.warns(UserWarning, match="damaged"):
        frame = opened.runs_frame().set_index("key")
    assert frame.loc[key, "status"] == "damaged"
    assert expected in frame.loc[key, "error"]
    assert (frame.drop(index=key)["status"] == "ok").all()

    assert "damaged 1" in (tmp_path / "report" / "report.md").read_text()  # the report counts it

    assert main(["list", "--reports", str(store.parent.parent), "--suites", str(tmp_path / "none")]) == 0
    listed = capsys.readouterr()
    assert expected in listed.err and "tiny" in listed.out
    header, _, row = listed.out.split("Stores in", 1)[1].strip().splitlines()[1:4]
    assert row.split()[header.split().index("damaged")] == "1"  # listed as damaged, not as failed
    assert row.split()[header.split().index("failed")] == "0"
    for verb in (["export", str(store)], ["show", str(store), "tanh"], ["diff", str(store), "base", "tanh"]):
        status = main(verb)
        captured = capsys.readouterr()
        assert status in (0, 2), verb
        assert "Traceback" not in captured.err and expected in captured.err, (verb, captured.err)


@pytest.mark.parametrize(
    "statement, expected",
    [
        ("UPDATE meta SET value='two' WHERE name='schema_version'", "table meta: schema_version 'two' is not a number"),
        ("DELETE FROM meta WHERE name='schema_version'", "table meta has no schema_version"),
        ("UPDATE suites SET definition='{broken'", "table suites, suite 'tiny': definition is not valid JSON"),
        ("UPDATE suites SET definition='{\"name\": \"tiny\"}'", "table suites, suite 'tiny': definition has no variants list"),
        ("UPDATE suites SET definition='{\"variants\": [{\"config\": 1}]}'", "definition variants[0] has no name"),
        ("DROP TABLE history", "table history is missing"),
    ],
)
def test_damaged_store_metadata_is_one_line_for_every_verb(
    store: Path, tmp_path: Path, capsys, statement: str, expected: str
) -> None:
    damage(store, statement)
    before = digest(store)
    for verb in (["report", str(store), "--out", str(tmp_path / "r")], ["export", str(store)],
                 ["show", str(store), "tanh"], ["diff", str(store), "base", "tanh"]):  # fmt: skip
        assert main(verb) == 2, verb
        line = one_line(capsys.readouterr().err)
        assert line.startswith(f"bench: error: {store}: damaged store: ") and expected in line, (verb, line)
    assert main(["list", "--reports", str(store.parent.parent), "--suites", str(tmp_path / "none")]) == 0
    listed = capsys.readouterr()
    assert "Traceback" not in listed.err
    assert "unreadable" in listed.out or expected in listed.err
    assert digest(store) == before


# -- writing: whole or not at all, one line when the disk says no --------------------------------------
@pytest.mark.slow
def test_a_report_on_a_full_disk_leaves_the_earlier_report_intact(store: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    from bench import files

    out = tmp_path / "report"
    assert main(["report", str(store), "--out", str(out)]) == 0
    capsys.readouterr()
    earlier = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    shutil.rmtree(out / "figures")  # the figures must be drawn (written) again too
    for name in ("report.md", "report.html"):
        earlier.pop(Path(name))
    saved = {name: (out / name).read_bytes() for name in ("report.md", "report.html")}

    def full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    assert main(["report", str(store), "--out", str(out), "--lang", "ru"]) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("bench: error: ") and line.endswith(": cannot write (the disk is full)")
    for name, data in saved.items():
        assert (out / name).read_bytes() == data
    leftovers = [p.name for p in out.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]
    assert leftovers == []


@pytest.mark.parametrize(
    "verb, expected",
    [
        (["export", "{store}", "--out", "/dev/full"], "bench: error: /dev/full: cannot write (the disk is full)"),
        (["diff", "{store}", "base", "tanh", "--out", "/dev/full"], "bench: error: /dev/full: cannot write (the disk is full)"),
        (["report", "{store}", "--out", "/dev/full"], "bench: error: --out /dev/full: is a file, not a folder; give a folder"),
        (["export", "{store}", "--out", "{tmp}"], "bench: error: {tmp}: is a folder, not a file"),
        (["report", "{store}", "--out", "{file}/sub"], "bench: error: --out {file}/sub: cannot create the folder (a file is in the way where a folder should be)"),
        (["publish", "{reports}", "--out", "{file}"], "bench: error: --out {file}: is a file, not a folder; give a folder for the site"),
    ],
)
def test_io_failures_are_one_line(store: Path, tmp_path: Path, capsys, verb: list[str], expected: str) -> None:
    if not Path("/dev/full").exists() and "/dev/full" in verb:
        pytest.skip("no /dev/full on this system")
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("keep me")
    values = {"store": str(store), "tmp": str(tmp_path), "file": str(a_file), "reports": str(store.parent.parent)}
    assert main([part.format(**values) for part in verb]) == 2
    assert one_line(capsys.readouterr().err) == expected.format(**values)
    assert a_file.read_text() == "keep me"


def test_atomic_write_replaces_a_link_not_its_target(tmp_path: Path) -> None:
    from bench.files import write_text_atomic

    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    link = tmp_path / "site" / "index.html"
    link.parent.mkdir()
    link.symlink_to(outside)
    write_text_atomic(link, "page")
    assert outside.read_text() == "precious"
    assert not link.is_symlink() and link.read_text() == "page"


# -- bench run: a disk that fills, runs that all fail, SIGTERM ---------------------------------------
class ScriptedExecutor:
    """Hands back a scripted result for each run, without training."""

    name = "scripted"
    slots = 1

    def __init__(self, status: str = "ok", error: str | None = None) -> None:
        self.status, self.error = status, error

    def __enter__(self) -> "ScriptedExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def start(self, specs: object) -> None:
        return None

    def describe(self, lang: str | None = None) -> str:
        return "scripted"

    def run(self, queue, listener) -> None:  # type: ignore[no-untyped-def]
        from bench.store import RunResult

        while (spec := queue.take()) is not None:
            listener.on_start(0, spec)
            listener.on_result(0, spec, RunResult(
                spec.key, spec.suite, spec.variant, spec.seed, spec.config.model_dump(mode="json"),
                status=self.status, error=self.error, metrics={"accuracy": 0.5},
                predictions={"y_true": np.zeros(20_000, dtype=np.int16), "y_pred": np.zeros(20_000, dtype=np.int16)},
            ))  # fmt: skip


def test_a_disk_filling_mid_run_saves_what_finished_and_exits_1(tiny_suite: Path, tmp_path: Path, monkeypatch) -> None:
    from bench.errors import StoreWriteError
    from bench.runner import run_suite
    from bench.suite import load_suite

    store_path = tmp_path / "results.sqlite"
    original = ResultStore.record
    recorded = []

    def record_until_full(self: ResultStore, result) -> None:  # type: ignore[no-untyped-def]
        if len(recorded) == 2:  # the disk is full now: SQLite may not grow the file any more
            pages = self._db.execute("PRAGMA page_count").fetchone()[0]
            self._db.execute(f"PRAGMA max_page_count={pages}")
        original(self, result)
        recorded.append(result.key)

    monkeypatch.setattr(ResultStore, "record", record_until_full)
    with pytest.raises(StoreWriteError) as caught:
        run_suite(load_suite(tiny_suite), store_path, executor=ScriptedExecutor())
    assert caught.value.exit_code == 1
    message = str(caught.value)
    assert "cannot write the results store (the disk is full)" in message
    assert "the 2 run(s) finished before it are in the store" in message
    monkeypatch.setattr(ResultStore, "record", original)
    with ResultStore(store_path, create=False) as store:
        assert sorted(store.finished_keys()) == sorted(recorded)
        assert store.claims() == [] or all(c["key"] not in recorded for c in store.claims())


def test_a_run_where_every_run_failed_exits_1_with_the_causes(tiny_suite: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    import bench.cli.run as run_verb

    lost = (
        "the worker process (pid 4242) died while training this run: killed by SIGKILL "
        "(out of memory?). Recorded as failed; the next `bench run` trains it again.\n"
        "Last lines of the worker's output:\nI0000 tensorflow/core/some_log_line.cc:42] noise"
    )
    monkeypatch.setattr(run_verb, "_executor", lambda args: ScriptedExecutor("failed", lost))
    status = main(["run", str(tiny_suite), "--store", str(tmp_path / "r.sqlite"), "--no-report"])
    captured = capsys.readouterr()
    assert status == 1
    assert "noise" not in captured.err.splitlines()[-1]
    assert captured.err.strip().splitlines()[-1] == (
        "bench: error: all 4 runs failed: 4× the worker process (pid 4242) died while training this run: "
        "killed by SIGKILL (out of memory?). Recorded as failed; the next `bench run` trains it again.; "
        f"nothing new to report (`bench show {tmp_path / 'r.sqlite'} VARIANT` has each run's error)"
    )
    assert "FAILED after" in captured.err and "killed by SIGKILL" in captured.err
    assert "some_log_line" not in captured.err


def test_failure_cause_is_the_exception_or_the_first_line() -> None:
    from bench.status import failure_cause

    assert failure_cause("Traceback (most recent call last):\n  File x\nValueError: boom\n") == "ValueError: boom"
    assert failure_cause("worker died: killed by SIGKILL\nlast output:\nlog line") == "worker died: killed by SIGKILL"
    assert failure_cause(None) == "no error recorded"


def test_sigterm_ends_a_verb_with_one_line(capsys) -> None:
    import time

    from bench.console_safety import one_line_failures

    before = signal.getsignal(signal.SIGTERM)
    with one_line_failures() as outcome:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(60)  # interrupted by the handler at once
        raise AssertionError("SIGTERM did not stop the verb")
    assert outcome.status == 143
    assert capsys.readouterr().err == "bench: terminated (SIGTERM); every finished run is saved in the store\n"
    assert signal.getsignal(signal.SIGTERM) == before


def test_an_os_error_no_verb_caught_is_one_line(capsys) -> None:
    from bench.console_safety import one_line_failures

    with one_line_failures() as outcome:
        open("/nonexistent-folder/x", "w")  # noqa: SIM115
    assert outcome.status == 2
    assert capsys.readouterr().err == "bench: error: /nonexistent-folder/x: no such file or folder\n"


# -- publish never deletes outside --out ------------------------------------------------------------
@pytest.mark.slow
def test_publish_with_a_hostile_site_json_leaves_everything_outside_untouched(store: Path, tmp_path: Path) -> None:
    from bench.publish import publish_site

    reports = store.parent.parent
    site = tmp_path / "area" / "site"
    publish_site(reports, site)
    bystanders = tmp_path / "area" / "bystander"
    bystanders.mkdir()
    (bystanders / "report.html").write_text("not yours")
    (tmp_path / "area" / "report.html").write_text("not yours either")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "report.html").write_text("keep")
    (site / "linked").symlink_to(outside, target_is_directory=True)
    hostile = [{"slug": slug} for slug in ("..", "../bystander", str(outside), "linked", ".", "", "tiny/..", "a/b")]
    (site / "site.json").write_text(json.dumps(hostile))
    snapshot = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and site not in p.parents}

    publish_site(reports, site)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and site not in p.parents} == snapshot
    assert (site / "linked").is_symlink() and (outside / "report.html").read_text() == "keep"
    assert (site / "tiny" / "report.html").is_file()


@pytest.mark.slow
def test_publish_refuses_a_link_where_a_page_goes(store: Path, tmp_path: Path, capsys) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "report.html").write_text("keep")
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("an earlier site")
    (site / "tiny").symlink_to(outside, target_is_directory=True)
    assert main(["publish", str(store.parent.parent), "--out", str(site)]) == 2
    assert "is a symbolic link or a file where bench publish puts a page" in one_line(capsys.readouterr().err)
    assert (outside / "report.html").read_text() == "keep" and sorted(p.name for p in outside.iterdir()) == ["report.html"]
    assert not [p for p in site.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_publish_stale_pages_it_made_are_still_removed(store: Path, tmp_path: Path) -> None:
    from bench.publish import publish_site

    reports = store.parent.parent
    copied = reports / "old-copy"
    copied.mkdir()
    (copied / "report.html").write_text("<html><body><h1>Old</h1></body></html>")
    (copied / "secret-link").symlink_to("/etc/hostname")
    site = tmp_path / "site"
    publish_site(reports, site)
    assert (site / "old-copy" / "report.html").is_file()
    assert not (site / "old-copy" / "secret-link").exists()  # links are never copied
    shutil.rmtree(copied)
    publish_site(reports, site)
    assert not (site / "old-copy").exists() and (site / "tiny" / "report.html").is_file()
