"""Time in the figures: a time axis that cuts idle gaps, and the state timeline.

Theory of operation
-------------------
A close takes half a second and TIME-WAIT then lasts four minutes: drawn to
scale, the whole exchange would be squeezed into the top 0.2 % of the figure.
So the figures use a *broken axis*: a quiet gap much longer than everything
else together is drawn short, marked with a zig-zag and labelled with its
real length ("239.9 s later").  Inside the cut, time still runs linearly, so a
TIME-WAIT band stays one continuous band.  Tick labels and hover texts always
give real times, and positions are in the axis unit (seconds, or
milliseconds for a short run).  ``cut=False`` draws time to scale; ``cut=5.0`` cuts every
quiet gap longer than 5 s.

Automatic cutting removes a gap longer than three times all the rest of the
run together, and any gap the caller marks as idle: the ladder marks the
application's think time, when no segment is in flight and no retransmission
timer runs (see :func:`idle_gaps`).  So the doubling retransmission
intervals (1 s, 2 s, 4 s, ...) of a lesson on lost SYNs are never cut.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import plotly.graph_objects as go

from ..core import validate
from ..core.states import State
from ..sim.trace import Trace
from . import figuretext, labels, palette
from .plotlyfigure import make_figure
from .titles import figure_title

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
    spans: list[Span] = []
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


def idle_gaps(trace: Trace, times: list[float], longer_than: float) -> list[tuple[float, float]]:
    """Gaps between consecutive ``times`` longer than ``longer_than`` in which nothing is
    in flight and no retransmission timer runs: only the application is thinking."""
    busy = [(t.sent_at, t.arrived_at) for t in trace.transmissions if t.arrived_at is not None]
    busy += [(s.start, s.end) for s in trace.timers if s.name == "retransmission"]
    return [(a, b) for a, b in zip(times, times[1:]) if b - a > longer_than
            and not any(start < b and end > a for start, end in busy)]


def retransmission_spans(trace: Trace) -> list[tuple[float, float]]:
    """When a retransmission timer ran: waits the figures must never cut short."""
    return [(s.start, s.end) for s in trace.timers if s.name == "retransmission"]


def time_scale(trace: Trace) -> float:
    """The run's natural time scale: its longest retransmission timeout (0 without timers).

    Every TCP run that sends a SYN arms a timeout of a second or more, whatever
    the delay, so a figure of it keeps one time unit while a slider moves.
    """
    return max([s.deadline - s.start for s in trace.timers if s.name == "retransmission"]
               + [0.0])


def _auto_cuts(times: list[float], optional: list[tuple[float, float]],
               keep: Sequence[tuple[float, float]] = ()) -> list[tuple[float, float]]:
    gaps = sorted(((b - a, a, b) for a, b in zip(times, times[1:]) if b > a
                   and not any(start < b and end > a for start, end in keep)), reverse=True)
    total, cuts = (times[-1] - times[0]) if times else 0.0, []
    for length, a, b in gaps:
        if total - length > 0 and length > 3 * (total - length):
            cuts.append((a, b))
            total -= length
        else:
            break
    return sorted(set(cuts) | {(a, b) for a, b in optional if a in times and b in times})


@dataclass(frozen=True)
class TimeAxis:
    """Maps real time (seconds) to a drawing position, with long quiet gaps cut short.

    ``cuts`` holds ``(start, end, drawn)``: the real gap and its drawn length.
    ``scale`` is the run's natural time scale in seconds (:func:`time_scale`):
    with one of a second or more the axis is in seconds however short the run.
    """

    start: float
    end: float
    cuts: tuple[tuple[float, float, float], ...] = ()
    scale: float = 0.0

    @classmethod
    def fit(cls, times: list[float], cut: bool | float = True,
            optional: Sequence[tuple[float, float]] = (),
            keep: Sequence[tuple[float, float]] = (), scale: float = 0.0) -> TimeAxis:
        """An axis for events at ``times``; see the module docstring for ``cut``.

        ``optional`` lists further gaps (between two of ``times``) that an
        automatic cut (``cut=True``) may also shorten, e.g. an application's
        think time while nothing is in flight.  Gaps overlapping a span in
        ``keep`` (a running retransmission timer) are never cut automatically.
        ``scale``: see the class docstring.
        """
        times = sorted(set(times)) or [0.0]
        if cut is True:
            gaps = _auto_cuts(times, list(optional), keep)
        elif cut is False:
            gaps = []
        else:
            validate.number("cut (True, False or seconds)", cut, 0.0, low_open=True)
            gaps = [(a, b) for a, b in zip(times, times[1:]) if b - a > cut]
        kept = (times[-1] - times[0]) - sum(b - a for a, b in gaps)
        drawn = max(kept, 1e-3) * 0.15
        return cls(times[0], times[-1], tuple((a, b, min(drawn, b - a)) for a, b in gaps), scale)

    def __call__(self, t: float) -> float:
        """The drawing position of time ``t``, in the axis unit (s or ms)."""
        shift, scale = 0.0, 1000.0 if self.unit == "ms" else 1.0
        for a, b, drawn in self.cuts:
            if t >= b:
                shift += (b - a) - drawn
            elif t > a:  # inside a cut: squeeze linearly
                return (a - shift + (t - a) / (b - a) * drawn) * scale
            else:
                break
        return (t - shift) * scale

    @property
    def visible(self) -> float:
        """Seconds of real time drawn to scale (the run without its cuts)."""
        return (self.end - self.start) - sum(b - a for a, b, _ in self.cuts)

    @property
    def unit(self) -> str:
        """``"ms"`` for a short run on a short scale (under 1 s drawn to scale, under 10 s in
        all, no timeout of a second or more), else ``"s"``."""
        return "ms" if 0 < max(self.visible, self.scale) < 1.0 and self.end < 10.0 else "s"

    def label(self, t: float) -> str:
        """``t`` written in the axis unit, e.g. ``"0.25 s"`` or ``"12 ms"``."""
        return f"{_number(t * 1000)} ms" if self.unit == "ms" else f"{_number(t)} s"

    def ticks(self, target: int = 9, min_gap: float = 0.0) -> tuple[list[float], list[str]]:
        """Tick positions and their real-time labels, a round step apart.

        Ticks drawn closer than ``min_gap`` (in drawing units) to the one before
        are left out, except the first moment after a cut, which replaces it.
        """
        step = _nice_step(max(self.visible, 1e-9) / target)
        scale = 1000 if self.unit == "ms" else 1
        edges = [self.start] + [x for a, b, _ in self.cuts for x in (a, b)] + [self.end]
        times: list[float] = []
        for a, b in zip(edges[::2], edges[1::2]):
            k = math.ceil(a / step - 1e-9)
            while k * step <= b + 1e-9:
                times.append(k * step)
                k += 1
        ends = {b for _, b, _ in self.cuts}
        for b in ends:  # the first moment after each cut gets its own tick
            if not any(abs(b - t) < 0.3 * step for t in times):
                times.append(b)
        kept: list[float] = []
        for t in sorted(times):
            if kept and self(t) - self(kept[-1]) < min_gap:
                if t not in ends or kept[-1] in ends:
                    continue
                kept.pop()
            kept.append(t)
        return [self(t) for t in kept], [_number(t * scale) for t in kept]


def duration(seconds: float) -> str:
    """``seconds`` for a reader: "240 s", "1.5 s", "30 ms"."""
    return f"{seconds:.4g} s" if seconds >= 1 else f"{seconds * 1000:.3g} ms"


def _nice_step(raw: float) -> float:
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw))


def _number(x: float) -> str:
    text = f"{x:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def break_marks(axis: TimeAxis, across: tuple[float, float], vertical: bool) -> tuple[
        dict[str, Any], list[dict[str, Any]]]:
    """Zig-zag lines and "… later" labels that mark each cut of ``axis``.

    ``across`` is the range of the other coordinate the marks span; with
    ``vertical=True`` time runs along y (the ladder), else along x.
    """
    xs: list[float | None] = []
    ys: list[float | None] = []
    hover: list[str | None] = []
    notes = []
    lo, hi = across
    for a, b, _ in axis.cuts:
        middle, half = (axis(a) + axis(b)) / 2, (axis(b) - axis(a)) * 0.18
        for offset in (-half, half):
            steps = [lo + (hi - lo) * k / 24 for k in range(25)]
            wiggle = [middle + offset + (half * 0.5 if k % 2 else -half * 0.5)
                      for k in range(25)]
            xs += steps + [None]
            ys += wiggle + [None]
            hover += [f"{duration(b - a)} of nothing happening, drawn short"] * 25 + [None]
        text = f"⋯ {duration(b - a)} later ⋯"
        position = dict(x=(lo + hi) / 2, y=middle) if vertical else dict(
            x=middle, y=1.0, yref="paper", yanchor="bottom")
        notes.append(dict(text=text, showarrow=False, bgcolor="white",
                          font=dict(size=palette.LABEL_SIZE, color="#555555"), **position))
    if not vertical:
        xs, ys = ys, xs
    marks = dict(type="scatter", x=xs, y=ys, mode="lines", hoverinfo="text", hovertext=hover,
                 showlegend=False, line=dict(color="#888888", width=1.5), name="cut",
                 meta=dict(kind="cut"))
    return marks, notes


def _rect(x0: float, x1: float, y0: float, y1: float) -> tuple[list[float | None], list[float | None]]:
    return [x0, x1, x1, x0, x0, None], [y0, y0, y1, y1, y0, None]


def band_traces(spans_by_lane: list[tuple[float, list[Span], str]], axis: TimeAxis,
                width: float, vertical: bool, legend: bool = True) -> list[dict[str, Any]]:
    """Filled rectangles, one trace per state, for the state bands of every lane.

    ``spans_by_lane`` holds ``(lane position, spans, endpoint name)``; each band
    is ``width`` wide, centred on the lane position.
    """
    by_state: dict[State, tuple[list[Any], list[Any], list[Any]]] = {}
    for lane, spans, name in spans_by_lane:
        for start, end, state in spans:
            across, along = _rect(lane - width / 2, lane + width / 2, axis(start), axis(end))
            xs, ys, hover = by_state.setdefault(state, ([], [], []))
            xs += across if vertical else along
            ys += along if vertical else across
            text = f"{name}: {state}<br>from {axis.label(start)} to {axis.label(end)}"
            hover += [text] * 5 + [None]
    return [dict(type="scatter", x=xs, y=ys, fill="toself", mode="lines", name=str(state),
                 fillcolor=palette.state_colour(state), line=dict(width=0.5, color="white"),
                 hoveron="fills+points", hoverinfo="text", hovertext=hover, showlegend=legend,
                 meta=dict(kind="state band", state=str(state)))
            for state, (xs, ys, hover) in sorted(by_state.items(), key=lambda i: _ORDER[i[0]])]


_ORDER = {state: k for k, state in enumerate(State)}


def timeline(trace: Trace, *, cut: bool | float = True, title: str | None = None,
             height: int | None = None, width: int | None = None) -> go.Figure:
    """Each endpoint's states over time, as horizontal coloured bars with their names.

    A state's name is written in its bar where it fits at the narrowest width
    the course lays out for (:data:`~tcpnb.views.labels.DESIGN_WIDTH`, or
    ``width``); every bar names its state on hover, and the legend names them all.
    """
    names = list(trace.endpoints)
    axis = TimeAxis.fit(event_times(trace), cut, keep=retransmission_spans(trace),
                        scale=time_scale(trace))
    lanes = [(float(k), state_spans(trace, name), name) for k, name in enumerate(names)]
    data = band_traces(lanes, axis, 0.6, vertical=False)
    marks, notes = break_marks(axis, (-0.5, len(names) - 0.5), vertical=False)
    legend = [d["name"] for d in data]
    layout = palette.base_layout(title or figure_title(trace, 10**6),
                                 height or 230 + 60 * len(names), legend=legend, width=width,
                                 above=24 if axis.cuts else 0, below=52)
    left, right = axis(axis.start), axis(axis.end)
    tickvals, ticktext = axis.ticks()
    layout.update(
        xaxis=dict(title=dict(text=f"time ({axis.unit})"), tickvals=tickvals, ticktext=ticktext,
                   range=[left, right], showgrid=True, gridcolor="#eeeeee", zeroline=False),
        yaxis=dict(tickvals=list(range(len(names))), ticktext=names, showgrid=False,
                   zeroline=False, range=[len(names) - 0.5, -0.5]))
    frame = figuretext.frame_of(dict(data=[], layout=layout), width or labels.DESIGN_WIDTH)
    placer = labels.Placer([figuretext.title_box(dict(layout=layout), frame)
                            or labels.Box(0, 0, 0, 0)])
    edge = labels.Box(0, 0, frame.width, frame.height)
    kept = []
    for note in notes:  # centred on its cut, else ending there; left out if neither fits
        for anchor in ("center", "right"):
            box = frame.box(note["x"], 1.0, note["text"], palette.LABEL_SIZE, anchor, "bottom",
                            ref="paper")
            if placer.first([box], edge):
                kept.append({**note, "xanchor": anchor})
                break
    notes = kept
    names_in_bars = []
    for lane, spans, _ in lanes:
        for start, end, state in spans:
            note = dict(x=axis(start), y=lane, text=str(state), showarrow=False, xanchor="left",
                        xshift=3, font=dict(size=palette.LABEL_SIZE, color=palette.ON_STATE_TEXT))
            box = frame.box(axis(start), lane, str(state), palette.LABEL_SIZE, "left")
            bar = labels.Box(frame.px(axis(start), 0)[0], 0, frame.px(axis(end), 0)[0],
                             frame.height)
            box = labels.Box(box.x0 + 3, box.y0, box.x1 + 3, box.y1, box.what)
            if box.inside(bar) and placer.first([box]) is not None:
                names_in_bars.append(note)
    layout["annotations"] = names_in_bars + notes
    if not data:
        layout["annotations"].append(dict(text="no states recorded in this trace (a capture?)",
                                          x=0.5, y=0.5, xref="paper", yref="paper",
                                          showarrow=False))
    return make_figure(data + [marks], layout)
