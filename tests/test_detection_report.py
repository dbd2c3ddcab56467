"""The read side of detection: report views through the task, the paired per-image
bootstrap, bench diff, and the COCO export re-scored by pycocotools -- on stores built
in the test from scripted per-image detections (no training)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from bench import tasks
from bench.detection.evaluation import evaluate_detections
from bench.detection.items import unpack
from bench.detection.views import PICTURE_IMAGES, SAMPLE_IMAGES, item_views, paired_test
from bench.errors import BenchError
from bench.store import ResultStore

CLASSES = [str(d) for d in range(10)]
CANVAS = 32
IMAGES = 40

DETECTION_SUITE = """\
name: det
title: Detection suite
dataset:
  name: mnist_det
  train_size: 40
  test_size: 40
  mnist_det: {canvas_size: 32, digit_size: [8, 16], digits_per_canvas: [0, 3]}
train: {epochs: 1, batch_size: 16, seeds: 3}
model: {family: ssd}
variants:
  - name: sharper
    set: {model.negatives: all}
    claim: {metric: map50, direction: up}
"""


def _ground_truth(suite) -> list[dict[str, np.ndarray]]:
    """The real test canvases' objects (mnist_det regenerates them from the settings)."""
    from bench.datasets import load_dataset
    from bench.datasets.detection_splits import image_objects

    data = load_dataset(suite.specs()[0].config.dataset)
    return [{"boxes": np.asarray(o["boxes"], np.float32), "labels": np.asarray(o["labels"], np.int16),
             "difficult": np.asarray(o.get("difficult", np.zeros(len(o["labels"]), bool)), bool)}
            for o in image_objects(data, "test")]  # fmt: skip


def _detections(gt, hit_rate: float, rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
    """Each true box found with probability ``hit_rate`` (jittered, right class), plus a
    duplicate now and then and a few low-scored false positives."""
    out = []
    for image in gt:
        boxes, labels, scores = [], [], []
        for box, label in zip(image["boxes"], image["labels"]):
            if rng.random() < hit_rate:
                boxes.append(box + rng.normal(0, 0.8, 4))
                labels.append(label)
                scores.append(rng.uniform(0.5, 1.0))
                if rng.random() < 0.15:  # a duplicate: a false positive at IoU 0.5
                    boxes.append(box + rng.normal(0, 1.0, 4))
                    labels.append(label)
                    scores.append(rng.uniform(0.3, 0.6))
        for _ in range(int(rng.integers(0, 3))):
            corner = rng.uniform(0, CANVAS - 8, 2)
            boxes.append(np.concatenate([corner, corner + rng.uniform(4, 8, 2)]))
            labels.append(rng.integers(0, len(CLASSES)))
            scores.append(rng.uniform(0.05, 0.7))
        order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
        out.append({"boxes": np.asarray(boxes, dtype=np.float32).reshape(-1, 4)[order],
                    "labels": np.asarray(labels, dtype=np.int16)[order],
                    "scores": np.asarray(scores, dtype=np.float32)[order]})  # fmt: skip
    return out


def _pad(rows: list[np.ndarray], width: int, fill: float, dtype) -> np.ndarray:
    shape = (len(rows), max(width, 1)) + rows[0].shape[1:] if rows else (0, 1)
    out = np.full(shape, fill, dtype=dtype)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def _items(gt, dets) -> dict[str, np.ndarray]:
    """The per-item arrays of a detection run (padded per image; label -1 = padding)."""
    g = max(len(x["labels"]) for x in gt)
    d = max(len(x["labels"]) for x in dets)
    return {
        "gt_boxes": _pad([x["boxes"] for x in gt], g, 0.0, np.float32),
        "gt_labels": _pad([x["labels"] for x in gt], g, -1, np.int16),
        "gt_difficult": _pad([x["difficult"] for x in gt], g, False, bool),
        "det_boxes": _pad([x["boxes"] for x in dets], d, 0.0, np.float32),
        "det_labels": _pad([x["labels"] for x in dets], d, -1, np.int16),
        "det_scores": _pad([x["scores"] for x in dets], d, 0.0, np.float32),
    }


def build_detection_store(path: Path, hit_rates: dict[str, float] | None = None, samples: bool = False) -> Path:
    """A store of one detection suite, every run's detections scripted; ``samples``: each
    run also stores its first test images, as a trained run does."""
    from bench.store import ResultStore, RunResult
    from bench.suite import load_suite

    hit_rates = hit_rates or {"base": 0.6, "sharper": 0.95}
    suite_file = path.parent / "det-suite.yaml"
    suite_file.parent.mkdir(parents=True, exist_ok=True)
    suite_file.write_text(textwrap.dedent(DETECTION_SUITE), encoding="utf-8")
    suite = load_suite(suite_file)
    rng = np.random.default_rng(7)
    gt = _ground_truth(suite)
    with ResultStore(path) as store:
        specs = suite.specs()
        store.save_suite(suite.name, suite.title, str(suite_file), suite.definition(),
                         [(s.variant, s.seed, s.key) for s in specs])  # fmt: skip
        for spec in specs:
            items = _items(gt, _detections(gt, hit_rates[spec.variant], rng))
            if samples:
                items[SAMPLE_IMAGES] = np.random.default_rng(spec.seed).integers(
                    0, 256, (PICTURE_IMAGES, CANVAS, CANVAS, 1), dtype=np.uint8)  # fmt: skip
            stored_gt, stored_dets = unpack(items)
            scores = evaluate_detections(stored_gt, stored_dets, len(CLASSES))
            metrics = {m: float(scores[m]) for m in ("map50", "map50_voc07", "map", "map50_coco", "recall100")}
            store.record(RunResult(
                key=spec.key, suite=suite.name, variant=spec.variant, seed=spec.seed,
                config=spec.config.model_dump(mode="json"),
                metrics={**metrics, "loss": 1.0, "flops": 2e6 if spec.variant == "base" else 1e6, "params": 1e4,
                         "train_seconds": 2.0},
                history={"loss": [2.0, 1.0], "val_loss": [2.1, 1.1]},
                predictions=items, started_at=1.0, finished_at=3.0, host="testhost",
                versions={"bench": "0"}, hardware={"cpu": "test cpu", "cores": 2, "gpus": []},
                dataset={"name": "mnist_det", "task": "detection", "input_shape": [CANVAS, CANVAS, 1],
                         "classes": len(CLASSES), "class_names": CLASSES, "train": 300, "validation": 30,
                         "test": len(gt), "targets": ["box_labels", "boxes", "difficult"]},
            ))  # fmt: skip
    return path


@pytest.fixture(scope="module")
def detection_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_detection_store(tmp_path_factory.mktemp("det") / "reports" / "det" / "results.sqlite")


def _runs(store: Path):
    from bench import results

    found = results.load(store)
    return found, {(r["variant"], int(r["seed"])): found.predictions[r["key"]] for r in found.ok.to_dict("records")}


# -- per-class view and the paired per-image bootstrap ---------------------------------
@pytest.mark.slow
def test_per_class_view_is_voc_ap_per_class(detection_store: Path) -> None:
    found, runs = _runs(detection_store)
    items = runs[("base", 0)]
    views = tasks.get("detection").item_views(items, len(CLASSES))
    gt, dets = unpack(items)
    expected = evaluate_detections(gt, dets, len(CLASSES))["ap50_per_class"]
    assert views.per_class_metric == "ap50" and views.paired is None and views.confusion is None
    np.testing.assert_allclose(views.per_class, expected)
    np.testing.assert_allclose(np.nanmean(item_views(items, len(CLASSES)).per_class),
                               found.ok.loc[found.ok["key"] == found.ok["key"].iloc[0], "map50"].iloc[0])  # fmt: skip


@pytest.mark.slow
def test_bootstrap_rescoring_agrees_with_the_one_draw_reference(detection_store: Path) -> None:
    from bench.detection.items import map50_of, ranked_matches
    from bench.detection.views import map50_batch, mean_pr_curves

    found, runs = _runs(detection_store)
    gt, dets = unpack(runs[("sharper", 1)])
    matches = ranked_matches(gt, dets, len(CLASSES))
    rng = np.random.default_rng(3)
    draws = np.stack([np.bincount(rng.integers(0, len(gt), len(gt)), minlength=len(gt)) for _ in range(40)])
    np.testing.assert_allclose(map50_batch(matches, draws), [map50_of(matches, w) for w in draws], atol=1e-12)
    stored = found.ok.set_index(["variant", "seed"]).loc[("sharper", 1), "map50"]
    assert map50_batch(matches, np.ones((1, len(gt))))[0] == pytest.approx(stored, abs=1e-12)
    # the PR curves' envelope at the VOC recall steps integrates to each class's AP
    grid = np.linspace(0, 1, 100001)
    curves = mean_pr_curves([runs[("sharper", 1)]], len(CLASSES), grid)
    ap = evaluate_detections(gt, dets, len(CLASSES))["ap50_per_class"]
    defined = np.isfinite(ap)
    np.testing.assert_allclose(curves[defined].mean(axis=1), ap[defined], atol=2e-3)


@pytest.mark.slow
def test_paired_bootstrap_sees_a_better_model_and_not_an_identical_one(detection_store: Path) -> None:
    _, runs = _runs(detection_store)
    seeds = (0, 1, 2)
    better = paired_test([(runs[("base", s)], runs[("sharper", s)]) for s in seeds], len(CLASSES), samples=300)
    assert better is not None and better.method == "bootstrap_images" and better.metric == "map50"
    assert better.pairs == 3 and better.items == IMAGES
    assert better.delta > 0 and better.ci_low > 0 and better.p_value < 0.05
    assert better.ci_low <= better.delta <= better.ci_high
    same = paired_test([(runs[("base", 0)], runs[("base", 0)])], len(CLASSES), samples=200)
    assert same.delta == 0 and same.ci_low == 0 == same.ci_high and same.p_value == 1.0
    # runs on another test set do not pair
    other = dict(runs[("base", 0)], gt_labels=np.zeros_like(runs[("base", 0)]["gt_labels"]))
    assert paired_test([(other, runs[("sharper", 0)])], len(CLASSES)) is None


# -- the report, both languages ------------------------------------------------------------
def _report(store: Path, out: Path, lang: str) -> tuple[str, str, list[str]]:
    from bench.report import render_report

    md_path, html_path = render_report(store, out, lang=lang)
    return md_path.read_text(), html_path.read_text(), sorted(p.name for p in (out / "figures").glob("*.png"))


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_report_of_a_detection_store_shows_its_task_views(detection_store: Path, tmp_path: Path, lang: str) -> None:
    from bench import metrics, words

    md, html, pngs = _report(detection_store, tmp_path / lang, lang)
    # map50 is the primary metric: conclusions and verdicts on it, figures against FLOPs
    assert words.t("report.conclusions_caption_metric", lang, metric=metrics.label("map50", lang),
                   baseline="base", alpha="0.05").split("{")[0][:20] in md  # fmt: skip
    conclusions = md.split("## " + words.t("report.conclusions", lang), 1)[1].split("\n## ", 1)[0]
    row = next(line for line in conclusions.splitlines() if line.startswith("| sharper"))
    assert f"| {words.verdict_word('better', lang)} — p" in row  # a verdict on map50
    assert metrics.label("map50", lang) in conclusions.split("| sharper")[0]  # the column it is about
    claims = md.split("## " + words.t("report.claims", lang), 1)[1].split("\n## ", 1)[0]
    assert words.claim_result_word("confirmed", lang) in claims
    assert "map50_vs_flops.png" in pngs and "pr_curves.png" in pngs and "detections.png" in pngs
    assert words.t("figure.pr_curves", lang) in md and words.t("figure.detections", lang) in md
    assert md.count("data:image/png") == 0 and html.count("data:image/png;base64") >= 4
    # per-class AP table, its label from the metric table, one column per class
    label = metrics.label("ap50", lang)
    assert label in md
    for name in CLASSES:
        assert f"| {name} " in md or f"{name} |" in md
    # the paired per-image bootstrap, said to be about these trained models
    assert words.t("report.paired_tests", lang) in md
    assert words.t("report.paired_tests_caption", lang) in md
    sentence = [line for line in md.splitlines() if line.startswith("- sharper") and "Δ" in line]
    assert sentence and re.search(r"\d+ ", sentence[0])
    if lang == "ru":
        english = re.compile(r"\b(?:precision|recall|bootstrap|images|boxes|predicted|ground truth)\b", re.I)
        assert not english.search(md), english.search(md)


@pytest.mark.slow
def test_the_picture_is_drawn_from_the_stored_images_without_the_dataset(tmp_path: Path, monkeypatch) -> None:
    """A copied store, where its dataset is absent, still shows test images with boxes."""
    import bench.datasets

    store = build_detection_store(tmp_path / "s" / "results.sqlite", samples=True)
    with ResultStore(store, create=False) as opened:  # arrays of a few examples are not damage
        key = opened.runs_frame()["key"].iloc[0]
        assert opened.predictions(key)[SAMPLE_IMAGES].shape == (PICTURE_IMAGES, CANVAS, CANVAS, 1)

    def no_dataset(*args, **kwargs):
        raise AssertionError("the dataset was loaded")

    monkeypatch.setattr(bench.datasets, "load_dataset", no_dataset)
    md, _, pngs = _report(store, tmp_path / "out", "en")
    assert "detections.png" in pngs and "damaged 0" in md


@pytest.mark.slow
def test_task_figures_are_reused_when_nothing_changed(detection_store: Path, tmp_path: Path) -> None:
    _report(detection_store, tmp_path, "en")
    first = (tmp_path / "figures" / "pr_curves.png").stat().st_mtime_ns
    _report(detection_store, tmp_path, "en")
    assert (tmp_path / "figures" / "pr_curves.png").stat().st_mtime_ns == first
    _report(detection_store, tmp_path, "ru")  # other words: drawn again
    assert (tmp_path / "figures" / "pr_curves.png").stat().st_mtime_ns != first


# -- bench diff of two detection variants ------------------------------------------------------
def _bench(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-m", "bench", *args], cwd=cwd, env=env, capture_output=True, text=True)


@pytest.mark.slow
def test_diff_of_two_detection_variants(detection_store: Path, tmp_path: Path) -> None:
    from bench import words

    done = _bench("diff", str(detection_store), "base", "sharper", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    text = json.dumps(result)
    assert "map50" in text and "map" in text
    assert result["paired"]["method"] == "bootstrap_images" and result["paired"]["pairs"] == 3
    assert result["paired"]["ci_low"] > 0 and result["mcnemar"] is None
    table = _bench("diff", str(detection_store), "base", "sharper", "--lang", "ru", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert "mAP@0.5 (VOC)" in table.stdout
    assert "sharper против base: Δ mAP@0.5 (VOC) = +" in table.stdout and "бутстреп" in table.stdout
    assert words.t("diff.per_class_not_tested", "ru") in table.stdout
    assert words.t("diff.mcnemar_none", "ru") not in table.stdout


# -- COCO export, re-scored by pycocotools ---------------------------------------------------
def _pycocotools_map(instances: Path, results: Path) -> float:
    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(instances))
        evaluation = COCOeval(coco, coco.loadRes(str(results)), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return float(evaluation.stats[0])


@pytest.mark.slow
def test_exported_coco_json_rescored_by_pycocotools_gives_the_stored_map(detection_store: Path, tmp_path: Path) -> None:
    from bench.export_detections import export_detections

    written = export_detections(detection_store, tmp_path / "coco")
    assert len(written.results) == 6 and [p.name for p in written.instances] == ["instances_test.json"]
    index = json.loads((tmp_path / "coco" / "index.json").read_text())
    assert len(index["runs"]) == 6 and {r["instances"] for r in index["runs"]} == {"instances_test.json"}
    instances = json.loads((tmp_path / "coco" / "instances_test.json").read_text())
    assert [c["name"] for c in instances["categories"]] == CLASSES and len(instances["images"]) == IMAGES
    for run in index["runs"]:
        rescored = _pycocotools_map(tmp_path / "coco" / run["instances"], tmp_path / "coco" / run["results"])
        assert rescored == pytest.approx(run["metrics"]["map"], abs=1e-3), run


@pytest.mark.slow
def test_export_narrows_to_a_variant_and_seed_and_refuses_unknown_ones(detection_store: Path, tmp_path: Path) -> None:
    from bench.export_detections import export_detections

    written = export_detections(detection_store, tmp_path / "one", variant="sharper", seed=1)
    assert [p.name for p in written.results] == ["detections_sharper_seed1.json"]
    with pytest.raises(BenchError, match=r"--variant 'nope' is not in suite 'det'; variants: base, sharper"):
        export_detections(detection_store, tmp_path / "bad", variant="nope")
    assert not (tmp_path / "bad").exists()
    with pytest.raises(BenchError, match=r"--seed 9 has no successful run of variant 'sharper'; seeds with one: 0, 1, 2"):
        export_detections(detection_store, tmp_path / "bad2", variant="sharper", seed=9)
    assert not (tmp_path / "bad2").exists()


@pytest.mark.slow
def test_bench_export_detections_from_the_command_line(detection_store: Path, tmp_path: Path) -> None:
    done = _bench("export", str(detection_store), "--detections", "--variant", "base", "--seed", "2",
                  "--out", str(tmp_path / "coco"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    index = json.loads((tmp_path / "coco" / "index.json").read_text())
    [run] = index["runs"]
    assert (run["variant"], run["seed"]) == ("base", 2)
    rescored = _pycocotools_map(tmp_path / "coco" / run["instances"], tmp_path / "coco" / run["results"])
    assert rescored == pytest.approx(run["metrics"]["map"], abs=1e-3)
    bad = _bench("export", str(detection_store), "--detections", "--seed", "9", "--out", str(tmp_path / "bad"),
                 cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 2 and "--seed 9" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "bad").exists()


def test_export_of_a_classification_store_says_there_are_no_detections(synthetic_store: Path, tmp_path: Path) -> None:
    from bench.export_detections import export_detections

    with pytest.raises(BenchError, match="no successful run with stored detections"):
        export_detections(synthetic_store, tmp_path / "none")
    assert not (tmp_path / "none").exists()
