"""Two runs in one figure: their ladders side by side, on one time axis.

Each run keeps its own two lanes, laid out as in a ladder of its own (the figure
is as wide as four lanes need), and both share one time axis, so whatever
happens at the same moment is on the same row and a difference between the runs
shows where it starts.  Lanes are named ``A (1)``, ``B (1)``, ``A (2)`` ...; the
title says what happened in each run.
"""

from __future__ import annotations

from dataclasses import replace

import plotly.graph_objects as go

from ..sim import analysis
from ..sim.trace import Trace
from .ladder import ladder


def side_by_side(left: Trace, right: Trace) -> Trace:
    """One trace holding both runs, their endpoints renamed ``"A (1)"``, ..., ``"B (2)"``."""
    runs: list[Trace] = []
    shift = 0
    for number, trace in enumerate((left, right), start=1):
        name = {e: f"{e} ({number})" for e in trace.endpoints}
        first = sum(len(r.transmissions) for r in runs)
        runs.append(replace(
            trace, endpoints=tuple(name.values()),
            transmissions=tuple(replace(t, index=first + t.index, src=name[t.src], dst=name[t.dst],
                                        sent_event=t.sent_event + shift,
                                        arrived_event=None if t.arrived_event is None
                                        else t.arrived_event + shift)
                                for t in trace.transmissions),
            state_changes=tuple(replace(r, endpoint=name[r.endpoint], event=r.event + shift)
                                for r in trace.state_changes),
            notices=tuple(replace(r, endpoint=name[r.endpoint], event=r.event + shift)
                          for r in trace.notices),
            app_calls=tuple(replace(r, endpoint=name[r.endpoint], event=r.event + shift)
                            for r in trace.app_calls),
            timers=tuple(replace(r, endpoint=name[r.endpoint]) for r in trace.timers),
            deliveries=tuple(replace(r, endpoint=name[r.endpoint], event=r.event + shift,
                                     source=None if r.source is None else first + r.source)
                             for r in trace.deliveries)))
        shift += 1 + max([max(t.sent_event, t.arrived_event or 0) for t in trace.transmissions]
                         + [r.event for r in trace.state_changes] + [0])
    one, two = runs
    return Trace(endpoints=one.endpoints + two.endpoints,
                 transmissions=one.transmissions + two.transmissions,
                 state_changes=tuple(sorted(one.state_changes + two.state_changes,
                                            key=lambda r: (r.t, r.event))),
                 notices=one.notices + two.notices, app_calls=one.app_calls + two.app_calls,
                 timers=one.timers + two.timers, deliveries=one.deliveries + two.deliveries,
                 end_time=max(left.end_time, right.end_time), params=dict(left.params))


def pair(left: Trace, right: Trace, names: tuple[str, str] = ("run 1", "run 2"), *,
         relative: bool = False, cut: bool | float = True, height: int | None = None,
         labels: bool | None = None) -> go.Figure:
    """The ladders of ``left`` and ``right`` side by side on one time axis.

    Args:
        left, right: two runs, e.g. one scenario with two settings.
        names: what each run is; the title gives each name and what happened.
        relative, cut, height, labels: as for :func:`tcpnb.views.ladder`.
    """
    for what, trace in (("left", left), ("right", right)):
        if not isinstance(trace, Trace):
            raise ValueError(f"{what} must be a tcpnb.Trace, got {type(trace).__name__}")
    title = "<br>".join(f"({k}) {name}: {analysis.summary(trace)}"
                        for k, (name, trace) in enumerate(zip(names, (left, right)), start=1))
    return ladder(side_by_side(left, right), title=title, relative=relative, cut=cut,
                  height=height, labels=labels)
