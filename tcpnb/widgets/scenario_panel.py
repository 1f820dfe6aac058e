"""``explore`` and ``compare``: a scenario's sliders, which re-run it and redraw its figure in place.

    from tcpnb import widgets
    panel = widgets.explore("syn_lost", delay=0.2)        # shows itself as a cell's result
    panel.update(delay=0.3, seed=4)                        # what a slider does, from Python
    panel.trace, panel.figure, panel.summary               # the run and figure now shown
    widgets.explore("three_way_handshake", below=knowledge)  # and a table under the figure

Design: the figure is a plain ``go.Figure`` shown in one ipywidgets ``Output``.
Each change replaces that Output's single output (its ``outputs`` tuple) with
the new figure's JSON under plotly's own mimetype, which JupyterLab's plotly
extension draws with the plotly.js it has already loaded.  So a notebook with
three panels ships three small figure JSONs, not three copies of the 5 MB
plotly.js bundle that every ``go.FigureWidget`` carries (see
``benchmarks/bench_views.py``).  Nothing piles up: there is one output,
replaced.  On Colab, whose output frames have no plotly extension, the same
Output holds a small HTML page that loads plotly.js once from its CDN.
``backend="figurewidget"`` uses one ``go.FigureWidget`` instead.

Works with ipywidgets 7.7 (Colab) and 8.x (JupyterLab).
"""

from __future__ import annotations

import html
import inspect
import json
import sys
import uuid
from typing import Any, Callable, Literal

import ipywidgets as w
import plotly.graph_objects as go

from ..core import profiles
from ..core.states import State
from ..sim import analysis, scenarios
from ..sim.trace import Trace
from ..views.ladder import ladder
from ..views.statediagram import state_diagram
from ..views.timeline import timeline

View = Callable[[Trace], go.Figure]
#: Something to show under the figure, e.g. :func:`tcpnb.views.knowledge`: its result's
#: ``_repr_html_()`` (else its text).
Below = Callable[[Trace], Any]
#: A view by name, and how the figure is shown (see the module's docstring).
ViewName = Literal["ladder", "timeline", "states"]
Backend = Literal["output", "figurewidget"]
VIEWS: dict[ViewName, View] = {"ladder": ladder, "timeline": timeline, "states": state_diagram}
#: name -> (label, min, max, step); the profile chooser is separate.
SLIDERS: dict[str, tuple[str, float, float, float]] = {
    "delay": ("delay (s)", 0.0, 1.0, 0.01),
    "jitter": ("jitter (s)", 0.0, 0.5, 0.01),
    "loss": ("loss", 0.0, 0.9, 0.05),
    "seed": ("seed", 0, 99, 1),
    "msl": ("MSL (s)", 0.0, 240.0, 1.0),
    "time_wait": ("TIME-WAIT (s)", 0.0, 480.0, 1.0),
}
NETWORK = ("delay", "jitter", "loss", "seed", "profile")
CLOSING = ("msl", "time_wait")
_STYLE = {"description_width": "110px"}


def _defaults(func: Callable[..., Trace], profile: str) -> dict[str, Any]:
    """Starting values: the scenario's own defaults, else the simulator's and the profile's."""
    chosen = profiles.get(profile)
    values: dict[str, Any] = dict(delay=0.1, jitter=0.0, loss=0.0, seed=0, profile=profile,
                                  msl=chosen.msl, time_wait=chosen.time_wait_length)
    for name, parameter in inspect.signature(func).parameters.items():
        if name in values and parameter.default is not inspect.Parameter.empty:
            values[name] = parameter.default
    return values


def _enters_time_wait(trace: Trace) -> bool:
    return any(r.new is State.TIME_WAIT for r in trace.state_changes)


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


class _Pane:
    """One scenario, one view, and the widget that shows its figure."""

    def __init__(self, scenario: str | tuple[str, dict[str, Any]], view: ViewName | View,
                 backend: Backend, height: int | None, below: Below | None = None) -> None:
        name, fixed = (scenario, {}) if isinstance(scenario, str) else scenario
        self.func, self.fixed = scenarios.get(name), dict(fixed)
        self.name = name + "".join(f", {k}={v!r}" for k, v in self.fixed.items())
        if isinstance(view, str) and view not in VIEWS:
            raise ValueError(f"view must be one of {', '.join(VIEWS)} or a function, got {view!r}")
        self.view = VIEWS[view] if isinstance(view, str) else view
        self.narrow = False  # set for a pane that shares the width with another
        if backend not in ("output", "figurewidget"):
            raise ValueError(f"backend must be 'output' or 'figurewidget', got {backend!r}")
        self.backend, self.height = backend, height
        self.trace: Trace | None = None
        self.figure: go.Figure | None = None
        self.widget: w.Widget = (w.Output(layout=w.Layout(min_height=f"{height or 560}px"))
                                 if backend == "output" else go.FigureWidget())
        self.below, self.below_html = below, w.HTML()
        #: What the panel shows: the figure, and under it ``below``'s HTML if there is one.
        self.box: w.Widget = self.widget if below is None else w.VBox([self.widget,
                                                                       self.below_html])

    def run(self, values: dict[str, Any]) -> None:
        """Re-run the scenario with ``values`` and redraw."""
        trace = self.func(**{**values, **self.fixed})
        if self.narrow and self.view is ladder:
            # Lay the labels and title out for about half a notebook, then let it fill its half.
            figure = ladder(trace, width=480)
            figure.layout.width = None
        else:
            figure = self.view(trace)
        if self.height:
            figure.layout.height = self.height
        self.trace, self.figure = trace, figure
        if isinstance(self.widget, w.Output):
            self.widget.outputs = ({"output_type": "display_data", "metadata": {},
                                    "data": mimebundle(figure)},)
        else:
            with self.widget.batch_update():
                self.widget.data = ()
                self.widget.add_traces(list(figure.data))
                self.widget.layout = figure.layout
        if self.below is not None:
            self.below_html.value = _as_html(self.below(trace))


def _as_html(shown: Any) -> str:
    """``shown`` as HTML: its ``_repr_html_()``, else its text."""
    to_html = getattr(shown, "_repr_html_", None)
    return str(to_html()) if callable(to_html) else f"<pre>{html.escape(str(shown))}</pre>"


class Panel:
    """Shared controls driving one or more panes; shows itself in a notebook.

    ``update(**values)`` does what moving the controls does, from Python.
    """

    def __init__(self, panes: list[_Pane], controls: tuple[str, ...], values: dict[str, Any]
                 ) -> None:
        self.panes = panes
        self.controls: dict[str, w.ValueWidget] = {name: self._control(name, values[name])
                                                   for name in controls}
        self.fixed = {k: v for k, v in values.items() if k not in self.controls}
        self.status = w.HTML()
        self._holding = False
        for name, control in self.controls.items():
            control.observe(lambda change, name=name: self._changed(name, change), names="value")
        self.redraw()
        boxes = [p.box for p in panes]
        for pane, box in zip(panes, boxes):
            if isinstance(pane.widget, w.Output):
                box.layout.width = f"{100 // len(boxes) - 1}%" if len(boxes) > 1 else "100%"
        self.widget = w.VBox([w.HBox(list(self.controls.values())[:3]),
                              w.HBox(list(self.controls.values())[3:]), self.status,
                              w.HBox(boxes) if len(boxes) > 1 else boxes[0]])

    @staticmethod
    def _control(name: str, value: Any) -> w.ValueWidget:
        if name == "profile":
            return w.ToggleButtons(options=[("RFC", "rfc"), ("Linux", "linux")],
                                   value=profiles.get(value).name.lower(), description="profile",
                                   style=_STYLE)
        label, low, high, step = SLIDERS[name]
        kind = w.IntSlider if name == "seed" else w.FloatSlider
        return kind(value=value, min=low, max=high, step=step, description=label,
                    continuous_update=False, style=_STYLE, layout=w.Layout(width="340px"))

    # ------------------------------------------------------------- behaviour
    @property
    def values(self) -> dict[str, Any]:
        """What every run gets: the controls' values and the fixed ones."""
        return {**self.fixed, **{name: c.value for name, c in self.controls.items()}}

    def _changed(self, name: str, change: dict[str, Any]) -> None:
        if self._holding:
            return
        self._follow(name, change["old"], change["new"])
        try:
            self.redraw()
        except Exception as error:  # a slider must not crash the notebook: say what happened
            self.status.value = f"<b>⚠ {type(error).__name__}:</b> {error}"

    def _follow(self, name: str, old: Any, new: Any) -> None:
        """Keep MSL and TIME-WAIT in step: with a profile, and TIME-WAIT = 2 x MSL if it was."""
        self._holding = True
        try:
            tw = self.controls.get("time_wait")
            if name == "profile" and "msl" in self.controls:
                chosen, before = profiles.get(new), profiles.get(old)
                if self.controls["msl"].value == before.msl:
                    self.controls["msl"].value = chosen.msl
                if tw is not None and tw.value == before.time_wait_length:
                    tw.value = chosen.time_wait_length
            if name == "msl" and tw is not None and tw.value == 2 * old:
                tw.value = min(2 * new, tw.max)
        finally:
            self._holding = False

    def update(self, **values: Any) -> None:
        """Set controls (by name) and redraw once; bad names or values raise ValueError."""
        for name, value in values.items():
            control = self.controls.get(name)
            if control is None:
                raise ValueError(f"{name}: no such control; this panel has "
                                 + ", ".join(self.controls))
            if name == "profile":
                value = profiles.get(value).name.lower()
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    control.min <= value <= control.max):
                raise ValueError(f"{name} must be a number in [{control.min}, {control.max}], "
                                 f"got {value!r}")
        for name, value in values.items():
            old = self.controls[name].value
            self._holding = True
            try:
                self.controls[name].value = profiles.get(value).name.lower() \
                    if name == "profile" else value
            finally:
                self._holding = False
            self._follow(name, old, self.controls[name].value)
        self.redraw()

    def redraw(self) -> None:
        """Re-run every pane with the current values; refresh the outcome line."""
        for pane in self.panes:
            pane.run(self.values)
        lines = [(f"<b>{p.name}</b>: " if len(self.panes) > 1 else "")
                 + analysis.summary(p.trace) for p in self.panes if p.trace is not None]
        self.status.value = "<br>".join(lines)

    # ------------------------------------------------------------ for readers
    @property
    def trace(self) -> Trace:
        """The run shown (the first pane's)."""
        return self.panes[0].trace  # type: ignore[return-value]

    @property
    def figure(self) -> go.Figure:
        """The figure shown (the first pane's)."""
        return self.panes[0].figure

    @property
    def summary(self) -> str:
        """The outcome line(s), as plain text."""
        return " | ".join(analysis.summary(p.trace) for p in self.panes if p.trace is not None)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)  # type: ignore[no-untyped-call]


def _controls(func: Callable[..., Trace], values: dict[str, Any],
              controls: tuple[str, ...] | None) -> tuple[str, ...]:
    if controls is None:
        closing = _enters_time_wait(func(**{k: v for k, v in values.items()
                                             if k not in CLOSING + NETWORK}))
        return NETWORK + (CLOSING if closing else ())
    unknown = [c for c in controls if c not in SLIDERS and c != "profile"]
    if unknown:
        raise ValueError(f"controls: unknown control(s) {', '.join(unknown)}; allowed: "
                         + ", ".join([*SLIDERS, "profile"]))
    return tuple(controls)


def explore(scenario: str, *, view: ViewName | View = "ladder",
            controls: tuple[str, ...] | None = None, backend: Backend = "output",
            height: int | None = None, below: Below | None = None, **values: Any) -> Panel:
    """A control panel for ``scenario``: sliders, a profile chooser, an outcome line, a figure.

    Args:
        scenario: a scenario name (``python -m tcpnb list``).
        view: ``"ladder"``, ``"timeline"``, ``"states"`` or a function trace -> figure.
        controls: which controls to show (default: delay, jitter, loss, seed and
            profile, plus MSL and TIME-WAIT for runs that reach TIME-WAIT).
        backend: ``"output"`` (light, default) or ``"figurewidget"`` (plotly's
            ``FigureWidget``, an anywidget: updates in place, heavier to load).
        height: figure height in pixels (default: the view's own).
        below: a function trace -> something with ``_repr_html_``, e.g.
            :func:`tcpnb.views.knowledge`, shown under the figure and redrawn with it.
        **values: starting values of controls, or fixed keywords for the scenario
            (``times=2``) that no control changes.
    """
    pane = _Pane(scenario, view, backend, height, below)
    start = {**_defaults(pane.func, values.get("profile", "rfc")), **values}
    names = _controls(pane.func, {k: v for k, v in values.items()}, controls)
    pane.fixed.update({k: v for k, v in values.items() if k not in names})
    start = {k: v for k, v in start.items() if k in names or k in values}
    return Panel([pane], names, start)


def compare(left: str | tuple[str, dict[str, Any]], right: str | tuple[str, dict[str, Any]], *,
            view: ViewName | View = "ladder", controls: tuple[str, ...] | None = None,
            backend: Backend = "output", height: int = 640, **values: Any) -> Panel:
    """Two scenarios side by side under one set of sliders.

    ``left`` and ``right`` are scenario names or ``(name, keywords)`` pairs, e.g.
    ``compare(("old_duplicate_syn", {"handshake": "two-way"}), "old_duplicate_syn")``
    or ``compare("normal_close", ("normal_close", {"time_wait": 1.0}))``.
    """
    panes = [_Pane(side, view, backend, height) for side in (left, right)]
    for pane in panes:
        pane.narrow = True
    start = {**_defaults(panes[0].func, values.get("profile", "rfc")), **values}
    names = tuple(dict.fromkeys(n for p in panes for n in _controls(p.func, dict(p.fixed),
                                                                    controls)))
    names = tuple(n for n in names if not any(n in p.fixed for p in panes))
    for pane in panes:
        pane.fixed = {**{k: v for k, v in values.items() if k not in names}, **pane.fixed}
    return Panel(panes, names, {k: v for k, v in start.items() if k in names or k in values})
