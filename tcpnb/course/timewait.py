"""TIME-WAIT as an experiment: how often does a connection go wrong when TIME-WAIT is cut short?

Theory of operation
-------------------
RFC 9293 gives TIME-WAIT two jobs (§3.3.2): make sure the peer got the ACK of
its FIN, and keep delayed segments of a connection out of the next connection
between the same two ports.  Each job fails in its own way when TIME-WAIT is
too short, and this module counts both in many simulated runs:

1. **The peer's close ends in a reset.**  A's last ACK is lost (or overtaken by
   A's next SYN); B, in LAST-ACK, retransmits its FIN or sees A's new SYN, and
   A -- no longer in TIME-WAIT -- answers with RST.  B's connection ends with
   "connection reset" instead of a clean close (§3.10.7.1, §3.10.7.4).
2. **An old segment is accepted by the new connection.**  A late copy of a
   segment of the first connection arrives when A has already opened a new
   one on the same ports, lands exactly where the new connection expects its
   next byte, and is taken as new data (or an old FIN closes the new
   connection, or an old RST resets it).

A third thing is counted because the runs show it: **TIME-WAIT assassination**
(RFC 1337): a late copy of A's last ACK reaches B after B has closed, B answers
with RST, and the RST ends A's TIME-WAIT early.  ``rfc1337=True`` makes A
ignore RST in TIME-WAIT (Linux's ``net.ipv4.tcp_rfc1337``).

One run (:func:`reconnect`): A opens a connection to a listening B; each side
sends one data segment ``gap`` seconds after it is ESTABLISHED; A closes
``2 * gap`` seconds after opening and B closes as soon as A's FIN arrives; A
reconnects on the same ports *as soon as its TIME-WAIT is over*, and both
sides send again.  The network has a one-way ``delay`` plus uniform ``jitter``,
loses each segment with probability ``loss``, and copies each segment (except
SYNs) with probability ``duplicate``; a copy arrives at a random time within
an MSL of the original being sent, so no segment outlives the MSL.

Two choices make the hazards visible, and the notebook says so:

* ISNs are fixed (``isn="fixed"``): every connection starts at the same
  sequence numbers, the worst case of overlapping sequence spaces (RFC 1337
  §1: fast or long connections, where clock-driven ISNs cannot keep the
  spaces apart).  ``isn="clock"`` uses RFC 9293's 4-microsecond ISN clock.
* SYNs are never copied: a late SYN is the three-way handshake's business
  (notebook 02), and with fixed ISNs nothing could tell it from a new one.

Seeds are shared between settings (run ``k`` uses seed ``seed + k`` whatever
the TIME-WAIT length), so curves over TIME-WAIT lengths are smooth.

Nothing here imports plotly until :func:`figure` is called; the panels
are in :mod:`tcpnb.widgets.course_panels`.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..core import validate
from ..core.errors import UsageError
from ..core.isn import figure_pair
from ..core.options import IsnKind, ProfileName
from ..core.segment import Flags, Segment
from ..core.states import State
from ..sim.simulation import RecordLevel, Simulation
from ..sim.trace import Trace, Transmission
from ..sim.triggers import on_received, on_state
from .experiment import Experiment, Point, Results

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: What can go wrong when TIME-WAIT is cut short (see the module's docstring).
Failure = Literal["reset", "old_accepted", "assassinated"]
#: How A's side of a connection ends in :func:`request_then`.
Ending = Literal["shutdown", "close", "abort"]
_ENDINGS = ("shutdown", "close", "abort")
#: The failures, in the order the course names them, with a label for tables and plots.
FAILURES: dict[Failure, str] = {
    "reset": "peer's close ends in reset",
    "old_accepted": "old segment accepted by the new connection",
    "assassinated": "TIME-WAIT ended by a RST (RFC 1337)",
}
#: TIME-WAIT lengths (in multiples of the MSL) that :func:`sweep` tries by default.
MULTIPLES = (0.0, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0, 1.25, 1.5, 2.0)
# Which segments the network may copy, and how many of each per sender are candidates.
_COPYABLE = (("ACK", 16), ("FIN,ACK", 3), ("RST", 3))


# ------------------------------------------- what a close did (runs: scenarios.close)
def time_wait_holders(trace: Trace) -> list[str]:
    """The endpoints that entered TIME-WAIT during the run, in the order they did."""
    names: list[str] = []
    for r in trace.state_changes:
        if r.new is State.TIME_WAIT and r.endpoint not in names:
            names.append(r.endpoint)
    return names


def close_segments(trace: Trace) -> list[Transmission]:
    """The segments sent from the first FIN on: the close, as counted on the wire."""
    start = next((t.sent_at for t in trace.transmissions if t.segment.flags & Flags.FIN), None)
    if start is None:
        return []
    return [t for t in trace.transmissions if t.sent_at >= start]


def request_then(ending: Ending = "shutdown", *, request: int = 100, reply: int = 1000,
                 **net: Any) -> Trace:
    """A sends a request and at once ends its side; B answers with ``reply`` bytes, then closes.

    ``"shutdown"``: RFC 9293's CLOSE (a FIN; A still reads the reply).
    ``"close"``: the socket close(), the half-duplex close of §3.6.1 (MAY-1):
    a FIN, and B's reply draws a RST (SHLD-3).  ``"abort"``: what close() does
    with SO_LINGER set to a zero timeout (§3.10.5 ABORT, a RST at once).
    """
    if ending not in _ENDINGS:
        raise UsageError(f"ending must be one of {', '.join(map(repr, _ENDINGS))}, got {ending!r}")
    sim = Simulation(**net)
    a, b = sim.endpoint("A", isn=99), sim.endpoint("B", isn=299)
    b.listen()
    a.connect("B")
    a.send(request, at=on_state(State.ESTABLISHED))
    end = {"shutdown": a.shutdown, "close": a.close, "abort": a.abort}[ending]
    end(at=on_state(State.ESTABLISHED, delay=0.001))
    b.send(reply, at=on_received(request))
    b.close(at=on_state(State.CLOSE_WAIT, delay=0.001))
    return sim.run()


def _figure_12(sim: Simulation) -> Simulation:
    """A connects to a listening B, closes 1 s after ESTABLISHED, B 1 s after A's FIN (Figure 12)."""
    a, b = sim.endpoint("A", isn=99), sim.endpoint("B", isn=299)
    b.listen()
    a.connect("B")
    a.close(at=on_state(State.ESTABLISHED, delay=1.0))
    b.close(at=on_state(State.CLOSE_WAIT, delay=1.0))
    return sim


def unanswered_fin(*, profile: ProfileName = "rfc", **net: Any) -> Trace:
    """A closes first, B a second later, and no ACK from A reaches B any more.

    Every pure ACK A sends after the handshake is lost (as if the path from A
    to B had failed), so B's FIN is never acknowledged: B, in LAST-ACK, keeps
    retransmitting it until its own retry limit (R2, RFC 9293 §3.8.3) or
    until A, out of TIME-WAIT, answers a FIN with a RST.
    """
    sim = _figure_12(Simulation(profile=profile, **net))
    for nth in range(2, 40):  # the handshake's ACK is A's first; B retransmits far fewer times
        sim.drop("A", "ACK", nth=nth)
    return sim.run()


def assassination(*, rfc1337: bool = False, old_at: float = 5.0, **net: Any) -> Trace:
    """RFC 1337's Figure 1: an old duplicate reaches A in TIME-WAIT, and B's RST ends TIME-WAIT.

    A closes first (Figure 12); B, closed, no longer listens.  At ``old_at`` an
    old segment from B, <SEQ=255><ACK=33><CTL=ACK> as in RFC 1337, arrives at A.
    A answers it with an ACK; B, having no connection, answers that with a RST,
    which under RFC 9293's rule (§3.10.7.4) ends A's TIME-WAIT.  With
    ``rfc1337=True`` A ignores the RST (RFC 1337 fix F1).
    """
    sim = _figure_12(Simulation(rfc1337=rfc1337, **net))
    sim.inject(Segment(seq=255, ack=33, flags=Flags.ACK), src="B", dst="A",
               at=validate.seconds("old_at", old_at))
    return sim.run()


# ------------------------------------------------------------------- one run
def _check_runs(runs: int) -> int:
    return validate.whole("runs", runs, low=1)


def _add_copies(sim: Simulation, duplicate: float, lifetime: float, seed: int) -> None:
    """Let the network copy each non-SYN segment with probability ``duplicate``.

    The copy of a segment arrives up to ``lifetime`` seconds after it was sent.
    Drawn from a generator of its own, so the copies do not change the rest of
    the run's random decisions.
    """
    if not duplicate:
        return
    rng = random.Random(seed * 7919 + 17)
    for src in ("A", "B"):
        for flags, candidates in _COPYABLE:
            for nth in range(1, candidates + 1):
                if rng.random() < duplicate:
                    sim.duplicate(src, flags, nth=nth, after=rng.random() * lifetime)


def reconnect(*, time_wait: float, msl: float = 10.0, delay: float = 0.1,
              jitter: float = 0.0, loss: float = 0.05, duplicate: float = 0.1,
              gap: float = 1.0, isn: IsnKind = "fixed", rfc1337: bool = False, seed: int = 0,
              profile: ProfileName = "rfc", record: RecordLevel = "full") -> Trace:
    """One run of the experiment: a connection, A's close, and A's reconnect on the same ports.

    Args:
        time_wait: seconds A spends in TIME-WAIT (RFC 9293: 2 x ``msl``).
        msl: Maximum Segment Lifetime: no copy of a segment arrives later than this.
        delay, jitter: one-way delay is ``delay`` plus uniform [0, ``jitter``].  Jitter
            reorders segments sent close together (a FIN may overtake an ACK).
        loss: probability that a segment is lost.
        duplicate: probability that the network also delivers a late copy of a segment.
        gap: seconds between opening and sending (and again before A closes).
        isn: ``"fixed"`` (every connection reuses ISNs 100 and 300) or ``"clock"``.
        rfc1337: A ignores RST in TIME-WAIT (RFC 1337 fix F1).
        seed: fixes the run.
        profile: ``"rfc"`` or ``"linux"`` (timers, delayed ACK).
        record: how much the trace keeps (:class:`~tcpnb.sim.simulation.Simulation`);
            ``"changes"`` is all :func:`failures` reads, and what the experiment uses.
    """
    msl = validate.seconds("msl", msl)
    delay, jitter = validate.seconds("delay", delay), validate.seconds("jitter", jitter)
    duplicate = validate.number("duplicate", duplicate, 0.0, 1.0)
    gap = validate.seconds("gap", gap)
    sim = Simulation(delay=delay, jitter=jitter, loss=loss, seed=seed, profile=profile, msl=msl,
                     time_wait=validate.seconds("time_wait", time_wait), rfc1337=rfc1337,
                     record=record)
    a_isn, b_isn = figure_pair(isn)
    a, b = sim.endpoint("A", isn=a_isn), sim.endpoint("B", isn=b_isn)
    _add_copies(sim, duplicate, max(0.0, msl - delay - jitter), seed)
    b.listen(reopen=True)
    a.connect("B")
    a.connect("B", at=on_state(State.CLOSED))  # as soon as the ports are free again
    for k in (1, 2):
        a.send(100, at=on_state(State.ESTABLISHED, nth=k, delay=gap))
        b.send(100, at=on_state(State.ESTABLISHED, nth=k, delay=gap))
    # RFC 9293's CLOSE (shutdown()): a late copy of B's data is read, not answered with RST.
    a.shutdown(at=on_state(State.ESTABLISHED, delay=2 * gap))
    b.close(at=on_state(State.CLOSE_WAIT))
    return sim.run()


# ------------------------------------------------------------ classification
@dataclass(frozen=True, slots=True)
class Outcome:
    """Which failures one run showed."""

    reset: bool          # B's LAST-ACK ended otherwise than by the ACK of its FIN
    old_accepted: bool   # a segment of the first connection changed the second one
    assassinated: bool   # A's TIME-WAIT was ended by a RST

    @property
    def ok(self) -> bool:
        return not (self.reset or self.old_accepted or self.assassinated)


class _Incarnations:
    """Which connection (incarnation) each endpoint was in after each simulator event."""

    def __init__(self, trace: Trace) -> None:
        self._events: dict[str, list[int]] = {name: [] for name in trace.endpoints}
        self._values: dict[str, list[int]] = {name: [] for name in trace.endpoints}
        for r in trace.state_changes:
            self._events[r.endpoint].append(r.event)
            self._values[r.endpoint].append(r.incarnation)

    def at(self, name: str, event: int) -> int:
        k = bisect.bisect_right(self._events[name], event)
        return self._values[name][k - 1] if k else 0


def old_segments(trace: Trace) -> list[Transmission]:
    """Segments from an earlier connection of their sender that reached a later connection of their receiver."""
    inc = _Incarnations(trace)
    return [t for t in trace.transmissions if t.arrived_event is not None
            and inc.at(t.src, t.arrived_event) > t.incarnation
            and inc.at(t.dst, t.arrived_event) > inc.at(t.dst, t.sent_event)]


def old_accepted(trace: Trace) -> list[Transmission]:
    """The old segments (see :func:`old_segments`) that delivered data or changed a state."""
    old = {t.index: t for t in old_segments(trace)}
    if not old:
        return []
    hit = {d.source for d in trace.deliveries if d.source in old}
    by_arrival = {(t.dst, t.arrived_event): i for i, t in old.items()}
    hit |= {by_arrival[(r.endpoint, r.event)] for r in trace.state_changes
            if (r.endpoint, r.event) in by_arrival}
    return [old[i] for i in sorted(hit)]


def outcome(trace: Trace, closer: str = "A", peer: str = "B") -> Outcome:
    """Classify one run of :func:`reconnect` (``closer`` closes first, ``peer`` second)."""
    last_ack = next((r for r in trace.state_changes
                     if r.endpoint == peer and r.old is State.LAST_ACK), None)
    time_wait = next((r for r in trace.state_changes
                      if r.endpoint == closer and r.old is State.TIME_WAIT), None)
    return Outcome(
        reset=last_ack is not None and last_ack.cause != "rcv ACK of FIN",
        old_accepted=bool(old_accepted(trace)),
        assassinated=time_wait is not None and time_wait.cause == "rcv RST")


def entered_time_wait(trace: Trace, closer: str = "A") -> float | None:
    """When ``closer`` first entered TIME-WAIT, or ``None``."""
    return next((r.t for r in trace.state_changes
                 if r.endpoint == closer and r.new is State.TIME_WAIT), None)


def born_late(trace: Trace, closer: str = "A") -> list[Transmission]:
    """Old segments accepted by the new connection that were *sent* after ``closer`` entered TIME-WAIT.

    TIME-WAIT starts when the closer sends its last ACK; a segment sent later
    (the peer's retransmitted FIN, or a RST answering a late copy) can still
    live an MSL.  This is what the second MSL of 2 x MSL is there for.
    """
    start = entered_time_wait(trace, closer)
    return [] if start is None else [t for t in old_accepted(trace) if t.sent_at > start]


def syn_overtook_last_ack(trace: Trace, closer: str = "A", peer: str = "B") -> bool:
    """Whether ``closer``'s new SYN reached ``peer`` in LAST-ACK before ``closer``'s last ACK did."""
    syn = next((t for t in trace.transmissions if t.src == closer and t.incarnation == 2
                and t.segment.flags & Flags.SYN), None)
    acks = [t for t in trace.transmissions if t.src == closer and t.incarnation == 1
            and t.segment.flags == Flags.ACK]
    if syn is None or syn.arrived_at is None or not acks or acks[-1].arrived_at is None:
        return False
    return (syn.arrived_at < acks[-1].arrived_at
            and trace.state_at(peer, syn.arrived_at - 1e-6) is State.LAST_ACK)


def first_run(wanted: Callable[[Trace], Any], *, seed: int = 0, tries: int = 2000,
              **setup: Any) -> tuple[int, Trace]:
    """The first seed from ``seed`` whose :func:`reconnect` run satisfies ``wanted``, and its trace."""
    for k in range(seed, seed + _check_runs(tries)):
        trace = reconnect(seed=k, **setup)
        if wanted(trace):
            return k, trace
    raise UsageError(f"no run with seeds {seed} to {seed + tries - 1} is the one wanted")


# --------------------------------------------------------------- Monte Carlo
def failures(trace: Trace) -> dict[str, bool]:
    """Which of :data:`FAILURES` one run of :func:`reconnect` showed: the experiment's events."""
    found = outcome(trace)
    return {name: getattr(found, name) for name in FAILURES}


def _tallied(**settings: Any) -> Trace:
    """:func:`reconnect`, recording only what :func:`failures` reads (the same tallies, faster)."""
    return reconnect(**settings, record="changes")


def experiment(multiples: Iterable[float] = MULTIPLES, *, msl: float = 10.0,
               **setup: Any) -> Experiment:
    """:func:`reconnect` with TIME-WAIT = each of ``multiples`` x ``msl``, tallied by :func:`failures`.

    ``setup`` goes to every run (``delay``, ``loss``, ``duplicate``, ``rfc1337``, ``isn``...).
    """
    msl = validate.seconds("msl", msl)
    return Experiment(_tallied, failures, {"time_wait": [m * msl for m in multiples]},
                      {"msl": msl, **setup})


def failure_rates(time_wait: float, *, runs: int = 500, seed: int = 0, msl: float = 10.0,
                  **setup: Any) -> Point:
    """Run :func:`reconnect` ``runs`` times (seeds ``seed``, ``seed + 1``, ...) and count failures."""
    msl = validate.seconds("msl", msl)
    return Experiment(_tallied, failures, {"time_wait": [time_wait]},
                      {"msl": msl, **setup}).sweep(runs, seed).points[0]


def sweep(multiples: Iterable[float] = MULTIPLES, *, runs: int = 200, seed: int = 0,
          msl: float = 10.0, **setup: Any) -> Results:
    """:func:`failure_rates` for TIME-WAIT = each of ``multiples`` x ``msl``, on the same seeds."""
    return experiment(multiples, msl=msl, **setup).sweep(runs, seed)


def msl_multiples(results: Results) -> list[float]:
    """Each point's TIME-WAIT length in MSLs."""
    msl = float(results.fixed["msl"])
    return [p.settings["time_wait"] / msl if msl else math.inf for p in results]


def threshold(results: Results, failure: Failure, level: float = 0.0) -> float | None:
    """The shortest TIME-WAIT (in MSLs) from which every longer one measured has rate <= ``level``."""
    validate.choice("failure", failure, FAILURES)
    safe = None
    for x, point in sorted(zip(msl_multiples(results), results), key=lambda xp: -xp[0]):
        if point.rate(failure) > level:
            break
        safe = x
    return safe


# -------------------------------------------------------------------- views
# Okabe-Ito colours, as in the ladder (tcpnb.views.palette): vermillion, blue, reddish purple.
_COLOURS = {"reset": "#D55E00", "old_accepted": "#0072B2", "assassinated": "#CC79A7"}
_SYMBOLS = {"reset": "circle", "old_accepted": "square", "assassinated": "diamond"}


def figure(results: Results, title: str | None = None, height: int = 460) -> go.Figure:
    """Failure rates against TIME-WAIT length (in MSLs), with 95 % intervals.

    A failure that never happened at any length is left out of the figure.
    Built as one specification and validated once: a panel redraws it often.
    """
    import plotly.graph_objects as go

    from ..views import palette

    xs = msl_multiples(results)
    data, drawn = [], []
    for name, label in FAILURES.items():
        ys = [p.rate(name) for p in results]
        if name == "assassinated" and not any(ys):
            continue
        drawn.append(label)
        low_high = [p.interval(name) for p in results]
        data.append(dict(
            type="scatter", x=xs, y=ys, mode="lines+markers", name=label,
            line=dict(color=_COLOURS[name], width=2.5,
                      dash="dot" if name == "assassinated" else "solid"),
            marker=dict(symbol=_SYMBOLS[name], size=8),
            error_y=dict(type="data", symmetric=False, thickness=1.2,
                         array=[hi - y for (_, hi), y in zip(low_high, ys)],
                         arrayminus=[y - lo for (lo, _), y in zip(low_high, ys)]),
            hovertemplate="TIME-WAIT %{x:.2f} x MSL: %{y:.1%} of runs<extra>" + label
                          + "</extra>"))
    marks = ((1.0, "1 × MSL"), (2.0, "2 × MSL (RFC)"))
    layout = palette.base_layout(
        title or f"What goes wrong when A reconnects right after TIME-WAIT "
                 f"(MSL = {results.fixed['msl']:g} s, {results.runs} "
                 f"run{'' if results.runs == 1 else 's'} per point)", height, legend=drawn, below=50)
    layout.update(
        xaxis=dict(title="TIME-WAIT length (multiples of the MSL)", showgrid=True,
                   gridcolor="#eeeeee", range=[-0.05, max(xs + [2.0]) + 0.1]),
        yaxis=dict(title="share of runs", tickformat=".0%", rangemode="tozero", showgrid=True,
                   gridcolor="#eeeeee"),
        shapes=[dict(type="line", xref="x", yref="paper", x0=x, x1=x, y0=0, y1=1,
                     line=dict(color="#777777", dash="dash", width=1)) for x, _ in marks],
        # inside the plot, under its top edge: the title and legend keep the margins
        annotations=[dict(xref="x", yref="paper", x=x, y=1, text=text, showarrow=False,
                          xanchor="right", yanchor="top", xshift=-3) for x, text in marks])
    return go.Figure(dict(data=data, layout=layout))


def describe(results: Results) -> str:
    """One sentence per failure: from which measured TIME-WAIT length on it no longer happened."""
    lines = []
    last, longest = max(zip(msl_multiples(results), results), key=lambda xp: xp[0])
    for name, label in FAILURES.items():
        if not any(p.rate(name) for p in results):
            lines.append(f"{label}: never, at any length tried")
            continue
        safe = threshold(results, name)
        lines.append(f"{label}: none from {safe:g} x MSL on" if safe is not None
                     else f"{label}: still {longest.rate(name):.1%} at {last:g} x MSL")
    return "; ".join(lines) + "."
