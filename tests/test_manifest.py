"""The reproducibility manifest: its probes, its home in the store, and where it is shown."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bench import manifest as mf
from bench.cli import main
from bench.export import runs_table
from bench.store import ResultStore


def _git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True, capture_output=True,
    )  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "suite.yaml").write_text("name: x\n")
    _git(folder, "init", "-q")
    _git(folder, "add", "suite.yaml")
    _git(folder, "commit", "-q", "-m", "first")
    return folder


def test_git_state_names_the_commit_and_hashes_uncommitted_changes(repo: Path) -> None:
    clean = mf.git_state(repo)
    assert len(clean["commit"]) == 40 and clean["dirty"] is False and clean["diff_sha256"] is None
    (repo / "suite.yaml").write_text("name: y\n")
    first = mf.git_state(repo)
    (repo / "suite.yaml").write_text("name: z\n")
    second = mf.git_state(repo)
    assert first["dirty"] and second["dirty"] and first["commit"] == clean["commit"]
    assert first["diff_sha256"] != second["diff_sha256"]  # another change, another hash
    (repo / "new.py").write_text("x = 1\n")
    assert mf.git_state(repo)["untracked"] == 1


def test_no_git_or_no_repository_is_recorded_not_raised(tmp_path: Path, monkeypatch) -> None:
    outside = mf.git_state(tmp_path)
    assert outside["commit"] is None and "not a git repository" in outside["note"]
    monkeypatch.setattr(mf.shutil, "which", lambda name: None)
    assert mf.git_state(tmp_path)["note"] == "git is not installed"
    assert mf.run_manifest(project_dir=tmp_path)["project"]["commit"] is None


def test_cpu_model_and_flags_come_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nmodel name\t: Test CPU 9000\nflags\t\t: sse2 avx2 fma avx2\n\n"
        "processor\t: 1\nmodel name\t: Test CPU 9000\nflags\t\t: sse2 avx2 fma\n"
    )
    info = mf.cpu_info(cpuinfo)
    assert info["model"] == "Test CPU 9000" and info["flags"] == "avx2 fma sse2"
    assert mf.cpu_info(tmp_path / "absent")["flags"] is None


def test_suite_manifest_records_the_suite_hash_packages_and_no_tensorflow(repo: Path) -> None:
    code = (
        "import sys, json; from bench.manifest import suite_manifest\n"
        f"m = suite_manifest({str(repo / 'suite.yaml')!r}, {{'name': 'digits'}})\n"
        "assert 'tensorflow' not in sys.modules, 'imported tensorflow'\n"
        "print(json.dumps(m))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    import hashlib

    assert found["suite"]["sha256"] == hashlib.sha256(b"name: x\n").hexdigest()
    assert found["project"]["dirty"] is False and len(found["project"]["commit"]) == 40
    assert found["packages"]["numpy"] and found["packages"]["pandas"]
    assert found["dataset"]["name"] == "digits" and len(found["dataset"]["config_sha256"]) == 64
    assert {"cpu", "gpus", "platform", "determinism", "parallelism"} <= set(found)


def test_compare_manifests_names_threads_versions_and_cpu_flags() -> None:
    before = {
        "recorded_at": 1.0,
        "parallelism": {"threads": 1, "workers": 2},
        "packages": {"numpy": "2.0.0", "keras": "3.0"},
        "cpu": {"model": "A", "flags": "avx2 fma sse2"},
    }
    after = {
        "recorded_at": 2.0,
        "parallelism": {"threads": 2, "workers": 2},
        "packages": {"numpy": "2.1.0", "keras": "3.0"},
        "cpu": {"model": "A", "flags": "avx512f fma sse2"},
    }
    changes = {c.field: (c.before, c.after) for c in mf.compare_manifests(before, after)}
    assert changes == {
        "parallelism.threads": (1, 2),
        "packages.numpy": ("2.0.0", "2.1.0"),
        "cpu.flags": ("avx2", "avx512f"),
    }
    assert mf.compare_manifests(before, dict(before, recorded_at=5.0)) == []


def _with_manifest(store_path: Path) -> tuple[str, dict]:
    """Give the store's first run a manifest (as the worker records one) and the suite one."""
    with ResultStore(store_path) as store:
        runs = store.runs_frame()
        key = runs.iloc[0]["key"]
        result = _result_from_store(store, key)
        result.manifest = mf.with_parallelism(
            mf.run_manifest({"name": "digits", "fingerprint": "f" * 16}), threads=1, workers=2
        )
        store.record(result)
        definition = store.suite_definition()
        store.save_suite(
            definition["name"], definition["title"], definition["source"], definition,
            [(r["variant"], int(r["seed"]), r["key"]) for r in runs.to_dict("records")],
            manifest=mf.suite_manifest(definition["source"], {"name": "digits"}),
        )  # fmt: skip
    return key, result.manifest


def _result_from_store(store: ResultStore, key: str):
    from bench.store import RunResult

    row = store.runs_frame().set_index("key").loc[key]
    history = store.history_frame([key])
    return RunResult(
        key=key, suite=row["suite"], variant=row["variant"], seed=int(row["seed"]),
        config=json.loads(row["config"]), status=row["status"],
        metrics={"accuracy": float(row["accuracy"]), "flops": float(row["flops"])},
        history={n: list(g.sort_values("epoch")["value"]) for n, g in history.groupby("name")},
        predictions=store.predictions(key), started_at=1.0, finished_at=3.0, host="testhost",
    )  # fmt: skip


def test_the_store_keeps_run_and_suite_manifests(synthetic_store: Path) -> None:
    key, recorded = _with_manifest(synthetic_store)
    with ResultStore(synthetic_store, create=False) as store:
        assert store.run_manifests() == {key: json.loads(json.dumps(recorded))}
        assert store.run_manifests(["other"]) == {}
        suite = store.suite_manifest("tiny")
        assert suite is not None and suite["suite"]["sha256"]
        assert store.suite_manifest("no-such-suite") is None


def test_a_schema_2_store_is_migrated_and_reads_without_manifests(synthetic_store: Path) -> None:
    with sqlite3.connect(synthetic_store) as db:  # what bench wrote before manifests existed
        db.execute("DROP TABLE run_manifests")
        db.execute("DROP TABLE suite_manifests")
        db.execute("UPDATE meta SET value='2' WHERE name='schema_version'")
    with ResultStore(synthetic_store, create=False) as store:
        assert store.run_manifests() == {} and store.suite_manifest("tiny") is None
    key, _ = _with_manifest(synthetic_store)
    with ResultStore(synthetic_store, create=False) as store:
        assert set(store.run_manifests()) == {key}


@pytest.mark.slow
def test_show_and_export_config_include_the_manifest(synthetic_store: Path, capsys) -> None:
    key, recorded = _with_manifest(synthetic_store)
    with ResultStore(synthetic_store, create=False) as store:
        variant = store.runs_frame().set_index("key").loc[key, "variant"]
    assert main(["show", str(synthetic_store), variant]) == 0
    out = capsys.readouterr().out
    assert "manifest" in out and "threads × workers: 1 × 2" in out
    assert f"packages: {len(recorded['packages'])} installed" in out
    table = runs_table(synthetic_store, with_config=True)
    row = table.set_index("key").loc[key]
    assert row["manifest.parallelism.threads"] == 1
    assert row["manifest.dataset.fingerprint"] == "f" * 16
    assert json.loads(row["manifest.packages"]) == recorded["packages"]
    assert "manifest.packages" not in runs_table(synthetic_store).columns
