"""Executors: worker processes and Ray give the runs in-process training gives; dead workers are recorded.

The expensive part (a pool of two worker processes, a local Ray instance) runs
once per module; the tests then look at what it recorded.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.executors import make_executor
from bench.executors.local import KILL_HOOK_ENV
from bench.executors.sizing import forward_flops, longest_first, plan_workers, run_cost
from bench.runner import run_suite
from bench.store import ResultStore
from bench.suite import load_suite

SUITE = """\
name: parallel
dataset: {name: digits, train_size: 200, test_size: 100, validation: 0.1}
train: {epochs: 1, batch_size: 32, seeds: 2}
model:
  family: cnn
  blocks: [{filters: 4, kernel: 3, pool: 2}]
  dense: [16]
variants:
  - name: tanh
    set: {model.activation: tanh}
  - name: dies            # the largest run: handed out first, so its worker must be replaced
    set: {model.dense: [256], train.seeds: 1}
"""
SURVIVORS = ["base", "tanh"]


def _outcomes(store_path: Path) -> dict[tuple[str, int], tuple[str, float, float]]:
    with ResultStore(store_path) as store:
        frame = store.runs_frame()
    return {
        (row.variant, int(row.seed)): (row.status, row.accuracy, row.loss)
        for row in frame.itertuples()
        if row.status != "missing"
    }


@pytest.fixture(scope="module")
def suite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parallel")
    path = folder / "suite.yaml"
    path.write_text(SUITE, encoding="utf-8")
    return path


@pytest.fixture(scope="module", autouse=True)
def private_dataset_cache(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BENCH_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def in_process(suite_file: Path) -> dict:
    """The reference: the surviving variants trained in this process, one after another."""
    store_path = suite_file.parent / "inline.sqlite"
    summary = run_suite(load_suite(suite_file), store_path, only=SURVIVORS)
    assert summary.statuses == {"ok": 4}
    return _outcomes(store_path)


@pytest.fixture(scope="module")
def two_workers(suite_file: Path) -> tuple:
    """The whole suite on two worker processes; the worker training 'dies' kills itself."""
    store_path = suite_file.parent / "workers.sqlite"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KILL_HOOK_ENV, "dies")  # spawned workers inherit it
        summary = run_suite(load_suite(suite_file), store_path, jobs=2)
    with ResultStore(store_path) as store:
        hardware = store.runs_frame()["hardware"].tolist()
    return summary, _outcomes(store_path), store_path, hardware


@pytest.mark.slow
def test_two_workers_give_the_results_of_in_process_training(in_process, two_workers):
    _, outcomes, _, hardware = two_workers
    survivors = {k: v for k, v in outcomes.items() if k[0] in SURVIVORS}
    assert survivors == in_process  # same statuses, accuracies and losses, seed for seed
    assert any('"threads": 1' in h and '"workers": 2' in h for h in hardware)


@pytest.mark.slow
def test_a_killed_worker_is_recorded_and_the_suite_finishes(two_workers):
    summary, outcomes, store_path, _ = two_workers
    assert summary.trained == 5 and summary.statuses == {"ok": 4, "failed": 1}
    assert outcomes[("dies", 0)][0] == "failed"
    with ResultStore(store_path) as store:
        frame = store.runs_frame().set_index("variant")
        error = frame.loc["dies", "error"]
        assert not store.claims()  # every claim released or dropped with its result
    assert "died while training this run" in error and "SIGKILL" in error
    # the replacement worker trained the rest: failed runs are tried again next time
    with ResultStore(store_path) as store:
        assert "dies" not in {s for s in store.runs_frame().query("status == 'ok'")["variant"]}


@pytest.mark.slow
def test_ray_tasks_give_the_results_of_local_training(suite_file, in_process):
    pytest.importorskip("ray", reason="Ray is in the test extra: pip install -e '.[test]'")
    store_path = suite_file.parent / "ray.sqlite"
    summary = run_suite(
        load_suite(suite_file), store_path, only=SURVIVORS, executor="ray", jobs="auto"
    )
    assert summary.statuses == {"ok": 4}
    assert _outcomes(store_path) == in_process


# -- sizing: no TensorFlow, no processes ------------------------------------------------------------
def _specs(text: str, tmp_path: Path) -> list:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_suite(path).specs()


CLASSIC_CIFAR = """\
name: classic
dataset: {name: cifar10, train_size: 1000}
train: {epochs: 2, seeds: 1}
model:
  family: cnn
  blocks:
    - {filters: 32, convs: 2, pool: 2, dropout: 0.25}
    - {filters: 64, convs: 2, pool: 2, dropout: 0.25}
  dense: [512]
variants:
  - name: small
    set: {"model.blocks[*].filters": 8}
  - name: longer
    set: {train.epochs: 4}
"""


def test_longest_runs_go_first(tmp_path):
    specs = _specs(CLASSIC_CIFAR, tmp_path)
    assert [s.variant for s in longest_first(specs)] == ["longer", "base", "small"]
    assert run_cost(specs[2]) == 2 * run_cost(specs[0])


@pytest.mark.slow
def test_analytic_flops_match_the_profiler(tmp_path):
    from bench.flops import count_flops
    from bench.models import build_model

    spec = _specs(CLASSIC_CIFAR, tmp_path)[0]
    model = build_model(spec.config.model, (32, 32, 3), 10)
    assert forward_flops(spec.config) == count_flops(model)


def test_auto_takes_a_worker_per_core_within_runs_memory_and_gpus(tmp_path):
    specs = _specs(CLASSIC_CIFAR, tmp_path)
    big = 64 * 2**30

    def plan(jobs, specs, **machine):  # type: ignore[no-untyped-def]
        chosen = plan_workers(jobs, specs, **{"memory": big, "gpus": 0, **machine})
        return chosen.jobs, chosen.threads

    assert plan("auto", specs, cores=2) == (2, 1)
    assert plan("auto", specs, cores=16) == (3, 5)  # only 3 runs: spare cores become threads
    assert plan("auto", specs * 10, cores=16) == (16, 1)
    assert plan("auto", specs * 10, cores=16, memory=2 * 2**30) == (1, 16)  # ~0.9 GiB a worker
    assert plan("auto", specs * 10, cores=16, gpus=2) == (2, 8)
    assert plan(4, specs, cores=16) == (4, 4)


def test_bad_executor_arguments_are_one_line_errors(monkeypatch):
    with pytest.raises(BenchError, match=r"--jobs: 0 is not allowed"):
        make_executor("local", 0)
    with pytest.raises(
        BenchError, match=r"--executor: 'dask' is not allowed — allowed: local, ray"
    ):
        make_executor("dask")
    with pytest.raises(BenchError, match=r"--address applies to --executor ray only"):
        make_executor("local", 2, "10.0.0.1:6379")
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(BenchError, match=r"needs Ray.*pip install -e '\.\[ray\]'"):
        make_executor("ray")


def test_prepared_datasets_are_cached_on_disk_between_processes(tmp_path, monkeypatch):
    import numpy as np

    from bench.config import DatasetConfig
    from bench.worker import load_prepared_dataset

    config = DatasetConfig(name="digits", train_size=120, test_size=60)
    monkeypatch.setenv("BENCH_CACHE", "off")
    fresh = load_prepared_dataset(config)
    assert not list(tmp_path.rglob("*.npz"))
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path))
    load_prepared_dataset(config)
    (stored,) = tmp_path.rglob("digits-*.npz")
    cached = load_prepared_dataset(config)  # read back from the file
    for name in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        assert np.array_equal(getattr(cached, name), getattr(fresh, name))
    assert cached.class_names == fresh.class_names and cached.info == fresh.info
    stored.write_bytes(b"truncated")  # a damaged file is prepared again, not fatal
    assert np.array_equal(load_prepared_dataset(config).x_train, fresh.x_train)
