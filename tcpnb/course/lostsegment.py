"""Which segment was lost?  A review exercise made from a run that lost exactly one segment.

The learner sees what each kernel could log -- what it sent, which states it
went through, which calls its application made -- but not what arrived, and
names the segment that never got there.  Every option's feedback says what that
segment did at its receiver, so a wrong guess explains itself; the right one
names the evidence (a retransmission, of it or of what it acknowledged).
Made from a :class:`~tcpnb.sim.trace.Trace`, so the same code judges any run.
"""

from __future__ import annotations

import html
from typing import Any

from ..core.errors import UsageError
from ..sim import scenarios
from ..sim.trace import Fate, Origin, Trace, Transmission
from .quiz import Choice, Question


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
                "Here is what the two kernels did:<pre style='white-space: pre; overflow-x: auto; "
                "font-family: monospace; font-size: 12px; line-height: 1.3'>"
                f"{html.escape(self.observed())}</pre>")

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
