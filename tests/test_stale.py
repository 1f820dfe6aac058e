from __future__ import annotations

import pytest

from tcpnb import State, analysis, scenarios, widgets
from tcpnb.course import stale


def test_a_clean_connection_holds_nothing_unwanted() -> None:
    for handshake in stale.HANDSHAKES:
        trace = stale.connection(handshake, delay=0.1)
        spans = analysis.held_connections(trace)
        assert len(spans) == 1 and spans[0].wanted and spans[0].established
        assert analysis.unwanted(trace) == []
        assert len(trace.received("A")) == 100 and len(trace.received("B")) == 100


def test_two_way_variant_has_no_third_segment() -> None:
    trace = stale.connection("two-way", request=10, reply=10)
    a_segments = [str(s.flags) for s in trace.segments("A")]
    assert a_segments[0] == "SYN" and a_segments[1] == "ACK"  # the request, not a bare ACK
    assert trace.segments("A")[1].length == 10


def test_a_late_syn_copy_is_unwanted_even_with_the_same_isn() -> None:
    # Seed 1 with a 20 % duplicate rate copies A's SYN; the copy arrives after the close.
    trace = stale.connection("two-way", duplicate=0.2, duplicate_lag=10.0, seed=1)
    spans = analysis.held_connections(trace)
    assert [held.wanted for held in spans] == [True, False]
    assert spans[0].irs == spans[1].irs  # the copy carries the very same ISN
    (late,) = analysis.unwanted(trace)
    assert late.established  # B committed on the copy alone


def test_three_way_sends_the_late_syn_packing() -> None:
    trace = stale.connection("three-way", duplicate=0.2, duplicate_lag=10.0, seed=1)
    (late,) = analysis.unwanted(trace)
    assert not late.established and late.seconds < 2.0
    assert trace.final_state("B") is State.LISTEN


def test_an_injected_old_syn_is_unwanted_with_either_handshake() -> None:
    # A rejects the stale SYN,ACK with a RST in both variants (§3.10.7.3): one round trip each.
    two_way = scenarios.old_duplicate_syn_two_way()
    (two,) = analysis.unwanted(two_way)
    assert two.established and two.seconds == pytest.approx(0.2)  # committed, then A's RST
    assert "<SEQ=91><CTL=RST>" in [str(s) for s in two_way.segments("A")]
    assert analysis.established_at(two_way) == pytest.approx(0.5)  # A's real SYN then opens
    (three,) = analysis.unwanted(scenarios.old_duplicate_syn())
    assert not three.established and three.seconds == pytest.approx(0.2)  # until A's RST


@pytest.mark.parametrize("delay", [0.1, 0.01])
def test_an_old_request_is_replayed_before_the_reject_arrives(delay: float) -> None:
    two = stale.replayed(stale.replay("two-way", delay=delay))
    assert two.committed == two.delivered == 1.0
    assert two.rejected == pytest.approx(1.0 + 2 * delay)  # one round trip too late
    trace = stale.replay("three-way", delay=delay)
    three = stale.replayed(trace)
    assert three.committed is None and three.delivered is None
    assert three.rejected == pytest.approx(1.0 + 2 * delay) and trace.final_state("B") is State.LISTEN
    assert [d.data for d in stale.replay("two-way").deliveries] == [stale.REQUEST]


def test_tcp_spans_of_late_syns_end_by_assassinating_time_wait() -> None:
    # Issue 15 item 6: A is usually still in TIME-WAIT when the late SYN reaches B.
    runs = [stale.connection("three-way", duplicate=0.1, seed=s) for s in range(100)]
    spans = [(tr, h) for tr in runs for h in analysis.unwanted(tr)]
    in_tw = [h for tr, h in spans if tr.state_at("A", h.start) is State.TIME_WAIT]
    assert (len(spans), len(in_tw)) == (11, 8)
    assert all(round(h.seconds, 3) == 1.2 for h in in_tw) and not any(h.established for _, h in spans)
    hardened = stale.compare(runs=100, rfc1337=True).at(handshake="three-way")
    assert round(hardened.total("seconds") / hardened.total("unwanted"), 3) == 183.0


def test_experiment_counts_what_analysis_unwanted_finds() -> None:
    runs = [stale.connection("two-way", duplicate=0.2, seed=k) for k in range(30)]
    spans = [h for trace in runs for h in analysis.unwanted(trace)]
    result = stale.compare(runs=30, duplicate=0.2).at(handshake="two-way")
    assert result.total("unwanted") == len(spans) > 0
    assert result.total("seconds") == pytest.approx(sum(h.seconds for h in spans))


def test_experiment_two_way_opens_connections_nobody_wanted() -> None:
    results = stale.compare(runs=60, duplicate=0.2, lag=10.0)
    two, three = results.at(handshake="two-way"), results.at(handshake="three-way")
    assert two.runs == three.runs == 60 and two.count("completed") == three.count("completed") == 60
    assert two.total("unwanted") > 0 and two.total("unwanted_open") == two.total("unwanted")
    assert three.total("unwanted") > 0 and three.total("unwanted_open") == 0
    assert stale.per_100(two, "seconds") == pytest.approx(100 * two.total("seconds") / 60)
    assert str(two).startswith("handshake='two-way': completed 100.0% [")


def test_experiment_is_deterministic_and_zero_without_duplicates() -> None:
    assert stale.compare(runs=20, seed=3) == stale.compare(runs=20, seed=3)
    assert stale.compare(runs=20, duplicate=0.0).at(handshake="two-way").total("unwanted") == 0


def test_a_faster_network_does_not_save_the_two_way_variant() -> None:
    slow, fast = stale.sweep({"delay": [0.3, 0.001]}, runs=40, duplicate=0.2).points[::2]
    assert slow.settings == {"delay": 0.3, "handshake": "two-way"}
    assert slow.total("unwanted") > 0 and fast.total("unwanted") >= slow.total("unwanted") / 2


def test_sweep_points() -> None:
    results = stale.sweep({"duplicate": [0.0, 0.2]}, runs=10, lag=10.0)
    assert [(p.settings["duplicate"], p.settings["handshake"]) for p in results] == [
        (0.0, "two-way"), (0.0, "three-way"), (0.2, "two-way"), (0.2, "three-way")]
    assert results.points[0].total("seconds") == 0.0 and results.fixed == {"lag": 10.0}


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="handshake must be"):
        stale.connection("one-way")
    with pytest.raises(ValueError, match="runs must be"):
        stale.compare(runs=0)
    with pytest.raises(ValueError, match="handshake: a setting is either in the grid or fixed"):
        stale.compare(runs=1, handshake="two-way")
    with pytest.raises(ValueError, match="isn must be"):
        stale.connection(isn="random")
    with pytest.raises(ValueError, match="isn must be"):
        stale.isn_window("random")
    with pytest.raises(ValueError, match="gap must be"):
        stale.isn_window("clock", -1)
    with pytest.raises(ValueError, match="request must be"):
        stale.replay(request=b"")
    with pytest.raises(ValueError, match="handshake must be"):
        stale.replay("one-way")


def test_fixed_isn_puts_the_old_segment_inside() -> None:
    check = stale.isn_window("fixed", gap=10.0)
    assert check.new_isn == check.old_isn == 100 and check.offset == 0 and check.inside


def test_clock_isn_moves_the_window_past_the_old_segment() -> None:
    check = stale.isn_window("clock", gap=1.0)
    assert check.new_isn == 100 + 250_000 and not check.inside
    assert "outside" in str(check)


@pytest.mark.parametrize("offset", [1, 50_000, 1_000_001])
def test_clock_danger_matches_isn_window(offset: int) -> None:
    low, high = stale.clock_danger(old_offset=offset)
    tick = stale.TICK
    for gap in [low - 2 * tick, low + tick / 2, (low + high) / 2, high - tick / 2, high + tick]:
        if gap < 0:
            continue
        inside = stale.isn_window("clock", gap, old_offset=offset).inside
        assert inside == (low <= gap < high), (offset, gap)


def test_a_fast_old_connection_outruns_the_clock() -> None:
    low, high = stale.clock_danger(old_offset=1_000_001)  # 1 MB sent before the old segment
    assert 3.7 < low < high < 4.01
    assert stale.isn_window("clock", 3.9, old_offset=1_000_001).inside


def test_the_clock_wraps_after_about_four_point_eight_hours() -> None:
    # 2**32 ticks of exactly 4 µs; RFC 9293 §3.4.1 rounds the clock's cycle to "4.55 hours".
    assert stale.wrap_time() == pytest.approx(17_179.87, abs=0.01)
    assert stale.isn_window("clock", stale.wrap_time()).inside


def test_figures() -> None:
    fig = stale.window_figure(1.0)
    assert "fixed: inside / clock: outside" in fig.layout.title.text.replace("<br>", " ")
    assert len(fig.data) == 4
    results = stale.sweep({"duplicate": [0.0, 0.2]}, runs=5, lag=10.0)
    fig = stale.sweep_figure(results, label="duplicate rate")
    assert [t.name for t in fig.data] == ["two-way (NOT TCP)", "three-way (TCP)"]
    assert fig.data[0].y[0] == 0 and fig.data[0].y[1] > 0 and list(fig.data[1].y) == [0, 0]
    seconds = stale.sweep_figure(results, quantity="seconds")
    assert seconds.data[1].y[1] > 0
    with pytest.raises(ValueError, match="quantity"):
        stale.sweep_figure(results, quantity="waste")


def test_compare_figure() -> None:
    results = stale.compare(runs=20, duplicate=0.2, lag=10.0)
    fig = stale.compare_figure(results)
    acted, opened = fig.data
    assert [x.split("<br>")[0] for x in acted.x] == ["two-way (NOT TCP)", "three-way (TCP)"]
    assert acted.y[0] == opened.y[0] > 0 and acted.y[1] > 0 and opened.y[1] == 0
    assert "s held" in acted.x[0]
    empty = stale.compare_figure(stale.compare(runs=5, duplicate=0.0))
    assert list(empty.data[0].y) == [0, 0]


def test_waste_panel_redraws_when_a_slider_moves() -> None:
    panel = widgets.waste_panel(runs=10, duplicate=0.2)
    first = panel.figure
    assert panel.values == {"delay": 0.1, "loss": 0.0, "duplicate": 0.2}
    (shown,) = panel.output.outputs
    assert "application/vnd.plotly.v1+json" in shown["data"]
    panel.update(duplicate=0.0)
    assert panel.figure is not first and list(panel.figure.data[0].y) == [0, 0]
    with pytest.raises(ValueError, match="no such control"):
        panel.update(jitter=0.1)


def test_window_panel_moves_the_window() -> None:
    panel = widgets.window_panel()
    assert "clock: outside" in panel.figure.layout.title.text
    panel.update(gap=3.9, sent_before=1_000_001)
    assert "clock: inside" in panel.figure.layout.title.text
    assert isinstance(panel.controls["sent_before"].value, int)


@pytest.mark.parametrize("handshake", ["two-way", "three-way"])
def test_the_experiment_tallies_a_changes_run_as_it_would_a_full_one(handshake: str) -> None:
    """The experiment records only what :func:`stale.waste` reads; the tallies are the same."""
    busy = 0
    for seed in range(120):
        net = dict(duplicate=0.3, duplicate_lag=5.0, loss=0.1, jitter=0.05, seed=seed)
        full = stale.connection(handshake, **net)  # type: ignore[arg-type]
        lean = stale.connection(handshake, record="changes", **net)  # type: ignore[arg-type]
        assert stale.waste(lean) == stale.waste(full), seed
        busy += stale.waste(full)["unwanted"] > 0
    assert busy > 0
