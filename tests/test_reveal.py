"""tcpnb.solution(): a solution runs as usual, and what it shows stays folded until opened.

Run in a real kernel (nbclient), as nbval and the offline build run the notebooks; the browser
side is tests/test_solutions_browser.py.
"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tcpnb.course import reveal


def run(*sources: str) -> list[list[dict[str, object]]]:
    """Each cell's outputs after running ``sources`` in a fresh kernel (stops at an error)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    try:
        NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    except CellExecutionError:
        pass
    return [list(c.outputs) for c in nb.cells]


def test_what_a_solution_prints_is_one_closed_fold_and_its_asserts_still_fail_the_cell() -> None:
    text, quiet, failing, after = run(
        "import tcpnb\nwith tcpnb.solution():\n    print('7.5 <s>')\n    x = 7.5\n    display(x)",
        "with tcpnb.solution():\n    y = 1",
        "with tcpnb.solution():\n    print('so far')\n    assert x == 8, 'not 8'",
        "print('never run')")
    assert len(text) == 1 and text[0]["output_type"] == "display_data"
    page = text[0]["data"]["text/html"]  # type: ignore[index]
    pre = "<pre style='white-space: pre; overflow-x: auto'>"  # wide text scrolls, never wraps
    assert page == reveal.details("Show the solution", f"{pre}7.5 &lt;s&gt;\n</pre>{pre}7.5</pre>")
    assert page.startswith('<details class="tcpnb-solution"><summary')  # closed: no "open"
    assert quiet == []  # nothing to show, no empty fold
    assert [o["output_type"] for o in failing] == ["stream", "error"]  # shown, then the error
    assert failing[0]["text"] == "so far\n" and failing[1]["ename"] == "AssertionError"
    assert after == []  # the notebook stopped, as nbval does


def test_a_solution_with_a_figure_folds_it_in_a_closed_accordion() -> None:
    (cell,) = run("import tcpnb\nwith tcpnb.solution() as fold:\n    print('ladder:')\n"
                  "    tcpnb.ladder(tcpnb.scenarios.run('syn_lost')).show()\n"
                  "w = fold.widget\nprint(w.selected_index, w.get_title(0), w._dom_classes,\n"
                  "      [o.get('name') or sorted(o['data']) for o in w.children[0].outputs])")
    widget, state = cell
    assert "application/vnd.jupyter.widget-view+json" in widget["data"]  # type: ignore[operator]
    assert state["text"] == ("None Show the solution ('tcpnb-solution',) "
                             "['stdout', ['application/vnd.plotly.v1+json']]\n")


def test_outside_ipython_a_solution_just_runs(capsys: pytest.CaptureFixture[str]) -> None:
    with reveal.solution():
        print("plain Python")
    assert capsys.readouterr().out == "plain Python\n"
