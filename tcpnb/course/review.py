""""You are the kernel": exercises made from real simulation traces, with feedback.

Two kinds, for the course's review notebook (05):

* :class:`StateTable` -- a run is replayed event by event (an application
  call, a segment arriving, a timer expiring).  After each event the learner
  names the state of every endpoint; :meth:`StateTable.check` judges each
  answer and explains it from the transition table (:mod:`tcpnb.core.states`),
  with a word on the misconception behind a typical wrong answer.
* :class:`LostSegment` -- a run in which exactly one segment was lost.  The
  learner sees what each kernel did (what it sent, which states it went
  through) but not what arrived, and must say which segment never got there.

Both are built from a :class:`~tcpnb.sim.trace.Trace`, so the answers are the
simulator's, and the same code judges any run.  Widgets are built lazily.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable

from ..core.errors import UsageError
from ..core.states import TRANSITIONS, State, Trigger
from ..sim import scenarios
from ..sim.trace import Fate, Origin, Trace, Transmission
from .quiz import Choice, Feedback, Question

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
        return Feedback(False, (self._typical(name, given, right) + " " + why).strip())

    def _typical(self, name: str, given: State, right: State) -> str:
        """The misconception behind a typical wrong answer, if there is one."""
        role = self.roles.get(name)
        if given is State.TIME_WAIT and role == "passive":
            return ("M6: only the side that closed first waits in TIME-WAIT, whoever is "
                    "client or server (RFC 9293 §3.6.1).")
        if given is State.CLOSED and right is State.TIME_WAIT:
            return ("M4: the first closer does not forget the connection when the last FIN "
                    "arrives; it waits 2 x MSL in TIME-WAIT (RFC 9293 §3.6.1, MUST-13).")
        if given is State.CLOSE_WAIT and role == "active":
            return ("CLOSE-WAIT is where the side that receives a FIN before closing waits "
                    "for its own application to close (§3.3.2).")
        if given is State.CLOSED and right in _PASSIVE_CLOSE + (State.FIN_WAIT_2,):
            return ("M17: a FIN closes one direction only; the connection goes on in the "
                    "other (RFC 9293 §3.6).")
        if given is State.FIN_WAIT_2 and right is State.CLOSING:
            return ("Its own FIN is not acknowledged yet: the peer's FIN crossed it, so "
                    "it is CLOSING (Figure 13).")
        return ""

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
                parts = []
                for name, menu in menus.items():
                    if menu.value is None:
                        continue
                    verdict = self.judge(i, name, menu.value)
                    colour = "#1b7837" if verdict.correct else "#b2182b"
                    mark = "✔" if verdict.correct else "✘ " + html.escape(verdict.message)
                    parts.append(f"<span style='color:{colour}'>{name}: {mark}</span>")
                note.value = "<br>".join(parts)

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


# ------------------------------------------------------------ lost segment
class LostSegment:
    """Which segment was lost?  The learner sees sends and states, not arrivals.

    Args:
        trace: a run in which exactly one segment was lost or dropped.
        title: what the run is.
        seed: the seed of the run, if it came from one (see :func:`random_lost_segment`).
    """

    def __init__(self, trace: Trace, title: str = "", seed: int | None = None) -> None:
        lost = [t for t in trace.transmissions if t.fate in (Fate.LOST, Fate.DROPPED)]
        if len(lost) != 1:
            raise UsageError(f"the run must lose exactly one segment, it lost {len(lost)}")
        self.trace, self.title, self.lost, self.seed = trace, title, lost[0], seed
        self.options = [t for t in trace.transmissions if t.origin is not Origin.INJECTED]

    def label(self, t: Transmission) -> str:
        return f"#{self.options.index(t) + 1}  {t.sent_at:.3f} s  {t.src} -> {t.dst}  {t.segment}"

    def observed(self) -> str:
        """What the two kernels could log: their sends, calls and state changes (no arrivals)."""
        rows: list[tuple[float, int, int, str, str]] = []  # (t, event, order, who, what)
        for c in self.trace.app_calls:
            rows.append((c.t, c.event, 0, c.endpoint, f"({c.call})"))
        for r in self.trace.state_changes:
            rows.append((r.t, r.event, 1, r.endpoint, f"-> {r.new}"))
        for k, t in enumerate(self.options):
            rows.append((t.sent_at, t.sent_event, 2, t.src, f"sends #{k + 1} {t.segment}"))
        rows.sort(key=lambda row: row[:3])
        a, b = self.trace.endpoints[:2]
        lines = [f"{'t (s)':>8}  {a:<42} {b}"]
        for when, _, _, who, what in rows:
            lines.append(f"{when:8.3f}  {what:<42}" if who == a
                         else f"{when:8.3f}  {'':<42} {what}")
        return "\n".join(lines)

    def _effect(self, t: Transmission) -> str:
        """What a delivered segment did at its receiver."""
        moved = [r for r in self.trace.state_changes
                 if r.endpoint == t.dst and r.event == t.arrived_event]
        if moved:
            return f"{t.dst} went from {moved[0].old} to {moved[0].new} when it came"
        replies = [u for u in self.trace.transmissions
                   if u.src == t.dst and u.sent_event == t.arrived_event]
        if replies:
            return f"{t.dst} answered it at once with {replies[0].segment}"
        return f"{t.dst} took it in without changing state"

    def feedback(self, t: Transmission) -> str:
        if t is self.lost:
            return f"Right: {t.dst} never reacted to it, and {self._evidence(t)}."
        retransmitted = any(u.origin is Origin.RETRANSMISSION and u.src == t.src
                            and u.segment.seq == t.segment.seq
                            and u.segment.flags == t.segment.flags for u in self.options)
        text = f"That one arrived at {t.arrived_at:.3f} s: {self._effect(t)}."
        if retransmitted and t.origin is Origin.ORIGINAL:
            text += (f" It was retransmitted, but a retransmission only means {t.src} got "
                     "no acknowledgment: the segment or its ACK was lost. Which ACK is missing?")
        return text

    def _evidence(self, t: Transmission) -> str:
        """What gives the loss of ``t`` away: a retransmission, of it or of what it acknowledged."""
        if t.segment.seg_len:  # SYN, FIN or data: its sender repeats it
            again = next((u for u in self.options if u.src == t.src and u.sent_at > t.sent_at
                          and u.segment.seq == t.segment.seq
                          and u.segment.flags == t.segment.flags), None)
            if again is not None:
                return (f"{t.src} sent the same segment again at {again.sent_at:.3f} s, "
                        "when its retransmission timer ran out")
        again = next((u for u in self.options if u.src == t.dst and u.sent_at > t.sent_at
                      and u.origin is Origin.RETRANSMISSION), None)
        if again is not None:
            return (f"{t.dst} retransmitted {again.segment} at {again.sent_at:.3f} s: it never "
                    "got the acknowledgment this segment carried")
        return f"nothing {t.dst} did afterwards shows that it arrived"

    def question(self) -> Question:
        choices = [Choice(self.label(t), t is self.lost, self.feedback(t)) for t in self.options]
        return Question("Which segment was lost?", choices,
                        hint="A sender that retransmits got no ACK in time. A receiver that "
                             "does not change state, or repeats itself, did not get something.")

    def _head(self) -> str:
        return (f"<b>You are the kernel.</b> {html.escape(self.title)} One segment was lost. "
                "Here is what the two kernels did:<pre style='font-family: monospace; "
                f"font-size: 12px; line-height: 1.3'>{html.escape(self.observed())}</pre>")

    def widget(self) -> Any:
        import ipywidgets as w

        return w.VBox([w.HTML(self._head()), self.question().widget()])

    def html(self) -> str:
        """Static HTML: the kernels' log, the options, and the answer folded away."""
        options = "".join(f"<li><code>{html.escape(self.label(t))}</code></li>"
                          for t in self.options)
        answer = html.escape(f"{self.label(self.lost)}. {self.feedback(self.lost)}")
        return (f"<div>{self._head()}</div><p><b>Which segment was lost?</b> <i>(In JupyterLab, "
                "Binder or Colab you choose and press Check.)</i></p>"
                f"<ul>{options}</ul>"
                f"<details><summary>Answer</summary><p>{answer}</p></details>")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.widget()._repr_mimebundle_(**kwargs) or {})
        bundle.update({"text/html": self.html(), "text/plain": self.observed()})
        return bundle


# ----------------------------------------------------------- ready-made sets
def _close_part(trace: Trace) -> float:
    """The time of the first close() call: where a close exercise starts."""
    return next(c.t for c in trace.app_calls if c.call == "close")


#: State tables for the review notebook: (title, how to make the run, start at the first close?)
STATE_TABLES: tuple[tuple[str, Callable[[], Trace], bool], ...] = (
    ("The three-way handshake (Figure 6).", lambda: scenarios.three_way_handshake(data=0),
     False),
    ("A closes first, B closes a second later (Figure 12).",
     lambda: scenarios.close(first="A"), True),
    ("The server, B, closes first.", lambda: scenarios.close(first="B"), True),
    ("Both close at the same moment (Figure 13).", lambda: scenarios.close(first="both"), True),
    ("A closes; B's FIN is lost once.",
     lambda: scenarios.close(first="A", lose="second FIN"), True),
)


def state_table(k: int) -> StateTable:
    """Ready-made state table number ``k`` (0-based) of :data:`STATE_TABLES`."""
    title, make, from_close = STATE_TABLES[k]
    trace = make()
    return StateTable(trace, title, _close_part(trace) if from_close else 0.0)


#: Lost-segment exercises: (title, how to make the run).
LOST_SEGMENTS: tuple[tuple[str, Callable[[], Trace]], ...] = (
    ("A connects to B.", lambda: scenarios.synack_lost(delay=0.1)),
    ("A closes, then B.", lambda: scenarios.close(first="A", lose="last ACK")),
    ("A closes, then B.", lambda: scenarios.close(first="A", lose="ACK of the first FIN")),
    ("B closes, then A.", lambda: scenarios.close(first="B", lose="first FIN")),
)


def lost_segment(k: int) -> LostSegment:
    """Ready-made lost-segment exercise number ``k`` (0-based) of :data:`LOST_SEGMENTS`."""
    title, make = LOST_SEGMENTS[k]
    return LostSegment(make(), title)


def random_lost_segment(seed: int = 0, loss: float = 0.1, tries: int = 200) -> LostSegment:
    """A whole connection over a lossy network that lost exactly one segment.

    Tries the seeds ``seed``, ``seed + 1009``, ``seed + 2018``, ... so that
    neighbouring seeds give different runs.

    Only runs in which the loss caused a retransmission qualify: a lost pure
    ACK that a later segment made good leaves no trace either kernel could see.
    """
    for s in range(seed, seed + 1009 * tries, 1009):  # a stride, so that each seed differs
        trace = scenarios.lifecycle(request=100, reply=100, loss=loss, seed=s)
        lost = sum(t.fate in (Fate.LOST, Fate.DROPPED) for t in trace.transmissions)
        repaired = any(t.origin is Origin.RETRANSMISSION for t in trace.transmissions)
        if lost == 1 and repaired:  # a loss that left a trace a kernel can see
            return LostSegment(trace, f"A whole connection over a lossy network (seed {s}).", s)
    raise UsageError(f"no run of {tries} tried from seed {seed} lost exactly one segment")
