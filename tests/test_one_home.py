"""One home for every metric, word, status and file name, and views that follow them.

A metric registered in the table shows up, with its label, unit and direction, in every
view in both languages; a Russian report or diff holds no English word of the catalog
beyond what the user wrote; bench has no import cycle; and the facts that must live in
one module do.
"""

from __future__ import annotations

import ast
import functools
import html.parser
import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from bench import metrics
from bench.cli import main
from bench.metrics import Direction, Kind, Metric
from bench.plaintext import markdown_text
from bench.report import render_report
from conftest import TINY_SUITE, build_synthetic_store

BENCH = Path(__file__).resolve().parents[1] / "bench"
LABELS = {"en": "error rate", "ru": "доля ошибок"}
THREE_SEEDS = TINY_SUITE.replace("seeds: 2", "seeds: 3")
# tanh is clearly worse: fewer right answers, so a higher error rate
ACCURACIES = {"base": [0.95, 0.96, 0.97], "tanh": [0.60, 0.62, 0.61]}


@pytest.fixture
def error_rate():
    """``error_rate`` (lower is better) in the metric table for one test, then gone again."""
    metrics.register(Metric("error_rate", Kind.FRACTION, Direction.LOWER, dict(LABELS)))
    yield "error_rate"
    metrics.unregister("error_rate")


@pytest.fixture
def error_store(tmp_path: Path, error_rate: str) -> Path:
    return build_synthetic_store(
        tmp_path / "reports" / "tiny" / "results.sqlite", THREE_SEEDS, accuracies=ACCURACIES,
        extra_metrics={error_rate: lambda accuracy: 1.0 - accuracy},
    )  # fmt: skip


def _table_after(md: str, heading: str) -> list[list[str]]:
    """The first Markdown table after ``heading``: its header row and body rows, as cells."""
    section = md[md.index(heading) :]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    block = []
    for line in lines:
        block.append([cell.strip() for cell in line.strip("|").split(" | ")])
        if len(block) > 1 and not section[section.index(line) + len(line) :].lstrip(" ").startswith("\n|"):
            break
    return [row for row in block if not set("".join(row)) <= set("-:|")]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_registered_metric_shows_in_every_view(error_store: Path, tmp_path: Path, capsys, lang: str) -> None:
    label = LABELS[lang]
    heading = {"en": "## Results", "ru": "## Результаты"}[lang]

    # the report: results table (label, ↓, values in %), HTML column facts, a figure
    md_path, html_path = render_report(error_store, out_dir=tmp_path / lang, lang=lang)
    md, page = md_path.read_text(), html_path.read_text()
    header, *rows = _table_after(md, heading)
    column = header.index(f"{label} ↓")
    base = next(r for r in rows if r[0].startswith("base"))
    assert re.match(r"\d\.\d% ± \d\.\d (pp|п\.п\.)$", base[column]), base[column]  # a few %
    assert f'data-metric="error_rate" data-direction="lower" title="%">{label} ↓</th>' in page
    figures = re.findall(r"^### (.+)$", md, re.MULTILINE)
    assert any(label in title.lower() for title in figures), figures

    # bench diff: the terminal table, Markdown and JSON say the same, and tanh's higher error
    # rate is worse because lower is better
    worse = {"en": "worse", "ru": "хуже"}[lang]
    assert main(["diff", str(error_store), "base", "tanh", "--lang", lang]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(f"{label} ↓"))
    assert re.search(r" \d\.\d% +[34]\d\.\d% ", line) and line.rstrip().endswith(worse), line
    assert main(["diff", str(error_store), "base", "tanh", "--lang", lang, "--format", "md"]) == 0
    row = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(f"| {label} ↓"))
    assert "(%)" in row and re.search(r"\| \d\.\d% \| [34]\d\.\d% \|", row) and row.endswith(f"| {worse} |"), row
    assert main(["diff", str(error_store), "base", "tanh", "--lang", lang, "--format", "json"]) == 0
    found = next(r for r in json.loads(capsys.readouterr().out)["rows"] if r["metric"] == "error_rate")
    assert (found["label"], found["unit"], found["direction"]) == (label, "%", "lower")
    assert found["verdict"] == "worse" and found["higher_is_better"] is False

    # bench export: a column of values, and what the column is
    assert main(["export", str(error_store), "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert all(abs(r["error_rate"] + r["accuracy"] - 1) < 1e-9 for r in records)
    assert main(["export", str(error_store), "--metrics", "--lang", lang, "--format", "json"]) == 0
    described = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert (described["error_rate"]["label"], described["error_rate"]["unit"]) == (label, "%")
    assert (described["error_rate"]["direction"], described["error_rate"]["kind"]) == ("lower", "fraction")


@pytest.mark.slow
def test_the_metric_is_gone_once_unregistered(error_store: Path, tmp_path: Path) -> None:
    metrics.unregister("error_rate")
    md = render_report(error_store, out_dir=tmp_path / "after")[0].read_text()
    assert "error rate ↓" not in md  # shown under its own name only, without a direction
    assert "error rate" in md


# -- a Russian report and diff hold no English word of the catalog ------------------------------
class _Text(html.parser.HTMLParser):
    """The visible text of a page (no scripts, styles or markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _visible(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join(parser.parts)


def _user_texts(value: Any) -> Iterator[str]:
    """Every key and value a user wrote (the suite as stored), as text."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _user_texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _user_texts(item)
    elif value is not None:
        yield str(value)
        yield json.dumps(value)


def _english_words() -> set[str]:
    """Latin words of the English catalog that the Russian catalog never uses."""
    from bench.words import en, ru

    def latin(texts: Any) -> set[str]:
        return {w.lower() for t in texts for w in re.findall(r"[A-Za-z]{2,}", re.sub(r"\{[^}]*\}", " ", t))}

    return latin(en.WORDS.values()) - latin(ru.WORDS.values())


#: A suite manifest with every field the report's appendix summarizes (a dirty tree, a GPU).
MANIFEST = {
    "project": {"commit": "0123456789abcdef", "dirty": True, "diff_sha256": "feedfacecafe0000"},
    "suite": {"sha256": "ab" * 32},
    "dataset": {"name": "digits", "fingerprint": "cd" * 8},
    "packages": {"numpy": "1.26.4", "keras": "3.3.3"},
    "platform": {"python": "3.11.7", "system": "Linux"},
    "cpu": {"model": "Xeon 8480", "cores": 8, "usable_cores": 2, "flags": "sse avx2"},
    "gpus": [{"name": "H100", "driver": "550.54"}],
    "parallelism": {"threads": 2, "workers": 1},
    "determinism": {"op_determinism": True},
}


def _with_suite_manifest(store_path: Path) -> None:
    from bench.store import ResultStore

    with ResultStore(store_path) as store:
        definition = store.suite_definition()
        runs = store.runs_frame()
        store.save_suite(
            definition["name"], definition["title"], definition["source"], definition,
            [(r["variant"], int(r["seed"]), r["key"]) for r in runs.to_dict("records")], manifest=MANIFEST,
        )  # fmt: skip


@pytest.mark.slow
def test_russian_report_and_diff_hold_no_english_catalog_word(tmp_path: Path, capsys) -> None:
    from bench import results

    store = build_synthetic_store(tmp_path / "reports" / "tiny" / "results.sqlite", THREE_SEEDS,
                                  accuracies=ACCURACIES)  # fmt: skip
    _with_suite_manifest(store)  # the appendix's words are checked too
    md_path, html_path = render_report(store, out_dir=tmp_path / "ru", lang="ru")
    texts = {"report.md": md_path.read_text(), "report.html": _visible(html_path.read_text())}
    assert "Манифест воспроизводимости" in texts["report.md"] and "ядер: 2" in texts["report.html"]
    for fmt in ("table", "md", "html"):
        assert main(["diff", str(store), "base", "tanh", "--lang", "ru", "--format", fmt]) == 0
        out = capsys.readouterr().out
        texts[f"diff {fmt}"] = _visible(out) if fmt == "html" else out

    found = results.load(store)
    environment = found.environment()
    written = set(_user_texts(found.definition)) | {str(store), str(store.parent), str(found.path)}
    written |= {environment.host or "", environment.cpu or "", *environment.versions}
    written |= {"bench", "FLOPs", "MACs", "McNemar"}  # names, not words
    written |= {"Xeon", "Linux", "Python", "numpy", "keras", "H100", "sha256", "diff"}  # the manifest's names
    english = _english_words()
    for name, text in texts.items():
        text = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)  # the configurations as YAML
        text = re.sub(r"\]\([^)]*\)", "]", text)  # figure file names
        for piece in sorted(written, key=len, reverse=True):
            if piece:  # as written, and as report.md escapes it (train\_size)
                text = text.replace(piece, " ").replace(markdown_text(piece, line_start=False), " ")
        leftover = sorted({w.lower() for w in re.findall(r"[A-Za-z]{2,}", text)} & english)
        assert not leftover, f"{name}: English words {leftover}"


# -- structure ---------------------------------------------------------------------------------
def _modules() -> dict[str, Path]:
    out = {}
    for path in BENCH.rglob("*.py"):
        parts = path.relative_to(BENCH.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _module_level_imports(tree: ast.Module, name: str, is_package: bool, known: set[str]) -> set[str]:
    """bench modules imported when ``name`` is imported (not inside functions or TYPE_CHECKING)."""
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If):
                test = ast.unparse(node.test)
                if "TYPE_CHECKING" not in test:
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name in known)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    package = name if is_package else name.rpartition(".")[0]
                    for _ in range(node.level - 1):
                        package = package.rpartition(".")[0]
                    base = f"{package}.{base}" if base else package
                if base in known:
                    found.add(base)
                for alias in node.names:
                    if f"{base}.{alias.name}" in known:
                        found.add(f"{base}.{alias.name}")

    visit(tree.body)
    return found - {name}


def test_bench_has_no_import_cycle() -> None:
    modules = _modules()
    known = set(modules)
    graph = {
        name: _module_level_imports(ast.parse(path.read_text()), name, path.name == "__init__.py", known)
        for name, path in modules.items()
    }
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if nxt not in state:
                walk(nxt)
        path.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name)


def _constants(path: Path) -> tuple[str, ...]:
    """The string constants of a module, docstrings left out (they describe, they decide nothing)."""
    return _constants_of(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=None)
def _constants_of(path: str, _mtime: int) -> tuple[str, ...]:
    return tuple(_string_constants(Path(path)))


def _string_constants(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }  # fmt: skip
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.value


def _modules_writing(predicate: Any) -> set[str]:
    return {
        str(path.relative_to(BENCH.parent))
        for path in BENCH.rglob("*.py")
        if any(predicate(text) for text in _constants(path))
    }


@pytest.mark.slow
def test_the_store_file_name_is_written_in_one_module() -> None:
    assert _modules_writing(lambda s: "results.sqlite" in s) == {"bench/layout.py"}


def test_run_statuses_are_written_in_one_module() -> None:
    from bench.status import Status

    for status in Status:
        if status is Status.OK:
            continue  # "ok" is a common word; the other statuses name only statuses
        writing = _modules_writing(lambda s, v=status.value: s == v)
        # the catalogs hold the *words* for statuses (English "failed" is spelled like the value)
        assert {m for m in writing if not m.startswith("bench/words/")} <= {"bench/status.py"}, status


@pytest.mark.slow
def test_metric_facts_live_in_the_metric_table_and_the_tasks() -> None:
    owners = {"bench/metrics.py"} | {
        str(p.relative_to(BENCH.parent)) for p in (BENCH / "tasks").glob("*.py")
    }
    # metrics are defined (directions and labels given) only by the table and the tasks
    defining = set()
    for path in BENCH.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            called = ast.unparse(node.func) if isinstance(node, ast.Call) else ""
            if called in ("Metric", "_common", "metrics.Metric", "metric_table.Metric"):
                defining.add(str(path.relative_to(BENCH.parent)))
    assert defining <= owners, defining - owners
    # and every label that is not also the metric's name is written in one module only
    for metric in metrics.all_metrics():
        for lang, label in metric.labels.items():
            if label == metric.name:
                continue
            writing = _modules_writing(lambda s, text=label: s == text)
            assert len(writing) == 1 and writing <= owners, (metric.name, lang, writing)
    # no second table of metric facts under another name
    old_tables = ("LOWER_IS_BETTER", "_LOWER_IS_BETTER", "_FRACTION_METRICS", "METRIC_LABELS",
                  "RESULT_METRICS", "VARIANT_METRICS", "STORE_METRICS", "METRICS")  # fmt: skip
    for path in BENCH.rglob("*.py"):
        assigned = {
            target.id
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, (ast.Assign, ast.AnnAssign))
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name)
        }
        assert not assigned & set(old_tables), (path, assigned & set(old_tables))
