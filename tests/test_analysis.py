from __future__ import annotations

import pytest

from tcpnb import State, Trace, analysis, scenarios
from tcpnb.sim.analysis import Held
from tcpnb.sim.trace import StateRecord


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


# ------------------------------------------------- unwanted connections, by hand
def _states(*rows: tuple[float, str, State, State, int | None, int | None]) -> Trace:
    """A trace of state changes only: (t, endpoint, old, new, iss, irs), one event each."""
    records = tuple(StateRecord(t, who, old, new, "test", iss=iss, irs=irs, event=k)
                    for k, (t, who, old, new, iss, irs) in enumerate(rows))
    return Trace(endpoints=("A", "B"), state_changes=records, end_time=400.0)


_B_LISTENS = (0.0, "B", State.CLOSED, State.LISTEN, None, None)
_A_CONNECTS = (0.0, "A", State.CLOSED, State.SYN_SENT, 100, None)


def test_a_span_the_client_asked_for_is_wanted_from_syn_to_listen_again() -> None:
    trace = _states(_B_LISTENS, _A_CONNECTS,
                    (0.1, "B", State.LISTEN, State.SYN_RECEIVED, 300, 100),
                    (0.2, "A", State.SYN_SENT, State.ESTABLISHED, 100, 300),
                    (0.3, "B", State.SYN_RECEIVED, State.ESTABLISHED, 300, 100),
                    (5.0, "B", State.LAST_ACK, State.LISTEN, None, None))
    assert analysis.held_connections(trace) == [Held(0.1, 5.0, True, True, 100)]
    assert analysis.unwanted(trace) == []


def test_a_late_copy_with_the_clients_own_isn_is_unwanted() -> None:
    # The client used ISN 100, but it is CLOSED when the copy of its SYN opens B again.
    trace = _states(_B_LISTENS, _A_CONNECTS,
                    (0.1, "B", State.LISTEN, State.ESTABLISHED, 300, 100),
                    (0.2, "A", State.SYN_SENT, State.ESTABLISHED, 100, 300),
                    (2.0, "A", State.LAST_ACK, State.CLOSED, None, None),
                    (2.0, "B", State.FIN_WAIT_2, State.LISTEN, None, None),
                    (50.0, "B", State.LISTEN, State.ESTABLISHED, 500, 100))
    late = Held(50.0, 400.0, True, False, 100)  # held until the run ends
    assert analysis.held_connections(trace) == [Held(0.1, 2.0, True, True, 100), late]
    assert analysis.unwanted(trace) == [late]


def test_an_old_syn_with_another_number_is_unwanted_while_the_client_connects() -> None:
    # RFC 9293 Figure 8: A is in SYN-SENT with ISS 100; an old SYN with SEQ 90 reaches B.
    trace = _states(_B_LISTENS, _A_CONNECTS,
                    (0.05, "B", State.LISTEN, State.SYN_RECEIVED, 300, 90),
                    (0.25, "B", State.SYN_RECEIVED, State.LISTEN, None, None))
    assert analysis.unwanted(trace) == [Held(0.05, 0.25, False, False, 90)]
    assert analysis.unwanted(trace)[0].seconds == pytest.approx(0.2)


def test_what_the_client_did_after_the_span_began_does_not_count() -> None:
    # B opens on a SYN at event 1; A connects with that very ISN only at event 2.
    trace = _states(_B_LISTENS,
                    (1.0, "B", State.LISTEN, State.SYN_RECEIVED, 300, 100),
                    (1.0, "A", State.CLOSED, State.SYN_SENT, 100, None))
    assert [h.wanted for h in analysis.held_connections(trace)] == [False]


def test_no_states_no_spans() -> None:
    assert analysis.held_connections(Trace(endpoints=("client", "server"))) == []
