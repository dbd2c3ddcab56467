"""Detection data: generated mnist_det canvases, and VOC / COCO files written in their real formats."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench.datasets.coco import load_coco
from bench.datasets.mnist_det import MnistDetOptions, make_mnist_det
from bench.datasets.voc import load_voc
from bench.detection.boxes import iou_matrix
from bench.errors import BenchError

SMALL = MnistDetOptions(canvas_size=48, digits_per_canvas=(1, 3), digit_size=(10, 24), max_overlap=0.2,
                        train_canvases=120, test_canvases=40, split_seed=3)  # fmt: skip


@pytest.fixture(scope="module")
def small_mnist_det():
    return make_mnist_det(SMALL)


@pytest.mark.slow
def test_mnist_det_canvases_boxes_and_splits(small_mnist_det) -> None:
    data = small_mnist_det
    assert data.train.images.shape == (120, 48, 48, 1) and data.test.images.shape == (40, 48, 48, 1)
    assert data.class_names == [str(i) for i in range(10)]
    for split in (data.train, data.test):
        counts = [len(lab) for lab in split.labels]
        assert max(counts) <= 3 and min(counts) >= 1 and len(set(counts)) > 1
        for image, boxes in zip(split.images[..., 0], split.boxes):
            assert (boxes[:, :2] >= 0).all() and (boxes[:, 2:] <= 48).all()
            sides = (boxes[:, 2:] - boxes[:, :2]).max(axis=1)
            assert ((sides >= 10) & (sides <= 24)).all()  # the longer side is the digit size
            if len(boxes) > 1:
                overlaps = iou_matrix(boxes, boxes)[~np.eye(len(boxes), dtype=bool)]
                assert overlaps.max() <= 0.2 + 1e-9
            for x0, y0, x1, y1 in boxes.astype(int):  # tight: ink touches every edge of its box
                patch = image[y0:y1, x0:x1]
                assert patch[0].max() > 0 and patch[-1].max() > 0
                assert patch[:, 0].max() > 0 and patch[:, -1].max() > 0
            outside = image.copy()
            for x0, y0, x1, y1 in boxes.astype(int):
                outside[y0:y1, x0:x1] = 0
            assert outside.max() == 0  # no ink outside the boxes
    sources = data.info["source_digits"]
    train_digits = set(np.concatenate(sources["train"]).tolist())
    test_digits = set(np.concatenate(sources["test"]).tolist())
    assert train_digits and test_digits and not train_digits & test_digits


@pytest.mark.slow
def test_mnist_det_labels_are_the_digits_placed(small_mnist_det) -> None:
    from bench.datasets.mnist_det import _digit_crops  # mnist5k's labels, read once per process

    digit_labels = _digit_crops()[1]
    for split in ("train", "test"):
        for labels, sources in zip(getattr(small_mnist_det, split).labels, small_mnist_det.info["source_digits"][split]):
            assert labels.tolist() == digit_labels[sources].tolist()


@pytest.mark.slow
def test_mnist_det_is_deterministic_and_the_seed_matters(small_mnist_det) -> None:
    again = make_mnist_det(SMALL)
    np.testing.assert_array_equal(again.train.images, small_mnist_det.train.images)
    for a, b in zip(again.test.boxes, small_mnist_det.test.boxes):
        np.testing.assert_array_equal(a, b)
    other = make_mnist_det(MnistDetOptions(**{**SMALL.__dict__, "split_seed": 4}))
    assert not np.array_equal(other.train.images, small_mnist_det.train.images)


def test_mnist_det_refuses_digits_larger_than_the_canvas() -> None:
    with pytest.raises(BenchError, match=r"suite.yaml: dataset.*digit_size = \[12, 36\].*canvas_size \(32\)"):
        make_mnist_det(MnistDetOptions(canvas_size=32, digit_size=(12, 36)), where="suite.yaml: dataset")


# -- Pascal VOC ----------------------------------------------------------------------------
VOC_XML = """<annotation>
  <folder>VOC2007</folder><filename>{name}.jpg</filename>
  <size><width>{w}</width><height>{h}</height><depth>3</depth></size>
  {objects}
</annotation>"""
VOC_OBJECT = """<object><name>{cls}</name><pose>Unspecified</pose><truncated>0</truncated>
  <difficult>{difficult}</difficult>
  <bndbox><xmin>{b[0]}</xmin><ymin>{b[1]}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>"""


def write_voc(root: Path, images: dict[str, tuple[int, int, list[tuple[str, tuple[int, ...], int]]]],
              splits: dict[str, list[str]]) -> Path:  # fmt: skip
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name, (w, h, objects) in images.items():
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(root / "JPEGImages" / f"{name}.jpg")
        body = "\n".join(VOC_OBJECT.format(cls=c, b=b, difficult=d) for c, b, d in objects)
        (root / "Annotations" / f"{name}.xml").write_text(VOC_XML.format(name=name, w=w, h=h, objects=body))
    for split, ids in splits.items():
        (root / "ImageSets" / "Main" / f"{split}.txt").write_text("\n".join(ids) + "\n")
    return root


def test_voc_reads_resizes_scales_boxes_and_keeps_difficult(tmp_path: Path) -> None:
    root = write_voc(tmp_path / "VOC2007", {
        "000001": (200, 100, [("dog", (1, 1, 100, 50), 0), ("person", (101, 51, 200, 100), 1)]),
        "000002": (50, 80, [("cat", (11, 21, 30, 60), 0)]),
        "000003": (60, 60, []),
    }, {"trainval": ["000001", "000003"], "test": ["000002"]})  # fmt: skip
    split = load_voc(root, "trainval", image_size=100)
    assert split.images.shape == (2, 100, 100, 3) and split.ids == ["000001", "000003"]
    # 1-based inclusive (1, 1, 100, 50) covers pixels 0..99 × 0..49 -> corners (0, 0, 100, 50);
    # the 200×100 image becomes 100×100: x halves, y stays
    np.testing.assert_allclose(split.boxes[0], [[0, 0, 50, 50], [50, 50, 100, 100]])
    assert split.labels[0].tolist() == [11, 14] and split.difficult[0].tolist() == [False, True]
    assert split.boxes[1].shape == (0, 4)
    test = load_voc(root, "test", image_size=(40, 25))
    np.testing.assert_allclose(test.boxes[0], [[5, 10, 15, 30]])
    without = load_voc(root, "trainval", image_size=100, keep_difficult=False)
    assert without.labels[0].tolist() == [11]
    custom = load_voc(root, "trainval", image_size=32, class_names=["person", "dog"])
    assert custom.labels[0].tolist() == [1, 0]


@pytest.mark.parametrize("objects,message", [
    ([("dog", (1, 1, 120, 50), 0)], r"000001\.xml: object\[0\]/bndbox = \(1, 1, 120, 50\) is outside the image "
                                   r"\(100×80\); allowed: 1 <= xmin <= xmax <= width"),
    ([("dog", (1, 1, 10, 10), 0), ("unicorn", (1, 1, 5, 5), 0)],
     r"000001\.xml: object\[1\]/name = 'unicorn' is not in the label map; allowed: aeroplane, "),
])  # fmt: skip
def test_voc_bad_annotations_get_one_line_naming_file_and_key(tmp_path: Path, objects, message) -> None:
    root = write_voc(tmp_path / "voc", {"000001": (100, 80, objects)}, {"train": ["000001"]})
    with pytest.raises(BenchError, match=message) as caught:
        load_voc(root, "train", image_size=32)
    assert "\n" not in str(caught.value)


def test_voc_missing_split_names_the_splits_present(tmp_path: Path) -> None:
    root = write_voc(tmp_path / "voc", {"000001": (100, 80, [])}, {"train": ["000001"], "val": ["000001"]})
    with pytest.raises(BenchError, match=r"test\.txt: not found; allowed splits here: train, val"):
        load_voc(root, "test")


# -- COCO ----------------------------------------------------------------------------------
def write_coco(root: Path, annotations: list[dict]) -> tuple[Path, Path]:
    images_dir = root / "val2017"
    images_dir.mkdir(parents=True)
    rng = np.random.default_rng(1)
    images = [{"id": 42, "file_name": "a.jpg", "width": 64, "height": 32},
              {"id": 7, "file_name": "b.png", "width": 20, "height": 20}]  # fmt: skip
    for meta in images:
        pixels = rng.integers(0, 255, (meta["height"], meta["width"], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(images_dir / meta["file_name"])
    path = root / "annotations" / "instances_val2017.json"
    path.parent.mkdir()
    path.write_text(json.dumps({
        "images": images, "annotations": annotations,
        "categories": [{"id": 18, "name": "dog", "supercategory": "animal"},
                       {"id": 1, "name": "person", "supercategory": "person"}],
    }))  # fmt: skip
    return path, images_dir


def test_coco_reads_boxes_categories_crowd_and_empty_images(tmp_path: Path) -> None:
    path, images_dir = write_coco(tmp_path, [
        {"id": 1, "image_id": 42, "category_id": 18, "bbox": [8, 4, 16, 8], "area": 128, "iscrowd": 0},
        {"id": 2, "image_id": 42, "category_id": 1, "bbox": [0, 0, 64, 32], "area": 2048, "iscrowd": 1},
    ])  # fmt: skip
    split, names = load_coco(path, images_dir, image_size=16)
    assert names == ["person", "dog"]  # categories ordered by id
    assert split.images.shape == (2, 16, 16, 3) and split.ids == ["42", "7"]
    np.testing.assert_allclose(split.boxes[0], [[2, 2, 6, 6], [0, 0, 16, 16]])
    assert split.labels[0].tolist() == [1, 0] and split.difficult[0].tolist() == [False, True]
    assert split.boxes[1].shape == (0, 4)


def test_coco_category_missing_from_the_label_map(tmp_path: Path) -> None:
    path, images_dir = write_coco(tmp_path, [
        {"id": 1, "image_id": 7, "category_id": 3, "bbox": [1, 1, 5, 5], "area": 25, "iscrowd": 0}])  # fmt: skip
    with pytest.raises(BenchError, match=r"instances_val2017\.json: annotations\[0\]\.category_id = 3 is not in "
                                         r"the label map \('categories'\); allowed: 1, 18"):  # fmt: skip
        load_coco(path, images_dir)


def test_coco_box_outside_its_image(tmp_path: Path) -> None:
    path, images_dir = write_coco(tmp_path, [
        {"id": 1, "image_id": 7, "category_id": 1, "bbox": [10, 10, 15, 5], "area": 75, "iscrowd": 0}])  # fmt: skip
    with pytest.raises(BenchError, match=r"annotations\[0\]\.bbox = \[10, 10, 15, 5\] is outside image 7 \(20×20\)"):
        load_coco(path, images_dir)
