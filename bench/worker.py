"""The one place that trains: a RunSpec goes in, a RunResult comes out.

Framework-free callers (the runner, executors) hand a :class:`RunSpec` to
:func:`train_run`; everything Keras-specific lives here: seeding and
determinism, the ``tf.data`` input pipeline, building and compiling, fitting
with NaN and time-budget guards, evaluation, FLOPs, latency and the
environment record.  No exception escapes: a failure becomes a ``failed``
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
from typing import Any, Callable, Optional

import numpy as np

from bench.config import DatasetConfig, RunConfig
from bench.datasets import Dataset, load_dataset
from bench.store import RunResult
from bench.suite import RunSpec

EpochCallback = Callable[[int, int, dict[str, float]], None]
LATENCY_CALLS = 30

_configured = False


def configure_tensorflow(threads: Optional[int] = None) -> None:
    """Quiet logs, Keras on TensorFlow, deterministic ops; call before training.

    ``threads`` caps intra-op parallelism (persistent workers split the cores).
    XLA stays off: on CPU it trains several times slower.
    """
    global _configured
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import tensorflow as tf

    if not _configured:
        if threads:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(min(2, threads))
        tf.config.experimental.enable_op_determinism()
        tf.get_logger().setLevel("ERROR")
        _configured = True


@functools.lru_cache(maxsize=4)
def _cached_dataset(config_json: str) -> Dataset:
    return load_dataset(DatasetConfig.model_validate_json(config_json))


def dataset_for(config: RunConfig) -> Dataset:
    """The prepared dataset, loaded once per process for all runs that share it."""
    return _cached_dataset(config.dataset.model_dump_json())


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
        result.status = "failed"
        result.error = traceback.format_exc()
    finally:
        result.finished_at = time.time()
        _release_memory()
    return result


def _release_memory() -> None:
    import keras

    keras.backend.clear_session()
    gc.collect()


def _train_and_measure(spec: RunSpec, result: RunResult, on_epoch: Optional[EpochCallback]) -> None:
    import keras
    import tensorflow as tf

    from bench.flops import count_flops
    from bench.models import build_model

    config = spec.config
    data = dataset_for(config)
    result.dataset = {
        "name": data.name,
        "input_shape": list(data.input_shape),
        "classes": data.num_classes,
        "class_names": [str(c) for c in data.class_names],
        "train": len(data.x_train),
        "validation": len(data.x_val),
        "test": len(data.x_test),
        "fingerprint": data.info.get("fingerprint"),
        "source": str(data.info.get("source", "")),
    }
    _release_memory()
    keras.utils.set_random_seed(spec.seed)

    model = build_model(config.model, data.input_shape, data.num_classes)
    metrics: list[Any] = ["accuracy"]
    if data.num_classes > 5:
        metrics.append(keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5_accuracy"))
    model.compile(
        optimizer=_optimizer(config.train.optimizer, config.train.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=metrics,
        jit_compile=False,
    )

    train = _pipeline(data.x_train, data.y_train, config.train.batch_size, spec.seed, shuffle=True,
                      buffer=config.train.shuffle_buffer)
    validation = (
        _pipeline(data.x_val, data.y_val, config.train.batch_size, spec.seed, shuffle=False)
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
    result.history = {name: [float(v) for v in values] for name, values in history.history.items()}
    epochs_run = len(result.history.get("loss", []))

    if guard.diverged:
        result.status = "diverged"
        result.error = f"loss became {guard.bad_loss} in epoch {guard.bad_epoch}; training stopped"
    elif guard.out_of_time:
        result.status = "budget"
        result.error = (
            f"stopped by train.max_minutes={config.train.max_minutes} after {epochs_run} epoch(s)"
        )

    probabilities = model.predict(
        _pipeline(data.x_test, data.y_test, 512, spec.seed, shuffle=False), verbose=0
    )
    y_true = data.y_test.astype(np.int64)
    y_pred = probabilities.argmax(axis=1)
    loss = keras.losses.sparse_categorical_crossentropy(y_true, probabilities)
    result.metrics = {
        "accuracy": float(np.mean(y_pred == y_true)),
        "loss": float(np.mean(np.asarray(loss))),
        "epochs_run": float(epochs_run),
        "train_seconds": train_seconds,
        "images_per_second": epochs_run * len(data.x_train) / train_seconds if train_seconds else math.nan,
        "latency_ms": _latency_ms(model, data.x_test[:1]),
        "params": float(model.count_params()),
        "trainable_params": float(sum(int(np.prod(w.shape)) for w in model.trainable_weights)),
        "train_size": float(len(data.x_train)),
        "test_size": float(len(data.x_test)),
    }
    if data.num_classes > 5:
        top5 = np.argsort(probabilities, axis=1)[:, -5:]
        result.metrics["top5_accuracy"] = float(np.mean((top5 == y_true[:, None]).any(axis=1)))
    flops = _cached_flops(config.model.model_dump_json(), data.input_shape, data.num_classes, model, count_flops)
    result.metrics["flops"] = float(flops)
    result.metrics["macs"] = float(flops // 2)
    result.metrics["train_flops"] = 3.0 * flops * epochs_run * len(data.x_train)
    result.predictions = {"y_true": y_true.astype(np.int16), "y_pred": y_pred.astype(np.int16)}
    if data.coarse_test is not None:
        result.predictions["coarse_true"] = data.coarse_test.astype(np.int16)
    if result.status == "ok" and not np.all(np.isfinite(probabilities)):
        result.status = "diverged"
        result.error = "the trained model predicts NaN or infinity on the test set"


_flops_cache: dict[str, int] = {}


def _cached_flops(model_json: str, input_shape: tuple, num_classes: int, model: Any, count: Callable[[Any], int]) -> int:
    """FLOPs depend on architecture and input only: count once per process."""
    cache_key = json.dumps([model_json, list(input_shape), num_classes])
    if cache_key not in _flops_cache:
        _flops_cache[cache_key] = count(model)
    return _flops_cache[cache_key]


def _optimizer(name: str, learning_rate: float) -> Any:
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


def _pipeline(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, shuffle: bool,
              buffer: Optional[int] = None) -> Any:
    """Cached, shuffled (seeded), batched, prefetched ``tf.data`` input."""
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((x, y.astype(np.int64))).cache()
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
