"""Show wide text in a notebook as ``print`` would, but scrolling sideways instead of wrapping."""

from __future__ import annotations

from ..views.textladder import WideText


def show_text(text: str) -> None:
    """Show ``text`` like ``print`` does, but never wrap its lines (a text ladder is wide)::

        show_text(text_ladder(trace))

    In a notebook the text sits in a box that scrolls sideways when the cell is
    narrower than the text; outside IPython it is printed.
    """
    from IPython import get_ipython
    from IPython.display import display

    if get_ipython() is None:
        print(text)
    else:
        display(WideText(str(text)))  # type: ignore[no-untyped-call]
