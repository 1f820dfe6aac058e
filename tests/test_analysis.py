from __future__ import annotations

from tcpnb import analysis, scenarios


def test_summary_says_what_happened() -> None:
    assert analysis.summary(scenarios.syn_lost(times=2, delay=0.1)) == (
        "SYN lost twice; connection established at t = 3.3 s; "
        "A ends in ESTABLISHED, B ends in ESTABLISHED")
    assert analysis.summary(scenarios.refused()) == (
        "No connection established; A: connection refused; A ends in CLOSED, B ends in CLOSED")


def test_connect_time_is_one_rtt_without_loss() -> None:
    assert analysis.connect_time(scenarios.three_way_handshake(delay=0.25)) == 0.5


def test_counts_and_losses() -> None:
    trace = scenarios.final_ack_lost()
    assert analysis.losses(trace) == {"ACK": 1}
    c = analysis.counts(trace)
    assert c["lost"] == 1 and c["retransmission"] == 1


def test_summary_names_a_reset_that_no_user_was_told_about() -> None:
    text = analysis.summary(scenarios.final_ack_lost(time_wait=0.5))
    assert "B: reset in LAST-ACK" in text
    assert "reset" not in analysis.summary(scenarios.final_ack_lost())


def test_summary_names_the_first_error_not_its_echoes() -> None:
    """After the RST, B's next send and its close() fail too; the reset is what happened."""
    text = analysis.summary(scenarios.close_then_reply())
    assert "B: connection reset;" in text and "does not exist" not in text


def test_summary_lists_a_servers_accepted_connections() -> None:
    assert analysis.summary(scenarios.lifecycle(accept=True, delay=0.05)).endswith(
        "A ends in CLOSED, B ends in LISTEN, B:1 ends in CLOSED")
