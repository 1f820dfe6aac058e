"""Monte-Carlo panels: a first estimate at once, then sharper ones while the learner looks.

    panel = ExperimentPanel(controls, values, experiment, timewait.figure, runs=1000)
    panel.update(msl=5.0)   # a first estimate now; more runs on the kernel's event loop
    panel.finish()          # plain Python (tests, nbval): the remaining runs now; the results
    panel.results           # what is shown: each point's runs so far

Theory of operation: on every change the panel drops the work for the old
values at once (:meth:`ExperimentPanel.stop`) and grows a fresh
:class:`~tcpnb.course.experiment.Results`: one run at every point, and as many
more as fit for the figure to be drawn within :data:`ANSWER` seconds of the
change (judged by how long the last drawing took; :data:`INITIAL` seconds when
the panel is made).  It draws that, then keeps growing it in slices of
:data:`SLICE` seconds on the kernel's event loop (:class:`~.background.Slices`)
until every point has ``runs`` runs.  It draws again when :data:`REDRAW`
seconds have passed and the runs have grown by :data:`GROWTH` since the last
drawing (an interval narrows with the square root of the runs, so later
drawings would change little), and at the end.  Runs go one at a time to the
point with fewest, each point taking seeds ``0, 1, 2...``: a result at any
moment is a prefix of the full sweep, and the last one equals
``experiment.sweep(runs)`` whatever the timing.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go

from ..core import validate
from ..course.experiment import Experiment, Results
from .background import Slices
from .panel import Control, Panel, error_html

#: Seconds from a change to the first estimate drawn (under the 0.2 s a learner waits for, with
#: room for a slow drawing); of runs per slice; between two drawings.
ANSWER, SLICE, REDRAW = 0.15, 0.03, 0.5
#: Seconds of runs before the panel is first shown: the cell that makes it takes about this
#: long, and a page made without a kernel (the offline edition) shows that estimate.
INITIAL = 1.0
#: The factor by which the runs grow between two drawings.
GROWTH = 1.25


class ExperimentPanel(Panel):
    """Controls over an experiment; its figure is redrawn as the runs come in.

    Args:
        controls, values: as for :class:`~tcpnb.widgets.panel.Panel`.
        experiment: ``experiment(**values)`` -> the experiment for the controls' values.
        picture: draws a result (with its intervals) as a figure.
        runs: runs per point to reach.
        words: an optional sentence about a result, shown over the figure.
    """

    def __init__(self, controls: Mapping[str, Control], values: Mapping[str, Any],
                 experiment: Callable[..., Experiment], picture: Callable[[Results], go.Figure],
                 *, runs: int, words: Callable[[Results], str] | None = None) -> None:
        self.experiment, self.picture, self.words = experiment, picture, words
        self.runs = validate.whole("runs", runs, low=1)
        self._results: Results | None = None
        self._slices = Slices(lambda: False)
        self._drawn, self._drawn_runs = 0.0, 0
        self._drawing = 0.05  # seconds the last drawing took (a guess before the first)
        super().__init__(controls, values, self._first)

    @property
    def results(self) -> Results:
        """The result shown: every point's runs so far."""
        self.flush()
        assert self._results is not None
        return self._results

    @property
    def done(self) -> bool:
        """Every point has its ``runs`` runs."""
        return self.results.runs >= self.runs

    def finish(self) -> Results:
        """Do the remaining runs now, synchronously; draw and return the final result."""
        results = self.results
        self._slices.cancel()
        while results.runs < self.runs:
            results = results.grow(self.runs, SLICE)
        self._results = results
        self.show(self._picture(results))
        return results

    def note(self) -> str:
        """While refining, how far it got; then the words about the result, if any.

        The figure's title gives the number of runs; this line does not repeat it.
        """
        results = self._results
        if results is None:
            return ""
        words = html.escape(self.words(results)) if self.words else ""
        if results.runs >= self.runs:
            return f"<b>Measured:</b> {words}" if words else ""
        return (f"<b>So far</b> ({results.runs} of {self.runs} runs per point, more coming)"
                + (f": {words}" if words else ""))

    def show(self, drawing: Any) -> None:
        """Show a drawing, and time it: the next first estimate leaves room for it."""
        started = time.perf_counter()
        super().show(drawing)
        self._drawn = time.perf_counter()
        self._drawn_runs = self._results.runs if self._results else 0
        self._drawing += self._drawn - started

    def _picture(self, results: Results) -> go.Figure:
        started = time.perf_counter()
        figure = self.picture(results)
        self._drawing = time.perf_counter() - started
        return figure

    def stop(self) -> None:
        """Run no further slice for the old values: a move cancels them at once."""
        self._slices.cancel()

    def _first(self, **values: Any) -> go.Figure:
        """Drop the old work; a first estimate now, the rest in slices on the event loop."""
        started = time.perf_counter()
        self._slices.cancel()
        results = self.experiment(**values).start()
        while results.runs < 1:  # one run at every point, however long it takes
            results = results.grow(self.runs, 0.0)
        answer = INITIAL if self._results is None else ANSWER
        budget = answer - self._drawing - (time.perf_counter() - started)
        self._results = results.grow(self.runs, max(0.0, budget))
        self._slices = Slices(self._refine)
        if self._results.runs < self.runs:
            self._slices.start()
        return self._picture(self._results)

    def _refine(self) -> bool:
        """One slice of runs; redraw now and then.  Say whether more are needed."""
        assert self._results is not None
        try:
            self._results = self._results.grow(self.runs, SLICE)
            more = self._results.runs < self.runs
            due = (time.perf_counter() - self._drawn >= REDRAW
                   and self._results.runs >= GROWTH * self._drawn_runs)
            if due or not more:
                self.show(self._picture(self._results))
        except Exception as error:  # on the event loop nobody would see it: say it
            self.note_status(error_html(error))
            return False
        return more
