"""The published site in a real browser: Debian's chromium, headless, over the DevTools protocol.

Pages are opened from disk (file://), as a reader who downloaded the site would.  Each page
must load without a console error, show every image, sort its tables, and show a variant
name and a note that contain ``<script>alert(1)</script>`` as text, with no dialog opened.

chromium missing: skipped here with a reason, but a failure when CI=true, so CI never
passes by skipping.  Install it with ``apt-get install -y chromium`` (.ci/run does).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import struct
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any, Optional

import pytest

from tests.test_publish import EVIL, published  # noqa: F401  (the site, built once per session)

HEADLESS_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def find_chromium() -> Optional[str]:
    for name in (os.environ.get("BENCH_CHROMIUM", ""), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture(scope="module")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        reason = "chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI must run the browser tests, not skip them")
        pytest.skip(reason)
    return path


class Browser:
    """One headless chromium page, driven over the Chrome DevTools Protocol (a websocket)."""

    def __init__(self, executable: str, profile: Path) -> None:
        import websocket  # websocket-client

        profile.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [executable, *HEADLESS_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "--window-size=1280,800", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            targets = json.load(answer)
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True
        )
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.dialogs: list[str] = []
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        # a page that managed to call alert() would also leave this mark
        self.call(
            "Page.addScriptToEvaluateOnNewDocument",
            source="window.__dialogs = 0; for (const f of ['alert', 'confirm', 'prompt'])"
            " { const o = window[f]; window[f] = function () { window.__dialogs++; } }",
        )

    # -- protocol -------------------------------------------------------------------------
    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = self._receive()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def _receive(self) -> dict[str, Any]:
        message = json.loads(self.ws.recv())
        if message.get("method") == "Page.javascriptDialogOpening":
            self.dialogs.append(message["params"].get("message", ""))
            answer = {
                "id": 10**9 + len(self.dialogs),
                "method": "Page.handleJavaScriptDialog",
                "params": {"accept": False},
            }
            self.ws.send(json.dumps(answer))  # a dialog blocks the page until answered
        if "method" in message:
            self.events.append(message)
        return message

    def wait_for(self, event: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        seen = len(self.events)
        while time.monotonic() < deadline:
            if any(e["method"] == event for e in self.events[seen:]):
                return
            self._receive()
        raise TimeoutError(event)

    # -- page -----------------------------------------------------------------------------
    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str, await_promise: bool = False) -> Any:
        result = self.call(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=await_promise,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads since the page was opened."""
        out = []
        for event in self.events:
            params = event.get("params", {})
            if event["method"] == "Runtime.exceptionThrown":
                out.append(json.dumps(params.get("exceptionDetails", {}))[:300])
            elif event["method"] == "Runtime.consoleAPICalled" and params.get("type") in (
                "error",
                "assert",
            ):
                out.append(
                    " ".join(
                        str(a.get("value", a.get("description"))) for a in params.get("args", [])
                    )
                )
            elif event["method"] == "Log.entryAdded" and params["entry"].get("level") == "error":
                out.append(params["entry"].get("text", "") + " " + params["entry"].get("url", ""))
        return out

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element (scrolled into view first)."""
        box = self.js(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                type=kind,
                x=box[0],
                y=box[1],
                button="left",
                clickCount=1,
            )

    def type(self, selector: str, text: str) -> None:
        self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", text=text)

    def viewport(self, width: int, height: int, mobile: bool = False, scale: float = 1) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width, height=height, deviceScaleFactor=scale, mobile=mobile,
        )  # fmt: skip

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def browser(chromium_path: str, tmp_path_factory: pytest.TempPathFactory):
    instance = Browser(chromium_path, tmp_path_factory.mktemp("chromium-profile"))
    yield instance
    instance.close()


@pytest.fixture
def site(published: Path) -> Path:  # noqa: F811
    """tests/test_publish.py's site: a suite re-rendered from its store, a copied report, a diff."""
    return published


def pages(site: Path) -> list[Path]:
    return [
        site / "index.html",
        site / "evil" / "report.html",
        site / "copied" / "report.html",
        site / "diff.html",
    ]


@pytest.mark.slow
def test_every_page_loads_cleanly_and_shows_the_script_as_text(
    browser: Browser, site: Path
) -> None:
    for page in pages(site):
        browser.open(page.as_uri())
        images = browser.js(
            "Promise.all(Array.from(document.images).map(i => { i.loading = 'eager';"
            " return i.decode().then(() => i.naturalWidth, () => 0); }))",
            await_promise=True,
        )
        assert all(width > 0 for width in images), (page, images)
        if page.name == "report.html":
            assert len(images) >= 4, page
        assert EVIL in browser.js("document.body.innerText"), page
        assert browser.js("window.__dialogs") == 0 and not browser.dialogs, page
        assert browser.js("document.querySelectorAll('script').length") <= 1, page  # ours only
        assert browser.errors() == [], (page, browser.errors())


def first_column(browser: Browser, table: str) -> list[str]:
    return browser.js(
        f"Array.from(document.querySelectorAll('{table} tbody tr:not(.seed)'))"
        ".map(r => r.cells[0].textContent.trim())"
    )


@pytest.mark.slow
def test_report_tables_sort_and_show_seeds(browser: Browser, site: Path, tmp_path: Path) -> None:
    browser.viewport(1280, 800)
    browser.open((site / "evil" / "report.html").as_uri())
    results = "#results table"
    before = first_column(browser, results)
    assert len(before) == 2 and before[0].startswith("base")
    browser.click(f"{results} thead th:nth-child(3)")  # Accuracy, ascending: base is lower
    ascending = first_column(browser, results)
    browser.click(f"{results} thead th:nth-child(3)")
    descending = first_column(browser, results)
    assert ascending[0].startswith("base") and descending[0].startswith(EVIL), (
        ascending,
        descending,
    )
    assert (
        browser.js(f"document.querySelector('{results} th:nth-child(3)').getAttribute('aria-sort')")
        == "descending"
    )
    # seed rows travel with their variant and appear on demand
    hidden = browser.js(
        "Array.from(document.querySelectorAll('tr.seed')).filter(r => r.offsetParent).length"
    )
    browser.click("label[for=show-seeds]")
    shown = browser.js(
        "Array.from(document.querySelectorAll('tr.seed')).filter(r => r.offsetParent).length"
    )
    assert hidden == 0 and shown == 6
    order = browser.js(
        f"Array.from(document.querySelectorAll('{results} tbody tr'))"
        ".map(r => r.classList.contains('seed') ? 'seed' : r.cells[0].textContent.slice(0, 4))"
    )
    assert order == ["<scr", "seed", "seed", "seed", "base", "seed", "seed", "seed"], order
    shot = browser.screenshot(tmp_path / "report.png")
    assert _png_size(shot) == (1280, 800)
    assert browser.errors() == []


@pytest.mark.slow
def test_index_sorts_filters_and_links(browser: Browser, site: Path, tmp_path: Path) -> None:
    browser.viewport(1280, 800)
    browser.open((site / "index.html").as_uri())
    names = lambda: browser.js(  # noqa: E731
        "Array.from(document.querySelectorAll('#suites tbody tr')).filter(r => !r.hidden)"
        ".map(r => r.querySelector('code').textContent)"
    )
    assert sorted(names()) == ["copied", "tiny"]
    browser.click("#suites thead th:nth-child(1)")
    first = names()
    browser.click("#suites thead th:nth-child(1)")
    assert names() == list(reversed(first))
    browser.type("#filter", "copied")
    assert names() == ["copied"]
    assert browser.js("document.getElementById('shown').textContent") == "1 of 2 shown"
    browser.type("#filter", "-nothing-matches")
    assert names() == [] and browser.js("document.getElementById('no-match').hidden") is False
    links = browser.js("Array.from(document.querySelectorAll('#suites a')).map(a => a.href)")
    assert all(link.startswith("file://") and Path(link[7:]).is_file() for link in links), links
    browser.screenshot(tmp_path / "index.png")
    assert browser.errors() == []


@pytest.mark.slow
def test_pages_fit_a_phone(browser: Browser, site: Path, tmp_path: Path) -> None:
    browser.viewport(390, 844, mobile=True, scale=2)
    try:
        for page in pages(site)[:2]:
            browser.open(page.as_uri())
            overflow = browser.js("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (page, overflow)
            shot = browser.screenshot(tmp_path / f"phone-{page.parent.name}.png")
            assert _png_size(shot) == (780, 1688)
    finally:
        browser.call("Emulation.clearDeviceMetricsOverride")


@pytest.mark.slow
def test_report_back_link_leads_to_the_index(browser: Browser, site: Path) -> None:
    for page in pages(site)[1:]:
        browser.open(page.as_uri())
        browser.events.clear()
        browser.click("nav.site a")
        browser.wait_for("Page.loadEventFired")
        assert browser.js("location.pathname").endswith("/index.html")


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])
