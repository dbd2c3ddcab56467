"""How big a run is, and how many workers a machine should run at once — without TensorFlow.

The runner needs two estimates before anything trains:

* a run's *cost*, to hand runs out longest-first (a long run started last
  leaves every other core idle while it finishes);
* ``--jobs auto``: how many worker processes, and how many intra-op threads each.

Both come from the configuration alone (input shape, training-set size,
epochs, an analytic FLOPs count for the ``cnn`` family), so planning stays
instant and never imports TensorFlow.  The numbers are proxies for ordering
and sizing, not measurements; the worker records the real FLOPs.

The ``auto`` rule (measured; see ``benchmarks/jobs_rule.py`` and the README):
on CPU, runs are independent, and one single-threaded process per core beat
one process using every core for every model we measured (small MNIST CNN,
classic CIFAR CNN), because small convolutions scale poorly across threads
while separate processes scale almost perfectly.  So ``auto`` takes one worker
per core, then lowers the count when there are fewer runs than cores (spare
cores become threads), when the machine's free memory cannot hold that many
workers (each holds TensorFlow, the dataset and the model), or when GPUs are
visible (one worker per GPU).
"""

from __future__ import annotations

import enum
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Union

from bench.config import DatasetConfig, RunConfig
from bench.suite import RunSpec

JobsArg = Union[int, str, None]

# Native image shape, images in the training pool, classes, and whether the
# dataset ships its own test set (otherwise 20% of the pool is split off).
_NATIVE: dict[str, tuple[tuple[int, int, int], int, int, bool]] = {
    "digits": ((8, 8, 1), 1797, 10, False),
    "mnist5k": ((28, 28, 1), 5000, 10, False),
    "mnist": ((28, 28, 1), 60000, 10, True),
    "fashion_mnist": ((28, 28, 1), 60000, 10, True),
    "cifar10": ((32, 32, 3), 50000, 10, True),
    "cifar100": ((32, 32, 3), 50000, 100, True),
    "folder": ((64, 64, 3), 10000, 10, False),  # unknown until read: a middling guess
}
UNKNOWN_MODEL_FLOPS = 2.0e7  # forward FLOPs per image assumed for a python-built model
TF_PROCESS_BYTES = 700 * 2**20  # resident size of a worker with TensorFlow and Keras loaded
MEMORY_HEADROOM = 0.75  # share of the available memory workers may plan to use


class SizingReason(str, enum.Enum):
    """Why a plan has its worker count (the console says it in the chosen language)."""

    JOBS = "jobs"  #: --jobs N, as given
    PER_GPU = "per_gpu"  #: one worker per visible GPU
    PER_CORE = "per_core"  #: one worker per core
    RUNS = "runs"  #: fewer runs than cores: one worker per run
    MEMORY = "memory"  #: the available memory holds only this many workers
    NOT_CONNECTED = "not_connected"  #: Ray, before it is reached


@dataclass(frozen=True)
class WorkerPlan:
    """How many workers run at once and how many intra-op threads each gets, and why.

    The numbers behind ``reason`` travel with it (cores, runs, memory), so the console
    line is written where it is shown, in its language (:func:`describe`).
    """

    jobs: int
    threads: int
    reason: SizingReason
    gpus: int = 0
    cores: int = 0
    runs: int = 0
    memory: float = 0.0  # bytes available (reason MEMORY)
    worker_memory: float = 0.0  # bytes one worker is expected to hold (reason MEMORY)
    recorded_threads: bool = False  # threads fixed to what a stored run recorded (bench verify)


# -- what a run is ---------------------------------------------------------------------------
def input_shape(dataset: DatasetConfig) -> tuple[int, int, int]:
    """The (H, W, C) a model sees, from the config alone."""
    (h, w, c), _, _, _ = _NATIVE.get(dataset.name, _NATIVE["folder"])
    if dataset.image_size:
        h, w = dataset.image_size
    return (h, w, dataset.channels or c)


def train_images(dataset: DatasetConfig) -> int:
    """Images fitted per epoch (``train_size`` or the pool less test and validation)."""
    if dataset.train_size:
        return dataset.train_size
    _, pool, _, official_test = _NATIVE.get(dataset.name, _NATIVE["folder"])
    if dataset.images_per_class:
        pool = min(pool, dataset.images_per_class * _classes(dataset))
    if not official_test:
        pool -= dataset.test_size or round(0.2 * pool)
    return max(1, round(pool * (1.0 - dataset.validation)))


def _classes(dataset: DatasetConfig) -> int:
    _, _, classes, _ = _NATIVE.get(dataset.name, _NATIVE["folder"])
    if dataset.name == "cifar100" and dataset.labels == "coarse":
        classes = 20
    return dataset.classes or classes


@dataclass(frozen=True)
class ModelSize:
    """Per-image forward FLOPs, activation values (all layers) and parameters."""

    flops: float
    activations: float
    params: float


UNKNOWN_MODEL = ModelSize(UNKNOWN_MODEL_FLOPS, 2.0e5, 1.0e6)  # a python-built model: a guess


def model_size(config: RunConfig) -> ModelSize:
    """Walk the ``cnn`` family's layers as Keras builds them; other families get a guess."""
    model = config.model
    if getattr(model, "family", None) != "cnn":
        return UNKNOWN_MODEL
    h, w, channels = input_shape(config.dataset)
    flops = activations = params = 0.0
    for block in model.blocks:
        kh, kw = (block.kernel, block.kernel) if isinstance(block.kernel, int) else block.kernel
        for i in range(block.convs):
            stride = block.stride if i == 0 else 1
            if block.padding == "same":
                h, w = math.ceil(h / stride), math.ceil(w / stride)
            else:
                h, w = max(1, (h - kh) // stride + 1), max(1, (w - kw) // stride + 1)
            flops += 2.0 * h * w * kh * kw * channels * block.filters
            params += kh * kw * channels * block.filters + block.filters
            activations += 2.0 * h * w * block.filters  # convolution and activation outputs
            channels = block.filters
        size = min(block.pool, h, w)
        if size > 1:
            h, w = h // size, w // size
            activations += h * w * channels
    width = channels if model.global_pool else h * w * channels
    for units in [*model.dense, _classes(config.dataset)]:
        flops += 2.0 * width * units
        params += width * units + units
        activations += 2.0 * units
        width = units
    return ModelSize(flops, activations, params)


def forward_flops(config: RunConfig) -> float:
    """Forward FLOPs per image (1 multiply-add = 2; the profiler's convention)."""
    return model_size(config).flops


def run_cost(spec: RunSpec) -> float:
    """Training FLOPs of a run (3 × forward × images seen): what longest-first sorts by."""
    config = spec.config
    return 3.0 * forward_flops(config) * train_images(config.dataset) * config.train.epochs


def longest_first(specs: Sequence[RunSpec]) -> list[RunSpec]:
    """Runs ordered by estimated cost, largest first; ties keep the suite's order."""
    return sorted(specs, key=run_cost, reverse=True)


def worker_bytes(config: RunConfig) -> float:
    """A worker's planned memory: TensorFlow; the dataset, held about three times (arrays,
    ``tf.data`` cache, tensors); weights, gradients and two Adam slots; and one batch's
    activations kept for the backward pass, about three times."""
    h, w, c = input_shape(config.dataset)
    _, pool, _, _ = _NATIVE.get(config.dataset.name, _NATIVE["folder"])
    images = (config.dataset.train_size or pool) * 1.3  # + validation and test
    size = model_size(config)
    data = 3 * images * h * w * c * 4
    model = 4 * 4 * size.params + 3 * 4 * config.train.batch_size * size.activations
    return TF_PROCESS_BYTES + data + model


# -- the machine ---------------------------------------------------------------------------
def usable_cores() -> int:
    """Cores this process may use: CPU affinity and a cgroup CPU quota both count."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def available_memory() -> Optional[float]:
    """Bytes the kernel says are available (Linux), else None (no memory cap)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def visible_gpus() -> int:
    """NVIDIA GPUs a worker would see, counted without importing TensorFlow."""
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return len([d for d in listed.split(",") if d.strip() and d.strip() != "-1"])
    try:
        return len(list(Path("/proc/driver/nvidia/gpus").iterdir()))
    except OSError:
        return 0


# -- the rule ---------------------------------------------------------------------------------
def plan_workers(
    jobs: JobsArg,
    specs: Sequence[RunSpec],
    *,
    cores: Optional[int] = None,
    memory: Optional[float] = None,
    gpus: Optional[int] = None,
) -> WorkerPlan:
    """Workers and threads for ``--jobs N`` or ``--jobs auto`` over the runs to train.

    An explicit N is honoured (threads = cores // N, at least 1).  ``auto``
    follows the measured rule in this module's docstring.
    """
    cores = cores or usable_cores()
    gpus = visible_gpus() if gpus is None else gpus
    if jobs not in (None, "auto"):
        count = int(jobs)  # type: ignore[arg-type]
        return WorkerPlan(count, max(1, cores // count), SizingReason.JOBS, gpus, cores=cores)
    runs = max(1, len(specs))
    if gpus:
        count = min(gpus, runs)
        return WorkerPlan(count, max(1, cores // count), SizingReason.PER_GPU, gpus, cores=cores)
    count = min(cores, runs)
    reason = SizingReason.PER_CORE if count == cores else SizingReason.RUNS
    memory = available_memory() if memory is None else memory
    need = 0.0
    if memory and specs:
        need = max(worker_bytes(spec.config) for spec in specs)
        fits = max(1, int(memory * MEMORY_HEADROOM // need))
        if fits < count:
            count = fits
            reason = SizingReason.MEMORY
    return WorkerPlan(count, max(1, cores // count), reason, 0, cores=cores, runs=runs,
                      memory=memory or 0.0, worker_memory=need)  # fmt: skip


def describe(plan: WorkerPlan, lang: Optional[str] = None) -> str:
    """``2 workers × 1 thread (one worker per core (2 cores))``, in ``lang``."""
    from bench import formatting, words

    def plural(key: str, n: int) -> str:
        return words.t(f"{key}_one" if n == 1 else f"{key}_many", lang, n=n)

    reason = words.t(
        f"executor.reason.{plan.reason.value}", lang, jobs=plan.jobs, option="--jobs",
        gpus=plan.gpus, cores=plan.cores, runs=plan.runs,
        available=formatting.number(plan.memory / 2**30),
        need=formatting.number(plan.worker_memory / 2**30),
    )  # fmt: skip
    if plan.recorded_threads:
        reason += words.t("executor.threads_recorded", lang, threads=plan.threads)
    return words.t(
        "executor.plan", lang, workers=plural("executor.workers", plan.jobs),
        threads=plural("executor.threads", plan.threads), reason=reason,
    )  # fmt: skip
