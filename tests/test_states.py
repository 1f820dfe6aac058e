from __future__ import annotations

import pytest

from tcpnb import State
from tcpnb.core.states import (
    TCP_TABLE,
    TRANSITIONS,
    TWO_WAY_TRANSITIONS,
    IllegalTransition,
    Trigger,
    next_state,
)


def test_eleven_states_with_rfc_names() -> None:
    assert len(State) == 11
    assert str(State.SYN_SENT) == "SYN-SENT"
    assert [str(s) for s in State] == [
        "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
        "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"]


def test_figure_5_has_exactly_its_twenty_arrows() -> None:
    drawn = {(r.source, r.trigger, r.target) for r in TCP_TABLE if r.in_figure_5}
    assert len(drawn) == 20
    assert (State.TIME_WAIT, Trigger.TIMEOUT_2MSL, State.CLOSED) in drawn
    assert (State.SYN_RECEIVED, Trigger.RCV_RST_AFTER_PASSIVE_OPEN, State.LISTEN) in drawn


def test_every_state_is_reachable_and_every_row_cites_its_source() -> None:
    targets = {r.target for r in TCP_TABLE} | {State.CLOSED}
    assert targets == set(State)
    assert all(r.reference for r in TCP_TABLE)


def test_note_2_fin_wait_1_to_time_wait_is_in_the_table_but_not_the_figure() -> None:
    row = TRANSITIONS[(State.FIN_WAIT_1, Trigger.RCV_FIN_AND_ACK_OF_FIN)]
    assert row.target is State.TIME_WAIT and not row.in_figure_5


def test_illegal_move_is_an_error() -> None:
    with pytest.raises(IllegalTransition, match="no transition from TIME-WAIT on rcv SYN"):
        next_state(TRANSITIONS, State.TIME_WAIT, Trigger.RCV_SYN)


def test_two_way_variant_differs_from_tcp_only_where_labelled() -> None:
    assert TWO_WAY_TRANSITIONS[(State.LISTEN, Trigger.RCV_SYN)].target is State.ESTABLISHED
    assert TRANSITIONS[(State.LISTEN, Trigger.RCV_SYN)].target is State.SYN_RECEIVED
    different = {k for k in TWO_WAY_TRANSITIONS if TRANSITIONS.get(k) != TWO_WAY_TRANSITIONS[k]}
    assert all("not TCP" in TWO_WAY_TRANSITIONS[k].reference for k in different)
