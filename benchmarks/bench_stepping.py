"""Does stepping through a run cost about what one run costs?  Prints numbers; enforces nothing.

    python benchmarks/bench_stepping.py [--steps 400] [--mbytes 32]

One long run (A sends ``--mbytes`` MB to B over a 50 ms link: about 200,000
events for 32 MB), timed three ways: ``run()`` once; ``run(until=)`` in
``--steps`` equal pieces, taking the trace after each (as a slider or a
notebook stepping through time does); and ``step()`` event by event.
"""

from __future__ import annotations

import argparse
import time

from tcpnb import Simulation, State, on_state


def long_run(mbytes: int) -> Simulation:
    sim = Simulation(delay=0.05, max_events=10**7)
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=300)
    b.listen()
    a.connect("B")
    chunk = 2**24  # the most one send() takes
    for k in range(mbytes * 2**20 // chunk):
        a.send(chunk, at=on_state(State.ESTABLISHED, delay=0.001 * k))
    a.close(at=on_state(State.ESTABLISHED, delay=1.0))
    b.close(at=on_state(State.CLOSE_WAIT))
    return sim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--mbytes", type=int, default=32)
    args = parser.parse_args()
    sim = long_run(args.mbytes)
    start = time.process_time()
    end = sim.run().end_time
    once = time.process_time() - start
    print(f"one run(): {sim.events_processed:,} events, {once:.2f} s CPU")
    sim = long_run(args.mbytes)
    start = time.process_time()
    for k in range(1, args.steps + 1):
        trace = sim.run(until=end * k / args.steps)
    pieces = time.process_time() - start
    print(f"run(until=) in {args.steps} pieces, a trace after each: {pieces:.2f} s CPU "
          f"= {pieces / once:.2f} x one run ({len(trace.transmissions):,} transmissions)")
    sim = long_run(args.mbytes)
    if hasattr(sim, "step"):
        start = time.process_time()
        while sim.peek() < float("inf"):
            sim.step()
        stepped = time.process_time() - start
        print(f"step() event by event: {stepped:.2f} s CPU = {stepped / once:.2f} x one run")


if __name__ == "__main__":
    main()
