"""Build the offline HTML edition, the lecture slides and the JupyterLite site from the notebooks.

    python tools/build.py html                 # build/html/: every notebook executed + index.html
    python tools/build.py html --instructor    # build/instructor/: the same, solutions shown
    python tools/build.py slides               # build/slides/: one reveal.js deck per notebook
    python tools/build.py lite                 # build/lite/: the live course in the browser (lite.py)
    python tools/build.py all                  # all three, executing each notebook once

Options: ``--out DIR`` (default ``build/``), ``--notebooks DIR`` (default ``notebooks/``).

The HTML edition loads nothing from the network: plotly.js is copied beside the pages, each
control panel appears at its starting settings, and each ladder diagram has its text ladder
beside it (see static_edition.py).  Solutions are folded for learners.  The slides leave out
the generated cells and every solution cell; they load nothing from the network either:
reveal.js is copied beside the decks from its npm package (``--reveal-prefix URL`` loads it from
elsewhere instead), plotly.js too, and nothing else is needed (no jQuery, require.js, mermaid
or MathJax).  The JupyterLite site is lite.py's.
"""

from __future__ import annotations

import argparse
import html
import shutil
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter, SlidesExporter

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
import lite  # noqa: E402
import lite_wheels  # noqa: E402
import static_edition  # noqa: E402
import sync_notebooks as sync  # noqa: E402

TEMPLATES = TOOLS / "templates"
CELL_TIMEOUT = 180  # seconds for one cell; a course cell takes well under one (issue 4: < 20 s a notebook)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
HOOK = f"import sys; sys.path.insert(0, {str(TOOLS)!r})\nimport static_edition; static_edition.install()"
#: The reveal.js the decks use (npm), and the files of it they need, by prefix in its package:
#: the white theme, whose fonts come with it (several other themes load Google's).
REVEAL = "reveal.js@5.2.1"
REVEAL_FILES = ("LICENSE", "dist/reveal.js", "dist/reveal.css", "dist/theme/white.css",
                "dist/theme/fonts/source-sans-pro/source-sans-pro.css",
                "dist/theme/fonts/source-sans-pro/LICENSE",
                "dist/theme/fonts/source-sans-pro/source-sans-pro-", "plugin/notes/notes.js")


@dataclass
class Book:
    """One executed notebook, ready to export."""

    path: Path
    title: str
    nb: nbformat.NotebookNode
    seconds: float


@dataclass
class Report:
    """What a build made and how long it took."""

    pages: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def bytes(self, folder: Path) -> int:
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _tags(cell: nbformat.NotebookNode) -> set[str]:
    return set(cell.metadata.get("tags", []))


def _static_output(output: nbformat.NotebookNode) -> nbformat.NotebookNode:
    data = output.get("data")
    if not data:
        return output
    if static_edition.PLOTLY_MIME in data:
        data["text/html"] = static_edition.figure_html(data.pop(static_edition.PLOTLY_MIME))
    if WIDGET_MIME in data:
        del data[WIDGET_MIME]
        data.setdefault("text/html", "<p><i>(a control panel: run this notebook to use it)</i></p>")
    return output


def execute(path: Path) -> Book:
    """Run ``path`` top to bottom in a fresh kernel and make every output static."""
    started = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(HOOK))
    NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    del nb.cells[0]
    nb.metadata.pop("widgets", None)  # panels are static now: no widget scripts from a CDN
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count -= 1  # count as if the hook had not run
            cell.outputs = [_static_output(o) for o in cell.outputs]
            for output in cell.outputs:
                if output.get("execution_count"):
                    output.execution_count -= 1
    return Book(path, sync.title(nb, path.stem), nb, time.perf_counter() - started)


def _page(book: Book) -> str:
    return book.path.with_suffix(".html").name


def _write_assets(out: Path) -> None:
    import plotly.offline

    out.mkdir(parents=True, exist_ok=True)
    (out / "plotly.min.js").write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")
    shutil.copy(TEMPLATES / "assets" / "tcpnb.css", out / "tcpnb.css")


def _index(out: Path, books: list[Book], heading: str, note: str) -> Path:
    items = "\n".join(f'<li><a href="{_page(b)}">{html.escape(b.title)}</a></li>' for b in books)
    page = out / "index.html"
    page.write_text(
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(heading)}'
        f'</title><link rel="stylesheet" href="tcpnb.css"></head>\n<body style="font-family: sans-serif;'
        f' max-width: 50em; margin: 2em auto">\n<h1>{html.escape(heading)}</h1>\n<p>{note}</p>\n'
        f'<ol class="tcpnb-index" start="0">\n{items}\n</ol>\n</body></html>\n', encoding="utf-8")
    return page


def build_html(books: list[Book], out: Path, instructor: bool = False) -> Report:
    """The offline edition in ``out``: one page per notebook and an index in course order."""
    report = Report()
    _write_assets(out)
    exporter = HTMLExporter(template_name="tcpnb_html", extra_template_basedirs=[str(TEMPLATES)])
    for i, book in enumerate(books):
        started = time.perf_counter()
        nb = nbformat.from_dict(book.nb)
        prev = (_page(books[i - 1]), books[i - 1].title) if i > 0 else None
        next_ = (_page(books[i + 1]), books[i + 1].title) if i + 1 < len(books) else None
        nav = "[Contents](index.html) | " + sync.nav_markdown(prev, next_)
        nb.cells = [c for c in nb.cells if "setup" not in _tags(c)]
        for cell in nb.cells:
            if cell.metadata.get("tcpnb", {}).get("generated", "").startswith("nav"):
                cell.source = nav
        nb.metadata["title"] = book.title
        static_edition.fold_solutions(nb, instructor)  # the template folds each code solution
        body, _ = exporter.from_notebook_node(nb, resources={"tcpnb_instructor": instructor})
        report.pages.append(out / _page(book))
        report.pages[-1].write_text(body, encoding="utf-8")
        report.seconds[book.path.name] = time.perf_counter() - started
    edition = "Instructor edition: solutions shown." if instructor else "Solutions are folded."
    report.pages.append(_index(out, books, "tcpnb: how TCP opens and closes a connection",
                               f"Offline edition, executed. {edition} Each control panel is shown "
                               "at its starting settings; open the notebooks in JupyterLab, Binder "
                               "or Colab to move the sliders."))
    return report


def slide_cells(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without the generated cells and without any solution."""
    nb = nbformat.from_dict(nb)
    nb.cells = [c for c in nb.cells if not (sync.SOLUTION_TAGS | {"setup"}) & _tags(c)
                and not c.metadata.get("tcpnb", {}).get("generated")]
    return nb


def _write_reveal(out: Path) -> None:
    """reveal.js, what of it the decks use, from its npm package into ``out/reveal.js``."""
    with tempfile.TemporaryDirectory(prefix="tcpnb-reveal-") as work:
        with tarfile.open(lite_wheels.npm_pack(REVEAL, Path(work))) as archive:
            for member in archive.getmembers():
                name = member.name.removeprefix("package/")
                if member.isfile() and name.startswith(REVEAL_FILES) and not name.endswith(
                        (".map", ".eot", ".ttf")):  # .woff fonts are enough for any browser today
                    target = out / "reveal.js" / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(archive.extractfile(member).read())  # type: ignore[union-attr]


def build_slides(books: list[Book], out: Path, reveal_prefix: str = "") -> Report:
    """One reveal.js deck per notebook in ``out``: the story without generated or solution cells.

    reveal.js comes from beside the decks (copied here) unless ``reveal_prefix`` says where.
    """
    report = Report()
    _write_assets(out)
    if not reveal_prefix:
        _write_reveal(out)
    exporter = SlidesExporter(template_name="tcpnb_slides", extra_template_basedirs=[str(TEMPLATES)],
                              reveal_scroll=True, reveal_url_prefix=reveal_prefix or "reveal.js",
                              reveal_theme="white")  # white's fonts are local; simple's are not
    for book in books:
        started = time.perf_counter()
        nb = slide_cells(book.nb)
        nb.metadata["title"] = book.title
        body, _ = exporter.from_notebook_node(nb)
        report.pages.append(out / _page(book))
        report.pages[-1].write_text(body, encoding="utf-8")
        report.seconds[book.path.name] = time.perf_counter() - started
    report.pages.append(_index(out, books, "tcpnb: lecture slides",
                               "One deck per notebook; arrow keys move, S opens speaker notes."))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("what", choices=["html", "slides", "lite", "all"])
    parser.add_argument("--out", type=Path, default=TOOLS.parent / "build")
    parser.add_argument("--notebooks", type=Path, default=TOOLS.parent / "notebooks")
    parser.add_argument("--instructor", action="store_true",
                        help="html: show the solutions (into build/instructor/)")
    parser.add_argument("--reveal-prefix", default="",
                        help="slides: load reveal.js from this URL instead of a copy beside them")
    args = parser.parse_args(argv)
    paths = sync.course(args.notebooks)
    if not paths:
        parser.error(f"no course notebooks (NN_name.ipynb) in {args.notebooks}")
    if args.what in ("lite", "all"):
        site = lite.build_lite(args.notebooks, args.out / "lite")
        print(f"lite: {len(site.notebooks)} notebooks, {len(site.packages)} wheels, Pyodide "
              f"{site.pyodide}, {site.bytes() / 1e6:.1f} MB in {site.folder} ({site.seconds:.0f} s); "
              f"serve it with: python -m http.server -d {site.folder}")
        if args.what == "lite":
            return 0
    books = []
    for path in paths:
        books.append(execute(path))
        print(f"executed {path.name} in {books[-1].seconds:.1f} s")
    builds = []
    if args.what in ("html", "all"):  # the instructor edition has a folder of its own
        edition = "instructor" if args.instructor else "html"
        builds.append((edition, build_html(books, args.out / edition, args.instructor)))
    if args.what in ("slides", "all"):
        builds.append(("slides", build_slides(books, args.out / "slides", args.reveal_prefix)))
    for name, report in builds:
        folder = args.out / name
        print(f"{name}: {len(report.pages)} pages in {folder} ({report.bytes(folder) / 1e6:.1f} MB, "
              f"export {sum(report.seconds.values()):.1f} s); open {folder / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
