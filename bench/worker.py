"""The one place that trains: a RunSpec goes in, a RunResult comes out.

Framework-free callers (the runner, executors) hand a :class:`RunSpec` to
:func:`train_run`; everything Keras-specific lives here: seeding and
determinism, the ``tf.data`` input pipeline, building and compiling, fitting
with NaN and time-budget guards, FLOPs, latency and the environment record.
What is learned -- targets, loss, compiled metrics, scoring and per-item
results -- is asked of the run's task (:mod:`bench.tasks`), so this loop has
no task- or family-specific branch.  No exception escapes: a failure becomes a ``failed``
result carrying its traceback, so one crash never stops a suite.
"""

from __future__ import annotations

import functools
import gc
import json
import math
import os
import platform
import socket
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from bench import tasks
from bench.config import DatasetConfig, RunConfig
from bench.datasets import SPLITS, Dataset, load_dataset
from bench.layout import cache_dir
from bench.manifest import run_manifest
from bench.status import Status
from bench.store import RunResult
from bench.suite import RunSpec
from bench.tasks import Evaluation, FitTargets, Task, named_outputs

EpochCallback = Callable[[int, int, dict[str, float]], None]
LATENCY_CALLS = 30

_configured = False


def configure_tensorflow(threads: Optional[int] = None) -> None:
    """Quiet logs, Keras on TensorFlow, deterministic ops; call before training.

    ``threads`` caps intra-op parallelism (persistent workers split the cores);
    it only takes effect before TensorFlow initialises, so worker processes call
    this first.  XLA stays off: on CPU it trains several times slower.
    """
    global _configured
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if threads and not _configured:
        os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)  # read when TensorFlow initialises
        os.environ["TF_NUM_INTEROP_THREADS"] = str(min(2, threads))
    import tensorflow as tf

    if not _configured:
        if threads:
            try:
                tf.config.threading.set_intra_op_parallelism_threads(threads)
                tf.config.threading.set_inter_op_parallelism_threads(min(2, threads))
            except RuntimeError:  # already initialised in this process: its threads stay
                pass
        tf.config.experimental.enable_op_determinism()
        tf.get_logger().setLevel("ERROR")
        _configured = True


@functools.lru_cache(maxsize=4)
def _cached_dataset(config_json: str) -> Dataset:
    return load_prepared_dataset(DatasetConfig.model_validate_json(config_json))


def dataset_for(config: RunConfig, seed: Optional[int] = None) -> Dataset:
    """The prepared dataset, loaded once per process for all runs that share it.

    With ``dataset.resample: per_seed`` each seed gets its own train/validation split
    (the run's seed draws it; the test set is the same for every seed).
    """
    dataset = config.dataset
    if dataset.resample == "per_seed" and seed is not None:
        dataset = dataset.model_copy(update={"resample_seed": int(seed)})
    return _cached_dataset(dataset.model_dump_json())


def load_prepared_dataset(config: DatasetConfig) -> Dataset:
    """The prepared splits from the disk cache, or prepared now and saved there.

    Each worker process of every ``bench run`` needs the same arrays; decoding
    and resizing them again costs seconds to minutes, reading an ``.npz`` does
    not.  A cache that cannot be read or written is skipped, never fatal.
    """
    folder = cache_dir()
    path = folder / "datasets" / f"{_dataset_cache_key(config)}.npz" if folder else None
    if path is not None and path.exists():
        try:
            data = _read_dataset(path)
            os.utime(path)  # the modification time marks the last use, for pruning
            return data
        except (OSError, ValueError, KeyError):
            pass  # truncated or from an incompatible version: prepare it again
    data = load_dataset(config)
    if path is not None:
        try:
            _write_dataset(path, data)
            _prune_dataset_cache(path.parent, keep=path)
        except OSError:
            pass
    return data


DATASET_CACHE_BYTES = 4 * 2**30  # the least recently used files beyond this are deleted


def _prune_dataset_cache(folder: Path, keep: Path) -> None:
    """Keys change with every config and every edit of the data code: bound the folder."""
    files = sorted(folder.glob("*.npz"), key=lambda f: f.stat().st_mtime, reverse=True)
    total = 0
    for file in files:
        total += file.stat().st_size
        if total > DATASET_CACHE_BYTES and file != keep:
            file.unlink(missing_ok=True)


def _dataset_cache_key(config: DatasetConfig) -> str:
    """Hash of the dataset config, the code that prepares it, and a folder's listing."""
    import hashlib

    import bench.datasets

    digest = hashlib.sha256(config.model_dump_json().encode())
    for source in sorted(Path(bench.datasets.__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())  # a change in how data is prepared invalidates
    if config.name == "folder" and config.data_dir:
        for root, dirs, files in sorted(os.walk(Path(config.data_dir).expanduser())):
            dirs.sort()
            for name in sorted(files):
                stat = os.stat(os.path.join(root, name))
                digest.update(f"{root}/{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return f"{config.name}-{digest.hexdigest()[:24]}"


_IMAGES = ("x_train", "x_val", "x_test")
_TARGET_PREFIX = "target:"  # + split + ":" + name, one array per split and target


def _write_dataset(path: Path, data: Dataset) -> None:
    """Arrays and metadata in one ``.npz``, written to a temporary name and renamed (atomic)."""
    import tempfile

    meta = {"name": data.name, "class_names": list(data.class_names),
            "target_classes": data.target_classes, "info": data.info}
    arrays = {k: getattr(data, k) for k in _IMAGES}
    for split, targets in data.targets.items():
        arrays.update({f"{_TARGET_PREFIX}{split}:{name}": values for name, values in targets.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(out, meta=np.array(json.dumps(meta, default=_json_default)), **arrays)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read_dataset(path: Path) -> Dataset:
    with np.load(path, allow_pickle=False) as stored:
        meta = json.loads(str(stored["meta"]))
        images = {k: stored[k] for k in _IMAGES}
        targets: dict[str, dict[str, np.ndarray]] = {split: {} for split in SPLITS}
        for key in stored.files:
            if key.startswith(_TARGET_PREFIX):
                split, name = key[len(_TARGET_PREFIX):].split(":", 1)
                targets[split][name] = stored[key]
    return Dataset(name=meta["name"], class_names=meta["class_names"], targets=targets,
                   target_classes=meta["target_classes"], info=meta["info"], **images)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def train_run(spec: RunSpec, on_epoch: Optional[EpochCallback] = None) -> RunResult:
    """Train and measure one run; never raises (failures are results)."""
    result = RunResult(
        key=spec.key,
        suite=spec.suite,
        variant=spec.variant,
        seed=spec.seed,
        config=spec.config.model_dump(mode="json"),
        started_at=time.time(),
        host=socket.gethostname(),
    )
    try:
        configure_tensorflow()
        result.versions = library_versions()
        result.hardware = hardware_info()
        _train_and_measure(spec, result, on_epoch)
    except Exception:  # any crash is this run's, not the suite's
        result.status = Status.FAILED
        result.error = traceback.format_exc()
    finally:
        result.finished_at = time.time()
        result.manifest = run_manifest(result.dataset)
        _release_memory()
    return result


def _release_memory() -> None:
    import keras

    keras.backend.clear_session()
    gc.collect()


def _train_and_measure(spec: RunSpec, result: RunResult, on_epoch: Optional[EpochCallback]) -> None:
    """Dataset → model → fit → evaluate → costs; what is learned is the run's task's business."""
    import keras

    from bench.flops import count_flops
    from bench.models import build_model

    config = spec.config
    task = task_for(config)
    data = dataset_for(config, spec.seed)
    result.dataset = dataset_record(data, task.name)
    keras.utils.set_random_seed(spec.seed)

    model = build_model(config.model, data.input_shape, data.num_classes)
    task = task.bind(config.model, model)
    task.check(data, model)
    loss, compiled_metrics = task.compile_args(data, model)
    steps = config.train.epochs * math.ceil(len(data.x_train) / config.train.batch_size)
    model.compile(
        optimizer=_optimizer(config.train.optimizer, learning_rate(config.train, steps)),
        loss=loss,
        metrics=compiled_metrics,
        jit_compile=False,
    )
    train = _pipeline(data.x_train, task.fit_targets(data, "train"), config.train.batch_size,
                      spec.seed, shuffle=True, buffer=config.train.shuffle_buffer)
    validation = (
        _pipeline(data.x_val, task.fit_targets(data, "val"), config.train.batch_size, spec.seed, shuffle=False)
        if len(data.x_val)
        else None
    )
    guard = _run_guard(config.train.epochs, config.train.max_minutes, on_epoch)
    started = time.perf_counter()
    history = model.fit(
        train,
        validation_data=validation,
        epochs=config.train.epochs,
        callbacks=[guard],
        shuffle=False,  # the tf.data pipeline shuffles, seeded
        verbose=0,
    )
    train_seconds = time.perf_counter() - started
    result.history = task.curves(
        {name: [float(v) for v in values] for name, values in history.history.items()}
    )
    epochs_run = len(history.history.get("loss", []))

    if guard.diverged:
        result.status = Status.DIVERGED
        result.error = f"loss became {guard.bad_loss} in epoch {guard.bad_epoch}; training stopped"
    elif guard.out_of_time:
        result.status = Status.BUDGET
        result.error = (
            f"stopped by train.max_minutes={config.train.max_minutes} after {epochs_run} epoch(s)"
        )

    outputs = named_outputs(model, model.predict(_pipeline(data.x_test, None, 512, spec.seed, shuffle=False), verbose=0))
    finite = all(np.all(np.isfinite(values)) for values in outputs.values())
    try:
        evaluation = task.evaluate(outputs, data)
    except Exception:
        if finite:
            raise
        evaluation = Evaluation()  # NaN outputs may not be scorable; the run is diverged below
    flops = _cached_flops(config.model.model_dump_json(), data.input_shape, data.num_classes, model, count_flops)
    result.metrics = {
        **evaluation.metrics,
        "epochs_run": float(epochs_run),
        "train_seconds": train_seconds,
        "images_per_second": epochs_run * len(data.x_train) / train_seconds if train_seconds else math.nan,
        "latency_ms": _latency_ms(task.serving_model(model), data.x_test[:1]),
        "params": float(model.count_params()),
        "trainable_params": float(sum(int(np.prod(w.shape)) for w in model.trainable_weights)),
        "train_size": float(len(data.x_train)),
        "test_size": float(len(data.x_test)),
        "flops": float(flops),
        "macs": float(flops // 2),
        "train_flops": 3.0 * flops * epochs_run * len(data.x_train),
    }
    result.predictions = dict(evaluation.items)
    if result.status == Status.OK and not finite:
        result.status = Status.DIVERGED
        result.error = "the trained model predicts NaN or infinity on the test set"


def task_for(config: RunConfig) -> Task:
    """The task a run is trained for, as its model family (or ``model.task``) declares."""
    from bench.models import task_name

    return tasks.get(task_name(config.model))


def dataset_record(data: Dataset, task: str) -> dict[str, Any]:
    """What a run stores about its data and task, for reports and for checking test sets match."""
    return {
        "name": data.name,
        "task": task,
        "input_shape": list(data.input_shape),
        "classes": data.num_classes,
        "class_names": [str(c) for c in data.class_names],
        "targets": data.target_names,
        "target_classes": {k: [str(c) for c in v] for k, v in data.target_classes.items()},
        "train": len(data.x_train),
        "validation": len(data.x_val),
        "test": len(data.x_test),
        "fingerprint": data.info.get("fingerprint"),
        "source": str(data.info.get("source", "")),
    }


_flops_cache: dict[str, int] = {}


def _cached_flops(model_json: str, input_shape: tuple, num_classes: int, model: Any, count: Callable[[Any], int]) -> int:
    """FLOPs depend on architecture and input only: count once per process."""
    cache_key = json.dumps([model_json, list(input_shape), num_classes])
    if cache_key not in _flops_cache:
        _flops_cache[cache_key] = count(model)
    return _flops_cache[cache_key]


def learning_rate(train: Any, steps: int) -> Any:
    """The optimizer's learning rate: the constant, or a schedule over the run's ``steps``."""
    if train.lr_schedule == "cosine":
        import keras

        return keras.optimizers.schedules.CosineDecay(train.learning_rate, decay_steps=max(1, steps))
    return train.learning_rate


def _optimizer(name: str, learning_rate: Any) -> Any:
    import keras

    classes = {
        "adam": keras.optimizers.Adam,
        "adamw": keras.optimizers.AdamW,
        "sgd": keras.optimizers.SGD,
        "rmsprop": keras.optimizers.RMSprop,
        "nadam": keras.optimizers.Nadam,
        "adagrad": keras.optimizers.Adagrad,
    }
    return classes[name](learning_rate=learning_rate)


def _pipeline(x: np.ndarray, y: Optional[FitTargets], batch_size: int, seed: int, shuffle: bool,
              buffer: Optional[int] = None) -> Any:
    """Cached, shuffled (seeded), batched, prefetched ``tf.data`` input.

    ``y`` is what the task feeds ``fit``: one array, or arrays by output name, which
    are shuffled together with their images; None for images alone (prediction).
    """
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y)).cache()
    if shuffle:
        dataset = dataset.shuffle(buffer or len(x), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _latency_ms(model: Any, example: np.ndarray) -> float:
    """Median time of a batch-1 forward pass after warm-up, in milliseconds."""
    import tensorflow as tf

    forward = tf.function(lambda x: model(x, training=False))
    batch = tf.constant(example)
    forward(batch)
    times = []
    for _ in range(LATENCY_CALLS):
        started = time.perf_counter()
        forward(batch).numpy()
        times.append(time.perf_counter() - started)
    return float(np.median(times) * 1000)


def library_versions() -> dict[str, str]:
    import keras
    import tensorflow as tf

    import bench

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "bench": bench.__version__,
    }


@functools.lru_cache(maxsize=1)
def hardware_info() -> dict[str, Any]:
    import tensorflow as tf

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "gpus": gpus,
        "platform": platform.platform(),
    }


def _run_guard(epochs: int, max_minutes: Optional[float], on_epoch: Optional[EpochCallback]) -> Any:
    """A Keras callback that stops on NaN loss (diverged) or past the run's time budget.

    Built in a function so that importing this module does not import Keras.
    """
    import keras

    class Guard(keras.callbacks.Callback):
        def __init__(self, epochs: int, max_minutes: Optional[float], on_epoch: Optional[EpochCallback]) -> None:
            super().__init__()
            self.epochs = epochs
            self.deadline = time.perf_counter() + max_minutes * 60 if max_minutes else None
            self.on_epoch = on_epoch
            self.diverged = False
            self.out_of_time = False
            self.bad_loss: Optional[float] = None
            self.bad_epoch: Optional[int] = None

        def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
            # Checked per epoch, not per batch: a batch hook makes Keras sync every step.
            logs = {k: float(v) for k, v in (logs or {}).items()}
            loss = logs.get("loss")
            if loss is not None and not math.isfinite(loss):
                self.diverged = True
                self.bad_loss = loss
                self.bad_epoch = epoch + 1
                self.model.stop_training = True
            elif self.deadline and time.perf_counter() > self.deadline and epoch + 1 < self.epochs:
                self.out_of_time = True
                self.model.stop_training = True
            if self.on_epoch:
                self.on_epoch(epoch + 1, self.epochs, logs)

    return Guard(epochs, max_minutes, on_epoch)
