"""Control panels for notebooks: sliders that re-run a simulation and redraw in place.

* :mod:`~tcpnb.widgets.panel` -- the one base every panel is built on;
* :mod:`~tcpnb.widgets.background` -- coalesced redraws and work in slices on the kernel's event loop;
* :mod:`~tcpnb.widgets.scenario_panel` -- :func:`explore` and :func:`compare`, panels over any scenario;
* :mod:`~tcpnb.widgets.experiment_panel` -- Monte-Carlo panels that refine while you look;
* :mod:`~tcpnb.widgets.course_panels` -- the course's own panels;
* :mod:`~tcpnb.widgets.colab` -- the notebooks' set-up cell (Colab, JupyterLite, JupyterLab).

The names below load their module (and ipywidgets, plotly) on first use, so
``tcpnb.setup()`` stays light.
"""

from __future__ import annotations

from typing import Any

__all__ = ["close_panel", "compare", "explore", "mimebundle", "setup", "time_wait_panel",
           "waste_panel", "window_panel"]

#: name -> module that defines it.
_HOME = {
    "explore": "scenario_panel", "compare": "scenario_panel", "mimebundle": "panel",
    "close_panel": "course_panels", "time_wait_panel": "course_panels",
    "waste_panel": "course_panels", "window_panel": "course_panels",
    "setup": "colab",
}


def __getattr__(name: str) -> Any:
    """Load the module that defines ``name`` on first use (PEP 562)."""
    if name in _HOME:
        import importlib

        return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    raise AttributeError(f"module 'tcpnb.widgets' has no attribute {name!r}")
