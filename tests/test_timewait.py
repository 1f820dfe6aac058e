"""The TIME-WAIT experiment counts what the course says it counts."""

from __future__ import annotations

import pytest

from tcpnb import State, widgets
from tcpnb.core.segment import Flags
from tcpnb.course import experiment
from tcpnb.course import timewait as tw
from tcpnb.sim.trace import Origin


# --------------------------------------------------------------- one run
def test_a_clean_run_has_no_failure_and_two_connections() -> None:
    trace = tw.reconnect(time_wait=20.0, loss=0.0, duplicate=0.0)
    assert tw.outcome(trace).ok
    assert trace.state_sequence("A").count(State.ESTABLISHED) == 2
    assert trace.state_sequence("A")[-1] is State.ESTABLISHED


def test_lost_last_ack_without_time_wait_resets_the_peer() -> None:
    # Find a seed whose last ACK of the first connection is lost (loss only, no copies).
    for seed in range(200):
        cut = tw.reconnect(time_wait=0.0, loss=0.05, duplicate=0.0, seed=seed)
        if tw.outcome(cut).reset:
            break
    else:
        pytest.fail("no run lost the last ACK")
    kept = tw.reconnect(time_wait=20.0, loss=0.05, duplicate=0.0, seed=seed)
    assert not tw.outcome(kept).reset
    last = next(r for r in cut.state_changes if r.endpoint == "B" and r.old is State.LAST_ACK)
    assert last.cause == "rcv RST"


def test_old_copy_accepted_only_when_the_new_connection_reuses_the_numbers() -> None:
    seeds = range(60)
    fixed = [tw.outcome(tw.reconnect(time_wait=0.0, seed=s)).old_accepted for s in seeds]
    clock = [tw.outcome(tw.reconnect(time_wait=0.0, isn="clock", seed=s)).old_accepted
             for s in seeds]
    assert any(fixed) and not any(clock)
    seed = fixed.index(True)
    old = tw.old_accepted(tw.reconnect(time_wait=0.0, seed=seed))
    assert old and all(t.origin is Origin.DUPLICATE and t.incarnation == 1 for t in old)


def test_a_late_copy_of_the_last_ack_can_assassinate_time_wait() -> None:
    found = None
    for seed in range(100):
        trace = tw.reconnect(time_wait=20.0, seed=seed)
        if tw.outcome(trace).assassinated:
            found = seed
            break
    assert found is not None
    tw_end = next(r for r in trace.state_changes if r.endpoint == "A" and r.old is State.TIME_WAIT)
    assert tw_end.cause == "rcv RST" and tw_end.t < 2.0 + 20.0
    protected = tw.reconnect(time_wait=20.0, seed=found, rfc1337=True)
    assert not tw.outcome(protected).assassinated


def test_no_copy_outlives_the_msl() -> None:
    trace = tw.reconnect(time_wait=0.0, duplicate=0.3, msl=5.0, seed=3)
    copies = [t for t in trace.transmissions if t.origin is Origin.DUPLICATE]
    assert copies and all(t.arrived_at is None or t.arrived_at - t.sent_at <= 5.0 + 1e-9
                          for t in copies)
    assert not any("SYN" in str(t.segment.flags) for t in copies)


def test_reconnect_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="isn must be"):
        tw.reconnect(time_wait=0.0, isn="random")
    with pytest.raises(ValueError, match="duplicate must be"):
        tw.reconnect(time_wait=0.0, duplicate=2.0)
    with pytest.raises(ValueError, match="runs must be"):
        tw.failure_rates(0.0, runs=0)


# -------------------------------------------------------------- Monte Carlo
def test_rates_have_the_two_thresholds_the_course_teaches() -> None:
    points = tw.sweep((0.0, 0.5, 1.0, 2.0), runs=300, rfc1337=True)
    zero, half, one, two = points
    assert zero.rate("reset") > 0.02 and half.rate("reset") == 0  # scales with the RTO
    assert zero.rate("old_accepted") > half.rate("old_accepted") > 0  # scales with the MSL
    assert one.rate("old_accepted") < 0.01 and two.rate("old_accepted") == 0
    assert all(p.rate("assassinated") == 0 for p in points)
    assert tw.threshold(points, "reset") == 0.5
    assert tw.threshold(points, "old_accepted") in (1.0, 2.0)


def test_without_rfc1337_even_two_msl_gets_assassinated() -> None:
    two = tw.failure_rates(20.0, runs=200)
    assert two.rate("assassinated") > 0.1


def test_random_isns_do_not_remove_reason_one() -> None:
    zero = tw.failure_rates(0.0, runs=300, isn="clock")
    assert zero.rate("old_accepted") == 0 and zero.rate("reset") > 0.02


def _results(counts: dict[float, tuple[int, int]], runs: int = 100) -> experiment.Results:
    """Results at TIME-WAIT lengths (MSL 10 s) whose first seeds fail as ``counts`` says.

    ``counts``: TIME-WAIT -> (runs ending in a reset, runs with an old segment accepted).
    """
    def run(*, time_wait: float, msl: float, seed: int) -> dict[str, bool]:
        resets, old = counts[time_wait]
        return {"reset": seed < resets, "old_accepted": seed < old, "assassinated": False}

    return experiment.Experiment(run, lambda seen: seen, {"time_wait": list(counts)},
                                 {"msl": 10.0}).sweep(runs)


def test_rates_and_intervals() -> None:
    (point,) = _results({10.0: (10, 0)}, runs=200)
    assert point.rate("reset") == 0.05 and point.count("reset") == 10
    low, high = point.interval("reset")
    assert low < 0.05 < high
    assert point.interval("old_accepted")[0] == 0.0
    with pytest.raises(ValueError, match="'boom' is not observed"):
        point.rate("boom")
    assert str(point).startswith("time_wait=10: reset 5.0% [")
    assert tw.msl_multiples(_results({10.0: (10, 0)})) == [1.0]


def test_describe_names_each_threshold() -> None:
    results = _results({0.0: (5, 10), 10.0: (0, 1), 20.0: (0, 0)})
    text = tw.describe(results)
    assert "reset: none from 1 x MSL on" in text
    assert "new connection: none from 2 x MSL on" in text and "never" in text
    shorter = _results({0.0: (5, 10), 10.0: (0, 1)})
    assert tw.threshold(shorter, "old_accepted") is None
    assert "still 1.0% at 1 x MSL" in tw.describe(shorter)
    with pytest.raises(ValueError, match="failure must be one of"):
        tw.threshold(results, "boom")


def test_a_sweep_is_the_failure_rates_of_each_length_on_the_same_seeds() -> None:
    results = tw.sweep((0.0, 1.5), runs=30, seed=5, msl=4.0, jitter=0.05)
    assert [p.settings["time_wait"] for p in results] == [0.0, 6.0]
    assert results.fixed == {"msl": 4.0, "jitter": 0.05}
    assert results.points[1] == tw.failure_rates(6.0, runs=30, seed=5, msl=4.0, jitter=0.05)


def test_figure_and_panel_build() -> None:
    points = tw.sweep((0.0, 1.0, 2.0), runs=20, rfc1337=False)
    fig = tw.figure(points)
    names = [trace.name for trace in fig.data]
    assert names[:2] == [tw.FAILURES["reset"], tw.FAILURES["old_accepted"]]
    panel = widgets.time_wait_panel(runs=5, multiples=(0.0, 2.0), loss=0.1)
    panel.finish()
    assert "Measured:" in panel.status.value and len(panel.results) == 2
    panel.update(isn="clock", msl=5.0)
    assert panel.results.fixed["msl"] == 5.0 and panel.finish().points[0].count("old_accepted") == 0
    assert panel.output.outputs[0]["data"]["application/vnd.plotly.v1+json"]["data"]
    with pytest.raises(ValueError, match="no such control"):
        panel.update(colour="red")


def test_close_panel_redraws_the_run_it_is_asked_for() -> None:
    panel = widgets.close_panel(delay=0.1, lose="first FIN")
    assert panel.trace is not None and "FIN lost once" in panel.summary
    panel.update(first="B", lose="last ACK", delay=0.2)
    assert tw.time_wait_holders(panel.trace) == ["B"]
    assert panel.output.outputs[0]["data"]["application/vnd.plotly.v1+json"]["data"]
    with pytest.raises(ValueError, match="no such control"):
        panel.update(colour="red")


def test_assassination_reproduces_rfc_1337_figure_1() -> None:
    from tcpnb.course import review

    killed = tw.assassination()
    assert review.rfc_rows(killed, since=4.0) == [
        ("B", "<SEQ=255><ACK=33><CTL=ACK>", "CLOSED", "TIME-WAIT"),
        ("A", "<SEQ=101><ACK=301><CTL=ACK>", "TIME-WAIT", "CLOSED"),
        ("B", "<SEQ=301><CTL=RST>", "CLOSED", "CLOSED")]
    end = [r for r in killed.state_changes if r.endpoint == "A"][-1]
    assert (end.old, end.new, end.cause, round(end.t, 3)) == (State.TIME_WAIT, State.CLOSED,
                                                              "rcv RST", 5.2)
    kept = tw.assassination(rfc1337=True)
    assert [r.cause for r in kept.state_changes if r.old is State.TIME_WAIT] == ["Timeout=2MSL"]


def test_request_then_abort_loses_the_reply_and_resets_the_peer() -> None:
    shut, closed, aborted = (tw.request_then(e) for e in ("shutdown", "close", "abort"))
    assert len(shut.received("A")) == 1000 and tw.time_wait_holders(shut) == ["A"]
    # close(): the reply draws a RST (RFC 9293 §3.6.1 SHLD-3), no TIME-WAIT
    assert closed.received("A") == b"" and tw.time_wait_holders(closed) == []
    assert "RST" in [str(s.flags) for s in closed.segments("A")]
    assert aborted.received("A") == b"" and "error: connection reset" in aborted.messages("B")
    with pytest.raises(ValueError, match="ending must be"):
        tw.request_then("linger")  # type: ignore[arg-type]


def test_unanswered_fin_ends_by_the_retry_limit_or_a_reset() -> None:
    rfc = tw.unanswered_fin(delay=0.1)
    fins = [t.sent_at for t in rfc.transmissions if t.src == "B" and t.segment.flags & Flags.FIN]
    assert len(fins) == 7 and rfc.final_state("B") is State.CLOSED
    assert "error: connection timed out" in rfc.messages("B")
    linux = tw.unanswered_fin(profile="linux", delay=0.1)
    last = [r for r in linux.state_changes if r.endpoint == "B"][-1]
    assert (last.old, last.cause) == (State.LAST_ACK, "rcv RST")


def test_born_late_finds_a_segment_sent_after_time_wait_began() -> None:
    seed, trace = tw.first_run(tw.born_late, time_wait=12.5, rfc1337=True)
    start = tw.entered_time_wait(trace)
    assert start is not None and all(t.sent_at > start for t in tw.born_late(trace))
    with pytest.raises(ValueError, match="no run"):
        tw.first_run(lambda _: False, tries=3, time_wait=0.0)


def test_with_jitter_a_new_syn_can_overtake_the_last_ack_into_last_ack() -> None:
    seed, run = tw.first_run(lambda r: tw.outcome(r).reset and tw.syn_overtook_last_ack(r),
                             time_wait=0.0, jitter=0.05, rfc1337=True)
    assert seed == 57
    assert not tw.syn_overtook_last_ack(tw.reconnect(seed=0, time_wait=0.0, rfc1337=True))


# ------------------------------------------- the experiment's lean recording
@pytest.mark.parametrize("setup", [
    dict(time_wait=0.0), dict(time_wait=5.0, jitter=0.3), dict(time_wait=10.0, loss=0.2),
    dict(time_wait=20.0, duplicate=0.3, rfc1337=False), dict(time_wait=2.0, isn="clock"),
    dict(time_wait=7.5, msl=5.0, profile="linux", jitter=0.1, duplicate=0.3),
])
def test_the_experiment_tallies_a_changes_run_as_it_would_a_full_one(setup: dict) -> None:
    """``record="changes"`` (what the experiment runs) gives the full trace's tallies, seed by seed."""
    seen = set()
    for seed in range(150):
        full = tw.reconnect(seed=seed, **setup)
        lean = tw.reconnect(seed=seed, record="changes", **setup)
        assert tw.failures(lean) == tw.failures(full), seed
        assert tw.old_accepted(lean) == tw.old_accepted(full), seed
        seen |= {name for name, hit in tw.failures(full).items() if hit}
    if setup["time_wait"] < 10.0:
        assert "reset" in seen or "old_accepted" in seen  # the comparison saw failures
