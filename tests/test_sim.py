from __future__ import annotations

import math

import pytest

from tcpnb import (
    BudgetExceeded,
    Fate,
    Flags,
    Origin,
    Segment,
    Simulation,
    State,
    UsageError,
    on_received,
    on_state,
    scenarios,
)


@pytest.mark.parametrize("kwargs, name", [
    ({"delay": -1}, "delay"), ({"loss": 1.5}, "loss"), ({"loss": math.nan}, "loss"),
    ({"jitter": -0.1}, "jitter"), ({"delay": math.inf}, "delay"), ({"duplicate": 2}, "duplicate"),
    ({"profile": "bsd"}, "profile"), ({"seed": 1.5}, "seed"), ({"max_events": 0}, "max_events"),
    ({"msl": -3}, "msl"), ({"delay": "1"}, "delay"),
])
def test_bad_simulation_arguments_raise_value_error_naming_them(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        Simulation(**kwargs)


def test_bad_calls_name_the_parameter() -> None:
    sim = Simulation()
    a = sim.endpoint("A")
    with pytest.raises(ValueError, match="peer: unknown endpoint 'C'; known: 'A'"):
        a.connect("C")
    with pytest.raises(ValueError, match=r"nth must be a whole number in \[1, "):
        sim.drop("A", "SYN", nth=0)
    with pytest.raises(ValueError, match="src: unknown endpoint 'Z'"):
        sim.drop("Z", "SYN")
    with pytest.raises(ValueError, match="flags"):
        sim.drop("A", "SIN")
    with pytest.raises(ValueError, match="at must be a time"):
        a.listen(at=-1)
    with pytest.raises(ValueError, match="name must be a new"):
        sim.endpoint("A")


def test_send_before_connect_raises() -> None:
    sim = Simulation()
    a = sim.endpoint("A")
    with pytest.raises(UsageError, match=r"A.send\(\): call connect\(\) or listen\(\) first"):
        a.send(10)


def test_budget_stops_a_run_with_a_clear_error() -> None:
    with pytest.raises(BudgetExceeded, match="max_events=5"):
        scenarios.lifecycle(max_events=5)


def test_same_arguments_and_seed_give_the_same_trace() -> None:
    one = scenarios.lifecycle(loss=0.3, jitter=0.5, seed=7)
    two = scenarios.lifecycle(loss=0.3, jitter=0.5, seed=7)
    assert one.transmissions == two.transmissions and one.state_changes == two.state_changes
    other = scenarios.lifecycle(loss=0.3, jitter=0.5, seed=8)
    assert other.transmissions != one.transmissions


def test_drop_hold_and_duplicate_target_the_nth_matching_segment() -> None:
    sim = Simulation(delay=0.1)
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=300)
    b.listen()
    a.connect("B")
    sim.drop("A", "SYN", nth=1)
    sim.hold("B", "SYN,ACK", nth=1, by=0.5)
    sim.duplicate("A", "ACK", nth=1, after=2.0)
    trace = sim.run()
    first, retry, synack = trace.transmissions[:3]
    assert first.fate is Fate.DROPPED and retry.origin is Origin.RETRANSMISSION
    assert synack.arrived_at == pytest.approx(synack.sent_at + 0.6)
    copies = [t for t in trace.transmissions if t.origin is Origin.DUPLICATE]
    assert len(copies) == 1 and copies[0].arrived_at == pytest.approx(copies[0].sent_at + 2.1)


def test_inject_fills_ports_and_arrives_at_the_given_time() -> None:
    sim = Simulation(delay=0.1)
    sim.endpoint("A", isn=100)
    sim.endpoint("B", isn=300).listen()
    sim.inject(Segment(seq=90, flags=Flags.SYN), src="A", dst="B", at=0.5)
    trace = sim.run()
    old = trace.transmissions[0]
    assert old.origin is Origin.INJECTED and old.arrived_at == 0.5
    assert old.segment.src_port == 1001 and old.segment.dst_port == 1002
    assert trace.state_at("B", 0.5) is State.SYN_RECEIVED


def test_run_until_stops_early_and_marks_segments_in_flight() -> None:
    sim = Simulation(delay=1.0)
    sim.endpoint("A", isn=1)
    sim.endpoint("B", isn=2).listen()
    sim["A"].connect("B")
    trace = sim.run(until=0.5)
    assert trace.end_time == 0.5 and trace.transmissions[0].fate is Fate.IN_FLIGHT
    assert sim.run().final_state("A") is State.ESTABLISHED  # and it can go on


def test_triggers_make_the_application_react() -> None:
    sim = Simulation(delay=0.05)
    a, b = sim.endpoint("A", isn=1), sim.endpoint("B", isn=2)
    b.listen()
    a.connect("B")
    a.send(b"ping", at=on_state(State.ESTABLISHED))
    b.send(b"pong", at=on_received(4, delay=0.5))
    trace = sim.run()
    assert trace.received("A") == b"pong"
    reply = next(c for c in trace.app_calls if c.endpoint == "B" and c.call == "send")
    first_in = next(d for d in trace.deliveries if d.endpoint == "B")
    assert reply.t == pytest.approx(first_in.t + 0.5)


def test_connect_to_a_port_nobody_listens_on_is_refused() -> None:
    trace = scenarios.refused()
    assert [str(s) for s in trace.segments()] == ["<SEQ=100><CTL=SYN>",
                                                  "<SEQ=0><ACK=101><CTL=RST,ACK>"]
    assert trace.messages("A") == ["error: connection refused"]


def test_isn_near_the_top_of_sequence_space_wraps() -> None:
    sim = Simulation(delay=0.01)
    a, b = sim.endpoint("A", isn=2**32 - 1), sim.endpoint("B", isn=2**32 - 2)
    b.listen()
    a.connect("B")
    a.send(100, at=on_state(State.ESTABLISHED))
    a.close(at=on_state(State.ESTABLISHED, delay=1))
    b.close(at=on_state(State.CLOSE_WAIT))
    trace = sim.run()
    assert trace.received("B") == trace.sent("A")
    assert trace.final_state("A") is trace.final_state("B") is State.CLOSED
    assert str(trace.segments("B")[0]) == f"<SEQ={2**32 - 2}><ACK=0><CTL=SYN,ACK>"


def test_abort_sends_rst_and_the_peer_hears_connection_reset() -> None:
    sim = Simulation(delay=0.1)
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=300)
    b.listen()
    a.connect("B")
    a.abort(at=1.0)
    trace = sim.run()
    assert str(trace.segments("A")[-1]) == "<SEQ=101><CTL=RST>"
    assert trace.messages("B") == ["error: connection reset"]
    assert trace.final_state("A") is trace.final_state("B") is State.CLOSED


def test_crash_forgets_everything_silently() -> None:
    sim = Simulation(delay=0.1)
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=300)
    b.listen()
    a.connect("B")
    a.crash(at=1.0)
    trace = sim.run()
    last = [r for r in trace.state_changes if r.endpoint == "A"][-1]
    assert (last.new, last.cause) == (State.CLOSED, "reboot (all state lost)")
    assert all(t.sent_at < 1.0 for t in trace.transmissions)
    assert trace.final_state("B") is State.ESTABLISHED  # B does not know: half-open


def test_figure_pair_isn_sources() -> None:
    from tcpnb.core.isn import figure_pair

    fixed_a, fixed_b = figure_pair("fixed")
    assert (fixed_a.next(5.0), fixed_b.next(5.0)) == (100, 300)
    clock_a, _ = figure_pair("clock")
    assert clock_a.next(1.0) == 100 + 250_000
    with pytest.raises(ValueError, match="isn must be 'fixed' or 'clock'"):
        figure_pair("random")


# ------------------------------------------------------------------ step API
def test_step_advances_one_event_and_peek_tells_when_the_next_is() -> None:
    sim = Simulation(delay=0.25)
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=300)
    b.listen()
    a.connect("B", at=1.0)
    assert sim.peek() == 0.0 and sim.now == 0.0
    sim.step()                                  # B's listen()
    assert sim.trace().final_state("B") is State.LISTEN and sim.peek() == 1.0
    sim.step()                                  # A's connect(): the SYN leaves
    assert sim.now == 1.0 and sim.peek() == 1.25 and sim.trace().final_state("A") is State.SYN_SENT
    while sim.peek() < math.inf:
        sim.step()
    assert sim.trace().final_state("B") is State.ESTABLISHED
    with pytest.raises(UsageError, match=r"step\(\): nothing is left to happen"):
        sim.step()


# ----------------------------------------------------------- socket calls
def test_close_then_reply_draws_a_rst_and_shutdown_then_reply_delivers_every_byte() -> None:
    closed, shut = scenarios.close_then_reply(), scenarios.shutdown_then_reply()
    assert closed.received("A") == b"" and shut.received("A") == shut.sent("B")
    assert len(shut.sent("B")) == 2000
    assert str(closed.segments("A")[-1]) == "<SEQ=201><CTL=RST>"  # SEQ = the reply's ACK
    assert closed.messages("B")[-3:] == ["error: connection reset",
                                         "error: connection does not exist",
                                         "error: connection does not exist"]
    assert closed.final_state("A") is closed.final_state("B") is State.CLOSED
    last = [r for r in closed.state_changes if r.endpoint == "A"][-1]
    assert (last.old, last.cause) == (State.FIN_WAIT_2, "rcv data after close()")
    assert State.TIME_WAIT in shut.state_sequence("A")


def test_each_socket_call_records_the_rfc_call_it_is() -> None:
    rfc = {c.call: c.rfc for c in scenarios.close_then_reply().app_calls}
    assert rfc["close"].startswith("socket close (RFC 9293 §3.6.1 MAY-1)")
    assert rfc["send"] == "SEND (RFC 9293 §3.10.2)" and "passive OPEN" in rfc["listen"]
    assert {c.call: c.rfc for c in scenarios.half_close().app_calls}["shutdown"].startswith(
        "CLOSE (RFC 9293 §3.10.4)")


def test_a_socket_server_keeps_listening_and_gives_each_connection_its_own_tcb() -> None:
    trace = scenarios.socket_server()
    assert trace.endpoints == ("A", "B", "B:1", "B:2", "C")
    assert trace.state_sequence("B") == [State.CLOSED, State.LISTEN]
    for connection, client in (("B:1", "A"), ("B:2", "C")):
        assert trace.state_sequence(connection)[1:] == [
            State.SYN_RECEIVED, State.ESTABLISHED, State.CLOSE_WAIT, State.LAST_ACK, State.CLOSED]
        assert trace.received(connection) == trace.sent(client)
        assert trace.received(client) == trace.sent(connection)
    one_tcb = scenarios.socket_server(accept=False)  # RFC 9293's picture: one TCB, busy with A
    assert one_tcb.messages("C") == ["error: connection refused"]
    assert one_tcb.endpoints == ("A", "B", "C")


def test_an_accepted_connection_that_the_rfc_returns_to_listen_is_deleted() -> None:
    """Figure 8 with a socket server: the old SYN gets B:1, the RST deletes it, A's SYN gets B:2."""
    trace = scenarios.old_duplicate_syn(accept=True)
    assert trace.state_sequence("B") == [State.CLOSED, State.LISTEN]
    assert trace.state_sequence("B:1")[-3:] == [State.SYN_RECEIVED, State.LISTEN, State.CLOSED]
    assert trace.final_state("B:2") is trace.final_state("A") is State.ESTABLISHED


def test_a_crash_of_a_server_host_loses_every_connection() -> None:
    sim = Simulation(delay=0.1)
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=300)
    b.listen(accept=True)
    a.connect("B")
    b.crash(at=1.0)
    trace = sim.run()
    assert trace.final_state("B") is trace.final_state("B:1") is State.CLOSED
    assert trace.final_state("A") is State.ESTABLISHED  # half-open, as in Figure 10


def test_a_typo_in_a_scenario_keyword_names_the_scenarios_own_keywords() -> None:
    with pytest.raises(UsageError, match=r"^syn_lost: unknown keyword 'tims' \(did you mean "
                                         r"'times'\?\); its own keywords: times; the network's"):
        scenarios.run("syn_lost", tims=2)
    with pytest.raises(UsageError, match="lifecycle: unknown keyword 'mls' .did you mean 'mss'"):
        scenarios.lifecycle(mls=3)
