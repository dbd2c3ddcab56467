"""bench export --tensorboard: read back with TensorBoard's own event reader."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.cli import main
from bench.store import ResultStore
from bench.tensorboard_export import run_folder
from conftest import build_synthetic_store

SUITE = """\
name: tb
dataset: {name: digits, train_size: 300, test_size: 200, validation: 0.1}
train: {epochs: 1, batch_size: 32, seeds: 2}
model:
  family: cnn
  blocks:
    - {filters: 4, kernel: 3, pool: 2, dropout: 0.1}
    - {filters: 8, kernel: 3, pool: 2, dropout: 0.1}
  dense: [16]
  activation: relu
variants:
  - name: tanh
    set: {model.activation: tanh}
  - name: "no dropout / wide"
    set: {"model.blocks[*].dropout": 0.0, train.batch_size: 64}
"""


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return build_synthetic_store(tmp_path / "tb" / "results.sqlite", SUITE)


def _accumulator(folder: Path):
    from tensorboard.backend.event_processing import event_accumulator

    accumulator = event_accumulator.EventAccumulator(
        str(folder), size_guidance={event_accumulator.TENSORS: 0}
    )
    accumulator.Reload()
    return accumulator


def _series(accumulator, tag: str) -> list[tuple[int, float]]:
    from tensorboard.util import tensor_util

    return [(e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in accumulator.Tensors(tag)]


@pytest.mark.slow
def test_tensorboard_export_reads_back_as_the_stores_history_and_hparams(
    store: Path, tmp_path: Path, capsys
) -> None:
    from tensorboard.plugins.hparams import api_pb2
    from tensorboard.plugins.hparams import metadata as hparams_metadata

    out = tmp_path / "tensorboard"
    assert main(["export", str(store), "--tensorboard", str(out)]) == 0
    assert "tensorboard: 6 run(s)" in capsys.readouterr().out
    with ResultStore(store, create=False) as results:
        runs = results.runs_frame()
        history = results.history_frame()

    experiment = _accumulator(out).PluginTagToContent("hparams")[hparams_metadata.EXPERIMENT_TAG]
    info = hparams_metadata.parse_experiment_plugin_data(experiment)
    names = [h.name for h in info.hparam_infos]
    assert names[:3] == ["variant", "seed", "status"]
    assert sorted(names[3:]) == ["model.activation", "model.blocks[*].dropout", "train.batch_size"]
    assert {m.name.tag for m in info.metric_infos} >= {"final/accuracy", "final/loss", "final/flops"}

    expected_hparams = {
        "base": {"model.activation": "relu", "model.blocks[*].dropout": 0.1, "train.batch_size": 32.0},
        "tanh": {"model.activation": "tanh", "model.blocks[*].dropout": 0.1, "train.batch_size": 32.0},
        "no dropout / wide": {"model.activation": "relu", "model.blocks[*].dropout": 0.0,
                              "train.batch_size": 64.0},
    }  # fmt: skip
    assert len(runs) == 6
    for run in runs.to_dict("records"):
        folder = out / run_folder(run["variant"], int(run["seed"]))
        accumulator = _accumulator(folder)
        mine = history[history["run_key"] == run["key"]]
        assert set(mine["name"]) == {"loss", "val_loss", "accuracy", "val_accuracy"}
        for name, curve in mine.groupby("name"):
            stored = [(int(e), float(np.float32(v))) for e, v in zip(curve["epoch"], curve["value"])]
            assert _series(accumulator, f"epoch/{name}") == stored, (run["variant"], name)
        for metric in ("accuracy", "loss", "flops", "params"):
            assert _series(accumulator, f"final/{metric}") == [(2, float(np.float32(run[metric])))]

        content = accumulator.PluginTagToContent("hparams")
        start = hparams_metadata.parse_session_start_info_plugin_data(
            content[hparams_metadata.SESSION_START_INFO_TAG]
        )
        values = {
            name: value.string_value if value.HasField("string_value") else value.number_value
            for name, value in start.hparams.items()
        }
        assert values == {"variant": run["variant"], "seed": float(run["seed"]), "status": "ok",
                          **expected_hparams[run["variant"]]}  # fmt: skip
        end = hparams_metadata.parse_session_end_info_plugin_data(
            content[hparams_metadata.SESSION_END_INFO_TAG]
        )
        assert end.status == api_pb2.STATUS_SUCCESS


def test_export_refuses_a_foreign_folder_and_replaces_its_own(store: Path, tmp_path: Path, capsys) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    assert main(["export", str(store), "--tensorboard", str(foreign)]) == 2
    assert "not empty and was not written by bench" in capsys.readouterr().err
    assert (foreign / "notes.txt").read_text() == "keep me"
    out = tmp_path / "tb-out"
    assert main(["export", str(store), "--tensorboard", str(out)]) == 0
    assert main(["export", str(store), "--tensorboard", str(out)]) == 0  # again: replaced, not doubled
    assert len(list((out / run_folder("tanh", 0)).glob("events.out.tfevents.*"))) == 1
    assert main(["export", str(store), "--tensorboard", str(out), "--format", "csv"]) == 2


@pytest.mark.slow
def test_tensorboard_export_never_imports_tensorflow(store: Path, tmp_path: Path) -> None:
    code = (
        "import sys; from bench.tensorboard_export import export_tensorboard\n"
        f"export_tensorboard({str(store)!r}, {str(tmp_path / 'events')!r})\n"
        "sys.exit('imported tensorflow' if 'tensorflow' in sys.modules else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
