"""A record of everything that happened in one run: the only thing views read.

A :class:`Trace` is immutable data.  The simulator builds one; so does the
capture importer (which knows only the segments).  Every figure, table and
check in the course is a function of a trace.
"""

from __future__ import annotations

import bisect
import enum
from dataclasses import dataclass, field
from typing import Any, Union

from ..core import validate
from ..core.errors import UsageError
from ..core.outputs import Timer
from ..core.records import fast_init
from ..core.segment import Segment
from ..core.states import HostEvent, Label, State, Trigger


class Fate(enum.Enum):
    """What became of a transmitted segment."""

    DELIVERED = "delivered"
    LOST = "lost"            # random loss on the link
    DROPPED = "dropped"      # a targeted drop: sim.drop(...)
    IN_FLIGHT = "in flight"  # still travelling when the run stopped


class Origin(enum.Enum):
    """Why a segment is on the wire."""

    ORIGINAL = "original"
    RETRANSMISSION = "retransmission"
    DUPLICATE = "duplicate"  # a second copy made by the network
    INJECTED = "injected"    # put there by sim.inject(): an old duplicate from nowhere


@fast_init
@dataclass(frozen=True, slots=True)
class Transmission:
    """One segment's trip from ``src`` to ``dst``."""

    index: int
    sent_at: float
    arrived_at: float | None
    src: str
    dst: str
    segment: Segment
    fate: Fate
    origin: Origin = Origin.ORIGINAL
    incarnation: int = 0
    sent_event: int = 0
    arrived_event: int | None = None

    def __str__(self) -> str:
        end = "lost" if self.arrived_at is None else f"{self.arrived_at:.3f}"
        return f"{self.sent_at:.3f} {self.src}->{self.dst} {self.segment} ({self.origin.value}, {end})"


class Observation(Label):
    """A state change that was seen, not simulated: what ``ss`` showed of a real socket."""

    SEEN_BY_SS = "seen by ss"
    GONE_FROM_SS = "gone from ss"


#: Why a recorded state changed: a trigger of the table, a host event, or an observation.
RecordCause = Union[Trigger, HostEvent, Observation]


@fast_init
@dataclass(frozen=True, slots=True)
class StateRecord:
    """Endpoint ``endpoint`` moved from ``old`` to ``new`` at time ``t``."""

    t: float
    endpoint: str
    old: State
    new: State
    cause: RecordCause
    iss: int | None = None
    irs: int | None = None
    incarnation: int = 0
    event: int = 0


@fast_init
@dataclass(frozen=True, slots=True)
class NoticeRecord:
    """A message to an endpoint's user ("error: connection refused")."""

    t: float
    endpoint: str
    message: str
    event: int = 0


@fast_init
@dataclass(frozen=True, slots=True)
class AppCall:
    """The application called ``call`` ("connect", "send", "shutdown", "close", ...) at ``t``.

    ``rfc`` names the RFC 9293 call it is, e.g. "socket close (RFC 9293 §3.6.1 MAY-1)".
    """

    t: float
    endpoint: str
    call: str
    detail: str = ""
    data: bytes = b""
    event: int = 0
    rfc: str = ""


@fast_init
@dataclass(frozen=True, slots=True)
class TimerSpan:
    """A timer that ran from ``start`` to ``end``; ``outcome`` is fired, cancelled, restarted or running."""

    endpoint: str
    name: Timer
    start: float
    deadline: float
    end: float
    outcome: str


@fast_init
@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """Bytes handed in order to ``endpoint``'s application."""

    t: float
    endpoint: str
    data: bytes
    incarnation: int = 0
    event: int = 0
    source: int | None = None  # index of the transmission that brought the bytes


@dataclass(frozen=True)
class Trace:
    """Everything one run produced, in time order within each kind."""

    endpoints: tuple[str, ...]
    transmissions: tuple[Transmission, ...] = ()
    state_changes: tuple[StateRecord, ...] = ()
    notices: tuple[NoticeRecord, ...] = ()
    app_calls: tuple[AppCall, ...] = ()
    timers: tuple[TimerSpan, ...] = ()
    deliveries: tuple[DeliveryRecord, ...] = ()
    end_time: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)

    def _check(self, name: str) -> None:
        if not isinstance(name, str) or name not in self.endpoints:
            raise UsageError(f"endpoint: unknown endpoint {name!r}; this trace has "
                             + ", ".join(map(repr, self.endpoints)))

    def states(self, name: str) -> list[tuple[float, State]]:
        """``[(t, state), ...]`` for ``name``, starting with ``(0.0, CLOSED)``."""
        self._check(name)
        return [(0.0, State.CLOSED)] + [(r.t, r.new) for r in self.state_changes
                                        if r.endpoint == name]

    def state_at(self, name: str, t: float) -> State:
        """The state of ``name`` just after everything that happened at time ``t`` (>= 0)."""
        t = validate.seconds("t", t, 0.0, validate.LONGEST)
        history = self.states(name)
        times = [when for when, _ in history]
        return history[bisect.bisect_right(times, t) - 1][1]

    def state_after_event(self, name: str, event: int) -> State:
        """The state of ``name`` once simulator event number ``event`` was processed.

        Finer than :meth:`state_at` when several things happen at one instant.
        """
        self._check(name)
        state = State.CLOSED
        for record in self.state_changes:
            if record.event > event:
                break
            if record.endpoint == name:
                state = record.new
        return state

    def final_state(self, name: str) -> State:
        """The state ``name`` was in when the run ended."""
        return self.states(name)[-1][1]

    def state_sequence(self, name: str) -> list[State]:
        """Just the states ``name`` went through, in order."""
        return [state for _, state in self.states(name)]

    def received(self, name: str) -> bytes:
        """All bytes delivered to ``name``'s application, in order."""
        self._check(name)
        return b"".join(d.data for d in self.deliveries if d.endpoint == name)

    def sent(self, name: str) -> bytes:
        """All bytes ``name``'s application asked to send."""
        self._check(name)
        return b"".join(c.data for c in self.app_calls if c.endpoint == name and c.call == "send")

    def messages(self, name: str) -> list[str]:
        """The notices ``name``'s user got, in order."""
        self._check(name)
        return [n.message for n in self.notices if n.endpoint == name]

    def segments(self, src: str | None = None) -> list[Segment]:
        """The segments sent (by ``src``, if given), in send order."""
        return [t.segment for t in self.transmissions if src is None or t.src == src]
