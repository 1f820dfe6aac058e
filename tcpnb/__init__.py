"""tcpnb: see how TCP opens and closes a connection, exactly as RFC 9293 says.

The package is built in layers; each imports only the layers above it in this list:

* :mod:`tcpnb.core` -- segments, the eleven states and their table, one endpoint
  as a sans-I/O state machine, timers and ISNs (the standard library only);
* :mod:`tcpnb.sim` -- a deterministic simulator, its trace, and the named scenarios;
* :mod:`tcpnb.views` -- the text ladder and the plotly figures drawn from a trace;
* :mod:`tcpnb.real` -- captures of a real Linux kernel, and the model beside them;
* :mod:`tcpnb.course` -- self-checks, review exercises and Monte-Carlo experiments;
* :mod:`tcpnb.widgets` -- ipywidgets control panels, and the notebook set-up.

``import tcpnb`` loads only the first two layers and the text ladder: no plotly,
no ipywidgets, no IPython.  The figure and panel functions below load their layer on first use.
"""

from __future__ import annotations

from typing import Any

from .core import profiles
from .core.endpoint import Endpoint, Handshake
from .core.errors import BudgetExceeded, CaptureError, IllegalTransition, UsageError
from .core.isn import ClockISN, FixedISN, IncrementingISN, RandomISN
from .core.profiles import LINUX, RFC, Profile
from .core.segment import Flags, Segment
from .core.states import State
from .sim import analysis, scenarios
from .sim.simulation import SimEndpoint, Simulation
from .sim.trace import Fate, Origin, Trace, Transmission
from .sim.triggers import on_received, on_state
from .views.textladder import text_ladder

__all__ = [
    "BudgetExceeded", "CaptureError", "ClockISN", "Endpoint", "Fate", "FixedISN", "Flags",
    "Handshake", "IllegalTransition", "IncrementingISN", "LINUX", "Origin", "Profile", "RFC",
    "RandomISN", "Segment", "SimEndpoint", "Simulation", "State", "Trace", "Transmission",
    "UsageError", "analysis", "compare", "explore", "knowledge", "ladder", "load_capture",
    "on_received", "on_state", "profiles", "scenarios", "setup", "show_text", "solution",
    "state_diagram", "text_ladder", "timeline",
]
__version__ = "0.1.0"

#: Entry points that need plotly, ipywidgets or dpkt: name -> (module, attribute).
_LAZY = {
    "ladder": ("views.ladder", "ladder"),
    "timeline": ("views.timeline", "timeline"),
    "state_diagram": ("views.statediagram", "state_diagram"),
    "knowledge": ("views.knowledge", "knowledge"),
    "load_capture": ("real.capture", "load"),
    "explore": ("widgets.scenario_panel", "explore"),
    "compare": ("widgets.scenario_panel", "compare"),
    "setup": ("widgets.colab", "setup"),
    "show_text": ("widgets.show", "show_text"),
    "solution": ("course.reveal", "solution"),
}


def __getattr__(name: str) -> Any:
    """Load a figure, panel or capture entry point on first use (PEP 562)."""
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attribute)
    raise AttributeError(f"module 'tcpnb' has no attribute {name!r}")
