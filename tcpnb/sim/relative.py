"""Relative sequence numbers, as Wireshark shows them: each side's SEQ and ACK counted from its ISN.

The one computation behind ``text_ladder(relative=True)``, ``ladder(relative=True)``,
:func:`tcpnb.real.capture.load` and the kernel-vs-model comparison.  The rule:

* A side's ISN is the sequence number of the last SYN it sent before the
  segment (so a new connection between the same ports counts from its own ISN).
  Old duplicates put on the wire by ``Simulation.inject`` set no ISN.
* Before a side has sent a SYN (a capture that starts mid-connection), it
  counts from the first sequence number it sends other than in a RST.  A side
  that sends only RSTs -- a closed or listening port answering, whose SEQ is
  copied from the segment it answers (RFC 9293 §3.10.7.1) -- has no ISN.
* SEQ counts from the sender's ISN, ACK from the receiver's; an ACK field
  without the ACK bit is left as it is, and so is a number whose side has no
  ISN yet.
* The result is the signed distance in sequence space (RFC 9293 §3.4): a
  segment from before the ISN, such as an old duplicate, shows as -10 where
  Wireshark would show 4294967286.
"""

from __future__ import annotations

from dataclasses import replace

from ..core.segment import Flags, Segment, seq_diff
from .trace import Origin, Trace

#: For each transmission's index: (the sender's ISN, the receiver's ISN) when it was sent.
Bases = dict[int, tuple[int | None, int | None]]


def isn_bases(trace: Trace) -> Bases:
    """Each transmission's (sender's ISN, receiver's ISN) at the moment it was sent (see above)."""
    in_order = sorted(trace.transmissions, key=lambda t: (t.sent_event, t.index))
    latest: dict[str, int] = {}
    for t in in_order:  # before its first SYN a side counts from its first number
        if t.origin is not Origin.INJECTED and Flags.RST not in t.segment.flags:
            latest.setdefault(t.src, t.segment.seq)
    bases: Bases = {}
    for t in in_order:
        if Flags.SYN in t.segment.flags and t.origin is not Origin.INJECTED:
            latest[t.src] = t.segment.seq
        bases[t.index] = (latest.get(t.src), latest.get(t.dst))
    return bases


def relative(segment: Segment, seq_base: int | None, ack_base: int | None) -> Segment:
    """``segment`` with SEQ and ACK counted from the given ISNs (unchanged where ``None``)."""
    seq = segment.seq if seq_base is None else seq_diff(segment.seq, seq_base)
    ack = segment.ack if ack_base is None or Flags.ACK not in segment.flags \
        else seq_diff(segment.ack, ack_base)
    return replace(segment, seq=seq, ack=ack)


def relative_trace(trace: Trace) -> Trace:
    """``trace`` with the SEQ and ACK of every segment relative (see the module's docstring)."""
    bases = isn_bases(trace)
    return replace(trace, transmissions=tuple(
        replace(t, segment=relative(t.segment, *bases[t.index])) for t in trace.transmissions))


def first_isns(trace: Trace) -> dict[str, int]:
    """Each side's first ISN, the one its first segment counts from (none for a side of RSTs only)."""
    bases = isn_bases(trace)
    isns: dict[str, int] = {}
    for t in sorted(trace.transmissions, key=lambda t: (t.sent_event, t.index)):
        own = bases[t.index][0]
        if own is not None:
            isns.setdefault(t.src, own)
    return isns
