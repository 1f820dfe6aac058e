"""How fast is the simulator?  Prints numbers; enforces nothing.

    python benchmarks/bench_sim.py [--runs 10000]

1. Full lifecycles per second: open, a 1 KB request, a 1 KB reply, close,
   with 10% loss and jitter, each with its own seed.
2. A bare heapq event loop doing the same number of events, for scale.
3. ``import tcpnb`` time, and whether plotly got imported.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import subprocess
import sys
import time

from tcpnb import Simulation, State, on_received, on_state


def lifecycle(seed: int) -> Simulation:
    sim = Simulation(delay=0.05, jitter=0.02, loss=0.1, seed=seed)
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=300)
    b.listen()
    a.connect("B")
    a.send(1000)
    b.send(1000, at=on_received(1000))
    a.close(at=on_received(1000))
    b.close(at=on_state(State.CLOSE_WAIT))
    sim.run()
    return sim


def bare_loop(events: int) -> float:
    """Seconds for a heapq loop that schedules and pops ``events`` no-op events."""
    queue: list[tuple[float, int, object, object]] = []
    counter = itertools.count()

    def action(arg: object) -> None:
        pass

    start = time.perf_counter()
    for i in range(events):
        heapq.heappush(queue, (i * 0.001, next(counter), action, None))
    while queue:
        _, _, fn, arg = heapq.heappop(queue)
        fn(arg)  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10_000)
    runs = parser.parse_args().runs
    start = time.perf_counter()
    events = completed = 0
    for seed in range(runs):
        sim = lifecycle(seed)
        events += sim.events_processed
        completed += sim["B"].received_bytes == 1000 and sim["A"].received_bytes == 1000
    elapsed = time.perf_counter() - start
    bare = bare_loop(events)
    print(f"lifecycles: {runs} in {elapsed:.2f} s = {runs / elapsed:,.0f}/s "
          f"({completed} delivered both messages)")
    print(f"events: {events:,} = {events / runs:.1f} per lifecycle; "
          f"{elapsed / events * 1e6:.2f} us per event")
    print(f"bare heapq loop, same {events:,} events: {bare:.3f} s = "
          f"{bare / events * 1e6:.2f} us per event; simulator / bare = {elapsed / bare:.1f}x")
    code = "import time, sys; t=time.perf_counter(); import tcpnb; " \
           "print(f'{(time.perf_counter()-t)*1000:.1f}', 'plotly' in sys.modules)"
    ms, plotly = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split()
    print(f"import tcpnb: {ms} ms (plotly imported: {plotly})")


if __name__ == "__main__":
    main()
