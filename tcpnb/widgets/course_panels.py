"""The course's own control panels: the stale-request and TIME-WAIT experiments, the close.

Each is a :class:`~tcpnb.widgets.panel.ControlPanel`: named controls, one
figure redrawn in place, ``update(**values)`` to do from Python what moving the
controls does.  The experiments themselves live in :mod:`tcpnb.course`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as w
import plotly.graph_objects as go

from ..course import stale, timewait
from ..sim import analysis, scenarios
from ..sim.trace import Trace
from ..views.ladder import ladder
from .panel import ControlPanel


class FigurePanel(ControlPanel):
    """Sliders that redraw one figure in place: ``draw(**values) -> go.Figure``.

    The figure goes into one ipywidgets ``Output`` through
    :func:`tcpnb.widgets.mimebundle`, so it renders in JupyterLab and on Colab
    like the course's scenario panels.  ``update(**values)`` does from Python
    what moving the sliders does.
    """

    def __init__(self, draw: Any, sliders: dict[str, tuple[str, float, float, float]],
                 values: dict[str, float]) -> None:
        self.draw = draw
        self.controls: dict[str, Any] = {}
        for name, (label, low, high, step) in sliders.items():
            kind = w.IntSlider if all(float(v).is_integer() for v in (low, high, step)) \
                else w.FloatSlider
            self.controls[name] = kind(value=values[name], min=low, max=high, step=step,
                                       description=label, continuous_update=False,
                                       style={"description_width": "130px"},
                                       layout=w.Layout(width="380px"))
        self.output = w.Output(layout=w.Layout(min_height="300px"))
        self.figure: go.Figure | None = None
        self.watch()
        self.redraw()
        self.widget = w.VBox([w.HBox(list(self.controls.values())), self.output])

    def redraw(self) -> None:
        """Draw the figure for the current values and show it in place of the last one."""
        self.figure = self.draw(**self.values)
        self.show(self.output, self.figure)


def waste_panel(runs: int = 100, **start: float) -> FigurePanel:
    """Sliders for delay, loss and duplicate rate over :func:`tcpnb.course.stale.compare` and its figure."""
    values = {"delay": 0.1, "loss": 0.0, "duplicate": 0.1, **start}

    def draw(delay: float, loss: float, duplicate: float) -> go.Figure:
        return stale.compare_figure(stale.compare(runs, delay=delay, loss=loss, duplicate=duplicate))

    return FigurePanel(draw, {"delay": ("delay (s)", 0.001, 0.3, 0.001),
                              "loss": ("loss", 0.0, 0.3, 0.05),
                              "duplicate": ("late copies", 0.0, 0.3, 0.05)}, values)


def window_panel(**start: float) -> FigurePanel:
    """Sliders for the gap between two connections and the bytes sent before the old segment."""
    values = {"gap": 1.0, "sent_before": 1, **start}

    def draw(gap: float, sent_before: int) -> go.Figure:
        return stale.window_figure(gap, old_offset=int(sent_before))

    return FigurePanel(draw, {"gap": ("gap (s)", 0.0, 6.0, 0.05),
                              "sent_before": ("bytes sent before", 1, 2_000_001, 50_000)}, values)


class ClosePanel(ControlPanel):
    """Controls for :func:`tcpnb.sim.scenarios.close` (who closes first, which segment is lost, the network) and its ladder.

    The figure is replaced in one ``Output`` on each change (no output capture,
    so it also runs under nbclient and nbval).  ``update(**values)`` does what
    moving the controls does; ``trace`` is the run shown.
    """

    def __init__(self, **start: Any) -> None:
        values = {**dict(first="A", lose="first FIN", delay=0.1, loss=0.0, seed=0), **start}
        style = {"description_width": "90px"}
        self.controls: dict[str, Any] = {
            "first": w.ToggleButtons(options=["A", "B"], value=values["first"],
                                     description="closes first", style=style),
            "lose": w.Dropdown(options=list(scenarios.LOSSES), value=values["lose"], description="lose",
                               style=style),
            "delay": w.FloatSlider(value=values["delay"], min=0.01, max=0.6, step=0.01,
                                   description="delay (s)", continuous_update=False, style=style),
            "loss": w.FloatSlider(value=values["loss"], min=0.0, max=0.5, step=0.05,
                                  description="random loss", continuous_update=False,
                                  style=style),
            "seed": w.IntSlider(value=values["seed"], min=0, max=20, description="seed",
                                continuous_update=False, style=style),
        }
        self.status = w.HTML()
        self.out = w.Output(layout=w.Layout(min_height="560px"))
        self.trace: Trace | None = None
        self.watch()
        self.redraw()
        boxes = list(self.controls.values())
        self.widget = w.VBox([w.HBox(boxes[:2]), w.HBox(boxes[2:]), self.status, self.out])

    def redraw(self) -> None:

        values = self.values
        self.trace = scenarios.close(**values)
        self.status.value = analysis.summary(self.trace)
        self.show(self.out, ladder(self.trace))


def close_panel(**start: Any) -> ClosePanel:
    """A :class:`ClosePanel`; ``start`` sets first, lose, delay, loss and seed."""
    return ClosePanel(**start)


class TimeWaitPanel(ControlPanel):
    """The experiment panel: sliders for the network and the MSL, the failure rates, redrawn.

    Each change reruns :func:`tcpnb.course.timewait.sweep` (``runs`` runs per TIME-WAIT length, about
    a second) and replaces the figure.  ``update(**values)`` does what moving
    the controls does; ``points`` holds the rates shown.
    """

    def __init__(self, msl: float, runs: int, multiples: Sequence[float],
                 setup: dict[str, Any]) -> None:
        self.runs, self.multiples = runs, tuple(multiples)
        start = {**dict(delay=0.1, jitter=0.0, loss=0.05, duplicate=0.1, rfc1337=True,
                        isn="fixed"), **setup}
        slider = dict(continuous_update=False, style={"description_width": "150px"})
        self.controls: dict[str, Any] = {
            "msl": w.FloatSlider(value=msl, min=2, max=60, step=1, description="MSL (s)",
                                 **slider),
            "delay": w.FloatSlider(value=start["delay"], min=0.01, max=2, step=0.01,
                                   description="one-way delay (s)", **slider),
            "jitter": w.FloatSlider(value=start["jitter"], min=0, max=2, step=0.05,
                                    description="+ jitter up to (s)", **slider),
            "loss": w.FloatSlider(value=start["loss"], min=0, max=0.3, step=0.01,
                                  description="loss", **slider),
            "duplicate": w.FloatSlider(value=start["duplicate"], min=0, max=0.3, step=0.01,
                                       description="late copies", **slider),
            "rfc1337": w.Checkbox(value=start["rfc1337"],
                                  description="A ignores RST in TIME-WAIT (RFC 1337)"),
            "isn": w.Dropdown(options=["fixed", "clock"], value=start["isn"],
                              description="ISNs", style=slider["style"]),
        }
        self.words = w.HTML()
        self.out = w.Output(layout=w.Layout(min_height="440px"))
        self.points: list[timewait.Rates] = []
        self.watch()
        self.redraw()
        boxes = list(self.controls.values())
        self.widget = w.VBox([w.HBox([w.VBox(boxes[:4]), w.VBox(boxes[4:])]), self.words,
                              self.out])

    def redraw(self) -> None:
        """Rerun the sweep for the current values and show its rates."""
        self.points = timewait.sweep(self.multiples, self.runs, **self.values)
        self.words.value = "<b>Measured:</b> " + timewait.describe(self.points)
        self.show(self.out, timewait.figure(self.points))


def time_wait_panel(*, msl: float = 10.0, runs: int = 150,
                    multiples: Sequence[float] = timewait.MULTIPLES, **setup: Any) -> TimeWaitPanel:
    """The experiment panel (see :class:`TimeWaitPanel`); ``setup`` sets the starting values."""
    return TimeWaitPanel(msl, timewait._check_runs(runs), multiples, setup)
