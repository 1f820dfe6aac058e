"""Where initial sequence numbers come from (RFC 9293 §3.4.1).

An endpoint asks its ISN source for a number each time it opens a new
connection (each *incarnation*).  The three sources let the course compare:

* :class:`FixedISN` -- the same number every time (what goes wrong when a
  new incarnation reuses the old numbers);
* :class:`ClockISN` -- RFC 9293's clock: a 32-bit counter that ticks every
  4 microseconds (MUST-8), so later connections start higher;
* :class:`RandomISN` -- a seeded pseudo-random number per connection.
"""

from __future__ import annotations

import random
from typing import Protocol

from . import validate
from .errors import UsageError
from .options import IsnKind
from .segment import SEQ_SPACE


class IsnSource(Protocol):
    """Anything with ``next(now) -> int``."""

    def next(self, now: float) -> int:
        """The ISN for a connection opened at time ``now`` (seconds)."""
        ...


def _check_isn(value: int) -> int:
    return validate.whole("isn", value, 0, SEQ_SPACE - 1)


class FixedISN:
    """Always the same ISN."""

    def __init__(self, value: int) -> None:
        self.value = _check_isn(value)

    def next(self, now: float) -> int:
        return self.value

    def __repr__(self) -> str:
        return f"FixedISN({self.value})"


class ClockISN:
    """RFC 9293's ISN clock: ``offset`` plus one tick per ``tick`` seconds (4 µs), mod 2**32."""

    def __init__(self, offset: int = 0, tick: float = 4e-6) -> None:
        self.offset = _check_isn(offset)
        self.tick = validate.number("tick", tick, 0.0, 1e9, low_open=True)

    def next(self, now: float) -> int:
        return (self.offset + int(now / self.tick)) % SEQ_SPACE

    def __repr__(self) -> str:
        return f"ClockISN(offset={self.offset}, tick={self.tick})"


class RandomISN:
    """A pseudo-random ISN per connection, from its own seeded generator."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(validate.whole("seed", seed, -(2**63), 2**63))

    def next(self, now: float) -> int:
        return self._rng.randrange(SEQ_SPACE)

    def __repr__(self) -> str:
        return "RandomISN()"


def as_source(isn: int | IsnSource) -> IsnSource:
    """Turn an int into a :class:`FixedISN`; wrap a source so that each ISN it gives is checked."""
    if isinstance(isn, int) and not isinstance(isn, bool):
        return FixedISN(isn)
    if isinstance(isn, (FixedISN, ClockISN, RandomISN, IncrementingISN)):
        return isn
    if not isinstance(isn, bool) and callable(getattr(isn, "next", None)):
        return _Checked(isn)
    raise UsageError(f"isn must be a whole number in [0, 2**32) or an ISN source "
                     f"(an object with next(now) -> int), got {isn!r}")


class _Checked:
    """A user's ISN source whose every answer is checked (a clear error, not a crash in a run)."""

    def __init__(self, source: IsnSource) -> None:
        self.source = source

    def next(self, now: float) -> int:
        value = self.source.next(now)
        try:
            return _check_isn(value)
        except UsageError:
            raise UsageError(f"isn: {self.source!r}.next({now:g}) must return a whole number in "
                             f"[0, 2**32), got {value!r}") from None

    def __repr__(self) -> str:
        return repr(self.source)


class IncrementingISN:
    """``start`` for the first connection, then ``step`` more for each new one.

    A clock simplified for figures: RFC 9293 Figure 8's B uses 300, then 400.
    """

    def __init__(self, start: int, step: int = 100) -> None:
        self.start = _check_isn(start)
        self.step = validate.whole("step", step, 0, SEQ_SPACE - 1)
        self._count = 0

    def next(self, now: float) -> int:
        value = (self.start + self._count * self.step) % SEQ_SPACE
        self._count += 1
        return value

    def __repr__(self) -> str:
        return f"IncrementingISN({self.start}, step={self.step})"


def figure_pair(kind: IsnKind) -> tuple[IsnSource, IsnSource]:
    """ISN sources for A and B starting at 100 and 300 as in RFC 9293's figures.

    ``kind="fixed"`` reuses 100 and 300 in every incarnation; ``kind="clock"``
    adds RFC 9293's 4-microsecond clock, so later connections start higher.
    """
    if kind == "fixed":
        return FixedISN(100), FixedISN(300)
    if kind == "clock":
        return ClockISN(100), ClockISN(300)
    raise UsageError(f"isn must be 'fixed' or 'clock', got {kind!r}")  # validate.choice's words
