"""``explore`` and ``compare``: a scenario's sliders, which re-run it and redraw its figure in place.

    from tcpnb import widgets
    panel = widgets.explore("syn_lost", delay=0.2)        # shows itself as a cell's result
    panel.update(delay=0.3, seed=4)                        # what a slider does, from Python
    panel.trace, panel.figure, panel.summary               # the run and figure now shown
    widgets.explore("three_way_handshake", below=knowledge)  # and a table under the figure

A :class:`ScenarioPanel` is a :class:`~tcpnb.widgets.panel.Panel` whose figure is
drawn from one run of each of its scenarios.  The figure's title states the
outcome, so the panel does not repeat it; ``panel.summary`` gives it as text.
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import ipywidgets as w
import plotly.graph_objects as go

from ..core import profiles
from ..core.errors import UsageError
from ..core.states import State
from ..sim import analysis, scenarios
from ..sim.trace import Trace
from ..views.ladder import ladder
from ..views.pair import pair
from ..views.statediagram import state_diagram
from ..views.timeline import timeline
from .panel import Choice, Control, Drawing, Panel, Slider, mimebundle

__all__ = ["ScenarioPanel", "Run", "explore", "compare", "mimebundle"]

View = Callable[[Trace], go.Figure]
#: Something to show under the figure, e.g. :func:`tcpnb.views.knowledge`: its result's
#: ``_repr_html_()`` (else its text).
Below = Callable[[Trace], Any]
#: A view by name.
ViewName = Literal["ladder", "timeline", "states"]
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
PROFILE = Choice("profile", (("RFC", "rfc"), ("Linux", "linux")))


def control(name: str) -> Control:
    """The control for setting ``name``: a slider of :data:`SLIDERS`, or the profile chooser."""
    if name == "profile":
        return PROFILE
    label, low, high, step = SLIDERS[name]
    return Slider(label, low, high, step, whole=name == "seed")


@dataclass(frozen=True)
class Run:
    """A scenario, and the keywords that no control changes."""

    name: str
    func: Callable[..., Trace]
    fixed: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, scenario: str | tuple[str, dict[str, Any]]) -> Run:
        """``"name"`` or ``("name", {keyword: value})`` as a run."""
        name, fixed = (scenario, {}) if isinstance(scenario, str) else scenario
        label = name + "".join(f", {k}={v!r}" for k, v in fixed.items())
        return cls(label, scenarios.get(name), dict(fixed))


class ScenarioPanel(Panel):
    """Controls that re-run scenarios; ``picture(traces)`` draws what the runs did.

    ``trace`` (the first run), ``traces`` and ``summary`` tell what is shown.
    """

    def __init__(self, runs: Sequence[Run], controls: dict[str, Control],
                 values: dict[str, Any], picture: Callable[[list[Trace]], Drawing], *,
                 below: Below | None = None) -> None:
        self.runs, self.picture, self.below = list(runs), picture, below
        self.below_html = w.HTML()
        self._traces: list[Trace] = []
        super().__init__(controls, values, self._run, below=[self.below_html] if below else [])

    def _run(self, **values: Any) -> Drawing:
        self._traces = [run.func(**{**values, **run.fixed}) for run in self.runs]
        if self.below is not None:
            self.below_html.value = _as_html(self.below(self._traces[0]))
        return self.picture(self._traces)

    @property
    def traces(self) -> list[Trace]:
        """The runs shown, one per scenario."""
        self.flush()
        return list(self._traces)

    @property
    def trace(self) -> Trace:
        """The run shown (the first scenario's)."""
        return self.traces[0]

    @property
    def summary(self) -> str:
        """The outcome of each run shown, as plain text (the figure titles say the same)."""
        return " | ".join(analysis.summary(trace) for trace in self.traces)

    def follow(self, name: str, old: Any, new: Any) -> dict[str, Any]:
        """MSL and TIME-WAIT follow the profile; TIME-WAIT stays 2 x MSL if it was."""
        moved: dict[str, Any] = {}
        msl, time_wait = self.controls.get("msl"), self.controls.get("time_wait")
        if name == "profile":
            chosen, before = profiles.get(new), profiles.get(old)
            if msl is not None and msl.value == before.msl:
                moved["msl"] = chosen.msl
            if time_wait is not None and time_wait.value == before.time_wait_length:
                moved["time_wait"] = chosen.time_wait_length
        if name == "msl" and time_wait is not None and time_wait.value == 2 * old:
            moved["time_wait"] = min(2 * new, time_wait.max)
        return moved


def _as_html(shown: Any) -> str:
    """``shown`` as HTML: its ``_repr_html_()``, else its text."""
    to_html = getattr(shown, "_repr_html_", None)
    return str(to_html()) if callable(to_html) else f"<pre>{html.escape(str(shown))}</pre>"


def _view(view: ViewName | View) -> View:
    if (isinstance(view, str) and view not in VIEWS) or not (isinstance(view, str) or callable(view)):
        raise UsageError(f"view must be one of {', '.join(VIEWS)} or a function, got {view!r}")
    return VIEWS[view] if isinstance(view, str) else view


def _defaults(func: Callable[..., Trace], profile: str) -> dict[str, Any]:
    """Starting values: the scenario's own defaults, else the simulator's and the profile's."""
    chosen = profiles.get(profile)
    values: dict[str, Any] = dict(delay=0.1, jitter=0.0, loss=0.0, seed=0, profile=profile,
                                  msl=chosen.msl, time_wait=chosen.time_wait_length)
    for name, parameter in inspect.signature(func).parameters.items():
        if name in values and parameter.default is not inspect.Parameter.empty:
            values[name] = parameter.default
    return values


def _controls(func: Callable[..., Trace], values: dict[str, Any],
              controls: Sequence[str] | None) -> tuple[str, ...]:
    """The controls to show: those asked for, else the network's (and the close's, if it has one)."""
    if controls is None:
        trace = func(**{k: v for k, v in values.items() if k not in CLOSING + NETWORK})
        closing = any(r.new is State.TIME_WAIT for r in trace.state_changes)
        return NETWORK + (CLOSING if closing else ())
    unknown = [c for c in controls if c not in SLIDERS and c != "profile"]
    if unknown:
        raise UsageError(f"controls: unknown control(s) {', '.join(unknown)}; allowed: "
                         + ", ".join([*SLIDERS, "profile"]))
    return tuple(controls)


def explore(scenario: str, *, view: ViewName | View = "ladder",
            controls: Sequence[str] | None = None, height: int | None = None,
            below: Below | None = None, **values: Any) -> ScenarioPanel:
    """A control panel for ``scenario``: sliders, a profile chooser and its figure.

    Args:
        scenario: a scenario name (``python -m tcpnb list``).
        view: ``"ladder"``, ``"timeline"``, ``"states"`` or a function trace -> figure.
        controls: which controls to show (default: delay, jitter, loss, seed and
            profile, plus MSL and TIME-WAIT for runs that reach TIME-WAIT).
        height: figure height in pixels (default: the view's own).
        below: a function trace -> something with ``_repr_html_``, e.g.
            :func:`tcpnb.views.knowledge`, shown under the figure and redrawn with it.
        **values: starting values of controls (checked against their ranges), or
            fixed keywords for the scenario (``times=2``) that no control changes.
    """
    run, draw = Run.of(scenario), _view(view)
    names = _controls(run.func, values, controls)
    start = {**_defaults(run.func, values.get("profile", "rfc")), **values}
    run = replace(run, fixed={k: v for k, v in values.items() if k not in names})

    def picture(traces: list[Trace]) -> go.Figure:
        figure = draw(traces[0])
        if height:
            figure.layout.height = height
        return figure

    return ScenarioPanel([run], {n: control(n) for n in names}, {n: start[n] for n in names},
                         picture, below=below)


def compare(left: str | tuple[str, dict[str, Any]], right: str | tuple[str, dict[str, Any]], *,
            view: ViewName | View = "ladder", controls: Sequence[str] | None = None,
            height: int = 640, **values: Any) -> ScenarioPanel:
    """Two scenarios under one set of sliders: with ``view="ladder"`` one figure shows
    both runs, one above the other, each laid out as on its own
    (:func:`tcpnb.views.pair.stack`); other views draw two figures, one above the other.

    ``left`` and ``right`` are scenario names or ``(name, keywords)`` pairs, e.g.
    ``compare(("old_duplicate_syn", {"handshake": "two-way"}), "old_duplicate_syn")``
    or ``compare("normal_close", ("normal_close", {"time_wait": 1.0}))``.
    """
    runs, draw = [Run.of(left), Run.of(right)], _view(view)
    start = {**_defaults(runs[0].func, values.get("profile", "rfc")), **values}
    names = tuple(dict.fromkeys(n for r in runs for n in _controls(r.func, r.fixed, controls)
                                if not any(n in s.fixed for s in runs)))
    runs = [replace(r, fixed={**{k: v for k, v in values.items() if k not in names}, **r.fixed})
            for r in runs]

    def picture(traces: list[Trace]) -> list[go.Figure]:
        if view == "ladder":  # one figure; each ladder's height fits its labels
            return [pair(traces[0], traces[1], (runs[0].name, runs[1].name))]
        figures = [draw(trace) for trace in traces]
        for run, figure in zip(runs, figures):
            figure.layout.height = height
            figure.layout.title.text = f"<b>{run.name}</b><br>{figure.layout.title.text}"
        return figures

    return ScenarioPanel(runs, {n: control(n) for n in names}, {n: start[n] for n in names},
                         picture)
