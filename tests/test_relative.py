"""Relative sequence numbers: one rule for the ladders, the capture importer and the comparison."""

from __future__ import annotations

from tcpnb import Flags, Segment, Trace, scenarios
from tcpnb.sim.relative import first_isns, isn_bases, relative_trace
from tcpnb.sim.trace import Fate, Origin, Transmission


def _trace(*sent: tuple[str, int, int, str, int]) -> Trace:
    """(src, seq, ack, flags, length) per segment, in send order, between A and B."""
    return Trace(endpoints=("A", "B"), transmissions=tuple(
        Transmission(k, float(k), float(k) + 0.1, src, "B" if src == "A" else "A",
                     Segment(seq, ack, Flags.parse(flags) if flags else Flags.NONE,
                             b"x" * length), Fate.DELIVERED, sent_event=k)
        for k, (src, seq, ack, flags, length) in enumerate(sent)))


def _numbers(trace: Trace) -> list[tuple[int, int]]:
    return [(t.segment.seq, t.segment.ack) for t in relative_trace(trace).transmissions]


def test_each_side_counts_from_its_own_syn_and_acks_from_the_peers() -> None:
    trace = _trace(("A", 100, 0, "SYN", 0), ("B", 300, 101, "SYN,ACK", 0),
                   ("A", 101, 301, "ACK", 10), ("B", 301, 111, "ACK", 0))
    assert _numbers(trace) == [(0, 0), (0, 1), (1, 1), (1, 11)]
    assert first_isns(trace) == {"A": 100, "B": 300}


def test_numbers_wrap_round_the_sequence_space() -> None:
    trace = _trace(("A", 2**32 - 1, 0, "SYN", 0), ("B", 5, 0, "SYN,ACK", 0),
                   ("A", 0, 6, "ACK", 10))
    assert _numbers(trace)[2] == (1, 1)


def test_a_new_syn_starts_a_new_count() -> None:
    # A reconnects on the same ports with ISN 900; B's ACK of the old connection then lies behind.
    trace = _trace(("A", 100, 0, "SYN", 0), ("B", 300, 101, "SYN,ACK", 0),
                   ("A", 900, 0, "SYN", 0), ("B", 301, 101, "ACK", 0))
    assert _numbers(trace) == [(0, 0), (0, 1), (0, 0), (1, -799)]


def test_a_side_without_a_syn_counts_from_its_first_segment_but_not_from_a_reset() -> None:
    mid = _trace(("A", 5000, 7000, "ACK", 100), ("B", 7000, 5100, "ACK", 0))
    assert _numbers(mid) == [(0, 0), (0, 100)]
    refused = _trace(("A", 100, 0, "SYN", 0), ("B", 0, 101, "RST,ACK", 0))
    assert _numbers(refused) == [(0, 0), (0, 1)]  # B has no ISN: its SEQ is left as sent
    assert isn_bases(refused)[1] == (None, 100) and first_isns(refused) == {"A": 100}


def test_an_ack_field_without_the_ack_bit_is_left_alone() -> None:
    assert _numbers(_trace(("A", 100, 55, "SYN", 0))) == [(0, 55)]


def test_an_old_duplicate_counts_from_the_isn_of_the_connection_it_lands_in() -> None:
    # RFC 9293 Figure 8: the old SYN (SEQ 90) sets no ISN; it shows 10 before A's real one.
    trace = scenarios.old_duplicate_syn()
    injected = next(t for t in trace.transmissions if t.origin is Origin.INJECTED)
    moved = relative_trace(trace).transmissions
    assert moved[injected.index].segment.seq == -10
    answer = next(t for t in moved if t.src == "B" and t.sent_event >= (injected.arrived_event or 0))
    assert (answer.segment.seq, answer.segment.ack) == (0, -9)  # B acknowledges the old number
