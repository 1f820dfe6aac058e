"""Shared test helpers: read a trace the way RFC 9293's figures are written."""

from __future__ import annotations

from tcpnb import Trace
from tcpnb.sim.trace import Fate


def exchange(trace: Trace) -> list[tuple[str, str, str, str]]:
    """(sender, segment, sender's state after sending, receiver's state after arrival).

    One row per delivered segment, in the order they were sent: the columns of
    an RFC figure.  An injected old duplicate has sender state "(duplicate)".
    """
    rows = []
    for t in trace.transmissions:
        if t.fate is not Fate.DELIVERED:
            continue
        sender = "(duplicate)" if t.arrived_event is None or t.origin.value == "injected" \
            else str(trace.state_after_event(t.src, t.sent_event))
        receiver = str(trace.state_after_event(t.dst, t.arrived_event or 0))
        rows.append((t.src, str(t.segment), sender, receiver))
    return rows


def check_question(q: object, cite: str = r"RFC|§|Figure") -> None:
    """A self-check is well made: one right answer, and wrong ones that explain and cite."""
    import re

    choices = q.choices  # type: ignore[attr-defined]
    assert sum(c.correct for c in choices) == 1
    for k, choice in enumerate(choices):
        verdict = q.check(k)  # type: ignore[attr-defined]
        assert verdict.correct == choice.correct
        # an option's own feedback, word for word; without one, the engine's plain verdict
        assert verdict.message == (choice.feedback or ("Correct." if choice.correct
                                                       else "Not quite."))
        if not choice.correct:
            assert len(choice.feedback) > 40, choice.text
    assert any(re.search(cite, c.feedback) for c in choices if not c.correct), \
        "at least one wrong option should point to the RFC"
