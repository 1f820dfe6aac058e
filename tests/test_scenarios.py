"""Each scenario tells the story the course says it tells."""

from __future__ import annotations

import pytest

from tcpnb import Fate, State, Trace, analysis, scenarios
from tcpnb.course.timewait import close_segments, time_wait_holders


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
@pytest.mark.parametrize("profile", ["rfc", "linux"])
def test_every_scenario_runs_and_terminates_with_both_profiles(name: str, profile: str) -> None:
    trace = scenarios.run(name, profile=profile, delay=0.05, jitter=0.02, seed=1)
    assert trace.transmissions and trace.end_time >= 0
    assert analysis.summary(trace)


def test_unknown_scenario_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="scenario: unknown scenario 'nope'; known: three_way"):
        scenarios.run("nope")


def test_describe_gives_one_line_each() -> None:
    rows = scenarios.describe()
    assert len(rows) == len(scenarios.SCENARIOS) and all(doc for _, doc in rows)


def test_syn_lost_twice_connects_after_rto_and_backoff() -> None:
    trace = scenarios.syn_lost(times=2, delay=0.1)
    assert analysis.connect_time(trace) == pytest.approx(1.0 + 2.0 + 0.2)


def test_synack_lost_rfc_waits_for_b_but_linux_answers_the_repeated_syn() -> None:
    rfc = scenarios.synack_lost(delay=0.1)
    linux = scenarios.synack_lost(delay=0.1, profile="linux")
    assert analysis.connect_time(rfc) == pytest.approx(1.1 + 0.1)  # B's own RTO: 1 s
    syns = [t for t in linux.transmissions if str(t.segment).endswith("<CTL=SYN,ACK>")]
    assert len(syns) == 3  # the original, the answer to A's repeated SYN, and B's own retry


@pytest.mark.parametrize("data", [0, 10])
def test_lost_third_ack_does_not_kill_the_connection(data: int) -> None:
    trace = scenarios.third_ack_lost(data=data)
    assert trace.final_state("A") is trace.final_state("B") is State.ESTABLISHED
    if data:  # the data segment's ACK field completes the handshake
        assert trace.received("B") == trace.sent("A")
        assert not any(t.origin.value == "retransmission" for t in trace.transmissions)


def test_two_way_variant_holds_a_connection_nobody_wanted() -> None:
    three = scenarios.old_duplicate_syn()
    two = scenarios.old_duplicate_syn_two_way()
    assert [h.established for h in analysis.unwanted(three)] == [False]  # RST ends it
    (held,) = analysis.unwanted(two)
    # B committed on the old SYN; A's RST (as TCP's A sends, §3.10.7.3) ends it one round trip later
    assert held.established and held.seconds == pytest.approx(0.2)


def test_half_close_passive_side_keeps_sending() -> None:
    trace = scenarios.half_close(chunks=3, chunk_size=500)
    assert trace.received("A") == trace.sent("B") and len(trace.received("A")) == 1500
    a_fin_wait_2 = next(t for t, s in trace.states("A") if s is State.FIN_WAIT_2)
    assert all(d.t > a_fin_wait_2 for d in trace.deliveries if d.endpoint == "A")
    assert trace.state_sequence("B")[-3:] == [State.CLOSE_WAIT, State.LAST_ACK, State.CLOSED]


# ------------------------------------------------------------------ closing
@pytest.mark.parametrize("first", ["A", "B"])
def test_whoever_closes_first_ends_in_time_wait(first: str) -> None:
    trace = scenarios.close(first=first)
    assert time_wait_holders(trace) == [first]
    second = "B" if first == "A" else "A"
    assert trace.state_sequence(first)[-4:] == [State.FIN_WAIT_1, State.FIN_WAIT_2,
                                                State.TIME_WAIT, State.CLOSED]
    assert trace.state_sequence(second)[-3:] == [State.CLOSE_WAIT, State.LAST_ACK, State.CLOSED]
    assert len(close_segments(trace)) == 4


def test_simultaneous_close_puts_both_in_closing_then_time_wait() -> None:
    trace = scenarios.close(first="both")
    assert sorted(time_wait_holders(trace)) == ["A", "B"]
    for name in "AB":
        assert State.CLOSING in trace.state_sequence(name)


@pytest.mark.parametrize("first", ["A", "B"])
@pytest.mark.parametrize("lose", scenarios.LOSSES[1:])
def test_each_named_loss_loses_exactly_that_segment(first: str, lose: str) -> None:
    trace = scenarios.close(first=first, lose=lose)
    lost = [t for t in close_segments(trace) if t.fate.value != "delivered"]
    second = "B" if first == "A" else "A"
    sender = first if lose in ("first FIN", "last ACK") else second
    fin = lose in ("first FIN", "second FIN")
    assert len(lost) == 1 and lost[0].src == sender
    assert ("FIN" in str(lost[0].segment.flags)) == fin
    assert trace.final_state("A") is trace.final_state("B") is State.CLOSED  # repaired


def test_close_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="first must be"):
        scenarios.close(first="C")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lose must be one of"):
        scenarios.close(lose="everything")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="need one side to close first"):
        scenarios.close(first="both", lose="first FIN")
    with pytest.raises(ValueError, match="need one side to close first"):
        scenarios.close(first="both", peer_close_after=0.5)


def test_linux_delayed_ack_merges_ack_and_fin_into_three_segments() -> None:
    quick = scenarios.close(peer_close_after=0.01, profile="linux", delay=0.05)
    slow = scenarios.close(peer_close_after=0.1, profile="linux", delay=0.05)
    assert len(close_segments(quick)) == 3 and len(close_segments(slow)) == 4
    assert len(close_segments(scenarios.close(peer_close_after=0.0))) == 4  # RFC: ACK at once


def test_the_named_closes_are_settings_of_the_one_close_scenario() -> None:
    def same(x: Trace, y: Trace) -> bool:
        return (x.transmissions, x.state_changes, x.timers) == (y.transmissions, y.state_changes,
                                                                y.timers)

    assert same(scenarios.normal_close(delay=0.3), scenarios.close(first="A", delay=0.3))
    assert same(scenarios.simultaneous_close(), scenarios.close(first="both"))
    assert same(scenarios.final_ack_lost(profile="linux"),
                scenarios.close(first="A", lose="last ACK", peer_close_after=0.5,
                                profile="linux"))


def test_final_ack_lost_time_wait_answers_the_retransmitted_fin() -> None:
    trace = scenarios.final_ack_lost()
    assert trace.final_state("B") is State.CLOSED and trace.messages("B") == ["connection closing"]
    cut = scenarios.final_ack_lost(time_wait=0.5)  # A forgets before B's FIN comes again
    last = [r for r in cut.state_changes if r.endpoint == "B"][-1]
    assert (last.old, last.new, last.cause) == (State.LAST_ACK, State.CLOSED, "rcv RST")


def test_time_wait_cut_short_lets_old_data_into_a_new_incarnation() -> None:
    cut = scenarios.time_wait_reuse(time_wait=0.0, isn="fixed")
    stale = analysis.stale_deliveries(cut, "B")
    assert len(stale) == 1 and len(stale[0]) == 100
    assert analysis.stale_deliveries(scenarios.time_wait_reuse(isn="clock"), "B") == []
    assert analysis.stale_deliveries(scenarios.time_wait_reuse(time_wait=240.0), "B") == []


def test_linux_close_can_take_three_segments() -> None:
    trace = scenarios.lifecycle(profile="linux", delay=0.01)
    fins = [t for t in trace.transmissions if "FIN" in str(t.segment)]
    assert [str(t.segment) for t in fins] == ["<SEQ=1101><ACK=1301><CTL=FIN,ACK>",
                                               "<SEQ=1301><ACK=1102><CTL=FIN,ACK>"]
    assert trace.state_sequence("A")[-3:] == [State.FIN_WAIT_1, State.TIME_WAIT, State.CLOSED]
    assert all(t.fate is Fate.DELIVERED for t in trace.transmissions)


@pytest.mark.parametrize("profile", ["rfc", "linux"])
@pytest.mark.parametrize("settings", [{}, {"rfc5961": False}, {"time_wait": 1.0}])
def test_reusing_ports_after_time_wait_starts_no_ack_storm(profile: str, settings: dict) -> None:
    """An old segment desynchronizes the new connection; the ACKs it draws must die out."""
    for isn in ("fixed", "clock"):
        trace = scenarios.time_wait_reuse(profile=profile, isn=isn, delay=0, max_events=500,
                                          **settings)
        acks = [t for t in trace.transmissions if str(t.segment.flags) == "ACK"
                and not t.segment.length]
        assert len(acks) <= 12, (isn, len(acks))
