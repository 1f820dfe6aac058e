"""The offline HTML edition and the lecture slides build, and both read offline.

Builds the course (notebooks/NN_*.ipynb; the fixture course while there is none) into a temp
dir with tools/build.py, then opens every page in headless Chromium with every request that is
not a local file refused, and checks that each plotly figure drew and that solutions are folded;
and opens every deck the same way, moves through it with the arrow keys and checks that its
figures drew.  Screenshots go to test-artifacts/html/ and test-artifacts/slides/.  Without Chromium the browser part fails in CI and
skips elsewhere (see test_browser.py); the build itself always runs.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import static_edition  # noqa: E402
import sync_notebooks as sync  # noqa: E402

# tools/build.py, loaded by path: "build" is also the name of a PyPI package.
_spec = importlib.util.spec_from_file_location("tcpnb_tools_build", ROOT / "tools" / "build.py")
build = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)  # type: ignore[union-attr]

from .test_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser  # noqa: E402

COURSE = ROOT / "notebooks" if sync.course(ROOT / "notebooks") else ROOT / "tests/fixtures/course"
ARTIFACTS = ROOT / "test-artifacts" / "html"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> dict[str, Any]:
    """Execute the course once; build the learner and instructor editions and the slides."""
    out = tmp_path_factory.mktemp("build")
    timings = {}
    started = time.perf_counter()
    books = [build.execute(path) for path in sync.course(COURSE)]
    timings["execute"] = time.perf_counter() - started
    for name, make in [("html", lambda: build.build_html(books, out / "html")),
                       ("instructor", lambda: build.build_html(books, out / "instructor", True)),
                       ("slides", lambda: build.build_slides(books, out / "slides"))]:
        started = time.perf_counter()
        make()
        timings[name] = time.perf_counter() - started
    sizes = {name: build.Report().bytes(out / name) for name in ("html", "instructor", "slides")}
    with pytestconfig.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
        print(f"\nbuilds of {COURSE.relative_to(ROOT)}: "
              + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()) + "; "
              + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sizes.items()))
    return {"out": out, "books": books}


def _pages(folder: Path) -> list[Path]:
    return sorted(folder.glob("[0-9][0-9]_*.html"))


def test_every_notebook_has_a_page_and_the_index_lists_them_in_course_order(built: dict[str, Any]) -> None:
    for edition in ("html", "instructor", "slides"):
        folder = built["out"] / edition
        names = [book.path.with_suffix(".html").name for book in built["books"]]
        assert [p.name for p in _pages(folder)] == names
        index = (folder / "index.html").read_text()
        assert re.findall(r'href="(\d\d_\w+\.html)"', index) == names
        assert (folder / "plotly.min.js").stat().st_size > 1_000_000


def test_pages_load_nothing_from_the_network(built: dict[str, Any]) -> None:
    for page in _pages(built["out"] / "html") + [built["out"] / "html" / "index.html"]:
        text = page.read_text()
        assert not re.search(r'<script[^>]+src="(https?:)?//', text), page.name
        assert not re.search(r'<link[^>]+href="(https?:)?//', text), page.name
        assert "application/vnd.jupyter.widget" not in text, f"{page.name}: a widget left live"
        assert "Plotly.newPlot" in text or "js-plotly-plot" not in text


def test_slides_leave_out_solutions_and_generated_cells(built: dict[str, Any]) -> None:
    for book in built["books"]:
        kept = build.slide_cells(book.nb).cells
        assert not any(sync.SOLUTION_TAGS & set(c.metadata.get("tags", [])) for c in kept)
        assert not any(c.metadata.get("tcpnb") for c in kept)
    for deck in _pages(built["out"] / "slides"):
        assert deck.read_text().count("<section") >= 1, deck.name


def test_the_instructor_edition_shows_solutions_and_the_learner_edition_folds_them(
        built: dict[str, Any]) -> None:
    def count(pattern: str, page: str) -> int:
        return len(re.findall(pattern.replace(" open", ' open(?:="")?'), page))

    for book in built["books"]:
        kinds = [c.cell_type for c in book.nb.cells if sync.is_solution(c)]
        learner, instructor = ((built["out"] / edition / book.path.with_suffix(".html").name)
                               .read_text() for edition in ("html", "instructor"))
        code = '<details class="tcpnb-solution"{}><summary>Show the solution</summary>'
        assert count(code.format(""), learner) == count(code.format(" open"), instructor) \
            == kinds.count("code")
        assert "<details open" not in learner and 'class="tcpnb-solution" open' not in learner
        assert count("<details open><summary>Show the answer</summary>", instructor) \
            == kinds.count("markdown")


def test_a_ladder_figure_gets_its_text_ladder_beside_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import ipywidgets
    import tcpnb.views.ladder as ladder_module

    from tcpnb import scenarios

    monkeypatch.setattr(ipywidgets.Widget, "_repr_mimebundle_", ipywidgets.Widget._repr_mimebundle_)
    monkeypatch.setattr(ladder_module, "ladder", ladder_module.ladder)
    static_edition.install()
    trace = scenarios.three_way_handshake()
    page = static_edition.figure_html(ladder_module.ladder(trace).to_plotly_json())
    assert 'role="img" aria-label="Connection established' in page
    assert "<summary>Text version</summary>" in page
    assert "&lt;SEQ=100&gt;&lt;CTL=SYN&gt;" in page
    assert "</script>" not in page.split("<script>", 1)[1].rsplit("</script>", 1)[0]


def test_a_control_panel_is_shown_at_its_starting_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    import ipywidgets

    monkeypatch.setattr(ipywidgets.Widget, "_repr_mimebundle_", ipywidgets.Widget._repr_mimebundle_)
    static_edition.install()
    slider = ipywidgets.FloatSlider(value=0.25, description="delay (s)")
    bundle = ipywidgets.VBox([slider, ipywidgets.HTML("<b>outcome</b>")])._repr_mimebundle_()
    assert "delay (s) = 0.25" in bundle["text/html"]
    assert "<b>outcome</b>" in bundle["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in bundle


@contextlib.contextmanager
def _offline_page(width: int, height: int) -> Iterator[tuple[Any, list[str]]]:
    """A Chromium page that may load local files only; yields it and the URLs it was refused."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    refused: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                   else (refused.append(route.request.url), route.abort()))
        try:
            yield page, refused
        finally:
            browser.close()


def test_the_offline_edition_reads_offline_in_chromium(built: dict[str, Any]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with _offline_page(1300, 1000) as (page, refused):
        for path in [built["out"] / "html" / "index.html", *_pages(built["out"] / "html")]:
            page.goto(path.as_uri())
            plots = page.locator(".tcpnb-plot").count()
            page.wait_for_function(
                "n => document.querySelectorAll('.tcpnb-plot .main-svg').length >= n", arg=plots)
            folded = page.evaluate("""() => [...document.querySelectorAll(
                '.celltag_solution, .celltag_exercise-solution')].map(e => e.closest('.jp-Cell'))
                .every(c => [c.closest('details'), c.querySelector('details')].some(
                    d => d && !d.open))""")
            assert folded, f"{path.name}: a solution is not folded"
            page.screenshot(path=str(ARTIFACTS / f"{path.stem}.png"), full_page=True)
    assert not refused, f"the offline edition asked the network for {refused}"


def test_slides_and_pages_keep_the_notebook_titles(built: dict[str, Any]) -> None:
    for book in built["books"]:
        nb = nbformat.read(book.path, as_version=4)
        assert book.title == sync.title(nb, book.path.stem)
        page = (built["out"] / "html" / book.path.with_suffix(".html").name).read_text()
        assert f"<title>{book.title}" in page.replace("&#39;", "'")


SLIDES_ARTIFACTS = ROOT / "test-artifacts" / "slides"


def test_the_slides_load_nothing_from_the_network(built: dict[str, Any]) -> None:
    slides = built["out"] / "slides"
    assert (slides / "reveal.js" / "dist" / "reveal.js").is_file()
    for deck in _pages(slides):
        text = deck.read_text()
        assert not re.search(r'<script[^>]+src="(https?:)?//', text), deck.name
        assert not re.search(r'<link[^>]+href="(https?:)?//', text), deck.name
        assert not re.search(r"import [^;]* from ['\"](https?:)?//", text), deck.name


def test_the_slides_work_offline_in_chromium(built: dict[str, Any]) -> None:
    """Arrow keys move from slide to slide (not one long page) and every figure draws."""
    SLIDES_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with _offline_page(1280, 800) as (page, refused):
        for deck in _pages(built["out"] / "slides"):
            page.goto(deck.as_uri())
            page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=20_000)
            total = page.evaluate("() => Reveal.getTotalSlides()")
            assert total > 1, f"{deck.name}: {total} slide"
            start = page.evaluate("() => Reveal.getState().indexh")
            page.keyboard.press("ArrowRight")
            page.wait_for_function(f"() => Reveal.getState().indexh === {start + 1}",
                                   timeout=5_000)
            page.keyboard.press("ArrowLeft")
            page.wait_for_function(f"() => Reveal.getState().indexh === {start}", timeout=5_000)
            plots = page.locator(".tcpnb-plot").count()
            page.wait_for_function(
                "n => document.querySelectorAll('.tcpnb-plot .main-svg').length >= n", arg=plots)
            if plots:  # go to the first figure's slide: it is drawn and visible there
                page.evaluate("""() => { const s = document.querySelector('.tcpnb-plot')
                    .closest('section'); const i = Reveal.getIndices(s); Reveal.slide(i.h, i.v); }""")
                page.wait_for_timeout(800)  # the slide transition
                box = page.locator(".tcpnb-plot").first.bounding_box()
                assert box and box["width"] > 300 and box["height"] > 200, (deck.name, box)
            page.screenshot(path=str(SLIDES_ARTIFACTS / f"{deck.stem}.png"))
    assert not refused, f"the slides asked the network for {refused}"


# ------------------------------------------------- a learner's saved run, and the committed course
RESTORE = ("`.venv/bin/python tools/sync_notebooks.py` clears them and keeps your edits "
           "(`git checkout notebooks/` restores the course as published)")


def _run_traces(nb: dict[str, Any]) -> list[str]:
    """What a saved run leaves in a notebook: outputs, execution counts, widget state."""
    found = [f"cell {i}: {what}" for i, cell in enumerate(nb["cells"])
             for what, there in [("outputs", cell.get("outputs")),
                                 ("execution count", cell.get("execution_count")),
                                 ("run times", cell["metadata"].get("execution"))] if there]
    return found + (["widget state"] if "widgets" in nb["metadata"] else [])


def test_the_notebooks_hold_no_outputs() -> None:
    """The course is committed output-free; after a run that JupyterLab saved, say how to clear it."""
    for path in sync.course(ROOT / "notebooks"):
        found = _run_traces(json.loads(path.read_text(encoding="utf-8")))
        if found:
            pytest.fail(f"notebooks/{path.name} holds a saved run ({', '.join(found[:3])}, ...): "
                        + RESTORE, pytrace=False)


def test_sync_clears_a_saved_run_and_keeps_the_learners_edits(tmp_path: Path) -> None:
    folder = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", folder)
    path = folder / "01_three_way_open.ipynb"
    committed = path.read_text(encoding="utf-8")
    nb = json.loads(committed)
    # What JupyterLab saves after Run All: outputs, counts, run times, widget state, the kernel's
    # language_info; and a cell the learner added.
    for count, cell in enumerate((c for c in nb["cells"] if c["cell_type"] == "code"), 1):
        cell["execution_count"] = count
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ran\n"]}]
        cell["metadata"]["execution"] = {"shell.execute_reply": "2026-12-01T10:00:00Z"}
        cell["metadata"]["scrolled"] = True
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb["metadata"]["language_info"] = {"name": "python", "version": "3.11.7",
                                       "pygments_lexer": "ipython3"}
    mine = {"cell_type": "code", "id": "learner-1", "metadata": {}, "execution_count": 99,
            "outputs": [], "source": ["my_try = 1 + 1"]}
    nb["cells"].insert(5, mine)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    assert _run_traces(json.loads(path.read_text()))
    assert sync.sync_all(folder, check=True) == [path]

    assert sync.main(["--notebooks", str(folder)]) == 0
    cleared = json.loads(path.read_text(encoding="utf-8"))
    assert _run_traces(cleared) == []
    assert ["".join(c["source"]) for c in cleared["cells"]].count("my_try = 1 + 1") == 1  # kept
    cleared["cells"] = [c for c in cleared["cells"] if c.get("id") != "learner-1"]
    assert cleared == json.loads(committed)  # and nothing else differs from the committed course
    assert sync.sync_all(folder, check=True) == []
