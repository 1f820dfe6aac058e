"""The named scenarios: register each under its name, find it, run it with checked keywords.

A scenario is a function that builds and runs a fresh simulation and returns
its :class:`~tcpnb.sim.trace.Trace`.  Every scenario takes the network's
keywords (``delay``, ``loss``, ``seed``, ``profile``, ...) and any profile
setting, plus a few keyword-only arguments of its own; a keyword it does not
know is a :class:`UsageError` that lists the ones it does, and suggests the
nearest.  The scenarios themselves are in :mod:`tcpnb.sim.scenarios`.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from dataclasses import fields
from typing import Any, Callable

from ..core.errors import UsageError
from ..core.profiles import Profile
from .simulation import Simulation
from .trace import Trace

Scenario = Callable[..., Trace]
SCENARIOS: dict[str, Scenario] = {}

#: Keywords every scenario passes on to :class:`Simulation`, then any profile setting.
NETWORK = tuple(name for name in inspect.signature(Simulation).parameters if name != "overrides")
SETTINGS = tuple(f.name for f in fields(Profile) if f.name != "name")


def scenario(func: Scenario) -> Scenario:
    """Register ``func`` under its own name; a keyword it does not know is a UsageError."""
    own = [name for name, p in inspect.signature(func).parameters.items()
           if p.kind is inspect.Parameter.KEYWORD_ONLY]

    @functools.wraps(func)
    def checked(**kwargs: Any) -> Trace:
        for key in kwargs:
            if key not in own and key not in NETWORK and key not in SETTINGS:
                raise UsageError(_unknown(func.__name__, key, own))
        return func(**kwargs)

    SCENARIOS[func.__name__] = checked
    return checked


def _unknown(name: str, key: str, own: list[str]) -> str:
    close = difflib.get_close_matches(key, own + list(NETWORK) + list(SETTINGS), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (f"{name}: unknown keyword {key!r}{hint}; its own keywords: "
            f"{', '.join(own) or 'none'}; the network's: {', '.join(NETWORK)}; "
            "or any profile setting (msl, time_wait, rto_initial, ...; see tcpnb.Profile)")


def get(name: str) -> Scenario:
    """The scenario called ``name``; a UsageError lists the known names."""
    if not isinstance(name, str) or name not in SCENARIOS:
        raise UsageError(f"scenario: unknown scenario {name!r}; known: " + ", ".join(SCENARIOS))
    return SCENARIOS[name]


def run(name: str, **kwargs: Any) -> Trace:
    """Run the scenario called ``name`` with ``kwargs``."""
    return get(name)(**kwargs)


def describe() -> list[tuple[str, str]]:
    """``(name, first line of its docstring)`` for every scenario, in course order."""
    return [(name, (func.__doc__ or "").strip().splitlines()[0]) for name, func in SCENARIOS.items()]
