"""Defects found by running the model (issue 11), one test each: every test here failed before its fix.

Each test builds the situation that exposed the defect and asserts what RFC 9293
(or, with ``profile="linux"``, the Linux kernel) does instead.
"""

from __future__ import annotations

import math

import pytest

from tcpnb import Flags, Segment, Simulation, State, UsageError, analysis, profiles, scenarios
from tcpnb.core.endpoint import Endpoint
from tcpnb.sim.triggers import OnReceived, OnState, on_state

from .test_endpoint import connected, make, sent, wire


def deliver(outputs: list, dst: Endpoint, now: float = 0.0) -> list:
    """Every segment in ``outputs`` arrives at ``dst`` at once; what ``dst`` answers."""
    return wire(dst, outputs, dst, now)


# 1. Data queued when both sides close: A entered CLOSING with data still queued,
#    and _push did not push in CLOSING: the data and the FIN were never sent.
@pytest.mark.parametrize("profile", ["rfc", "linux"])
def test_queued_data_then_the_fin_go_out_when_both_sides_close_at_once(profile: str) -> None:
    sim = Simulation(delay=0.1, profile=profile)
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=300)
    b.listen()
    a.connect("B")
    a.send(100_000, at=1.0)
    a.shutdown(at=1.0)
    b.shutdown(at=1.0)
    trace = sim.run()
    assert len(trace.sent("A")) == 100_000 and trace.received("B") == trace.sent("A")
    fin = [s for s in trace.segments("A") if Flags.FIN in s.flags]
    assert fin and all(s.seq == 101 + 100_000 for s in fin)  # after the last byte
    for name in "AB":
        assert trace.state_sequence(name)[-2:] == [State.TIME_WAIT, State.CLOSED]


# 2. A FIN,ACK that acknowledges our FIN but arrives after a gap in the data left A in
#    FIN-WAIT-1 with its FIN acknowledged and no timer: stuck for ever.
def test_fin_acknowledged_by_an_out_of_order_fin_moves_fin_wait_1_to_fin_wait_2() -> None:
    sim = Simulation(delay=0.1, profile="linux")
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=300)
    b.listen()
    a.connect("B")
    sim.drop("B", "DATA", nth=1)
    b.send(10, at=1.0)
    a.close(at=1.05)
    b.close(at=on_state(State.CLOSE_WAIT))
    b.crash(at=1.5)
    trace = sim.run()
    assert a.endpoint.snd_una == a.endpoint.snd_nxt  # A's FIN is acknowledged ...
    assert trace.final_state("A") is State.FIN_WAIT_2  # ... so §3.10.7.4 says FIN-WAIT-2


# 3. Any FIN in TIME-WAIT restarted the 2 MSL timer, even one far outside the window.
def test_out_of_window_fin_in_time_wait_is_acked_without_restarting_the_timer() -> None:
    a, b = connected()
    deliver(deliver(a.close(1.0), b, 1.0), a, 1.0)
    deliver(b.close(2.0), a, 2.0)
    assert a.state is State.TIME_WAIT and a.timer_deadline == 2.0 + 240.0
    stray = Segment(seq=5_000_000, ack=102, flags=Flags.FIN | Flags.ACK, src_port=2, dst_port=1)
    out = a.receive(stray, 10.0)
    assert sent(out) == ["<SEQ=102><ACK=302><CTL=ACK>"]  # first check: ACK and drop
    assert a.timer_deadline == 2.0 + 240.0 and a.state is State.TIME_WAIT


# 4. Simultaneous open: in SYN-RECEIVED a SYN,ACK whose SEQ is below RCV.NXT was
#    accepted without the ACK that §3.10.7.4's first check sends (Linux sends it too).
def test_simultaneous_open_answers_the_peers_old_syn_ack_with_an_ack() -> None:
    a, b = make(1, 100), make(2, 300)
    syn_a, syn_b = a.open_active(2, 0.0), b.open_active(1, 0.0)
    synack_a = deliver(syn_b, a)   # A: SYN-SENT -> SYN-RECEIVED
    synack_b = deliver(syn_a, b)   # B: the same
    assert sent(synack_a) == ["<SEQ=100><ACK=301><CTL=SYN,ACK>"]
    ack_from_a = deliver(synack_b, a)  # SEG.SEQ=300 < RCV.NXT=301: not acceptable
    assert sent(ack_from_a) == ["<SEQ=101><ACK=301><CTL=ACK>"] and a.state is State.SYN_RECEIVED
    deliver(deliver(synack_a, b), a)     # B answers A's SYN,ACK the same way; A gets B's ACK
    deliver(ack_from_a, b)
    assert a.state is b.state is State.ESTABLISHED


# 5. Every ACK to an unacceptable segment was rate-limited; RFC 5961 §7 limits only
#    challenge ACKs, and RFC 5961's checks are optional in RFC 9293 (a profile setting).
def test_rfc_profile_acks_every_unacceptable_segment() -> None:
    a, b = connected()
    old = Segment(seq=50, ack=101, flags=Flags.ACK, data=b"x" * 10, src_port=1, dst_port=2)
    assert sent(b.receive(old, 1.0)) == ["<SEQ=301><ACK=101><CTL=ACK>"]
    assert sent(b.receive(old, 1.1)) == ["<SEQ=301><ACK=101><CTL=ACK>"]  # not throttled


def test_rfc5961_checks_are_a_profile_setting() -> None:
    assert profiles.LINUX.rfc5961 and profiles.RFC.rfc5961
    without = profiles.RFC.replace(rfc5961=False)
    a, b = connected(without)  # RFC 793's rules: an in-window RST resets at once
    out = b.receive(Segment(seq=150, flags=Flags.RST, src_port=1, dst_port=2), 1.0)
    assert b.state is State.CLOSED and not sent(out)
    a, b = connected(without)  # and an in-window SYN is answered with a RST
    out = b.receive(Segment(seq=101, flags=Flags.SYN, src_port=1, dst_port=2), 1.0)
    assert sent(out) == ["<SEQ=301><CTL=RST>"] and b.state is State.CLOSED


# 6. Analysis and trace answers that were wrong.
def test_a_connection_opened_and_closed_in_one_instant_was_established() -> None:
    trace = scenarios.lifecycle(delay=0)
    assert analysis.established_at(trace) == 0.0
    assert analysis.summary(trace).startswith("Connection established at t = 0 s")


@pytest.mark.parametrize("t", [-1.0, math.nan, math.inf, "1"])
def test_state_at_refuses_a_time_outside_the_run(t: object) -> None:
    trace = scenarios.three_way_handshake()
    with pytest.raises(UsageError, match="t must be"):
        trace.state_at("A", t)  # type: ignore[arg-type]


def test_end_time_counts_a_late_arrival_that_changed_nothing() -> None:
    sim = Simulation(delay=0.1)
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=300)
    b.listen()
    a.connect("B")
    sim.duplicate("A", "ACK", nth=1, after=50.0)  # the handshake's ACK, again at 50.3 s
    b.send(3000, at=1.0)
    trace = sim.run()
    copy = next(t for t in trace.transmissions if t.origin.value == "duplicate")
    assert copy.arrived_at == pytest.approx(50.3) and trace.end_time == copy.arrived_at


# 7. The clock went backwards: calls scheduled before "now", triggers with a negative or
#    NaN delay, and a trigger on a state given as a string that never fired.
def test_calls_in_the_past_are_refused() -> None:
    sim = Simulation(delay=0.1)
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=300)
    b.listen()
    a.connect("B")
    sim.run(until=10)
    with pytest.raises(UsageError, match="at must be"):
        a.send(5, at=1.0)
    with pytest.raises(UsageError, match="at must be"):
        sim.inject(Segment(seq=1, flags=Flags.SYN), src="A", dst="B", at=1.0)


@pytest.mark.parametrize("build", [
    lambda: OnState(State.ESTABLISHED, delay=-5), lambda: OnState(State.ESTABLISHED, delay=math.nan),
    lambda: OnState("ESTABLISHED"), lambda: OnState(State.ESTABLISHED, nth=0),
    lambda: OnReceived(0), lambda: OnReceived(10, delay=-1)])
def test_triggers_refuse_what_would_never_fire_or_fire_in_the_past(build: object) -> None:
    with pytest.raises(UsageError):
        build()  # type: ignore[operator]


# 9. Stepping was quadratic: every run(until=) rebuilt every record of the trace.
def test_stepping_keeps_the_records_of_earlier_steps() -> None:
    sim = Simulation(delay=0.1)
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=300)
    b.listen()
    a.connect("B")
    a.send(5000, at=1.0)
    first = sim.run(until=1.5)
    second = sim.run(until=3.0)
    delivered = [t for t in first.transmissions if t.arrived_event is not None]
    assert delivered and all(t is second.transmissions[t.index] for t in delivered)
