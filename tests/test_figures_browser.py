"""A learner's view: each notebook run in JupyterLab in a real browser, each figure read from the page.

One JupyterLab server (config, runtime and settings in a temp dir) serves a copy of the course;
Debian's Chromium (``/usr/bin/chromium``, driven by Playwright for Python; never a browser a tool
downloads) opens each notebook at 1440 x 900 and runs all cells. Then, from the page:

* every plotly figure's text elements and loss marks, as Chromium drew them: no two overlap,
  none covers a loss mark, none is cut off (``browser_support.problems``);
* every control panel: one slider moved with the keyboard, and the figure's data changes (the
  first delay panel of 01 must then equal what the simulator says); the time from key to
  redrawn figure is printed;
* every notebook again at 1024 x 700 with the file browser open (figures fit and read well,
  text ladders scroll instead of wrapping, markdown tables fit their cell, a self-check option
  that wraps pushes the next one down), and in the dark theme
  at 1440 (figures read well; contrast of the knowledge tables and the feedback).

Each notebook is visited once (``visit``) and the tests below read what was found. Screenshots
go to ``test-artifacts/browser/``. In CI (``CI=true``) a missing Chromium or Playwright fails
the test; elsewhere it skips. That no solution shows after Run All is
``test_solutions_browser.py``'s job.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tcpnb.views import palette

from .browser_support import (
    ARTIFACTS, COLOURS_JS, CUT_TABLES_JS, FIGURE_TEXT_JS, OVERLAPPING_CHOICES_JS, PANEL_DATA_JS,
    PANELS_JS, READ_PANEL_JS, ROOT,
    TIMER_JS, WIDE_TEXT_JS, Lab, chromium, explore_call, menu, model_traces, poll,
    problems, require_browser, run_all, settings, traces,
)

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WIDE, NARROW = (1440, 900), (1024, 700)
DONE = "tcpnb-browser-test: all cells ran"


# ------------------------------------------------------------------ one visit per notebook
@dataclass
class Visit:
    """What one Run All of a notebook showed."""

    notebook: str
    seconds: float = 0.0
    figures: int = 0
    problems: list[str] = field(default_factory=list)
    panels: list[str] = field(default_factory=list)          # panel moved: "what changed"
    unchanged: list[str] = field(default_factory=list)       # panels whose figure stayed
    timings: list[tuple[str, float]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


class Course:
    """The server, the browser and a visit per notebook, shared by every test of this module."""

    def __init__(self, tmp: Path) -> None:
        root = tmp / "root"
        (root / "notebooks").mkdir(parents=True)
        for name in NOTEBOOKS:  # copies with a last cell that says the run is over
            notebook = json.loads((ROOT / "notebooks" / name).read_text())
            notebook["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                                      "execution_count": None, "source": f"print({DONE!r})"})
            (root / "notebooks" / name).write_text(json.dumps(notebook))
        (root / "notebooks" / "questions").symlink_to(ROOT / "notebooks" / "questions")
        (root / "data").symlink_to(ROOT / "data")
        home = tmp / "jupyter"
        notebook_settings = home / "settings" / "@jupyterlab" / "notebook-extension"
        notebook_settings.mkdir(parents=True)
        (notebook_settings / "tracker.jupyterlab-settings").write_text(
            json.dumps({"windowingMode": "none"}))  # draw every cell, in view or not
        self.lab = Lab(root, home)
        self.visits: dict[str, Visit] = {}
        self.failed: dict[str, BaseException] = {}  # a failed visit fails its tests, once
        self._browser = chromium()
        self.browser = self._browser.__enter__()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        self._browser.__exit__(None, None, None)
        self.lab.stop()

    def visit(self, notebook: str) -> Visit:
        if notebook in self.failed:
            pytest.fail(f"{notebook}: the visit failed earlier: {self.failed[notebook]!r}")
        if notebook not in self.visits:
            try:
                self.visits[notebook] = self._visit(notebook)
            except Exception as error:
                self.failed[notebook] = error
                raise
        return self.visits[notebook]

    def _visit(self, notebook: str) -> Visit:
        found = Visit(notebook)
        started = time.monotonic()
        self.lab.start_kernel(f"notebooks/{notebook}")
        page = self.browser.new_page(viewport=dict(zip(("width", "height"), WIDE)))
        try:
            page.goto(f"{self.lab.base}/lab/tree/notebooks/{notebook}?reset")
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
            page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]',
                                   timeout=60_000)
            run_all(page, notebook, DONE)
            page.wait_for_timeout(800)  # let the last figures draw
            stem = notebook[:2]
            found.figures, found.problems = _read_figures(page, f"{stem}_light_1440")
            _move_panels(page, found, stem)
            found.extra["narrow"] = _narrow(page, stem)
            found.extra["dark"] = _dark(page, stem)
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / f"{notebook[:2]}_failure.png"))
            print(f"JupyterLab log (tail):\n{self.lab.tail()}")
            raise
        finally:
            page.close()
            self.lab.stop_kernels()
            found.seconds = time.monotonic() - started
        return found


def _read_figures(page: Any, shot: str) -> tuple[int, list[str]]:
    """Check every figure on the page; screenshot each, whole, as ``shot``-NN.png."""
    figures = page.evaluate(FIGURE_TEXT_JS, ".jp-Notebook")
    found = [f"figure {k} ({f['title'][:50]!r}): {p}" for k, f in enumerate(figures)
             for p in problems(f)]
    size = page.viewport_size  # a window tall enough for each figure to be pictured whole
    tallest = max([f["figure"][3] - f["figure"][1] for f in figures] + [0])
    page.set_viewport_size({"width": size["width"], "height": max(size["height"],
                                                                  int(tallest) + 260)})
    for k in range(page.locator(".jp-Notebook .js-plotly-plot").count()):
        _picture(page.locator(".jp-Notebook .js-plotly-plot").nth(k), f"{shot}-{k:02}.png")
    page.set_viewport_size(size)
    return len(figures), found


def _picture(element: Any, name: str) -> None:
    """Screenshot ``element``; a Monte-Carlo panel still refining may replace its figure meanwhile."""
    from playwright.sync_api import Error

    for attempt in range(5):
        try:
            element.scroll_into_view_if_needed(timeout=10_000)
            element.screenshot(path=str(ARTIFACTS / name), timeout=10_000)
            return
        except Error:  # detached by a redraw: take the figure that replaced it
            if attempt == 4:
                raise
            time.sleep(0.3)


# ------------------------------------------------------------------ panels
def _move_panels(page: Any, found: Visit, stem: str) -> None:
    """Move the first slider of every panel; its figure must change (and still read well)."""
    panels = page.evaluate(PANELS_JS)
    for k, panel in enumerate(panels):
        what = f"panel {k} ({panel['code'].strip().splitlines()[-1][:60]})"
        area = page.locator(f'[data-panel="{k}"]')
        area.scroll_into_view_if_needed()
        before = poll(lambda: page.evaluate(PANEL_DATA_JS, k), 30, f"{what}'s figure")
        model = _model_check(page, k, panel["code"]) if stem == "01" and k == 0 else None
        page.evaluate(TIMER_JS, k)
        handle = area.locator(".widget-slider .noUi-handle").first
        handle.focus()
        for _ in range(2):
            page.keyboard.press("ArrowRight")
        try:
            poll(lambda: (page.evaluate(PANEL_DATA_JS, k) or before) != before, 60,
                 f"{what} to redraw")
        except pytest.fail.Exception:
            found.unchanged.append(what)
            continue
        key, drawn = page.evaluate("() => [window.__tcpnbKey, window.__tcpnbDrawn]")
        if key is not None and drawn is not None:
            found.timings.append((what, drawn - key))
        found.panels.append(what)
        page.wait_for_timeout(300)
        figure = page.evaluate(FIGURE_TEXT_JS, f'[data-panel="{k}"]')
        found.problems += [f"{what} after the move: {p}" for f in figure for p in problems(f)]
        area.screenshot(path=str(ARTIFACTS / f"{stem}_panel{k}_moved.png"))
        if model is not None:
            found.extra["model"] = model(page)


def _model_check(page: Any, k: int, code: str) -> Any:
    """Before 01's first panel moves: its figure is the model's; return the check for after."""
    scenario, call = explore_call(code)
    before = page.evaluate(READ_PANEL_JS, k)
    start = settings(before)
    assert "delay" in start, f"no delay readout among the controls {before['controls']}"
    assert traces(before["traces"]) == model_traces(scenario, call, start), (
        f"before any change the figure is not {scenario} at {start}")

    def after(page: Any) -> dict[str, Any]:
        now = poll(lambda: (lambda p: p if settings(p).get("delay", 0) > start["delay"] and traces(
            p["traces"]) == model_traces(scenario, call, settings(p)) else None)(
                page.evaluate(READ_PANEL_JS, k)), 15, f"the figure to show {scenario} moved")
        handle = page.locator(f'[data-panel="{k}"] .widget-slider .noUi-handle').first
        return dict(scenario=scenario, start=start, end=settings(now),
                    role=handle.get_attribute("role"), tabindex=handle.get_attribute("tabindex"),
                    valuetext=handle.get_attribute("aria-valuetext"),
                    longer=max(v for _, y in traces(now["traces"]) for v in y if v is not None)
                    > max(v for _, y in traces(before["traces"]) for v in y if v is not None))
    return after


# ------------------------------------------------------------------ narrow and dark
def _narrow(page: Any, stem: str) -> dict[str, Any]:
    """At 1024 x 700 with the file browser open: figures, text ladders and markdown tables."""
    page.set_viewport_size(dict(zip(("width", "height"), NARROW)))
    if not page.locator(".jp-FileBrowser").first.is_visible():
        page.locator('.lm-TabBar-tab[data-id="filebrowser"]').first.click()
    poll(lambda: page.locator(".jp-FileBrowser").first.is_visible(), 10, "the file browser")
    page.wait_for_timeout(1500)  # plotly redraws at the new width
    figures, problems_ = _read_figures(page, f"{stem}_narrow_1024")
    page.screenshot(path=str(ARTIFACTS / f"{stem}_narrow_1024_page.png"))
    for k, table in enumerate(page.locator(".jp-Notebook .jp-RenderedMarkdown table").all()):
        _picture(table, f"{stem}_narrow_1024_table{k}.png")
    tables, choices = page.evaluate(CUT_TABLES_JS), page.evaluate(OVERLAPPING_CHOICES_JS)
    quiz = page.locator(".jp-Notebook .widget-radio-box").first
    if quiz.count():
        _picture(quiz, f"{stem}_narrow_1024_selfcheck.png")
    page.set_viewport_size(dict(zip(("width", "height"), WIDE)))
    return dict(figures=figures, problems=problems_, ladders=page.evaluate(WIDE_TEXT_JS),
                tables=tables, choices=choices)


def _dark(page: Any, stem: str) -> dict[str, Any]:
    """In JupyterLab Dark: figures, the knowledge tables' cells and the feedback's colours."""
    menu(page, "Settings", "Theme")
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^JupyterLab Dark$")).click()
    poll(lambda: page.evaluate("() => document.body.dataset.jpThemeLight") == "false", 20,
         "the dark theme")
    page.wait_for_timeout(1000)
    wrong = page.locator(".jp-Notebook .widget-radio-box input").first  # answer a self-check
    if wrong.count():
        wrong.check()
        page.locator(".jp-Notebook button", has_text="Check").first.click()
        page.wait_for_timeout(500)
    figures, problems_ = _read_figures(page, f"{stem}_dark_1440")
    for what, where in (("table", ".jp-Notebook .jp-OutputArea table"),
                        ("feedback", ".jp-Notebook .widget-html span[style]")):
        shown = page.locator(where).first
        if shown.count():
            shown.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / f"{stem}_dark_{what}.png"))
    page.mouse.move(0, 0)  # no hovered table row: JupyterLab's hover tint is not the course's colour
    colours = page.evaluate(COLOURS_JS)
    menu(page, "Settings", "Theme")  # back to light for the notebooks after this one
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^JupyterLab Light$")).click()
    return dict(figures=figures, problems=problems_, colours=colours)


def _css(colour: str) -> str:
    """``rgb(r, g, b)`` / ``rgba(...)`` from getComputedStyle, for palette.contrast."""
    return colour.replace(" ", "")


# ------------------------------------------------------------------ fixtures and tests
@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Any:
    require_browser()
    shared = Course(tmp_path_factory.mktemp("browser"))
    yield shared
    shared.close()


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_figure_reads_well_after_run_all(course: Course, notebook: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    found = course.visit(notebook)
    with capsys.disabled():
        print(f"\n{notebook}: {found.figures} figures, {len(found.problems)} text problems, "
              f"{len(found.panels)} panels moved, "
              f"browser {found.seconds:.1f} s; " + ", ".join(
                  f"{what.split(' (')[0]} redrawn in {ms:.0f} ms" for what, ms in found.timings))
    assert found.figures > 0
    assert found.problems == []


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_moving_a_control_redraws_every_panel(course: Course, notebook: str) -> None:
    found = course.visit(notebook)
    assert found.unchanged == [], "these panels did not redraw"


def test_the_delay_slider_redraws_the_ladder_as_the_model_says(course: Course) -> None:
    model = course.visit(NOTEBOOKS[1]).extra.get("model")
    assert model is not None, "01 has no panel with a delay slider"
    assert model["end"]["delay"] > model["start"]["delay"] and model["longer"]
    # What a screen reader announces: a focusable slider whose value text follows the keys.
    assert model["role"] == "slider" and model["tabindex"] == "0"
    assert float(model["valuetext"] or "nan") == model["end"]["delay"]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_a_narrow_window_with_the_file_browser_open(course: Course, notebook: str) -> None:
    narrow = course.visit(notebook).extra["narrow"]
    assert narrow["figures"] > 0 and narrow["problems"] == []
    assert narrow["tables"] == [], "markdown tables cut off at the right"
    assert narrow["choices"] == [], "self-check options printed over the next one"
    if notebook.startswith("01"):
        assert narrow["ladders"], "01 shows no text ladder"
    for ladder in narrow["ladders"]:  # one text line, one drawn line: nothing wrapped
        assert ladder["whiteSpace"] == "pre" and ladder["overflowX"] == "auto"
        assert ladder["height"] <= ladder["lines"] * ladder["lineHeight"] + 4, ladder


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_dark_theme(course: Course, notebook: str) -> None:
    dark = course.visit(notebook).extra["dark"]
    assert dark["figures"] > 0 and dark["problems"] == []
    if notebook.startswith("00"):
        marks = [c for c in dark["colours"] if re.match(r"[✓?–✔✘]", c["text"])]
        assert marks, "no knowledge table or feedback found"
    low = [(c, round(palette.contrast(_css(c["fg"]), _css(c["bg"])), 2)) for c in dark["colours"]
           if palette.contrast(_css(c["fg"]), _css(c["bg"])) < 4.5]
    assert low == []
