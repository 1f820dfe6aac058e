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


LONGEST = validate.LONGEST
#: The largest count a trigger or a fault may wait for (a run has at most 10**9 events).
MOST = 10**9


@dataclass(frozen=True, slots=True)
class OnState:
    """Act ``delay`` seconds after the endpoint enters ``state`` for the ``nth`` time in the run."""

    state: State
    delay: float = 0.0
    nth: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.state, State):
            raise UsageError(f"state must be a tcpnb.State such as State.ESTABLISHED, "
                             f"got {self.state!r}")
        object.__setattr__(self, "delay", validate.seconds("delay", self.delay, 0.0, LONGEST))
        validate.whole("nth", self.nth, 1, MOST)


@dataclass(frozen=True, slots=True)
class OnReceived:
    """Act ``delay`` seconds after the endpoint has received ``nbytes`` bytes in all."""

    nbytes: int
    delay: float = 0.0

    def __post_init__(self) -> None:
        validate.whole("nbytes", self.nbytes, 1, MOST)
        object.__setattr__(self, "delay", validate.seconds("delay", self.delay, 0.0, LONGEST))


When = Union[float, int, OnState, OnReceived]


def on_state(state: State, delay: float = 0.0, nth: int = 1) -> OnState:
    """Trigger: the ``nth`` time in the run the endpoint enters ``state``, plus ``delay`` seconds."""
    return OnState(state, delay, nth)


def on_received(nbytes: int, delay: float = 0.0) -> OnReceived:
    """Trigger: the endpoint has received ``nbytes`` bytes (then wait ``delay`` seconds)."""
    return OnReceived(nbytes, delay)


def check_at(at: When, now: float = 0.0) -> When:
    """Validate an ``at=`` argument: a time from ``now`` on, or a trigger."""
    if isinstance(at, (OnState, OnReceived)):
        return at
    try:
        return validate.seconds("at", at, now, LONGEST)
    except UsageError:
        raise UsageError(f"at must be a time in seconds in [{now:g}, {LONGEST:g}] (the clock "
                         f"now reads {now:g} s) or a trigger (on_state, on_received), "
                         f"got {at!r}") from None
