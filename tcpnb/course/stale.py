"""Stale requests: what an old duplicate SYN makes a server do, and why ISNs come from a clock.

Three experiments for the course's notebook 02 ("why not two messages?"):

* :func:`replay` sends one old SYN that carries a request to a listening
  server.  The two-way variant (NOT TCP: the server is open on the SYN alone)
  hands the request to the server's application at once; the client's reject
  (a RST, as TCP's client sends) arrives one round trip later, too late.
  TCP's server waits for the client's verdict (RFC 9293 §3.4.1, §3.5).
* :func:`experiment` runs many short connections over a network that keeps a
  copy of some segments and delivers it late (``duplicate``, ``lag``).  A late
  copy of a SYN reaches the server after the real connection is over.  The
  experiment counts the connections the server then set up that no client
  wanted (:func:`tcpnb.sim.analysis.unwanted`), those it counted as open, and
  the seconds it held them, for the two-way variant and TCP's three-way handshake.
* :func:`isn_window` asks whether an old segment falls inside the receive
  window of a new connection between the same ports, when the initial
  sequence numbers are fixed and when they come from RFC 9293's clock
  (§3.4.1, MUST-8).

Both are pure functions of their arguments: a seed fixes every run.  Nothing
here imports plotly until a ``*_figure`` function is called.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core import validate
from ..core.errors import UsageError
from ..core.isn import ClockISN, FixedISN, figure_pair
from ..core.options import HandshakeName, IsnKind
from ..core.segment import SEQ_SPACE, Flags, Segment, seq_add, seq_diff
from ..core.states import State
from ..sim import analysis
from ..sim.simulation import Simulation
from ..sim.trace import Trace
from ..sim.triggers import on_received, on_state
from .experiment import Experiment, Point, Results

if TYPE_CHECKING:
    import plotly.graph_objects as go

HANDSHAKES: tuple[HandshakeName, ...] = ("two-way", "three-way")
TICK = 4e-6  # RFC 9293 §3.4.1: the ISN clock ticks about every 4 microseconds


# ------------------------------------------------------------ one connection
def _check_handshake(handshake: HandshakeName) -> HandshakeName:
    if handshake not in HANDSHAKES:
        raise UsageError(f"handshake must be 'two-way' or 'three-way', got {handshake!r}")
    return handshake


def connection(handshake: HandshakeName = "three-way", *, request: int = 100, reply: int = 100,
               isn: IsnKind = "clock", **net: Any) -> Trace:
    """One short connection: A opens, sends a request, B replies, A closes, B closes.

    B listens again after each connection (a server), so a late copy of A's SYN
    finds it in LISTEN.  ``handshake="two-way"`` is NOT TCP: B counts the
    connection open on the SYN alone and A sends no third segment.
    ``isn`` is ``"clock"`` (RFC 9293's 4-microsecond clock, the default) or
    ``"fixed"``; ``net`` goes to :class:`~tcpnb.sim.simulation.Simulation` (``delay``,
    ``loss``, ``duplicate``, ``duplicate_lag``, ``seed``, ``profile``, ...).
    """
    _check_handshake(handshake)
    a_isn, b_isn = figure_pair(isn)
    sim = Simulation(**net)
    a = sim.endpoint("A", isn=a_isn, handshake=handshake)
    b = sim.endpoint("B", isn=b_isn, handshake=handshake)
    b.listen(reopen=True)
    a.connect("B")
    a.send(request, at=on_state(State.ESTABLISHED))
    b.send(reply, at=on_received(request))
    a.close(at=on_received(reply))
    b.close(at=on_state(State.CLOSE_WAIT))
    return sim.run()


# ------------------------------------------------------------ one old request
REQUEST = b"POST /transfer?amount=100"  # the request the old SYN carries in :func:`replay`


def replay(handshake: HandshakeName = "three-way", *, request: bytes = REQUEST, at: float = 1.0,
           **net: Any) -> Trace:
    """An old SYN carrying ``request`` reaches a listening B at ``at``; A has no connection.

    Data on a SYN is legal (RFC 9293 §3.10.7.3); TCP's receiver must not hand
    it to its user before the connection is ESTABLISHED (§3.5).  A answers B's
    SYN,ACK, which acknowledges nothing it sent, with a RST (§3.10.7.1) in both
    variants.  ``net`` goes to :class:`~tcpnb.sim.simulation.Simulation`.
    """
    _check_handshake(handshake)
    if not isinstance(request, bytes) or not request:
        raise UsageError(f"request must be non-empty bytes, got {request!r}")
    sim = Simulation(**net)
    sim.endpoint("A", isn=100, handshake=handshake)
    b = sim.endpoint("B", isn=300, handshake=handshake)
    b.listen(reopen=True)
    sim.inject(Segment(seq=90, flags=Flags.SYN, data=request), src="A", dst="B",
               at=validate.seconds("at", at))
    return sim.run(until=at + 10)


@dataclass(frozen=True, slots=True)
class Replayed:
    """What B did with the old request of :func:`replay` (times in seconds, None: never)."""

    committed: float | None   # B entered ESTABLISHED on the old SYN
    delivered: float | None   # B's application received the old request
    rejected: float | None    # A's RST reached B


def replayed(trace: Trace, server: str = "B") -> Replayed:
    """Read a :func:`replay` run: when ``server`` committed, delivered and was told "no"."""
    committed = next((t for t, s in trace.states(server) if s is State.ESTABLISHED), None)
    delivered = next((d.t for d in trace.deliveries if d.endpoint == server), None)
    rejected = next((r.t for r in trace.state_changes
                     if r.endpoint == server and str(r.cause).startswith("rcv RST")), None)
    return Replayed(committed, delivered, rejected)


# --------------------------------------------------------------- Monte Carlo
def waste(trace: Trace) -> dict[str, float]:
    """What one run of :func:`connection` cost the server: the experiment's observations.

    ``unwanted``: connections the server held that no client wanted
    (:func:`tcpnb.sim.analysis.unwanted`);
    ``unwanted_open``: those it counted as open (ESTABLISHED); ``seconds``:
    server-seconds spent holding them; ``completed`` (an event): the client's
    own request was answered.
    """
    spans = analysis.unwanted(trace)
    return {"unwanted": len(spans), "unwanted_open": sum(h.established for h in spans),
            "seconds": sum(h.seconds for h in spans),
            "completed": 0 < len(trace.sent("A")) <= len(trace.received("A"))}


def _connection(*, handshake: HandshakeName, duplicate: float = 0.1, lag: float | None = None,
                **net: Any) -> Trace:
    """:func:`connection`, recording only what :func:`waste` reads (the same tallies, faster)."""
    return connection(handshake, duplicate=duplicate, duplicate_lag=lag, record="changes", **net)


def experiment(grid: Mapping[str, Sequence[Any]] | None = None, **net: Any) -> Experiment:
    """:func:`connection` at every point of ``grid``, for both handshakes, tallied by :func:`waste`.

    Args:
        grid: settings to vary, e.g. ``{"duplicate": [0.0, 0.1]}``; ``handshake``
            (``"two-way"``, NOT TCP, and ``"three-way"``) is always the last axis.
        **net: settings for every run: ``duplicate`` (probability that the network
            keeps a late copy of a segment, default 0.1), ``lag`` (a copy arrives up
            to this many seconds late; default the profile's MSL, 120 s for RFC),
            ``delay``, ``loss``, ``jitter``, ``profile`` or any profile field.
    """
    return Experiment(_connection, waste, {**(grid or {}), "handshake": HANDSHAKES}, net)


def sweep(grid: Mapping[str, Sequence[Any]] | None = None, *, runs: int = 100, seed: int = 0,
          **net: Any) -> Results:
    """``runs`` connections (seeds ``seed``, ``seed + 1``, ...) at each point of :func:`experiment`."""
    return experiment(grid, **net).sweep(runs, seed)


def compare(*, runs: int = 200, seed: int = 0, **net: Any) -> Results:
    """Both handshakes on the same seeds and network: :func:`sweep` with no other setting varied."""
    return sweep(None, runs=runs, seed=seed, **net)


def per_100(point: Point, quantity: str) -> float:
    """``quantity`` (``"seconds"``, ``"unwanted"``...) per 100 connections at ``point``."""
    return 100 * (point.mean(quantity) or 0.0)


# ----------------------------------------------------------------- ISN window
@dataclass(frozen=True, slots=True)
class WindowCheck:
    """Where an old segment lands relative to a new connection's receive window."""

    isn: IsnKind         # "fixed" or "clock"
    gap: float           # seconds between the two connections' opens
    old_isn: int         # the client's ISN in the first connection
    new_isn: int         # ... and in the second
    old_seq: int         # first sequence number of the old segment
    old_length: int      # its length in bytes
    window: int          # the receiver's window (RCV.WND)

    @property
    def rcv_nxt(self) -> int:
        """The receiver's RCV.NXT in the new connection, before any data: new ISN + 1."""
        return seq_add(self.new_isn, 1)

    @property
    def offset(self) -> int:
        """How far the old segment's first byte is past RCV.NXT (negative: before it)."""
        return seq_diff(self.old_seq, self.rcv_nxt)

    @property
    def inside(self) -> bool:
        """Does any byte of the old segment fall in [RCV.NXT, RCV.NXT + RCV.WND)?

        That is RFC 9293 §3.10.7.4's acceptability test for a segment with data:
        an old segment that passes it is taken as new data.
        """
        first, last = self.offset, self.offset + self.old_length - 1
        return 0 <= first < self.window or 0 <= last < self.window

    def __str__(self) -> str:
        where = "INSIDE" if self.inside else "outside"
        return (f"{self.isn} ISNs, new connection {self.gap:g} s later: ISN {self.old_isn} -> "
                f"{self.new_isn}; old segment SEQ={self.old_seq} is {where} the window "
                f"[{self.rcv_nxt}, {seq_add(self.rcv_nxt, self.window)})")


def isn_window(isn: IsnKind = "clock", gap: float = 1.0, *, first_isn: int = 100,
               old_offset: int = 1, old_length: int = 100, window: int = 65535,
               tick: float = TICK) -> WindowCheck:
    """Is a segment from the first connection acceptable in a second one ``gap`` seconds later?

    The client's first connection starts at ISN ``first_isn``; its data
    segment at ``first_isn + old_offset`` (``old_length`` bytes) is delayed.
    The second connection, between the same ports, opens ``gap`` seconds
    later with ISN ``first_isn`` again (``isn="fixed"``) or ``first_isn`` plus
    one per ``tick`` seconds, mod 2**32 (``isn="clock"``, RFC 9293 §3.4.1).
    """
    if isn not in ("fixed", "clock"):
        raise UsageError(f"isn must be 'fixed' or 'clock', got {isn!r}")
    validate.seconds("gap", gap)
    source = FixedISN(first_isn) if isn == "fixed" else ClockISN(first_isn, tick)
    old, new = source.next(0.0), source.next(float(gap))
    return WindowCheck(isn, float(gap), old, new, seq_add(old, old_offset), old_length, window)


def clock_danger(old_offset: int = 1, old_length: int = 100, window: int = 65535,
                 tick: float = TICK) -> tuple[float, float]:
    """With clock ISNs, the gaps ``[low, high)`` in seconds for which the old segment is inside.

    The new RCV.NXT is ``n + 1`` past the old ISN after ``n = gap // tick``
    ticks; the old segment is inside while some byte of it lies in the
    window, i.e. for ``old_offset - window <= n <= old_offset + old_length - 2``.
    A connection that sent many bytes (a large ``old_offset``) has run ahead
    of the clock, so the danger comes seconds later, not microseconds.
    (Ignores the wrap of the clock after :func:`wrap_time`.)
    """
    low = max(0, old_offset - window)
    high = old_offset + old_length - 1
    return (low * tick, high * tick) if high > low else (0.0, 0.0)


def wrap_time(tick: float = TICK) -> float:
    """Seconds until the ISN clock comes round again: 2**32 ticks.

    At exactly 4 µs that is 4.77 hours; RFC 9293 §3.4.1 says "approximately
    every 4.55 hours".  Not to be confused with one connection's data running
    through 2**32 numbers (§3.4.3, PAWS), which at 1 Gbps takes 34 s.
    """
    return SEQ_SPACE * tick


# -------------------------------------------------------------------- figures
_HANDSHAKE_COLOURS = {"two-way": "#b2182b", "three-way": "#2166ac"}


def _handshake_name(handshake: str) -> str:
    return handshake + (" (NOT TCP)" if handshake == "two-way" else " (TCP)")


def window_figure(gap: float = 1.0, **kwargs: Any) -> go.Figure:
    """A sequence-number line: the new window and the old segment, for fixed and clock ISNs."""
    from ..views import palette
    from ..views.plotlyfigure import make_figure  # plain dicts, built without validation

    checks = [isn_window(isn, gap, **kwargs) for isn in ("fixed", "clock")]
    data: list[dict[str, Any]] = []
    for row, check in enumerate(checks):
        base = check.old_isn
        start = seq_diff(check.rcv_nxt, base)
        colour = "#b2182b" if check.inside else "#1b7837"
        data.append(dict(
            type="bar", y=[f"{check.isn} ISN"], x=[check.window], base=[start], orientation="h",
            marker=dict(color="rgba(33,102,172,0.35)"), name="new connection's window",
            showlegend=row == 0, width=0.5,
            hovertemplate=f"window [{check.rcv_nxt}, {seq_add(check.rcv_nxt, check.window)})"
                          "<extra></extra>"))
        old = seq_diff(check.old_seq, base)
        data.append(dict(
            type="scatter", y=[f"{check.isn} ISN"], x=[old + check.old_length / 2],
            mode="markers+text",
            marker=dict(symbol="diamond", size=14, color=colour), name="old segment",
            showlegend=False, textposition="top right",
            text=["inside: taken as new data" if check.inside else "outside: dropped"],
            textfont=dict(color=colour),
            hovertemplate=f"old segment SEQ={check.old_seq}, {check.old_length} bytes"
                          "<extra></extra>"))
    verdicts = " / ".join(f"{c.isn}: {'inside' if c.inside else 'outside'}" for c in checks)
    ends = [x for c in checks for x in (seq_diff(c.rcv_nxt, c.old_isn),
                                        seq_diff(c.rcv_nxt, c.old_isn) + c.window,
                                        seq_diff(c.old_seq, c.old_isn) + c.old_length)]
    low, high = min(0, *ends), max(ends)
    pad = 0.08 * (high - low or 1)
    layout = palette.base_layout(f"New connection {gap:g} s after the old one ({verdicts})",
                                 320, legend=["new connection's window"], below=50)
    layout["margin"].update(l=90)
    layout.update(barmode="overlay",
                  xaxis=dict(title=dict(text="sequence number - first ISN"),
                             range=[low - 3 * pad, high + 3 * pad]),
                  yaxis=dict(autorange="reversed", range=[1.6, -0.6]))
    return make_figure(data, layout)


_QUANTITIES = {"unwanted_open": "opened for nobody (ESTABLISHED)",
               "unwanted": "late SYNs B acted on",
               "seconds": "server-seconds held"}
_AXIS_TITLES = {"unwanted_open": "opened for nobody", "unwanted": "late SYNs acted on",
                "seconds": "server-seconds held"}


def sweep_figure(results: Results, *, label: str | None = None,
                 quantity: str = "unwanted_open") -> go.Figure:
    """``quantity`` per 100 connections for both handshakes, against the grid's first setting.

    ``quantity`` is ``"unwanted_open"`` (connections the server counted as open
    that no client wanted, the default), ``"unwanted"`` or ``"seconds"``.
    """
    import plotly.graph_objects as go

    from ..views import palette

    validate.choice("quantity", quantity, tuple(_QUANTITIES))
    name = next(iter(results.grid))
    fig = go.Figure()
    for handshake in HANDSHAKES:
        mine = [p for p in results if p.settings["handshake"] == handshake]
        fig.add_trace(go.Scatter(
            x=[p.settings[name] for p in mine], y=[per_100(p, quantity) for p in mine],
            mode="lines+markers", name=_handshake_name(handshake),
            line=dict(color=_HANDSHAKE_COLOURS[handshake]),
            customdata=[[per_100(p, "unwanted")] for p in mine],
            hovertemplate="%{y:.1f} per 100 connections<br>"
                          "%{customdata[0]:.1f} late SYNs acted on<extra></extra>"))
    layout = palette.base_layout("What late SYN copies make the server do", 400,
                                 legend=[_handshake_name(h) for h in HANDSHAKES], below=50)
    top = max([per_100(p, quantity) for p in results] + [1.0])
    fig.update_layout(**layout, xaxis=dict(title=label or name, showgrid=True,
                                           gridcolor="#eeeeee"),
                      yaxis=dict(title=_AXIS_TITLES[quantity] + "<br>per 100 connections",
                                 range=[0, 1.15 * top], rangemode="tozero"))
    return fig


def compare_figure(results: Results) -> go.Figure:
    """Per 100 connections and handshake: late SYNs the server acted on, and how many it opened.

    The server-seconds held are written under each pair of bars.
    """
    import plotly.graph_objects as go

    from ..views import palette

    points = [p for h in HANDSHAKES for p in results if p.settings["handshake"] == h]
    labels = [f"{_handshake_name(p.settings['handshake'])}<br>{p.total('seconds'):.0f} s held"
              for p in points]
    fig = go.Figure()
    # Colour tells the handshakes apart; hatching tells "acted on" from "opened", and
    # shows in the legend too (a pale bar's legend swatch would be drawn solid).
    hatched = dict(shape="/", fillmode="replace", solidity=0.35, bgcolor="rgba(0,0,0,0)")
    for quantity, pattern in (("unwanted", hatched), ("unwanted_open", None)):
        fig.add_trace(go.Bar(
            x=labels, y=[per_100(p, quantity) for p in points], name=_QUANTITIES[quantity],
            marker=dict(color=[_HANDSHAKE_COLOURS[p.settings["handshake"]] for p in points],
                        pattern=pattern),
            hovertemplate="%{y:.1f} per 100 connections<extra>" + _QUANTITIES[quantity]
                          + "</extra>"))
    layout = palette.base_layout(
        f"Late SYN copies: acted on and opened ({results.runs} connections each)", 400,
        legend=[_QUANTITIES["unwanted"], _QUANTITIES["unwanted_open"]], below=60)
    top = max([per_100(p, "unwanted") for p in points] + [1.0])
    fig.update_layout(**layout, barmode="group",
                      yaxis=dict(title="per 100 connections", range=[0, 1.15 * top]))
    return fig
