"""A learner's view: JupyterLab in a real browser, a slider moved with the keyboard, the figure redrawn.

Starts JupyterLab on a free loopback port (config, runtime and settings in a temp dir), opens
a copy of the three-way-open notebook in Debian's Chromium (``/usr/bin/chromium``, driven by
Playwright for Python; never a browser that a tool downloads), runs all cells, moves the delay
slider of the first control panel (a `widgets.explore(...)` call) with the arrow keys and checks, from the plotly figure's
data in the page, that the figure now shows what the simulator says it should at the new delay.
Screenshots go to ``test-artifacts/browser/``.

In CI (``CI=true``) a missing Chromium or Playwright fails the test; elsewhere it skips.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Shared with test_figures_browser, test_lite, test_solutions_browser and test_builds
# (which import them from here under these names).
from .browser_support import (  # noqa: F401
    ARTIFACTS, CELLS_JS, CHROMIUM, CHROMIUM_ARGS, READ_PANEL_JS, explore_call, model_traces, settings,
    traces,
)
from .browser_support import cell_error as _cell_error
from .browser_support import menu as _menu
from .browser_support import poll as _poll
from .browser_support import require_browser as _require_browser

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "01_three_way_open.ipynb"
FALLBACK = ROOT / "tests" / "fixtures" / "course" / "01_fixture_panel.ipynb"
ARROW_PRESSES = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A JupyterLab server on a copy of the notebook; yields (URL of the notebook, server log)."""
    _require_browser()
    notebook = NOTEBOOK if NOTEBOOK.exists() else FALLBACK
    root = tmp_path / "root"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(notebook, root / "notebooks" / notebook.name)  # autosave must not touch the original
    (root / "notebooks" / "questions").symlink_to(ROOT / "notebooks" / "questions")
    (root / "data").symlink_to(ROOT / "data")
    log = tmp_path / "jupyterlab.log"
    with jupyterlab(root, tmp_path / "jupyter", log) as base:
        _start_kernel(base, f"notebooks/{notebook.name}")
        yield f"{base}/lab/tree/notebooks/{notebook.name}", log


@contextlib.contextmanager
def jupyterlab(root: Path, home: Path, log: Path,
               settings: dict[str, dict[str, Any]] | None = None) -> Iterator[str]:
    """A JupyterLab server on ``root``, its config and ``settings`` under ``home``; yields its URL.

    ``settings`` maps a plugin (``"notebook-extension/tracker"``) to its values; the news
    toast is always off, or it can cover the outputs.
    """
    plugins = {"apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
               **(settings or {})}
    for plugin, values in plugins.items():
        path = home / "settings" / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    port = _free_port()
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.token=",
             "--ServerApp.password=", "--ip=127.0.0.1", f"--port={port}", "--allow-root",
             f"--ServerApp.root_dir={root}"],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    try:
        _wait_for_server(f"http://127.0.0.1:{port}/api/status", server, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(server)


def _wait_for_server(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"JupyterLab did not answer at {url} within 30 s:\n{_tail(log)}")


def _start_kernel(base: str, path: str) -> None:
    """Start the notebook's session (python3) through the REST API, before the page opens.

    Otherwise Lab now and then opens the notebook before it has read the kernel list and
    asks which kernel to start, in a dialog that can cut a Run All short.
    """
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/lab", timeout=30).read()  # sets the _xsrf cookie that POST must echo
    xsrf = next(c.value for c in jar if c.name == "_xsrf")
    body = {"path": path, "type": "notebook", "name": "", "kernel": {"name": "python3"}}
    request = urllib.request.Request(f"{base}/api/sessions", json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-XSRFToken": xsrf})
    opener.open(request, timeout=30).read()


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server (it shuts its kernels down), then SIGKILL its process group if need be."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# --------------------------------------------------------------- the page, read from JavaScript
# Mark the first output area holding both a delay slider and a plotly figure; return its cell's code.
FIND_PANEL_JS = """() => {
    for (const area of document.querySelectorAll('.jp-Notebook .jp-OutputArea')) {
        const slider = [...area.querySelectorAll('.widget-slider')].find(
            s => /delay/i.test((s.querySelector('.widget-label') || {}).textContent || ''));
        if (slider && area.querySelector('.js-plotly-plot')) {
            area.setAttribute('data-browser-test', 'panel');
            area.setAttribute('data-panel', 'delay');  // for browser_support.READ_PANEL_JS
            slider.setAttribute('data-browser-test', 'delay');
            const cell = area.closest('.jp-CodeCell');
            return [...cell.querySelectorAll('.jp-InputArea .cm-line')].map(l => l.textContent).join('\\n');
        }
    }
    return null; }"""

def read_delay_panel(page: Any) -> dict[str, Any]:
    """The marked delay panel's controls and figure traces (``browser_support.READ_PANEL_JS``)."""
    return page.evaluate(READ_PANEL_JS, "delay")


def _run_all(page: Any) -> None:
    """Run All Cells from the menu; retry while the notebook is not yet the current widget.

    Folded solution cells show no prompt, so first unfold every cell's code.
    """
    for _ in range(5):
        dialogs = page.locator(".jp-Dialog").all_text_contents()
        if dialogs:
            pytest.fail(f"JupyterLab shows a dialog: {dialogs}")
        page.locator(".jp-Notebook .jp-Cell").first.click()
        _menu(page, "View", "Expand All Code")
        _menu(page, "Run", "Run All Cells")
        started = time.monotonic()
        while time.monotonic() - started < 3:
            if any(c["prompt"] != "[ ]:" for c in page.evaluate(CELLS_JS)):
                return
            time.sleep(0.1)
    pytest.fail("Run All Cells did not start any cell")


def _finished(page: Any) -> list[dict[str, Any]] | None:
    cells = page.evaluate(CELLS_JS)
    error = _cell_error(cells)
    if error:
        pytest.fail(f"a cell errored in the page: {error}")
    return cells if all(re.fullmatch(r"\[\d+\]:", c["prompt"]) for c in cells) else None


def first_delay_panel(page: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The first panel with a delay slider: its scenario, its explore() keywords and what it
    shows; fails unless its figure is what tcpnb draws at the settings it shows."""
    source = _poll(lambda: page.evaluate(FIND_PANEL_JS), 20,
                   "a control panel with a 'delay' slider and a plotly figure")
    scenario, call = explore_call(source)
    page.locator('[data-browser-test="panel"]').scroll_into_view_if_needed()
    before = _poll(lambda: read_delay_panel(page), 10, "the figure's data")
    start = settings(before)
    assert "delay" in start, f"no delay readout among the controls {before['controls']}"
    assert traces(before["traces"]) == model_traces(scenario, call, start), (
        f"before any change the figure is not {scenario} at {start}")
    return scenario, call, before


def max_time(figure: list[Any]) -> float:
    return max(v for _x, y in figure for v in y if v is not None)


# --------------------------------------------------------------- the test
def test_moving_the_delay_slider_redraws_the_ladder_as_the_model_says(
        lab: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    from playwright.sync_api import sync_playwright

    url, log = lab
    with capsys.disabled():
        print(f"\nbrowser test on {url.rsplit('/', 1)[-1]}"
              + ("" if NOTEBOOK.exists() else " (fixture: notebooks/01_three_way_open.ipynb is missing)"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        received = [0]  # bytes the kernel sent the page: outputs, widget state, figure updates
        page.on("websocket", lambda ws: ws.on(
            "framereceived", lambda frame: received.__setitem__(0, received[0] + len(frame))))
        try:
            page.goto(url)
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
            page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]',
                                   timeout=60_000)
            _run_all(page)
            _poll(lambda: _finished(page), 60, "every code cell to finish")
            scenario, call, before = first_delay_panel(page)
            start = settings(before)
            panel = page.locator('[data-browser-test="panel"]')
            panel.screenshot(path=str(ARTIFACTS / "before.png"))

            page.locator('[data-browser-test="delay"] .noUi-handle').focus()
            for _ in range(ARROW_PRESSES):
                page.keyboard.press("ArrowRight")

            def redrawn() -> dict[str, Any] | None:
                now = read_delay_panel(page)
                moved = settings(now).get("delay", 0) > start["delay"]
                return now if moved and traces(now["traces"]) == model_traces(
                    scenario, call, settings(now)) else None

            after = _poll(redrawn, 15, f"the figure to show {scenario} at the new delay")
            handle = page.locator('[data-browser-test="delay"] .noUi-handle')
            # What a screen reader announces: a focusable slider whose value text follows the keys.
            assert handle.get_attribute("role") == "slider" and handle.get_attribute("tabindex") == "0"
            assert float(handle.get_attribute("aria-valuetext") or "nan") == settings(after)["delay"]
            page.wait_for_timeout(300)  # let the last frame paint before the screenshot
            panel.screenshot(path=str(ARTIFACTS / "after.png"))
            page.screenshot(path=str(ARTIFACTS / "page.png"))
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "failure.png"))
            print(f"JupyterLab log (tail):\n{_tail(log)}")
            raise
        finally:
            browser.close()
    elapsed = time.monotonic() - started
    end = settings(after)
    assert end["delay"] > start["delay"]
    assert traces(after["traces"]) != traces(before["traces"])
    assert max_time(traces(after["traces"])) > max_time(traces(before["traces"])), \
        "a longer delay must end later"
    with capsys.disabled():
        print(f"browser test: {scenario} {call}: delay {start['delay']} -> {end['delay']} s, "
              f"figure = model before and after; title now {after['title']!r}; browser part "
              f"{elapsed:.1f} s; kernel-to-page messages {received[0] / 1e6:.2f} MB; "
              f"screenshots in {ARTIFACTS.relative_to(ROOT)}/")
