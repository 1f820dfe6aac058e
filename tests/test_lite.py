"""The JupyterLite edition: built from this repository, run in Chromium with the network refused.

Builds the site with tools/lite.py into a temp dir (``python tools/build.py lite`` does the same
into build/lite), checks what it holds, serves it on 127.0.0.1 from a thread, and opens every
notebook in Debian's Chromium with every request that is not to that server aborted.  Each
notebook runs top to bottom on the Pyodide kernel without an error; in notebook 01 the delay
slider is moved with the keyboard and the page's figure must equal what tcpnb draws on this
machine for the same settings.  Prints the site's size, the cold load, each Run All and the
slider round trip.  Screenshots go to test-artifacts/lite/.

Without Chromium or Playwright the browser part fails in CI and skips elsewhere; the build needs
the registries (npm for Pyodide, PyPI for the wheels) and always runs.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .test_browser import (CELLS_JS, CHROMIUM, CHROMIUM_ARGS, _finished, _menu, read_delay_panel,
                           _poll, _require_browser, first_delay_panel, model_traces, settings,
                           traces)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import lite  # noqa: E402
import sync_notebooks as sync  # noqa: E402

ARTIFACTS = ROOT / "test-artifacts" / "lite"
NOTEBOOKS = ROOT / "notebooks"
SLIDER_NOTEBOOK = "01_three_way_open.ipynb"
EXPERIMENT_NOTEBOOK = "04_time_wait.ipynb"  # its Monte-Carlo panel refines on the event loop
SO_FAR = re.compile(r"\((\d+) of (\d+) runs per point")
SCROLL_JS = """(step) => { const o = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
    o.scrollTop = step * 0.8 * o.clientHeight; return [o.scrollTop + o.clientHeight, o.scrollHeight]; }"""
KERNEL_STATUS = ".jp-KernelStatus, .jp-StatusBar-TextItem"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> lite.Site:
    built = lite.build_lite(NOTEBOOKS, tmp_path_factory.mktemp("lite") / "lite")
    with pytestconfig.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
        print(f"\nlite site: {built.bytes() / 1e6:.1f} MB, {len(built.packages)} wheels, Pyodide "
              f"{built.pyodide}, built in {built.seconds:.1f} s")
    return built


def test_the_site_holds_every_notebook_and_data_folder_and_nothing_remote(site: lite.Site) -> None:
    files = site.folder / "files"
    assert site.notebooks == [p.name for p in sync.course(NOTEBOOKS)]
    for folder in (p for p in NOTEBOOKS.iterdir() if p.is_dir() and p.name[0] not in "._"):
        assert {p.relative_to(NOTEBOOKS) for p in folder.rglob("*") if p.is_file()} <= \
            {p.relative_to(files) for p in (files / folder.name).rglob("*")}
    for name in site.notebooks:
        nb = json.loads((files / name).read_text())
        assert nb["metadata"]["kernelspec"]["name"] == "python"
        text = json.dumps(nb["cells"])
        assert "badge" not in text and not re.search(r"!\[[^\]]*\]\((https?:)?//", text)
    config = json.loads((site.folder / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"][lite.KERNEL_PLUGIN]
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.mjs" and kernel["disablePyPIFallback"]
    assert not re.search(r"https?://", json.dumps(config["litePluginSettings"]))


def test_the_lock_lists_exactly_the_wheels_served_with_their_hashes(site: lite.Site) -> None:
    pyodide = site.folder / "static" / "pyodide"
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())
    served = {p.name for p in pyodide.glob("*.whl")}
    assert {e["file_name"] for e in lock["packages"].values()} == served
    for entry in lock["packages"].values():
        assert hashlib.sha256((pyodide / entry["file_name"]).read_bytes()).hexdigest() \
            == entry["sha256"]
        assert set(entry["depends"]) <= set(lock["packages"]), entry["name"]
    assert lock["info"]["platform"].startswith("emscripten")
    with __import__("zipfile").ZipFile(pyodide / lock["packages"]["tcpnb"]["file_name"]) as wheel:
        assert "tcpnb/real/captures/syn_lost.pcap" in wheel.namelist()


@pytest.fixture(scope="module")
def served(site: lite.Site) -> Iterator[str]:
    """The site on a free loopback port, served from a thread; yields its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site.folder)))
    server.handle_error = lambda request, address: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _run_all(page: Any) -> None:
    """Run All Cells from the menu, with every cell's code unfolded first (folded solutions show
    no prompt).  The notebook gets the focus from a click on the first cell's prompt area: the
    cell itself is all links here (the badges that filled its left are left out)."""
    page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()
    _menu(page, "View", "Expand All Code")
    _menu(page, "Run", "Run All Cells")
    _poll(lambda: any(c["prompt"] != "[ ]:" for c in page.evaluate(CELLS_JS)), 10,
          "Run All Cells to start a cell")


def _kernel_idle(page: Any) -> bool:
    text = " ".join(page.locator(".jp-StatusBar-Widget").all_text_contents())
    return bool(re.search(r"Pyodide\)?\s*\|\s*Idle", text))


def test_every_notebook_runs_offline_and_the_slider_redraws_as_the_model_says(
        site: lite.Site, served: str, capsys: pytest.CaptureFixture[str]) -> None:
    _require_browser()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    refused: list[str] = []
    times: dict[str, tuple[float, float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name in site.notebooks:
                # A fresh context each time: an empty cache and no workspace that reopens the
                # last notebook, as for a learner who follows a link to this one.
                page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
                page.route("**/*", lambda route: route.continue_()
                           if route.request.url.startswith(served + "/")
                           else (refused.append(route.request.url), route.abort()))
                started = time.monotonic()
                page.goto(f"{served}/lab/index.html?path={name}")
                page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
                _poll(lambda: _kernel_idle(page), 300, f"the Pyodide kernel of {name}")
                loaded = time.monotonic() - started
                started = time.monotonic()
                _run_all(page)
                cells = _poll(lambda: _finished(page), 600, f"every code cell of {name} to finish")
                assert "in JupyterLite" in " ".join(cells[0]["outputs"]), cells[0]  # tcpnb.setup()
                times[name] = (loaded, time.monotonic() - started)
                page.screenshot(path=str(ARTIFACTS / f"{Path(name).stem}.png"))
                if name == SLIDER_NOTEBOOK:
                    slider = _move_the_slider(page)
                if name == EXPERIMENT_NOTEBOOK:
                    refined = _refines(page)
                page.context.close()
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "failure.png"))
            raise
        finally:
            browser.close()
    assert not refused, f"the site asked the network for {refused}"
    assert set(times) == set(site.notebooks)
    with capsys.disabled():
        print("\nlite in Chromium, per notebook: cold load to an idle kernel + Run All: "
              + ", ".join(f"{n[:2]} {a:.1f} + {b:.1f} s" for n, (a, b) in times.items())
              + f"; slider -> figure {slider:.2f} s; 04's panel {refined}; {site.bytes() / 1e6:.1f} MB")


def _move_the_slider(page: Any) -> float:
    """Move notebook 01's delay slider two steps; the figure must then be the model's. Seconds."""
    scenario, call, before = first_delay_panel(page)
    start = settings(before)
    panel = page.locator('[data-browser-test="panel"]')
    page.locator('[data-browser-test="delay"] .noUi-handle').focus()
    started = time.monotonic()
    for _ in range(2):
        page.keyboard.press("ArrowRight")

    def redrawn() -> dict[str, Any] | None:
        now = read_delay_panel(page)
        return now if settings(now).get("delay", 0) > start["delay"] and traces(
            now["traces"]) == model_traces(scenario, call, settings(now)) else None

    after = _poll(redrawn, 15, f"the figure to show {scenario} at the new delay, as tcpnb draws it")
    seconds = time.monotonic() - started
    assert traces(after["traces"]) != traces(before["traces"])
    panel.screenshot(path=str(ARTIFACTS / "slider.png"))
    return seconds


def _refines(page: Any, wait: float = 20.0) -> str:
    """04's Monte-Carlo panel keeps adding runs after Run All, with no thread (Pyodide has none).

    Says how far it got: from the runs per point first seen to those ``wait`` seconds later, or
    that it had finished ("Measured:") by the time the test found it.
    """
    def so_far() -> tuple[int, int] | str | None:
        text = page.locator(".jp-Notebook").inner_text()
        if shown := SO_FAR.search(text):
            return int(shown.group(1)), int(shown.group(2))
        return "finished" if "Measured:" in text else None

    def scrolled_to_it() -> tuple[int, int] | str | None:  # Lite draws only the cells in view
        for step in range(200):
            top, bottom = page.evaluate(SCROLL_JS, step)
            page.wait_for_timeout(200)
            if (found := so_far()) or top >= bottom:
                return found
        return None

    first = _poll(scrolled_to_it, 60, "04's panel to say how many runs it has so far")
    if isinstance(first, str):
        return "had finished all its runs when the test found it"
    started = time.monotonic()
    page.wait_for_timeout(wait * 1000)
    later, seconds = so_far(), time.monotonic() - started
    runs = first[1] if later == "finished" else later[0] if isinstance(later, tuple) else first[0]
    assert runs > first[0], f"04's panel stayed at {first[0]} runs per point for {seconds:.0f} s"
    return f"refines from {first[0]} to {runs} runs per point in {seconds:.0f} s"
