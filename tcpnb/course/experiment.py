"""Monte-Carlo experiments: seeded runs over a grid of settings, tallied as rates with intervals.

    from tcpnb.course import experiment
    lossy = experiment.Experiment(scenarios.syn_lost, observe, grid={"loss": [0, 0.2]}, times=0)
    results = lossy.sweep(runs=100)        # seeds 0..99 at every point of the grid
    results = results.more(100)            # seeds 100..199 too: equal to lossy.sweep(runs=200)
    results.at(loss=0.2).rate("established"), results.at(loss=0.2).interval("established")

Theory of operation: a *run* is ``run(**fixed, **settings, seed=k)``, and
``observe`` names what one run showed: ``{"established": True, "seconds": 0.3}``.
A ``True``/``False`` is an *event*: a point counts the runs in which it
happened and gives its rate with a 95 % Wilson interval.  Any other number is a
*quantity*: a point keeps its sum and its mean.  Every point runs the same seeds
(``seed``, ``seed + 1``, ...), so two points differ only in the setting that
changed ("common random numbers").  Results grow in steps -- more runs at one
point or at all, or two results merged -- and a result grown in steps holds
exactly the counts and sums of one sweep with as many runs (sums are kept as
exact fractions, so the order of adding does not change the last digit).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from ..core import validate
from ..core.errors import UsageError

#: What one run showed, by name: ``True``/``False`` for an event, a number for a quantity.
Observe = Callable[[Any], Mapping[str, float]]


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval for ``k`` successes in ``n`` trials (``(0, 1)`` for no trials)."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else repr(value)


@dataclass(frozen=True)
class Point:
    """What the runs with seeds ``seeds`` showed at one grid point ``settings``."""

    settings: dict[str, Any]
    seeds: range
    totals: dict[str, Fraction] = field(default_factory=dict)  # name -> exact sum over the runs
    reported: dict[str, int] = field(default_factory=dict)   # name -> runs that reported it
    events: frozenset[str] = frozenset()                     # the names observed as True/False

    @property
    def runs(self) -> int:
        """How many runs (one per seed)."""
        return len(self.seeds)

    @property
    def names(self) -> list[str]:
        """Every name observed: events first, then quantities, each in the order first seen."""
        events = [n for n in self.totals if n in self.events]
        return events + sorted(self.events - set(events)) + [n for n in self.totals
                                                              if n not in self.events]

    def _event(self, name: str) -> str:
        if name not in self.events:
            what = "a quantity: use mean()" if name in self.totals else "not observed here"
            raise UsageError(f"{name!r} is {what}; the events are {', '.join(sorted(self.events))}")
        return name

    def count(self, event: str) -> int:
        """In how many runs ``event`` happened."""
        return round(self.totals.get(self._event(event), 0))

    def rate(self, event: str) -> float:
        """The share of runs in which ``event`` happened (0 with no runs)."""
        return self.count(event) / self.runs if self.runs else 0.0

    def interval(self, event: str) -> tuple[float, float]:
        """95 % Wilson interval of :meth:`rate`."""
        return wilson(self.count(event), self.runs)

    def total(self, quantity: str) -> float:
        """The sum of ``quantity`` (or the count of an event) over the runs."""
        if quantity not in self.totals and quantity not in self.events:
            raise UsageError(f"{quantity!r} was not observed; observed: {', '.join(self.names)}")
        return float(self.totals.get(quantity, 0))

    def mean(self, quantity: str) -> float | None:
        """The mean of ``quantity`` over the runs that reported it (``None`` if none did)."""
        total = self.total(quantity)
        seen = self.runs if quantity in self.events else self.reported.get(quantity, 0)
        return total / seen if seen else None

    def __add__(self, other: Point) -> Point:
        """Both points' runs in one: ``other`` must be the same point, its seeds following on."""
        if other.settings != self.settings or other.seeds.start != self.seeds.stop:
            raise UsageError(f"cannot merge runs at {other.settings} seeds {other.seeds} into "
                             f"{self.settings} seeds {self.seeds}: the same settings and the "
                             "seeds following on are needed")
        totals, reported = dict(self.totals), dict(self.reported)
        for name, value in other.totals.items():
            totals[name] = totals.get(name, Fraction(0)) + value
            reported[name] = reported.get(name, 0) + other.reported.get(name, 0)
        return Point(self.settings, range(self.seeds.start, other.seeds.stop), totals, reported,
                     self.events | other.events)

    def __str__(self) -> str:
        where = ", ".join(f"{k}={_shown(v)}" for k, v in self.settings.items())
        parts = [f"{name} {self.rate(name):.1%} [{low:.1%}, {high:.1%}]"
                 for name in self.names if name in self.events
                 for low, high in [self.interval(name)]]
        parts += [f"{name} mean {self.mean(name):.4g}" for name in self.names
                  if name not in self.events and self.mean(name) is not None]
        return f"{where + ': ' if where else ''}{', '.join(parts)} ({self.runs} runs)"


@dataclass(frozen=True)
class Experiment:
    """What a run is (``run(**fixed, **settings, seed=k)``), what it shows, and where to run it."""

    run: Callable[..., Any]
    observe: Observe
    grid: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, values in self.grid.items():
            if not isinstance(key, str) or isinstance(values, (str, bytes)) or not len(values):
                raise UsageError(f"grid: {key!r} needs a non-empty list of values, got {values!r}")
        both = sorted(set(self.grid) & set(self.fixed))
        if both:
            raise UsageError(f"{', '.join(both)}: a setting is either in the grid or fixed")
        if "seed" in self.grid or "seed" in self.fixed:
            raise UsageError("seed is not a setting: each run gets its own (seed, seed + 1, ...)")
        object.__setattr__(self, "grid", {k: tuple(v) for k, v in self.grid.items()})
        object.__setattr__(self, "fixed", dict(self.fixed))

    def settings(self) -> list[dict[str, Any]]:
        """The grid's points, each as ``{setting: value}``, in grid order (last axis fastest)."""
        return [dict(zip(self.grid, values)) for values in itertools.product(*self.grid.values())]

    def observe_run(self, settings: dict[str, Any], seed: int) -> Mapping[str, float]:
        """What the run with ``seed`` at ``settings`` showed."""
        return self.observe(self.run(**self.fixed, **settings, seed=seed))

    def tally(self, settings: dict[str, Any], seeds: range) -> Point:
        """Run once per seed at ``settings`` and add up what the runs showed."""
        return _added(settings, seeds, [self.observe_run(settings, seed) for seed in seeds])

    def start(self, seed: int = 0) -> Results:
        """Results with no runs yet, to grow with :meth:`Results.more` or :meth:`Results.grow`."""
        validate.whole("seed", seed)
        return Results(self, tuple(Point(s, range(seed, seed)) for s in self.settings()))

    def sweep(self, runs: int, seed: int = 0) -> Results:
        """``runs`` runs at every grid point, with seeds ``seed``, ``seed + 1``, ..."""
        return self.start(seed).more(validate.whole("runs", runs, low=1))


def _added(settings: dict[str, Any], seeds: range, shown: list[Mapping[str, float]]) -> Point:
    """The point whose runs (seeds ``seeds``) showed ``shown``, one mapping per run."""
    totals: dict[str, Fraction] = {}
    counts: dict[str, int] = {}  # whole numbers and events add up exactly as ints (faster)
    reported: dict[str, int] = {}
    events: set[str] = set()
    for observed in shown:
        for name, value in observed.items():
            if isinstance(value, int):
                if isinstance(value, bool):
                    events.add(name)
                counts[name] = counts.get(name, 0) + value
            else:
                totals[name] = totals.get(name, Fraction(0)) + Fraction(value)
            reported[name] = reported.get(name, 0) + 1
    for name, count in counts.items():
        totals[name] = totals.get(name, Fraction(0)) + count
    return Point(dict(settings), seeds, totals, reported, frozenset(events))


@dataclass(frozen=True)
class Results:
    """An experiment's points, each with the runs done so far; iterate to get the points."""

    experiment: Experiment
    points: tuple[Point, ...]
    seconds: float = field(default=0.0, compare=False)  # time spent running, in all

    def __post_init__(self) -> None:
        events: frozenset[str] = frozenset().union(*(p.events for p in self.points))
        object.__setattr__(self, "points", tuple(
            p if p.events == events else replace(p, events=events) for p in self.points))

    def __iter__(self) -> Iterator[Point]:
        return iter(self.points)

    def __len__(self) -> int:
        return len(self.points)

    @property
    def grid(self) -> Mapping[str, Sequence[Any]]:
        """The settings that vary, with their values."""
        return self.experiment.grid

    @property
    def fixed(self) -> Mapping[str, Any]:
        """The settings every run gets."""
        return self.experiment.fixed

    @property
    def runs(self) -> int:
        """The fewest runs at any point."""
        return min((p.runs for p in self.points), default=0)

    @property
    def names(self) -> list[str]:
        """Every name observed at any point, most often seen first."""
        totals: dict[str, float] = {}
        for point in self.points:
            for name in point.names:
                totals[name] = totals.get(name, 0) + point.total(name)
        return sorted(totals, key=lambda name: -totals[name])

    def at(self, **settings: Any) -> Point:
        """The point with these settings, e.g. ``results.at(loss=0.2)``."""
        for point in self.points:
            if point.settings == settings:
                return point
        raise UsageError(f"no point with settings {settings}; the grid is {dict(self.grid)}")

    def rate(self, event: str) -> list[float]:
        """The rate of ``event`` at each point, in grid order."""
        return [p.rate(event) for p in self.points]

    def more(self, runs: int, at: int | None = None) -> Results:
        """``runs`` more runs at every point (or at point number ``at``), the seeds following on."""
        validate.whole("runs", runs, low=0 if at is None else 1)
        if at is not None:
            validate.whole("at", at, 0, len(self.points) - 1)
        started = time.perf_counter()
        points = tuple(p + self.experiment.tally(p.settings, range(p.seeds.stop, p.seeds.stop + runs))
                       if at is None or at == k else p for k, p in enumerate(self.points))
        return Results(self.experiment, points, self.seconds + time.perf_counter() - started)

    def grow(self, runs: int, seconds: float) -> Results:
        """Runs one at a time at the point with fewest, until each has ``runs`` or time is up.

        Checks the clock after each run, and does at least one run if any is left.
        A panel calls this in short slices to refine its estimate while it stays
        responsive; any slicing ends with the same counts.
        """
        validate.whole("runs", runs)
        deadline = time.perf_counter() + validate.seconds("seconds", seconds)
        started = time.perf_counter()
        points, experiment = self.points, self.experiment
        done = [p.runs for p in points]                  # runs per point, with the new ones
        shown: list[list[Mapping[str, float]]] = [[] for _ in points]  # the new runs' observations
        while min(done) < runs:
            k = done.index(min(done))  # the first point with fewest runs
            shown[k].append(experiment.observe_run(points[k].settings, points[k].seeds.stop
                                                   + len(shown[k])))
            done[k] += 1
            if time.perf_counter() >= deadline:
                break
        grown = tuple(p + _added(p.settings, range(p.seeds.stop, p.seeds.stop + len(new)), new)
                      if new else p for p, new in zip(points, shown))
        return Results(experiment, grown, self.seconds + time.perf_counter() - started)

    def merge(self, other: Results) -> Results:
        """This experiment's runs and ``other``'s in one; ``other``'s seeds follow on, point by point."""
        if other.experiment != self.experiment:
            raise UsageError("cannot merge results of different experiments")
        return Results(self.experiment, tuple(a + b for a, b in zip(self.points, other.points)),
                       self.seconds + other.seconds)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.points)


def sweep(run: Callable[..., Any], observe: Observe, *,
          grid: Mapping[str, Sequence[Any]] | None = None, runs: int = 100, seed: int = 0,
          **fixed: Any) -> Results:
    """``runs`` seeded runs of ``run`` at every point of ``grid``, tallied by ``observe``.

    Args:
        run: called as ``run(**fixed, **point, seed=k)``; returns what ``observe`` reads.
        observe: what one run showed, by name: ``True``/``False`` (an event) or a number.
        grid: ``{"loss": [0, 0.1], ...}``: every combination is a point.
        runs: runs per point, with seeds ``seed``, ``seed + 1``, ...
        **fixed: settings every run gets.
    """
    return Experiment(run, observe, dict(grid or {}), fixed).sweep(runs, seed)
