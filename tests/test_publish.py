"""bench publish: the static site, its links, its escaping, and the local preview server.

One site is built per test session (stores made without training) and shared with
tests/test_browser.py, which opens the same pages in chromium.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from bench.errors import BenchError
from conftest import TINY_SUITE, build_synthetic_store

EVIL = "<script>alert(1)</script>"
EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
EVIL_SUITE = (
    TINY_SUITE.replace("seeds: 2", "seeds: 3")
    .replace("name: tanh", f'name: "{EVIL}"')
    .replace(
        "claim: {metric: accuracy, direction: same}",
        f'claim: {{metric: accuracy, direction: same, note: "{EVIL}"}}',
    )
)
ACCURACIES = {"base": [0.80, 0.82, 0.81], EVIL: [0.90, 0.91, 0.92]}


# Only a guard against a hung process, never a speed requirement: a loaded machine may take
# a minute to start Python, import bench and answer.
HANG_GUARD_S = 600


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """reports/evil (a store, re-rendered), reports/copied (only a Russian report.html), a diff."""
    from bench.publish import publish_site
    from bench.report import render_report

    root = tmp_path_factory.mktemp("published")
    reports = root / "reports"
    build_synthetic_store(
        reports / "evil" / "results.sqlite", EVIL_SUITE, ACCURACIES, suite_dir=root / "s1"
    )
    other = build_synthetic_store(
        root / "elsewhere" / "results.sqlite",
        EVIL_SUITE.replace("name: tiny", "name: copied").replace("Tiny suite", "Copied suite"),
        ACCURACIES, suite_dir=root / "s2",
    )  # fmt: skip
    render_report(other, out_dir=reports / "copied", lang="ru")
    publish_site(reports, root / "site", diff=[other, reports / "evil" / "results.sqlite"])
    return root / "site"


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


@pytest.mark.slow
def test_site_has_an_index_a_page_per_suite_and_a_diff(published: Path) -> None:
    assert {p.relative_to(published).as_posix() for p in html_pages(published)} == {
        "index.html", "evil/report.html", "copied/report.html", "diff.html",
    }  # fmt: skip
    index = (published / "index.html").read_text(encoding="utf-8")
    assert re.search(r"\b9\d\.\d% \(accuracy\)", index)  # the best variant's accuracy
    for text in (
        "Tiny suite",
        "Copied suite",
        "digits",
        EVIL_ESCAPED,
        "6 / 6",
        'href="evil/report.html"',
        'href="copied/report.html"',
        'href="diff.html"',
    ):
        assert text in index, text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", index)  # when the last run finished
    assert (published / "evil" / "figures" / "accuracy.png").stat().st_size > 1000
    assert (published / "copied" / "figures" / "accuracy.png").is_file()
    assert not list(published.rglob("*.sqlite*"))  # stores are never published
    for page in ("evil/report.html", "copied/report.html", "diff.html"):
        text = (published / page).read_text(encoding="utf-8")
        assert re.search(r'<nav class="site"[^>]*>\s*<a href="(\.\./)?index.html">', text), page


@pytest.mark.slow
def test_every_page_is_self_contained_and_escapes_user_text(published: Path) -> None:
    for page in html_pages(published):
        text = page.read_text(encoding="utf-8")
        assert "<script>alert(1)" not in text, page
        assert EVIL_ESCAPED in text, page
        assert len(re.findall(r"<script\b", text)) <= 1, page  # at most our own small script
        # nothing loads from elsewhere: no absolute URLs in src/href, no @import, no CDN
        external = re.search(r"""\b(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.IGNORECASE)
        assert not external, page
        assert "@import" not in text and "http://" not in text and "https://" not in text, page
        for link in re.findall(r'\b(?:src|href)="([^"#]+)"', text):
            if not link.startswith("data:"):
                assert (page.parent / link).is_file(), (page, link)


@pytest.mark.slow
def test_copied_report_keeps_its_language_and_metadata(published: Path) -> None:
    import json

    entries = {e["suite"]: e for e in json.loads((published / "site.json").read_text())}
    assert entries["copied"]["source"] == "copy" and entries["copied"]["lang"] == "ru"
    assert entries["copied"]["best_variant"] == EVIL and entries["copied"]["runs_ok"] == 6
    assert entries["tiny"]["source"] == "store" and entries["tiny"]["best_value"] > 0.85
    assert "Все отчёты" in (published / "copied" / "report.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_seed_rows_are_in_the_site_report(published: Path) -> None:
    text = (published / "evil" / "report.html").read_text(encoding="utf-8")
    assert text.count('<tr class="seed">') == 6 and 'id="show-seeds"' in text


@pytest.mark.slow
def test_base_url_sets_canonical_links_and_keeps_relative_ones(
    synthetic_store: Path, tmp_path: Path
) -> None:
    from bench.publish import publish_site

    index = publish_site(
        synthetic_store.parent.parent, tmp_path / "site", base_url="https://example.org/bench"
    )
    text = index.read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://example.org/bench/index.html">' in text
    assert 'href="tiny/report.html"' in text
    report = (tmp_path / "site" / "tiny" / "report.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://example.org/bench/tiny/report.html">' in report
    assert 'href="../index.html"' in report
    for bad in ("example.org", "ftp://x/", "https://x/ <script>"):
        with pytest.raises(BenchError, match="--base-url"):
            publish_site(synthetic_store.parent.parent, tmp_path / "site", base_url=bad)


@pytest.mark.slow
def test_publishing_again_drops_pages_of_suites_that_are_gone(
    published: Path, tmp_path: Path
) -> None:
    import shutil

    from bench.publish import publish_site

    reports = tmp_path / "reports"
    shutil.copytree(published / "copied", reports / "kept")
    shutil.copytree(published / "copied", reports / "gone")
    site = tmp_path / "site"
    publish_site(reports, site)
    assert (site / "gone" / "report.html").is_file()
    shutil.rmtree(reports / "gone")
    (site / "mine.txt").write_text("not ours")
    publish_site(reports, site)
    assert not (site / "gone").exists() and (site / "kept" / "report.html").is_file()
    assert (site / "mine.txt").is_file()


def test_publish_mistakes_are_one_line_errors(synthetic_store: Path, tmp_path: Path) -> None:
    from bench.publish import publish_site

    reports = synthetic_store.parent.parent
    with pytest.raises(BenchError, match="no such folder"):
        publish_site(tmp_path / "nope", tmp_path / "site")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BenchError, match="no reports found"):
        publish_site(tmp_path / "empty", tmp_path / "site")
    with pytest.raises(BenchError, match="outside"):
        publish_site(reports, reports / "site")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(BenchError, match="not a bench site"):
        publish_site(reports, tmp_path / "busy")
    with pytest.raises(BenchError, match="--lang"):
        publish_site(reports, tmp_path / "site", lang="de")


@pytest.mark.slow
def test_serve_answers_on_localhost_and_stops(published: Path) -> None:
    from bench.publish import serve

    server = serve(published, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=HANG_GUARD_S) as answer:
            assert answer.status == 200 and b"Tiny suite" in answer.read()
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/evil/report.html", timeout=HANG_GUARD_S
        ) as answer:
            assert b"../index.html" in answer.read()
    finally:
        server.shutdown()
        server.server_close()
    thread.join(timeout=HANG_GUARD_S)
    assert not thread.is_alive()
    with pytest.raises(BenchError, match="no index.html"):
        serve(published / "evil", 0)


@pytest.mark.slow
def test_cli_publish_serve_runs_until_ctrl_c(published: Path, tmp_path: Path) -> None:
    """`bench publish --serve --port 0` in a subprocess: fetch the index, then Ctrl-C (SIGINT)."""
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "only-html").mkdir()
    (reports / "only-html" / "report.html").write_text(
        "<!DOCTYPE html><html lang=en><head><title>Old report</title></head>"
        "<body><h1>Old report</h1></body></html>"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bench", "publish", str(reports), "--out", str(tmp_path / "site"),
         "--serve", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = None
        for line in process.stdout:  # type: ignore[union-attr]
            match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
            if match:
                url = match.group(1)
                break
        assert url, process.stderr.read()  # type: ignore[union-attr]
        with urllib.request.urlopen(url + "index.html", timeout=HANG_GUARD_S) as answer:
            page = answer.read().decode()
        assert "Old report" in page and 'href="only-html/report.html"' in page
        with urllib.request.urlopen(url + "only-html/report.html", timeout=HANG_GUARD_S) as answer:
            assert "../index.html" in answer.read().decode()
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=HANG_GUARD_S)
    assert process.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err


@pytest.mark.slow
def test_cli_publish_writes_the_site(synthetic_store: Path, tmp_path: Path, capsys) -> None:
    from bench.cli import main

    site = tmp_path / "site"
    assert (
        main(["publish", str(synthetic_store.parent.parent), "--out", str(site), "--lang", "ru"])
        == 0
    )
    assert f"site: {site / 'index.html'}" in capsys.readouterr().out
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ru">' in index and "Отчёты" in index
    assert main(["publish", str(tmp_path / "missing"), "--out", str(site)]) == 2
    assert "bench: error: " in capsys.readouterr().err
