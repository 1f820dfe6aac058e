"""TCP segments and sequence-number arithmetic (RFC 9293 §3.1, §3.4).

A :class:`Segment` holds exactly the header fields that connection management
needs, plus the payload.  ``str(segment)`` prints it in the notation of the
RFC's figures, e.g. ``<SEQ=300><ACK=101><CTL=SYN,ACK>``.

Sequence numbers live in a circle of 2**32 values, so "less than" must be
computed modulo 2**32 (§3.4): :func:`seq_lt` and friends do that.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .records import fast_init

SEQ_SPACE = 2**32


class Flags(enum.Flag):
    """The TCP control bits used in connection management, with their header values (§3.1)."""

    NONE = 0
    FIN = 1
    SYN = 2
    RST = 4
    PSH = 8
    ACK = 16

    def __str__(self) -> str:
        return ",".join(str(flag.name) for flag in _PRINT_ORDER if flag in self)

    def __contains__(self, other: object) -> bool:
        """``Flags.ACK in flags``: enum.Flag's test without its checks (it runs for every segment)."""
        try:
            bits: int = other._value_  # type: ignore[attr-defined]
        except AttributeError:
            raise TypeError(f"'in' needs Flags on the left, got {other!r}") from None
        return bits & self._value_ == bits

    # enum.Flag makes each combination through the enum machinery; all 32 are made once below.
    def __and__(self, other: Flags) -> Flags:
        if not isinstance(other, Flags):
            return NotImplemented
        return _COMBINATIONS[self._value_ & other._value_]

    def __or__(self, other: Flags) -> Flags:
        if not isinstance(other, Flags):
            return NotImplemented
        return _COMBINATIONS[self._value_ | other._value_]

    @classmethod
    def parse(cls, text: str) -> Flags:
        """Parse ``"SYN,ACK"`` (any order, any case) into flags."""
        flags = cls.NONE
        for name in filter(None, (part.strip().upper() for part in text.split(","))):
            if name not in cls.__members__ or name == "NONE":
                allowed = ", ".join(str(f.name) for f in _PRINT_ORDER)
                raise ValueError(f"flags: unknown flag {name!r}; allowed: {allowed}")
            flags |= cls[name]
        return flags


# The four control bits also as module-level names, for the rules that test them on every
# segment (``from .segment import ACK``): Python 3.11 looks up ``Flags.ACK`` several times slower.
SYN, ACK, FIN, RST = Flags.SYN, Flags.ACK, Flags.FIN, Flags.RST

#: Every combination of the flags, by its header value.
_COMBINATIONS = {bits: Flags(bits) for bits in range(32)}

# Sequence numbers taken by the controls, indexed by the FIN (1) and SYN (2) bits.
_CONTROL_LENGTH = (0, 1, 1, 2)

# The RFC figures print SYN,ACK / FIN,ACK / RST,ACK: the ACK bit comes last.
_PRINT_ORDER = (Flags.SYN, Flags.FIN, Flags.RST, Flags.PSH, Flags.ACK)


@fast_init
@dataclass(frozen=True, slots=True)
class Segment:
    """One TCP segment: the header fields of connection management and its data.

    ``ack`` is meaningful only when the ACK flag is set (RFC 9293 §3.1).
    Ports may be left as ``None`` when a segment is written by hand; the
    simulator fills them in from the connection it is injected into.
    """

    seq: int = 0
    ack: int = 0
    flags: Flags = Flags.NONE
    data: bytes = b""
    window: int = 65535
    src_port: int | None = None
    dst_port: int | None = None

    @property
    def length(self) -> int:
        """Payload bytes (not counting SYN or FIN)."""
        return len(self.data)

    @property
    def seg_len(self) -> int:
        """SEG.LEN: sequence numbers occupied, counting SYN and FIN (§3.4)."""
        return len(self.data) + _CONTROL_LENGTH[self.flags._value_ & 3]

    def __str__(self) -> str:
        text = f"<SEQ={self.seq}>"
        if Flags.ACK in self.flags:
            text += f"<ACK={self.ack}>"
        if self.flags:
            text += f"<CTL={self.flags}>"
        if self.data:
            text += f"<DATA={len(self.data)}>"
        return text


def seq_add(a: int, n: int) -> int:
    """``a + n`` in sequence space (mod 2**32)."""
    return (a + n) % SEQ_SPACE


def seq_diff(a: int, b: int) -> int:
    """Signed distance ``a - b`` in sequence space, in [-2**31, 2**31)."""
    return (a - b + 2**31) % SEQ_SPACE - 2**31


def seq_lt(a: int, b: int) -> bool:
    """``a < b`` in sequence space."""
    return seq_diff(a, b) < 0


def seq_le(a: int, b: int) -> bool:
    """``a =< b`` in sequence space."""
    return seq_diff(a, b) <= 0


def seq_between(low: int, x: int, high: int) -> bool:
    """``low < x =< high`` in sequence space: the RFC's acceptable-ACK test."""
    return seq_lt(low, x) and seq_le(x, high)
