"""The plain-text ladder: RFC 9293 notation, states after each event, comments in parentheses."""

from __future__ import annotations

from pathlib import Path

from tcpnb import scenarios
from tcpnb.real import capture
from tcpnb.sim.trace import Trace
from tcpnb import text_ladder


def test_figure_6_lines_appear_with_states_after_the_event() -> None:
    text = text_ladder(scenarios.three_way_handshake())
    assert "SYN-SENT     --> <SEQ=100><CTL=SYN>" in text
    assert "... <SEQ=100><CTL=SYN>" in text and "--> SYN-RECEIVED" in text
    assert "ESTABLISHED  <-- <SEQ=300><ACK=101><CTL=SYN,ACK>" in text


def test_state_changes_without_a_segment_get_their_own_line() -> None:
    lines = text_ladder(scenarios.normal_close()).splitlines()
    assert lines[-1].split() == ["242.400", "CLOSED", "(Timeout=2MSL)"]  # Figure 12 line 6
    assert any(line.split()[1:] == ["LISTEN"] for line in lines)


def test_lost_segments_end_in_xxx_and_retransmissions_are_tagged() -> None:
    text = text_ladder(scenarios.syn_lost())
    assert "XXX" in text and "(retransmission)" in text


def test_old_duplicate_is_tagged_and_comments_have_no_nested_parentheses() -> None:
    assert "<SEQ=90><CTL=SYN> (old duplicate)" in text_ladder(scenarios.old_duplicate_syn())
    assert "CLOSED (reboot: all state lost)" in text_ladder(scenarios.half_open_discovery())


def test_relative_numbers_count_from_each_isn() -> None:
    text = text_ladder(scenarios.three_way_handshake(), relative=True)
    assert "(relative sequence numbers)" in text.splitlines()[0]
    assert "<SEQ=0><ACK=1><CTL=SYN,ACK>" in text and "<SEQ=1><ACK=1><CTL=ACK><DATA=10>" in text


def test_columns_stay_aligned_with_long_segments() -> None:
    text = text_ladder(scenarios.lifecycle())
    arrows = [line.index("-->") for line in text.splitlines()
              if "--> " in line and line.rstrip().endswith("...")]
    assert len(set(arrows)) == 1


def test_a_trace_without_states_prints_segments_only() -> None:
    full = scenarios.three_way_handshake()
    text = text_ladder(Trace(endpoints=full.endpoints, transmissions=full.transmissions))
    assert "<SEQ=300><ACK=101><CTL=SYN,ACK>" in text and "ESTABLISHED" not in text
    assert text_ladder(Trace(endpoints=("A",))) == "(a ladder needs two endpoints)"


def test_a_segment_that_arrives_as_it_leaves_is_one_line() -> None:
    lines = text_ladder(scenarios.three_way_handshake(delay=0)).splitlines()
    assert any(line.split()[1:] == ["SYN-SENT", "-->", "<SEQ=100><CTL=SYN>", "-->", "SYN-RECEIVED"]
               for line in lines)
    assert sum("<CTL=SYN>" in line for line in lines) == 1


def test_a_loopback_capture_has_one_line_per_segment() -> None:
    trace = capture.load(Path(__file__).resolve().parent.parent / "tcpnb/real/captures/syn_lost.pcap")
    lines = text_ladder(trace).splitlines()[1:]
    assert len(lines) == len(trace.transmissions) == 12
    assert all(line.split()[1] == line.split()[-1] in ("-->", "<--") for line in lines)


def test_segments_that_cross_stay_two_lines_each() -> None:
    text = text_ladder(scenarios.run("simultaneous_open", delay=0))
    assert text.count("<SEQ=100><CTL=SYN>") == 2 and text.count("<SEQ=300><CTL=SYN>") == 2
    assert "--> <SEQ=100><CTL=SYN>                           ..." in text


# ------------------------------------------------------------ showing it in a notebook
def test_show_text_never_wraps_a_ladder_it_scrolls(capsys) -> None:
    from tcpnb import show_text
    from tcpnb.views.textladder import WideText

    text = text_ladder(scenarios.three_way_handshake())
    shown = WideText(text)._repr_html_()
    assert shown.startswith("<pre style='white-space: pre; overflow-x: auto;")
    assert "&lt;SEQ=100&gt;&lt;CTL=SYN&gt;" in shown and repr(WideText(text)) == text
    show_text(text)  # outside a notebook it prints, as print() would
    assert capsys.readouterr().out == text + "\n"
    assert isinstance(text_ladder(scenarios.refused()), str)  # the ladder itself stays a str
