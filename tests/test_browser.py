"""A learner's view: JupyterLab in a real browser, a slider moved with the keyboard, the figure redrawn.

Starts JupyterLab on a free loopback port (config, runtime and settings in a temp dir), opens
a copy of the three-way-open notebook in Debian's Chromium (``/usr/bin/chromium``, driven by
Playwright for Python; never a browser that a tool downloads), runs all cells, moves the delay
slider of the first control panel with the arrow keys and checks, from the plotly figure's
data in the page, that the figure now shows what the simulator says it should at the new delay.
Screenshots go to ``test-artifacts/browser/``.

In CI (``CI=true``) a missing Chromium or Playwright fails the test; elsewhere it skips.
"""

from __future__ import annotations

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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tcpnb import scenarios

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "01_three_way_open.ipynb"
FALLBACK = ROOT / "tests" / "fixtures" / "course" / "01_fixture_panel.ipynb"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SLIDER_KWARGS = {"delay": "delay", "jitter": "jitter", "loss": "loss", "seed": "seed", "msl": "msl"}
ARROW_PRESSES = 2


def _require_browser() -> None:
    """Fail in CI, skip elsewhere, when Chromium or Playwright is missing."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e '.[test]')")
    if missing:
        reason = "browser test needs " + " and ".join(missing)
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason + " -- CI must not skip it")
        pytest.skip(reason)


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
    (root / "data").symlink_to(ROOT / "data")
    home = tmp_path / "jupyter"
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    port = _free_port()
    log = tmp_path / "jupyterlab.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.token=",
             "--ServerApp.password=", "--ip=127.0.0.1", f"--port={port}", "--allow-root",
             f"--ServerApp.root_dir={root}"],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    try:
        _wait_for_server(f"http://127.0.0.1:{port}/api/status", server, log)
        yield f"http://127.0.0.1:{port}/lab/tree/notebooks/{notebook.name}", log
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


def _poll(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Call ``check`` until it returns something truthy; fail saying ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


# --------------------------------------------------------------- the page, read from JavaScript
CELLS_JS = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')].map(cell => ({
    prompt: (cell.querySelector('.jp-InputPrompt') || {}).textContent || '',
    outputs: [...cell.querySelectorAll('.jp-OutputArea-output')].map(o => o.textContent)}))"""

# Mark the first output area holding both a delay slider and a plotly figure.
FIND_PANEL_JS = """() => {
    for (const area of document.querySelectorAll('.jp-Notebook .jp-OutputArea')) {
        const slider = [...area.querySelectorAll('.widget-slider')].find(
            s => /delay/i.test((s.querySelector('.widget-label') || {}).textContent || ''));
        if (slider && area.querySelector('.js-plotly-plot')) {
            area.setAttribute('data-browser-test', 'panel');
            slider.setAttribute('data-browser-test', 'delay');
            return true;
        }
    }
    return false; }"""

# The panel's sliders (label -> readout) and its figure's data, as plain JSON.
READ_PANEL_JS = """() => {
    const area = document.querySelector('[data-browser-test="panel"]');
    const plain = v => ArrayBuffer.isView(v) ? Array.from(v)
        : Array.isArray(v) ? v.map(plain)
        : (v && typeof v === 'object') ? Object.fromEntries(Object.entries(v)
            .filter(([k]) => !k.startsWith('_')).map(([k, x]) => [k, plain(x)]))
        : v;
    const sliders = Object.fromEntries([...area.querySelectorAll('.widget-slider')].map(s => [
        (s.querySelector('.widget-label') || {}).textContent || '',
        (s.querySelector('.widget-readout') || {}).textContent || '']));
    const gd = area.querySelector('.js-plotly-plot');
    const L = gd.layout || {};
    return {sliders, data: plain(gd.data || []), layout: plain({title: L.title,
        xaxis: L.xaxis, yaxis: L.yaxis, annotations: L.annotations, shapes: L.shapes})};
}"""


def _run_all(page: Any) -> None:
    """Run All Cells from the menu; retry while the notebook is not yet the current widget."""
    for _ in range(5):
        dialogs = page.locator(".jp-Dialog").all_text_contents()
        if dialogs:
            pytest.fail(f"JupyterLab shows a dialog: {dialogs}")
        page.locator(".jp-Notebook .jp-Cell").first.click()
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        started = time.monotonic()
        while time.monotonic() - started < 3:
            if any(c["prompt"] != "[ ]:" for c in page.evaluate(CELLS_JS)):
                return
            time.sleep(0.1)
    pytest.fail("Run All Cells did not start any cell")


def _cell_error(cells: list[dict[str, Any]]) -> str | None:
    """'cell N: ErrorName: message' for the first cell that shows a traceback or a widget error."""
    for i, cell in enumerate(cells, 1):
        for text in cell["outputs"]:
            if "Traceback (most recent call last)" in text or re.search(
                    r"Error displaying widget|Failed to (load|create) (model|view)", text):
                found = re.findall(r"^(\w*(?:Error|Exception)\b.*)$", text, re.M)
                return f"code cell {i} ({cell['prompt']}): {found[-1] if found else text[-300:]}"
    return None


def _finished(page: Any) -> list[dict[str, Any]] | None:
    cells = page.evaluate(CELLS_JS)
    error = _cell_error(cells)
    if error:
        pytest.fail(f"a cell errored in the page: {error}")
    return cells if all(re.fullmatch(r"\[\d+\]:", c["prompt"]) for c in cells) else None


# --------------------------------------------------------------- what the model says
def _numbers(value: Any) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return []


def _axis_title(layout: dict[str, Any], axis: str) -> str:
    title = (layout.get(axis) or {}).get("title") or {}
    return str(title.get("text", "") if isinstance(title, dict) else title)


def figure_times(panel: dict[str, Any]) -> set[float]:
    """Every value on the figure's time axis (traces, annotations, shapes), in seconds."""
    layout = panel["layout"]
    axis = "y" if re.search(r"time|\bt\b", _axis_title(layout, "yaxis"), re.I) else "x"
    scale = 1e-3 if re.search(r"\bms\b", _axis_title(layout, axis + "axis")) else 1.0
    values = [n for trace in panel["data"] for n in _numbers(trace.get(axis, []))]
    for note in layout.get("annotations") or []:
        values += _numbers([note.get(axis), note.get("a" + axis)])
    for shape in layout.get("shapes") or []:
        values += _numbers([shape.get(axis + "0"), shape.get(axis + "1")])
    return {round(v * scale, 6) for v in values}


def slider_settings(panel: dict[str, Any]) -> dict[str, float]:
    """Scenario keywords read from the panel's sliders ("one-way delay (ms)" -> delay in s)."""
    settings = {}
    for label, readout in panel["sliders"].items():
        key = next((k for word, k in SLIDER_KWARGS.items() if word in label.lower()), None)
        number = re.match(r"\s*(-?\d+(?:\.\d*)?)", readout)
        if key and number:
            value = float(number.group(1)) * (1e-3 if re.search(r"\bms\b", label + readout) else 1)
            settings[key] = int(value) if key == "seed" else value
    return settings


def model_times(name: str, settings: dict[str, float]) -> set[float] | None:
    """Send and arrival times of every delivered segment of scenario ``name``, or None if it refuses."""
    try:
        trace = scenarios.run(name, **settings)
    except Exception:  # a scenario that takes other keywords is simply not a candidate
        return None
    return {round(t, 6) for x in trace.transmissions if x.arrived_at is not None
            for t in (x.sent_at, x.arrived_at)}


def matching_scenarios(panel: dict[str, Any]) -> list[str]:
    """The scenarios whose run at the panel's settings the figure shows, every delivered segment.

    A short run (say, "refused": two segments) can hide inside a longer one's times, so only
    the runs that explain the most of the figure count.
    """
    shown, settings = figure_times(panel), slider_settings(panel)
    found = {name: len(times) for name in scenarios.SCENARIOS
             if (times := model_times(name, settings)) and times <= shown}
    return [name for name, n in found.items() if n == max(found.values())]


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
        try:
            page.goto(url)
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
            page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]',
                                   timeout=60_000)
            _run_all(page)
            _poll(lambda: _finished(page), 60, "every code cell to finish")
            _poll(lambda: page.evaluate(FIND_PANEL_JS), 20,
                  "a control panel with a 'delay' slider and a plotly figure")
            panel = page.locator('[data-browser-test="panel"]')
            panel.scroll_into_view_if_needed()
            before = _poll(lambda: page.evaluate(READ_PANEL_JS), 10, "the figure's data")
            assert "delay" in slider_settings(before), f"no delay readout in {before['sliders']}"
            candidates = matching_scenarios(before)
            assert candidates, (f"the figure does not show any scenario run at the panel's settings "
                                f"{slider_settings(before)}; times shown: {sorted(figure_times(before))}")
            panel.screenshot(path=str(ARTIFACTS / "before.png"))

            page.locator('[data-browser-test="delay"] .noUi-handle').focus()
            for _ in range(ARROW_PRESSES):
                page.keyboard.press("ArrowRight")

            def redrawn() -> dict[str, Any] | None:
                now = page.evaluate(READ_PANEL_JS)
                moved = slider_settings(now).get("delay", 0) > slider_settings(before)["delay"]
                changed = now["data"] != before["data"]
                return now if moved and changed and any(
                    (t := model_times(name, slider_settings(now))) and t <= figure_times(now)
                    for name in candidates) else None

            after = _poll(redrawn, 15, "the figure to show the model's run at the new delay")
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
    d0, d1 = slider_settings(before)["delay"], slider_settings(after)["delay"]
    assert d1 > d0
    assert max(figure_times(after)) > max(figure_times(before)), "a longer delay must end later"
    with capsys.disabled():
        print(f"browser test: delay {d0} -> {d1} s, figure matches {candidates[0]}; "
              f"browser part {elapsed:.1f} s; screenshots in {ARTIFACTS.relative_to(ROOT)}/")
