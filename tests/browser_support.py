"""What the browser tests share: Chromium, a JupyterLab server, and reading a drawn figure's text.

:data:`FIGURE_TEXT_JS` reads, from a plotly figure in the page, the bounding box of every
text element Chromium drew (title, annotations, ticks, axis titles, legend, text on
markers) and of every loss mark (the markers of a trace whose ``meta.kind`` is
``"lost"``); :func:`problems` turns them into overlaps and clipped labels.
"""

from __future__ import annotations

import ast
import http.cookiejar
import json
import os
import re
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

from tcpnb.widgets import scenario_panel as widgets

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


# ------------------------------------------------------------ JupyterLab pages, read from JavaScript
CELLS_JS = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')].map(cell => ({
    prompt: (cell.querySelector('.jp-InputPrompt') || {}).textContent || '',
    outputs: [...cell.querySelectorAll('.jp-OutputArea-output')].map(o => o.textContent)}))"""

# Mark every output area that holds a control panel (a slider and a plotly figure).
PANELS_JS = """() => {
    const found = [];
    document.querySelectorAll('.jp-Notebook .jp-OutputArea').forEach((area, k) => {
        const slider = area.querySelector('.widget-slider');
        if (!slider || !area.querySelector('.js-plotly-plot')) return;
        area.setAttribute('data-panel', String(found.length));
        const cell = area.closest('.jp-CodeCell');
        const label = s => (s.querySelector('.widget-label') || {}).textContent || '';
        found.push({code: [...cell.querySelectorAll('.jp-InputArea .cm-line')]
                              .map(l => l.textContent).join('\\n'),
                    sliders: [...area.querySelectorAll('.widget-slider')].map(label)});
    });
    return found; }"""

# The data of a panel's figure (x and y of each trace), to tell whether it was redrawn.
PANEL_DATA_JS = """(k) => {
    const area = document.querySelector(`[data-panel="${k}"]`);
    const gd = area && area.querySelector('.js-plotly-plot');
    if (!gd || !gd.data || !gd.querySelector('.main-svg')) return null;
    const plain = v => ArrayBuffer.isView(v) ? Array.from(v) : v;
    return JSON.stringify(gd.data.map(t => [plain(t.x), plain(t.y), plain(t.base), t.text]));
}"""

# The panel's controls (label -> readout or chosen button) and its figure's traces.
READ_PANEL_JS = """(k) => {
    const area = document.querySelector(`[data-panel="${k}"]`);
    const plain = v => ArrayBuffer.isView(v) ? Array.from(v)
        : Array.isArray(v) ? v.map(plain)
        : (v && typeof v === 'object') ? Object.fromEntries(Object.entries(v)
            .filter(([key]) => !key.startsWith('_')).map(([key, x]) => [key, plain(x)]))
        : v;
    const label = w => (w.querySelector('.widget-label') || {}).textContent || '';
    const controls = Object.fromEntries([
        ...[...area.querySelectorAll('.widget-slider')].map(s => [label(s),
            (s.querySelector('.widget-readout') || {}).textContent || '']),
        ...[...area.querySelectorAll('.widget-toggle-buttons')].map(t => [label(t),
            (t.querySelector('.mod-active') || {}).textContent || ''])]);
    const gd = area.querySelector('.js-plotly-plot');
    return {controls, traces: (gd.data || []).map(t => plain({x: t.x, y: t.y})),
            title: ((gd.layout || {}).title || {}).text || ''};
}"""

# Time from the next key press to the moment panel k shows a figure with other data.
TIMER_JS = """(k) => {
    const area = document.querySelector(`[data-panel="${k}"]`);
    const read = () => { const gd = area.querySelector('.js-plotly-plot');
        const plain = v => ArrayBuffer.isView(v) ? Array.from(v) : v;
        return gd && gd.data && gd.querySelector('.main-svg') ? JSON.stringify(gd.data.map(
            t => [plain(t.x), plain(t.y), plain(t.base), t.text])) : null; };
    const before = read();
    window.__tcpnbKey = null; window.__tcpnbDrawn = null;
    document.addEventListener('keydown', () => { window.__tcpnbKey = performance.now(); },
                              {once: true, capture: true});
    const seen = new MutationObserver(() => {
        const now = read();
        if (window.__tcpnbKey !== null && now !== null && now !== before) {
            window.__tcpnbDrawn = performance.now(); seen.disconnect(); }
    });
    seen.observe(area, {childList: true, subtree: true, attributes: true});
}"""

# What of each solution cell a reader can see: visible text outside prompts, buttons and folds.
# Each text ladder shown by show_text(): its white-space, and whether a line wrapped.
WIDE_TEXT_JS = """() => [...document.querySelectorAll('.jp-Notebook .jp-OutputArea pre')]
    .filter(p => /t \\(s\\)/.test(p.textContent)).map(p => {
        const style = getComputedStyle(p), lines = p.textContent.split('\\n').length;
        return {whiteSpace: style.whiteSpace, overflowX: style.overflowX,
                lines, height: p.getBoundingClientRect().height,
                lineHeight: parseFloat(style.lineHeight), scrolls: p.scrollWidth > p.clientWidth,
                cellWidth: p.closest('.jp-OutputArea').getBoundingClientRect().width}; })"""

# Markdown tables whose right edge passes their cell's (JupyterLab cuts them; they do not scroll).
CUT_TABLES_JS = """() => [...document.querySelectorAll('.jp-Notebook .jp-RenderedMarkdown table')]
    .map(t => ({text: t.textContent.trim().slice(0, 60), right: t.getBoundingClientRect().right,
                edge: t.closest('.jp-RenderedMarkdown').getBoundingClientRect().right,
                scroll: t.closest('.jp-RenderedMarkdown').scrollWidth
                        - t.closest('.jp-RenderedMarkdown').clientWidth}))
    .filter(t => t.right > t.edge + 1 || t.scroll > 1)"""

# Self-check options whose text runs past the top of the next option (or out of their box):
# a long option wraps, and a fixed-height line would print it over its neighbour.
OVERLAPPING_CHOICES_JS = """() => [...document.querySelectorAll('.jp-Notebook .widget-radio-box')]
    .flatMap(box => { const labels = [...box.querySelectorAll('label')];
        return labels.map((label, k) => { const range = document.createRange();
            range.selectNodeContents(label);
            const limit = k + 1 < labels.length ? labels[k + 1].getBoundingClientRect().top
                                                : box.getBoundingClientRect().bottom;
            return {text: label.textContent.trim().slice(0, 60), visible: label.offsetParent !== null,
                    bottom: range.getBoundingClientRect().bottom, limit}; })
        .filter(o => o.visible && o.bottom > o.limit + 1); })"""

# Colours of the knowledge table's cells and of the self-check feedback, as drawn.
COLOURS_JS = """() => {
    // The background a reader sees: every translucent layer (a selected cell's tint, say)
    // composited over the layers under it, down to the first opaque one.
    const rgba = c => { const m = c.match(/[\\d.]+/g).map(Number); return m.length === 4 ? m : [...m, 1]; };
    const seen = e => { const layers = [];
        for (let el = e; el; el = el.parentElement) {
            const c = rgba(getComputedStyle(el).backgroundColor);
            if (c[3] > 0) layers.push(c);
            if (c[3] >= 1) break; }
        let [r, g, b] = [255, 255, 255];
        for (const [lr, lg, lb, a] of layers.reverse()) {
            [r, g, b] = [lr * a + r * (1 - a), lg * a + g * (1 - a), lb * a + b * (1 - a)]; }
        return `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`; };
    const pair = e => ({text: e.textContent.trim().slice(0, 40), fg: getComputedStyle(e).color,
                        bg: seen(e)});
    return [...document.querySelectorAll('.jp-Notebook .jp-OutputArea td, '
                                         + '.jp-Notebook .widget-html span[style]')]
        .filter(e => e.textContent.trim()).map(pair); }"""


def menu(page: Any, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()


def run_all(page: Any, notebook: str, done: str) -> None:
    """Run All Cells from the menu; wait until the last cell prints ``done``, or fail on an
    error in any cell."""
    dialogs = page.locator(".jp-Dialog").all_text_contents()
    if dialogs:
        pytest.fail(f"JupyterLab shows a dialog: {dialogs}")
    page.locator(".jp-Notebook .jp-Cell").first.click()
    menu(page, "Run", "Run All Cells")

    def finished() -> bool:
        cells = page.evaluate(CELLS_JS)
        error = cell_error(cells)
        if error:
            pytest.fail(f"{notebook}: a cell errored in the page: {error}")
        return any(done in text for text in cells[-1]["outputs"]) if cells else False

    poll(finished, 600, f"{notebook} to run all its cells", every=0.5)  # 01: 289 s at load 18


def cell_error(cells: list[dict[str, Any]]) -> str | None:
    """'cell N: ErrorName: message' for the first cell that shows a traceback or a widget error."""
    for i, cell in enumerate(cells, 1):
        for text in cell["outputs"]:
            if "Traceback (most recent call last)" in text or re.search(
                    r"Error displaying widget|Failed to (load|create) (model|view)", text):
                found = re.findall(r"^(\w*(?:Error|Exception)\b.*)$", text, re.M)
                return f"code cell {i} ({cell['prompt']}): {found[-1] if found else text[-300:]}"
    return None


# ------------------------------------------------------------------ what the model says
LABELS = {label: name for name, (label, *_range) in widgets.SLIDERS.items()}


def explore_call(source: str) -> tuple[str, dict[str, Any]]:
    """The scenario and keywords of the ``explore("name", key=value, ...)`` call in ``source``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) \
                == "explore" and node.args and isinstance(node.args[0], ast.Constant):
            return node.args[0].value, {k.arg: ast.literal_eval(k.value) for k in node.keywords
                                        if k.arg is not None}
    pytest.fail("the first panel with a delay slider must be a literal `widgets.explore(\"scenario\", "
                f"key=value, ...)` call (notebooks/CONVENTIONS.md), so the test knows its model; "
                f"its cell reads:\n{source}")


def settings(panel: dict[str, Any]) -> dict[str, Any]:
    """The panel's control values as explore() keywords ("delay (s)": "0.12" -> delay=0.12)."""
    values: dict[str, Any] = {}
    for label, shown in panel["controls"].items():
        if label == "profile":
            values["profile"] = shown.strip().lower()
        elif label in LABELS and re.fullmatch(r"-?\d+(\.\d*)?", shown.strip()):
            values[LABELS[label]] = int(shown) if LABELS[label] == "seed" else float(shown)
    return values


def _rounded(values: Any) -> list[float | None]:
    return [None if v is None else round(float(v), 6) for v in (values or [])]


def traces(figure: list[dict[str, Any]]) -> list[tuple[list[float | None], list[float | None]]]:
    """Each trace's x and y, rounded: what the reader sees drawn."""
    return [(_rounded(t.get("x")), _rounded(t.get("y"))) for t in figure]


def model_traces(scenario: str, call: dict[str, Any], now: dict[str, Any]) -> list[Any]:
    """The traces tcpnb draws for ``scenario`` with the panel's controls set as ``now``."""
    panel = widgets.explore(scenario, **call)
    panel.update(**{k: v for k, v in now.items() if k in panel.controls})
    return traces(panel.figure.to_plotly_json()["data"])
