"""What an endpoint tells the outside world (the outputs of the sans-I/O core).

Every call into an :class:`~tcpnb.core.endpoint.Endpoint` returns a list of these
records, in the order they happened.  The endpoint never sends anything or
sets a clock itself: the caller (the simulator, a test, a student) reads the
list and acts on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from .records import fast_init
from .segment import Segment
from .states import Cause, Label, State


class Timer(Label):
    """The timers of one endpoint; each value is the name the views print."""

    #: Resend the oldest unacknowledged segment (RFC 9293 §3.8.1, RFC 6298).
    RETRANSMISSION = "retransmission"
    #: 2 x MSL in TIME-WAIT, then delete the TCB (§3.6.1 MUST-13, §3.10.8).
    TIME_WAIT = "time-wait"
    #: Send the ACK that was held back hoping to ride on data (§3.8.6.3).
    DELAYED_ACK = "delayed-ack"
    #: The two-way variant (not TCP) reclaims an unconfirmed, idle connection.
    IDLE = "idle"


@fast_init
@dataclass(frozen=True, slots=True)
class Transmit:
    """Put ``segment`` on the wire."""

    segment: Segment
    retransmission: bool = False


@fast_init
@dataclass(frozen=True, slots=True)
class StateChanged:
    """The endpoint moved from ``old`` to ``new`` because of ``cause``.

    ``iss`` and ``irs`` are the initial send and receive sequence numbers known
    at that moment (``None`` while unknown).
    """

    old: State
    new: State
    cause: Cause
    iss: int | None = None
    irs: int | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class Notice:
    """A message to the endpoint's user, in RFC 9293's words ("error: connection reset")."""

    message: str


@fast_init
@dataclass(frozen=True, slots=True)
class Delivered:
    """In-order bytes handed to the endpoint's user (what ``recv()`` would return)."""

    data: bytes


@fast_init
@dataclass(frozen=True, slots=True)
class TimerSet:
    """Call :meth:`Endpoint.on_timer` at ``deadline`` (seconds) for timer ``name``."""

    name: Timer
    deadline: float


@fast_init
@dataclass(frozen=True, slots=True)
class TimerCancelled:
    """Timer ``name`` is no longer needed."""

    name: Timer


@fast_init
@dataclass(frozen=True, slots=True)
class TimerFired:
    """Timer ``name`` expired and was acted upon."""

    name: Timer


Output = Union[Transmit, StateChanged, Notice, Delivered, TimerSet, TimerCancelled, TimerFired]
