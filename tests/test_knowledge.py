"""The knowledge table says what RFC 9293 §3.4.1/§3.5 says each side knows after each step."""

from __future__ import annotations

import pytest

from tcpnb import scenarios
from tcpnb.sim.trace import Trace
from tcpnb.views.knowledge import MAYBE, NO, YES, knowledge

COLUMNS = ("A→B works", "B→A works", "I know the peer's ISN", "the peer knows my ISN",
           "the peer knows I know its ISN")


def _facts(row) -> tuple[str, ...]:
    return tuple(row.facts[c] for c in COLUMNS)


def test_basic_handshake_matches_rfc_9293_section_3_5() -> None:
    rows = knowledge(scenarios.three_way_handshake(data=10)).rows
    # 1. B gets the SYN: it has A's ISN, but the SYN could be an old duplicate (§3.4.1).
    assert rows[0].endpoint == "B" and _facts(rows[0]) == (MAYBE, NO, MAYBE, NO, NO)
    # 2. A gets SYN,ACK: its ISN was received and acknowledged, it has B's ISN.
    assert rows[1].endpoint == "A" and _facts(rows[1]) == (YES, YES, YES, YES, NO)
    # 3. B gets the ACK: its own ISN is confirmed, and A got B's acknowledgment of A's ISN.
    assert rows[2].endpoint == "B" and _facts(rows[2]) == (YES, YES, YES, YES, YES)
    # A learns that B knows it knows B's ISN only when B acknowledges data A sent with that ACK.
    assert rows[-1].endpoint == "A" and _facts(rows[-1]) == (YES,) * 5
    assert "the peer knows I know its ISN" in rows[-1].learned


def test_an_old_duplicate_syn_teaches_nothing_and_a_reset_forgets() -> None:
    rows = knowledge(scenarios.old_duplicate_syn()).rows  # RFC 9293 Figure 8
    assert _facts(rows[0]) == (MAYBE, NO, MAYBE, NO, NO)               # B: old SYN 90
    assert rows[1].endpoint == "A" and _facts(rows[1]) == (NO,) * 5    # ACK=91: not mine
    assert "does not acknowledge" in rows[1].why
    assert rows[2].segment == "<SEQ=91><CTL=RST>" and _facts(rows[2]) == (NO,) * 5
    assert _facts(rows[-1]) == (YES,) * 5


def test_simultaneous_open_knows_less_than_it_seems() -> None:
    """B's SYN,ACK reused sequence number 300, so A's ACK=301 may acknowledge the bare SYN."""
    rows = knowledge(scenarios.simultaneous_open()).rows
    assert all(r.facts["the peer knows I know its ISN"] == NO for r in rows)
    assert _facts(rows[-1])[:4] == (YES,) * 4


def test_renders_as_html_text_and_rows() -> None:
    table = knowledge(scenarios.three_way_handshake())
    html = table._repr_html_()
    assert html.startswith("<table") and "<script" not in html and "✓ yes" in html
    assert "&lt;SEQ=100&gt;&lt;CTL=SYN&gt;" in html
    assert len(str(table).splitlines()) == len(table.rows) + 1
    first = table.to_rows()[0]
    assert first["at"] == "B" and first["A→B works"] == MAYBE


def test_works_on_segments_alone_and_rejects_one_endpoint() -> None:
    full = scenarios.three_way_handshake()
    bare = Trace(endpoints=full.endpoints, transmissions=full.transmissions)
    assert [r.facts for r in knowledge(bare).rows] == [r.facts for r in knowledge(full).rows]
    with pytest.raises(ValueError, match="trace"):
        knowledge(Trace(endpoints=("A",)))
