"""Monte-Carlo runs: rates over seeds and a grid, and their figure."""

from __future__ import annotations

import pytest

from tcpnb import analysis
from tcpnb.course import multirun


def test_rates_over_a_grid_with_common_seeds() -> None:
    results = multirun.run_many("syn_lost", runs=50, grid={"loss": [0.0, 0.5]}, times=0,
                                measure=analysis.connect_time)
    assert [p.params for p in results.points] == [{"loss": 0.0}, {"loss": 0.5}]
    assert results.rate("established")[0] == 1.0
    assert results.rate("established")[1] < 1.0
    assert all(sum(p.counts.values()) == 50 for p in results.points)
    low, high = results.points[1].interval("established")
    assert low <= results.points[1].rate("established") <= high
    assert results.points[0].mean == pytest.approx(0.2)  # one round trip at delay 0.1
    rows = results.to_rows()
    assert rows[0]["loss"] == 0.0 and rows[0]["established"] == 1.0


def test_the_same_seed_gives_the_same_results() -> None:
    a = multirun.run_many("three_way_handshake", runs=30, grid={"loss": [0.3]}, seed=7)
    b = multirun.run_many("three_way_handshake", runs=30, grid={"loss": [0.3]}, seed=7)
    assert a.points == b.points


def test_outcomes_name_why_a_connection_did_not_open() -> None:
    results = multirun.run_many("refused", runs=3)
    assert results.outcomes == ["connection refused"]


def test_rate_figure_has_one_line_per_outcome_with_intervals() -> None:
    results = multirun.run_many("syn_lost", runs=20, grid={"loss": [0, 0.3], "delay": [0.1, 0.3]},
                                times=0)
    fig = multirun.rate_figure(results, x="loss")
    lines = [d for d in fig.data if d.meta["kind"] == "rate"]
    assert len(lines) == 2 * len(results.outcomes)  # one per outcome and delay
    assert all(list(d.x) == [0, 0.3] and d.error_y.array is not None for d in lines)
    assert fig.layout.yaxis.tickformat == ".0%"


def test_bad_input_names_the_parameter() -> None:
    with pytest.raises(ValueError, match="runs"):
        multirun.run_many("refused", runs=0)
    with pytest.raises(ValueError, match="grid"):
        multirun.run_many("refused", grid={"loss": []})
    with pytest.raises(ValueError, match="scenario"):
        multirun.run_many("nope")
    with pytest.raises(ValueError, match="x must be"):
        multirun.rate_figure(multirun.run_many("refused", runs=1, grid={"loss": [0]}), x="delay")
