"""The network between endpoints: delay, jitter, loss, duplicates and targeted faults.

A :class:`Link` decides, for each segment handed to it, whether it arrives,
when, and whether the network makes a second copy.  All randomness comes from
the ``random.Random`` it is given, so a seed fixes every decision.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from ..core import validate
from ..core.errors import UsageError
from ..core.records import fast_init
from ..core.segment import Flags, Segment
from .trace import Fate

_CONTROLS = (Flags.SYN | Flags.FIN | Flags.RST)._value_  # as a number: matches() runs per segment


@dataclass(frozen=True, slots=True)
class SegmentPattern:
    """Which segments a targeted fault applies to.

    ``flags`` names the control bits that must be set, e.g. ``"SYN"``,
    ``"SYN,ACK"``, ``"FIN"``, ``"ACK"``.  SYN, FIN and RST that are *not* named
    must be clear, so ``"SYN"`` does not match a SYN,ACK and ``"ACK"`` does not
    match a FIN,ACK.  The pseudo-flag ``"DATA"`` requires a payload.
    """

    required: Flags
    needs_data: bool

    @classmethod
    def parse(cls, text: str) -> SegmentPattern:
        if not isinstance(text, str) or not text.strip():
            raise UsageError(f"flags must be a string such as 'SYN' or 'FIN,ACK', got {text!r}")
        return _parse_pattern(text)

    def matches(self, segment: Segment) -> bool:
        bits, required = segment.flags._value_, self.required._value_
        return (bits & required == required
                and bits & _CONTROLS == required & _CONTROLS
                and (not self.needs_data or len(segment.data) > 0))


@functools.lru_cache(maxsize=64)
def _parse_pattern(text: str) -> SegmentPattern:
    """:meth:`SegmentPattern.parse`, once per text (an experiment's runs repeat their faults)."""
    parts = [p.strip().upper() for p in text.split(",")]
    needs_data = "DATA" in parts
    rest = ",".join(p for p in parts if p != "DATA")
    try:
        required = Flags.parse(rest)
    except ValueError as error:
        raise UsageError(f"{error} (or DATA)") from None
    return SegmentPattern(required, needs_data)


@dataclass(slots=True)
class Fault:
    """Do ``action`` to the ``nth`` segment from ``src`` that matches ``pattern``.

    ``action`` is ``"drop"``, ``"hold"`` (deliver ``seconds`` late) or
    ``"copy"`` (deliver it, and a second copy ``seconds`` after the first).
    """

    src: str
    pattern: SegmentPattern
    nth: int
    action: str
    seconds: float = 0.0
    seen: int = 0


@fast_init
@dataclass(frozen=True, slots=True)
class Verdict:
    """What the link does with one segment."""

    fate: Fate
    delay: float                      # travel time if delivered
    duplicate_after: float | None     # a second copy arrives this long after sending


class Link:
    """One-way delay + uniform jitter, independent loss, optional duplicates, targeted faults."""

    def __init__(self, delay: float, jitter: float, loss: float, duplicate: float,
                 duplicate_lag: float, rng: random.Random) -> None:
        longest = validate.LONGEST
        self.delay = validate.seconds("delay", delay, 0.0, longest)
        self.jitter = validate.seconds("jitter", jitter, 0.0, longest)
        self.loss = validate.number("loss", loss, 0.0, 1.0)
        self.duplicate = validate.number("duplicate", duplicate, 0.0, 1.0)
        self.duplicate_lag = validate.seconds("duplicate_lag", duplicate_lag, 0.0, longest)
        self.rng = rng
        self.faults: list[Fault] = []

    def add_fault(self, fault: Fault) -> None:
        self.faults.append(fault)

    def _fault_for(self, src: str, segment: Segment) -> Fault | None:
        """The first fault that acts on this segment (each counts the segments it matches)."""
        hit = None
        for fault in self.faults:
            if fault.src == src and fault.pattern.matches(segment):
                fault.seen += 1
                if fault.seen == fault.nth and hit is None:
                    hit = fault
        if hit is not None:  # it has acted and never will again: no need to keep counting
            self.faults.remove(hit)
        return hit

    def decide(self, src: str, segment: Segment) -> Verdict:
        """Decide the fate of ``segment`` sent by ``src`` (draws from the RNG)."""
        rng = self.rng
        travel = self.delay + (rng.random() * self.jitter if self.jitter else 0.0)
        fault = self._fault_for(src, segment) if self.faults else None
        copy = None
        if fault is not None:
            if fault.action == "drop":
                return Verdict(Fate.DROPPED, travel, None)
            if fault.action == "hold":
                travel += fault.seconds
            else:
                copy = travel + fault.seconds
        elif self.loss and rng.random() < self.loss:
            return Verdict(Fate.LOST, travel, None)
        if copy is None and self.duplicate and rng.random() < self.duplicate:
            copy = travel + rng.random() * self.duplicate_lag
        return Verdict(Fate.DELIVERED, travel, copy)
