"""A deterministic discrete-event simulator that runs endpoints over a network.

The simulator owns what the endpoints must not: the clock, the randomness, the
links, and the application that calls ``connect()`` and ``close()``.  Its core
is a heap of events ``(time, tie-breaker, handler, arguments)``: :meth:`~Simulation.step`
pops the earliest, advances the clock and calls the handler with its arguments
(SimPy's design); :meth:`~Simulation.peek` tells when the next event
is; :meth:`~Simulation.run` steps until nothing is left (or until a time).  The
tie-breaker is a counter, so equal times run in the order they were scheduled
and a seed fixes the whole run.

    sim = Simulation(delay=1.0, seed=0)
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=300)
    b.listen()
    a.connect("B")
    trace = sim.run()
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from typing import Any, Callable, Literal

from ..core import profiles as _profiles
from ..core import validate
from ..core.endpoint import Endpoint, Handshake
from ..core.options import HandshakeName, ProfileName
from ..core.errors import BudgetExceeded, UsageError
from ..core.isn import IsnSource, as_source
from ..core.outputs import (
    Delivered,
    Notice,
    Output,
    StateChanged,
    TimerCancelled,
    TimerFired,
    TimerSet,
    Transmit,
)
from ..core.segment import SEQ_SPACE, Flags, Segment
from ..core.states import State
from .network import Fault, Link, SegmentPattern
from .recorder import ChangesRecorder, OutcomeRecorder, Recorder
from .sockets import SimEndpoint, stream_bytes
from .trace import DeliveryRecord, Fate, NoticeRecord, Origin, StateRecord, Trace
from .triggers import LONGEST, MOST, OnReceived, OnState, When, check_at

__all__ = ["Simulation", "SimEndpoint", "stream_bytes"]

Handler = Callable[..., None]
#: How much a run records (see :class:`Simulation`).
RecordLevel = Literal["full", "changes", "outcome"]
_RECORDERS = {"full": Recorder, "changes": ChangesRecorder, "outcome": OutcomeRecorder}


class Simulation:
    """Endpoints, a network between them, and a clock.

    Args:
        delay: one-way delay in seconds (>= 0).
        jitter: extra delay, uniform in [0, jitter] seconds, drawn per segment.
        loss: probability in [0, 1] that a segment is lost.
        seed: fixes every random decision of the run.
        profile: ``profiles.RFC`` (default), ``profiles.LINUX`` or their names.
        duplicate: probability in [0, 1] that the network also delivers a second copy.
        duplicate_lag: a copy arrives up to this many seconds after the original
            (default: the profile's MSL, the longest a segment may live).
        max_events: a budget; a run that needs more raises :class:`BudgetExceeded`.
        record: ``"full"`` (default) records everything the views show;
            ``"changes"`` what a Monte-Carlo tally reads: state changes,
            deliveries, notices, application calls, and only the transmissions
            whose arrival changed something (no timers);
            ``"outcome"`` keeps only each endpoint's last state change, for
            Monte-Carlo runs that tally how runs ended (memory stays constant).
        **overrides: any :class:`~tcpnb.profiles.Profile` field, e.g. ``msl=5.0``.
    """

    def __init__(self, delay: float = 0.1, jitter: float = 0.0, loss: float = 0.0, seed: int = 0,
                 profile: _profiles.Profile | ProfileName = "rfc",
                 duplicate: float = 0.0, duplicate_lag: float | None = None,
                 max_events: int = 100_000, record: RecordLevel = "full",
                 **overrides: Any) -> None:
        self.profile = _profiles.get(profile).replace(**overrides)
        validate.whole("seed", seed, low=-(2**63), high=2**63)
        validate.whole("max_events", max_events, 1, 10**9)
        lag = self.profile.msl if duplicate_lag is None else duplicate_lag
        self.rng = random.Random(seed)
        self.link = Link(delay, jitter, loss, duplicate, lag, self.rng)
        self.params = dict(delay=self.link.delay, jitter=self.link.jitter, loss=self.link.loss,
                           seed=seed, profile=self.profile.name, duplicate=self.link.duplicate)
        self.max_events = max_events
        self.now = 0.0
        self.events_processed = 0
        self.recorder = _RECORDERS[validate.choice("record", record, tuple(_RECORDERS))]()
        self.outcome_only = record == "outcome"
        self._queue: list[tuple[float, int, Handler, tuple[Any, ...]]] = []
        self._counter = itertools.count()
        self._endpoints: dict[str, SimEndpoint] = {}
        self._by_port: dict[int, SimEndpoint] = {}
        self._accepted: dict[tuple[int, int], SimEndpoint] = {}  # (port, remote port) -> socket
        self._arriving: int | None = None  # the transmission being delivered right now

    # ---------------------------------------------------------------- set-up
    def endpoint(self, name: str, isn: int | IsnSource = 0, port: int | None = None,
                 handshake: Handshake | HandshakeName = Handshake.THREE_WAY) -> SimEndpoint:
        """Add an endpoint called ``name`` with its initial sequence numbers from ``isn``."""
        if not isinstance(name, str) or not name or name in self._endpoints or ":" in name:
            raise UsageError(f"name must be a new, non-empty string without ':', got {name!r}")
        port = 1000 + len(self._by_port) + 1 if port is None else port
        validate.whole("port", port, 1, 65535)
        if port in self._by_port:
            raise UsageError(f"port {port} is already used by {self._by_port[port].name!r}")
        if not isinstance(handshake, Handshake):
            handshake = Handshake(validate.choice("handshake", handshake, ("three-way", "two-way")))
        endpoint = Endpoint(port, self.profile, as_source(isn), handshake)
        handle = SimEndpoint(self, name, endpoint)
        self._endpoints[name] = handle
        self._by_port[port] = handle
        return handle

    def _get(self, name: str, what: str = "endpoint") -> SimEndpoint:
        if not isinstance(name, str) or name not in self._endpoints:
            known = ", ".join(map(repr, self._endpoints)) or "none yet"
            raise UsageError(f"{what}: unknown endpoint {name!r}; known: {known}")
        return self._endpoints[name]

    def __getitem__(self, name: str) -> SimEndpoint:
        return self._get(name)

    @property
    def sockets(self) -> tuple[SimEndpoint, ...]:
        """Every endpoint, with the connections a socket server accepted ("B:1", ...)."""
        return tuple(self._endpoints.values())

    def inject(self, segment: Segment, src: str, dst: str, at: float) -> None:
        """Make ``segment`` arrive at ``dst`` at time ``at``, as if ``src`` sent it long ago."""
        source, target = self._get(src, "src"), self._get(dst, "dst")
        at = validate.seconds("at", at, self.now, LONGEST)
        segment = _checked(segment)
        if segment.dst_port not in (None, target.endpoint.port):
            raise UsageError(f"segment.dst_port must be None or dst's port "
                             f"{target.endpoint.port}, got {segment.dst_port!r}")
        ports = dict(src_port=segment.src_port or source.endpoint.port,
                     dst_port=segment.dst_port or target.endpoint.port)
        segment = Segment(segment.seq, segment.ack, segment.flags, segment.data, segment.window,
                          **ports)
        self._schedule(at, self._send_injected, segment, src, target.name, at)

    def drop(self, src: str, flags: str, nth: int = 1) -> None:
        """Lose the ``nth`` segment from ``src`` whose control bits are ``flags``.

        ``flags`` is e.g. ``"SYN"``, ``"SYN,ACK"``, ``"FIN,ACK"``, ``"ACK"`` (a pure
        ACK or data) or ``"DATA"``; see :class:`~tcpnb.sim.network.SegmentPattern`.
        """
        self._add_fault(src, flags, nth, "drop", 0.0)

    def hold(self, src: str, flags: str, nth: int = 1, by: float = 1.0) -> None:
        """Deliver the ``nth`` matching segment from ``src`` ``by`` seconds late."""
        self._add_fault(src, flags, nth, "hold", validate.seconds("by", by, 0.0, LONGEST))

    def duplicate(self, src: str, flags: str, nth: int = 1, after: float = 1.0) -> None:
        """Deliver the ``nth`` matching segment, and a copy of it ``after`` seconds later."""
        self._add_fault(src, flags, nth, "copy", validate.seconds("after", after, 0.0, LONGEST))

    def _add_fault(self, src: str, flags: str, nth: int, action: str, seconds: float) -> None:
        self._get(src, "src")
        validate.whole("nth", nth, 1, MOST)
        self.link.add_fault(Fault(src, SegmentPattern.parse(flags), nth, action, seconds))

    # ------------------------------------------------------------- event loop
    def _schedule(self, t: float, handler: Handler, *arguments: Any) -> None:
        heapq.heappush(self._queue, (t, next(self._counter), handler, arguments))

    def _at(self, ep: SimEndpoint, at: When, handler: Handler, **arguments: Any) -> None:
        at = check_at(at, self.now)
        if isinstance(at, (OnState, OnReceived)):
            ep.waiting.append((at, handler, arguments))
        else:
            self._schedule(float(at), _call, handler, arguments)

    def peek(self) -> float:
        """The time of the next event, or ``math.inf`` if nothing is left to happen."""
        return self._queue[0][0] if self._queue else math.inf

    def step(self) -> None:
        """Process the next event: advance the clock to it and act on it.

        Raises:
            UsageError: nothing is left to happen (check :meth:`peek` first).
            BudgetExceeded: the run has used up its ``max_events``.
        """
        if not self._queue:
            raise UsageError("step(): nothing is left to happen; peek() returns inf")
        t, _, handler, arguments = heapq.heappop(self._queue)
        self.now = t
        self.events_processed += 1
        if self.events_processed > self.max_events:
            raise BudgetExceeded(f"the run needed more than max_events={self.max_events} "
                                 "events; pass a larger max_events= if that is expected")
        handler(*arguments)

    def run(self, until: float | None = None) -> Trace:
        """Run until nothing is left to happen (or until time ``until``); return the trace."""
        if until is not None:
            until = validate.seconds("until", until, self.now, LONGEST)
        queue, budget, pop = self._queue, self.max_events, heapq.heappop
        while queue and (until is None or queue[0][0] <= until):
            # step(), written out: this loop runs once per event of every run
            t, _, handler, arguments = pop(queue)
            self.now = t
            self.events_processed += 1
            if self.events_processed > budget:
                raise BudgetExceeded(f"the run needed more than max_events={budget} "
                                     "events; pass a larger max_events= if that is expected")
            handler(*arguments)
        if until is not None:
            self.now = until
        return self.trace(until)

    def trace(self, until: float | None = None) -> Trace:
        """The trace of everything so far (``until``: the time it ends at, default the last event).

        Its endpoints are in the order they were added, each server followed by
        the connections it accepted ("B", "B:1", "B:2").
        """
        names = [name for ep in self._endpoints.values() if ep.parent is None
                 for name in (ep.name, *(c.name for c in ep.connections))]
        return self.recorder.trace(tuple(names), self.now, until,
                                   dict(self.params, profile_obj=self.profile))

    # --------------------------------------------------------------- handling
    def _handle(self, ep: SimEndpoint, outputs: list[Output]) -> None:
        """Act on what an endpoint returned: transmit, record, re-arm its timer."""
        now, name, recorder, lean = self.now, ep.name, self.recorder, self.outcome_only
        for out in outputs:
            kind = type(out)  # one lookup per output: this loop runs for every event
            if kind is Transmit:
                self._transmit(ep, out)  # type: ignore[arg-type]
            elif kind is StateChanged:
                self._on_state(ep, out)  # type: ignore[arg-type]
            elif lean and kind is not Delivered:
                continue  # timers and notices are not part of an outcome
            elif kind is TimerSet:
                recorder.timer(name, out.name, now, "restarted", out.deadline)  # type: ignore
            elif kind is TimerCancelled or kind is TimerFired:
                outcome = "cancelled" if kind is TimerCancelled else "fired"
                recorder.timer(name, out.name, now, outcome, None)  # type: ignore[union-attr]
            elif kind is Delivered:
                self._delivered(ep, out)  # type: ignore[arg-type]
            elif kind is Notice:
                recorder.notice(NoticeRecord(now, name, out.message,  # type: ignore[union-attr]
                                             self.events_processed))
        deadline = ep.endpoint.timer_deadline
        if deadline is not None and (ep.wake_at is None or deadline < ep.wake_at):
            ep.wake_at = deadline  # a later deadline is picked up when this wake comes
            self._schedule(deadline, self._wake, ep)

    def _delivered(self, ep: SimEndpoint, out: Delivered) -> None:
        if not self.outcome_only:
            self.recorder.delivery(DeliveryRecord(self.now, ep.name, out.data,
                                                  ep.endpoint.incarnation,
                                                  self.events_processed, self._arriving))
        ep.received_bytes += len(out.data)
        self._check_waiting(ep)
        if ep.parent is not None:  # a server's triggers see what its connections receive
            ep.parent.received_bytes += len(out.data)
            self._check_waiting(ep.parent, source=ep)

    def _on_state(self, ep: SimEndpoint, out: StateChanged) -> None:
        self.recorder.state(StateRecord(self.now, ep.name, out.old, out.new, out.cause, out.iss,
                                        out.irs, ep.endpoint.incarnation, self.events_processed))
        ep.entries[out.new] = ep.entries.get(out.new, 0) + 1
        self._check_waiting(ep, out.new)
        if ep.parent is not None:  # a server's triggers see its connections' states
            parent = ep.parent
            parent.entries[out.new] = parent.entries.get(out.new, 0) + 1
            self._check_waiting(parent, out.new, source=ep)
            if out.new is State.CLOSED:
                self._accepted = {key: s for key, s in self._accepted.items() if s is not ep}
        if out.new is State.CLOSED and ep.reopen:
            ep._do_listen(reopen=True, accept=False)  # at once: a SYN now finds LISTEN

    def _check_waiting(self, ep: SimEndpoint, entered: State | None = None,
                       source: SimEndpoint | None = None) -> None:
        """Schedule ``ep``'s calls whose trigger has fired; ``source`` is where it happened."""
        if not ep.waiting:
            return
        still = []
        for when, handler, arguments in ep.waiting:
            if (isinstance(when, OnState) and when.state is entered
                    and ep.entries.get(entered, 0) == when.nth) or (
                    isinstance(when, OnReceived) and ep.received_bytes >= when.nbytes):
                if source is not None and source is not ep:  # one of a server's connections
                    arguments = dict(arguments, via=source)
                self._schedule(self.now + when.delay, _call, handler, arguments)
            else:
                still.append((when, handler, arguments))
        ep.waiting = still

    def _wake(self, ep: SimEndpoint) -> None:
        if ep.wake_at != self.now:
            return  # superseded by an earlier wake that has already run
        ep.wake_at = None
        deadline = ep.endpoint.timer_deadline
        if deadline is not None and deadline <= self.now:
            self._handle(ep, ep.endpoint.on_timer(self.now))
        elif deadline is not None:
            ep.wake_at = deadline
            self._schedule(deadline, self._wake, ep)

    # ------------------------------------------------------------- the wire
    def _receiver(self, segment: Segment, create: bool = False) -> SimEndpoint | None:
        """The socket a segment is for: an accepted connection, else the port's endpoint.

        With ``create``, a SYN that reaches a listening socket server gets a new
        connection of its own (``"B:1"``, ``"B:2"``, ...).
        """
        ep = self._by_port.get(segment.dst_port)  # type: ignore[arg-type]
        if ep is None or not (ep.accepting or ep.connections):
            return ep
        accepted = self._accepted.get((ep.endpoint.port, segment.src_port))  # type: ignore
        if accepted is not None:
            return accepted
        if (create and ep.accepting and ep.state is State.LISTEN
                and segment.flags & (Flags.SYN | Flags.ACK | Flags.RST) == Flags.SYN):
            return self._accept(ep, segment.src_port)  # type: ignore[arg-type]
        return ep

    def _accept(self, listener: SimEndpoint, remote_port: int) -> SimEndpoint:
        name = f"{listener.name}:{len(listener.connections) + 1}"
        connection = SimEndpoint(self, name, listener.endpoint.accept_copy(), parent=listener)
        connection.opened = True
        listener.connections.append(connection)
        self._endpoints[name] = connection
        self._accepted[(listener.endpoint.port, remote_port)] = connection
        return connection

    def _transmit(self, ep: SimEndpoint, out: Transmit) -> None:
        segment = out.segment
        target = self._by_port.get(segment.dst_port)  # type: ignore[arg-type]
        if target is not None and (target.accepting or target.connections):
            target = self._receiver(segment)
        if target is None:
            return  # addressed to no endpoint of this simulation
        verdict = self.link.decide(ep.name, segment)
        now = self.now
        origin = Origin.RETRANSMISSION if out.retransmission else Origin.ORIGINAL
        delivered = verdict.fate is Fate.DELIVERED
        # Arrivals are rounded to the nanosecond, so 0.1 + 0.2 is the 0.3 a reader expects.
        arrival = round(now + verdict.delay, 9) if delivered else None
        event, recorder, incarnation = self.events_processed, self.recorder, ep.endpoint.incarnation
        index = recorder.transmission(now, arrival, ep.name, target.name, segment, verdict.fate,
                                      origin, incarnation, event)
        if arrival is not None:
            self._schedule(arrival, self._arrive, segment, index)
        if verdict.duplicate_after is not None:
            copy_at = round(now + verdict.duplicate_after, 9)
            index = recorder.transmission(now, copy_at, ep.name, target.name, segment,
                                          Fate.DELIVERED, Origin.DUPLICATE, incarnation, event)
            self._schedule(copy_at, self._arrive, segment, index)

    def _send_injected(self, segment: Segment, src: str, dst: str, at: float) -> None:
        index = self.recorder.transmission(max(0.0, at - self.link.delay), at, src, dst, segment,
                                           Fate.DELIVERED, Origin.INJECTED, 0,
                                           self.events_processed)
        self._arrive(segment, index)

    def _arrive(self, segment: Segment, index: int) -> None:
        ep = self._by_port.get(segment.dst_port)  # type: ignore[arg-type]
        if ep is not None and (ep.accepting or ep.connections):
            ep = self._receiver(segment, create=True)
        if ep is None:
            return
        self.recorder.arrival(index, ep.name, self.events_processed, self.now)
        self._arriving = index
        self._handle(ep, ep.endpoint.receive(segment, self.now))
        self._arriving = None


def _call(handler: Handler, arguments: dict[str, Any]) -> None:
    """An application call that comes due: its arguments go by name."""
    handler(**arguments)


def _checked(segment: Segment) -> Segment:
    """``segment`` if every field is something a TCP header can carry; a UsageError if not."""
    if not isinstance(segment, Segment):
        raise UsageError(f"segment must be a tcpnb.Segment, got {segment!r}")
    if not isinstance(segment.flags, Flags):
        raise UsageError(f"segment.flags must be tcpnb.Flags such as Flags.SYN | Flags.ACK, "
                         f"got {segment.flags!r}")
    validate.whole("segment.seq", segment.seq, 0, SEQ_SPACE - 1)
    validate.whole("segment.ack", segment.ack, 0, SEQ_SPACE - 1)
    validate.whole("segment.window", segment.window, 0, 65535)
    if not isinstance(segment.data, bytes):
        raise UsageError(f"segment.data must be bytes, got {segment.data!r}")
    validate.whole("len(segment.data)", len(segment.data), 0, 65535)
    for field in ("src_port", "dst_port"):
        value = getattr(segment, field)
        if value is not None:
            validate.whole(f"segment.{field}", value, 1, 65535)
    return segment
