""""You are the kernel": exercises made from real simulation traces, with feedback.

Two kinds, for the course's review notebook (05):

* :class:`StateTable` -- a run is replayed event by event (an application
  call, a segment arriving, a timer expiring).  After each event the learner
  names the state of every endpoint; :meth:`StateTable.check` judges each
  answer and explains it from the transition table (:mod:`tcpnb.core.states`),
  with a word on the misconception behind a typical wrong answer.
* :class:`~tcpnb.course.lostsegment.LostSegment` -- a run in which exactly one
  segment was lost: which one?  (Its own module; it is re-exported here, with
  :func:`random_lost_segment`.)

Both are built from a :class:`~tcpnb.sim.trace.Trace`, so the answers are the
simulator's, and the same code judges any run.  The course's ready-made exercises
are course text, in the review notebook's data file beside it; :func:`load` reads
them (and its questions)::

    checks = review.load("questions/05_review.toml")
    checks["table_2"]                       # a StateTable, shown as a grid of menus

Widgets are built lazily.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..core import validate
from ..core.errors import UsageError
from ..core.states import TRANSITIONS, State, Trigger
from ..sim import scenarios
from ..sim.trace import Origin, Trace, Transmission
from . import quiz
from .coursefile import Entry
from .lostsegment import LostSegment as LostSegment  # re-exported: both kinds of exercise
from .lostsegment import random_lost_segment as random_lost_segment
from .quiz import Feedback

_PASSIVE_CLOSE = (State.CLOSE_WAIT, State.LAST_ACK)
_ACTIVE_CLOSE = (State.FIN_WAIT_1, State.FIN_WAIT_2, State.CLOSING, State.TIME_WAIT)


# --------------------------------------------------------------------- events
@dataclass(frozen=True, slots=True)
class Change:
    """One endpoint's state change at an event."""

    old: State
    new: State
    cause: str


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened to one endpoint, and every endpoint's state right after."""

    t: float
    event: int                      # the simulator's event number
    kind: str                       # "call", "arrival" or "timer"
    who: str                        # the endpoint it happened to
    text: str                       # e.g. "A calls close()" or "B -> A <SEQ=300>..."
    states: Mapping[str, State]
    changes: Mapping[str, Change]


_TIMERS = {"Timeout=2MSL": "the 2 MSL timer runs out",
           "retransmission limit": "too many retransmissions: gives up"}


def _describe_arrival(t: Transmission) -> str:
    extra = {Origin.RETRANSMISSION: " (retransmitted)", Origin.DUPLICATE: " (late copy)",
             Origin.INJECTED: " (old duplicate)"}.get(t.origin, "")
    return f"{t.src} -> {t.dst}  {t.segment}{extra} arrives"


def events(trace: Trace, since: float = 0.0) -> list[Event]:
    """The run as a list of events from time ``since``: calls, arrivals and timer expiries.

    An event is listed if it is an application call or an arrival, or if it
    changed some endpoint's state (a timer: TIME-WAIT's 2 MSL, giving up).
    """
    names = trace.endpoints
    by_event: dict[int, list[tuple[str, str, str, float]]] = {}
    for call in trace.app_calls:
        text = f"{call.endpoint} calls {call.call}()" + (
            f" ({call.detail} bytes)" if call.call == "send" else "")
        by_event.setdefault(call.event, []).append(("call", call.endpoint, text, call.t))
    for t in trace.transmissions:
        if t.arrived_event is not None and t.arrived_at is not None:
            by_event.setdefault(t.arrived_event, []).append(
                ("arrival", t.dst, _describe_arrival(t), t.arrived_at))
    changes: dict[int, dict[str, Change]] = {}
    for r in trace.state_changes:
        changes.setdefault(r.event, {})[r.endpoint] = Change(r.old, r.new, r.cause)
        if r.event not in by_event:
            what = _TIMERS.get(r.cause, r.cause)
            by_event[r.event] = [("timer", r.endpoint, f"{r.endpoint}: {what}", r.t)]
    result = []
    for number in sorted(by_event):
        for kind, who, text, when in by_event[number]:
            if when < since:
                continue
            states = {name: trace.state_after_event(name, number) for name in names}
            result.append(Event(when, number, kind, who, text, states, changes.get(number, {})))
    return result


def rfc_rows(trace: Trace, since: float = 0.0) -> list[tuple[str, str, str, str]]:
    """The run as the lines of an RFC figure: one row per segment that arrived.

    Each row is (sender, segment, sender's state after sending, receiver's
    state after the arrival), for segments sent from time ``since`` on, in the
    order they were sent -- the columns of RFC 9293's Figures 6 to 13.
    """
    return [(t.src, str(t.segment), str(trace.state_after_event(t.src, t.sent_event)),
             str(trace.state_after_event(t.dst, t.arrived_event)))
            for t in trace.transmissions
            if t.arrived_event is not None and t.sent_at >= since]


def _reference(change: Change) -> str:
    try:
        row = TRANSITIONS.get((change.old, Trigger(change.cause)))
    except ValueError:
        row = None
    return f" ({row.reference})" if row is not None else ""


def _roles(trace: Trace) -> dict[str, str]:
    """Which endpoint closed first ("active") and which second ("passive")."""
    roles = {}
    for name in trace.endpoints:
        seq = trace.state_sequence(name)
        if any(s in _ACTIVE_CLOSE for s in seq):
            roles[name] = "active"
        elif any(s in _PASSIVE_CLOSE for s in seq):
            roles[name] = "passive"
    return roles


# ------------------------------------------------------------ state table
class StateTable:
    """Name every endpoint's state after each event of a run.

    Args:
        trace: the run.
        title: what the run is (shown above the table).
        since: leave out events before this time (e.g. the opening).
    """

    def __init__(self, trace: Trace, title: str = "", since: float = 0.0) -> None:
        self.trace, self.title = trace, title
        self.rows = events(trace, since)
        if not self.rows:
            raise UsageError(f"nothing happens in this run after t = {since}")
        first = self.rows[0]
        self.start = {name: trace.state_after_event(name, first.event - 1)
                      for name in trace.endpoints}
        self.roles = _roles(trace)

    @property
    def names(self) -> tuple[str, ...]:
        return self.trace.endpoints

    def answers(self) -> list[dict[str, State]]:
        """The right answers: each row's states."""
        return [dict(row.states) for row in self.rows]

    def before(self, index: int, name: str) -> State:
        """``name``'s state just before row ``index``."""
        return self.rows[index - 1].states[name] if index else self.start[name]

    def judge(self, index: int, name: str, answer: State | str) -> Feedback:
        """Is ``answer`` the state of ``name`` after row ``index``?  With an explanation."""
        given = _state(answer)
        row, right = self.rows[index], self.rows[index].states[name]
        change = row.changes.get(name)
        why = (f"{name} was in {change.old}; '{change.cause}' takes it to {change.new}"
               f"{_reference(change)}." if change is not None
               else f"Nothing in this event moves {name}: it stays in {right}.")
        if given is right:
            return Feedback(True, why)
        code, text = self._typical(name, given, right)
        return Feedback(False, f"{text} {why}".strip(), code)

    def _typical(self, name: str, given: State, right: State) -> tuple[str, str]:
        """(misconception code, what to say) behind a typical wrong answer; ("", "") if none."""
        role = self.roles.get(name)
        if given is State.TIME_WAIT and role == "passive":
            return "M6", ("Only the side that closed first waits in TIME-WAIT, whoever is "
                          "client or server (RFC 9293 §3.6.1).")
        if given is State.CLOSED and right is State.TIME_WAIT:
            return "M4", ("The first closer does not forget the connection when the last FIN "
                          "arrives; it waits 2 x MSL in TIME-WAIT (RFC 9293 §3.6.1, MUST-13).")
        if given is State.CLOSE_WAIT and role == "active":
            return "", ("CLOSE-WAIT is where the side that receives a FIN before closing waits "
                        "for its own application to close (§3.3.2).")
        if given is State.CLOSED and right in _PASSIVE_CLOSE + (State.FIN_WAIT_2,):
            return "M17", ("A FIN closes one direction only; the connection goes on in the "
                           "other (RFC 9293 §3.6).")
        if given is State.FIN_WAIT_2 and right is State.CLOSING:
            return "", ("Its own FIN is not acknowledged yet: the peer's FIN crossed it, so "
                        "it is CLOSING (Figure 13).")
        return "", ""

    def check(self, answers: Sequence[Mapping[str, State | str]]) -> list[dict[str, Feedback]]:
        """Judge a whole table of answers: one mapping per row, endpoint -> state."""
        if len(answers) != len(self.rows):
            raise UsageError(f"answers must have one entry per row ({len(self.rows)}), "
                             f"got {len(answers)}")
        return [{name: self.judge(i, name, row[name]) for name in row}
                for i, row in enumerate(answers)]

    def text(self) -> str:
        """The table as plain text, states left blank."""
        lines = [f"{'t (s)':>8}  {'event':<66} " + " ".join(f"{n:<13}" for n in self.names)]
        lines.append(f"{'':>8}  {'(before)':<66} "
                     + " ".join(f"{str(self.start[n]):<13}" for n in self.names))
        for row in self.rows:
            lines.append(f"{row.t:8.3f}  {row.text:<66} " + " ".join(f"{'?':<13}" for _ in
                                                                       self.names))
        return "\n".join(lines)

    def widget(self) -> Any:
        """A grid: one row per event, a drop-down per endpoint, a Check button, feedback."""
        import ipywidgets as w

        options = [("?", None)] + [(str(s), s) for s in State]
        grid: list[Any] = [w.HTML("<b>t (s)</b>"), w.HTML("<b>event</b>")]
        grid += [w.HTML(f"<b>{n}</b>") for n in self.names] + [w.HTML("")]
        grid += [w.HTML(""), w.HTML("<i>(before)</i>")]
        grid += [w.HTML(str(self.start[n])) for n in self.names] + [w.HTML("")]
        picks, notes = [], []
        for row in self.rows:
            menus = {n: w.Dropdown(options=options, value=None, layout=w.Layout(width="140px"))
                     for n in self.names}
            note = w.HTML("")
            grid += [w.HTML(f"{row.t:.3f}"), w.HTML(f"<code>{html.escape(row.text)}</code>")]
            grid += list(menus.values()) + [note]
            picks.append(menus)
            notes.append(note)
        button = w.Button(description="Check", button_style="primary")

        def on_click(_: Any) -> None:
            for i, (menus, note) in enumerate(zip(picks, notes)):
                verdicts = {name: self.judge(i, name, menu.value)
                            for name, menu in menus.items() if menu.value is not None}
                note.value = "<br>".join(
                    quiz.verdict_html(Feedback(v.correct, f"{name}: " + ("" if v.correct else
                                                                         v.message)))
                    for name, v in verdicts.items())

        button.on_click(on_click)
        columns = f"60px minmax(260px, 2fr) {' '.join('150px' for _ in self.names)} 3fr"
        table = w.GridBox(grid, layout=w.Layout(grid_template_columns=columns,
                                                grid_gap="2px 8px"))
        head = w.HTML(f"<b>You are the kernel.</b> {html.escape(self.title)} After each event, "
                      "what state is each side in?")
        return w.VBox([head, table, button])

    def html(self) -> str:
        """The table as static HTML: states left blank, the answers folded away below."""
        head = "".join(f"<th>{html.escape(n)}</th>" for n in self.names)

        def rows(show: bool) -> str:
            left = "style='text-align:left'"
            body = f"<tr><td></td><td {left}><i>(before)</i></td>" + "".join(
                f"<td {left}>{self.start[n]}</td>" for n in self.names) + "</tr>"
            for row in self.rows:
                cells = "".join(f"<td {left}>{row.states[n] if show else '&nbsp;' * 16}</td>"
                                for n in self.names)
                body += (f"<tr><td>{row.t:.3f}</td><td {left}><code>{html.escape(row.text)}"
                         f"</code></td>{cells}</tr>")
            return (f"<table><tr><th>t (s)</th><th {left}>event</th>{head}</tr>{body}</table>")

        return (f"<p><b>You are the kernel.</b> {html.escape(self.title)} After each event, what "
                "state is each side in? <i>(In JupyterLab, Binder or Colab each cell is a menu "
                f"with a Check button.)</i></p>{rows(False)}"
                f"<details><summary>Answers</summary>{rows(True)}</details>")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.widget()._repr_mimebundle_(**kwargs) or {})
        bundle.update({"text/html": self.html(), "text/plain": self.text()})
        return bundle


def _state(answer: State | str) -> State:
    if isinstance(answer, State):
        return answer
    for state in State:
        if answer.strip().upper().replace("_", "-") == state.value:
            return state
    raise UsageError(f"answer must be a State or a state's name such as 'TIME-WAIT', "
                     f"got {answer!r}")


# ----------------------------------------------------------- the data file
def _close_part(trace: Trace) -> float:
    """The time of the first close() call: where a close exercise starts."""
    return next(c.t for c in trace.app_calls if c.call == "close")


def exercise(entry: Entry) -> StateTable | LostSegment:
    """An ``[id]`` entry with ``exercise = "state table"`` or ``"lost segment"``, built from its run."""
    kind = entry.get("exercise", str)
    if kind not in ("state table", "lost segment"):
        raise UsageError(f"{entry.where('exercise')}: must be 'state table' or 'lost segment', "
                         f"got {kind!r}")
    entry.only("exercise", "title", "scenario", "settings",
               *(["start"] if kind == "state table" else []))
    title, start = entry.get("title", str), entry.get("start", str, "start")
    if start not in ("start", "first close"):
        raise UsageError(f"{entry.where('start')}: must be 'start' or 'first close', got {start!r}")
    name, settings = entry.get("scenario", str), entry.get("settings", dict, {})
    try:
        trace = scenarios.get(name)(**settings)
        if kind == "lost segment":
            return LostSegment(trace, title)
        if start == "first close" and not any(c.call == "close" for c in trace.app_calls):
            raise UsageError("the run has no close() to start from")
        return StateTable(trace, title, _close_part(trace) if start == "first close" else 0.0)
    except (TypeError, UsageError) as error:  # a wrong keyword, or a run that does not fit
        raise UsageError(f"{entry.where()}: {error}") from None


def load(*paths: str | Path) -> quiz.Bank:
    """The exercises and questions in the data files at ``paths``, by id (see :func:`quiz.load`)."""
    return quiz.load(*paths, kinds={"exercise": exercise})
