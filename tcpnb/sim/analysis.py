"""Facts computed from a trace: what happened, in numbers and in one sentence.

Pure functions of a :class:`~tcpnb.sim.trace.Trace`.  Titles, the command line,
the widgets and the notebooks' assertions all use them, so they say the same.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..core.segment import Flags
from ..core.states import State
from .trace import Fate, Origin, StateRecord, Trace

_TIMES = {1: "once", 2: "twice"}


def _times(n: int) -> str:
    return _TIMES.get(n, f"{n} times")


def _kind(flags: Flags, length: int) -> str:
    """A short name for a segment: SYN, SYN,ACK, FIN, RST, data or ACK."""
    for control in (Flags.SYN | Flags.ACK, Flags.SYN, Flags.FIN, Flags.RST):
        if control in flags and (control != Flags.SYN or Flags.ACK not in flags):
            return str(control)
    return "data" if length else "ACK"


def hosts(trace: Trace) -> list[str]:
    """The endpoints that are not connections a server accepted (``"B:1"`` belongs to ``"B"``)."""
    return [name for name in trace.endpoints if ":" not in name]


def established_at(trace: Trace) -> float | None:
    """When the first two hosts first both had a synchronized connection (RFC 9293 §3.5), or ``None``.

    Read event by event, so a connection opened and closed within one instant
    (zero delay) counts; a server's accepted connections count as the server.
    """
    pair = hosts(trace)[:2]
    if len(pair) < 2:
        return None
    now: dict[str, State] = {}
    for record in trace.state_changes:
        now[record.endpoint] = record.new
        synchronized = {name.split(":")[0] for name, state in now.items() if state.synchronized}
        if all(host in synchronized for host in pair):
            return record.t
    return None


def connect_time(trace: Trace, name: str = "A") -> float | None:
    """Seconds from ``name``'s first connect() to its first ESTABLISHED, or ``None``."""
    start = next((c.t for c in trace.app_calls if c.endpoint == name and c.call == "connect"),
                 None)
    done = next((r.t for r in trace.state_changes if r.endpoint == name
                 and r.new is State.ESTABLISHED), None)
    return None if start is None or done is None else done - start


def counts(trace: Trace) -> Counter[str]:
    """How many segments were sent, lost, retransmitted, injected, duplicated."""
    c: Counter[str] = Counter()
    for t in trace.transmissions:
        c["sent"] += t.origin is not Origin.INJECTED
        c["lost"] += t.fate in (Fate.LOST, Fate.DROPPED)
        c[t.origin.value] += 1
    return c


def losses(trace: Trace) -> Counter[str]:
    """Lost segments by kind: ``{"SYN": 2, "FIN": 1}``."""
    return Counter(_kind(t.segment.flags, t.segment.length) for t in trace.transmissions
                   if t.fate in (Fate.LOST, Fate.DROPPED))


def stale_deliveries(trace: Trace, name: str) -> list[bytes]:
    """Bytes delivered to ``name`` that a *previous* incarnation of the peer sent."""
    by_index = {t.index: t for t in trace.transmissions}
    stale = []
    for d in trace.deliveries:
        source = by_index.get(d.source) if d.source is not None else None
        if d.endpoint == name and source is not None and (
                source.origin is Origin.INJECTED or source.incarnation < _incarnation_at(
                    trace, source.src, d.t)):
            stale.append(d.data)
    return stale


def _incarnation_at(trace: Trace, name: str, t: float) -> int:
    return max((r.incarnation for r in trace.state_changes if r.endpoint == name and r.t <= t),
               default=0)


_IDLE = (State.LISTEN, State.CLOSED)
_ASKING = (State.SYN_SENT, State.SYN_RECEIVED, State.ESTABLISHED)


@dataclass(frozen=True, slots=True)
class Held:
    """One span in which a server held state for a connection (see :func:`held_connections`)."""

    start: float
    end: float
    established: bool  # did the server count it as open (reach ESTABLISHED)?
    wanted: bool       # was the client asking for exactly this connection when it began?
    irs: int | None = None  # the sequence number of the SYN the server took it from

    @property
    def seconds(self) -> float:
        return self.end - self.start


def held_connections(trace: Trace, server: str = "B", client: str = "A") -> list[Held]:
    """Every span ``server`` spent outside LISTEN and CLOSED, and whether ``client`` wanted it.

    A span starts when ``server`` leaves LISTEN or CLOSED and ends when it is
    back in one of them, or when the run ends.  It is **wanted** if, just after
    the event that started it, ``client`` was opening or in a connection
    (SYN-SENT, SYN-RECEIVED or ESTABLISHED) whose ISS is the IRS ``server``
    took in the span: the client was asking for exactly this connection.  Any
    other span is a connection nobody wanted, e.g. one opened by an old
    duplicate SYN (RFC 9293 §3.5, Figure 8) -- even a late copy that carries
    the client's own ISN, because by then the client has closed.
    """
    spans: list[Held] = []
    start: StateRecord | None = None
    established, irs = False, None
    for r in (r for r in trace.state_changes if r.endpoint == server):
        if start is not None and r.new in _IDLE:
            spans.append(_span(trace, client, start, r.t, established, irs))
            start = None
        elif start is None and r.new not in _IDLE:
            start, established, irs = r, False, None
        if start is not None:
            irs = r.irs if r.irs is not None else irs
            established = established or r.new is State.ESTABLISHED
    if start is not None:
        spans.append(_span(trace, client, start, trace.end_time, established, irs))
    return spans


def _span(trace: Trace, client: str, start: StateRecord, end: float, established: bool,
          irs: int | None) -> Held:
    state, iss = State.CLOSED, None  # the client's, just after the span's first event
    for r in trace.state_changes:
        if r.event > start.event:
            break
        if r.endpoint == client:
            state, iss = r.new, r.iss
    wanted = state in _ASKING and iss is not None and iss == irs
    return Held(start.t, end, established, wanted, irs)


def unwanted(trace: Trace, server: str = "B", client: str = "A") -> list[Held]:
    """The connections ``server`` held that ``client`` did not want (see :func:`held_connections`)."""
    return [h for h in held_connections(trace, server, client) if not h.wanted]


def summary(trace: Trace) -> str:
    """One sentence on what happened: losses, whether and when it opened, how it ended."""
    parts = [f"{kind} lost {_times(n)}" for kind, n in losses(trace).items()]
    names = trace.endpoints
    if not trace.state_changes:  # a capture: segments only, no states
        return "; ".join(parts + [f"{len(trace.transmissions)} segments"])
    when = established_at(trace)
    if len(hosts(trace)) >= 2:
        parts.append("connection established at t = " + _seconds(when) if when is not None
                     else "no connection established")
    for name in names:
        errors = [m for m in trace.messages(name) if m.startswith("error")]
        resets = [r for r in trace.state_changes if r.endpoint == name and r.cause == "rcv RST"
                  and r.new is State.CLOSED]
        if errors:
            parts.append(f"{name}: {errors[0].removeprefix('error: ')}")  # the cause, not its echoes
        elif resets:  # RFC 9293 tells no user about a RST in CLOSING, LAST-ACK or TIME-WAIT
            parts.append(f"{name}: reset in {resets[-1].old}")
    ends = ", ".join(f"{n} ends in {trace.final_state(n)}" for n in names)
    text = "; ".join(parts + [ends] if ends else parts)
    return text[:1].upper() + text[1:]


def _seconds(t: float) -> str:
    return f"{t:.3g} s" if t >= 0.1 or t == 0 else f"{t * 1000:.3g} ms"
