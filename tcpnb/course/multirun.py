"""Monte-Carlo runs: one scenario over many seeds and a grid of settings.

    from tcpnb import multirun
    results = multirun.run_many("syn_lost", runs=200, grid={"loss": [0, 0.2, 0.4]},
                                times=0, profile="linux")
    results.rate("established")          # one rate per grid point
    multirun.rate_figure(results)        # rate vs loss, with 95 % intervals

Every grid point runs the same seeds (``seed``, ``seed + 1``, ...), so two
points differ only in the setting that changed ("common random numbers").
An outcome is any function of a trace that returns a short string; a
measure, any function that returns a number (its mean is kept).
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import plotly.graph_objects as go

from ..core import validate
from ..sim import analysis, scenarios
from ..sim.trace import Trace
from ..views import palette
from .timewait import wilson

Outcome = Callable[[Trace], str]
Measure = Callable[[Trace], float | None]


def opened(trace: Trace) -> str:
    """``"established"``, or why not: the client's last error ("connection refused", ...)."""
    if analysis.established_at(trace) is not None:
        return "established"
    name = trace.endpoints[0] if trace.endpoints else ""
    errors = [m for m in trace.messages(name) if m.startswith("error")] if name else []
    return errors[-1].removeprefix("error: ") if errors else "not established"


@dataclass(frozen=True)
class Point:
    """The outcomes of ``runs`` runs at one grid point ``params``."""

    params: dict[str, Any]
    runs: int
    counts: dict[str, int]
    mean: float | None = None  # of the measure, over the runs where it was not None

    def rate(self, outcome: str) -> float:
        """Share of runs that ended in ``outcome``."""
        return self.counts.get(outcome, 0) / self.runs

    def interval(self, outcome: str) -> tuple[float, float]:
        """95 % Wilson interval of :meth:`rate`."""
        return wilson(self.counts.get(outcome, 0), self.runs)


@dataclass(frozen=True)
class Results:
    """Everything :func:`run_many` measured."""

    scenario: str
    grid: dict[str, list[Any]]
    points: list[Point]
    seconds: float

    @property
    def outcomes(self) -> list[str]:
        """Every outcome seen, most frequent first."""
        total: Counter[str] = Counter()
        for point in self.points:
            total.update(point.counts)
        return [name for name, _ in total.most_common()]

    def rate(self, outcome: str) -> list[float]:
        """The rate of ``outcome`` at each grid point, in grid order."""
        return [p.rate(outcome) for p in self.points]

    def to_rows(self) -> list[dict[str, Any]]:
        """One dictionary per grid point: its settings, runs, each outcome's rate and the mean."""
        return [{**p.params, "runs": p.runs, **{o: p.rate(o) for o in self.outcomes},
                 **({"mean": p.mean} if p.mean is not None else {})} for p in self.points]


def _check(runs: int, grid: dict[str, Sequence[Any]] | None) -> dict[str, list[Any]]:
    validate.whole("runs", runs, low=1)
    grid = dict(grid or {})
    for key, values in grid.items():
        if not isinstance(key, str) or isinstance(values, (str, bytes)) or not len(values):
            raise ValueError(f"grid: {key!r} needs a non-empty list of values, got {values!r}")
    return {key: list(values) for key, values in grid.items()}


def run_many(scenario: str | Callable[..., Trace], *, runs: int = 100, seed: int = 0,
             grid: dict[str, Sequence[Any]] | None = None, outcome: Outcome = opened,
             measure: Measure | None = None, **fixed: Any) -> Results:
    """Run ``scenario`` ``runs`` times at every point of ``grid``; count the outcomes.

    Args:
        scenario: a scenario name (see ``python -m tcpnb list``) or a function
            taking keywords and returning a trace.
        runs: runs per grid point, with seeds ``seed``, ``seed + 1``, ...
        grid: ``{"loss": [0, 0.1, 0.2], ...}``: every combination is a point.
        outcome: names what happened in one run (default :func:`opened`).
        measure: an optional number per run (e.g. :func:`tcpnb.analysis.connect_time`).
        **fixed: keywords passed unchanged to every run.
    """
    func = scenarios.get(scenario) if isinstance(scenario, str) else scenario
    name = scenario if isinstance(scenario, str) else getattr(scenario, "__name__", "scenario")
    axes = _check(runs, grid)
    start, points = time.perf_counter(), []
    for values in itertools.product(*axes.values()):
        params = dict(zip(axes, values))
        counts: Counter[str] = Counter()
        measured = []
        for k in range(runs):
            trace = func(**fixed, **params, seed=seed + k)
            counts[outcome(trace)] += 1
            value = measure(trace) if measure else None
            if value is not None:
                measured.append(value)
        mean = statistics.fmean(measured) if measured else None
        points.append(Point(params, runs, dict(counts), mean))
    return Results(name, axes, points, time.perf_counter() - start)


def rate_figure(results: Results, x: str | None = None, outcomes: Sequence[str] | None = None,
                title: str | None = None, height: int = 480) -> go.Figure:
    """Rate of each outcome against grid parameter ``x``, with 95 % intervals.

    Other grid parameters, if any, give one line per value.
    """
    keys = list(results.grid)
    if not keys:
        raise ValueError("results: rate_figure needs a grid with at least one parameter")
    x = x or keys[0]
    if x not in keys:
        raise ValueError(f"x must be one of the grid's parameters {keys}, got {x!r}")
    data = []
    colours = itertools.cycle(palette.ENDPOINT_COLOURS + ("#E69F00", "#56B4E9", "#000000"))
    dashes = itertools.cycle(("solid", "dash", "dot", "dashdot"))
    others = [k for k in keys if k != x]
    for outcome, colour in zip(outcomes or results.outcomes, colours):
        groups: dict[tuple[Any, ...], list[Point]] = {}
        for point in results.points:
            groups.setdefault(tuple(point.params[k] for k in others), []).append(point)
        for (values, points), dash in zip(groups.items(), dashes):
            label = outcome + "".join(f", {k}={v}" for k, v in zip(others, values))
            lows, highs = zip(*(p.interval(outcome) for p in points))
            rates = [p.rate(outcome) for p in points]
            data.append(dict(type="scatter", mode="lines+markers", name=label,
                             x=[p.params[x] for p in points], y=rates,
                             line=dict(color=colour, dash=dash, width=2.5),
                             error_y=dict(type="data", symmetric=False, thickness=1.2,
                                          array=[h - r for h, r in zip(highs, rates)],
                                          arrayminus=[r - lo for lo, r in zip(lows, rates)]),
                             meta=dict(kind="rate", outcome=outcome)))
    runs = results.points[0].runs
    layout = palette.base_layout(title or f"{results.scenario}: share of {runs} runs per point",
                                 height)
    layout.update(xaxis=dict(title=x, showgrid=True, gridcolor="#eeeeee"),
                  yaxis=dict(title="share of runs", tickformat=".0%", range=[-0.03, 1.03],
                             showgrid=True, gridcolor="#eeeeee"),
                  legend=dict(orientation="h", y=-0.2, x=0))
    return go.Figure(dict(data=data, layout=layout))
