"""In a real browser: Run All reveals no solution, one click reveals one, and typed numbers are judged as typed.

JupyterLab (a server of its own on a copy of the course, as in test_browser.py) in Debian's
Chromium driven by Playwright.  For every course notebook: Run All, then every cell tagged
``solution`` must show no more than its fold ("Show the answer", "Show the solution") and its
folded code; clicking one fold must show what it held.  A solution that draws a plotly figure
(a notebook written here) must draw it once opened.  And notebook 01's number self-check (alone in a notebook written
here) is typed into key by key and checked at once, 30 times: every verdict must be about
exactly what was typed.  Each copy ends with a cell that prints when every cell above has run.

Screenshots (light theme) go to ``test-artifacts/solutions/``.  Skips without Chromium or
Playwright, and fails in CI (see test_browser.py).
"""

from __future__ import annotations

import http.cookiejar
import json
import random
import re
import shutil
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tcpnb.course.quiz import read_number

from .test_browser import CHROMIUM, CHROMIUM_ARGS, _menu, _poll, _require_browser, _start_kernel, jupyterlab

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import sync_notebooks as sync  # noqa: E402

COURSE = sync.course(ROOT / "notebooks")
ARTIFACTS = ROOT / "test-artifacts" / "solutions"
NB = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"  # the notebook in the current tab
FIGURE = "99_solution_with_a_figure.ipynb"
NUMBER = "98_number_check.ipynb"
LAST_WORDS = "tcpnb test: every cell above has run"  # printed by a cell added to each copy
TRIES = 30


def _figure_notebook() -> nbformat.NotebookNode:
    """A notebook whose one solution prints a line and shows a ladder figure."""
    solution = nbformat.v4.new_code_cell(
        'print("the ladder of syn_lost:")\ntcpnb.ladder(tcpnb.scenarios.run("syn_lost")).show()',
        metadata={"tags": ["solution"]})
    sync.fold_solution(solution)
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A solution with a figure"),
        nbformat.v4.new_code_cell("import tcpnb"), solution,
        nbformat.v4.new_markdown_cell("The end.")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}})


def _number_notebook() -> nbformat.NotebookNode:
    """A notebook that asks notebook 01's number self-check (answer 3.2 s), and nothing else."""
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        'from tcpnb.course import quiz\n\nquiz.load("questions/01_three_way_open.toml")'
        '["connect_time_two_losses"]')], metadata=_figure_notebook().metadata)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab server on a copy of notebooks/ (with questions/ and data/); yields its URL."""
    _require_browser()
    tmp = tmp_path_factory.mktemp("solutions")
    root = tmp / "root"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")  # autosave must not touch the originals
    nbformat.write(_figure_notebook(), root / "notebooks" / FIGURE)
    nbformat.write(_number_notebook(), root / "notebooks" / NUMBER)
    for path in [root / "notebooks" / name for name in (*(p.name for p in COURSE), FIGURE, NUMBER)]:
        nb = nbformat.read(path, as_version=4)  # the kernel runs cells in order: this one last
        nb.cells.append(nbformat.v4.new_code_cell(f"print({LAST_WORDS!r})"))
        nbformat.write(nb, path)
    (root / "data").symlink_to(ROOT / "data")
    with jupyterlab(root, tmp / "jupyter", tmp / "jupyterlab.log",
                    {"notebook-extension/tracker": {"windowingMode": "none"}}) as base:
        yield base


@pytest.fixture(scope="module")
def browser(lab: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _open_and_run_all(browser: Any, base: str, name: str, cells: int) -> Any:
    """A page with notebooks/``name`` open and every cell run, folded ones too.

    ``cells`` is the number of cells in the file; the copy has one more, the last, whose
    output says that every cell above it has run.
    """
    _start_kernel(base, f"notebooks/{name}")
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.goto(f"{base}/lab/tree/notebooks/{name}?reset")  # this notebook only, not the last one
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=60_000)
    page.locator(f"{NB} .jp-Cell").first.click()
    _menu(page, "Run", "Run All Cells")  # as a learner would: no "Expand All Code" first
    deadline = time.monotonic() + 30
    while page.locator(f"{NB} .jp-Cell").count() != cells + 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    found = page.locator(f"{NB} .jp-Cell").count() - 1
    assert found == cells, ("every cell must be in the page (windowing is off), so that the n-th "
                            f"cell is the n-th in the file: the page has {found} of {cells}")

    def done() -> bool:
        errors = page.locator(f"{NB} .jp-OutputArea-output[data-mime-type="
                              "'application/vnd.jupyter.stderr']", has_text="Error")
        if errors.count():
            page.screenshot(path=str(ARTIFACTS / f"{name[:2]}-failure.png"))
            pytest.fail(f"{name}: a cell raised in the page: {errors.first.inner_text()[-400:]}")
        return page.locator(f"{NB} .jp-OutputArea-output", has_text=LAST_WORDS).count() > 0
    _poll(done, 600, f"Run All of {name} to reach its last cell")
    return page


CELL_TEXT_JS = f"""i => document.querySelectorAll('{NB} .jp-Cell')[i].innerText"""
ALLOWED = re.compile(r"\[\d*\]:|Show the answer|Show the solution|with tcpnb\.solution\(\):|[\s…·]")


def _close(page: Any, base: str) -> None:
    """Close the page and shut its notebook's kernel down (the next notebook gets the CPU)."""
    page.close()
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/lab", timeout=30).read()
    xsrf = next(c.value for c in jar if c.name == "_xsrf")
    for session in json.loads(opener.open(f"{base}/api/sessions", timeout=30).read()):
        opener.open(urllib.request.Request(f"{base}/api/sessions/{session['id']}", method="DELETE",
                                           headers={"X-XSRFToken": xsrf}), timeout=30).read()


def _cells(name: str) -> list[nbformat.NotebookNode]:
    return list(nbformat.read(ROOT / "notebooks" / name, as_version=4).cells)


@pytest.mark.parametrize("name", [p.name for p in COURSE])
def test_run_all_reveals_no_solution_until_one_is_opened(browser: Any, lab: str, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    cells = _cells(name)
    page = _open_and_run_all(browser, lab, name, len(cells))
    try:
        solutions = [(i, c.cell_type) for i, c in enumerate(cells) if sync.is_solution(c)]
        assert solutions, f"{name} has no solution cell"
        for i, kind in solutions:
            shown = page.evaluate(CELL_TEXT_JS, i)
            assert not ALLOWED.sub("", shown), f"{name}, cell {i} ({kind}) shows {shown!r}"
        code = next(i for i, kind in solutions if kind == "code" and page.locator(
            f"{NB} .jp-Cell").nth(i).locator("details.tcpnb-solution").count())  # it prints
        cell = page.locator(f"{NB} .jp-Cell").nth(code)
        cell.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"{name[:2]}-before.png"))
        cell.locator("details.tcpnb-solution > summary").click()
        opened = page.evaluate(CELL_TEXT_JS, code)
        assert ALLOWED.sub("", opened), f"{name}: opening the fold showed nothing"
        page.wait_for_timeout(200)
        page.screenshot(path=str(ARTIFACTS / f"{name[:2]}-after.png"))
        answer = next((i for i, kind in solutions if kind == "markdown"), None)
        if answer is not None:
            page.locator(f"{NB} .jp-Cell").nth(answer).locator("details > summary").click()
            shown = page.evaluate(CELL_TEXT_JS, answer)  # the answer, not only its summary
            assert ALLOWED.sub("", shown), f"{name}: opening answer cell {answer} showed nothing"
        if name.startswith("01"):
            assert "7.5" in opened  # exercise 1: 1 + 2 + 4 s of timeouts and a 0.5 s round trip
    finally:
        _close(page, lab)


def test_a_solution_that_draws_a_figure_draws_it_when_opened(browser: Any, lab: str) -> None:
    page = _open_and_run_all(browser, lab, FIGURE, len(_figure_notebook().cells))
    try:
        fold = page.locator(".tcpnb-solution")
        fold.wait_for(timeout=30_000)
        assert page.locator(".js-plotly-plot:visible").count() == 0
        assert "the ladder of syn_lost" not in page.locator(".jp-Notebook").inner_text()
        page.screenshot(path=str(ARTIFACTS / "figure-before.png"))
        fold.get_by_text("Show the solution").click()
        page.locator(".tcpnb-solution .js-plotly-plot .main-svg").first.wait_for(timeout=30_000)
        assert "the ladder of syn_lost" in fold.inner_text()
        assert page.locator(".tcpnb-solution .js-plotly-plot").first.is_visible()
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / "figure-after.png"))
    finally:
        _close(page, lab)


def test_a_number_typed_and_checked_at_once_is_judged_as_typed(browser: Any, lab: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    page = _open_and_run_all(browser, lab, NUMBER, len(_number_notebook().cells))
    try:
        form = page.locator(".jp-OutputArea-output", has_text="A's SYN is lost twice").first
        form.scroll_into_view_if_needed()
        box, button = form.locator("input.tcpnb-number-input"), form.get_by_role("button",
                                                                                name="Check")
        feedback = form.locator(".widget-html").last
        typed = _tries()
        misjudged = []
        for text in typed:
            before = feedback.inner_text()
            box.fill("")
            box.press_sequentially(text)  # key by key, as a learner types
            button.click()  # at once
            shown = _poll(lambda: (t := feedback.inner_text()) != before and t, 10,
                          f"feedback on {text!r}")
            if not shown.startswith(_expected(text)):
                misjudged.append((text, shown))
        page.screenshot(path=str(ARTIFACTS / "number-box.png"))
    finally:
        _close(page, lab)
    with capsys.disabled():
        print(f"\nnumber box: {len(typed)} tries typed and checked at once, {len(misjudged)} misjudged")
    assert not misjudged, misjudged


def _tries() -> list[str]:
    """What to type: the answer, a listed mistake, a comma decimal, an empty box, the unit, text,
    and random numbers; no two in a row with the same verdict, so each one changes the line."""
    rng, tries = random.Random(12), ["3.2", "2.2", "3,2", "", "3.2 s", "abc"]
    while len(tries) < TRIES:
        text = f"{rng.uniform(0, 9):.{rng.choice([1, 2])}f}".replace(".", rng.choice(".,"))
        if _expected(text) != _expected(tries[-1]):
            tries.append(text)
    return tries


def _expected(text: str) -> str:
    """What the feedback line must say for ``text`` (connect_time_two_losses: 3.2 s)."""
    try:
        value = read_number(text, "s", "12.5")
    except ValueError as hint:
        return str(hint)
    verdict = "✔" if abs(value - 3.2) <= 0.005 else "✘"
    return f"{verdict} {value:g} s is {'right' if verdict == '✔' else 'not right'}"
