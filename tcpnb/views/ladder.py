"""The ladder (time-sequence) diagram of a run, as a plotly figure.

One vertical lane per endpoint, time running down.  Each transmission is a
slanted arrow from the moment it left to the moment it arrived; a lost one
stops part way at a ✗, as slanted as the delivered ones (flat on loopback,
where a segment arrives as it leaves).  Beside each lane: the endpoint's
state as coloured bands with their names, its retransmission timer,
TIME-WAIT's 2 x MSL, and the application's calls and notices.  Long quiet
gaps are cut short (see :mod:`tcpnb.views.timeline`).

The figure fills the width it is given.  Its words are laid out for the
narrowest notebook cell (:data:`tcpnb.views.labels.DESIGN_WIDTH`) so that no
two overlap at any width; a label with no room is left to the hover text, and
the figure says how many (see :mod:`tcpnb.views.ladderlabels`).

The figure is a pure function of a :class:`~tcpnb.sim.trace.Trace`; a trace from
a capture (segments only) draws too, without bands, timers or calls.
"""

from __future__ import annotations

import statistics
from typing import Any

import plotly.graph_objects as go

from ..core.segment import Flags
from ..sim.relative import Bases, isn_bases, relative
from ..sim.trace import Fate, Origin, Trace, Transmission
from . import palette
from .labels import text_width
from .ladderlabels import Geometry, Words, geometry
from .plotlyfigure import make_figure
from .timeline import (
    TimeAxis,
    band_traces,
    break_marks,
    duration,
    event_times,
    idle_gaps,
    retransmission_spans,
    state_spans,
    time_scale,
)

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


class _Builder:
    """Collects the traces, shapes and words of one ladder figure."""

    def __init__(self, trace: Trace, relative_numbers: bool, cut: bool | float,
                 height: int | None, width: int | None, labels: bool | None,
                 title: str | None) -> None:
        self.trace = trace
        n = len(trace.transmissions)
        self.labels = n <= LABELS_UP_TO if labels is None else labels
        times = event_times(trace)
        link = _link_travel(trace)
        visible = TimeAxis.fit(times, False).visible
        self.travel = link or visible * 0.05 or 0.1  # never 0: for in-flight arrows and gaps
        self.lost_travel = self.travel if link is None else link
        self.axis = TimeAxis.fit(times, cut, idle_gaps(trace, times, 4 * self.travel),
                                 keep=retransmission_spans(trace), scale=time_scale(trace))
        self.bases = isn_bases(trace) if relative_numbers else None
        widest = max([text_width(short_label(t, self.bases), palette.LABEL_SIZE) + 4
                      for t in trace.transmissions] + [0.0]) if self.labels else 0.0
        self.geo: Geometry = geometry(trace, self.axis, title, width, height,
                                      self._legend_names(), self.travel, widest)
        self.words = Words(self.geo)
        self.data: list[dict[str, Any]] = []
        self.shapes: list[dict[str, Any]] = []
        self.width = self.geo.fixed_width

    def _legend_names(self) -> list[str]:
        """The legend's entries, in the order the traces are added."""
        lanes = set(self.trace.endpoints)
        drawn = [t for t in self.trace.transmissions if t.src in lanes and t.dst in lanes]
        names = ["retransmission timer"] if any(
            s.name == "retransmission" and s.endpoint in lanes for s in self.trace.timers) else []
        names += list(dict.fromkeys(_STYLE_NAMES[_style(t)] for t in drawn))
        return names + (["lost"] if any(t.fate in (Fate.LOST, Fate.DROPPED) for t in drawn)
                        else [])

    # ------------------------------------------------------------ transmissions
    def arrows(self) -> None:
        groups: dict[str, dict[str, list[Any]]] = {}
        lost: dict[str, list[Any]] = {"x": [], "y": [], "customdata": [], "hovertext": []}
        lanes = self.geo.lanes
        for t in self.trace.transmissions:
            if t.src not in lanes or t.dst not in lanes:
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
                self.words.mark(x1, y1, 20)
            if self.labels:
                self.words.arrow(x0, y0, x1, y1, short_label(t, self.bases),
                                 palette.SEGMENT_STYLES[_style(t)]["text"], end == "lost")
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

    def _path(self, t: Transmission) -> tuple[float, float, float, float, str]:
        """``(x0, x1, t0, t1, end)``: where ``t``'s arrow starts and stops (real times) and
        how it ends: ``"head"``, ``"lost"`` or ``"open"`` (still in flight)."""
        xa, xb = self.geo.lanes[t.src], self.geo.lanes[t.dst]
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

    # ------------------------------------------------------------- lane extras
    def lanes_and_bands(self) -> None:
        axis, geo = self.axis, self.geo
        top, bottom = axis(axis.start), axis(axis.end)
        lanes = []
        for name, x in geo.lanes.items():
            self.data.append(dict(type="scatter", x=[x, x], y=[top, bottom], mode="lines",
                                  line=dict(color="#444444", width=1.5), hoverinfo="skip",
                                  showlegend=False, meta=dict(kind="lane", endpoint=name)))
            spans = state_spans(self.trace, name)
            lanes.append((x + geo.outward[name] * geo.band / 2, spans, name))
            self.words.state_names(name, [(axis(s), axis(e), str(state)) for s, e, state in spans])
        self.data[:0] = band_traces(lanes, axis, geo.band, vertical=True, legend=False)

    def calls_and_notices(self) -> None:
        """The application's calls and the user's notices, just above the moment they happen."""
        items: dict[tuple[str, float], list[tuple[str, str, bool]]] = {}
        hover: dict[tuple[str, float], list[str]] = {}  # which RFC 9293 call each one is
        for call in self.trace.app_calls:
            detail = call.detail if call.call == "send" else ""
            items.setdefault((call.endpoint, call.t), []).append(
                (f"{call.call}({detail})", palette.TEXT_COLOUR, True))
            if call.rfc:
                hover.setdefault((call.endpoint, call.t), []).append(f"{call.call}() — {call.rfc}")
        for notice in self.trace.notices:
            colour = palette.ERROR_TEXT if notice.message.startswith("error") else palette.NOTE_TEXT
            items.setdefault((notice.endpoint, notice.t), []).append(
                (f"“{notice.message}”", colour, False))
        for (name, t), texts in sorted(items.items(), key=lambda item: item[0][1]):
            if name in self.geo.lanes:
                self.words.note(name, self.axis(t), texts, f"{name} at {self.axis.label(t)}",
                                hover="<br>".join(hover.get((name, t), [])))

    def timers(self) -> None:
        """The retransmission timer as a bar beside its lane; long timers as shaded spans."""
        bars: dict[str, list[Any]] = {"x": [], "y": [], "hovertext": []}
        fired: dict[str, list[Any]] = {"x": [], "y": [], "hovertext": []}
        long_spans: dict[tuple[str, str], int] = {}
        geo = self.geo
        for span in self.trace.timers:
            if span.endpoint not in geo.lanes:
                continue
            inward = -geo.outward[span.endpoint]
            x = geo.lanes[span.endpoint] + inward * geo.timer
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
                    self.words.timeout(x, self.axis(span.end))
            elif span.name in ("time-wait", "idle"):
                k = long_spans.get((span.endpoint, span.name), 0)
                long_spans[(span.endpoint, span.name)] = k + 1
                self._long_timer(span, x, inward, hover, restart=k > 0)
        if bars["x"]:
            self.data.append(dict(type="scatter", mode="lines", name="retransmission timer",
                                  line=dict(color=palette.TIMER_COLOUR, width=5), opacity=0.8,
                                  hoverinfo="text", meta=dict(kind="timer"), **bars))
        if fired["x"]:
            self.data.append(dict(type="scatter", mode="markers", name="timeout",
                                  marker=dict(symbol="diamond", size=10, color=palette.TIMER_COLOUR),
                                  hoverinfo="text", showlegend=False, meta=dict(kind="timeout"),
                                  **fired))

    def _long_timer(self, span: Any, x: float, inward: float, hover: str, restart: bool) -> None:
        y0, y1 = self.axis(span.start), self.axis(span.end)
        edge = x + inward * self.geo.shade
        self.shapes.append(dict(type="rect", x0=min(x, edge), x1=max(x, edge), y0=y0, y1=y1,
                                fillcolor=palette.TIME_WAIT_COLOUR if span.name == "time-wait"
                                else palette.state_colour("ESTABLISHED"),
                                opacity=0.35, line=dict(width=0), layer="below"))
        length = span.deadline - span.start
        words = (_time_wait_words(self.trace, length) if span.name == "time-wait"
                 else f"idle timer {duration(length)}")  # TIME-WAIT's band is named already
        if restart and span.name != "time-wait":
            return  # the idle timer restarts with every segment: its first note says enough
        text = "2×MSL restarted" if restart else words  # TIME-WAIT began again here
        if span.outcome == "cancelled":
            text += " (cancelled)"
        self.words.timer_note(span.endpoint, x, y0, y1, text, hover)

    # ----------------------------------------------------------------- result
    def spec(self) -> dict[str, Any]:
        """The figure as plain ``{"data": [...], "layout": {...}}`` dicts."""
        axis, geo = self.axis, self.geo
        top, bottom = axis(axis.start), axis(axis.end)
        last = max(geo.lanes.values(), default=0.0)
        marks, cut_notes = break_marks(axis, (0.0, last), vertical=True)
        notes = self.words.layout(cut_notes)
        height = geo.frame.height + self.words.extra_height
        layout = palette.base_layout(geo.title, height, legend=geo.legend, width=self.width,
                                     above=geo.header_height, below=self.words.extra_height)
        left, right, top, bottom = geo.frame.margin
        layout["margin"].update(l=left, r=right)
        layout.update(
            xaxis=dict(visible=False, range=list(geo.frame.xrange), fixedrange=True),
            yaxis=dict(title=dict(text=f"time ({axis.unit})", standoff=8),
                       tickvals=geo.tickvals, ticktext=geo.ticktext,
                       tickfont=dict(size=palette.TICK_SIZE),
                       range=list(geo.frame.yrange), zeroline=False,
                       showgrid=True, gridcolor="#f0f0f0"),
            annotations=notes, shapes=self.shapes, hovermode="closest",
            meta={"left out": self.words.left_out_texts})
        data = self.data + self.words.hover_traces() + ([marks] if axis.cuts else [])
        return dict(data=data, layout=layout)


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
        height: figure height in pixels (default: grows with the run).
        width: a fixed width in pixels (default: the figure fills the cell, its words
            laid out for one :data:`~tcpnb.views.labels.DESIGN_WIDTH` wide, so that
            none overlaps at any width).
        labels: write flags and numbers on the arrows (default: when there are at
            most 60; the hover text always has the full segment).
    """
    return make_figure(**ladder_spec(trace, relative=relative, title=title, cut=cut,
                                     height=height, width=width, labels=labels))


def ladder_spec(trace: Trace, *, relative: bool = False, title: str | None = None,
                cut: bool | float = True, height: int | None = None,
                width: int | None = None, labels: bool | None = None) -> dict[str, Any]:
    """:func:`ladder` as plain ``{"data": [...], "layout": {...}}`` dicts, not yet a figure
    (:func:`tcpnb.views.pair.stack` joins two without building either)."""
    if not isinstance(trace, Trace):
        raise ValueError(f"trace must be a tcpnb.Trace, got {type(trace).__name__}")
    builder = _Builder(trace, relative, cut, height, width, labels, title)
    builder.lanes_and_bands()
    builder.timers()
    builder.calls_and_notices()
    builder.arrows()
    return builder.spec()

