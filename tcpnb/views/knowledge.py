"""Who knows what: after each segment an endpoint receives, what it can conclude.

Theory of operation
-------------------
RFC 9293 §3.4.1 says synchronisation "requires each side to send its own
initial sequence number and to receive a confirmation of it in
acknowledgment from the remote TCP peer.  Each side must also receive the
remote peer's initial sequence number and send a confirming acknowledgment."
And: "The receiver of the first SYN has no way of knowing whether the segment
was an old one or not ... and so it must ask the sender to verify this SYN."

This module replays the segments of a trace and, like a TCP endpoint, reasons
only from sequence numbers -- never from the simulator's hidden truth:

* A SYN gives the peer's ISN, but it might be an old duplicate: everything it
  suggests is only "maybe".
* A segment whose ACK acknowledges my current ISN could only have been sent
  after my SYN arrived: so my SYN got through (me→peer works), the peer knows
  my ISN, and the reply itself got through now (peer→me works).  If it is a
  SYN,ACK it also brings the peer's ISN, now confirmed.
* If the peer acknowledges a segment of mine that itself acknowledged the
  peer's ISN (a SYN,ACK, or data sent with that ACK), the peer knows that I
  know its ISN.  So does data from the peer: TCP queues data until it is
  ESTABLISHED (§3.10.2).
* A RST ends the connection: what was known is forgotten.

Because it reads only segments, it works on captures too.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from ..core.segment import Flags, Segment, seq_le, seq_lt
from ..sim.trace import Fate, Origin, Trace, Transmission

YES, MAYBE, NO = "yes", "maybe", "no"
#: Each fact's mark and cell colour; its text colour is set with it (:data:`MARK_TEXT`), so
#: the cell reads the same in a light and a dark theme.
_MARKS = {YES: ("✓ yes", "#d7f0e5"), MAYBE: ("? maybe", "#fbf0c4"), NO: ("– no", "#f2f2f2")}
MARK_TEXT = "#222222"


def fact_names(me: str, peer: str) -> tuple[str, ...]:
    """The five facts, as seen by ``me``, in table order."""
    a, b = sorted((me, peer))
    return (f"{a}→{b} works", f"{b}→{a} works", "I know the peer's ISN",
            "the peer knows my ISN", "the peer knows I know its ISN")


@dataclass
class _Mind:
    """What one endpoint has sent and concluded so far."""

    me: str
    peer: str
    iss: int | None = None
    snd_max: int | None = None
    irs: int | None = None
    acked_irs_end: int | None = None  # end of my first segment that acknowledged the peer's ISN
    facts: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.forget()

    def forget(self, keep_irs: bool = False) -> None:
        irs = self.irs if keep_irs else None
        self.facts = {name: NO for name in fact_names(self.me, self.peer)}
        self.iss = self.snd_max = self.acked_irs_end = None
        self.irs = irs
        if irs is not None:
            self.facts["I know the peer's ISN"] = MAYBE

    def way(self, out: bool) -> str:
        return f"{self.me}→{self.peer} works" if out else f"{self.peer}→{self.me} works"

    def sent(self, seg: Segment) -> None:
        """Remember a segment I sent (a RST I send answers a stray segment: it changes nothing)."""
        if Flags.RST in seg.flags:
            return
        if Flags.SYN in seg.flags and seg.seq != self.iss:
            self.forget(keep_irs=Flags.ACK in seg.flags)  # a new connection attempt
            self.iss = seg.seq
        if self.iss is None:
            return
        end = seg.seq + seg.seg_len
        # Only new sequence space counts: if the same number went out before without
        # the ACK (a SYN, then a SYN,ACK), an acknowledgment of it proves nothing.
        fresh = self.snd_max is None or seq_le(self.snd_max, seg.seq)
        self.snd_max = end if self.snd_max is None or seq_lt(self.snd_max, end) else self.snd_max
        if (fresh and Flags.ACK in seg.flags and self.irs is not None and seg.seg_len
                and seq_lt(self.irs, seg.ack) and self.acked_irs_end is None):
            self.acked_irs_end = end

    def received(self, seg: Segment) -> list[str]:
        """Update the facts for a segment from the peer; return the reasons."""
        me, peer = self.me, self.peer
        if Flags.RST in seg.flags:
            self.forget()
            return [f"a RST: {peer} has no such connection, so {me} forgets what it knew"]
        why = []
        acks_mine = (Flags.ACK in seg.flags and self.iss is not None
                     and seq_lt(self.iss, seg.ack) and seq_le(seg.ack, self.snd_max or self.iss))
        if Flags.SYN in seg.flags and Flags.ACK not in seg.flags:
            self.irs = seg.seq
            self.facts["I know the peer's ISN"] = MAYBE
            if self.facts[self.way(False)] == NO:
                self.facts[self.way(False)] = MAYBE
            why.append(f"a SYN gives {peer}'s ISN {seg.seq}, but it could be an old duplicate: "
                       f"{me} cannot tell yet (§3.4.1)")
        if Flags.ACK in seg.flags and self.iss is not None and not acks_mine:
            why.append(f"ACK={seg.ack} does not acknowledge {me}'s ISN {self.iss}: "
                       "an old or stray segment, nothing learned")
        if acks_mine:
            if any(self.facts[f] != YES for f in (self.way(True), self.way(False))):
                why.append(f"ACK={seg.ack} acknowledges {me}'s ISN {self.iss}: {peer} got {me}'s "
                           "SYN and answered after it, so both directions work now")
            for fact in (self.way(True), self.way(False), "the peer knows my ISN"):
                self.facts[fact] = YES
            if Flags.SYN in seg.flags:
                self.irs = seg.seq
            if self.irs is not None and self.facts["I know the peer's ISN"] != YES:
                self.facts["I know the peer's ISN"] = YES
                why.append(f"{peer}'s ISN is {self.irs}" + (
                    ", confirmed" if Flags.SYN not in seg.flags else f", in a reply to {me}'s SYN"))
            if self.acked_irs_end is not None and seq_le(self.acked_irs_end, seg.ack):
                self._peer_knows(why, f"ACK={seg.ack} covers {me}'s segment that acknowledged "
                                      f"{peer}'s ISN")
        if seg.length and Flags.SYN not in seg.flags and self.facts[self.way(False)] == YES:
            self._peer_knows(why, f"{peer} sends data, which TCP does only once ESTABLISHED "
                                  "(§3.10.2)")
        return why

    def _peer_knows(self, why: list[str], reason: str) -> None:
        if self.facts["the peer knows I know its ISN"] != YES:
            self.facts["the peer knows I know its ISN"] = YES
            why.append(reason)


@dataclass(frozen=True)
class Row:
    """What ``endpoint`` knows right after receiving ``segment`` at time ``t``."""

    t: float
    endpoint: str
    segment: str
    facts: dict[str, str]
    learned: tuple[str, ...]
    why: str


def _events(trace: Trace) -> list[tuple[float, int, int, str, Transmission]]:
    """Sends and arrivals in the order they happened.

    Within one simulator event the arrival comes first: what is sent then is its answer.
    """
    events = []
    for t in trace.transmissions:
        if t.origin is not Origin.INJECTED:
            events.append((t.sent_at, t.sent_event, 1, "send", t))
        if t.fate is Fate.DELIVERED and t.arrived_at is not None:
            events.append((t.arrived_at, t.arrived_event if t.arrived_event is not None
                           else t.sent_event, 0, "arrive", t))
    return sorted(events, key=lambda e: (e[0], e[1], e[2], e[4].index))


class Knowledge:
    """The knowledge table of a trace: one :class:`Row` per segment received.

    Renders as an HTML table in JupyterLab, Colab and exported HTML (no
    JavaScript), and as plain text with ``str()``.
    """

    def __init__(self, trace: Trace) -> None:
        names = trace.endpoints[:2]
        if len(names) < 2:
            raise ValueError("trace: a knowledge table needs two endpoints")
        self.endpoints = names
        minds = {names[0]: _Mind(names[0], names[1]), names[1]: _Mind(names[1], names[0])}
        self.rows: list[Row] = []
        for when, _, _, kind, t in _events(trace):
            if t.src not in minds or t.dst not in minds:
                continue
            if kind == "send":
                minds[t.src].sent(t.segment)
                continue
            mind = minds[t.dst]
            before = dict(mind.facts)
            why = mind.received(t.segment)
            learned = tuple(k for k, v in mind.facts.items() if v != before[k])
            self.rows.append(Row(when, t.dst, str(t.segment), dict(mind.facts), learned,
                                 "; ".join(why) or "nothing new"))

    @property
    def columns(self) -> tuple[str, ...]:
        """The fact columns, the same for both endpoints."""
        return fact_names(*self.endpoints)

    def to_rows(self) -> list[dict[str, object]]:
        """The table as plain dictionaries (one per received segment)."""
        return [{"t": r.t, "at": r.endpoint, "segment": r.segment, **r.facts, "why": r.why}
                for r in self.rows]

    def __str__(self) -> str:
        width = max([34] + [len(r.segment) for r in self.rows])
        head = f"{'t (s)':>7}  {'at':<3} {'segment':<{width}} " + " | ".join(self.columns)
        lines = [head]
        for r in self.rows:
            cells = " | ".join(f"{r.facts[c]:^{len(c)}}" for c in self.columns)
            lines.append(f"{r.t:7.3f}  {r.endpoint:<3} {r.segment:<{width}} {cells}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        style = "border:1px solid #ccc;padding:4px 8px;font-size:14px;"
        head = "".join(f"<th style='{style}'>{html.escape(c)}</th>"
                       for c in ("t (s)", "at", "segment received", *self.columns, "because"))
        body = []
        for r in self.rows:
            cells = [f"{r.t:.3f}", html.escape(r.endpoint), f"<code>{html.escape(r.segment)}</code>"]
            tds = [f"<td style='{style}'>{c}</td>" for c in cells]
            for column in self.columns:
                text, colour = _MARKS[r.facts[column]]
                text = f"<b>{text}</b>" if column in r.learned else text
                tds.append(f"<td style='{style}background:{colour};color:{MARK_TEXT};"
                           f"text-align:center'>{text}</td>")
            tds.append(f"<td style='{style}text-align:left'>{html.escape(r.why)}</td>")
            body.append("<tr>" + "".join(tds) + "</tr>")
        return (f"<table style='border-collapse:collapse'><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table>"
                "<p style='font-size:13px'>Each row: what the receiving endpoint can conclude "
                "from sequence numbers alone, right after that segment; bold = just learned.</p>")


def knowledge(trace: Trace) -> Knowledge:
    """The knowledge table of ``trace`` (see :class:`Knowledge`)."""
    return Knowledge(trace)
