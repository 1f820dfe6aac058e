"""The RFC 9293 state diagram, drawn from the transition table the endpoint uses.

Every row of :data:`tcpnb.core.states.TCP_TABLE` is an edge: rows of Figure 5
are drawn solid and labelled ("rcv SYN / snd SYN,ACK"), rows that only the
RFC's text has (RST, ABORT, giving up) thin and dotted, named on hover.  As
in Figure 5, CLOSED appears twice: at the top, where connections start, and
at the bottom right, where they end.  Given a trace, the path each endpoint
took is drawn over the edges in its own colour, with numbered steps.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import plotly.graph_objects as go

from ..core import validate
from ..core.states import TCP_TABLE, TWO_WAY_TABLE, State, Transition, Trigger
from ..sim.trace import Trace
from . import figuretext, labels, palette
from .plotlyfigure import make_figure

S = State
#: Where each box sits (x, y; y grows downward), close to Figure 5's layout.
POSITIONS: dict[str, tuple[float, float]] = {
    "CLOSED": (3.0, -0.1), "LISTEN": (3.0, 1.45),
    "SYN-RECEIVED": (0.6, 2.8), "SYN-SENT": (5.4, 2.8), "ESTABLISHED": (3.0, 4.2),
    "FIN-WAIT-1": (0.6, 5.6), "CLOSE-WAIT": (5.4, 5.6),
    "FIN-WAIT-2": (0.6, 7.0), "CLOSING": (3.0, 7.0), "LAST-ACK": (5.4, 7.0),
    "TIME-WAIT": (3.0, 8.4), "CLOSED (end)": (5.4, 8.4),
}
HALF_W, HALF_H = 0.62, 0.3  # half the size of a box
_LATE = {S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK,
         S.TIME_WAIT}

Point = tuple[float, float]


def _node(state: State, source: State | None = None) -> str:
    """The box a state is drawn in: CLOSED is the end box when reached from a late state."""
    if state is S.CLOSED and source in _LATE:
        return "CLOSED (end)"
    return str(state)


def _inside(p: Point, box: str, pad: float = 0.04) -> bool:
    x, y = POSITIONS[box]
    return abs(p[0] - x) <= HALF_W + pad and abs(p[1] - y) <= HALF_H + pad


def _curve(a: str, b: str, bend: float, n: int = 40) -> list[Point]:
    """A quadratic Bezier from box ``a`` to box ``b``, bowed sideways by ``bend``."""
    (x0, y0), (x1, y1) = POSITIONS[a], POSITIONS[b]
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    cx, cy = (x0 + x1) / 2 - (y1 - y0) / length * bend, (y0 + y1) / 2 + (x1 - x0) / length * bend
    points = [((1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t * t * x1,
               (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t * t * y1)
              for t in (k / n for k in range(n + 1))]
    return [p for p in points if not _inside(p, a) and not _inside(p, b, 0.07)]


def _route(a: str, b: str, reverse_exists: bool) -> list[Point]:
    """The first curve from ``a`` to ``b`` that passes through no other box."""
    bends = (0.6, 0.9, 1.2, -0.6) if reverse_exists else (0.0, 0.4, -0.4, 0.8, -0.8, 1.3, -1.3)
    others = [box for box in POSITIONS if box not in (a, b)]
    for bend in bends:
        points = _curve(a, b, bend)
        if not any(_inside(p, box) for p in points for box in others):
            return points
    return _curve(a, b, bends[0])


def _offset(points: list[Point], by: float) -> list[Point]:
    """``points`` moved sideways (perpendicular to the whole curve) by ``by``."""
    if len(points) < 2:
        return points
    (x0, y0), (x1, y1) = points[0], points[-1]
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    nx, ny = -(y1 - y0) / length * by, (x1 - x0) / length * by
    return [(x + nx, y + ny) for x, y in points]


def _label(rows: list[Transition]) -> str:
    return "<br>".join(f"{row.trigger}<br><i>{row.action}</i>" if row.action not in ("", "x")
                       else str(row.trigger) for row in rows)


def pick_table(trace: Trace | None) -> tuple[Transition, ...]:
    """TCP's table, or the (not TCP) two-way variant's if the trace needs it."""
    if trace is not None:
        tcp = {(r.source, r.trigger, r.target) for r in TCP_TABLE}
        for record in trace.state_changes:
            try:
                key = (record.old, Trigger(record.cause), record.new)
            except ValueError:
                continue
            if key not in tcp:
                return TWO_WAY_TABLE
    return TCP_TABLE


class _Diagram:
    """Builds the edges, boxes and highlighted paths of one state diagram.

    Edge labels and step numbers are placed like the ladder's words
    (:mod:`tcpnb.views.labels`): each at the first place along its curve
    where it overlaps no box and no label placed before it; one with no room
    is left to the edge's hover text, and the figure says how many.
    """

    def __init__(self, table: tuple[Transition, ...], frame: labels.Frame) -> None:
        self.groups: dict[tuple[str, str], list[Transition]] = defaultdict(list)
        for row in table:
            self.groups[(_node(row.source), _node(row.target, row.source))].append(row)
        self.routes = {key: _route(*key, (key[1], key[0]) in self.groups) for key in self.groups}
        self.data: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []
        self.frame = frame
        self.placer = labels.Placer([self._box(note) for note in self._box_names()] + [
            labels.Box(*frame.px(x - HALF_W, y - HALF_H), *frame.px(x + HALF_W, y + HALF_H),
                       box) for box, (x, y) in POSITIONS.items()] + [self._box(_CORNER)])
        self.left_out = 0

    def _box(self, note: dict[str, Any]) -> labels.Box:
        x, y = self.frame.px(note["x"], note["y"])
        w, h = labels.text_size(note["text"], note["font"]["size"])
        pad = 2 * (note.get("borderpad", 1) + 1)
        return labels.anchored(x + note.get("xshift", 0), y - note.get("yshift", 0), w + pad,
                               h + pad, note.get("xanchor", "center"),
                               note.get("yanchor", "middle"), note["text"])

    def _place(self, candidates: list[dict[str, Any]]) -> None:
        for note in candidates:
            if self.placer.free(self._box(note), self.frame.plot):
                self.placer.take(self._box(note))
                self.notes.append(note)
                return
        self.left_out += 1

    @staticmethod
    def _along(points: list[Point], note: dict[str, Any], box: tuple[float, float]
               ) -> list[dict[str, Any]]:
        """``note`` on the curve ``points``: middle first, then further out, then beside it."""
        at = [points[min(int(len(points) * f), len(points) - 1)]
              for f in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8)] if points else []
        w, h = box
        shifts = [(0.0, 0.0)] + [(dx * k, dy * k) for k in (1, 2) for dx, dy in (
            (w / 2 + 4, 0), (-w / 2 - 4, 0), (0, h / 2 + 4), (0, -h / 2 - 4))]
        return [{**note, "x": x, "y": y, "xshift": dx, "yshift": dy}
                for dx, dy in shifts for x, y in at]

    def edges(self) -> None:
        for (a, b), rows in self.groups.items():
            points, shown = self.routes[(a, b)], [r for r in rows if r.in_figure_5]
            hover = "<br>".join(f"{r.source} → {r.target}: <b>{r.trigger}</b> / {r.action or '–'}"
                                f" ({r.reference})" for r in rows)
            main = bool(shown)
            self.data.append(dict(
                type="scatter", x=[p[0] for p in points], y=[p[1] for p in points],
                mode="lines+markers", hoverinfo="text", hovertext=[hover] * len(points),
                line=dict(color="#333333" if main else "#9a9a9a", width=1.8 if main else 1.2,
                          dash="solid" if main else "dot"),
                marker=dict(symbol="arrow", angleref="previous", color="#333333" if main
                            else "#9a9a9a", size=[0] * (len(points) - 1) + [11 if main else 8]),
                showlegend=False, meta=dict(kind="edge", figure5=main, rows=[
                    [str(r.source), str(r.trigger), str(r.target)] for r in rows])))
            if shown:
                text = _label(shown)
                note = dict(text=text, showarrow=False, bgcolor="rgba(255,255,255,0.9)",
                            font=dict(size=palette.LABEL_SIZE - 2))
                self._place(self._along(points, note, labels.text_size(
                    text, palette.LABEL_SIZE - 2)))

    @staticmethod
    def _box_names() -> list[dict[str, Any]]:
        return [dict(x=x, y=y, showarrow=False,
                     font=dict(size=BOX_FONT, color=palette.ON_STATE_TEXT),
                     text=f"<b>{S.CLOSED if box.startswith('CLOSED') else State(box)}</b>")
                for box, (x, y) in POSITIONS.items()]

    def boxes(self) -> list[dict[str, Any]]:
        shapes = []
        for box, (x, y) in POSITIONS.items():
            state = S.CLOSED if box.startswith("CLOSED") else State(box)
            shapes.append(dict(type="rect", x0=x - HALF_W, x1=x + HALF_W, y0=y - HALF_H,
                               y1=y + HALF_H, fillcolor=palette.state_colour(state),
                               line=dict(color="#333333", width=1.2), layer="below", opacity=1))
        self.notes += self._box_names()
        return shapes

    def path(self, trace: Trace, name: str, k: int, side: float, upto: int | None) -> None:
        """``name``'s transitions in order, drawn over the edges with numbered steps
        (endpoint number ``k`` picks the colours)."""
        colour = palette.ENDPOINT_COLOURS[k % 4]
        steps: dict[tuple[str, str], list[str]] = defaultdict(list)
        xs: list[float | None] = []
        ys: list[float | None] = []
        records = [r for r in trace.state_changes if r.endpoint == name][:upto]
        for k, record in enumerate(records, start=1):
            key = (_node(record.old), _node(record.new, record.old))
            points = self.routes.get(key) or _curve(*key, 0.0)
            shifted = _offset(points, side * 0.08)
            xs += [p[0] for p in shifted] + [None]
            ys += [p[1] for p in shifted] + [None]
            steps[key].append(str(k))
        if not records:
            return
        self.data.append(dict(type="scatter", x=xs, y=ys, mode="lines", name=f"{name}'s path",
                              line=dict(color=colour, width=6), opacity=0.6, hoverinfo="skip",
                              meta=dict(kind="path", endpoint=name)))
        for key, numbers in steps.items():
            points = _offset(self.routes.get(key) or _curve(*key, 0.0), side * 0.08)
            ordered = points[::-1] if side > 0 else points  # A's steps early, B's late
            text = ",".join(numbers)
            note = dict(text=text, showarrow=False, bgcolor=palette.BADGE_COLOURS[k % 4],
                        borderpad=2, font=dict(color="white", size=palette.LABEL_SIZE))
            size = labels.text_size(text, palette.LABEL_SIZE)
            near = self._along(ordered[: max(len(ordered) // 2, 1)], note, size)
            self._place(near + [{**c, "xshift": c["xshift"] + dx} for dx in (18, -18, 32, -32)
                                for c in near])

    def left_out_note(self) -> list[dict[str, Any]]:
        """A line in the bottom left corner if some labels had no room."""
        if not self.left_out:
            return []
        words = "1 label did not" if self.left_out == 1 else f"{self.left_out} labels did not"
        return [{**_CORNER, "text": f"<i>{words} fit here:<br>hover over the edges.</i>"}]


BOX_FONT = 12
#: Where the diagram says that some labels had no room (a corner no edge passes).
_CORNER = dict(x=-0.25, y=8.95, xanchor="left", yanchor="bottom", showarrow=False,
               text="<i>99 labels did not fit here:<br>hover over the edges.</i>",
               font=dict(size=palette.LABEL_SIZE - 1, color=palette.NOTE_TEXT))


def state_diagram(trace: Trace | None = None, *, table: tuple[Transition, ...] | None = None,
                  upto: int | None = None, title: str | None = None,
                  height: int = 820, width: int | None = None) -> go.Figure:
    """The state diagram, with the path each endpoint of ``trace`` took (if given).

    Args:
        trace: a run whose endpoints' transitions are highlighted, numbered in order.
        table: the transition table to draw (default: TCP's, or the two-way
            variant's when ``trace`` used it).
        upto: highlight only each endpoint's first ``upto`` transitions (for stepping).
        title: the figure's title.
        height: in pixels.
        width: a fixed width in pixels (default: the figure fills the cell, its
            labels laid out for the narrowest, :data:`~tcpnb.views.labels.DESIGN_WIDTH`).
    """
    if trace is not None and not isinstance(trace, Trace):
        raise ValueError(f"trace must be a tcpnb.Trace or None, got {type(trace).__name__}")
    if upto is not None:
        validate.whole("upto", upto)
    table = table if table is not None else pick_table(trace)
    default = ("TCP connection states (RFC 9293 Figure 5)" if table is TCP_TABLE
               else "A two-way handshake: NOT TCP")
    if trace is not None:
        default += ": the path " + " and ".join(trace.endpoints) + " took"
    legend = [f"{name}'s path" for name in trace.endpoints] if trace is not None else []
    layout = palette.base_layout(title or default, height, legend=legend, width=width)
    layout["margin"].update(l=10, r=10)
    layout.update(xaxis=dict(visible=False, range=[-0.3, 6.3], fixedrange=True),
                  yaxis=dict(visible=False, range=[9.0, -0.6], fixedrange=True),
                  hovermode="closest")
    frame = figuretext.frame_of(dict(data=[], layout=layout), width or labels.DESIGN_WIDTH)
    diagram = _Diagram(table, frame)
    shapes = diagram.boxes()
    diagram.edges()
    if trace is not None:
        for k, name in enumerate(trace.endpoints):
            diagram.path(trace, name, k, -1.0 if k % 2 == 0 else 1.0, upto)
    layout.update(shapes=shapes, annotations=diagram.notes + diagram.left_out_note())
    return make_figure(diagram.data, layout)
