"""Hostile and careless suites: bombs, deep nesting, wrong types, control characters, bad data.

Every case answers with one line (file, line, key, value, what is allowed) and
exit status 2, before anything is built, trained or written.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from bench.cli import main
from bench.errors import BenchError
from bench.suite import load_suite

BASE = """\
name: hostile
dataset: {name: digits, train_size: 200, test_size: 100}
train: {epochs: 1, batch_size: 32, seeds: 1}
model:
  family: cnn
  blocks: [{filters: 4}]
"""


def validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(["validate", str(path)])
    captured = capsys.readouterr()
    return status, captured.err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# -- YAML that tries to make the loader work forever ------------------------------------------
def alias_bomb(levels: int = 9, fan_out: int = 10) -> str:
    text = "name: bomb\na0: &a0 [" + ", ".join(["x"] * fan_out) + "]\n"
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * fan_out)
        text += f"a{level}: &a{level} [{refs}]\n"
    return text


@pytest.mark.parametrize(
    "text, expected",
    [
        (alias_bomb(), "expands to more than 20,000 values"),
        ("name: x\nmodel: &m {family: cnn, blocks: [*m]}\n", "alias *m refers to a value that contains it"),
        ("name: x\nlist: &l [1, [2, *l]]\n", "(a cycle)"),
        ("name: x\nmodel: " + "[" * 50_000 + "]" * 50_000 + "\n", "nest"),
        ("name: x\nmodel: " + "{a: " * 60 + "1" + "}" * 60 + "\n", "nest"),
    ],
    ids=["alias-bomb", "self-alias", "cycle", "50000-brackets", "deep-mappings"],
)
def test_yaml_bombs_get_one_line(tmp_path: Path, capsys, text: str, expected: str) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    status, err = validate(path, capsys)
    assert status == 2
    line = one_line(err)
    assert line.startswith(f"bench: error: {path}") and expected in line


def test_depth_limit_holds_with_the_pure_python_loader(tmp_path: Path, monkeypatch) -> None:
    """Without libyaml the composer recurses: the event walk stops first."""
    from bench import limits

    monkeypatch.setattr(limits, "yaml_loader", lambda: yaml.SafeLoader)
    path = tmp_path / "deep.yaml"
    path.write_text("name: x\nmodel: " + "[" * 50_000 + "]" * 50_000 + "\n")
    with pytest.raises(BenchError, match=r"deep\.yaml:2: nested deeper than 50 levels"):
        load_suite(path)


def test_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    from bench.limits import MAX_SUITE_BYTES

    path = tmp_path / "huge.yaml"
    path.write_text(BASE + "# padding\n" * (MAX_SUITE_BYTES // 10 + 1))
    with pytest.raises(BenchError, match="larger than 1,000,000 bytes, the limit for a suite file"):
        load_suite(path)


def test_reasonable_aliases_still_work(write_suite) -> None:
    path = write_suite(
        BASE.replace("blocks: [{filters: 4}]", "blocks: [&b {filters: 4}, *b]")
        + "variants:\n  - name: wide\n    set:\n      model.blocks[*].filters: 8\n"
    )
    suite = load_suite(path)
    assert [b.filters for b in suite.variant("wide").config.model.blocks] == [8, 8]


def test_a_folder_or_binary_file_is_not_a_suite(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="is a folder, not a suite file"):
        load_suite(tmp_path)
    binary = tmp_path / "x.yaml"
    binary.write_bytes(b"name: x\n\xff\xfe\n")
    with pytest.raises(BenchError, match=r"x\.yaml:2: cannot read suite file: not UTF-8"):
        load_suite(binary)


# -- strict types and upper bounds -----------------------------------------------------------
@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("epochs: 1", "epochs: true", r":3: train.epochs: true is not allowed — must be a number, not true or false"),
        ("epochs: 1", 'epochs: "3"', r"train.epochs: \"3\" is not allowed — must be a number, not text"),
        ("epochs: 1", "epochs: 2.0", r"train.epochs: 2.0 is not allowed — must be a whole number"),
        ("epochs: 1", "epochs: 100000", r"train.epochs: 100000 is not allowed — must be at most 10,000"),
        ("batch_size: 32", "batch_size: 1000000", r"train.batch_size: 1000000 is not allowed — must be at most 65,536"),
        ("filters: 4", "filters: 100000", r"model.blocks\[0\].filters: 100000 is not allowed — must be at most 16,384"),
        ("test_size: 100}", "test_size: 100, image_size: [8, 100000]}", r"dataset.image_size\[1\]: 100000 is not allowed — must be at most 4,096"),
        ("seeds: 1}", "seeds: 1, max_minutes: .inf}", r"train.max_minutes: Infinity is not allowed — must be a finite number"),
        ("filters: 4}", "filters: 4, batch_norm: 1}", r"batch_norm: 1 is not allowed — must be true or false"),
    ],
)
def test_strict_types_and_bounds(write_suite, old: str, new: str, expected: str) -> None:
    path = write_suite(BASE.replace(old, new))
    with pytest.raises(BenchError, match=expected):
        load_suite(path)


def test_bounds_apply_to_variants_with_their_line(write_suite) -> None:
    path = write_suite(BASE + "variants:\n  - name: long\n    set: {train.epochs: true}\n")
    with pytest.raises(BenchError, match=r"suite.yaml:9: variant 'long': train.epochs: true is not allowed"):
        load_suite(path)


def test_min_effect_must_be_finite_and_grids_are_bounded(write_suite) -> None:
    with pytest.raises(BenchError, match=r"min_effect: .* is not allowed"):
        load_suite(write_suite("min_effect: .nan\n" + BASE))
    grid = "grid:\n" + "".join(
        f"  model.blocks[0].{key}: [{', '.join(str(v) for v in range(1, 12))}]\n"
        for key in ("filters", "convs", "kernel")
    )
    with pytest.raises(BenchError, match=r"grid: 11 × 11 × 11 = 1,331 cells is not allowed — at most 1,000"):
        load_suite(write_suite(BASE + grid))


# -- names that cannot break a view ----------------------------------------------------------
@pytest.mark.parametrize(
    "addition, expected",
    [
        ('variants:\n  - name: "red\\e[31m"\n', r"variants\[0\].name: .* contains ESC \(U\+001B\)"),
        ('variants:\n  - name: "ding\\a"\n', r"contains BEL \(U\+0007\)"),
        ('variants:\n  - name: "a\\0b"\n', r"contains NUL \(U\+0000\)"),
        ('variants:\n  - name: "two\\nlines"\n', r"variants\[0\].name"),
        ('title: "bell\\a"\n', r"title: .* contains BEL"),
        ('variants:\n  - name: ok\n    claim: {direction: up, note: "x\\e]0;pwned\\a"}\n', r"note: .* contains ESC"),
        ('profiles:\n  "q\\e": {train.epochs: 1}\n', r"profile name .* contains ESC"),
    ],
)
def test_control_characters_are_refused(write_suite, addition: str, expected: str) -> None:
    with pytest.raises(BenchError, match=expected) as caught:
        load_suite(write_suite(BASE + addition))
    assert "\x1b" not in str(caught.value) and "\x07" not in str(caught.value)


def test_descriptions_keep_their_line_breaks(write_suite) -> None:
    suite = load_suite(write_suite("description: |\n  line one\n  line two\n" + BASE))
    assert suite.description == "line one\nline two\n"


def test_markdown_text_is_inert() -> None:
    from bench.plaintext import markdown_link, markdown_text, safe_url

    assert markdown_text("<script>alert(1)</script>") == "&lt;script>alert(1)&lt;/script>"  # no tag can open
    assert markdown_text("[click](javascript:alert(1))") == "\\[click\\](javascript:alert(1))"  # no link: brackets escaped
    assert markdown_text("$\\foo$ _x_ ~y~") == "\\$\\foo\\$ \\_x\\_ \\~y\\~"  # "\\f" escapes nothing
    assert markdown_text("# not a heading") == "\\# not a heading"
    assert markdown_text("- not an item") == "\\- not an item" and markdown_text("1. no") == "1\\. no"
    assert markdown_text("-0.5 and #3 and 1.5") == "-0.5 and #3 and 1.5"  # nothing starts a block
    assert markdown_text("# in a cell", line_start=False) == "# in a cell"
    assert markdown_text("<javascript:alert(1)>").startswith("&lt;javascript:")
    assert markdown_text("a | b\nc") == "a \\| b c"
    assert markdown_text("*bold* _it_ `code`") == "\\*bold\\* \\_it\\_ \\`code\\`"
    assert markdown_text("plain words, 1.5 and 2:3") == "plain words, 1.5 and 2:3"
    assert markdown_text("p < 0.001, p_holm & blocks[0].kernel") == "p < 0.001, p_holm & blocks[0].kernel"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url(" JaVa\tScRiPt:alert(1)") is None
    assert safe_url("data:text/html,x") is None
    assert safe_url("https://example.org/a") == "https://example.org/a"
    assert safe_url("other/report.html") == "other/report.html"
    assert markdown_link("x", "javascript:alert(1)") == "x"
    assert markdown_link("a]b", "https://e.org/(x)") == "[a\\]b](https://e.org/%28x%29)"


def test_markdown_blocks_code_spans_and_fences_hold_any_text() -> None:
    from bench.plaintext import code_fence, markdown_block, markdown_code

    assert markdown_block("Intro\n===\n\n<b>x</b>") == "Intro\n\\===\n\n&lt;b>x&lt;/b>"  # no setext heading
    assert markdown_code("tiny") == "`tiny`" and markdown_code("a`b") == "``a`b``"
    assert markdown_code("`x") == "`` `x ``"
    assert code_fence("plain") == "```" and code_fence("x\n```\ny") == "````"


def test_plain_labels_never_reach_the_math_parser(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bench.plaintext import plain_label

    names = ["$\\foo$", "_hidden", "a_b $x", "\x1b[31mred"]
    fig, ax = plt.subplots()
    for index, name in enumerate(names):
        ax.plot([0, 1], [index, index], label=plain_label(name))
    ax.set_xticks([0, 1], [plain_label(names[0]), plain_label(names[2])])
    ax.set_title(plain_label("$\\frac{1}{$"))
    legend = ax.legend()
    fig.savefig(tmp_path / "labels.png")  # raw "$\foo$" raises ValueError in the math parser here
    plt.close(fig)
    assert len(legend.get_texts()) == len(names)  # the "_hidden" entry is shown
    assert plain_label("$\\foo$") == "\\$\\foo\\$"
    assert "\x1b" not in plain_label(names[3])


# -- data and builders, before anything trains -----------------------------------------------
def folder_suite(data_dir: Path, extra: str = "") -> str:
    return BASE.replace(
        "dataset: {name: digits, train_size: 200, test_size: 100}",
        f"dataset: {{name: folder, data_dir: '{data_dir}', image_size: [8, 8]{extra}}}",
    )


def make_image_folder(root: Path, classes: int) -> Path:
    from PIL import Image

    for index in range(classes):
        folder = root / f"class{index}"
        folder.mkdir(parents=True)
        Image.new("RGB", (4, 4), (index * 40, 0, 0)).save(folder / "a.png")
    return root


@pytest.mark.parametrize(
    "setup, expected",
    [
        ("missing", r"dataset.data_dir: .*absent does not exist; nothing was trained"),
        ("file", r"dataset.data_dir: .*a-file is a file, not a folder"),
        ("one-class", r"holds 1 class folder\(s\) with images .*need at least 2"),
        ("empty", r"holds 0 class folder\(s\)"),
        ("too-many-classes", r"dataset.classes: 5 is not allowed — .* has 2 class folders"),
    ],
)
def test_dataset_problems_stop_run_before_any_store_or_worker(
    write_suite, tmp_path: Path, setup: str, expected: str
) -> None:
    from bench.runner import run_suite

    data = tmp_path / "data"
    extra = ""
    if setup == "missing":
        data = tmp_path / "absent"
    elif setup == "file":
        data = tmp_path / "a-file"
        data.write_text("x")
    elif setup == "one-class":
        make_image_folder(data, 1)
    elif setup == "empty":
        data.mkdir()
    else:
        make_image_folder(data, 2)
        extra = ", classes: 5"
    suite = load_suite(write_suite(folder_suite(data, extra)))
    store = tmp_path / "store" / "results.sqlite"
    with pytest.raises(BenchError, match=expected):
        run_suite(suite, store, executor="no-such-executor")  # checked before the executor is made
    assert not store.parent.exists()


def test_keras_file_dataset_without_its_files(write_suite, tmp_path: Path, monkeypatch) -> None:
    from bench.runner import run_suite

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    empty = tmp_path / "empty"
    empty.mkdir()
    text = BASE.replace("name: digits, train_size: 200, test_size: 100", f"name: cifar10, data_dir: '{empty}'")
    with pytest.raises(BenchError, match=r"dataset 'cifar10': no cifar-10-batches-py/ or cifar-10-python.tar.gz in .*empty"):
        run_suite(load_suite(write_suite(text)), tmp_path / "r.sqlite")
    assert not (tmp_path / "r.sqlite").exists()


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10", "cifar100"])
def test_the_check_before_training_looks_where_the_loader_reads(name: str, tmp_path: Path, monkeypatch) -> None:
    """One table (the datasets' LAYOUTS) says where a Keras-file dataset's files lie: the check
    finds them in each place the loader reads, and names the same files when they are not there."""
    from bench.datachecks import data_problem
    from bench.datasets.config import DatasetConfig
    from bench.datasets.keras_files import LAYOUTS

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    layout = LAYOUTS[name]
    for index, sub in enumerate(layout.folders):
        root = tmp_path / f"data{index}"
        (root / sub).mkdir(parents=True)
        for file_name in layout.files:
            (root / sub / file_name).write_bytes(b"")
        assert data_problem(DatasetConfig(name=name, data_dir=str(root))) is None, sub
    for index, archive in enumerate(layout.archives):
        root = tmp_path / f"archive{index}"
        root.mkdir()
        (root / archive).write_bytes(b"")
        assert data_problem(DatasetConfig(name=name, data_dir=str(root))) is None, archive
    empty = tmp_path / "empty"
    empty.mkdir()
    assert layout.described in data_problem(DatasetConfig(name=name, data_dir=str(empty)))


def test_classes_beyond_a_known_dataset_fail_validation_with_a_line(write_suite, capsys) -> None:
    path = write_suite(BASE.replace("test_size: 100}", "test_size: 100, classes: 50}"))
    status, err = validate(path, capsys)
    assert status == 2
    assert one_line(err).endswith(
        "suite.yaml:2: dataset.classes: 50 is not allowed — dataset 'digits' has 10 classes"
    )


def test_python_builders_are_checked_without_importing_them(write_suite, tmp_path: Path, monkeypatch, capsys) -> None:
    marker = tmp_path / "imported"
    package = tmp_path / "mine"
    package.mkdir()
    (package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (package / "models.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "import keras\n"
        "def small(input_shape, num_classes):\n    return None\n"
        "if True:\n    def guarded(input_shape, num_classes):\n        return None\n"
    )
    (tmp_path / "broken_syntax.py").write_text("def f(:\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    def suite_with(builder: str) -> Path:
        return write_suite(
            BASE.replace("family: cnn\n  blocks: [{filters: 4}]", f"family: python\n  builder: '{builder}'")
        )

    for good in ("mine.models:small", "mine.models:guarded"):
        status, err = validate(suite_with(good), capsys)
        assert status == 0, err
    cases = {
        "mine.models:absent": "module 'mine.models' has no function 'absent'",
        "mine.nothing:f": "cannot import module 'mine.nothing'",
        "nowhere_at_all:f": "cannot import module 'nowhere_at_all'",
        "broken_syntax:f": "syntax error at line 1",
    }
    for builder, expected in cases.items():
        status, err = validate(suite_with(builder), capsys)
        assert status == 2 and expected in one_line(err), err
    assert not marker.exists()  # neither the package nor the module ran


def test_readme_states_the_limits_and_that_suites_are_code() -> None:
    from bench import limits

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert "suites are code" in readme.lower()
    for number in (limits.MAX_SUITE_BYTES, limits.MAX_YAML_DEPTH, limits.MAX_YAML_NODES, limits.MAX_GRID_CELLS):
        assert f"{number:,}" in readme, number
    for limit, _ in limits.CONFIG_LIMITS.values():
        assert f"{limit:,}" in readme, limit


def test_suite_text_fixture_is_valid(write_suite) -> None:
    assert load_suite(write_suite(textwrap.dedent(BASE))).name == "hostile"


@pytest.mark.parametrize("budget", ["inf", "nan", "-1"])
def test_run_budget_must_be_finite(tiny_suite: Path, capsys, budget: str) -> None:
    assert main(["run", str(tiny_suite), "--max-minutes", budget, "--no-report"]) == 2
    assert "--max-minutes" in one_line(capsys.readouterr().err)
