"""Time in the figures: a time axis that cuts idle gaps, and the state timeline.

Theory of operation
-------------------
A close takes half a second and TIME-WAIT then lasts four minutes: drawn to
scale, the whole exchange would be squeezed into the top 0.2 % of the figure.
So the figures use a *broken axis*: a quiet gap much longer than everything
else together is drawn short, marked with a zig-zag and labelled with its
real length ("239.9 s later").  Inside the cut, time still runs linearly, so a
TIME-WAIT band stays one continuous band.  Tick labels and hover texts always
give real times.  ``cut=False`` draws time to scale; ``cut=5.0`` cuts every
quiet gap longer than 5 s.

Automatic cutting only removes a gap longer than three times all the rest of
the run together, so the doubling retransmission intervals (1 s, 2 s, 4 s,
...) of a lesson on lost SYNs are never cut.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import plotly.graph_objects as go

from . import palette
from .states import State
from .trace import Trace

Span = tuple[float, float, State]


def state_spans(trace: Trace, name: str) -> list[Span]:
    """``[(start, end, state), ...]`` covering ``name``'s run from 0 to the trace's end.

    Empty for a trace without state records (a capture): no state is invented.
    Instants (a state entered and left at the same time) are left out.
    """
    if not trace.state_changes:
        return []
    history = trace.states(name)
    end = max(trace.end_time, history[-1][0])
    spans = []
    for (start, state), (stop, _) in zip(history, history[1:] + [(end, State.CLOSED)]):
        if stop > start or (stop == start == end and state is history[-1][1] and not spans):
            spans.append((start, stop, state))
    return spans


def event_times(trace: Trace) -> list[float]:
    """Every time at which something happened in ``trace``, sorted, without repeats."""
    times = {0.0, trace.end_time}
    for t in trace.transmissions:
        times.add(t.sent_at)
        if t.arrived_at is not None:
            times.add(t.arrived_at)
    times.update(r.t for r in trace.state_changes)
    times.update(c.t for c in trace.app_calls)
    times.update(n.t for n in trace.notices)
    for span in trace.timers:
        times.update((span.start, span.end))
    return sorted(times)


def _auto_cuts(times: list[float]) -> list[tuple[float, float]]:
    gaps = sorted(((b - a, a, b) for a, b in zip(times, times[1:]) if b > a), reverse=True)
    total, cuts = (times[-1] - times[0]) if times else 0.0, []
    for length, a, b in gaps:
        if length > 3 * (total - length):
            cuts.append((a, b))
            total -= length
        else:
            break
    return sorted(cuts)


@dataclass(frozen=True)
class TimeAxis:
    """Maps real time (seconds) to a drawing position, with long quiet gaps cut short."""

    start: float
    end: float
    cuts: tuple[tuple[float, float], ...] = ()
    gap: float = 0.0  # drawn length of each cut

    @classmethod
    def fit(cls, times: list[float], cut: bool | float = True) -> TimeAxis:
        """An axis for events at ``times``; see the module docstring for ``cut``."""
        times = sorted(set(times)) or [0.0]
        if cut is True:
            cuts = _auto_cuts(times)
        elif cut is False:
            cuts = []
        else:
            if isinstance(cut, bool) or not isinstance(cut, (int, float)) or cut <= 0:
                raise ValueError(f"cut must be True, False or a number of seconds > 0, got {cut!r}")
            cuts = [(a, b) for a, b in zip(times, times[1:]) if b - a > cut]
        kept = (times[-1] - times[0]) - sum(b - a for a, b in cuts)
        gap = max(kept, 1e-3) * 0.12 if cuts else 0.0
        return cls(times[0], times[-1], tuple(cuts), gap)

    def __call__(self, t: float) -> float:
        """The drawing position of time ``t``."""
        shift = 0.0
        for a, b in self.cuts:
            if t >= b:
                shift += (b - a) - self.gap
            elif t > a:
                return t - shift - (t - a) + (t - a) / (b - a) * self.gap
            else:
                break
        return t - shift

    @property
    def visible(self) -> float:
        """Seconds of real time drawn to scale (the run without its cuts)."""
        return (self.end - self.start) - sum(b - a for a, b in self.cuts)

    @property
    def unit(self) -> str:
        """``"ms"`` for a short run, else ``"s"``."""
        return "ms" if 0 < self.visible < 1.0 and self.end < 1.0 else "s"

    def label(self, t: float) -> str:
        """``t`` written in the axis unit, e.g. ``"0.25 s"`` or ``"12 ms"``."""
        return f"{_number(t * 1000)} ms" if self.unit == "ms" else f"{_number(t)} s"

    def ticks(self, target: int = 9) -> tuple[list[float], list[str]]:
        """Tick positions and their real-time labels, a round step apart."""
        step = _nice_step(max(self.visible, 1e-9) / target)
        scale = 1000 if self.unit == "ms" else 1
        edges = [self.start] + [x for cut in self.cuts for x in cut] + [self.end]
        times: list[float] = []
        for a, b in zip(edges[::2], edges[1::2]):
            k = math.ceil(a / step - 1e-9)
            while k * step <= b + 1e-9:
                times.append(k * step)
                k += 1
        for _, b in self.cuts:  # the first moment after each cut gets its own tick
            if not any(abs(b - t) < 0.3 * step for t in times):
                times.append(b)
        times.sort()
        return [self(t) for t in times], [_number(t * scale) for t in times]


def _nice_step(raw: float) -> float:
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _number(x: float) -> str:
    text = f"{x:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def break_marks(axis: TimeAxis, across: tuple[float, float], vertical: bool) -> tuple[
        go.Scatter, list[dict]]:
    """Zig-zag lines and "… later" labels that mark each cut of ``axis``.

    ``across`` is the range of the other coordinate the marks span; with
    ``vertical=True`` time runs along y (the ladder), else along x.
    """
    xs: list[float | None] = []
    ys: list[float | None] = []
    notes = []
    lo, hi = across
    for a, b in axis.cuts:
        middle, half = axis(a) + axis.gap / 2, axis.gap * 0.18
        for offset in (-half, half):
            steps = [lo + (hi - lo) * k / 24 for k in range(25)]
            wiggle = [middle + offset + (half * 0.5 if k % 2 else -half * 0.5)
                      for k in range(25)]
            xs += steps + [None]
            ys += wiggle + [None]
        text = f"⋯ {axis.label(b - a).replace(' ms', ' ms').strip()} later ⋯"
        position = dict(x=(lo + hi) / 2, y=middle) if vertical else dict(x=middle, y=0.5)
        notes.append(dict(text=text, showarrow=False, bgcolor="white",
                          font=dict(size=palette.LABEL_SIZE, color="#555555"),
                          **position, **({} if vertical else dict(yref="paper", textangle=-90))))
    if not vertical:
        xs, ys = ys, xs
    marks = go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#888888", width=1.5),
                       hoverinfo="skip", showlegend=False, name="cut")
    return marks, notes


def _rect(x0: float, x1: float, y0: float, y1: float) -> tuple[list, list]:
    return [x0, x1, x1, x0, x0, None], [y0, y0, y1, y1, y0, None]


def band_traces(spans_by_lane: list[tuple[float, list[Span], str]], axis: TimeAxis,
                width: float, vertical: bool) -> list[go.Scatter]:
    """Filled rectangles, one trace per state, for the state bands of every lane.

    ``spans_by_lane`` holds ``(lane position, spans, endpoint name)``; each band
    is ``width`` wide, centred on the lane position.
    """
    by_state: dict[State, tuple[list, list, list]] = {}
    for lane, spans, name in spans_by_lane:
        for start, end, state in spans:
            across, along = _rect(lane - width / 2, lane + width / 2, axis(start), axis(end))
            xs, ys, hover = by_state.setdefault(state, ([], [], []))
            xs += across if vertical else along
            ys += along if vertical else across
            text = f"{name}: {state}<br>from {axis.label(start)} to {axis.label(end)}"
            hover += [text] * 5 + [None]
    return [go.Scatter(x=xs, y=ys, fill="toself", mode="lines", name=str(state),
                       fillcolor=palette.state_colour(state), line=dict(width=0.5, color="white"),
                       hoveron="fills+points", hoverinfo="text", text=hover, hovertext=hover,
                       legendgroup="states", legendgrouptitle_text="states",
                       meta=dict(kind="state band", state=str(state)))
            for state, (xs, ys, hover) in sorted(by_state.items(), key=lambda i: _ORDER[i[0]])]


_ORDER = {state: k for k, state in enumerate(State)}


def timeline(trace: Trace, *, cut: bool | float = True, title: str | None = None,
             height: int | None = None) -> go.Figure:
    """Each endpoint's states over time, as horizontal coloured bars with their names."""
    from .ladder import figure_title  # the ladder module owns titles

    names = list(trace.endpoints)
    axis = TimeAxis.fit(event_times(trace), cut)
    lanes = [(float(k), state_spans(trace, name), name) for k, name in enumerate(names)]
    data = band_traces(lanes, axis, 0.6, vertical=False)
    labels = [dict(x=(axis(s) + axis(e)) / 2, y=lane, text=str(state), showarrow=False,
                   font=dict(size=palette.LABEL_SIZE), textangle=0)
              for lane, spans, _ in lanes for s, e, state in spans
              if axis(e) - axis(s) > 0.07 * (axis(axis.end) - axis(axis.start))]
    marks, notes = break_marks(axis, (-0.5, len(names) - 0.5), vertical=False)
    tickvals, ticktext = axis.ticks()
    layout = palette.base_layout(title or figure_title(trace), height or 160 + 70 * len(names))
    layout.update(
        xaxis=dict(title=f"time ({axis.unit})", tickvals=tickvals, ticktext=ticktext,
                   showgrid=True, gridcolor="#eeeeee", zeroline=False),
        yaxis=dict(tickvals=list(range(len(names))), ticktext=names, autorange="reversed",
                   showgrid=False, zeroline=False, range=[len(names) - 0.5, -0.5]),
        annotations=labels + notes, showlegend=bool(data),
        legend=dict(orientation="h", y=-0.35, x=0, groupclick="toggleitem"))
    if not data:
        layout["annotations"].append(dict(text="no states recorded in this trace (a capture?)",
                                          x=0.5, y=0.5, xref="paper", yref="paper",
                                          showarrow=False))
    return go.Figure(data=data + [marks], layout=layout)


def position_of(axis: TimeAxis, times: list[float]) -> list[float]:
    """``axis`` applied to many times (sorted input is fastest)."""
    return [axis(t) for t in times]


__all__ = ["TimeAxis", "band_traces", "break_marks", "event_times", "state_spans", "timeline"]
_ = bisect  # kept for readers who extend position_of with a binary search
