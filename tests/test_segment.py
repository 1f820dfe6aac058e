from __future__ import annotations

import pytest

from tcpnb import Flags, Segment
from tcpnb.core.segment import seq_add, seq_between, seq_diff, seq_le, seq_lt


def test_rfc_notation() -> None:
    assert str(Segment(seq=300, ack=101, flags=Flags.SYN | Flags.ACK)) == \
        "<SEQ=300><ACK=101><CTL=SYN,ACK>"
    assert str(Segment(seq=100, flags=Flags.SYN)) == "<SEQ=100><CTL=SYN>"
    assert str(Segment(seq=91, flags=Flags.RST)) == "<SEQ=91><CTL=RST>"
    assert str(Segment(seq=100, ack=300, flags=Flags.FIN | Flags.ACK)) == \
        "<SEQ=100><ACK=300><CTL=FIN,ACK>"
    assert str(Segment(seq=300, ack=100, flags=Flags.ACK, data=b"x" * 10)) == \
        "<SEQ=300><ACK=100><CTL=ACK><DATA=10>"


def test_ack_field_printed_only_with_ack_flag() -> None:
    assert "ACK=" not in str(Segment(seq=5, ack=77, flags=Flags.SYN))


def test_syn_and_fin_occupy_one_sequence_number_each() -> None:
    assert Segment(flags=Flags.SYN).seg_len == 1
    assert Segment(flags=Flags.FIN | Flags.ACK, data=b"abc").seg_len == 4
    assert Segment(flags=Flags.ACK).seg_len == 0  # an ACK occupies no sequence space


def test_flags_parse() -> None:
    assert Flags.parse("syn, ack") == Flags.SYN | Flags.ACK
    with pytest.raises(ValueError, match="flags: unknown flag 'SYNN'"):
        Flags.parse("SYNN")


def test_sequence_arithmetic_wraps_modulo_2_32() -> None:
    top = 2**32 - 1
    assert seq_add(top, 1) == 0
    assert seq_lt(top, 0) and seq_lt(top - 5, 3) and not seq_lt(3, top - 5)
    assert seq_diff(2, top) == 3
    assert seq_le(7, 7)
    assert seq_between(top - 1, 0, 1)       # SND.UNA < SEG.ACK =< SND.NXT across the wrap
    assert not seq_between(top - 1, top - 1, 1)
