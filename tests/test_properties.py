"""Properties that hold for any network and any application: termination, no stuck endpoint,
honest bytes, determinism.

The random runs are those of the soak test (``benchmarks/soak.py`` runs 50,000);
here hypothesis picks a few thousand seeds and shrinks a failure to one.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tcpnb import State, scenarios
from tcpnb.sim import soak

networks = dict(
    delay=st.floats(0, 5), jitter=st.floats(0, 1), loss=st.floats(0, 0.95),
    seed=st.integers(0, 2**31), profile=st.sampled_from(["rfc", "linux"]),
)
seeds = st.integers(0, 2**40)


@settings(max_examples=2000, deadline=None)
@given(seed=seeds)
def test_random_runs_end_with_no_endpoint_stuck_and_every_byte_honest(seed: int) -> None:
    sim = soak.random_run(seed)  # its budget (200,000 events): seed 11,929,694,435 needs 53,633
    trace = sim.run()
    assert soak.problems(sim, trace) == []


@settings(max_examples=100, deadline=None)
@given(seed=seeds)
def test_stepping_event_by_event_gives_the_same_trace_as_one_run(seed: int) -> None:
    whole = soak.random_run(seed).run()
    sim = soak.random_run(seed)
    while sim.peek() < float("inf"):
        sim.step()
    assert soak.digest(sim.trace()) == soak.digest(whole)


@settings(max_examples=100, deadline=None)
@given(seed=seeds, pieces=st.integers(1, 50))
def test_running_in_pieces_gives_the_same_trace_as_one_run(seed: int, pieces: int) -> None:
    whole = soak.random_run(seed).run()
    sim = soak.random_run(seed)
    for k in range(1, pieces + 1):
        sim.run(until=whole.end_time * k / pieces)
    assert soak.digest(sim.run()) == soak.digest(whole)


@settings(max_examples=150, deadline=None)
@given(**networks)
def test_a_full_lifecycle_terminates_and_never_corrupts_data(delay: float, jitter: float,
                                                             loss: float, seed: int,
                                                             profile: str) -> None:
    trace = scenarios.lifecycle(delay=delay, jitter=jitter, loss=loss, seed=seed, profile=profile)
    assert soak.integrity(trace) == []
    clean = all(not m.startswith("error") for name in "AB" for m in trace.messages(name))
    if clean and trace.final_state("A") is trace.final_state("B") is State.CLOSED:
        assert trace.received("B") == trace.sent("A") and trace.received("A") == trace.sent("B")


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(scenarios.SCENARIOS)), **networks)
def test_every_scenario_ends_with_honest_bytes_on_any_network(name: str, delay: float,
                                                              jitter: float, loss: float,
                                                              seed: int, profile: str) -> None:
    trace = scenarios.run(name, delay=delay, jitter=jitter, loss=loss, seed=seed, profile=profile)
    assert trace.end_time >= 0
    stale = set(soak.stale_connections(trace))
    assert stale == set() or name.startswith(("time_wait_reuse", "half_open"))
    assert soak.integrity(trace) == []


@settings(max_examples=60, deadline=None)
@given(**networks)
def test_after_close_the_application_reads_nothing_after_shutdown_everything(
        delay: float, jitter: float, loss: float, seed: int, profile: str) -> None:
    net = dict(delay=delay, jitter=jitter, loss=loss, seed=seed, profile=profile)
    closed = scenarios.close_then_reply(**net)
    assert closed.received("A") == b""  # RFC 9293 §3.6.1 MAY-1: nothing is read after close()
    if any(t.src == "B" and t.segment.length and t.fate.value == "delivered"
           for t in closed.transmissions):  # B's reply reached A: it drew a RST (SHLD-3)
        assert any("RST" in str(s.flags) for s in closed.segments("A"))
    shut = scenarios.shutdown_then_reply(**net)
    if not any(m.startswith("error") for m in shut.messages("A") + shut.messages("B")):
        assert shut.received("A") == shut.sent("B") and len(shut.received("A")) == 2000


@settings(max_examples=40, deadline=None)
@given(**networks)
def test_same_arguments_same_trace(delay: float, jitter: float, loss: float, seed: int,
                                   profile: str) -> None:
    kwargs = dict(delay=delay, jitter=jitter, loss=loss, seed=seed, profile=profile)
    assert scenarios.lifecycle(**kwargs) == scenarios.lifecycle(**kwargs)


@settings(max_examples=60, deadline=None)
@given(delay=st.floats(0, 1), jitter=st.floats(0, 0.5), loss=st.floats(0, 0.5),
       seed=st.integers(0, 10**6), accept=st.booleans())
def test_with_enough_retries_every_lifecycle_completes(delay: float, jitter: float, loss: float,
                                                       seed: int, accept: bool) -> None:
    trace = scenarios.lifecycle(delay=delay, jitter=jitter, loss=loss, seed=seed, accept=accept,
                                syn_retries=40, synack_retries=40, data_retries=40)
    server = "B:1" if accept else "B"
    assert trace.received(server) == trace.sent("A") and trace.received("A") == trace.sent(server)
    assert trace.final_state("A") is trace.final_state(server) is State.CLOSED
    assert trace.final_state("B") is (State.LISTEN if accept else State.CLOSED)
