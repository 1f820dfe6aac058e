"""Figure titles: what happened in a run, in one sentence."""

from __future__ import annotations

import textwrap

from ..sim import analysis
from ..sim.trace import Fate, Trace


def figure_title(trace: Trace, width: int = 90) -> str:
    """What happened, in one sentence (wrapped at ``width`` characters for a figure title)."""
    if trace.state_changes:
        text = analysis.summary(trace)
    else:
        lost = sum(t.fate in (Fate.LOST, Fate.DROPPED) for t in trace.transmissions)
        text = f"{len(trace.transmissions)} segments between " + " and ".join(trace.endpoints)
        text += f", {lost} lost" if lost else ""
    return "<br>".join(textwrap.wrap(text, width))
