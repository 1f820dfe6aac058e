"""The course's own panels: the stale-request and TIME-WAIT experiments, the ISN window, the close.

Each is built on :class:`~tcpnb.widgets.panel.Panel`: named controls, one figure
redrawn in place, ``update(**values)`` to do from Python what moving the
controls does.  The two experiment panels answer at once with a first estimate
and refine it while the learner looks (:mod:`~tcpnb.widgets.experiment_panel`).
The experiments themselves live in :mod:`tcpnb.course`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from ..course import stale, timewait
from ..sim import scenarios
from ..sim.trace import Trace
from ..views.ladder import ladder
from .experiment_panel import ExperimentPanel
from .panel import Choice, Control, Flag, Panel, Slider
from .scenario_panel import Run, ScenarioPanel


def _split(controls: dict[str, Control], values: dict[str, Any]) -> tuple[dict[str, Any],
                                                                           dict[str, Any]]:
    """``values`` as (starting values of controls, fixed settings that no control changes)."""
    return ({k: v for k, v in values.items() if k in controls},
            {k: v for k, v in values.items() if k not in controls})


def waste_panel(*, runs: int = 100, **start: Any) -> ExperimentPanel:
    """Delay, loss and late copies over :func:`tcpnb.course.stale.compare`: the waste of each handshake.

    ``runs`` connections per handshake; ``start`` sets the starting values (or
    fixed settings such as ``lag``).
    """
    controls: dict[str, Control] = {"delay": Slider("delay (s)", 0.001, 0.3, 0.001),
                                    "loss": Slider("loss", 0.0, 0.3, 0.05),
                                    "duplicate": Slider("late copies", 0.0, 0.3, 0.05)}
    values, fixed = _split(controls, {"delay": 0.1, "loss": 0.0, "duplicate": 0.1, **start})
    return ExperimentPanel(controls, values, lambda **v: stale.experiment(**v, **fixed),
                           stale.compare_figure, runs=runs)


def window_panel(**start: Any) -> Panel:
    """The gap between two connections and the bytes sent before the old segment: inside the window?"""
    controls: dict[str, Control] = {"gap": Slider("gap (s)", 0.0, 6.0, 0.05),
                                    "sent_before": Slider("bytes sent before", 1, 2_000_001,
                                                          50_000, whole=True)}

    def draw(gap: float, sent_before: int) -> go.Figure:
        return stale.window_figure(gap, old_offset=sent_before)

    return Panel(controls, {"gap": 1.0, "sent_before": 1, **start}, draw)


def close_panel(**start: Any) -> ScenarioPanel:
    """:func:`tcpnb.sim.scenarios.close`: who closes first, which segment is lost, the network; its ladder.

    ``start`` sets first, lose, delay, loss and seed.
    """
    controls: dict[str, Control] = {
        "first": Choice("closes first", (("A", "A"), ("B", "B"))),
        "lose": Choice("lose", tuple((loss, loss) for loss in scenarios.LOSSES), buttons=False),
        "delay": Slider("delay (s)", 0.01, 0.6, 0.01),
        "loss": Slider("random loss", 0.0, 0.5, 0.05),
        "seed": Slider("seed", 0, 20, 1, whole=True),
    }
    values = {"first": "A", "lose": "first FIN", "delay": 0.1, "loss": 0.0, "seed": 0, **start}

    def picture(traces: list[Trace]) -> go.Figure:
        return ladder(traces[0])

    return ScenarioPanel([Run.of("close")], controls, values, picture)


def time_wait_panel(*, runs: int = 1000, multiples: Sequence[float] = timewait.MULTIPLES,
                    **start: Any) -> ExperimentPanel:
    """The TIME-WAIT experiment: sliders for the MSL and the network, the failure rates against TIME-WAIT.

    A first estimate comes at once and sharpens until each TIME-WAIT length has
    ``runs`` runs (:func:`tcpnb.course.timewait.sweep`).  ``start`` sets the
    starting values (msl, delay, jitter, loss, duplicate, rfc1337, isn) or fixed
    settings of :func:`tcpnb.course.timewait.reconnect` that no control changes.
    """
    controls: dict[str, Control] = {
        "msl": Slider("MSL (s)", 2, 60, 1),
        "delay": Slider("delay (s)", 0.01, 2, 0.01),
        "jitter": Slider("jitter (s)", 0, 2, 0.05),
        "loss": Slider("loss", 0, 0.3, 0.01),
        "duplicate": Slider("late copies", 0, 0.3, 0.01),
        "isn": Choice("ISNs", (("fixed", "fixed"), ("clock", "clock"))),
        "rfc1337": Flag("A ignores RST in TIME-WAIT (RFC 1337)"),
    }
    values, fixed = _split(controls, {"msl": 10.0, "delay": 0.1, "jitter": 0.0, "loss": 0.05,
                                      "duplicate": 0.1, "rfc1337": True, "isn": "fixed",
                                      **start})
    return ExperimentPanel(controls, values,
                           lambda **v: timewait.experiment(multiples, **v, **fixed),
                           timewait.figure, runs=runs, words=timewait.describe)
