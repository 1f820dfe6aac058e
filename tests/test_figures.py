"""RFC 9293's connection-management figures 6-13, reproduced by simulation, line by line.

Each expected row is (sender, segment, sender's state, receiver's state after
arrival), transcribed from the figure (shared/reference/rfc9293_figures.md).
"""

from __future__ import annotations

import pytest

from tcpnb import State, scenarios
from tcpnb.sim.trace import Origin

from .conftest import exchange


def test_figure_6_basic_three_way_handshake() -> None:
    trace = scenarios.three_way_handshake(data=10)
    assert exchange(trace)[:4] == [
        ("A", "<SEQ=100><CTL=SYN>", "SYN-SENT", "SYN-RECEIVED"),
        ("B", "<SEQ=300><ACK=101><CTL=SYN,ACK>", "SYN-RECEIVED", "ESTABLISHED"),
        ("A", "<SEQ=101><ACK=301><CTL=ACK>", "ESTABLISHED", "ESTABLISHED"),
        ("A", "<SEQ=101><ACK=301><CTL=ACK><DATA=10>", "ESTABLISHED", "ESTABLISHED"),
    ]


def test_figure_7_simultaneous_open_follows_the_rules_of_3_10_7_4() -> None:
    """Lines 2-6 as drawn; then each SYN,ACK (SEG.SEQ below RCV.NXT) fails the first check
    and draws an ACK, and those ACKs complete the handshake: Figure 7 leaves them out,
    Linux sends them (data/captures/simultaneous_open)."""
    trace = scenarios.simultaneous_open()
    assert exchange(trace) == [
        ("A", "<SEQ=100><CTL=SYN>", "SYN-SENT", "SYN-RECEIVED"),
        ("B", "<SEQ=300><CTL=SYN>", "SYN-SENT", "SYN-RECEIVED"),
        ("A", "<SEQ=100><ACK=301><CTL=SYN,ACK>", "SYN-RECEIVED", "SYN-RECEIVED"),
        ("B", "<SEQ=300><ACK=101><CTL=SYN,ACK>", "SYN-RECEIVED", "SYN-RECEIVED"),
        ("B", "<SEQ=301><ACK=101><CTL=ACK>", "SYN-RECEIVED", "ESTABLISHED"),
        ("A", "<SEQ=101><ACK=301><CTL=ACK>", "SYN-RECEIVED", "ESTABLISHED"),
    ]
    # Figure 7's timing: A's SYN (line 2) is still in flight when B's SYN reaches A (line 3).
    a_syn, b_syn = trace.transmissions[:2]
    assert b_syn.arrived_at < a_syn.arrived_at
    for name in "AB":
        assert trace.state_sequence(name) == [State.CLOSED, State.SYN_SENT, State.SYN_RECEIVED,
                                              State.ESTABLISHED]


def test_figure_8_recovery_from_old_duplicate_syn() -> None:
    trace = scenarios.old_duplicate_syn()
    assert exchange(trace) == [
        ("A", "<SEQ=100><CTL=SYN>", "SYN-SENT", "SYN-RECEIVED"),       # line 2, arrives as line 6
        ("A", "<SEQ=90><CTL=SYN>", "(duplicate)", "SYN-RECEIVED"),     # line 3
        ("B", "<SEQ=300><ACK=91><CTL=SYN,ACK>", "SYN-RECEIVED", "SYN-SENT"),  # line 4
        ("A", "<SEQ=91><CTL=RST>", "SYN-SENT", "LISTEN"),              # line 5
        ("B", "<SEQ=400><ACK=101><CTL=SYN,ACK>", "SYN-RECEIVED", "ESTABLISHED"),  # line 7
        ("A", "<SEQ=101><ACK=401><CTL=ACK>", "ESTABLISHED", "ESTABLISHED"),       # line 8
    ]
    injected = [t for t in trace.transmissions if t.origin is Origin.INJECTED]
    real_syn = trace.transmissions[0]
    assert injected[0].arrived_at < real_syn.arrived_at  # the old SYN overtakes (lines 2-3)


def test_figure_9_half_open_connection_discovery() -> None:
    trace = scenarios.half_open_discovery()
    rows = exchange(trace)
    after_reboot = rows[rows.index(("A", "<SEQ=400><CTL=SYN>", "SYN-SENT", "ESTABLISHED")):]
    assert after_reboot[:3] == [
        ("A", "<SEQ=400><CTL=SYN>", "SYN-SENT", "ESTABLISHED"),        # line 3: B (??)
        ("B", "<SEQ=300><ACK=100><CTL=ACK>", "ESTABLISHED", "SYN-SENT"),  # line 4: A (!!)
        ("A", "<SEQ=100><CTL=RST>", "SYN-SENT", "LISTEN"),             # line 5: B aborts...
    ]
    # ... through CLOSED (line 6), and listens again because it is a server.
    b_changes = [(r.old, r.new, r.cause) for r in trace.state_changes if r.endpoint == "B"]
    assert (State.ESTABLISHED, State.CLOSED, "rcv RST") in b_changes
    assert trace.messages("B") == ["error: connection reset"]
    assert after_reboot[3][:2] == ("A", "<SEQ=400><CTL=SYN>")          # line 7: SYN again
    assert trace.final_state("A") is State.ESTABLISHED


def test_figure_10_active_side_causes_half_open_discovery() -> None:
    trace = scenarios.half_open_data()
    assert exchange(trace)[-2:] == [
        ("B", "<SEQ=300><ACK=100><CTL=ACK><DATA=10>", "ESTABLISHED", "CLOSED"),  # line 2
        ("A", "<SEQ=100><CTL=RST>", "CLOSED", "LISTEN"),                          # line 3
    ]
    assert trace.messages("B") == ["error: connection reset"]


def test_figure_11_old_duplicate_syn_on_two_passive_sockets() -> None:
    trace = scenarios.two_passive_sockets()
    assert exchange(trace) == [
        ("A", "<SEQ=1000><CTL=SYN>", "(duplicate)", "SYN-RECEIVED"),            # line 2 (Z)
        ("B", "<SEQ=300><ACK=1001><CTL=SYN,ACK>", "SYN-RECEIVED", "LISTEN"),    # line 3
        ("A", "<SEQ=1001><CTL=RST>", "LISTEN", "LISTEN"),                        # line 4
    ]
    assert trace.final_state("A") is trace.final_state("B") is State.LISTEN   # line 5


def test_figure_12_normal_close() -> None:
    trace = scenarios.normal_close()
    assert exchange(trace)[3:] == [
        ("A", "<SEQ=100><ACK=300><CTL=FIN,ACK>", "FIN-WAIT-1", "CLOSE-WAIT"),
        ("B", "<SEQ=300><ACK=101><CTL=ACK>", "CLOSE-WAIT", "FIN-WAIT-2"),
        ("B", "<SEQ=300><ACK=101><CTL=FIN,ACK>", "LAST-ACK", "TIME-WAIT"),
        ("A", "<SEQ=101><ACK=301><CTL=ACK>", "TIME-WAIT", "CLOSED"),
    ]
    states = trace.states("A")
    entered = next(t for t, s in states if s is State.TIME_WAIT)
    assert states[-1] == (pytest.approx(entered + 240.0), State.CLOSED)  # line 6: 2 MSL


def test_figure_13_simultaneous_close() -> None:
    trace = scenarios.simultaneous_close()
    rows = exchange(trace)[3:]
    # Rows a/b/c of lines 2 and 3 cross in the network; the order within a line is free.
    assert sorted(rows[:2]) == [
        ("A", "<SEQ=100><ACK=300><CTL=FIN,ACK>", "FIN-WAIT-1", "CLOSING"),
        ("B", "<SEQ=300><ACK=100><CTL=FIN,ACK>", "FIN-WAIT-1", "CLOSING"),
    ]
    assert sorted(rows[2:]) == [
        ("A", "<SEQ=101><ACK=301><CTL=ACK>", "CLOSING", "TIME-WAIT"),
        ("B", "<SEQ=301><ACK=101><CTL=ACK>", "CLOSING", "TIME-WAIT"),
    ]
    for name in "AB":
        assert trace.state_sequence(name)[-4:] == [State.FIN_WAIT_1, State.CLOSING,
                                                   State.TIME_WAIT, State.CLOSED]
