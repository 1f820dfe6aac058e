"""Properties that hold for any network: termination, integrity, determinism."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tcpnb import State, scenarios

networks = dict(
    delay=st.floats(0, 5), jitter=st.floats(0, 1), loss=st.floats(0, 0.95),
    seed=st.integers(0, 2**31), profile=st.sampled_from(["rfc", "linux"]),
)


@settings(max_examples=150, deadline=None)
@given(**networks)
def test_a_full_lifecycle_terminates_and_never_corrupts_data(delay: float, jitter: float,
                                                             loss: float, seed: int,
                                                             profile: str) -> None:
    trace = scenarios.lifecycle(delay=delay, jitter=jitter, loss=loss, seed=seed, profile=profile)
    for receiver, sender in (("B", "A"), ("A", "B")):
        got, sent = trace.received(receiver), trace.sent(sender)
        assert sent.startswith(got)  # in order, once, never anything that was not sent
    clean = all(not m.startswith("error") for name in "AB" for m in trace.messages(name))
    if clean and trace.final_state("A") is trace.final_state("B") is State.CLOSED:
        assert trace.received("B") == trace.sent("A") and trace.received("A") == trace.sent("B")


@settings(max_examples=40, deadline=None)
@given(**networks)
def test_same_arguments_same_trace(delay: float, jitter: float, loss: float, seed: int,
                                   profile: str) -> None:
    kwargs = dict(delay=delay, jitter=jitter, loss=loss, seed=seed, profile=profile)
    assert scenarios.lifecycle(**kwargs) == scenarios.lifecycle(**kwargs)


@settings(max_examples=60, deadline=None)
@given(delay=st.floats(0, 1), jitter=st.floats(0, 0.5), loss=st.floats(0, 0.5),
       seed=st.integers(0, 10**6))
def test_with_enough_retries_every_lifecycle_completes(delay: float, jitter: float, loss: float,
                                                       seed: int) -> None:
    trace = scenarios.lifecycle(delay=delay, jitter=jitter, loss=loss, seed=seed,
                                syn_retries=40, synack_retries=40, data_retries=40)
    assert trace.received("B") == trace.sent("A") and trace.received("A") == trace.sent("B")
    assert trace.final_state("A") is trace.final_state("B") is State.CLOSED
