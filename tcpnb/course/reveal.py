"""Solutions that stay folded until the learner opens them, even after Run All.

A solution cell of a course notebook is one ``with`` block (``tools/sync_notebooks.py``
writes it from any cell tagged ``solution``)::

    with tcpnb.solution():
        seconds = analysis.connect_time(scenarios.syn_lost(times=3, delay=0.25))
        print(seconds)
        assert round(seconds, 3) == 7.5

The code runs as usual, and a failing assert fails the cell, so nbval checks
every solution.  What the block prints or displays is held back and shown as
one closed fold, "Show the solution", that only a click opens:

* text (printed lines, HTML): an HTML ``<details>`` element.  No widget, so it
  stays folded in JupyterLab, JupyterLite, Colab, saved outputs and the offline
  edition, whatever the front end does with the cell's own folding.
* anything else (a plotly figure, a widget): a closed ipywidgets ``Accordion``
  around an ``Output`` that holds it, so a figure draws when it is opened.

If the block raises, what it printed is shown unfolded, above the error.
"""

from __future__ import annotations

import html
import io
import sys
from types import TracebackType
from typing import Any

from IPython.core.displaypub import DisplayPublisher
from IPython.core.getipython import get_ipython
from IPython.display import display

SUMMARY = "Show the solution"
CLASS = "tcpnb-solution"  # the offline edition finds the folds by this class
_TEXT = {"text/plain", "text/html"}

Output = dict[str, Any]  # one output as a notebook stores it (nbformat 4)


class _Recorder(DisplayPublisher):
    """Keeps what is displayed, in order, instead of sending it to the front end."""

    def __init__(self, outputs: list[Output]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.outputs = outputs

    def publish(self, data: Any, metadata: Any = None, *args: Any, **kwargs: Any) -> None:
        self.outputs.append({"output_type": "display_data", "data": dict(data),
                             "metadata": dict(metadata or {})})

    def clear_output(self, wait: bool = False) -> None:
        self.outputs.clear()


class _Stream(io.TextIOBase):
    """Keeps what is printed, in order with what is displayed."""

    def __init__(self, name: str, outputs: list[Output]) -> None:
        self.name_, self.outputs = name, outputs

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        last = self.outputs[-1] if self.outputs else {}
        if last.get("output_type") == "stream" and last["name"] == self.name_:
            last["text"] += text
        else:
            self.outputs.append({"output_type": "stream", "name": self.name_, "text": text})
        return len(text)


class Fold:
    """The context manager behind :func:`solution`."""

    def __init__(self, summary: str) -> None:
        self.summary = summary
        self.outputs: list[Output] = []
        self.widget: Any = None  # the Accordion, if what it showed needed one
        self._saved: tuple[Any, Any, Any, Any] | None = None  # shell, its publisher, stdout, stderr

    def __enter__(self) -> Fold:
        shell = get_ipython()
        if shell is not None:  # outside IPython there is nothing to fold
            self._saved = (shell, shell.display_pub, sys.stdout, sys.stderr)
            shell.display_pub = _Recorder(self.outputs)
            sys.stdout, sys.stderr = _Stream("stdout", self.outputs), _Stream("stderr", self.outputs)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._saved is None:
            return
        shell, publisher, sys.stdout, sys.stderr = self._saved
        shell.display_pub, self._saved = publisher, None
        if kind is not None:
            _replay(self.outputs)
        elif self.outputs:
            self.widget = show(self.outputs, self.summary)


def solution(summary: str = SUMMARY) -> Fold:
    """Run the ``with`` block; show what it prints or displays folded, behind ``summary``."""
    return Fold(summary)


def show(outputs: list[Output], summary: str = SUMMARY) -> Any:
    """Display ``outputs`` (nbformat dicts) in one closed fold; return its widget, if it is one."""
    if all(o["output_type"] == "stream" or set(o["data"]) <= _TEXT for o in outputs):
        body = "".join(_html(o) for o in outputs)
        text = "".join(o["text"] if o["output_type"] == "stream" else o["data"].get("text/plain", "")
                       for o in outputs)
        display({"text/html": details(summary, body),  # type: ignore[no-untyped-call]
                 "text/plain": f"{summary} (folded)\n{text}"}, raw=True)
        return None
    import ipywidgets as w

    inside = w.Output()
    inside.outputs = tuple(outputs)
    fold = w.Accordion(children=[inside], selected_index=None)
    fold.set_title(0, summary)
    fold.add_class(CLASS)
    display(fold)  # type: ignore[no-untyped-call]
    return fold


def details(summary: str, body: str, is_open: bool = False) -> str:
    """``body`` (HTML) in a ``<details>`` element of class ``tcpnb-solution``."""
    return (f'<details class="{CLASS}"{" open" if is_open else ""}><summary style="cursor: pointer">'
            f"{html.escape(summary)}</summary>{body}</details>")


#: Printed text in a fold keeps its lines (a table or text ladder is wide): the box scrolls sideways.
_PRE = "<pre style='white-space: pre; overflow-x: auto'>"


def _html(output: Output) -> str:
    if output["output_type"] == "stream":
        return f"{_PRE}{html.escape(output['text'])}</pre>"
    data = output["data"]
    return str(data["text/html"]) if "text/html" in data else \
        f"{_PRE}{html.escape(str(data.get('text/plain', '')))}</pre>"


def _replay(outputs: list[Output]) -> None:
    """Show ``outputs`` as if they had never been held back (the block raised)."""
    for output in outputs:
        if output["output_type"] == "stream":
            (sys.stderr if output["name"] == "stderr" else sys.stdout).write(output["text"])
        else:
            display(output["data"], metadata=output["metadata"], raw=True)  # type: ignore[no-untyped-call]
