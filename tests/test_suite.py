"""Suite files: validation messages, overrides, grids, profiles, keys."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from bench.errors import BenchError
from bench.suite import config_diff, describe_changes, load_suite, parse_path, run_key
from bench.results import load
from conftest import TINY_SUITE, build_synthetic_store

BASE = """\
name: t
dataset: {name: digits}
train: {epochs: 1, seeds: 2}
model:
  family: cnn
  blocks:
    - {filters: 4, dropout: 0.1}
    - {filters: 8, dropout: 0.1}
  dense: [16]
"""


def test_valid_suite_expands_base_first(write_suite):
    suite = load_suite(write_suite(BASE + "variants:\n  - name: tanh\n    set: {model.activation: tanh}\n"))
    assert [v.name for v in suite.variants] == ["base", "tanh"]
    specs = suite.specs()
    assert [(s.variant, s.seed) for s in specs] == [("base", 0), ("base", 1), ("tanh", 0), ("tanh", 1)]
    assert len({s.key for s in specs}) == 4
    assert suite.variant("tanh").config.model.activation == "tanh"
    assert suite.variant("base").config.model.activation == "relu"


# Each malformed file, with the line and the words its one-line message must hold.
MALFORMED = [
    ("dropout out of range", BASE.replace("filters: 4, dropout: 0.1", "filters: 4, dropout: 1.0"),
     7, ["model.blocks[0].dropout", "1.0", "less than 1"]),
    ("negative dropout", BASE.replace("filters: 8, dropout: 0.1", "filters: 8, dropout: -0.1"),
     8, ["model.blocks[1].dropout", "-0.1", "greater than or equal to 0"]),
    ("negative epochs", BASE.replace("epochs: 1", "epochs: -3"), 3, ["train.epochs", "-3"]),
    ("zero epochs", BASE.replace("epochs: 1", "epochs: 0"), 3, ["train.epochs", "0"]),
    ("wrong type", BASE.replace("epochs: 1", "epochs: many"), 3, ["train.epochs", "many", "integer"]),
    ("unknown key", BASE.replace("epochs: 1", "epochs: 1, epoch: 2"), 3, ["train.epoch", "unknown key", "epochs"]),
    ("unknown top-level key", BASE + "seedz: 3\n", 10, ["seedz", "unknown key", "variants"]),
    ("unknown dataset", BASE.replace("name: digits", "name: imagenette"), 2,
     ["dataset.name", "imagenette", "mnist5k"]),
    ("unknown family", BASE.replace("family: cnn", "family: vit"), 4, ["model", "vit", "cnn"]),
    ("unknown optimizer", BASE.replace("epochs: 1", "epochs: 1, optimizer: adamax"), 3,
     ["train.optimizer", "adamax", "'adam'"]),
    ("unknown activation", BASE + "  activation: relux\n", 10, ["model.activation", "relux", "'tanh'"]),
    ("unknown output activation", BASE + "  output_activation: soft\n", 10,
     ["model.output_activation", "soft", "'softmax'"]),
    ("missing model", "name: t\ndataset: {name: digits}\n", 1, ["model", "missing"]),
    ("bad name", BASE.replace("name: t", "name: a b"), 1, ["name", "a b", "letters"]),
    ("duplicate variant", BASE + "variants:\n  - name: a\n  - name: a\n", 12, ["variants[1].name", "duplicate", "'a'"]),
    ("variant named base", BASE + "variants:\n  - name: base\n", 11, ["duplicate", "reserved"]),
    ("override path missing", BASE + "variants:\n  - name: a\n    set:\n      model.blocks[0].kernal: 5\n", 13,
     ["variant 'a'", "model.blocks[0].kernal", "does not exist", "kernel"]),
    ("override index out of range", BASE + "variants:\n  - name: a\n    set:\n      model.blocks[5].kernel: 5\n", 13,
     ["model.blocks[5]", "does not exist", "2 items"]),
    ("override bad value", BASE + "variants:\n  - name: a\n    set:\n      model.blocks[*].dropout: 1.5\n", 13,
     ["variant 'a'", "1.5", "less than 1"]),
    ("override malformed path", BASE + "variants:\n  - name: a\n    set:\n      'model..x': 1\n", 13,
     ["malformed key path"]),
    ("override on a non-list", BASE + "variants:\n  - name: a\n    set:\n      train.epochs[0]: 1\n", 13,
     ["not a list"]),
    ("grid bad value", BASE + "grid:\n  model.activation: [relu, nope]\n", 11, ["nope", "activation=nope"]),
    ("grid bad path", BASE + "grid:\n  model.activaton: [relu]\n", 11, ["model.activaton", "does not exist"]),
    ("baseline unknown", BASE + "baseline: nothing\n", 10, ["baseline", "nothing", "base"]),
    ("duplicate yaml key", BASE + "train: {epochs: 2}\n", 10, ["train", "duplicate key"]),
    ("invalid yaml", BASE + "variants: [\n", 11, ["invalid YAML"]),
    ("flow mapping with [*]", BASE + "variants:\n  - name: a\n    set: {model.blocks[*].dropout: 0.1}\n", 12,
     ["invalid YAML", "quote key paths"]),
    ("claim direction", BASE + "variants:\n  - name: a\n    claim: {direction: sideways}\n", 12,
     ["claim.direction", "sideways", "'up'"]),
    ("claim metric", BASE + "variants:\n  - name: a\n    claim: {metric: acc, direction: up}\n", 12,
     ["claim.metric", "acc", "'accuracy'"]),
    ("alpha out of range", BASE + "alpha: 1.5\n", 10, ["alpha", "1.5"]),
    ("profile bad path", BASE + "profiles:\n  quick: {train.epoch: 1}\n", 11, ["profile 'quick'", "train.epoch"]),
    ("kernel zero", BASE.replace("filters: 4, dropout: 0.1", "filters: 4, kernel: 0"), 7,
     ["model.blocks[0].kernel", "0"]),
    ("validation fraction", BASE.replace("name: digits", "name: digits, validation: 1.0"), 2,
     ["dataset.validation", "1.0"]),
]


@pytest.mark.parametrize("label,text,line,words", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_suite_gives_one_line_naming_file_line_and_key(write_suite, label, text, line, words):
    path = write_suite(text)
    with pytest.raises(BenchError) as caught:
        load_suite(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}: "), message
    for word in words:
        assert word in message, (word, message)


def test_missing_file(tmp_path):
    with pytest.raises(BenchError, match="no such suite file"):
        load_suite(tmp_path / "absent.yaml")


def test_star_override_sets_every_block(write_suite):
    suite = load_suite(write_suite(BASE + "variants:\n  - name: a\n    set:\n      model.blocks[*].dropout: 0.3\n"))
    assert [b.dropout for b in suite.variant("a").config.model.blocks] == [0.3, 0.3]


def test_indexed_override_sets_one_block(write_suite):
    suite = load_suite(write_suite(BASE + "variants:\n  - name: a\n    set:\n      model.blocks[1].kernel: 5\n"))
    assert [b.kernel for b in suite.variant("a").config.model.blocks] == [3, 5]


def test_grid_is_the_cartesian_product(write_suite):
    suite = load_suite(
        write_suite(BASE + "grid:\n  model.activation: [relu, tanh, elu]\n  model.dense_dropout: [0.1, 0.3]\n")
    )
    names = [v.name for v in suite.variants[1:]]
    assert len(names) == 6
    assert "activation=tanh,dense_dropout=0.3" in names
    cell = suite.variant("activation=elu,dense_dropout=0.1").config.model
    assert (cell.activation, cell.dense_dropout) == ("elu", 0.1)


def test_identical_configs_share_keys_and_seed_offset_separates_them(write_suite):
    text = BASE + (
        "variants:\n  - name: same\n    set: {train.epochs: 1}\n"
        "  - name: other-seeds\n    set: {train.seed_offset: 100}\n"
    )
    suite = load_suite(write_suite(text))
    keys = {v: [s.key for s in suite.specs(only=[v])] for v in ("base", "same", "other-seeds")}
    assert keys["base"] == keys["same"]
    assert not set(keys["base"]) & set(keys["other-seeds"])
    assert [s.seed for s in suite.specs(only=["other-seeds"])] == [100, 101]


def test_key_depends_on_dataset_and_seed(write_suite):
    a = load_suite(write_suite(BASE, "a.yaml")).variant("base").config
    b = load_suite(write_suite(BASE.replace("name: digits", "name: digits, train_size: 100"), "b.yaml")).variant("base").config
    assert run_key(a, 0) != run_key(a, 1)
    assert run_key(a, 0) != run_key(b, 0)
    assert run_key(a, 0) == run_key(a, 0)
    assert re.fullmatch(r"[0-9a-f]{20}", run_key(a, 0))


def test_profile_and_seed_overrides(write_suite):
    path = write_suite(BASE + "profiles:\n  quick: {train.epochs: 3, train.seeds: 1}\n")
    assert load_suite(path, profile="quick").variant("base").config.train.epochs == 3
    assert len(load_suite(path, profile="quick").specs()) == 1
    assert len(load_suite(path, seeds=5).specs()) == 5
    with pytest.raises(BenchError, match="no such profile; allowed: quick"):
        load_suite(path, profile="full")


def test_parse_path():
    assert parse_path("model.blocks[0].kernel") == ["model", "blocks", 0, "kernel"]
    assert parse_path("model.blocks[*].dropout") == ["model", "blocks", "*", "dropout"]
    for bad in ("", "[0]", "a..b", "a[x]"):
        with pytest.raises(ValueError):
            parse_path(bad)


def test_more_seeds_is_not_a_change_a_variant_made(write_suite, tmp_path):
    """A variant given more seeds (by hand or by --until-conclusive) trains the same runs:
    its changes leave train.seeds out, also when an older store still lists it."""
    path = write_suite(TINY_SUITE.replace("set: {model.activation: tanh}",
                                          "set: {model.activation: tanh, train.seeds: 7, train.seed_offset: 3}"))
    suite = load_suite(path)
    (tanh,) = [v for v in suite.definition()["variants"] if v["name"] == "tanh"]
    assert tanh["changes"] == [["model.activation", "relu", "tanh"]]

    store = build_synthetic_store(tmp_path / "s" / "results.sqlite")
    with sqlite3.connect(store) as db:  # as a store written before bookkeeping left the changes
        (text,) = db.execute("SELECT definition FROM suites").fetchone()
        definition = json.loads(text)
        for variant in definition["variants"]:
            if variant["name"] == "tanh":
                variant["changes"].insert(0, ["train.seeds", 2, 7])
        db.execute("UPDATE suites SET definition = ?", (json.dumps(definition),))
    assert load(store).variant("tanh")["changes"] == [["model.activation", "relu", "tanh"]]


def test_config_diff_collapses_uniform_list_changes():
    base = {"model": {"activation": "relu", "blocks": [{"d": 0.25}, {"d": 0.25}]}}
    other = {"model": {"activation": "tanh", "blocks": [{"d": 0.125}, {"d": 0.125}]}}
    changes = config_diff(base, other)
    assert changes == [["model.activation", "relu", "tanh"], ["model.blocks[*].d", 0.25, 0.125]]
    assert describe_changes(changes) == "model.activation: relu → tanh; model.blocks[*].d: 0.25 → 0.125"
    assert config_diff(base, base) == []


def test_every_shipped_suite_validates():
    from pathlib import Path

    suites = sorted(Path(__file__).resolve().parent.parent.joinpath("suites").glob("*.yaml"))
    assert suites
    for path in suites:
        assert load_suite(path).specs()
