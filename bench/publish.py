"""``bench publish``: every report under a folder as one static site.

The site is plain files that open from ``file://`` with no network: an
``index.html`` listing the suites (title, dataset, date, best variant, runs), one
page per suite and, when asked, a diff page.  A suite whose results store is
present (``reports/<suite>/results.sqlite``) is re-rendered from the store, so its
page links back to the index and can show each seed; a folder with only a
``report.html`` is copied as it is, with a link back added.  Pages carry their
CSS inline and their figures as ``data:`` URIs (the PNGs are copied beside them
too); the only scripts are a few lines that sort tables and filter the index.

Like every verb but ``run``, this never imports TensorFlow.
"""

from __future__ import annotations

import datetime as dt
import functools
import html as html_lib
import http.server
import json
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import bench
from bench import words
from bench.errors import BenchError
from bench.status import Status
from bench.files import make_folder, write_text_atomic
from bench.layout import REPORT_HTML as REPORT_NAME
from bench.layout import REPORTS_DIR
from bench.layout import STORE_FILENAME as STORE_NAME

__all__ = ["SiteEntry", "find_reports", "publish_site", "serve"]


@dataclass
class SiteEntry:
    """One suite's line on the index page."""

    slug: str  # the page's folder inside the site
    title: str
    suite: str
    dataset: str = "—"
    date: str = "—"  # when its last run finished (or the report was written), YYYY-MM-DD HH:MM
    best_variant: Optional[str] = None
    best_metric: Optional[str] = None  # the metric the best variant is best on (the task's first)
    best_value: Optional[float] = None
    best_text: str = "—"  # that value with its label, in the entry's language
    runs_ok: Optional[int] = None
    runs_planned: Optional[int] = None
    runs_failed: int = 0  # failed, diverged, over budget
    runs_damaged: int = 0  # stored but unreadable
    lang: str = "en"
    source: str = "store"  # "store": re-rendered; "copy": an existing report.html copied
    origin: str = ""  # where it came from, for messages

    @property
    def href(self) -> str:
        return f"{self.slug}/{REPORT_NAME}"


@dataclass
class _Found:
    folder: Path
    store: Optional[Path] = None
    suites: list[str] = field(default_factory=list)


def find_reports(reports_dir: str | Path) -> list[_Found]:
    """Every sub-folder of ``reports_dir`` holding a results store or a report.html."""
    root = Path(reports_dir)
    if not root.is_dir():
        raise BenchError(f"{reports_dir}: no such folder; give the folder that holds your reports")
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        store = folder / STORE_NAME
        if store.is_file():
            from bench import results

            names = results.suite_names(store)
            if names:
                found.append(_Found(folder, store, names))
                continue
        if (folder / REPORT_NAME).is_file():
            found.append(_Found(folder))
    return found


def publish_site(
    reports_dir: str | Path = REPORTS_DIR,
    out: str | Path = "site",
    *,
    base_url: Optional[str] = None,
    lang: Optional[str] = None,
    templates: Optional[str | Path] = None,
    diff: Optional[Sequence[str | Path]] = None,
) -> Path:
    """Build the site in ``out`` and return the path of its index.html.

    ``base_url`` is where the site will be hosted (``https://example.org/bench/``): it
    becomes each page's canonical link; every link between pages stays relative, so the
    site also works from disk or under any other path.  ``lang`` forces the language of
    every page (default: each suite's own, and English for the index).  ``diff`` is
    ``(OLD_STORE, NEW_STORE)`` for an extra page comparing two measurements of a suite.
    """
    lang = words.check_lang(lang) if lang else None
    base_url = _check_base_url(base_url)
    if Path(out).exists() and not Path(out).is_dir():
        raise BenchError(f"--out {out}: is a file, not a folder; give a folder for the site")
    shown_index = Path(out) / "index.html"
    out = Path(out).resolve()  # every check and every delete below is on the real path
    reports_root = Path(reports_dir)
    found = find_reports(reports_root)
    if not found and not diff:
        raise BenchError(
            f"{reports_dir}: no reports found (looked for */{STORE_NAME} and */{REPORT_NAME}); "
            "run `bench run SUITE` first"
        )
    if out.resolve() == reports_root.resolve() or reports_root.resolve() in out.resolve().parents:
        raise BenchError(f"--out {out}: must be outside {reports_dir}, which it would publish")
    if out.exists() and any(out.iterdir()) and not (out / "index.html").is_file():
        raise BenchError(
            f"--out {out}: the folder exists and is not a bench site (no index.html); "
            "choose an empty or new folder"
        )
    make_folder(out)
    environment = _environment(templates)

    entries: list[SiteEntry] = []
    slugs: set[str] = set()
    for item in found:
        if item.store is not None:
            for suite in item.suites:
                slug = _unique(item.folder.name if len(item.suites) == 1 else suite, slugs)
                entries.append(
                    _render_suite(environment, item.store, suite, out / slug, slug, lang, base_url)
                )
        else:
            slug = _unique(item.folder.name, slugs)
            entries.append(_copy_report(item.folder, out / slug, slug, lang))

    diff_page = None
    if diff:
        diff_page = _render_diff(diff, out, lang, base_url, templates)

    index_lang = lang or "en"
    template = environment.get_template("site/index.html.j2")
    page = template.render(
        lang=index_lang,
        entries=[_entry_view(e) for e in sorted(entries, key=lambda e: e.title.lower())],
        diff_page=diff_page,
        generated_at=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        bench_version=bench.__version__,
        canonical=(base_url + "index.html") if base_url else None,
    )
    index = out / "index.html"
    write_text_atomic(index, page)
    _remove_stale_pages(out, {e.slug for e in entries})
    stale_diff = out / "diff.html"
    if not diff_page and (stale_diff.is_symlink() or stale_diff.is_file()):
        stale_diff.unlink()  # a link itself, never what it points to
    write_text_atomic(
        out / "site.json",
        json.dumps([asdict(e) | {"href": e.href} for e in entries], indent=2, ensure_ascii=False),
    )
    return shown_index


# -- pages ----------------------------------------------------------------------------------
def _environment(templates: Optional[str | Path]) -> Any:
    from bench.tables import template_environment

    return template_environment(templates)


def _render_suite(
    environment: Any,
    store_path: Path,
    suite: str,
    page_dir: Path,
    slug: str,
    lang: Optional[str],
    base_url: Optional[str],
) -> SiteEntry:
    """The suite's report re-rendered into the site, with a way back to the index."""
    from bench import formatting, results
    from bench import metrics as metric_table
    from bench.report import build_context
    from bench.tables import render

    final_dir, page_dir = page_dir, _new_page_dir(page_dir)
    try:
        found = results.load(store_path, suite)
        context = build_context(found, page_dir, lang, seeds=True)
    except BaseException:
        _discard_page_dir(page_dir)
        raise
    context["site"] = {
        "index": "../index.html",
        "canonical": f"{base_url}{slug}/{REPORT_NAME}" if base_url else None,
    }
    try:
        page = render(environment, "report.html.j2", context)
    except BaseException:
        _discard_page_dir(page_dir)
        raise
    write_text_atomic(page_dir / REPORT_NAME, page)
    _swap_in(page_dir, final_dir)

    last = found.last_finished()
    when = dt.datetime.fromtimestamp(last).strftime("%Y-%m-%d %H:%M") if last is not None else "—"
    best = context["best"]
    counts = context["counts"]
    best_text = (
        f"{formatting.value(best['value'], best['metric'], context['lang'])} "
        f"({metric_table.label(best['metric'], context['lang'])})"
        if best
        else "—"
    )
    return SiteEntry(
        slug=slug,
        title=found.title,
        suite=found.name,
        dataset=str(context["dataset"]["name"]),
        date=when,
        best_variant=best["variant"] if best else None,
        best_metric=best["metric"] if best else None,
        best_value=best["value"] if best else None,
        best_text=best_text,
        runs_ok=counts["ok"],
        runs_planned=counts["planned"],
        runs_failed=sum(counts[s] for s in results.UNSUCCESSFUL if s != Status.DAMAGED.value),
        runs_damaged=counts[Status.DAMAGED.value],
        lang=context["lang"],
        source="store",
        origin=str(store_path),
    )


_BODY_TAG = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_META = re.compile(r'<meta\s+name="bench:([a-z-]+)"\s+content="([^"]*)"', re.IGNORECASE)


def _copy_report(folder: Path, page_dir: Path, slug: str, lang: Optional[str]) -> SiteEntry:
    """A report without its store: copied with its figures, a link to the index added.

    Symbolic links in the report folder are not copied: the site holds only the
    report's own files, never what a link points to elsewhere.
    """
    final_dir = page_dir
    page_dir = _new_page_dir(final_dir)
    page_dir.rmdir()  # copytree makes it
    try:
        shutil.copytree(folder, page_dir, ignore=_not_copied)
    except BaseException:
        _discard_page_dir(page_dir)
        raise
    page = (page_dir / REPORT_NAME).read_text(encoding="utf-8", errors="replace")
    meta = {k: html_lib.unescape(v) for k, v in _META.findall(page)}
    page_lang = meta.get("lang") or _html_lang(page) or "en"
    nav_lang = lang or (page_lang if page_lang in words.LANGUAGES else words.DEFAULT_LANG)
    nav = (
        '<nav class="site" style="font:0.9rem system-ui,sans-serif;margin:8px 16px">'
        f'<a href="../index.html">← {html_lib.escape(words.t("site.all_reports", nav_lang))}</a></nav>'
    )
    if 'class="site"' not in page:
        match = _BODY_TAG.search(page)
        page = page[: match.end()] + nav + page[match.end() :] if match else nav + page
    write_text_atomic(page_dir / REPORT_NAME, page)
    _swap_in(page_dir, final_dir)
    title = meta.get("title") or _tag_text(page, "h1") or _tag_text(page, "title") or folder.name
    runs = meta.get("runs", "")
    ok, _, planned = runs.partition("/")
    modified = dt.datetime.fromtimestamp((folder / REPORT_NAME).stat().st_mtime)
    best_metric = meta.get("best-metric") or ("accuracy" if meta.get("best-accuracy") else None)
    best_value = _float_or_none(meta.get("best-value") or meta.get("best-accuracy"))
    return SiteEntry(
        slug=slug,
        title=title,
        suite=meta.get("suite") or folder.name,
        dataset=meta.get("dataset") or "—",
        date=meta.get("generated") or modified.strftime("%Y-%m-%d %H:%M"),
        best_variant=meta.get("best") or None,
        best_metric=best_metric,
        best_value=best_value,
        best_text=_best_text(best_metric, best_value, page_lang),
        runs_ok=int(ok) if ok.isdigit() else None,
        runs_planned=int(planned) if planned.isdigit() else None,
        lang=page_lang,
        source="copy",
        origin=str(folder / REPORT_NAME),
    )


def _render_diff(
    paths: Sequence[str | Path],
    out: Path,
    lang: Optional[str],
    base_url: Optional[str],
    templates: Optional[str | Path],
) -> dict[str, str]:
    """``bench diff OLD NEW`` as a page of the site (needs bench.diff)."""
    try:
        from bench import diff as bench_diff
    except ImportError:
        raise BenchError("--diff: this bench has no diff module (bench/diff.py)") from None
    if len(paths) != 2:
        raise BenchError("--diff: give two stores, OLD.sqlite NEW.sqlite")
    result = bench_diff.diff_stores(paths[0], paths[1])
    nav_lang = words.check_lang(lang or result.suite_lang)
    page = bench_diff.render_html(result, templates=templates, lang=nav_lang)
    nav = (
        '<nav class="site" style="font:0.9rem system-ui,sans-serif;margin:8px 16px">'
        f'<a href="index.html">← {html_lib.escape(words.t("site.all_reports", nav_lang))}</a></nav>'
    )
    match = _BODY_TAG.search(page)
    page = page[: match.end()] + nav + page[match.end() :] if match else nav + page
    if base_url:
        page = page.replace(
            "</head>",
            f'<link rel="canonical" href="{html_lib.escape(base_url)}diff.html">\n</head>',
            1,
        )
    write_text_atomic(out / "diff.html", page)
    return {"href": "diff.html", "old": str(paths[0]), "new": str(paths[1])}


def _remove_stale_pages(out: Path, current: set[str]) -> None:
    """Pages an earlier ``bench publish`` made for suites that are gone (listed in site.json).

    site.json is only a hint: a slug is removed only when it names a real folder
    directly inside ``out`` (no ``..``, no separator, no symbolic link) holding a
    report.html, that is, a page this command made.
    """
    try:
        previous = json.loads((out / "site.json").read_text(encoding="utf-8"))
        slugs = {str(entry["slug"]) for entry in previous}
    except (OSError, ValueError, TypeError, KeyError):
        return
    for slug in slugs - current:
        folder = _own_page(out, slug)
        if folder is not None:
            shutil.rmtree(folder)


_SLUG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _own_page(out: Path, slug: str) -> Optional[Path]:
    """``out/slug`` if it is a page folder bench publish made there, else None."""
    if not _SLUG.fullmatch(slug) or slug in (".", ".."):
        return None
    folder = out / slug
    if folder.is_symlink() or not folder.is_dir() or folder.resolve().parent != out.resolve():
        return None
    if (folder / REPORT_NAME).is_symlink() or not (folder / REPORT_NAME).is_file():
        return None
    return folder


def _new_page_dir(final_dir: Path) -> Path:
    """A fresh hidden folder beside ``final_dir`` to build the page in (swapped in when done)."""
    return Path(tempfile.mkdtemp(prefix=f".{final_dir.name}.", suffix=".new", dir=final_dir.parent))


def _swap_in(built: Path, final_dir: Path) -> None:
    """Replace the page folder with the one just built; refuse to touch what publish did not make."""
    if final_dir.is_symlink() or (final_dir.exists() and not final_dir.is_dir()):
        _discard_page_dir(built)
        raise BenchError(
            f"--out: {final_dir} is a symbolic link or a file where bench publish puts a page; "
            "it removes only the pages it made — move it away and publish again"
        )
    old = None
    if final_dir.exists():
        if _own_page(final_dir.parent, final_dir.name) is None and any(final_dir.iterdir()):
            _discard_page_dir(built)
            raise BenchError(
                f"--out: {final_dir} is a folder bench publish did not make (no report.html); "
                "move it away and publish again"
            )
        old = final_dir.with_name(built.name[:-4] + ".old")
        final_dir.rename(old)
    built.rename(final_dir)
    if old is not None:
        shutil.rmtree(old)


def _discard_page_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _not_copied(folder: str, names: list[str]) -> set[str]:
    """Stores, Markdown, hidden files and every symbolic link stay out of the site."""
    skipped = set(shutil.ignore_patterns("*.sqlite", "*.sqlite-*", "*.md", ".*")(folder, names))
    return skipped | {name for name in names if (Path(folder) / name).is_symlink()}


def _entry_view(entry: SiteEntry) -> dict[str, Any]:
    return asdict(entry) | {"href": entry.href}


# -- small helpers ---------------------------------------------------------------------------
def _check_base_url(base_url: Optional[str]) -> Optional[str]:
    """``https://host/path/`` or ``/path/``, always ending in "/"; anything else is a mistake."""
    if not base_url:
        return None
    if not re.match(r"^(https?://[^\s/]+)?/[^\s\"'<>]*$", base_url):
        raise BenchError(
            f"--base-url: {base_url!r} is not allowed — give an absolute URL or path, "
            "e.g. https://example.org/bench/ or /bench/"
        )
    return base_url if base_url.endswith("/") else base_url + "/"


def _unique(name: str, taken: set[str]) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "suite"
    candidate, n = slug, 2
    while candidate in taken or candidate in ("index.html", "diff.html", "site.json"):
        candidate, n = f"{slug}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _tag_text(page: str, tag: str) -> Optional[str]:
    match = re.search(rf"<{tag}\b[^>]*>(.*?)</{tag}>", page, re.IGNORECASE | re.DOTALL)
    if not match:
        return None
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()
    return text or None


def _html_lang(page: str) -> Optional[str]:
    match = re.search(r'<html\b[^>]*\blang="([^"]+)"', page, re.IGNORECASE)
    return match.group(1) if match else None


def _best_text(metric: Optional[str], value: Optional[float], lang: str) -> str:
    """"97.3% (accuracy)": a copied report's best value with its metric's label."""
    if metric is None or value is None:
        return "—"
    from bench import formatting
    from bench import metrics as metric_table

    lang = lang if lang in words.LANGUAGES else words.DEFAULT_LANG
    return f"{formatting.value(value, metric, lang)} ({metric_table.label(metric, lang)})"


def _float_or_none(text: Optional[str]) -> Optional[float]:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


# -- preview ---------------------------------------------------------------------------------
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site; one short line per request instead of the default log format."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(
    directory: str | Path, port: int = 8000, host: str = "127.0.0.1"
) -> http.server.ThreadingHTTPServer:
    """A local HTTP server for ``directory`` (not started: call ``serve_forever``).

    Bound to 127.0.0.1 so a preview is never exposed to the network; ``port=0`` picks
    a free port (``server.server_address`` says which).
    """
    directory = Path(directory)
    if not (directory / "index.html").is_file():
        raise BenchError(f"{directory}: no index.html to serve; run `bench publish` first")
    handler = functools.partial(_QuietHandler, directory=str(directory))
    try:
        return http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise BenchError(
            f"--port {port}: cannot listen on {host}:{port} ({exc.strerror}); try another port"
        ) from None
