"""``dataset.resample: per_seed``: each seed its own train/validation split, the same test set."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from bench import analysis
from bench.config import RunConfig
from bench.suite import load_suite

SUITE = """\
name: resampled
dataset: {name: digits, train_size: 300, test_size: 200, validation: 0.1, resample: per_seed}
train: {epochs: 1, batch_size: 32, seeds: 2}
model:
  family: cnn
  blocks:
    - {filters: 4, kernel: 3, pool: 2}
  dense: [16]
variants:
  - name: tanh
    set: {model.activation: tanh}
"""


def _rows(x: np.ndarray) -> set[bytes]:
    return {row.tobytes() for row in x.reshape(len(x), -1)}


def test_two_seeds_train_on_different_splits_and_test_on_the_same_examples(write_suite):
    from bench.worker import dataset_for

    suite = load_suite(write_suite(SUITE))
    spec0, spec1 = suite.specs()[:2]
    assert (spec0.variant, spec1.variant, spec0.seed, spec1.seed) == ("base", "base", 0, 1)
    first, second = dataset_for(spec0.config, spec0.seed), dataset_for(spec1.config, spec1.seed)
    train0, train1 = _rows(first.x_train), _rows(second.x_train)
    assert len(train0) > 100 and train0 != train1  # different training images (indices)
    assert len(train0 & train1) < len(train0)
    np.testing.assert_array_equal(first.x_test, second.x_test)  # one test set for every seed
    assert first.info["resample_seed"] == 0 and second.info["resample_seed"] == 1
    # the same seed of another variant draws the same split: the pairing by seed stays real
    tanh0 = next(s for s in suite.specs() if s.variant == "tanh" and s.seed == 0)
    np.testing.assert_array_equal(dataset_for(tanh0.config, tanh0.seed).x_train, first.x_train)


def test_the_default_keeps_one_split_and_old_run_keys():
    config = RunConfig.model_validate({
        "dataset": {"name": "digits"}, "model": {"family": "cnn", "blocks": [{"filters": 4}]},
    })  # fmt: skip
    assert "resample" not in config.key_material()["dataset"]
    resampled = config.model_copy(update={"dataset": config.dataset.model_copy(update={"resample": "per_seed"})})
    assert resampled.key_material()["dataset"]["resample"] == "per_seed"


def test_intervals_say_they_cover_the_splits_and_pairing_survives():
    rng = np.random.default_rng(4)
    config = json.dumps({"dataset": {"name": "digits", "resample": "per_seed"}})
    rows = [{"key": f"{v}{s}", "variant": v, "seed": s, "status": "ok", "config": config,
             "accuracy": 0.9 + rng.normal(0, 0.01)} for v in ("base", "v") for s in range(4)]  # fmt: skip
    row = analysis.compare_to_baseline(pd.DataFrame(rows), "base", outperforming=False).iloc[0]
    assert row["interval_sources"] == "seeds_splits" and row["method"] == "paired"
