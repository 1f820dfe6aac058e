"""The sans-I/O endpoint on its own: calls in, records out, no simulator."""

from __future__ import annotations

from tcpnb import Flags, Segment, State, profiles
from tcpnb.core.endpoint import Endpoint
from tcpnb.core.isn import FixedISN, IncrementingISN
from tcpnb.core.outputs import Delivered, Notice, StateChanged, TimerSet, Transmit


def make(port: int = 1, isn: int = 100, profile: profiles.Profile = profiles.RFC) -> Endpoint:
    return Endpoint(port, profile, FixedISN(isn))


def sent(outputs: list) -> list[str]:
    return [str(o.segment) for o in outputs if isinstance(o, Transmit)]


def wire(src: Endpoint, outputs: list, dst: Endpoint, now: float) -> list:
    """Deliver every segment in ``outputs`` to ``dst`` at once (a zero-delay link)."""
    replies: list = []
    for o in outputs:
        if isinstance(o, Transmit):
            replies += dst.receive(o.segment, now)
    return replies


def connected(profile: profiles.Profile = profiles.RFC) -> tuple[Endpoint, Endpoint]:
    """A (port 1, ISN 100) and B (port 2, ISN 300), ESTABLISHED over a zero-delay wire."""
    a, b = make(1, 100, profile), make(2, 300, profile)
    b.open_passive(0.0)
    wire(a, wire(b, wire(a, a.open_active(2, 0.0), b, 0.0), a, 0.0), b, 0.0)
    return a, b


def test_open_active_sends_syn_and_asks_for_a_timer() -> None:
    a = make()
    out = a.open_active(2, now=0.0)
    assert sent(out) == ["<SEQ=100><CTL=SYN>"]
    assert StateChanged(State.CLOSED, State.SYN_SENT, "active OPEN", 100, None) in out
    assert TimerSet("retransmission", 1.0) in out  # RFC 6298: initial RTO 1 s
    assert a.timer_deadline == 1.0


def test_handshake_between_two_endpoints_wired_directly() -> None:
    a, b = make(1, 100), make(2, 300)
    b.open_passive(0.0)
    synack = wire(a, a.open_active(2, 0.0), b, 0.0)
    assert sent(synack) == ["<SEQ=300><ACK=101><CTL=SYN,ACK>"]
    ack = wire(b, synack, a, 0.0)
    assert sent(ack) == ["<SEQ=101><ACK=301><CTL=ACK>"]
    wire(a, ack, b, 0.0)
    assert a.state is b.state is State.ESTABLISHED
    assert a.timer_deadline is None and b.timer_deadline is None  # nothing left to retransmit


def test_syn_retransmitted_with_doubling_backoff_then_timed_out() -> None:
    a = make(profile=profiles.RFC.replace(syn_retries=2))
    a.open_active(2, 0.0)
    times = []
    while a.timer_deadline is not None:
        now = a.timer_deadline
        out = a.on_timer(now)
        if sent(out):
            times.append(now)
    assert times == [1.0, 3.0]            # RTO 1 s, then 2 s
    assert a.state is State.CLOSED
    assert Notice("error: connection timed out") in out


def test_closed_port_answers_with_rst_ack() -> None:
    b = make(2, 300)
    out = b.receive(Segment(seq=100, flags=Flags.SYN, src_port=1, dst_port=2), 0.0)
    assert sent(out) == ["<SEQ=0><ACK=101><CTL=RST,ACK>"]


def test_send_before_connect_is_reported_in_rfc_words() -> None:
    out = make().send(b"x", 0.0)
    assert out == [Notice("error: connection does not exist")]


def test_after_shutdown_data_keeps_flowing_to_the_side_that_closed() -> None:
    a, b = make(1, 100), make(2, 300)
    b.open_passive(0.0)
    wire(a, wire(b, wire(a, a.open_active(2, 0.0), b, 0.0), a, 0.0), b, 0.0)
    wire(b, wire(a, a.shutdown(0.1), b, 0.1), a, 0.1)
    assert (a.state, b.state) == (State.FIN_WAIT_2, State.CLOSE_WAIT)
    delivered = wire(b, b.send(b"still talking", 0.2), a, 0.2)
    assert sent(delivered) == ["<SEQ=102><ACK=314><CTL=ACK>"]
    assert a.rcv_nxt == 314


def test_after_the_socket_close_data_draws_a_rst_and_the_peer_is_reset() -> None:
    a, b = connected()
    wire(b, wire(a, a.close(0.1), b, 0.1), a, 0.1)
    assert (a.state, b.state) == (State.FIN_WAIT_2, State.CLOSE_WAIT)
    data = b.send(b"still talking", 0.2)
    rst = wire(b, data, a, 0.2)
    assert sent(rst) == ["<SEQ=102><CTL=RST>"] and a.state is State.CLOSED  # SHLD-3
    assert not [o for o in rst if isinstance(o, Delivered)]
    out = wire(a, rst, b, 0.2)
    assert b.state is State.CLOSED and Notice("error: connection reset") in out
    assert b.send(b"more", 0.3) == [Notice("error: connection does not exist")]  # EPIPE


def test_time_wait_reacks_a_retransmitted_fin_and_restarts_its_timer() -> None:
    a, b = make(1, 100), make(2, 300)
    b.open_passive(0.0)
    wire(a, wire(b, wire(a, a.open_active(2, 0.0), b, 0.0), a, 0.0), b, 0.0)
    wire(b, wire(a, a.close(1.0), b, 1.0), a, 1.0)
    fin = b.close(2.0)
    wire(b, fin, a, 2.0)
    assert a.state is State.TIME_WAIT and a.timer_deadline == 2.0 + 240.0
    fin_segment = next(o.segment for o in fin if isinstance(o, Transmit))
    again = a.receive(fin_segment, 10.0)
    assert sent(again) == ["<SEQ=102><ACK=302><CTL=ACK>"]
    assert a.timer_deadline == 10.0 + 240.0


def test_after_a_timeout_the_rest_of_the_window_is_resent_once_the_first_is_acked() -> None:
    from tcpnb import Simulation, on_state

    sim = Simulation(delay=0.1, mss=100)
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=300)
    b.listen()
    a.connect("B")
    a.send(500, at=on_state(State.ESTABLISHED))
    sim.drop("A", "DATA", nth=1)  # the first of five segments: B drops the other four
    trace = sim.run()
    assert trace.received("B") == trace.sent("A")
    resent = [t for t in trace.transmissions if t.origin.value == "retransmission"]
    assert len(resent) == 5 and max(t.sent_at for t in resent) < 1.5  # one RTO, not five


def test_two_ends_in_time_wait_do_not_ack_each_others_acks() -> None:
    """Found by the soak test: answering any ACK in TIME-WAIT made two ends ACK each other for ever."""
    a, b = connected()
    fin_a, fin_b = a.close(1.0), b.close(1.0)            # simultaneous close (Figure 13)
    acks = wire(a, fin_a, b, 1.0) + wire(b, fin_b, a, 1.0)
    for o in acks:
        if isinstance(o, Transmit):
            (a if o.segment.dst_port == 1 else b).receive(o.segment, 1.0)
    assert a.state is b.state is State.TIME_WAIT
    late_copy = Segment(seq=102, ack=302, flags=Flags.ACK, src_port=1, dst_port=2)
    assert sent(b.receive(late_copy, 2.0)) == [] and b.timer_deadline == 1.0 + 240.0


def test_a_retransmitted_fin_in_time_wait_is_acked_and_restarts_the_timer_in_both_profiles() -> None:
    for profile in (profiles.RFC, profiles.LINUX):
        a, b = connected(profile)
        wire(b, wire(a, a.close(1.0), b, 1.0), a, 1.0)
        fin = next(o.segment for o in b.close(2.0) if isinstance(o, Transmit))
        a.receive(fin, 2.0)
        assert a.state is State.TIME_WAIT
        assert sent(a.receive(fin, 5.0)) == ["<SEQ=102><ACK=302><CTL=ACK>"]
        assert a.timer_deadline == 5.0 + profile.time_wait_length


def test_linux_restarts_time_wait_on_any_ack_even_out_of_the_window() -> None:
    """Linux's tcp_timewait_state_process(): "if (paws_reject || th->ack)" reschedule."""
    a, b = connected(profiles.LINUX)
    wire(b, wire(a, a.close(1.0), b, 1.0), a, 1.0)
    wire(b, b.close(2.0), a, 2.0)
    stray = Segment(seq=5_000_000, ack=102, flags=Flags.FIN | Flags.ACK, src_port=2, dst_port=1)
    assert sent(a.receive(stray, 10.0)) == ["<SEQ=102><ACK=302><CTL=ACK>"]
    assert a.timer_deadline == 10.0 + 60.0


def test_challenge_acks_and_acks_to_bare_acks_are_throttled_acks_to_data_are_not() -> None:
    """RFC 5961 §7 limits challenge ACKs; an ACK that answers a bare ACK is limited too (an
    ACK loop needs those); a segment with data always gets its ACK."""
    a, b = connected()
    rst = Segment(seq=350, flags=Flags.RST, src_port=1, dst_port=2)  # in window, not RCV.NXT
    assert sent(b.receive(rst, 1.0)) == ["<SEQ=301><ACK=101><CTL=ACK>"]  # challenge ACK
    assert sent(b.receive(rst, 1.2)) == []                                # within 0.5 s
    assert sent(b.receive(rst, 1.6)) == ["<SEQ=301><ACK=101><CTL=ACK>"]
    assert b.state is State.ESTABLISHED
    old = Segment(seq=60, ack=301, flags=Flags.ACK, src_port=1, dst_port=2)  # outside the window
    assert [sent(b.receive(old, t)) for t in (2.5, 2.6)] == [["<SEQ=301><ACK=101><CTL=ACK>"], []]
    old_data = Segment(seq=60, ack=301, flags=Flags.ACK, data=b"x" * 10, src_port=1, dst_port=2)
    assert [sent(b.receive(old_data, t)) for t in (3.0, 3.1)] == [
        ["<SEQ=301><ACK=101><CTL=ACK>"]] * 2


def test_two_ends_that_disagree_would_ack_each_others_acks_for_ever_without_a_limit() -> None:
    """Found by the soak test (seed 40048): A still has its old connection, B a new one made
    by an old SYN.  Each finds the other's ACK outside its window and answers with an ACK."""
    for interval, expected in ((0.5, "dies out"), (0.0, "storm")):
        profile = profiles.RFC.replace(invalid_ack_interval=interval)
        a = make(1, 100, profile)
        b = Endpoint(2, profile, IncrementingISN(300, step=1_000_000))  # the clock moved on
        b.open_passive(0.0)
        wire(a, wire(b, wire(a, a.open_active(2, 0.0), b, 0.0), a, 0.0), b, 0.0)
        b.crash(1.0)
        b.open_passive(1.0)
        out = wire(a, [Transmit(Segment(seq=5000, flags=Flags.SYN, src_port=1, dst_port=2))],
                   b, 1.0)  # an old SYN: B, in LISTEN again, answers it with a SYN,ACK
        rounds = 0
        while sent(out) and rounds < 100:
            out = wire(a, wire(b, out, a, 1.0), b, 1.0)
            rounds += 1
        assert (rounds < 100) == (expected == "dies out"), (interval, rounds)
