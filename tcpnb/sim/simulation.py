"""A deterministic discrete-event simulator that runs endpoints over a network.

The simulator owns what the endpoints must not: the clock, the randomness, the
links, and the application that calls ``connect()`` and ``close()``.  Its core
is a heap of ``(time, tie-breaker, action, argument)``: pop the earliest,
advance the clock, run the action (SimPy's design).  The tie-breaker is a
counter, so equal times run in the order they were scheduled and a seed fixes
the whole run.

    sim = Simulation(delay=1.0, seed=0)
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=300)
    b.listen()
    a.connect("B")
    trace = sim.run()
"""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import replace
from typing import Any, Callable

from ..core import profiles as _profiles
from ..core import validate
from ..core.endpoint import Endpoint, Handshake
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
from ..core.segment import Segment
from ..core.states import State
from .network import Fault, Link, SegmentPattern
from .trace import (
    AppCall,
    DeliveryRecord,
    Fate,
    NoticeRecord,
    Origin,
    StateRecord,
    TimerSpan,
    Trace,
    Transmission,
)
from .triggers import OnReceived, OnState, When, check_at

Action = Callable[[Any], None]


def stream_bytes(name: str, incarnation: int, offset: int, n: int) -> bytes:
    """Recognisable payload: ``n`` bytes of ``name``'s stream from ``offset``.

    Each incarnation writes a different pattern, so a byte from an old
    incarnation that lands in a new one can be told apart.
    """
    start = (ord(name[0]) + 37 * incarnation + offset) % 256
    return (_ALL_BYTES * (n // 256 + 2))[start:start + n]


_ALL_BYTES = bytes(range(256))


class SimEndpoint:
    """An endpoint inside a :class:`Simulation`: the application's handle on one socket."""

    def __init__(self, sim: Simulation, name: str, endpoint: Endpoint) -> None:
        self.sim, self.name, self.endpoint = sim, name, endpoint
        self.reopen = False
        self.opened = False  # has any open been scheduled (guards send-before-connect)
        self.received_bytes = 0
        self.entries: dict[State, int] = {}  # how often each state was entered
        self.sent_offset = 0
        self.waiting: list[tuple[OnState | OnReceived, Action, Any]] = []
        self.wake_at: float | None = None

    @property
    def state(self) -> State:
        """The endpoint's state now (during or after a run)."""
        return self.endpoint.state

    def __repr__(self) -> str:
        return f"<SimEndpoint {self.name} port={self.endpoint.port} {self.state}>"

    # Application calls: each takes at= (a time in seconds, or a trigger).
    def listen(self, at: When = 0.0, reopen: bool = False) -> None:
        """Passive OPEN.  With ``reopen=True`` the server listens again after each connection."""
        self.opened = True
        self.sim._at(self, at, self._do_listen, reopen)

    def connect(self, peer: str, at: When = 0.0) -> None:
        """Active OPEN towards endpoint ``peer``."""
        port = self.sim._get(peer, "peer").endpoint.port
        self.opened = True
        self.sim._at(self, at, self._do_connect, (peer, port))

    def send(self, data: int | bytes, at: When = 0.0) -> None:
        """Send ``data`` (bytes, or a number of bytes to make up)."""
        if not self.opened:
            raise UsageError(f"{self.name}.send(): call connect() or listen() first")
        if isinstance(data, bool) or not isinstance(data, (int, bytes)) or (
                isinstance(data, int) and data < 1) or data == b"":
            raise UsageError(f"data must be bytes or a whole number >= 1, got {data!r}")
        self.sim._at(self, at, self._do_send, data)

    def close(self, at: When = 0.0) -> None:
        """CLOSE: "I have no more to send"; the endpoint can still receive."""
        self._require_open("close")
        self.sim._at(self, at, self._call, ("close", self.endpoint.close))

    def abort(self, at: When = 0.0) -> None:
        """ABORT: send RST (where there is a connection) and forget it."""
        self._require_open("abort")
        self.sim._at(self, at, self._call, ("abort", self.endpoint.abort))

    def crash(self, at: When = 0.0) -> None:
        """The host reboots: all connection state is lost, nothing is sent."""
        self.sim._at(self, at, self._do_crash, None)

    def _require_open(self, call: str) -> None:
        if not self.opened:
            raise UsageError(f"{self.name}.{call}(): call connect() or listen() first")

    # What the calls do when their time comes.
    def _record(self, call: str, detail: str = "", data: bytes = b"") -> None:
        self.sim._app_calls.append(AppCall(self.sim.now, self.name, call, detail, data,
                                           self.sim.events_processed))

    def _call(self, arg: tuple[str, Callable[[float], list[Output]]]) -> None:
        call, method = arg
        self._record(call)
        self.sim._handle(self, method(self.sim.now))

    def _do_listen(self, reopen: bool) -> None:
        self.reopen = reopen
        self._record("listen")
        self.sim._handle(self, self.endpoint.open_passive(self.sim.now))

    def _do_connect(self, arg: tuple[str, int]) -> None:
        peer, port = arg
        self._record("connect", peer)
        self.sim._handle(self, self.endpoint.open_active(port, self.sim.now))

    def _do_send(self, data: int | bytes) -> None:
        if isinstance(data, int):
            data = stream_bytes(self.name, self.endpoint.incarnation, self.sent_offset, data)
        self.sent_offset += len(data)
        self._record("send", str(len(data)), data)
        self.sim._handle(self, self.endpoint.send(data, self.sim.now))

    def _do_crash(self, _: None) -> None:
        self._record("crash")
        self.reopen = False
        self.sim._handle(self, self.endpoint.crash(self.sim.now))


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
        **overrides: any :class:`~tcpnb.profiles.Profile` field, e.g. ``msl=5.0``.
    """

    def __init__(self, delay: float = 0.1, jitter: float = 0.0, loss: float = 0.0, seed: int = 0,
                 profile: _profiles.Profile | str = _profiles.RFC, duplicate: float = 0.0,
                 duplicate_lag: float | None = None, max_events: int = 100_000,
                 **overrides: Any) -> None:
        self.profile = _profiles.get(profile).replace(**overrides)
        validate.whole("seed", seed, low=-(2**63))
        validate.whole("max_events", max_events, low=1)
        lag = self.profile.msl if duplicate_lag is None else duplicate_lag
        self.rng = random.Random(seed)
        self.link = Link(delay, jitter, loss, duplicate, lag, self.rng)
        self.params = dict(delay=float(delay), jitter=float(jitter), loss=float(loss), seed=seed,
                           profile=self.profile.name, duplicate=float(duplicate))
        self.max_events = max_events
        self.now = 0.0
        self.events_processed = 0
        self._queue: list[tuple[float, int, Action, Any]] = []
        self._counter = itertools.count()
        self._endpoints: dict[str, SimEndpoint] = {}
        self._by_port: dict[int, SimEndpoint] = {}
        self._transmissions: list[Transmission] = []
        self._states: list[StateRecord] = []
        self._notices: list[NoticeRecord] = []
        self._app_calls: list[AppCall] = []
        self._deliveries: list[DeliveryRecord] = []
        self._timer_spans: list[TimerSpan] = []
        self._open_timers: dict[tuple[str, str], tuple[float, float]] = {}
        self._arrival_events: dict[int, int] = {}
        self._arriving: int | None = None  # the transmission being delivered right now

    # ---------------------------------------------------------------- set-up
    def endpoint(self, name: str, isn: int | IsnSource = 0, port: int | None = None,
                 handshake: Handshake | str = Handshake.THREE_WAY) -> SimEndpoint:
        """Add an endpoint called ``name`` with its initial sequence numbers from ``isn``."""
        if not isinstance(name, str) or not name or name in self._endpoints:
            raise UsageError(f"name must be a new, non-empty string, got {name!r}")
        port = 1000 + len(self._endpoints) + 1 if port is None else port
        validate.whole("port", port, 1, 65535)
        if port in self._by_port:
            raise UsageError(f"port {port} is already used by {self._by_port[port].name!r}")
        try:
            mode = Handshake(handshake)
        except ValueError:
            raise UsageError(f"handshake must be 'three-way' or 'two-way', got {handshake!r}")
        endpoint = Endpoint(port, self.profile, as_source(isn), mode)
        handle = SimEndpoint(self, name, endpoint)
        self._endpoints[name] = handle
        self._by_port[port] = handle
        return handle

    def _get(self, name: str, what: str = "endpoint") -> SimEndpoint:
        if name not in self._endpoints:
            known = ", ".join(map(repr, self._endpoints)) or "none yet"
            raise UsageError(f"{what}: unknown endpoint {name!r}; known: {known}")
        return self._endpoints[name]

    def __getitem__(self, name: str) -> SimEndpoint:
        return self._get(name)

    def inject(self, segment: Segment, src: str, dst: str, at: float) -> None:
        """Make ``segment`` arrive at ``dst`` at time ``at``, as if ``src`` sent it long ago."""
        source, target = self._get(src, "src"), self._get(dst, "dst")
        at = validate.seconds("at", at)
        if not isinstance(segment, Segment):
            raise UsageError(f"segment must be a tcpnb.Segment, got {segment!r}")
        ports = dict(src_port=segment.src_port or source.endpoint.port,
                     dst_port=segment.dst_port or target.endpoint.port)
        segment = Segment(segment.seq, segment.ack, segment.flags, segment.data, segment.window,
                          **ports)
        self._schedule(at, self._send_injected, (segment, src, dst, at))

    def _send_injected(self, arg: tuple[Segment, str, str, float]) -> None:
        segment, src, dst, at = arg
        sent_at = max(0.0, at - self.link.delay)
        index = len(self._transmissions)
        self._transmissions.append(Transmission(index, sent_at, at, src, dst, segment,
                                                Fate.DELIVERED, Origin.INJECTED, 0,
                                                self.events_processed))
        self._arrive((dst, segment, index))

    def drop(self, src: str, flags: str, nth: int = 1) -> None:
        """Lose the ``nth`` segment from ``src`` whose control bits are ``flags``.

        ``flags`` is e.g. ``"SYN"``, ``"SYN,ACK"``, ``"FIN,ACK"``, ``"ACK"`` (a pure
        ACK or data) or ``"DATA"``; see :class:`~tcpnb.sim.network.SegmentPattern`.
        """
        self._add_fault(src, flags, nth, "drop", 0.0)

    def hold(self, src: str, flags: str, nth: int = 1, by: float = 1.0) -> None:
        """Deliver the ``nth`` matching segment from ``src`` ``by`` seconds late."""
        self._add_fault(src, flags, nth, "hold", validate.seconds("by", by))

    def duplicate(self, src: str, flags: str, nth: int = 1, after: float = 1.0) -> None:
        """Deliver the ``nth`` matching segment, and a copy of it ``after`` seconds later."""
        self._add_fault(src, flags, nth, "copy", validate.seconds("after", after))

    def _add_fault(self, src: str, flags: str, nth: int, action: str, seconds: float) -> None:
        self._get(src, "src")
        validate.whole("nth", nth, low=1)
        self.link.add_fault(Fault(src, SegmentPattern.parse(flags), nth, action, seconds))

    # ------------------------------------------------------------- event loop
    def _schedule(self, t: float, action: Action, arg: Any) -> None:
        heapq.heappush(self._queue, (t, next(self._counter), action, arg))

    def _at(self, ep: SimEndpoint, at: When, action: Action, arg: Any) -> None:
        at = check_at(at)
        if isinstance(at, (OnState, OnReceived)):
            ep.waiting.append((at, action, arg))
        else:
            self._schedule(float(at), action, arg)

    def run(self, until: float | None = None) -> Trace:
        """Run until nothing is left to happen (or until time ``until``); return the trace."""
        if until is not None:
            until = validate.seconds("until", until)
        queue, budget = self._queue, self.max_events
        while queue and (until is None or queue[0][0] <= until):
            t, _, action, arg = heapq.heappop(queue)
            self.now = t
            self.events_processed += 1
            if self.events_processed > budget:
                raise BudgetExceeded(f"the run needed more than max_events={budget} events; "
                                     "pass a larger max_events= if that is expected")
            action(arg)
        if until is not None:
            self.now = max(self.now, until)
        return self._trace(until)

    # --------------------------------------------------------------- handling
    def _handle(self, ep: SimEndpoint, outputs: list[Output]) -> None:
        """Act on what an endpoint returned: transmit, record, re-arm its timer."""
        now, name = self.now, ep.name
        for out in outputs:
            kind = type(out)
            if kind is Transmit:
                self._transmit(ep, out)  # type: ignore[arg-type]
            elif kind is StateChanged:
                self._on_state(ep, out)  # type: ignore[arg-type]
            elif kind is Delivered:
                ep.received_bytes += len(out.data)  # type: ignore[union-attr]
                self._deliveries.append(DeliveryRecord(now, name, out.data,  # type: ignore
                                                       ep.endpoint.incarnation,
                                                       self.events_processed, self._arriving))
                self._check_waiting(ep)
            elif kind is Notice:
                self._notices.append(NoticeRecord(now, name, out.message,  # type: ignore
                                                  self.events_processed))
            else:
                self._on_timer_output(ep, out)
        deadline = ep.endpoint.timer_deadline
        if deadline is not None and (ep.wake_at is None or deadline < ep.wake_at):
            ep.wake_at = deadline  # a later deadline is picked up when this wake comes
            self._schedule(deadline, self._wake, ep)

    def _on_state(self, ep: SimEndpoint, out: StateChanged) -> None:
        self._states.append(StateRecord(self.now, ep.name, out.old, out.new, out.cause, out.iss,
                                        out.irs, ep.endpoint.incarnation, self.events_processed))
        ep.entries[out.new] = ep.entries.get(out.new, 0) + 1
        self._check_waiting(ep, out.new)
        if out.new is State.CLOSED and ep.reopen:
            ep._do_listen(True)  # at once, so a SYN arriving at this instant finds LISTEN

    def _on_timer_output(self, ep: SimEndpoint, out: Output) -> None:
        key = (ep.name, getattr(out, "name"))
        opened = self._open_timers.pop(key, None)
        if opened is not None:
            outcome = {TimerSet: "restarted", TimerCancelled: "cancelled",
                       TimerFired: "fired"}[type(out)]
            self._timer_spans.append(TimerSpan(ep.name, key[1], opened[0], opened[1], self.now,
                                               outcome))
        if isinstance(out, TimerSet):
            self._open_timers[key] = (self.now, out.deadline)

    def _check_waiting(self, ep: SimEndpoint, entered: State | None = None) -> None:
        if not ep.waiting:
            return
        still = []
        for when, action, arg in ep.waiting:
            if (isinstance(when, OnState) and when.state is entered
                    and ep.entries.get(entered, 0) == when.nth) or (
                    isinstance(when, OnReceived) and ep.received_bytes >= when.nbytes):
                self._schedule(self.now + when.delay, action, arg)
            else:
                still.append((when, action, arg))
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

    def _transmit(self, ep: SimEndpoint, out: Transmit) -> None:
        segment = out.segment
        target = self._by_port.get(segment.dst_port)  # type: ignore[arg-type]
        if target is None:
            return  # addressed to no endpoint of this simulation
        verdict = self.link.decide(ep.name, segment)
        now = self.now
        origin = Origin.RETRANSMISSION if out.retransmission else Origin.ORIGINAL
        delivered = verdict.fate is Fate.DELIVERED
        # Arrivals are rounded to the nanosecond, so 0.1 + 0.2 is the 0.3 a reader expects.
        arrival = round(now + verdict.delay, 9) if delivered else None
        index, event = len(self._transmissions), self.events_processed
        self._transmissions.append(Transmission(index, now, arrival, ep.name, target.name, segment,
                                                verdict.fate, origin, ep.endpoint.incarnation,
                                                event))
        if arrival is not None:
            self._schedule(arrival, self._arrive, (target.name, segment, index))
        if verdict.duplicate_after is not None:
            copy_at, index = round(now + verdict.duplicate_after, 9), index + 1
            self._transmissions.append(Transmission(index, now, copy_at, ep.name, target.name,
                                                    segment, Fate.DELIVERED, Origin.DUPLICATE,
                                                    ep.endpoint.incarnation, event))
            self._schedule(copy_at, self._arrive, (target.name, segment, index))

    def _arrive(self, arg: tuple[str, Segment, int]) -> None:
        name, segment, index = arg
        self._arrival_events[index] = self.events_processed
        ep = self._endpoints[name]
        self._arriving = index
        self._handle(ep, ep.endpoint.receive(segment, self.now))
        self._arriving = None

    # ------------------------------------------------------------------ trace
    def _last_activity(self, until: float | None) -> float:
        """When the run ended: ``until`` if given, else the time of the last recorded event."""
        if until is not None:
            return until
        times = [t.arrived_at or t.sent_at for t in self._transmissions[-3:]]
        times += [r.t for r in self._states[-1:] + self._notices[-1:] + self._app_calls[-1:]]
        times += [span.end for span in self._timer_spans[-1:]]
        return max(times, default=0.0)

    def _trace(self, until: float | None = None) -> Trace:
        now, arrived = self.now, self._arrival_events
        transmissions = tuple(
            Transmission(t.index, t.sent_at, t.arrived_at, t.src, t.dst, t.segment, t.fate,
                         t.origin, t.incarnation, t.sent_event, arrived[t.index])
            if t.index in arrived
            else t if t.arrived_at is None
            else replace(t, arrived_at=None, fate=Fate.IN_FLIGHT)
            for t in self._transmissions)
        running = tuple(TimerSpan(name, timer, start, deadline, now, "running")
                        for (name, timer), (start, deadline) in self._open_timers.items())
        return Trace(endpoints=tuple(self._endpoints), transmissions=transmissions,
                     state_changes=tuple(self._states), notices=tuple(self._notices),
                     app_calls=tuple(self._app_calls),
                     timers=tuple(self._timer_spans) + running,
                     deliveries=tuple(self._deliveries), end_time=self._last_activity(until),
                     params=dict(self.params, profile_obj=self.profile))
