"""A plain-text ladder diagram in the style of RFC 9293's figures.

One line per event, time going down.  A departure reads ``--> segment ...``
(the segment is still in the network), an arrival ``... segment -->``; when a
segment arrives at the moment it leaves, and nothing happens in between, the
two are one line, ``--> segment -->``, as in the RFC's figures (segments that
cross stay two lines each, so that the crossing shows).
The state printed beside each side is its state *after* the event, as in the
RFC.  A lost segment ends in ``XXX`` (RFC 793's mark for a lost segment).
Comments are in parentheses, as in the RFC: the application's calls
(``(close)``), and state changes that no segment caused (``CLOSED
(Timeout=2MSL)``).  Notices to the user are in brackets.

With ``relative=True`` sequence numbers count from each side's ISN, as
Wireshark shows them (:mod:`tcpnb.sim.relative`): the SYN is 0 and the first data byte 1.

A text ladder is wider than a narrow notebook cell, and wrapped lines break
its columns: :class:`WideText` shows text in a box that scrolls sideways
instead of wrapping (``tcpnb.show_text(text_ladder(trace))`` in a notebook).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import NamedTuple

from ..sim.relative import Bases, isn_bases, relative
from ..sim.trace import Fate, Origin, Trace, Transmission

_TAGS = {Origin.RETRANSMISSION: " (retransmission)", Origin.DUPLICATE: " (duplicate)",
         Origin.INJECTED: " (old duplicate)"}
#: Causes that are the application's own call, already printed as a comment.
_USER_CAUSES = {"passive OPEN", "active OPEN", "CLOSE", "ABORT", "SEND"}

class Row(NamedTuple):
    """One line of the ladder, before it is laid out."""

    t: float
    event: int
    order: int       # within one event
    side: str        # the endpoint whose column it is in
    kind: str        # "send-right", "recv-left", "lost-right", "note", "state", ...
    text: str
    transmission: int = -1  # the transmission's index, for segment rows


def segment_text(t: Transmission, bases: Bases | None) -> str:
    """The segment of ``t`` in RFC notation, relative to ``bases`` if given."""
    segment = t.segment if bases is None else relative(t.segment, *bases[t.index])
    return str(segment)


def _segment_rows(trace: Trace, left: str, relative_to: Bases | None) -> list[Row]:
    rows: list[Row] = []
    for t in trace.transmissions:
        text = segment_text(t, relative_to) + _TAGS.get(t.origin, "")
        way = "right" if t.src == left else "left"
        if t.origin is not Origin.INJECTED:
            rows.append(Row(t.sent_at, t.sent_event, 1 + 2 * t.index, t.src, "send-" + way, text,
                            t.index))
        if t.fate is Fate.DELIVERED and t.arrived_at is not None:
            event = t.arrived_event if t.arrived_event is not None else t.sent_event
            rows.append(Row(t.arrived_at, event, 0, t.dst, "recv-" + way, text, t.index))
        elif t.fate in (Fate.LOST, Fate.DROPPED):
            rows.append(Row(t.sent_at, t.sent_event, 2 + 2 * t.index, t.dst, "lost-" + way, text,
                            t.index))
    return rows


def _state_rows(trace: Trace, covered: set[tuple[str, int]]) -> list[Row]:
    """State changes that no segment row of the same side and event shows."""
    last: dict[tuple[str, int], tuple[float, list[str], str]] = {}
    for r in trace.state_changes:
        if (r.endpoint, r.event) in covered:
            continue
        _, causes, _ = last.get((r.endpoint, r.event), (r.t, [], ""))
        if r.cause not in _USER_CAUSES and r.cause not in causes:
            causes.append(r.cause)
        last[(r.endpoint, r.event)] = (r.t, causes, str(r.new))
    return [Row(t, event, 10**9 - 1, side, "state",
                state + "".join(f" ({_flat(cause)})" for cause in causes))
            for (side, event), (t, causes, state) in last.items()]


def _flat(text: str) -> str:
    """``"reboot (all state lost)"`` -> ``"reboot: all state lost"``: no nested parentheses."""
    return text.replace(" (", ": ").replace(")", "")


def _rows(trace: Trace, left: str, relative_to: Bases | None = None) -> list[Row]:
    """Every line of the ladder, in the order things happened."""
    rows = _segment_rows(trace, left, relative_to)
    covered = {(r.side, r.event) for r in rows if not r.kind.startswith("lost")}
    received = {(r.side, r.event) for r in rows if r.kind.startswith("recv")}
    rows += _state_rows(trace, covered)
    for call in trace.app_calls:
        detail = f" {call.detail}" if call.detail and call.call != "send" else ""
        # A call made in reaction to an arrival at that very event (a server that
        # listens again) comes after the arrival; any other call before its effects.
        order = 10**9 - 2 if (call.endpoint, call.event) in received else -1
        rows.append(Row(call.t, call.event, order, call.endpoint, "note",
                        f"({call.call}{detail})"))
    for notice in trace.notices:
        rows.append(Row(notice.t, notice.event, 10**9, notice.endpoint, "note",
                        f"[{notice.message}]"))
    rows.sort(key=lambda row: (row.t, row.event, row.order))
    return rows


def _lines(rows: list[Row]) -> list[tuple[Row, Row | None]]:
    """The rows paired into lines: a departure and its arrival at the same moment, with
    nothing between them, share one line ``(departure, arrival)``; any other row is
    ``(row, None)``."""
    lines: list[tuple[Row, Row | None]] = []
    for row in rows:
        if lines and _zero_travel(lines[-1], row):
            lines[-1] = (lines[-1][0], row)
        else:
            lines.append((row, None))
    return lines


def _zero_travel(line: tuple[Row, Row | None], row: Row) -> bool:
    sent, arrival = line
    return (arrival is None and sent.kind.startswith("send") and row.kind.startswith("recv")
            and row.transmission == sent.transmission and row.t == sent.t)


_ARROWS = {
    "send-right": ("-->", "..."), "recv-right": ("...", "-->"), "lost-right": ("...", "XXX"),
    "send-left": ("...", "<--"), "recv-left": ("<--", "..."), "lost-left": ("XXX", "..."),
    "pass-right": ("-->", "-->"), "pass-left": ("<--", "<--"),
}
_STATE = 13  # width of a state column: "SYN-RECEIVED" + 1


def _line(trace: Trace, row: Row, left: str, width: int, arrival: Row | None = None) -> str:
    """One line of text; ``arrival`` is the arrival row of a segment ``row`` sends, if on it."""
    middle = " " * (width + 8)
    if row.kind in ("note", "state"):
        text = f"{row.side} {row.text}" if ":" in row.side else row.text
        return (f"{text:<{_STATE}}{middle}" if row.side == left
                else f"{'':<{_STATE}}{middle}{text}")
    states = {r.side: _state(trace, r) for r in (row, arrival) if r is not None}
    kind = row.kind if arrival is None else row.kind.replace("send", "pass")
    arrow_l, arrow_r = _ARROWS[kind]
    state_l = states.get(left, "")
    state_r = next((state for side, state in states.items() if side != left), "")
    return f"{state_l:<{_STATE}}{arrow_l} {row.text:<{width}} {arrow_r} {state_r}"


def _state(trace: Trace, row: Row) -> str:
    """The state beside a segment row: its side's after the event ("" if unknown or lost).

    A connection a socket server accepted ("B:1") shares its server's column and is named.
    """
    if row.kind.startswith("lost") or not trace.state_changes:  # no states: a capture
        return ""
    state = str(trace.state_after_event(row.side, row.event))
    return f"{row.side} {state}" if ":" in row.side else state


def text_ladder(trace: Trace, width: int | None = None, relative: bool = False) -> str:
    """The ladder of the first two endpoints of ``trace`` as text.

    ``width`` is the segment column's width (default: the longest segment).  The
    connections a socket server accepted ("B:1", ...) are in their server's column.
    """
    hosts = [name for name in trace.endpoints if ":" not in name]
    if len(hosts) < 2:
        return "(a ladder needs two endpoints)"
    left, right = hosts[:2]
    ends = {t.index: {t.src.split(":")[0], t.dst.split(":")[0]} for t in trace.transmissions}
    rows = [row for row in _rows(trace, left, isn_bases(trace) if relative else None)
            if row.side.split(":")[0] in (left, right)
            and ends.get(row.transmission, set()) <= {left, right}]
    if width is None:
        width = max([44] + [len(row.text) for row in rows if row.kind not in ("note", "state")])
    numbers = "   (relative sequence numbers)" if relative else ""
    lines = [f"{'t (s)':>8}  {left:<{_STATE}}{numbers:<{width + 8}}{right}"]
    lines += [f"{row.t:8.3f}  {_line(trace, row, left, width, arrival)}".rstrip()
              for row, arrival in _lines(rows)]
    return "\n".join(lines)


@dataclass(frozen=True)
class WideText:
    """Text shown as it is, its lines never wrapped: in a notebook a box that scrolls
    sideways when the cell is narrower than the text."""

    text: str

    def _repr_html_(self) -> str:
        return ("<pre style='white-space: pre; overflow-x: auto; margin: 0; "
                f"font-size: 12px; line-height: 1.35'>{html.escape(self.text)}</pre>")

    def __repr__(self) -> str:
        return self.text

