"""The one sweep API: seeded runs over a grid, rates with Wilson intervals, grown in steps."""

from __future__ import annotations

import random

import pytest

from tcpnb.core.errors import UsageError
from tcpnb.course import experiment
from tcpnb.course.experiment import Experiment


def coin(*, bias: float, seed: int) -> dict[str, float]:
    """A biased coin and a number, both fixed by the seed."""
    rng = random.Random(seed)
    return {"heads": rng.random() < bias, "value": rng.random()}


def tosses(**grid: list[float]) -> Experiment:
    return Experiment(coin, dict, grid or {"bias": [0.2, 0.8]})


def test_a_sweep_runs_the_same_seeds_at_every_point() -> None:
    results = tosses().sweep(runs=200, seed=3)
    low, high = results
    assert low.seeds == high.seeds == range(3, 203)
    assert low.count("heads") < high.count("heads")  # common random numbers: same draws
    assert all(a <= b for a, b in zip(*[[coin(bias=b, seed=s)["heads"] for s in range(3, 203)]
                                        for b in (0.2, 0.8)]))
    assert 0.1 < low.rate("heads") < 0.3 and low.interval("heads")[0] < low.rate("heads")
    assert 0.4 < low.mean("value") < 0.6 and low.total("value") == pytest.approx(
        200 * low.mean("value"))
    assert low.names == ["heads", "value"] and results.at(bias=0.8) is high


def test_results_grown_in_steps_equal_one_sweep() -> None:
    whole = tosses().sweep(runs=50)
    stepwise = tosses().start().more(20).more(10, at=1).more(10, at=0).more(20)
    assert stepwise.points == whole.points
    merged = tosses().sweep(runs=30).merge(tosses().start(seed=30).more(20))
    assert merged.points == whole.points
    for seconds in (0.0, 0.001):
        grown = tosses().start()
        while grown.runs < 50:
            grown = grown.grow(50, seconds)
            assert abs(grown.points[0].runs - grown.points[1].runs) <= 1  # round robin
        assert grown.points == whole.points


def test_grow_stops_when_time_is_up_and_does_at_least_one_run() -> None:
    grown = tosses().start().grow(1000, 0.0)
    assert [p.runs for p in grown] == [1, 0]
    assert grown.runs == 0 and grown.points[1].rate("heads") == 0.0  # no runs yet: rate 0
    assert grown.points[1].interval("heads") == (0.0, 1.0)


def test_merging_needs_the_same_point_and_following_seeds() -> None:
    first = tosses().sweep(runs=10)
    with pytest.raises(UsageError, match="seeds following on"):
        first.merge(first)
    with pytest.raises(UsageError, match="different experiments"):
        first.merge(tosses(bias=[0.5]).sweep(runs=10))


def test_events_and_quantities_are_asked_for_by_their_names() -> None:
    (point,) = tosses(bias=[0.5]).sweep(runs=10)
    with pytest.raises(UsageError, match="'value' is a quantity: use mean"):
        point.rate("value")
    with pytest.raises(UsageError, match="'tails' is not observed"):
        point.interval("tails")
    with pytest.raises(UsageError, match="'tails' was not observed"):
        point.mean("tails")
    assert str(point).startswith("bias=0.5: heads ") and str(point).endswith("(10 runs)")


def test_bad_settings_name_the_parameter() -> None:
    with pytest.raises(UsageError, match="grid: 'bias' needs a non-empty list"):
        Experiment(coin, dict, {"bias": []})
    with pytest.raises(UsageError, match="bias: a setting is either in the grid or fixed"):
        Experiment(coin, dict, {"bias": [0.1]}, {"bias": 0.2})
    with pytest.raises(UsageError, match="seed is not a setting"):
        Experiment(coin, dict, {"bias": [0.1], "seed": [1, 2]})
    with pytest.raises(UsageError, match="runs must be a whole number >= 1"):
        tosses().sweep(runs=0)
    with pytest.raises(UsageError, match="at must be a whole number in"):
        tosses().start().more(1, at=2)


def test_wilson_interval() -> None:
    assert experiment.wilson(0, 0) == (0.0, 1.0)
    low, high = experiment.wilson(10, 200)
    assert low == pytest.approx(0.0274, abs=1e-4) and high == pytest.approx(0.0896, abs=1e-4)
    assert experiment.wilson(0, 100)[0] == 0.0 and experiment.wilson(100, 100)[1] == pytest.approx(1)
