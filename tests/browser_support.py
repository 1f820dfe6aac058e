"""What the browser tests share: Chromium, a JupyterLab server, and reading a drawn figure's text.

:data:`FIGURE_TEXT_JS` reads, from a plotly figure in the page, the bounding box of every
text element Chromium drew (title, annotations, ticks, axis titles, legend, text on
markers) and of every loss mark (the markers of a trace whose ``meta.kind`` is
``"lost"``); :func:`problems` turns them into overlaps and clipped labels.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def require_browser() -> None:
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


def poll(check: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    """Call ``check`` until it returns something truthy; fail saying ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


# ------------------------------------------------------------------ JupyterLab
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Lab:
    """A JupyterLab server (config, runtime and settings in ``home``) serving ``root``."""

    def __init__(self, root: Path, home: Path) -> None:
        settings = home / "settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"),
               "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
               "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
               "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
        self.base = f"http://127.0.0.1:{_free_port()}"
        self.log = home / "jupyterlab.log"
        with open(self.log, "wb") as out:
            self.server = subprocess.Popen(
                [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.token=",
                 "--ServerApp.password=", "--ip=127.0.0.1", f"--port={self.base.rsplit(':', 1)[1]}",
                 "--allow-root", f"--ServerApp.root_dir={root}"],
                env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        try:
            self._wait()
        except BaseException:
            self.stop()
            raise

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {self.server.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/api/status", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"JupyterLab did not answer within 60 s:\n{self.tail()}")

    def start_kernel(self, path: str) -> None:
        """Start the notebook's session (python3) through the REST API, before the page opens.

        Otherwise Lab now and then opens the notebook before it has read the kernel list and
        asks which kernel to start, in a dialog that can cut a Run All short.
        """
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(f"{self.base}/lab", timeout=30).read()  # sets the _xsrf cookie POST must echo
        xsrf = next(c.value for c in jar if c.name == "_xsrf")
        body = {"path": path, "type": "notebook", "name": "", "kernel": {"name": "python3"}}
        request = urllib.request.Request(
            f"{self.base}/api/sessions", json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "X-XSRFToken": xsrf})
        opener.open(request, timeout=30).read()

    def stop_kernels(self) -> None:
        """Shut every running kernel down (each notebook's kernel holds memory and a core)."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(f"{self.base}/lab", timeout=30).read()
        xsrf = next(c.value for c in jar if c.name == "_xsrf")
        with opener.open(f"{self.base}/api/sessions", timeout=30) as response:
            sessions = json.load(response)
        for session in sessions:
            request = urllib.request.Request(f"{self.base}/api/sessions/{session['id']}",
                                             method="DELETE", headers={"X-XSRFToken": xsrf})
            opener.open(request, timeout=30).read()

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM the server (it shuts its kernels down), then SIGKILL its group if need be."""
        self.server.send_signal(signal.SIGTERM)
        try:
            self.server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.server.pid, signal.SIGKILL)
            self.server.wait()


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# ------------------------------------------------------------ a figure's text
#: For every plotly figure under ``root`` (a CSS selector): its title, figure box and the
#: boxes of its text elements and loss marks, in page pixels.
FIGURE_TEXT_JS = """(root) => {
    const box = e => { const r = e.getBoundingClientRect();
                       return [r.left, r.top, r.right, r.bottom]; };
    const shown = e => { const r = e.getBoundingClientRect();
        return r.width > 0.5 && r.height > 0.5 && getComputedStyle(e).visibility !== 'hidden'; };
    const filled = rect => { if (!rect) return false; const s = getComputedStyle(rect);
        const f = s.fill || ''; return f !== 'none' && !/rgba\\(.*,\\s*0\\)$/.test(f)
            && parseFloat(s.fillOpacity || '1') > 0; };
    const figures = [];
    for (const gd of document.querySelectorAll(root + ' .js-plotly-plot')) {
        const svg = gd.querySelector('.main-svg');
        if (!svg || !shown(svg)) continue;
        const texts = [];
        const add = (kind, e, cover) => { if (shown(e) && e.textContent.trim())
            texts.push({kind, text: e.textContent.trim(), box: box(e), cover: cover || box(e)}); };
        gd.querySelectorAll('.gtitle').forEach(e => add('title', e));
        gd.querySelectorAll('.annotation').forEach(a => {
            const t = a.querySelector('text.annotation-text'), bg = a.querySelector('rect.bg');
            if (t) add('annotation', t, filled(bg) && shown(bg) ? box(bg) : null); });
        gd.querySelectorAll('.xtick text, .ytick text').forEach(e => add('tick', e));
        gd.querySelectorAll('.g-xtitle text, .g-ytitle text').forEach(e => add('axis title', e));
        gd.querySelectorAll('.legend .legendtext').forEach(e => add('legend', e));
        gd.querySelectorAll('.textpoint text, text.bartext').forEach(e => add('text', e));
        const marks = [];
        for (const cd of gd.calcdata || []) {
            const trace = cd[0] && cd[0].trace, node = cd[0] && cd[0].node3 && cd[0].node3.node();
            if (trace && trace.meta && trace.meta.kind === 'lost' && node)
                node.querySelectorAll('path.point').forEach(p => shown(p) && marks.push(box(p)));
        }
        const layout = gd.layout || {}, size = gd._fullLayout._size, edge = box(svg);
        const cell = gd.closest('.jp-OutputArea-output, .tcpnb-static') || gd.parentElement;
        const scrolls = (() => {
            for (let e = gd.parentElement; e && e !== cell.parentElement; e = e.parentElement)
                if (/auto|scroll/.test(getComputedStyle(e).overflowX)) return true;
            return false; })();
        figures.push({title: ((layout.title || {}).text || '').replace(/<[^>]*>/g, ' '),
                      figure: edge, texts, marks, cell: box(cell), scrolls,
                      plot: [edge[0] + size.l, edge[1] + size.t, edge[0] + size.l + size.w,
                             edge[1] + size.t + size.h]});
    }
    return figures;
}"""


def _overlap(a: list[float], b: list[float], slack: float) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > slack and min(a[3], b[3]) - max(a[1], b[1]) > slack


def problems(figure: dict[str, Any], slack: float = 1.5) -> list[str]:
    """Overlapping text, text over a loss mark, text cut off by the figure's edge, and a
    figure wider than its cell that the cell does not scroll."""
    texts, found = figure["texts"], []
    if figure["figure"][2] > figure["cell"][2] + slack and not figure["scrolls"]:
        found.append(f"the figure ({figure['figure'][2] - figure['figure'][0]:.0f} px) is wider "
                     f"than its cell ({figure['cell'][2] - figure['cell'][0]:.0f} px), which "
                     "does not scroll")
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            if _overlap(a["box"], b["box"], slack):
                found.append(f"{a['kind']} {a['text']!r} overlaps {b['kind']} {b['text']!r}")
        if any(_overlap(a["cover"], mark, slack) for mark in figure["marks"]):
            found.append(f"{a['kind']} {a['text']!r} covers a loss mark")
        if not _inside(a["box"], figure["figure"], slack):
            found.append(f"{a['kind']} {a['text']!r} is cut off by the figure's edge")
        elif a["kind"] == "text" and not _inside(a["box"], figure["plot"], slack):
            found.append(f"{a['kind']} {a['text']!r} is cut off by the plotting area")
    return found


def _inside(a: list[float], edge: list[float], slack: float) -> bool:
    return (a[0] >= edge[0] - slack and a[2] <= edge[2] + slack
            and a[1] >= edge[1] - slack and a[3] <= edge[3] + slack)


def static_page(figures: list[Any], width: int) -> str:
    """An HTML page drawing ``figures`` (plotly figures) one under another, ``width`` px wide."""
    from plotly.offline import get_plotlyjs

    divs = "".join(f"<div id='f{k}' style='width:{width}px'></div>" for k in range(len(figures)))
    draws = "".join(f"Plotly.newPlot('f{k}', {fig.to_json()});" for k, fig in enumerate(figures))
    return (f"<html><head><meta charset='utf-8'><script>{get_plotlyjs()}</script></head>"
            f"<body style='margin:0'>{divs}<script>{draws}</script></body></html>")
