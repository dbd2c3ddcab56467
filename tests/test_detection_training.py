"""The detection task on the task contract: scripted network outputs become the expected
detections, metrics and stored arrays; the stored arrays re-score to the stored metrics;
bad detection settings are one line each; and (slow) a tiny SSD suite runs end to end
through ``bench run``."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

from bench.datasets.dataset import Dataset
from bench.datasets.detection_data import DetectionSplit
from bench.datasets.detection_splits import image_objects, pad_objects
from bench.detection.boxes import center_to_corner, iou_matrix
from bench.detection.encoding import encode
from bench.detection.evaluation import evaluate_detections
from bench.detection.items import map50_of, pack, ranked_matches, unpack
from bench.errors import BenchError
from bench.models import ssd
from bench.detection.views import PICTURE_IMAGES, SAMPLE_IMAGES
from bench.tasks.detection import Detection, multibox_loss

SHAPE = (32, 32, 1)
CONFIG = ssd.Config(
    backbone=[{"filters": 4, "convs": 1, "pool": False}, {"filters": 4, "convs": 1}, {"filters": 4, "convs": 1}],
    feature_blocks=[1, 2], aspect_ratios=[1.0, 0.5], s_min=0.2, s_max=0.6,
)  # fmt: skip
CLASSES = 3


def _dataset(objects: list[list[tuple[list[float], int]]]) -> Dataset:
    """A detection dataset whose test split holds ``objects`` per image (train = test)."""
    split = DetectionSplit(
        images=np.zeros((len(objects), *SHAPE), dtype=np.uint8),
        boxes=[np.asarray([b for b, _ in image], dtype=np.float32).reshape(-1, 4) for image in objects],
        labels=[np.asarray([c for _, c in image], dtype=np.int64) for image in objects],
        difficult=[np.zeros(len(image), dtype=bool) for image in objects],
    )
    targets = pad_objects(split)
    x = np.zeros((len(objects), *SHAPE), dtype=np.float32)
    return Dataset(name="scripted", x_train=x, x_val=x[:0], x_test=x,
                   targets={"train": targets, "val": {k: v[:0] for k, v in targets.items()}, "test": targets},
                   class_names=["a", "b", "c"])  # fmt: skip


def _outputs_for(detections: list[list[tuple[list[float], int, float]]]) -> np.ndarray:
    """Raw SSD outputs that decode to ``detections`` (box, class, score) per image: the
    default box that overlaps each box best carries it; every other box is background."""
    sizes = ssd.feature_sizes(CONFIG, SHAPE)
    anchors = ssd.anchors(CONFIG, SHAPE, sizes)
    raw = np.zeros((len(detections), anchors.shape[0], CLASSES + 1 + 4), dtype=np.float32)
    raw[..., 0] = 20.0  # background, surely
    for i, image in enumerate(detections):
        for box, label, score in image:
            normalised = np.asarray(box, dtype=np.float64) / SHAPE[0]
            best = int(iou_matrix(normalised[None], center_to_corner(anchors))[0].argmax())
            logits = np.full(CLASSES + 1, -20.0)
            logits[0] = 0.0
            logits[label + 1] = np.log(score / (1 - score))  # softmax over two live columns = score
            raw[i, best, : CLASSES + 1] = logits
            raw[i, best, CLASSES + 1 :] = encode(normalised[None], anchors[best : best + 1], CONFIG.variances)[0]
    return raw


def _bound() -> Detection:
    return Detection(CONFIG, ssd.feature_sizes(CONFIG, SHAPE))


TRUTH = [
    [([2.0, 2.0, 14.0, 18.0], 0), ([18.0, 4.0, 30.0, 20.0], 1)],
    [([8.0, 8.0, 24.0, 28.0], 2)],
    [],
]


def test_scripted_perfect_detections_score_one_and_are_stored_as_padded_arrays() -> None:
    data = _dataset(TRUTH)
    raw = _outputs_for([[(b, c, 0.9) for b, c in image] for image in TRUTH])
    evaluation = _bound().evaluate({"ssd": raw}, data)
    assert evaluation.metrics["map50"] == pytest.approx(1.0)
    assert evaluation.metrics["map50_voc07"] == pytest.approx(1.0)
    assert evaluation.metrics["map"] > 0.9
    items = dict(evaluation.items)
    samples = items.pop(SAMPLE_IMAGES)  # the first test images, for the report's picture
    assert samples.dtype == np.uint8 and samples.shape == (3, *SHAPE)  # fewer than PICTURE_IMAGES here
    assert {k: v.shape[0] for k, v in items.items()} == dict.fromkeys(items, 3)  # the store's equal-length rule
    assert items["gt_labels"].tolist() == [[0, 1], [2, -1], [-1, -1]]
    assert items["det_labels"][2].max() == -1  # the empty image: only padding
    gt, detections = unpack(items)
    assert [len(d["labels"]) for d in detections] == [2, 1, 0]
    np.testing.assert_allclose(detections[1]["boxes"][0], TRUTH[1][0][0], atol=1e-3)
    assert detections[0]["scores"] == pytest.approx([0.9, 0.9], abs=1e-4)


def test_a_wrong_class_and_a_missed_object_lower_map_as_voc_counts_them() -> None:
    data = _dataset(TRUTH)
    scripted = [
        [(TRUTH[0][0][0], 0, 0.8), (TRUTH[0][1][0], 2, 0.7)],  # second box: wrong class
        [],  # image 1's object missed
        [([4.0, 4.0, 12.0, 12.0], 1, 0.6)],  # a false positive on the empty image
    ]
    evaluation = _bound().evaluate({"ssd": _outputs_for(scripted)}, data)
    # class 0: one TP of one → AP 1; class 1: FP only, its object missed → 0; class 2: FP only → 0
    assert evaluation.metrics["map50"] == pytest.approx(1 / 3, abs=1e-6)
    gt, detections = unpack(evaluation.items)
    assert evaluate_detections(gt, detections, CLASSES)["map50"] == evaluation.metrics["map50"]


def test_ranked_matches_re_score_map50_and_weights_act_as_repeated_images() -> None:
    rng = np.random.default_rng(0)
    gt, detections = [], []
    for _ in range(12):
        count = int(rng.integers(0, 4))
        corners = rng.uniform(0, 20, (count, 2))
        boxes = np.concatenate([corners, corners + rng.uniform(4, 12, (count, 2))], axis=1)
        labels = rng.integers(0, CLASSES, count)
        gt.append({"boxes": boxes, "labels": labels, "difficult": rng.random(count) < 0.2})
        noisy = boxes + rng.normal(0, 1.5, boxes.shape)
        extra = np.concatenate([corners, corners + 6], axis=1)[: max(0, count - 1)]
        detections.append({"boxes": np.concatenate([noisy, extra]),
                           "labels": np.concatenate([labels, rng.integers(0, CLASSES, len(extra))]),
                           "scores": rng.random(count + len(extra))})  # fmt: skip
    items = pack(gt, detections)
    gt, detections = unpack(items)
    matches = ranked_matches(gt, detections, CLASSES)
    assert map50_of(matches, np.ones(12)) == pytest.approx(evaluate_detections(gt, detections, CLASSES)["map50"])
    weights = np.zeros(12)
    weights[[0, 3, 3, 7]] = 1  # image 3 twice
    weights[3] = 2
    repeated = [0, 3, 3, 7]
    expected = evaluate_detections([gt[i] for i in repeated], [detections[i] for i in repeated], CLASSES)["map50"]
    assert map50_of(matches, weights) == pytest.approx(expected)


@pytest.mark.slow
def test_test_loss_is_the_keras_multibox_loss() -> None:
    data = _dataset(TRUTH)
    y_true = _bound().fit_targets(data, "test")
    rng = np.random.default_rng(1)
    y_pred = rng.normal(0, 2, (*y_true.shape[:2], CLASSES + 1 + 4)).astype("float32")
    for negatives in ("hard", "all"):
        config = CONFIG.model_copy(update={"negatives": negatives})
        keras_value = float(ssd.make_loss(config, CLASSES)(y_true, y_pred))
        assert multibox_loss(y_true, y_pred, config, CLASSES) == pytest.approx(keras_value, rel=1e-5)


def test_ground_truth_objects_come_back_without_padding() -> None:
    objects = image_objects(_dataset(TRUTH), "test")
    assert [o["labels"].tolist() for o in objects] == [[0, 1], [2], []]


def test_an_unbound_task_or_another_family_is_refused_in_one_line() -> None:
    from bench.models.cnn import Config as CnnConfig

    with pytest.raises(BenchError, match="must be bound to its model first"):
        Detection().fit_targets(_dataset(TRUTH), "train")
    with pytest.raises(BenchError, match="trains SSD models; model family 'cnn' is not one"):
        Detection().bind(CnnConfig(blocks=[{"filters": 4}]), None)


# -- suites: one line for every bad setting --------------------------------------------------
def _suite(tmp_path: Path, dataset: str, model: str = "{family: ssd}") -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(f"""\
        name: det
        dataset: {dataset}
        train: {{epochs: 1, seeds: 1}}
        model: {model}
        """), encoding="utf-8")  # fmt: skip
    return path


@pytest.mark.parametrize("dataset,model,expected", [
    ("{name: mnist_det, mnist_det: {canvas_size: 24}}", "{family: ssd}",
     r"s\.yaml:2: dataset\.mnist_det: .*digit_size up to 36 px does not fit canvas_size 24"),
    ("{name: mnist_det, mnist_det: {digits_per_canvas: [3, 1]}}", "{family: ssd}",
     r"dataset\.mnist_det: .*digits_per_canvas \[3, 1\] must be \[min, max\]"),
    ("{name: mnist5k, mnist_det: {canvas_size: 64}}", "{family: ssd}",
     r"dataset\.mnist_det: .*settings for dataset mnist_det, but this dataset is 'mnist5k'"),
    ("{name: mnist_det}", "{family: ssd, feature_blocks: [0, 1]}",
     r"model: .*the last backbone map \(3\) must feed a head"),
    ("{name: mnist_det}", "{family: ssd, backbone: {family: keras_app, name: VGG16, weights: imagenet}}",
     r"model\.backbone\.weights: .*never downloads"),
    ("{name: mnist_det}", "{family: ssd, negatives: some}", r"model\.negatives: .*'hard' or 'all'"),
])  # fmt: skip
def test_bad_detection_settings_are_one_line(tmp_path: Path, dataset: str, model: str, expected: str) -> None:
    from bench.suite import load_suite

    with pytest.raises(BenchError) as caught:
        load_suite(_suite(tmp_path, dataset, model))
    message = str(caught.value)
    assert "\n" not in message
    assert re.search(expected, message), message


def _voc(root: Path, objects: str, size: str = "<width>40</width><height>30</height>") -> None:
    from PIL import Image

    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 30)).save(root / "JPEGImages" / "a.jpg")
    (root / "Annotations" / "a.xml").write_text(
        f"<annotation><filename>a.jpg</filename><size>{size}<depth>3</depth></size>{objects}</annotation>",
        encoding="utf-8",
    )
    for split in ("trainval", "test"):
        (root / "ImageSets" / "Main" / f"{split}.txt").write_text("a\n", encoding="utf-8")


BOX = "<bndbox><xmin>{}</xmin><ymin>2</ymin><xmax>{}</xmax><ymax>20</ymax></bndbox>"


@pytest.mark.parametrize("objects,expected", [
    (f"<object><name>dog</name>{BOX.format(2, 60)}</object>",
     r"a\.xml: object\[0\]/bndbox = \(2, 2, 60, 20\) is outside the image \(40×30\); allowed: 1 <= xmin"),
    (f"<object><name>unicorn</name>{BOX.format(2, 20)}</object>",
     r"a\.xml: object\[0\]/name = 'unicorn' is not in the label map; allowed: aeroplane, bicycle"),
])  # fmt: skip
def test_bad_voc_files_stop_bench_run_in_one_line_before_training(
    tmp_path: Path, objects: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.cli import main

    _voc(tmp_path / "VOC", objects)
    suite = _suite(tmp_path, f"{{name: voc, data_dir: {tmp_path / 'VOC'}, image_size: [32, 32]}}")
    store = tmp_path / "out" / "results.sqlite"
    code = main(["run", str(suite), "--store", str(store)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and re.search(expected, err), err
    assert not store.exists()


# -- end to end --------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_tiny_ssd_suite_runs_through_bench_run_and_stores_map50_and_detections(tmp_path: Path) -> None:
    from bench.cli import main
    from bench.store import ResultStore

    suite = tmp_path / "tiny.yaml"
    suite.write_text(textwrap.dedent("""\
        name: tiny-ssd
        dataset: {name: mnist_det, train_size: 64, test_size: 16, validation: 0.1,
                  mnist_det: {canvas_size: 24, digit_size: [8, 14], digits_per_canvas: [1, 2]}}
        train: {epochs: 1, batch_size: 16, learning_rate: 3.0e-3, lr_schedule: cosine, seeds: 1}
        model:
          family: ssd
          backbone: [{filters: 4, convs: 1, pool: false}, {filters: 8}, {filters: 8}]
          feature_blocks: [1, 2]
          aspect_ratios: [1.0, 0.5]
        variants:
          - name: scale-permuted
            set:
              model.backbone: {family: scale_permuted, stem: {filters: 4}, level_filters: [4, 8, 8],
                               blocks: [{level: 1}, {level: 2, output: true}, {level: 1, inputs: [0, 1], output: true}]}
              model.feature_blocks: null
        """), encoding="utf-8")  # fmt: skip
    store_path = tmp_path / "out" / "results.sqlite"
    assert main(["run", str(suite), "--store", str(store_path), "--jobs", "1", "--no-report"]) == 0
    store = ResultStore(store_path, create=False)
    runs = store.runs_frame()
    assert sorted(runs["variant"]) == ["base", "scale-permuted"] and set(runs["status"]) == {"ok"}
    for _, run in runs.iterrows():
        assert 0.0 <= run["map50"] <= 1.0 and run["flops"] > 0 and run["params"] > 0
        assert all(np.isfinite(run[m]) for m in ("map50_voc07", "map", "recall100", "loss"))
        items = store.predictions(run["key"])
        assert items["gt_boxes"].shape[0] == 16 and items["det_scores"].shape[0] == 16
        assert items[SAMPLE_IMAGES].shape == (PICTURE_IMAGES, 24, 24, 1) and items[SAMPLE_IMAGES].max() > 0
        gt, detections = unpack(items)
        assert evaluate_detections(gt, detections, 10)["map50"] == pytest.approx(run["map50"], abs=1e-12)
    store.close()
    # the trained runs' COCO JSON, scored by pycocotools, gives each run's stored map
    from test_detection_report import _pycocotools_map

    assert main(["export", str(store_path), "--detections", "--out", str(tmp_path / "coco")]) == 0
    index = json.loads((tmp_path / "coco" / "index.json").read_text())
    assert len(index["runs"]) == 2
    for entry in index["runs"]:
        rescored = _pycocotools_map(tmp_path / "coco" / entry["instances"], tmp_path / "coco" / entry["results"])
        assert rescored == pytest.approx(entry["metrics"]["map"], abs=1e-3)
