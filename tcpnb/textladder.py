"""A plain-text ladder diagram in the style of RFC 9293's figures.

One line per event, time going down.  A departure reads ``--> segment ...``
(the segment is still in the network), an arrival ``... segment -->``; when a
segment arrives at the moment it leaves, the line reads ``--> segment -->``.
The state printed beside each side is its state *after* the event, as in the
RFC.  A lost segment ends in ``XXX`` (RFC 793's mark for a lost segment).
"""

from __future__ import annotations

from .trace import Fate, Origin, Trace

_TAGS = {Origin.RETRANSMISSION: " (retransmission)", Origin.DUPLICATE: " (duplicate)",
         Origin.INJECTED: " (old duplicate)"}


Row = tuple[float, int, int, str, str, str]  # time, event, order, side, kind, text


def _rows(trace: Trace, left: str) -> list[Row]:
    """Every line of the ladder, in the order things happened."""
    rows: list[Row] = []
    for t in trace.transmissions:
        text = str(t.segment) + _TAGS.get(t.origin, "")
        way = "right" if t.src == left else "left"
        if t.origin is not Origin.INJECTED:
            rows.append((t.sent_at, t.sent_event, 1 + 2 * t.index, t.src, "send-" + way, text))
        if t.fate is Fate.DELIVERED and t.arrived_at is not None:
            event = t.arrived_event if t.arrived_event is not None else t.sent_event
            rows.append((t.arrived_at, event, 0, t.dst, "recv-" + way, text))
        elif t.fate in (Fate.LOST, Fate.DROPPED):
            rows.append((t.sent_at, t.sent_event, 2 + 2 * t.index, t.dst, "lost-" + way, text))
    for call in trace.app_calls:
        detail = f" {call.detail}" if call.detail and call.call != "send" else ""
        rows.append((call.t, call.event, -1, call.endpoint, "note", f"({call.call}{detail})"))
    for notice in trace.notices:
        rows.append((notice.t, notice.event, 10**9, notice.endpoint, "note",
                     f"[{notice.message}]"))
    rows.sort(key=lambda row: (row[0], row[1], row[2]))
    return rows


_ARROWS = {
    "send-right": ("-->", "..."), "recv-right": ("...", "-->"), "lost-right": ("...", "XXX"),
    "send-left": ("...", "<--"), "recv-left": ("<--", "..."), "lost-left": ("XXX", "..."),
}


def render(trace: Trace, width: int = 44) -> str:
    """The ladder of the first two endpoints of ``trace`` as text."""
    if len(trace.endpoints) < 2:
        return "(a ladder needs two endpoints)"
    left, right = trace.endpoints[:2]
    lines = [f"{'t (s)':>8}  {left:<13}{'':{width + 8}}{right}"]
    for t, event, _, side, kind, text in _rows(trace, left):
        if side not in (left, right):
            continue
        if kind == "note":
            pad = " " * (width + 8)
            line = f"{text:<13}{pad}" if side == left else f"{'':<13}{pad}{text}"
        else:
            state = "" if kind.startswith("lost") else str(trace.state_after_event(side, event))
            state_l, state_r = (state, "") if side == left else ("", state)
            arrow_l, arrow_r = _ARROWS[kind]
            line = f"{state_l:<13}{arrow_l} {text:<{width}} {arrow_r} {state_r}"
        lines.append(f"{t:8.3f}  {line}".rstrip())
    return "\n".join(lines)
