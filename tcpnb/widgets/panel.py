"""The one base of every control panel: named controls, one figure replaced in place, a status line.

    panel = Panel({"gap": Slider("gap (s)", 0, 6, 0.05)}, {"gap": 1.0}, draw=window_figure)
    panel.update(gap=2.0)           # what moving the slider does, from Python: checked, then drawn
    panel.values, panel.figure      # the controls' values and the figure shown

Every value a panel is given, at the start or through :meth:`Panel.update`, is
checked with :mod:`tcpnb.core.validate`: a value out of a slider's range is a
:class:`~tcpnb.core.errors.UsageError` naming the control and its range, never
a silent clamp.  Slider moves in the page are coalesced (:class:`~.background.Soon`):
moves that queue up behind a slow redraw are read first and only the latest
values are drawn.  The figure is a plain ``go.Figure`` shown in one ipywidgets
``Output`` by replacing that Output's outputs, under plotly's own mimetype
(JupyterLab's plotly extension draws it with the plotly.js it has loaded once),
or on Colab as a small page that loads plotly.js from its CDN.  Nothing piles up.
The controls (:mod:`~tcpnb.widgets.controls`) sit in a row that wraps in a
narrow notebook.  Works with ipywidgets 7.7 (Colab) and 8.x.
"""

from __future__ import annotations

import functools
import html
import json
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Union

import ipywidgets as w
import plotly.graph_objects as go

from ..core.errors import UsageError
from . import controls as c
from .background import Soon
from .controls import Choice, Control, Flag, Slider

Drawing = Union[go.Figure, Sequence[go.Figure]]

__all__ = ["Panel", "Slider", "Choice", "Flag", "Control", "mimebundle"]


# ------------------------------------------------------------------ figures
def mimebundle(fig: go.Figure, colab: bool | None = None) -> dict[str, Any]:
    """The display data of ``fig``: plotly's mimetype, or on Colab a self-loading HTML page."""
    spec = fig.to_plotly_json()
    colab = "google.colab" in sys.modules if colab is None else colab
    text = (spec.get("layout", {}).get("title") or {}).get("text", "a plotly figure")
    if not colab:
        return {"application/vnd.plotly.v1+json": {**spec, "config": {"displaylogo": False}},
                "text/plain": text}
    from plotly.offline import get_plotlyjs_version

    div = f"tcpnb-{uuid.uuid4().hex}"
    page = (f"<div id='{div}'></div><script>(function(){{var fig={json.dumps(spec)};"
            f"function draw(){{Plotly.react('{div}',fig.data,fig.layout,{{displaylogo:false}});}}"
            "if(window.Plotly){draw();return;}var s=document.createElement('script');"
            f"s.src='https://cdn.plot.ly/plotly-{get_plotlyjs_version()}.min.js';"
            "s.onload=draw;document.head.appendChild(s);})();</script>")
    return {"text/html": page, "text/plain": text}


def error_html(error: Exception) -> str:
    """An error raised while drawing, as the status line shows it."""
    return f"<b>⚠ {type(error).__name__}:</b> {html.escape(str(error))}"


# ------------------------------------------------------------------ the panel
class Panel:
    """Named controls that redraw one figure (or a few, one above the other) in place.

    Args:
        controls: name -> :class:`Slider`, :class:`Choice` or :class:`Flag`, in display order.
        values: the starting value of every control, checked like :meth:`update`'s.
        draw: called as ``draw(**values)``; returns the figure to show (or a list).
        below: widgets shown under the figure.
    """

    def __init__(self, controls: Mapping[str, Control], values: Mapping[str, Any],
                 draw: Callable[..., Drawing], *, below: Sequence[w.Widget] = ()) -> None:
        self.specs = dict(controls)
        missing = [name for name in self.specs if name not in values]
        if missing:
            raise UsageError(f"no starting value for {', '.join(missing)}")
        start = self._checked({name: values[name] for name in self.specs})
        label_px = c.label_width([s.label for s in self.specs.values() if not isinstance(s, Flag)])
        self.controls: dict[str, w.ValueWidget] = {
            name: spec.widget(start[name], label_px) for name, spec in self.specs.items()}
        items = [spec.item(self.controls[name], label_px) for name, spec in self.specs.items()]
        self.draw = draw
        self.output = w.Output(layout=w.Layout(width="100%"))
        self.status = w.HTML()
        self.figures: tuple[go.Figure, ...] = ()
        self._soon = Soon(self._redraw_shown)
        self._quiet = False
        for name, control in self.controls.items():
            control.observe(functools.partial(self._moved, name), names="value")
        self.widget = w.VBox([c.row(items), self.status,
                              self.output, *below], layout=w.Layout(width="100%"))
        self.redraw()

    # ------------------------------------------------------------ behaviour
    @property
    def values(self) -> dict[str, Any]:
        """The controls' current values, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self, **values: Any) -> None:
        """Set controls by name, as moving them would, then redraw once.

        Raises :class:`~tcpnb.core.errors.UsageError` for a name that is not a
        control, or a value outside the control's range or options.
        """
        checked = self._checked(values)
        self.stop()
        for name, value in checked.items():
            self._set(name, value)
        self._soon.cancel()
        self.redraw()

    def redraw(self) -> None:
        """Draw the figure for the current values and show it in place of the last one."""
        self.show(self.draw(**self.values))

    def show(self, drawing: Drawing) -> None:
        """Replace the figure(s) shown with ``drawing``."""
        self.figures = (drawing,) if isinstance(drawing, go.Figure) else tuple(drawing)
        # Keep the figures' height while the next one is drawn: the page does not jump.
        height = sum(figure.layout.height or 450 for figure in self.figures)
        self.output.layout.min_height = f"{height}px"
        self.output.outputs = tuple({"output_type": "display_data", "metadata": {},
                                     "data": mimebundle(figure)} for figure in self.figures)
        self.note_status(self.note())

    def stop(self) -> None:
        """The values are about to change: drop any work for the old ones (none here)."""

    def note_status(self, text: str) -> None:
        """Show ``text`` (HTML) in the status line; an empty line takes no room."""
        self.status.value = text
        self.status.layout.display = "" if text else "none"

    def note(self) -> str:
        """The status line's HTML after a redraw (none here; panels may say more)."""
        return ""

    def follow(self, name: str, old: Any, new: Any) -> dict[str, Any]:
        """Other controls that move when ``name`` moves from ``old`` to ``new`` (none here)."""
        return {}

    def flush(self) -> None:
        """Draw now if a slider move is still waiting to be drawn."""
        self._soon.flush()

    # ------------------------------------------------------------ for readers
    @property
    def figure(self) -> go.Figure:
        """The figure shown (the first, if there are several)."""
        self.flush()
        return self.figures[0]

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)  # type: ignore[no-untyped-call]

    # ------------------------------------------------------------ inside
    def _checked(self, values: Mapping[str, Any]) -> dict[str, Any]:
        unknown = [name for name in values if name not in self.specs]
        if unknown:
            raise UsageError(f"no such control: {', '.join(unknown)}; this panel has "
                             + ", ".join(self.specs))
        return {name: self.specs[name].check(name, value) for name, value in values.items()}

    def _set(self, name: str, value: Any) -> None:
        """Set a control without redrawing, and the controls that follow it."""
        old = self.controls[name].value
        self._quietly(name, value)
        self._follow(name, old, value)

    def _follow(self, name: str, old: Any, new: Any) -> None:
        for other, value in self.follow(name, old, new).items():
            self._quietly(other, value)

    def _quietly(self, name: str, value: Any) -> None:
        self._quiet = True
        try:
            self.controls[name].value = value
        finally:
            self._quiet = False

    def _moved(self, name: str, change: dict[str, Any]) -> None:
        """A control moved in the page (or was set from Python): follow it, redraw soon."""
        if not self._quiet:
            self.stop()
            self._follow(name, change["old"], change["new"])
            self._soon.ask()

    def _redraw_shown(self) -> None:
        """Redraw for a slider: an error is shown in the status line, not raised."""
        try:
            self.redraw()
        except Exception as error:  # a slider must not crash the notebook: say what happened
            self.note_status(error_html(error))
