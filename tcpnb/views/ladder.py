"""The ladder (time-sequence) diagram of a run, as a plotly figure.

One vertical lane per endpoint, time running down.  Each transmission is a
slanted arrow from the moment it left to the moment it arrived; a lost one
stops part way at a ✗, as slanted as the delivered ones (flat on loopback,
where a segment arrives as it leaves).  Beside each lane: the endpoint's
state as coloured bands with their names, its retransmission timer,
TIME-WAIT's 2 x MSL, and the application's calls and notices.  Long quiet
gaps are cut short (see :mod:`tcpnb.views.timeline`).

The figure is a pure function of a :class:`~tcpnb.sim.trace.Trace`; a trace from
a capture (segments only) draws too, without bands, timers or calls.
"""

from __future__ import annotations

import statistics
from typing import Any

import plotly.graph_objects as go

from ..core.segment import Flags
from ..core.states import State
from ..sim.relative import Bases, isn_bases, relative
from ..sim.trace import Fate, Origin, TimerSpan, Trace, Transmission
from . import palette
from .timeline import (
    TimeAxis,
    band_traces,
    break_marks,
    duration,
    event_times,
    idle_gaps,
    retransmission_spans,
    state_spans,
)
from .titles import figure_title

BAND = 0.05      # width of a state band, in lane spacings
TIMER = 0.03     # distance of the timer bar from its lane
NOTES = 0.30     # distance of the column of calls and notices from its lane
MARGIN = 0.62    # room beside the outer lanes for state names and notes
LABELS_UP_TO = 60  # more arrows than this: no labels by default (hover still tells)
_STYLE_NAMES = {"original": "segment", "retransmission": "retransmission",
                "duplicate": "network duplicate", "injected": "old duplicate (injected)",
                "in flight": "still in flight at the end"}
_FATES = {Fate.DELIVERED: "delivered", Fate.LOST: "lost on the link",
          Fate.DROPPED: "dropped (a targeted drop)", Fate.IN_FLIGHT: "still in flight"}


def short_label(t: Transmission, bases: Bases | None = None) -> str:
    """Flags and numbers, e.g. ``SYN,ACK seq=300 ack=101`` (``len=`` for data)."""
    seg = t.segment if bases is None else relative(t.segment, *bases[t.index])
    text = f"{seg.flags or 'no flags'} seq={seg.seq}"
    if Flags.ACK in seg.flags:
        text += f" ack={seg.ack}"
    return text + (f" len={seg.length}" if seg.length else "")


def _style(t: Transmission) -> str:
    if t.fate is Fate.IN_FLIGHT:
        return "in flight"
    return t.origin.value


def _link_travel(trace: Trace) -> float | None:
    """How long a segment takes: the median of the delivered ones, else the link's delay.

    0 on loopback (a capture sees a segment leave and arrive at once); ``None``
    when the trace does not tell.
    """
    delivered = [t.arrived_at - t.sent_at for t in trace.transmissions
                 if t.arrived_at is not None and t.origin is Origin.ORIGINAL]
    if delivered:
        return statistics.median(delivered)
    delay = trace.params.get("delay")
    return None if delay is None else float(delay)


def _travel(trace: Trace, axis: TimeAxis) -> float:
    """A travel time that is never 0: for in-flight arrows and what counts as a long gap."""
    return _link_travel(trace) or axis.visible * 0.05 or 0.1


class _Builder:
    """Collects the traces and annotations of one ladder figure."""

    def __init__(self, trace: Trace, relative_numbers: bool, cut: bool | float,
                 height: int | None, width: int | None, labels: bool | None) -> None:
        self.trace = trace
        n = len(trace.transmissions)
        self.labels = n <= LABELS_UP_TO if labels is None else labels
        self.height = height or int(min(1600, max(560, 240 + 32 * n)))
        self.width = width
        self.lanes = {name: float(k) for k, name in enumerate(trace.endpoints)}
        times = event_times(trace)
        self.travel = _travel(trace, TimeAxis.fit(times, False))
        link = _link_travel(trace)
        self.lost_travel = self.travel if link is None else link
        self.axis = TimeAxis.fit(times, cut, idle_gaps(trace, times, 4 * self.travel),
                                 keep=retransmission_spans(trace))
        self.bases = isn_bases(trace) if relative_numbers else None
        self.data: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []
        self.shapes: list[dict[str, Any]] = []
        self.span = max(self.axis(self.axis.end) - self.axis(self.axis.start), 1e-9)
        self.last = len(self.lanes) - 1
        # Pixels per unit, roughly (the plot area is the figure less its margins).
        self.px_x = ((width or 900) - 100) / (self.last + 2 * MARGIN)
        self.px_y = (self.height - 200) / (self.span * 1.1)

    def outward(self, name: str) -> float:
        """-1 for the left lane (things go to its left), +1 otherwise."""
        return -1.0 if self.lanes[name] == 0 and self.last > 0 else 1.0

    # ------------------------------------------------------------ transmissions
    def arrows(self) -> None:
        groups: dict[str, dict[str, list[Any]]] = {}
        lost: dict[str, list[Any]] = {"x": [], "y": [], "customdata": [], "hovertext": []}
        labels: list[tuple[float, float, float, float, str, str]] = []
        for t in self.trace.transmissions:
            if t.src not in self.lanes or t.dst not in self.lanes:
                continue
            x0, x1, t0, t1, end = self._path(t)
            y0, y1, hover = self.axis(t0), self.axis(t1), self._hover(t)
            group = groups.setdefault(_style(t), {"x": [], "y": [], "customdata": [],
                                                  "hovertext": [], "size": []})
            group["x"] += [x0, (x0 + x1) / 2, x1, None]
            group["y"] += [y0, (y0 + y1) / 2, y1, None]
            group["customdata"] += [[t.index, t0], [t.index, (t0 + t1) / 2], [t.index, t1], None]
            group["hovertext"] += [hover] * 3 + [None]
            group["size"] += [0, 0, 14 if end == "head" else 0, 0]
            if end == "lost":
                for key, value in zip(("x", "y", "customdata", "hovertext"),
                                      (x1, y1, [t.index, t1], hover)):
                    lost[key].append(value)
            labels.append((x0, y0, x1, y1, short_label(t, self.bases), _style(t)))
        for style, g in groups.items():
            look = palette.SEGMENT_STYLES[style]
            self.data.append(dict(
                type="scatter", x=g["x"], y=g["y"], customdata=g["customdata"],
                hovertext=g["hovertext"], hoverinfo="text", mode="lines+markers",
                name=_STYLE_NAMES[style], line=dict(color=look["color"], dash=look["dash"],
                                                    width=2.2),
                marker=dict(symbol="arrow", angleref="previous", size=g["size"],
                            color=look["color"]),
                meta=dict(kind="arrows", style=style)))
        if lost["x"]:
            self.data.append(dict(
                type="scatter", mode="markers", name="lost", hoverinfo="text",
                marker=dict(symbol="x-thin", size=20, line=dict(width=4, color=palette.LOST_COLOUR)),
                meta=dict(kind="lost"), **lost))
        if self.labels:
            self._place_labels(labels)

    def _path(self, t: Transmission) -> tuple[float, float, float, float, str]:
        """``(x0, x1, t0, t1, end)``: where ``t``'s arrow starts and stops (real times) and
        how it ends: ``"head"``, ``"lost"`` or ``"open"`` (still in flight)."""
        xa, xb = self.lanes[t.src], self.lanes[t.dst]
        if t.origin is Origin.INJECTED and t.arrived_at is not None:
            # It was in the network before the run: it appears half-way, from nowhere.
            return (xa + xb) / 2, xb, max(t.arrived_at - self.travel / 2, 0.0), t.arrived_at, "head"
        if t.arrived_at is not None:
            return xa, xb, t.sent_at, t.arrived_at, "head"
        if t.fate is Fate.IN_FLIGHT:
            part = min(1.0, (self.trace.end_time - t.sent_at) / self.travel) if self.travel else 0.5
            return xa, xa + (xb - xa) * part, t.sent_at, t.sent_at + self.travel * part, "open"
        # Lost: as far down as a delivered one gets that far across (flat on loopback),
        # and never below the end of the figure.
        stop = min(t.sent_at + self.lost_travel * 0.45, max(self.axis.end, t.sent_at))
        return xa, xa + (xb - xa) * 0.45, t.sent_at, stop, "lost"

    def _hover(self, t: Transmission) -> str:
        arrived = "" if t.arrived_at is None else f", arrived {self.axis.label(t.arrived_at)}"
        origin = "" if t.origin is Origin.ORIGINAL else f" · {t.origin.value}"
        sent = "an old segment from the network" if t.origin is Origin.INJECTED \
            else f"sent {self.axis.label(t.sent_at)}"
        return (f"<b>{t.segment}</b><br>{t.src} → {t.dst}: {sent}{arrived}<br>"
                f"{_FATES[t.fate]}{origin} · #{t.index}")

    def _place_labels(self, labels: list[tuple[float, float, float, float, str, str]]) -> None:
        """One label per arrow, on the arrow: at its middle, or slid along it to stay clear
        of the labels already placed (crossing arrows share a middle)."""
        placed: list[tuple[float, float, float]] = []  # centre x, y and half width, in px
        for x0, y0, x1, y1, text, style in sorted(labels, key=lambda item: item[1] + item[3]):
            half = len(text) * 3.8 + 4

            def clash(f: float) -> int:
                cx, cy = (x0 + (x1 - x0) * f) * self.px_x, (y0 + (y1 - y0) * f) * self.px_y
                return sum(abs(cy - py) < 19 and abs(cx - px) < half + ph for px, py, ph in placed)

            f = min((0.5, 0.35, 0.65, 0.22, 0.78, 0.12, 0.88), key=clash)
            x, y = x0 + (x1 - x0) * f, y0 + (y1 - y0) * f
            placed.append((x * self.px_x, y * self.px_y, half))
            self.notes.append(dict(x=x, y=y, text=text, showarrow=False,
                                   bgcolor="rgba(255,255,255,0.85)",
                                   font=dict(size=palette.LABEL_SIZE,
                                             color=palette.SEGMENT_STYLES[style]["color"])))

    # ------------------------------------------------------------- lane extras
    def lanes_and_bands(self) -> None:
        axis, top, bottom = self.axis, self.axis(self.axis.start), self.axis(self.axis.end)
        lanes = []
        for name, x in self.lanes.items():
            self.data.append(dict(type="scatter", x=[x, x], y=[top, bottom], mode="lines",
                                  line=dict(color="#444444", width=1.5), hoverinfo="skip",
                                  showlegend=False, meta=dict(kind="lane", endpoint=name)))
            self.notes.append(dict(x=x, y=1.0, yref="paper", yanchor="bottom", text=f"<b>{name}</b>",
                                   showarrow=False, font=dict(size=palette.TITLE_SIZE)))
            spans = state_spans(self.trace, name)
            lanes.append((x + self.outward(name) * BAND / 2, spans, name))
            self._state_names(name, spans)
        self.data[:0] = band_traces(lanes, axis, BAND, vertical=True, legend=False)

    def _state_names(self, name: str, spans: list[tuple[float, float, State]]) -> None:
        out = self.outward(name)
        x = self.lanes[name] + out * (BAND + 0.01)
        last_y = -float("inf")
        for k, (start, end, state) in enumerate(spans):
            y = self.axis(start)
            if (y - last_y) * self.px_y < 17 or self._crowded_out(spans, k):
                continue  # no room: the band's hover still names it
            last_y = y
            self.notes.append(dict(x=x, y=y, text=str(state), showarrow=False, yanchor="top",
                                   xanchor="right" if out < 0 else "left",
                                   font=dict(size=palette.LABEL_SIZE)))

    def _crowded_out(self, spans: list[tuple[float, float, State]], k: int) -> bool:
        """Is span ``k`` too short for its name, beside a longer next span that needs the room?"""
        if k + 1 == len(spans):
            return False
        (start, end, _), (_, after, _) = spans[k], spans[k + 1]
        short = (self.axis(end) - self.axis(start)) * self.px_y < 17
        return short and self.axis(after) - self.axis(end) > self.axis(end) - self.axis(start)

    def calls_and_notices(self) -> None:
        """The application's calls and the user's notices, just above the moment they happen."""
        items: dict[tuple[str, float], list[str]] = {}
        hover: dict[tuple[str, float], list[str]] = {}  # which RFC 9293 call each one is
        for call in self.trace.app_calls:
            detail = call.detail if call.call == "send" else ""
            items.setdefault((call.endpoint, call.t), []).append(f"<i>{call.call}({detail})</i>")
            if call.rfc:
                hover.setdefault((call.endpoint, call.t), []).append(f"{call.call}() — {call.rfc}")
        for notice in self.trace.notices:
            colour = "#B22222" if notice.message.startswith("error") else "#555555"
            items.setdefault((notice.endpoint, notice.t), []).append(
                f"<span style='color:{colour}'>“{notice.message}”</span>")
        below = {name: -float("inf") for name in self.lanes}
        for (name, t), texts in sorted(items.items(), key=lambda item: item[0][1]):
            if name not in self.lanes:
                continue
            out = self.outward(name)
            y = max(self.axis(t), below[name])  # pushed down if the previous note is in the way
            below[name] = y + (18 * len(texts) + 2) / self.px_y
            self.notes.append(dict(x=self.lanes[name] + out * NOTES, y=y,
                                   text="<br>".join(texts), showarrow=False, yanchor="bottom",
                                   xanchor="right" if out < 0 else "left",
                                   font=dict(size=palette.LABEL_SIZE - 1),
                                   hovertext="<br>".join(hover.get((name, t), [])) or None))

    def timers(self) -> None:
        """The retransmission timer as a bar beside its lane; long timers as shaded spans."""
        bars: dict[str, list[Any]] = {"x": [], "y": [], "hovertext": []}
        fired: dict[str, list[Any]] = {"x": [], "y": [], "hovertext": []}
        for span in self.trace.timers:
            if span.endpoint not in self.lanes:
                continue
            inward = -self.outward(span.endpoint)
            x = self.lanes[span.endpoint] + inward * TIMER
            hover = (f"{span.endpoint}: {span.name} timer set at {self.axis.label(span.start)} "
                     f"for {duration(span.deadline - span.start)}; {span.outcome} at "
                     f"{self.axis.label(span.end)}")
            if span.name == "retransmission":
                bars["x"] += [x, x, None]
                bars["y"] += [self.axis(span.start), self.axis(span.end), None]
                bars["hovertext"] += [hover, hover, None]
                if span.outcome == "fired":
                    fired["x"].append(x)
                    fired["y"].append(self.axis(span.end))
                    fired["hovertext"].append(hover)
            elif span.name in ("time-wait", "idle"):
                self._long_timer(span, x, inward, hover)
        if bars["x"]:
            self.data.append(dict(type="scatter", mode="lines", name="retransmission timer",
                                  line=dict(color=palette.TIMER_COLOUR, width=5), opacity=0.8,
                                  hoverinfo="text", meta=dict(kind="timer"), **bars))
        if fired["x"]:
            self.data.append(dict(type="scatter", mode="markers+text", name="timeout",
                                  text=["RTO"] * len(fired["x"]), textposition="bottom center",
                                  marker=dict(symbol="diamond", size=10, color=palette.TIMER_COLOUR),
                                  textfont=dict(size=palette.LABEL_SIZE - 2, color="#1f6f99"),
                                  hoverinfo="text", showlegend=False, meta=dict(kind="timeout"),
                                  **fired))

    def _long_timer(self, span: TimerSpan, x: float, inward: float, hover: str) -> None:
        y0, y1 = self.axis(span.start), self.axis(span.end)
        edge = x + inward * 0.22
        self.shapes.append(dict(type="rect", x0=min(x, edge), x1=max(x, edge), y0=y0, y1=y1,
                                fillcolor=palette.TIME_WAIT_COLOUR if span.name == "time-wait"
                                else palette.STATE_COLOURS[State.ESTABLISHED],
                                opacity=0.35, line=dict(width=0), layer="below"))
        length = span.deadline - span.start
        text = (f"TIME-WAIT<br>{_time_wait_words(self.trace, length)}" if span.name == "time-wait"
                else f"idle timer<br>{duration(length)}")
        if span.outcome != "fired":
            text += f"<br>({span.outcome})"
        self.notes.append(dict(x=x + inward * 0.01, y=y0, text=text, yanchor="top",
                               showarrow=False, xanchor="left" if inward > 0 else "right",
                               align="left" if inward > 0 else "right", hovertext=hover,
                               font=dict(size=palette.LABEL_SIZE - 1, color="#6b5d00")))

    # ----------------------------------------------------------------- result
    def figure(self, title: str | None) -> go.Figure:
        axis = self.axis
        top, bottom = axis(axis.start), axis(axis.end)
        marks, cut_notes = break_marks(axis, (0.0, float(self.last)), vertical=True)
        tickvals, ticktext = axis.ticks()
        chars = int(((self.width or 1000) - 40) / 11)
        layout = palette.base_layout(title if title is not None else figure_title(self.trace, chars),
                                     self.height)
        if self.width:
            layout["width"] = self.width
        pad = self.span * 0.04
        layout.update(
            xaxis=dict(visible=False, range=[-MARGIN, self.last + MARGIN], fixedrange=True),
            yaxis=dict(title=f"time ({axis.unit})", tickvals=tickvals, ticktext=ticktext,
                       range=[bottom + pad, top - pad * 1.5], zeroline=False,
                       showgrid=True, gridcolor="#f0f0f0"),
            annotations=self.notes + cut_notes, shapes=self.shapes, hovermode="closest",
            legend=dict(orientation="h", y=-0.02, yanchor="top", x=0, itemclick="toggle"),
            margin=dict(l=70, r=30, t=110 if "<br>" in layout["title"]["text"] else 90, b=40))
        data = self.data + ([marks] if axis.cuts else [])
        return go.Figure(dict(data=data, layout=layout))


def _time_wait_words(trace: Trace, length: float) -> str:
    profile = trace.params.get("profile_obj")
    msl = getattr(profile, "msl", None)
    if msl and abs(length - 2 * msl) < 1e-9:
        return f"2×MSL = {duration(length)}"
    return duration(length) + (f" (MSL {duration(msl)})" if msl else "")


def ladder(trace: Trace, *, relative: bool = False, title: str | None = None,
           cut: bool | float = True, height: int | None = None,
           width: int | None = None, labels: bool | None = None) -> go.Figure:
    """The ladder diagram of ``trace``.

    Args:
        trace: a run from the simulator or a capture.
        relative: count sequence numbers from each side's ISN (like Wireshark).
        title: the figure's title; default: what happened (:func:`tcpnb.analysis.summary`).
        cut: shorten long quiet gaps (``True``), draw time to scale (``False``), or
            cut every gap longer than this many seconds.
        height, width: figure size in pixels (default: height grows with the run).
        labels: write flags and numbers on the arrows (default: when there are at
            most 60; the hover text always has the full segment).
    """
    if not isinstance(trace, Trace):
        raise ValueError(f"trace must be a tcpnb.Trace, got {type(trace).__name__}")
    builder = _Builder(trace, relative, cut, height, width, labels)
    builder.lanes_and_bands()
    builder.timers()
    builder.arrows()
    builder.calls_and_notices()
    return builder.figure(title)
