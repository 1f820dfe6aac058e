"""The eleven TCP states and the transition table (RFC 9293 §3.3.2, Figure 5).

Theory of operation
-------------------
A TCP endpoint is always in one of eleven states.  What moves it is a
*trigger*: a call from its user (OPEN, SEND, CLOSE, ABORT), the arrival of a
segment, or a timer.  This module holds the table ``(state, trigger) -> next
state`` as plain data, and nothing else.  The endpoint (``endpoint.py``, and
``arrivals.py`` for segments) works out, from RFC 9293's event-processing rules
(§3.10), *which* trigger an event amounts to; the next state is then always
looked up here.  A host's reboot (:class:`HostEvent`) is not a trigger: it
deletes every TCB without a transition.  The state
diagram the course draws is drawn from this same table, so the picture and
the code cannot drift apart.

Figure 5 of RFC 9293 is "only a summary and must not be taken as the total
specification".  Rows marked ``in_figure_5=False`` are transitions the RFC's
text requires but the figure leaves out (its Notes 1-3 and §3.10).

A second, smaller table, :data:`TWO_WAY_TRANSITIONS`, describes a protocol
that is **not TCP**: a two-way handshake in which the passive side counts
the connection as open as soon as a SYN arrives.  The course uses it to show
why TCP needs the third segment (RFC 9293 §3.5).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, Union

from .errors import IllegalTransition


class State(enum.Enum):
    """A TCP connection state, named as in RFC 9293 §3.3.2."""

    #: No connection (no TCB): "fictional because it represents the state when there is no TCB".
    CLOSED = "CLOSED"
    #: Waiting for a connection request from any remote TCP peer and port.
    LISTEN = "LISTEN"
    #: Waiting for a matching connection request after having sent one.
    SYN_SENT = "SYN-SENT"
    #: Waiting for a confirming acknowledgment after having both received and sent a SYN.
    SYN_RECEIVED = "SYN-RECEIVED"
    #: An open connection; data can flow both ways.
    ESTABLISHED = "ESTABLISHED"
    #: Our FIN is sent; waiting for its ACK or for the peer's FIN.
    FIN_WAIT_1 = "FIN-WAIT-1"
    #: Our FIN is acknowledged; waiting for the peer's FIN (we can still receive).
    FIN_WAIT_2 = "FIN-WAIT-2"
    #: The peer's FIN arrived; waiting for our own user to CLOSE (we can still send).
    CLOSE_WAIT = "CLOSE-WAIT"
    #: Both FINs sent, ours not yet acknowledged (simultaneous close).
    CLOSING = "CLOSING"
    #: We sent our FIN after the peer's; waiting for its ACK.
    LAST_ACK = "LAST-ACK"
    #: Waiting 2 x MSL so the last ACK can be repeated and old segments die out.
    TIME_WAIT = "TIME-WAIT"

    def __str__(self) -> str:
        return self.value

    # A state is equal only to itself, so object's hash (computed in C) is as good as
    # Enum's (a Python call hashing the name); states key the tables every step reads.
    __hash__ = object.__hash__

    @property
    def synchronized(self) -> bool:
        """True from ESTABLISHED on: both ISNs are known and acknowledged (§3.5)."""
        return self not in (State.CLOSED, State.LISTEN, State.SYN_SENT, State.SYN_RECEIVED)


# Every state also as a module-level name, for the rules that test states on every segment
# (``from .states import CLOSED``): Python 3.11 looks up ``State.CLOSED`` several times slower.
CLOSED, LISTEN, SYN_SENT = State.CLOSED, State.LISTEN, State.SYN_SENT
SYN_RECEIVED, ESTABLISHED = State.SYN_RECEIVED, State.ESTABLISHED
FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT = State.FIN_WAIT_1, State.FIN_WAIT_2, State.CLOSE_WAIT
CLOSING, LAST_ACK, TIME_WAIT = State.CLOSING, State.LAST_ACK, State.TIME_WAIT


class Label(str, enum.Enum):
    """An enum whose members are words to print: ``str()`` and f-strings give the value.

    A ``str`` enum, so a member equals its words: ``Trigger.RCV_RST == "rcv RST"``.
    """

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Trigger(Label):
    """What moves an endpoint from one state to the next; values are Figure 5's labels."""

    PASSIVE_OPEN = "passive OPEN"
    ACTIVE_OPEN = "active OPEN"
    SEND = "SEND"
    CLOSE = "CLOSE"
    ABORT = "ABORT"
    RCV_SYN = "rcv SYN"
    RCV_SYN_ACK = "rcv SYN,ACK"
    RCV_ACK_OF_SYN = "rcv ACK of SYN"
    RCV_FIN = "rcv FIN"
    RCV_ACK_OF_FIN = "rcv ACK of FIN"
    RCV_FIN_AND_ACK_OF_FIN = "rcv FIN + ACK of FIN"
    RCV_RST = "rcv RST"
    RCV_RST_AFTER_PASSIVE_OPEN = "rcv RST (note 1)"
    TIMEOUT_2MSL = "Timeout=2MSL"
    GIVE_UP = "retransmission limit"
    GIVE_UP_AFTER_PASSIVE_OPEN = "retransmission limit (passive)"
    IDLE_TIMEOUT = "idle timeout"
    #: Data arrived after the application called the socket close(): RFC 9293 §3.6.1
    #: (MAY-1, SHLD-3) answers it with a RST, and the connection is gone.
    RCV_DATA_AFTER_CLOSE = "rcv data after close()"
    #: A SYN inside the window of a synchronized connection, for a stack without
    #: RFC 5961's checks: RFC 793's rule (RFC 9293 §3.10.7.4, fourth step) resets it.
    RCV_SYN_IN_WINDOW = "rcv SYN in window"


class HostEvent(Label):
    """What happens to a host rather than to a connection: not a row of the state table."""

    #: The host reboots: every TCB is lost and nothing is sent (RFC 9293 §3.5.1).
    REBOOT = "reboot (all state lost)"


#: Why an endpoint changed state: a trigger of the table, or something that happened to its host.
Cause = Union[Trigger, HostEvent]


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the state table."""

    source: State
    trigger: Trigger
    target: State
    action: str
    in_figure_5: bool
    reference: str


S, T = State, Trigger
_SYNCHRONIZED_FOR_RST = (S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT)
_HAS_FIN_SENT = (S.CLOSING, S.LAST_ACK, S.TIME_WAIT)
_ABORT_WITH_RST = (S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT)
_SYNCHRONIZED = _SYNCHRONIZED_FOR_RST + _HAS_FIN_SENT

#: Every transition of TCP, Figure 5's first, then those only its text has.
TCP_TABLE: tuple[Transition, ...] = (
    Transition(S.CLOSED, T.PASSIVE_OPEN, S.LISTEN, "create TCB", True, "Figure 5"),
    Transition(S.CLOSED, T.ACTIVE_OPEN, S.SYN_SENT, "create TCB, snd SYN", True, "Figure 5"),
    Transition(S.LISTEN, T.CLOSE, S.CLOSED, "delete TCB", True, "Figure 5"),
    Transition(S.LISTEN, T.RCV_SYN, S.SYN_RECEIVED, "snd SYN,ACK", True, "Figure 5"),
    Transition(S.LISTEN, T.SEND, S.SYN_SENT, "snd SYN", True, "Figure 5"),
    Transition(S.SYN_SENT, T.CLOSE, S.CLOSED, "delete TCB", True, "Figure 5"),
    Transition(S.SYN_SENT, T.RCV_SYN, S.SYN_RECEIVED, "snd SYN,ACK", True, "Figure 5"),
    Transition(S.SYN_SENT, T.RCV_SYN_ACK, S.ESTABLISHED, "snd ACK", True, "Figure 5"),
    Transition(S.SYN_RECEIVED, T.RCV_ACK_OF_SYN, S.ESTABLISHED, "x", True, "Figure 5"),
    Transition(S.SYN_RECEIVED, T.CLOSE, S.FIN_WAIT_1, "snd FIN", True, "Figure 5"),
    Transition(S.SYN_RECEIVED, T.RCV_RST_AFTER_PASSIVE_OPEN, S.LISTEN, "", True, "Figure 5, note 1"),
    Transition(S.ESTABLISHED, T.CLOSE, S.FIN_WAIT_1, "snd FIN", True, "Figure 5"),
    Transition(S.ESTABLISHED, T.RCV_FIN, S.CLOSE_WAIT, "snd ACK", True, "Figure 5"),
    Transition(S.FIN_WAIT_1, T.RCV_ACK_OF_FIN, S.FIN_WAIT_2, "x", True, "Figure 5"),
    Transition(S.FIN_WAIT_1, T.RCV_FIN, S.CLOSING, "snd ACK", True, "Figure 5"),
    Transition(S.FIN_WAIT_2, T.RCV_FIN, S.TIME_WAIT, "snd ACK", True, "Figure 5"),
    Transition(S.CLOSE_WAIT, T.CLOSE, S.LAST_ACK, "snd FIN", True, "Figure 5"),
    Transition(S.CLOSING, T.RCV_ACK_OF_FIN, S.TIME_WAIT, "x", True, "Figure 5"),
    Transition(S.LAST_ACK, T.RCV_ACK_OF_FIN, S.CLOSED, "x", True, "Figure 5"),
    Transition(S.TIME_WAIT, T.TIMEOUT_2MSL, S.CLOSED, "delete TCB", True, "Figure 5"),
    # What the figure leaves out (its notes and §3.10).
    Transition(S.FIN_WAIT_1, T.RCV_FIN_AND_ACK_OF_FIN, S.TIME_WAIT, "snd ACK", False,
               "Figure 5 note 2; §3.10.7.4 eighth step"),
    Transition(S.SYN_SENT, T.RCV_RST, S.CLOSED, "connection refused", False, "§3.10.7.3"),
    Transition(S.SYN_RECEIVED, T.RCV_RST, S.CLOSED, "connection refused", False,
               "§3.10.7.4 (SYN-RECEIVED from an active OPEN)"),
    *(Transition(s, T.RCV_RST, S.CLOSED, "connection reset", False, "§3.10.7.4; Figure 5 note 3")
      for s in _SYNCHRONIZED_FOR_RST + _HAS_FIN_SENT),
    Transition(S.LISTEN, T.ABORT, S.CLOSED, "delete TCB", False, "§3.10.5"),
    Transition(S.SYN_SENT, T.ABORT, S.CLOSED, "delete TCB", False, "§3.10.5"),
    *(Transition(s, T.ABORT, S.CLOSED, "snd RST", False, "§3.10.5") for s in _ABORT_WITH_RST),
    *(Transition(s, T.ABORT, S.CLOSED, "delete TCB", False, "§3.10.5") for s in _HAS_FIN_SENT),
    Transition(S.SYN_RECEIVED, T.GIVE_UP_AFTER_PASSIVE_OPEN, S.LISTEN,
               "forget the half-open connection", False, "§3.8.3; RFC 1122 4.2.3.5"),
    *(Transition(s, T.GIVE_UP, S.CLOSED, "connection timed out", False, "§3.8.3; RFC 1122 4.2.3.5")
      for s in (S.SYN_SENT, S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1, S.CLOSE_WAIT,
                S.CLOSING, S.LAST_ACK)),
    *(Transition(s, T.RCV_DATA_AFTER_CLOSE, S.CLOSED, "snd RST: the data is lost", False,
                 "§3.6.1 MAY-1, SHLD-3 (the socket close())") for s in (S.FIN_WAIT_1, S.FIN_WAIT_2)),
    *(Transition(s, T.RCV_SYN_IN_WINDOW, S.CLOSED, "snd RST, connection reset", False,
                 "§3.10.7.4 fourth step, without RFC 5961") for s in (S.SYN_RECEIVED, *_SYNCHRONIZED)),
)

#: NOT TCP.  A two-way handshake: the passive side is open as soon as a SYN
#: arrives, the active side as soon as the SYN,ACK does, and nothing confirms
#: the passive side's ISN.  A connection nobody confirms is reclaimed only by an
#: idle timeout.  Exists to show the stale-request problem (RFC 9293 §3.5).
TWO_WAY_TABLE: tuple[Transition, ...] = (
    *(row for row in TCP_TABLE if (row.source, row.trigger) != (S.LISTEN, T.RCV_SYN)),
    Transition(S.LISTEN, T.RCV_SYN, S.ESTABLISHED, "snd SYN,ACK (no confirmation awaited)",
               False, "two-way variant: not TCP"),
    Transition(S.ESTABLISHED, T.IDLE_TIMEOUT, S.CLOSED, "reclaim the connection",
               False, "two-way variant: not TCP"),
)


def _index(table: tuple[Transition, ...]) -> Mapping[tuple[State, Trigger], Transition]:
    index: dict[tuple[State, Trigger], Transition] = {}
    for row in table:
        key = (row.source, row.trigger)
        if key in index:
            raise AssertionError(f"duplicate transition {key}")
        index[key] = row
    return MappingProxyType(index)


#: ``(state, trigger) -> Transition`` for TCP, looked up by the endpoint.
TRANSITIONS = _index(TCP_TABLE)
#: The same for the two-way variant (not TCP).
TWO_WAY_TRANSITIONS = _index(TWO_WAY_TABLE)


def next_state(table: Mapping[tuple[State, Trigger], Transition], state: State,
               trigger: Trigger) -> State:
    """Look up where ``trigger`` takes an endpoint in ``state``."""
    try:
        return table[(state, trigger)].target
    except KeyError:
        raise IllegalTransition(f"no transition from {state} on {trigger!s}") from None
