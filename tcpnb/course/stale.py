"""Stale requests: what an old duplicate SYN costs a server, and why ISNs come from a clock.

Two experiments for the course's notebook 02 ("why not two messages?"):

* :func:`experiment` runs many short connections over a network that keeps a
  copy of some segments and delivers it late (``duplicate``, ``lag``).  A late
  copy of a SYN reaches the server after the real connection is over.  The
  experiment counts the connections the server then set up that no client
  wanted (:func:`tcpnb.sim.analysis.unwanted`), and the seconds it held them,
  for the two-way variant (NOT TCP: the server is open on the SYN alone) and
  for TCP's three-way handshake.
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
from ..core.segment import SEQ_SPACE, seq_add, seq_diff
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
    return connection(handshake, duplicate=duplicate, duplicate_lag=lag, **net)


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
    """Seconds until the ISN clock comes round again: 2**32 ticks (about 4.8 hours at 4 µs)."""
    return SEQ_SPACE * tick


# -------------------------------------------------------------------- figures
_HANDSHAKE_COLOURS = {"two-way": "#b2182b", "three-way": "#2166ac"}


def _handshake_name(handshake: str) -> str:
    return handshake + (" (NOT TCP)" if handshake == "two-way" else " (TCP)")


def window_figure(gap: float = 1.0, **kwargs: Any) -> go.Figure:
    """A sequence-number line: the new window and the old segment, for fixed and clock ISNs."""
    import plotly.graph_objects as go

    from ..views import palette

    checks = [isn_window(isn, gap, **kwargs) for isn in ("fixed", "clock")]
    fig = go.Figure()
    for row, check in enumerate(checks):
        base = check.old_isn
        start = seq_diff(check.rcv_nxt, base)
        colour = "#b2182b" if check.inside else "#1b7837"
        fig.add_trace(go.Bar(
            y=[f"{check.isn} ISN"], x=[check.window], base=[start], orientation="h",
            marker_color="rgba(33,102,172,0.35)", name="new connection's window",
            showlegend=row == 0, width=0.5,
            hovertemplate=f"window [{check.rcv_nxt}, {seq_add(check.rcv_nxt, check.window)})"
                          "<extra></extra>"))
        old = seq_diff(check.old_seq, base)
        fig.add_trace(go.Scatter(
            y=[f"{check.isn} ISN"], x=[old + check.old_length / 2], mode="markers+text",
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
    fig.update_layout(**layout, barmode="overlay",
                      xaxis=dict(title="sequence number - first ISN",
                                 range=[low - 3 * pad, high + 3 * pad]),
                      yaxis=dict(autorange="reversed", range=[1.6, -0.6]))
    return fig


def sweep_figure(results: Results, *, label: str | None = None) -> go.Figure:
    """Server-seconds held for unwanted connections per 100 connections (log scale).

    The x axis is the grid's first setting.  A point with no waste at all has no
    place on a log scale and is left out.
    """
    import plotly.graph_objects as go

    from ..views import palette

    name = next(iter(results.grid))
    fig = go.Figure()
    for handshake in HANDSHAKES:
        mine = [p for p in results if p.settings["handshake"] == handshake]
        fig.add_trace(go.Scatter(
            x=[p.settings[name] for p in mine], y=[per_100(p, "seconds") or None for p in mine],
            mode="lines+markers", name=_handshake_name(handshake),
            line=dict(color=_HANDSHAKE_COLOURS[handshake]),
            customdata=[[per_100(p, "unwanted")] for p in mine],
            hovertemplate="%{y:.1f} s per 100 connections<br>"
                          "%{customdata[0]:.1f} unwanted connections<extra></extra>"))
    layout = palette.base_layout("What late SYN copies cost the server", 400,
                                 legend=[_handshake_name(h) for h in HANDSHAKES], below=50)
    fig.update_layout(**layout, xaxis=dict(title=label or name, showgrid=True,
                                           gridcolor="#eeeeee"),
                      yaxis=palette.log_axis([per_100(p, "seconds") for p in results],
                                             "server-seconds held<br>per 100 connections"))
    return fig


def compare_figure(results: Results) -> go.Figure:
    """Two bars: server-seconds held for unwanted connections per 100 connections (log scale).

    Each bar's numbers (unwanted connections, seconds held) are written under it.
    """
    import plotly.graph_objects as go

    from ..views import palette

    points = [p for h in HANDSHAKES for p in results if p.settings["handshake"] == h]
    labels = [f"{_handshake_name(p.settings['handshake'])}<br>{p.total('unwanted'):.0f} unwanted, "
              f"{p.total('seconds'):.0f} s held" for p in points]
    values = [max(per_100(p, "seconds"), 0.01) for p in points]
    fig = go.Figure(go.Bar(
        x=labels, y=values, marker_color=[_HANDSHAKE_COLOURS[p.settings["handshake"]] for p in points],
        hovertemplate="%{y:.1f} s per 100 connections<extra></extra>"))
    layout = palette.base_layout(
        f"Server time held for connections nobody wanted ({results.runs} connections each)", 400,
        below=60)
    fig.update_layout(**layout, yaxis=palette.log_axis(values + [1.0], "server-seconds<br>"
                                                                      "per 100 connections"))
    return fig
