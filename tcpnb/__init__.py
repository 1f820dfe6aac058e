"""tcpnb: see how TCP opens and closes a connection, exactly as RFC 9293 says.

The pieces, in the order they build on each other:

* :mod:`tcpnb.segment` -- segments and sequence-number arithmetic;
* :mod:`tcpnb.states` -- the eleven states and the transition table;
* :mod:`tcpnb.endpoint` -- one endpoint as a sans-I/O state machine;
* :mod:`tcpnb.sim` and :mod:`tcpnb.network` -- a deterministic simulator;
* :mod:`tcpnb.trace` -- the record of a run that every view reads;
* :mod:`tcpnb.scenarios` -- the ready-made runs the course uses.

Nothing here imports plotly or ipywidgets; the view modules do, lazily.
"""

from . import profiles
from .app import on_received, on_state
from .endpoint import Endpoint, Handshake
from .errors import BudgetExceeded, UsageError
from .isn import ClockISN, FixedISN, IncrementingISN, RandomISN
from .segment import Flags, Segment
from .sim import Simulation
from .states import State
from .trace import Fate, Origin, Trace, Transmission

__all__ = [
    "BudgetExceeded", "ClockISN", "Endpoint", "Fate", "FixedISN", "Flags", "Handshake",
    "IncrementingISN", "Origin", "RandomISN", "Segment", "Simulation", "State", "Trace",
    "Transmission", "UsageError", "on_received", "on_state", "profiles",
]
__version__ = "0.1.0"

# The view modules need plotly or ipywidgets; load them only when asked for.
_VIEWS = {"palette", "ladder", "statediagram", "timeline", "knowledge", "multirun", "widgets",
          "capture"}


def __getattr__(name: str) -> object:
    if name in _VIEWS:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'tcpnb' has no attribute {name!r}")
