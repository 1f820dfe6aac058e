"""Monte-Carlo runs of a scenario: how often a connection opens, over many seeds and a grid.

    from tcpnb.course import multirun
    results = multirun.run_many("syn_lost", grid={"loss": [0, 0.2, 0.4]}, runs=200,
                                times=0, profile="linux")
    results.rate("established")          # one rate per grid point
    multirun.rate_figure(results)        # rate vs loss, with 95 % intervals

The runs, the seeds and the result are :mod:`tcpnb.course.experiment`'s: each
run's outcome (any function of a trace returning a short string) is an event,
and an optional measure (any function returning a number or ``None``) is a
quantity named :data:`MEASURE`, averaged over the runs where it was not ``None``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import plotly.graph_objects as go

from ..core.errors import UsageError
from ..sim import analysis, scenarios
from ..sim.trace import Trace
from ..views import palette
from .experiment import Experiment, Point, Results

Outcome = Callable[[Trace], str]
Measure = Callable[[Trace], float | None]
#: The name under which a run's measure is kept: ``point.mean(MEASURE)``.
MEASURE = "measure"


def opened(trace: Trace) -> str:
    """``"established"``, or why not: the client's last error ("connection refused", ...)."""
    if analysis.established_at(trace) is not None:
        return "established"
    name = trace.endpoints[0] if trace.endpoints else ""
    errors = [m for m in trace.messages(name) if m.startswith("error")] if name else []
    return errors[-1].removeprefix("error: ") if errors else "not established"


def experiment(scenario: str | Callable[..., Trace], *,
               grid: dict[str, Sequence[Any]] | None = None, outcome: Outcome = opened,
               measure: Measure | None = None, **fixed: Any) -> Experiment:
    """The :class:`~tcpnb.course.experiment.Experiment` that :func:`run_many` runs."""
    run = scenarios.get(scenario) if isinstance(scenario, str) else scenario

    def observe(trace: Trace) -> dict[str, float]:
        seen: dict[str, float] = {outcome(trace): True}
        value = measure(trace) if measure else None
        return seen if value is None else {**seen, MEASURE: value}

    return Experiment(run, observe, dict(grid or {}), fixed)


def run_many(scenario: str | Callable[..., Trace], *,
             grid: dict[str, Sequence[Any]] | None = None, runs: int = 100, seed: int = 0,
             outcome: Outcome = opened, measure: Measure | None = None, **fixed: Any) -> Results:
    """Run ``scenario`` ``runs`` times at every point of ``grid``; count the outcomes.

    Args:
        scenario: a scenario name (see ``python -m tcpnb list``) or a function
            taking keywords and returning a trace.
        grid: ``{"loss": [0, 0.1, 0.2], ...}``: every combination is a point.
        runs: runs per grid point, with seeds ``seed``, ``seed + 1``, ...
        outcome: names what happened in one run (default :func:`opened`).
        measure: an optional number per run (e.g. :func:`tcpnb.analysis.connect_time`),
            kept as the quantity :data:`MEASURE`.
        **fixed: keywords passed unchanged to every run.
    """
    return experiment(scenario, grid=grid, outcome=outcome, measure=measure,
                      **fixed).sweep(runs, seed)


def seen_outcomes(results: Results) -> list[str]:
    """Every outcome seen, most frequent first."""
    return [name for name in results.names if name != MEASURE]


def rate_figure(results: Results, x: str | None = None, outcomes: Sequence[str] | None = None,
                title: str | None = None, height: int = 480) -> go.Figure:
    """Rate of each outcome against grid setting ``x``, with 95 % intervals.

    Other grid settings, if any, give one line per value.
    """
    keys = list(results.grid)
    if not keys:
        raise UsageError("results: rate_figure needs a grid with at least one setting")
    x = x or keys[0]
    if x not in keys:
        raise UsageError(f"x must be one of the grid's settings {keys}, got {x!r}")
    data = []
    colours = itertools.cycle(palette.ENDPOINT_COLOURS + ("#E69F00", "#56B4E9", "#000000"))
    others = [k for k in keys if k != x]
    groups: dict[tuple[Any, ...], list[Point]] = {}
    for point in results:
        groups.setdefault(tuple(point.settings[k] for k in others), []).append(point)
    shown = list(outcomes) if outcomes is not None else seen_outcomes(results)
    for outcome, colour in zip(shown, colours):
        dashes = itertools.cycle(("solid", "dash", "dot", "dashdot"))
        for (values, points), dash in zip(groups.items(), dashes):
            label = outcome + "".join(f", {k}={v}" for k, v in zip(others, values))
            rates = [p.rate(outcome) for p in points]
            lows, highs = zip(*(p.interval(outcome) for p in points))
            data.append(dict(type="scatter", mode="lines+markers", name=label,
                             x=[p.settings[x] for p in points], y=rates,
                             line=dict(color=colour, dash=dash, width=2.5),
                             error_y=dict(type="data", symmetric=False, thickness=1.2,
                                          array=[h - r for h, r in zip(highs, rates)],
                                          arrayminus=[r - lo for lo, r in zip(lows, rates)]),
                             meta=dict(kind="rate", outcome=outcome)))
    name = getattr(results.experiment.run, "__name__", "runs")
    layout = palette.base_layout(title or f"{name}: share of {results.runs} runs per point", height)
    layout.update(xaxis=dict(title=x, showgrid=True, gridcolor="#eeeeee"),
                  yaxis=dict(title="share of runs", tickformat=".0%", range=[-0.03, 1.03],
                             showgrid=True, gridcolor="#eeeeee"),
                  legend=dict(orientation="h", y=-0.2, x=0))
    return go.Figure(dict(data=data, layout=layout))
