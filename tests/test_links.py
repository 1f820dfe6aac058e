"""Links and generated cells: every badge points at a file that exists; the notebooks are in sync.

The repository URL is written once, in pyproject.toml; tools/sync_notebooks.py derives the
Colab and Binder links from it.  Binder builds from the root pyproject.toml, which repo2docker
reads only when there is no binder/ folder.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import sync_notebooks as sync  # noqa: E402

REPO = sync.repository()
SLUG = REPO.removeprefix("https://github.com/")
FIXTURES = ROOT / "tests" / "fixtures" / "course"
COURSES = [p for p in (ROOT / "notebooks", FIXTURES) if sync.course(p)]
PREFIXES = {  # link prefix -> what follows it is a path in the repository
    f"https://colab.research.google.com/github/{SLUG}/blob/{sync.BRANCH}/": "",
    f"https://mybinder.org/v2/gh/{SLUG}/{sync.BRANCH}?urlpath=lab/tree/": "",
    f"{REPO}/blob/{sync.BRANCH}/": "",
    f"{REPO}/tree/{sync.BRANCH}/": "",
}
HOSTS = ("colab.research.google.com/github/", "mybinder.org/v2/gh/", "github.com/")


def _documents() -> list[tuple[Path, str]]:
    """(file, text) for the README, the README sections, and every course notebook's markdown."""
    docs = [(p, p.read_text(encoding="utf-8")) for p in (ROOT / "README.md",
                                                         ROOT / "tools" / "README-sections.md")
            if p.exists()]
    for folder in COURSES:
        for path in sync.course(folder):
            nb = nbformat.read(path, as_version=4)
            docs.append((path, "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")))
    return docs


def _links(text: str) -> list[str]:
    return [a or b for a, b in re.findall(r"\]\(([^)\s]+)\)|href=\"([^\"]+)\"", text)]


def _target(source: Path, url: str) -> Path | None:
    """The repository file a link points at, or None for a link to elsewhere."""
    for prefix in PREFIXES:
        if url.startswith(prefix):
            return ROOT / url[len(prefix):].split("#")[0]
    if any(host in url for host in HOSTS) and not url.endswith(".svg"):
        pytest.fail(f"{source.name}: {url} does not start from pyproject's Repository {REPO}")
    if re.match(r"[a-z]+:|#", url):
        return None
    return source.parent / url.split("#")[0]


def test_the_repository_url_is_a_github_url() -> None:
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", REPO)


@pytest.mark.parametrize("source, text", _documents(), ids=lambda v: getattr(v, "name", ""))
def test_every_badge_and_link_points_at_a_file_that_exists(source: Path, text: str) -> None:
    for url in _links(text):
        target = _target(source, url)
        if source.is_relative_to(FIXTURES) and target is not None and url.startswith("http"):
            continue  # the fixtures' badges name tests/fixtures/course/..., which is fine
        assert target is None or target.exists(), f"{source.name}: {url} -> missing {target}"


@pytest.mark.parametrize("folder", COURSES, ids=lambda p: p.name)
def test_notebooks_are_in_sync_with_tools_sync_notebooks(folder: Path) -> None:
    assert sync.sync_all(folder, check=True) == [], "run: python tools/sync_notebooks.py"


@pytest.mark.parametrize("folder", COURSES, ids=lambda p: p.name)
def test_each_notebook_has_navigation_a_setup_cell_first_and_folded_solutions(folder: Path) -> None:
    for path in sync.course(folder):
        cells = nbformat.read(path, as_version=4).cells
        roles = [c.metadata.get("tcpnb", {}).get("generated") for c in cells]
        assert roles[0] == "nav-top" and roles[-1] == "nav-bottom", path.name
        code = [c for c in cells if c.cell_type == "code"]
        assert code and code[0].metadata["tcpnb"]["generated"] == "setup", path.name
        for cell in cells:
            if sync.SOLUTION_TAGS & set(cell.metadata.get("tags", [])):
                assert cell.metadata["slideshow"]["slide_type"] == "skip"
            assert "slide_type" in cell.metadata.get("slideshow", {}), f"{path.name}: {cell.id}"
        nb = nbformat.read(path, as_version=4)
        assert sync.solution_problems(nb) == [], f"{path.name}: a solution that Run All would show"


def _solution(kind: str, source: str) -> nbformat.NotebookNode:
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    return make(source, metadata={"tags": ["solution"]})


def test_sync_folds_a_tagged_answer_and_a_tagged_solution_and_twice_changes_nothing() -> None:
    answer = _solution("markdown", "*Solution.* 7.5 s.")
    code = _solution("code", "seconds = 7.5\nprint(seconds)\nassert seconds > 7\nseconds")
    for _ in range(2):
        for cell in (answer, code):
            sync.fold_solution(cell)
        assert answer.source == ("<details><summary>Show the answer</summary>\n\n*Solution.* 7.5 s."
                                 "\n\n</details>")
        assert code.source == ("with tcpnb.solution():\n    seconds = 7.5\n    print(seconds)\n"
                               "    assert seconds > 7\n    display(seconds)")
    assert "jupyter" not in answer.metadata  # its <details> folds it; a hidden source would show more
    assert code.metadata["jupyter"] == {"source_hidden": True} and code.metadata["cellView"] == "form"
    assert sync.solution_problems(nbformat.v4.new_notebook(cells=[answer, code])) == []


def test_a_summary_that_gives_the_answer_away_is_replaced() -> None:
    answer = _solution("markdown", "<details><summary>7.5 s: see why</summary>\n\nOne RTO.\n</details>")
    nb = nbformat.v4.new_notebook(cells=[answer])
    assert "its summary must read 'Show the answer'" in sync.solution_problems(nb)[0]
    sync.fold_solution(answer)
    assert answer.source.startswith("<details><summary>Show the answer</summary>") and \
        "7.5 s" not in answer.source


def test_a_solution_that_sync_cannot_fold_is_reported() -> None:
    cells = [_solution("code", 'text = """two\nlines"""\nprint(text)'),  # indenting would change it
             _solution("code", "print(1"),  # does not parse
             _solution("code", "with tcpnb.solution():\n    x = 1\nprint(x)")]  # not all inside
    for cell in cells:
        sync.fold_solution(cell)
    problems = sync.solution_problems(nbformat.v4.new_notebook(cells=cells))
    assert len(problems) == 2 and all("must be one `with tcpnb.solution():` block" in p
                                      for p in problems)
    assert cells[2].source.startswith("with tcpnb.solution():\n    with tcpnb.solution():")
    cells[0].metadata["jupyter"] = {}
    assert any("must be folded" in p for p in sync.solution_problems(
        nbformat.v4.new_notebook(cells=cells[:1])))


def test_sync_restores_generated_cells_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    for path in sync.course(FIXTURES):
        nb = nbformat.read(path, as_version=4)
        nb.cells = [c for c in nb.cells if not c.metadata.get("tcpnb")]
        nbformat.write(nb, tmp_path / path.name)
    assert len(sync.sync_all(tmp_path)) == len(sync.course(FIXTURES))
    assert sync.sync_all(tmp_path) == []
    for path in sync.course(FIXTURES):
        ours = (tmp_path / path.name).read_text()
        assert ours == path.read_text().replace("tests/fixtures/course/", "notebooks/")


def test_sync_check_reports_a_hand_edited_navigation_cell(tmp_path: Path) -> None:
    for path in sync.course(FIXTURES):
        shutil.copy(path, tmp_path / path.name)
    sync.sync_all(tmp_path)  # outside the repository its links name notebooks/...
    first = sync.course(tmp_path)[0]
    nb = nbformat.read(first, as_version=4)
    nb.cells[0].source += " edited"
    nbformat.write(nb, first)
    assert sync.sync_all(tmp_path, check=True) == [first]
    assert sync.main(["--check", "--notebooks", str(tmp_path)]) == 1


def test_binder_builds_from_the_root_pyproject() -> None:
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists(), \
        "a binder/ folder makes repo2docker ignore pyproject.toml"
    with open(ROOT / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)
    assert project["build-system"]["build-backend"] and project["project"]["name"] == "tcpnb"
    assert re.fullmatch(r"python-3\.1[1-9]\n?", (ROOT / "runtime.txt").read_text())


def test_readme_lists_every_notebook_as_sync_notebooks_does() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert sync.table(ROOT / "notebooks") in readme, \
        "README's notebook table is stale: paste `python tools/sync_notebooks.py --table` into it"
