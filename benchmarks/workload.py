"""The benchmark's lifecycle: open, 1 KB each way, close, TIME-WAIT (50 ms delay, 20 ms jitter, 10 % loss).

One definition for ``bench_sim.py``, which times it, and ``tests/test_speed_pins.py``, which pins
its traces so that a speed-up cannot change what a run does.
"""

from __future__ import annotations

from typing import Any

from tcpnb import Simulation, State, on_received, on_state


def workload(seed: int, **settings: Any) -> Simulation:
    """The lifecycle, set up and not yet run; ``settings`` go to :class:`~tcpnb.Simulation`."""
    sim = Simulation(delay=0.05, jitter=0.02, loss=0.1, seed=seed, **settings)
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=300)
    b.listen()
    a.connect("B")
    a.send(1000)
    b.send(1000, at=on_received(1000))
    a.close(at=on_received(1000))
    b.close(at=on_state(State.CLOSE_WAIT))
    return sim
