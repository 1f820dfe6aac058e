"""Write the generated parts of every course notebook (navigation, setup cell, slide metadata).

    python tools/sync_notebooks.py            # update notebooks/NN_*.ipynb in place
    python tools/sync_notebooks.py --check    # change nothing; exit 1 if any notebook is out of sync
    python tools/sync_notebooks.py --table    # print the README's table of notebooks and badges

The course is every ``notebooks/NN_*.ipynb``, in the order of NN.  For each one this
writes, replacing what an earlier run wrote (cells with ``metadata.tcpnb.generated``):

* a navigation cell at the top (Colab and Binder badges, previous / next) and one at the bottom;
* the setup cell, just before the author's first code cell (so it is the first code cell);
* slide metadata: generated cells and solution cells are skipped in slides; cells without a
  ``slideshow.slide_type`` get one from their heading level;
* folded solutions (:func:`fold_solution`): a markdown answer goes into a closed
  ``<details><summary>Show the answer</summary>``; a code solution into one
  ``with tcpnb.solution():`` block, which shows what it prints only when the learner opens
  it, even after Run All; its code is folded too (``jupyter.source_hidden``, and Colab's
  ``cellView: form``).  :func:`solution_problems` lists any solution cell not in that form;
* no outputs: a run saved by JupyterLab (outputs, execution counts, widget state) is cleared,
  and every other edit kept.  The course is committed output-free.

Links come from ``[project.urls] Repository`` in pyproject.toml.  Running it twice changes
nothing.  Never edit a generated cell by hand: change this file and run it again.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import sys
import textwrap
import tokenize
from collections.abc import Callable
from pathlib import Path

import nbformat
import tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tcpnb.widgets.colab import setup_cell_source  # noqa: E402

BRANCH = "main"
#: Cell metadata that a run or a view writes: run times, output folded or scrolled.
RUN_METADATA = ("execution", "collapsed", "scrolled")
SOLUTION_TAGS = {"solution", "exercise-solution"}
ANSWER_SUMMARY = "Show the answer"  # a markdown answer's fold; the code's is tcpnb.solution()'s
FOLD = "with tcpnb.solution():"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"


def repository(root: Path = ROOT) -> str:
    """The repository URL, from pyproject.toml (the one place it is written)."""
    with open(root / "pyproject.toml", "rb") as f:
        url: str = tomllib.load(f)["project"]["urls"]["Repository"]
    return url.rstrip("/")


def course(notebooks: Path) -> list[Path]:
    """The course notebooks in order: ``NN_slug.ipynb``."""
    return sorted(p for p in notebooks.glob("*.ipynb") if re.fullmatch(r"\d\d_\w+\.ipynb", p.name))


def colab_url(repo: str, path: str) -> str:
    """Open the file at ``path`` (relative to the repository root) in Colab."""
    return repo.replace("https://github.com/", "https://colab.research.google.com/github/") \
        + f"/blob/{BRANCH}/{path}"


def binder_url(repo: str, path: str) -> str:
    """Open ``path`` (a notebook or a folder) in JupyterLab on mybinder.org."""
    return repo.replace("https://github.com/", "https://mybinder.org/v2/gh/") \
        + f"/{BRANCH}?urlpath=lab/tree/{path}"


def title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The text of the notebook's first ``# `` heading."""
    for cell in nb.cells:
        source: str = cell.source
        if cell.cell_type == "markdown" and not _generated(cell):
            for line in source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def nav_markdown(prev: tuple[str, str] | None, next_: tuple[str, str] | None,
                 badges: str = "") -> str:
    """``badges``, then links to the previous and next notebook, each given as (href, title)."""
    parts = []
    if prev:
        parts.append(f"[← {prev[1]}]({prev[0]})")
    if next_:
        parts.append(f"[{next_[1]} →]({next_[0]})")
    links = " | ".join(parts)
    return f"{badges}\n\n{links}".strip() if badges else links


def badges(repo: str, path: str) -> str:
    """Colab and Binder badges for the notebook at ``path``."""
    return (f"[![Open in Colab]({COLAB_BADGE})]({colab_url(repo, path)}) "
            f"[![Open in Binder]({BINDER_BADGE})]({binder_url(repo, path)})")


def _generated(cell: nbformat.NotebookNode) -> str | None:
    role: str | None = cell.get("metadata", {}).get("tcpnb", {}).get("generated")
    return role


def _cell(kind: str, role: str, source: str, **metadata: object) -> nbformat.NotebookNode:
    make: Callable[..., nbformat.NotebookNode] = (
        nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell)
    cell = make(source, id=f"tcpnb-{role}")
    cell.metadata = nbformat.from_dict({"tcpnb": {"generated": role},
                                        "slideshow": {"slide_type": "skip"}, **metadata})
    return cell


def is_solution(cell: nbformat.NotebookNode) -> bool:
    return bool(SOLUTION_TAGS & set(cell.metadata.get("tags", [])))


def slide_metadata(cell: nbformat.NotebookNode) -> None:
    """Skip solution cells in slides; give other cells a default slide type."""
    meta = cell.metadata
    if is_solution(cell):
        meta["slideshow"] = {"slide_type": "skip"}
    elif "slide_type" not in meta.get("slideshow", {}):
        first = cell.source.lstrip().split("\n", 1)[0] if cell.cell_type == "markdown" else ""
        kind = "slide" if re.match(r"#{1,2} ", first) else "subslide" if first.startswith("### ") else "-"
        meta.setdefault("slideshow", {})["slide_type"] = kind


# ------------------------------------------------------------------ folded solutions
_ANSWER = re.compile(r"<details>\s*<summary>(?P<summary>[^<]*)</summary>(?P<body>.*)</details>",
                     re.S)


def _python(source: str) -> str:
    """``source`` with IPython's magics turned into Python, so that ``ast`` can read it."""
    from IPython.core.inputtransformer2 import TransformerManager

    return str(TransformerManager().transform_cell(source))  # type: ignore[no-untyped-call]


def _folded_code(source: str) -> bool:
    """True if ``source`` is one ``with tcpnb.solution():`` block (comments aside)."""
    try:
        body = ast.parse(_python(source)).body
    except SyntaxError:
        return False
    if len(body) != 1 or not isinstance(body[0], ast.With) or len(body[0].items) != 1:
        return False
    call = body[0].items[0].context_expr
    return isinstance(call, ast.Call) and ast.unparse(call.func) == "tcpnb.solution"


def _fold_code(source: str) -> str:
    """``source`` inside ``with tcpnb.solution():``; a last bare expression is displayed."""
    lines = source.rstrip().splitlines()
    last = ast.parse(_python(source)).body[-1:]
    if last and isinstance(last[0], ast.Expr) and not (
            isinstance(last[0].value, ast.Call) and ast.unparse(last[0].value.func).split(".")[-1]
            in ("print", "display", "show")) and last[0].lineno == last[0].end_lineno == len(lines):
        lines[-1] = f"display({lines[-1].rstrip().rstrip(';')})"
    return FOLD + "\n" + textwrap.indent("\n".join(lines), "    ")


def _multiline_strings(source: str) -> bool:
    """True if ``source`` has a string over several lines (indenting it would change it)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(_python(source)).readline))
    except (tokenize.TokenError, SyntaxError):
        return False  # it does not parse: solution_problems() says so
    return any(t.type == tokenize.STRING and "\n" in t.string for t in tokens)


def fold_solution(cell: nbformat.NotebookNode) -> None:
    """Put a solution cell into its folded form (see the module docstring); twice changes nothing."""
    jupyter = cell.metadata.setdefault("jupyter", {})
    if cell.cell_type == "markdown":
        found = _ANSWER.fullmatch(cell.source.strip())
        body = found["body"].strip() if found else cell.source.strip()  # any summary may spoil
        cell.source = f"<details><summary>{ANSWER_SUMMARY}</summary>\n\n{body}\n\n</details>"
        jupyter.pop("source_hidden", None)  # the <details> folds it; a hidden source shows more
    elif cell.cell_type == "code":
        if not _folded_code(cell.source) and not _multiline_strings(cell.source):
            try:
                cell.source = _fold_code(cell.source)
            except SyntaxError:
                pass  # solution_problems() reports it
        jupyter.pop("outputs_hidden", None)  # the fold hides the output; Run All would show it
        jupyter["source_hidden"] = True
        cell.metadata["cellView"] = "form"  # Colab: the code behind a "Show code" button
    if not jupyter:
        del cell.metadata["jupyter"]


def solution_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Every solution cell of ``nb`` that is not folded as the conventions ask, and why."""
    problems = []
    for cell in nb.cells:
        if not is_solution(cell):
            continue
        where = f"cell {cell.get('id', '?')}"
        if cell.cell_type == "markdown":
            found = _ANSWER.fullmatch(cell.source.strip())
            if not found:
                problems.append(f"{where}: a markdown answer must be one <details> block")
            elif found["summary"].strip() != ANSWER_SUMMARY:
                problems.append(f"{where}: its summary must read {ANSWER_SUMMARY!r} (no spoiler), "
                                f"not {found['summary']!r}")
        elif cell.cell_type == "code" and not _folded_code(cell.source):
            problems.append(f"{where}: a code solution must be one `{FOLD}` block (sync wraps it "
                            "unless it has a string over several lines or does not parse)")
        if cell.cell_type == "code" and not cell.metadata.get("jupyter", {}).get("source_hidden"):
            problems.append(f"{where}: its code must be folded (jupyter.source_hidden)")
    return problems


def sync(nb: nbformat.NotebookNode, path: str, repo: str,
         prev: tuple[str, str] | None, next_: tuple[str, str] | None) -> nbformat.NotebookNode:
    """``nb`` with its generated cells (re)written; ``path`` is relative to the repository root."""
    cells = [c for c in nb.cells if not _generated(c)]
    for cell in cells:
        slide_metadata(cell)
        if is_solution(cell):
            fold_solution(cell)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        for key in RUN_METADATA:
            cell.metadata.pop(key, None)
    nb.metadata.pop("widgets", None)
    if "language_info" in nb.metadata:  # a kernel adds its version, lexer...: keep the name
        nb.metadata["language_info"] = {"name": nb.metadata["language_info"].get("name", "python")}
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
    setup = _cell("code", "setup", setup_cell_source(repo), tags=["setup"])
    cells.insert(first_code, setup)
    top = _cell("markdown", "nav-top", nav_markdown(prev, next_, badges(repo, path)))
    bottom = _cell("markdown", "nav-bottom", nav_markdown(prev, next_))
    nb.cells = [top, *cells, bottom]
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3",
                                          "language": "python"})
    return nb


def sync_all(notebooks: Path, root: Path = ROOT, check: bool = False) -> list[Path]:
    """Sync every course notebook under ``notebooks``; return the ones that changed (or would)."""
    repo = repository(root)
    paths = course(notebooks)
    books = [nbformat.read(p, as_version=4) for p in paths]
    titles = [title(nb, p.stem) for nb, p in zip(books, paths)]
    changed = []
    for i, (path, nb) in enumerate(zip(paths, books)):
        prev = (paths[i - 1].name, titles[i - 1]) if i > 0 else None
        next_ = (paths[i + 1].name, titles[i + 1]) if i + 1 < len(paths) else None
        before = path.read_text(encoding="utf-8")
        try:
            relpath = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:  # a folder outside the repository (tests)
            relpath = f"notebooks/{path.name}"
        after = nbformat.writes(sync(nb, relpath, repo, prev, next_)) + "\n"
        if after != before:
            changed.append(path)
            if not check:
                path.write_text(after, encoding="utf-8")
    return changed


def table(notebooks: Path, root: Path = ROOT) -> str:
    """A markdown table of the course for the README: one row per notebook, with its badges."""
    repo, rows = repository(root), ["| | Notebook | Open it in |", "|---|---|---|"]
    for path in course(notebooks):
        relpath = f"notebooks/{path.name}"
        rows.append(f"| {path.name[:2]} | [{title(nbformat.read(path, as_version=4), path.stem)}]"
                    f"({relpath}) | {badges(repo, relpath)} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if out of sync")
    parser.add_argument("--table", action="store_true", help="print the README's table of notebooks")
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks", help="folder (default: notebooks/)")
    args = parser.parse_args(argv)
    if args.table:
        print(table(args.notebooks))
        return 0
    changed = sync_all(args.notebooks, check=args.check)
    for path in changed:
        print(("out of sync: " if args.check else "updated: ") + str(path))
    if args.check and changed:
        print("run: python tools/sync_notebooks.py")
    problems = [f"{path.name}, {problem}" for path in course(args.notebooks)
                for problem in solution_problems(nbformat.read(path, as_version=4))]
    print(*problems, sep="\n", file=sys.stderr)
    return 1 if (args.check and changed) or problems else 0


if __name__ == "__main__":
    sys.exit(main())
