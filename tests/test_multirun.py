"""Monte-Carlo runs of a scenario: rates over seeds and a grid, and their figure."""

from __future__ import annotations

import pytest

from tcpnb import analysis
from tcpnb.course import multirun


def test_rates_over_a_grid_with_common_seeds() -> None:
    results = multirun.run_many("syn_lost", runs=50, grid={"loss": [0.0, 0.5]}, times=0,
                                measure=analysis.connect_time)
    assert [p.settings for p in results] == [{"loss": 0.0}, {"loss": 0.5}]
    assert results.rate("established")[0] == 1.0
    assert results.rate("established")[1] < 1.0
    lossy = results.at(loss=0.5)
    assert sum(lossy.count(o) for o in multirun.seen_outcomes(results)) == 50
    low, high = lossy.interval("established")
    assert low <= lossy.rate("established") <= high
    assert results.points[0].mean(multirun.MEASURE) == pytest.approx(0.2)  # one round trip
    assert results.points[0].rate("not established") == 0.0  # seen at the other point only


def test_the_same_seed_gives_the_same_results() -> None:
    a = multirun.run_many("three_way_handshake", runs=30, grid={"loss": [0.3]}, seed=7)
    b = multirun.run_many("three_way_handshake", runs=30, grid={"loss": [0.3]}, seed=7)
    assert a.points == b.points and a.points[0].seeds == range(7, 37)


def test_outcomes_name_why_a_connection_did_not_open() -> None:
    results = multirun.run_many("refused", runs=3)
    assert multirun.seen_outcomes(results) == ["connection refused"]


def test_rate_figure_has_one_line_per_outcome_with_intervals() -> None:
    results = multirun.run_many("syn_lost", runs=20, grid={"loss": [0, 0.3], "delay": [0.1, 0.3]},
                                times=0)
    fig = multirun.rate_figure(results, x="loss")
    lines = [d for d in fig.data if d.meta["kind"] == "rate"]
    assert len(lines) == 2 * len(multirun.seen_outcomes(results))  # one per outcome and delay
    assert all(list(d.x) == [0, 0.3] and d.error_y.array is not None for d in lines)
    assert fig.layout.yaxis.tickformat == ".0%"
    assert "20 runs per point" in fig.layout.title.text


def test_bad_input_names_the_parameter() -> None:
    with pytest.raises(ValueError, match="runs"):
        multirun.run_many("refused", runs=0)
    with pytest.raises(ValueError, match="grid"):
        multirun.run_many("refused", grid={"loss": []})
    with pytest.raises(ValueError, match="scenario"):
        multirun.run_many("nope")
    with pytest.raises(ValueError, match="x must be"):
        multirun.rate_figure(multirun.run_many("refused", runs=1, grid={"loss": [0]}), x="delay")
