"""``bench export STORE --tensorboard DIR``: a suite as TensorBoard runs with HParams data.

Layout, so that ``tensorboard --logdir DIR`` shows the suite where Keras users look:

  DIR/                         the HParams experiment: every hyperparameter and metric
  DIR/<variant>/seed-<n>/      one run per variant and seed:
      epoch/<name>             each per-epoch curve (loss, val_accuracy, ...) by epoch
      final/<name>             each final metric (accuracy, flops, ...) at the last epoch
      the HParams session      the run's hyperparameters: variant, seed, and the value of
                               every configuration key some variant changes

Values are written as 32-bit float scalars in the scalars plugin's tensor form,
as ``tf.summary.scalar`` writes them: TensorBoard's fast loader (its Rust data
server) shows no other dtype.  What TensorBoard reads back is the store's number
rounded to float32.  Only the ``tensorboard``
package is used (its record writer, protos and HParams ``summary_v2``), never
TensorFlow: tensorboard's ``EventFileWriter`` would import TensorFlow for its
file system layer, so event files are written through its ``RecordWriter`` onto
plain files.  tensorboard is an optional dependency: ``pip install 'bench[tensorboard]'``.
Exporting again into the same DIR replaces what an earlier export wrote there.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from bench.errors import BenchError

__all__ = ["TensorBoardSummary", "export_tensorboard", "hparam_values", "run_folder"]

EPOCH_PREFIX = "epoch/"
FINAL_PREFIX = "final/"
_ID_COLUMNS = {
    "suite", "variant", "seed", "key", "status", "error", "started_at", "finished_at",
    "host", "config", "versions", "hardware", "dataset",
}  # fmt: skip
_EXPORT_MARK = ".bench-tensorboard"  # marks folders this export wrote, so a re-export may clear them


@dataclass
class TensorBoardSummary:
    """What one export wrote, for the command's one-line answer."""

    out_dir: Path
    runs: int
    scalars: int
    hparams: list[str]

    def line(self) -> str:
        return (
            f"tensorboard: {self.runs} run(s), {self.scalars} scalar values, "
            f"{len(self.hparams)} hyperparameter(s) → {self.out_dir} "
            f"(open with: tensorboard --logdir {self.out_dir})"
        )


def _import_tensorboard() -> Any:
    try:
        from tensorboard.compat.proto import event_pb2
        from tensorboard.plugins.hparams import summary_v2
        from tensorboard.summary.writer.record_writer import RecordWriter
    except ImportError:
        raise BenchError(
            "--tensorboard needs the tensorboard package: pip install 'bench[tensorboard]' "
            "(or pip install tensorboard)"
        ) from None
    return event_pb2, summary_v2, RecordWriter


class _EventFile:
    """One ``events.out.tfevents.*`` file: the version record, then one record per event."""

    def __init__(self, folder: Path, event_pb2: Any, record_writer: Any) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}.bench"
        self._event_pb2 = event_pb2
        self._records = record_writer(open(folder / name, "wb"))  # noqa: SIM115 - closed in close()
        self.add(0, wall_time=time.time(), file_version="brain.Event:2")

    def add(self, step: int, wall_time: float, **fields: Any) -> None:
        event = self._event_pb2.Event(step=step, wall_time=wall_time, **fields)
        self._records.write(event.SerializeToString())

    def close(self) -> None:
        self._records.flush()
        self._records.close()


def run_folder(variant: str, seed: int) -> str:
    """``<variant>/seed-<n>`` with the variant made safe as a folder name."""
    safe = re.sub(r"[^A-Za-z0-9._=+-]+", "_", variant).strip("._") or "variant"
    return f"{safe}/seed-{seed}"


# -- hyperparameters -------------------------------------------------------------------------------
def _value_at(config: Any, parts: Sequence[Any]) -> Any:
    """The value at a parsed key path; ``*`` gathers every item (one value if all agree)."""
    if not parts:
        return config
    head, rest = parts[0], parts[1:]
    if head == "*" and isinstance(config, list):
        values = [_value_at(item, rest) for item in config]
        return values[0] if values and all(v == values[0] for v in values) else values
    if isinstance(head, int) and isinstance(config, list):
        return _value_at(config[head], rest) if -len(config) <= head < len(config) else None
    if isinstance(config, dict):
        return _value_at(config.get(head), rest)
    return None


def hparam_values(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Variant → {changed key path: its value}, over every key path some variant changes.

    Values are what TensorBoard takes (bool, number, text): anything else is its JSON.
    A key whose values are of mixed types is text throughout.
    """
    from bench.suite import parse_path

    paths: list[str] = []
    for variant in definition["variants"]:
        for change in variant.get("changes") or []:
            if change[0] not in paths:
                paths.append(change[0])
    raw = {
        v["name"]: {path: _value_at(v["config"], parse_path(path)) for path in paths}
        for v in definition["variants"]
    }
    out: dict[str, dict[str, Any]] = {name: {} for name in raw}
    for path in paths:
        values = {name: _plain(raw[name][path]) for name in raw}
        kinds = {_kind(v) for v in values.values()}
        for name, value in values.items():
            out[name][path] = value if len(kinds) == 1 else _text(value)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, bool) or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return json.dumps(value, sort_keys=True)


def _kind(value: Any) -> str:
    return "bool" if isinstance(value, bool) else "number" if isinstance(value, float) else "text"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# -- writing ------------------------------------------------------------------------------------
def _scalar_summary(tag: str, value: float) -> Any:
    """A float32 scalar in the scalars plugin's tensor form (what tf.summary.scalar writes)."""
    from tensorboard.compat.proto import summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
    from tensorboard.plugins.scalar import metadata as scalar_metadata

    tensor = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_FLOAT,
        tensor_shape=tensor_shape_pb2.TensorShapeProto(),
        float_val=[value],
    )
    return summary_pb2.Summary(
        value=[
            summary_pb2.Summary.Value(
                tag=tag,
                metadata=scalar_metadata.create_summary_metadata(display_name=tag, description=""),
                tensor=tensor,
            )
        ]
    )


def _session_end(status: str, end_time: float) -> Any:
    """The HParams session's end: its status and time (summary_v2 writes only the start)."""
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
    from tensorboard.plugins.hparams import metadata as hparams_metadata

    from bench.status import Status

    code = {Status.OK.value: api_pb2.STATUS_SUCCESS, Status.FAILED.value: api_pb2.STATUS_FAILURE,
            Status.DIVERGED.value: api_pb2.STATUS_FAILURE}.get(status, api_pb2.STATUS_UNKNOWN)  # fmt: skip
    data = plugin_data_pb2.HParamsPluginData(
        session_end_info=plugin_data_pb2.SessionEndInfo(status=code, end_time_secs=end_time)
    )
    return summary_pb2.Summary(
        value=[
            summary_pb2.Summary.Value(
                tag=hparams_metadata.SESSION_END_INFO_TAG,
                metadata=hparams_metadata.create_summary_metadata(data),
                tensor=hparams_metadata.NULL_TENSOR,
            )
        ]
    )


def _finite(value: Any) -> Optional[float]:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _prepare(out_dir: Path) -> None:
    """An empty folder, or one an earlier export wrote (cleared); anything else is refused."""
    if out_dir.exists() and not out_dir.is_dir():
        raise BenchError(f"--tensorboard {out_dir}: exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not (out_dir / _EXPORT_MARK).is_file():
            raise BenchError(
                f"--tensorboard {out_dir}: the folder is not empty and was not written by bench "
                "export; give an empty or new folder"
            )
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / _EXPORT_MARK).write_text("written by bench export --tensorboard\n", encoding="utf-8")


def export_tensorboard(
    store_path: str | Path, out_dir: str | Path, *, suite: Optional[str] = None
) -> TensorBoardSummary:
    """Write every trained run of a store as TensorBoard event files under ``out_dir``."""
    event_pb2, hp, record_writer = _import_tensorboard()
    from bench import metrics as metric_table
    from bench import results

    found = results.load(store_path, suite, predictions=False)
    definition = found.definition
    runs = found.finished.drop_duplicates(["variant", "seed"])
    history = found.history[found.history["run_key"].isin(set(runs["key"]))]
    if runs.empty:
        raise BenchError(f"{store_path}: no trained run to export yet; run `bench run SUITE` first")
    out = Path(out_dir)
    _prepare(out)
    changed = hparam_values(definition)
    metric_names = sorted(
        c for c in runs.columns
        if c not in _ID_COLUMNS and runs[c].map(_finite).notna().any()
    )  # fmt: skip

    hparam_names = ["variant", "seed", "status", *next(iter(changed.values()), {}).keys()]
    hparams_by_run = []
    for row in runs.to_dict("records"):
        values: dict[str, Any] = {"variant": str(row["variant"]), "seed": float(row["seed"]),
                                  "status": str(row["status"])}  # fmt: skip
        values.update(changed.get(str(row["variant"]), {}))
        hparams_by_run.append(values)
    domains = {name: sorted({v[name] for v in hparams_by_run if name in v}, key=str) for name in hparam_names}
    experiment = hp.hparams_config_pb(
        hparams=[
            hp.HParam(name, hp.Discrete(domains[name]) if domains[name] else None)
            for name in hparam_names
        ],
        metrics=[
            hp.Metric(FINAL_PREFIX + name, display_name=metric_table.label(name))
            for name in metric_names
        ],
        time_created_secs=float(runs["started_at"].min()) if runs["started_at"].notna().any() else None,
    )
    writer = _EventFile(out, event_pb2, record_writer)
    writer.add(0, _finite(runs["started_at"].min()) or time.time(), summary=experiment)
    writer.close()

    scalars = 0
    for row, values in zip(runs.to_dict("records"), hparams_by_run):
        folder = out / run_folder(str(row["variant"]), int(row["seed"]))
        started = _finite(row.get("started_at")) or 0.0
        finished = _finite(row.get("finished_at")) or started
        writer = _EventFile(folder, event_pb2, record_writer)
        session = hp.hparams_pb(values, trial_id=f"{row['variant']} seed {int(row['seed'])}",
                                start_time_secs=started)  # fmt: skip
        writer.add(0, started, summary=session)
        mine = history[history["run_key"] == row["key"]]
        last_epoch = 0
        for item in mine.sort_values(["epoch", "name"]).itertuples(index=False):
            value = _finite(item.value)
            last_epoch = max(last_epoch, int(item.epoch))
            if value is None:
                continue
            writer.add(int(item.epoch), finished, summary=_scalar_summary(EPOCH_PREFIX + str(item.name), value))
            scalars += 1
        for name in metric_names:
            value = _finite(row.get(name))
            if value is not None:
                writer.add(last_epoch, finished, summary=_scalar_summary(FINAL_PREFIX + name, value))
                scalars += 1
        writer.add(last_epoch, finished, summary=_session_end(str(row["status"]), finished))
        writer.close()
    return TensorBoardSummary(out, len(runs), scalars, hparam_names)
