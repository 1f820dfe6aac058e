"""When an application acts: at a fixed time, or in reaction to what happened.

Every application call in the simulator takes ``at=``.  A number is a time in
seconds.  The two triggers below make an application *react*, which is what
real programs do and what keeps a run sensible when the network is slow or
lossy::

    b.send(1000, at=on_received(1000))          # reply once the request is in
    b.close(at=on_state(State.CLOSE_WAIT))      # close when the peer has closed
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from ..core import validate
from ..core.errors import UsageError
from ..core.states import State


@dataclass(frozen=True, slots=True)
class OnState:
    """Act ``delay`` seconds after the endpoint enters ``state`` for the ``nth`` time in the run."""

    state: State
    delay: float = 0.0
    nth: int = 1


@dataclass(frozen=True, slots=True)
class OnReceived:
    """Act ``delay`` seconds after the endpoint has received ``nbytes`` bytes in all."""

    nbytes: int
    delay: float = 0.0


When = Union[float, int, OnState, OnReceived]


def on_state(state: State, delay: float = 0.0, nth: int = 1) -> OnState:
    """Trigger: the ``nth`` time in the run the endpoint enters ``state``, plus ``delay`` seconds."""
    if not isinstance(state, State):
        raise UsageError(f"state must be a tcpnb.State, got {state!r}")
    validate.whole("nth", nth, low=1)
    return OnState(state, validate.seconds("delay", delay), nth)


def on_received(nbytes: int, delay: float = 0.0) -> OnReceived:
    """Trigger: the endpoint has received ``nbytes`` bytes (then wait ``delay`` seconds)."""
    validate.whole("nbytes", nbytes, low=1)
    return OnReceived(nbytes, validate.seconds("delay", delay))


def check_at(at: When) -> When:
    """Validate an ``at=`` argument: a time >= 0 or a trigger."""
    if isinstance(at, (OnState, OnReceived)):
        return at
    try:
        return validate.seconds("at", at)
    except UsageError:
        raise UsageError(f"at must be a time in seconds >= 0 or a trigger "
                         f"(on_state, on_received), got {at!r}") from None
