"""Datasets: a name in a suite → prepared splits with named targets.

Loaders use NumPy (and Pillow for images); no TensorFlow is imported here, so
a suite validates in a second.  ``DATASET_NAMES`` is what a suite may name;
:class:`DatasetConfig` is the ``dataset:`` section; :class:`Dataset` is what a run gets.
"""

from __future__ import annotations

from bench.datasets.config import DATASET_NAMES, DatasetConfig
from bench.datasets.dataset import COARSE_LABEL, LABEL, SPLITS, Dataset

__all__ = ["COARSE_LABEL", "DATASET_NAMES", "LABEL", "SPLITS", "Dataset", "DatasetConfig", "clear_cache", "load_dataset"]


def load_dataset(config: DatasetConfig) -> Dataset:
    """Load and prepare the dataset a suite names (raw files cached per process).

    Raises :class:`bench.errors.DataUnavailableError` (one line: dataset, folders
    searched, files expected) when the files are absent; nothing is downloaded.
    """
    if config.is_detection:
        from bench.datasets.detection_splits import load_detection

        return load_detection(config)
    from bench.datasets.prepare import prepare
    from bench.datasets.registry import load_raw

    return prepare(load_raw(config), config)


def clear_cache() -> None:
    """Forget the raw arrays cached by :func:`load_dataset` (tests, long-lived workers)."""
    from bench.datasets.registry import clear_cache as _clear

    _clear()
