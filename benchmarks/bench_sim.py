"""How fast is the simulator, and how fast do the panels answer?  Prints numbers; enforces nothing.

    python benchmarks/bench_sim.py            # 10,000 seeds, a 1,000,000-event run (a few minutes)
    python benchmarks/bench_sim.py --quick    # 1,000 seeds, a 100,000-event run
    (the SimPy comparison needs: pip install -e ".[bench]")

The workload (issue 14): open, 1 KB each way, close, TIME-WAIT; 50 ms delay,
20 ms jitter, 10 % loss, retransmissions on RTO; one seed per lifecycle.

1. Lifecycles per second: tcpnb with the full trace, tcpnb recording only the
   outcome (``record="outcome"``), the SimPy model of the same lifecycle
   (``simpy_model.py``), and a bare heapq loop that pops as many no-op events.
   The contenders run in interleaved chunks and are timed in CPU seconds, so a
   busy machine slows them alike; the load average is printed.
1b. The TIME-WAIT experiment of notebook 04: CPU per run and tally, recorded as
   the experiment does (``record="changes"``) and with a full trace.
2. Memory: one simulation of many lifecycles side by side, about 1,000,000
   events, with the full trace and with the outcome only (growth of the
   resident set; the trace's share is the difference).
3. ``run(until=)`` stepping, a trace taken after every event time, against one run.
4. Single-run panels: a slider move -> the new figure, in-process
   (``panel.update(...)``, which re-runs and redraws), for every panel kind the
   notebooks show.
5. The TIME-WAIT experiment panel (notebook 04): time to the first estimate after
   a move, and the runs per point reached 3 s after it, on a real event loop.
6. ``import tcpnb`` time, and whether plotly got imported.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import heapq
import inspect
import itertools
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tcpnb import Simulation, State, on_received, on_state

sys.path.insert(0, str(Path(__file__).parent))
from workload import workload as lifecycle_workload  # noqa: E402
#: Does this tcpnb have recording levels (issue 14)?  The script also times the code before.
LEVELS = "record" in inspect.signature(Simulation).parameters


def workload(seed: int, record: str = "full") -> Simulation:
    """The workload, set up and not yet run (``record``: "full" or "outcome")."""
    level = {} if record == "full" else {"record": record}  # main before issue 14 has no record=
    return lifecycle_workload(seed, **level)


def lifecycle(seed: int, record: str = "full") -> Simulation:
    """The workload, run once."""
    sim = workload(seed, record)
    sim.run()
    return sim


def bare_loop(events: int) -> float:
    """CPU seconds for a heapq loop that schedules and pops ``events`` no-op events."""
    queue: list[tuple[float, int, object, object]] = []
    counter = itertools.count()

    def action(arg: object) -> None:
        pass

    start = time.process_time()
    for i in range(events):
        heapq.heappush(queue, (i * 0.001, next(counter), action, None))
    while queue:
        _, _, fn, arg = heapq.heappop(queue)
        fn(arg)  # type: ignore[operator]
    return time.process_time() - start


# ------------------------------------------------------------------ 1. speed
def speed(runs: int) -> None:
    try:
        import simpy_model
    except ImportError:
        simpy_model = None
        print("(SimPy is not installed: pip install -e '.[bench]' to compare)")
    contenders: dict[str, Callable[[int], Any]] = {"tcpnb, full trace": lifecycle}
    if LEVELS:
        contenders["tcpnb, outcome only"] = lambda seed: lifecycle(seed, "outcome")
    if simpy_model is not None:
        contenders["SimPy model"] = simpy_model.lifecycle
    seconds = dict.fromkeys(contenders, 0.0)
    chunk = max(1, runs // 10)
    events = both = 0
    for first in range(0, runs, chunk):  # interleaved: load hits every contender alike
        seeds = range(first, min(runs, first + chunk))
        for name, run in contenders.items():
            start = time.process_time()
            done = [run(seed) for seed in seeds]
            seconds[name] += time.process_time() - start
            if name == "tcpnb, full trace":
                events += sum(sim.events_processed for sim in done)
                both += sum(sim["A"].received_bytes == sim["B"].received_bytes == 1000
                            for sim in done)
    bare = bare_loop(events)
    print(f"1. the lifecycle workload, {runs:,} seeds ({both:,} delivered both messages), "
          f"{events:,} tcpnb events = {events / runs:.1f} per lifecycle; "
          f"CPU time; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    simpy_rate = runs / seconds["SimPy model"] if "SimPy model" in seconds else None
    for name, spent in seconds.items():
        vs = f"  = {runs / spent / simpy_rate:.2f} x SimPy" if simpy_rate else ""
        print(f"   {name:22} {runs / spent:8,.0f} lifecycles/s  "
              f"{spent / events * 1e6:6.2f} us per tcpnb event{vs}")
    print(f"   {'bare heapq loop':22} {runs / bare:8,.0f} lifecycles/s  "
          f"{bare / events * 1e6:6.2f} us per event "
          f"(full-trace tcpnb / bare = {seconds['tcpnb, full trace'] / bare:.0f} x)")


def time_wait_runs(runs: int) -> None:
    """CPU per run of the TIME-WAIT experiment (04's panel defaults), as it runs and tallies them."""
    from tcpnb.course import timewait

    experiment = timewait.experiment(msl=10.0, delay=0.1, jitter=0.0, loss=0.05, duplicate=0.1,
                                     rfc1337=True, isn="fixed")
    points = experiment.settings()

    def as_the_experiment(seed: int) -> None:
        for settings in points:
            experiment.observe(experiment.run(**experiment.fixed, **settings, seed=seed))

    def full_trace(seed: int) -> None:
        for settings in points:
            timewait.failures(timewait.reconnect(**experiment.fixed, **settings, seed=seed))

    ways = {"as the experiment records": as_the_experiment, "with a full trace": full_trace}
    seconds = dict.fromkeys(ways, 0.0)
    chunk = max(1, runs // 10)
    for first in range(0, runs, chunk):
        for name, way in ways.items():
            start = time.process_time()
            for seed in range(first, min(runs, first + chunk)):
                way(seed)
            seconds[name] += time.process_time() - start
    print(f"1b. the TIME-WAIT experiment (04's panel defaults, {len(points)} TIME-WAIT lengths), "
          f"one run and its tally, {runs:,} seeds per length:")
    for name, spent in seconds.items():
        per_run = spent / (runs * len(points))
        print(f"   {name:26} {1 / per_run:6,.0f} runs/s  {per_run * 1e3:.2f} ms per run  "
              f"(1,000 runs at every length: {1000 * len(points) * per_run:.1f} s of CPU)")


# ----------------------------------------------------------------- 2. memory
def resident() -> int:
    """Bytes in the resident set now (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def crowd(pairs: int, record: str) -> tuple[Simulation, Any, int]:
    """``pairs`` copies of the workload in one simulation, started 10 ms apart."""
    gc.collect()
    before = resident()
    level = {} if record == "full" else {"record": record}
    sim = Simulation(delay=0.05, jitter=0.02, loss=0.1, seed=1, max_events=10**8, **level)
    for i in range(pairs):
        a, b = sim.endpoint(f"A{i}", isn=100), sim.endpoint(f"B{i}", isn=300)
        b.listen()
        a.connect(f"B{i}", at=i * 0.01)
        a.send(1000, at=on_state(State.ESTABLISHED))
        b.send(1000, at=on_received(1000))
        a.close(at=on_received(1000))
        b.close(at=on_state(State.CLOSE_WAIT))
    trace = sim.run()
    gc.collect()
    return sim, trace, resident() - before


def memory(events: int) -> None:
    pairs = min(30_000, max(1, events // 32))
    # The outcome-only run first: memory a run frees stays with the process and would
    # hide the next run's growth.
    kept = lean = 0
    if LEVELS:
        _, lean_trace, lean = crowd(pairs, "outcome")
        kept = len(lean_trace.state_changes)
        del lean_trace
    start = time.process_time()
    sim, trace, full = crowd(pairs, "full")
    seconds = time.process_time() - start
    n = sim.events_processed
    records = (len(trace.transmissions) + len(trace.state_changes) + len(trace.timers)
               + len(trace.deliveries) + len(trace.app_calls) + len(trace.notices))
    payload = {id(b): len(b) for b in itertools.chain(
        (t.segment.data for t in trace.transmissions), (d.data for d in trace.deliveries),
        (c.data for c in trace.app_calls))}
    del sim, trace
    print(f"2. memory: {pairs:,} lifecycles side by side in one simulation, {n:,} events, "
          f"{records:,} records ({seconds:.0f} s CPU)")
    print(f"   full trace:    resident set grew {full / 2**20:6.0f} MB = {full / n:5.0f} bytes "
          f"per event (of which payload bytes {sum(payload.values()) / n:.0f})")
    if not LEVELS:
        print("   outcome only:  not available (this tcpnb has no recording levels)")
        return
    print(f"   outcome only:  resident set grew {lean / 2**20:6.0f} MB = {lean / n:5.0f} bytes "
          f"per event: the {2 * pairs:,} endpoints and sockets; the trace keeps {kept:,} "
          "records (one per endpoint)")
    print(f"   the full trace's share: {(full - lean) / n:.0f} bytes per event")


# --------------------------------------------------------------- 3. stepping
def stepping(runs: int) -> None:
    start = time.process_time()
    for seed in range(runs):
        lifecycle(seed)
    once = time.process_time() - start
    start = time.process_time()
    steps = 0
    for seed in range(runs):
        sim = workload(seed)
        while sim.peek() != float("inf"):
            sim.run(until=sim.peek())  # a trace after every event time
            steps += 1
    stepped = time.process_time() - start
    start = time.process_time()
    for seed in range(runs):
        sim = workload(seed)
        while sim.peek() != float("inf"):
            sim.step()  # one event at a time, the trace taken once at the end
        sim.trace()
    single = time.process_time() - start
    print(f"3. run(until=) after every event time ({steps / runs:.0f} steps, a trace each): "
          f"{stepped / runs * 1e3:.2f} ms per lifecycle vs {once / runs * 1e3:.2f} ms "
          f"in one run = {stepped / once:.2f} x; step() event by event, one trace at the end: "
          f"{single / once:.2f} x (so each trace taken costs "
          f"{(stepped - single) / steps * 1e6:.0f} us)")


# ----------------------------------------------------------------- 4. panels
def _other(slider: Any, value: Any) -> Any:
    """A different value the slider (an ipywidgets slider) allows."""
    step = slider.step
    moved = value + step if value + step <= slider.max else value - step
    return int(moved) if isinstance(value, int) else round(moved, 6)


def panels() -> None:
    import ipywidgets

    from tcpnb import widgets

    made: dict[str, Callable[[], Any]] = {
        "00/01 explore three_way_handshake": lambda: widgets.explore(
            "three_way_handshake", data=0, delay=0.3),
        "01 explore three_way_handshake, loss": lambda: widgets.explore(
            "three_way_handshake", data=0, loss=0.3, seed=1),
        "03 close_panel": lambda: widgets.close_panel(first="A", lose="first FIN", delay=0.1),
        "03 compare shutdown/close_then_reply": lambda: widgets.compare(
            "shutdown_then_reply", "close_then_reply"),
        "04 compare final_ack_lost": lambda: widgets.compare(
            "final_ack_lost", ("final_ack_lost", {"time_wait": 0.5})),
        "04 compare time_wait_reuse": lambda: widgets.compare(
            "time_wait_reuse", ("time_wait_reuse", {"time_wait": 240.0})),
        "02 window_panel": lambda: widgets.window_panel(gap=1.0, sent_before=1),
    }
    print("4. single-run panels, slider move -> figure in-process (median of 7 moves, ms; "
          "CPU ms = what an idle core would take; target <= 100):")
    for title, make in made.items():
        panel = make()
        for name, control in panel.controls.items():
            if isinstance(control, (ipywidgets.FloatSlider, ipywidgets.IntSlider)):
                break
        else:
            continue
        value = panel.values[name]
        times, cpu = [], []
        for _ in range(7):
            value = _other(control, value)
            start, start_cpu = time.perf_counter(), time.process_time()
            panel.update(**{name: value})
            panel.flush()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        print(f"   {title:38} move {name!r:10} {statistics.median(times) * 1e3:6.0f} ms "
              f"(slowest {max(times) * 1e3:.0f}; CPU {statistics.median(cpu) * 1e3:.0f})")


async def _time_wait_panel() -> tuple[float, float, int, int, int]:
    from tcpnb import widgets

    panel = widgets.time_wait_panel(msl=10.0, runs=1000, delay=0.1, loss=0.05,
                                    duplicate=0.1, rfc1337=True)
    panel.stop()
    await asyncio.sleep(0.05)
    start = time.perf_counter()
    panel.update(msl=12.0)
    first = time.perf_counter() - start
    first_runs = panel._results.runs if panel._results else 0
    await asyncio.sleep(max(0.0, 3.0 - (time.perf_counter() - start)))
    runs = panel._results.runs if panel._results else 0
    points = len(panel._results) if panel._results else 0
    panel.stop()
    return first, time.perf_counter() - start, first_runs, runs, points


def experiment_panel() -> None:
    first, waited, first_runs, runs, points = asyncio.run(_time_wait_panel())
    print(f"5. TIME-WAIT experiment panel (04), on an event loop: first estimate "
          f"{first * 1e3:.0f} ms after the move ({first_runs} runs per point); "
          f"{runs} runs per point ({points} points) {waited:.1f} s after it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=None, help="seeds (default 10,000)")
    parser.add_argument("--events", type=int, default=None,
                        help="events of the memory run (default 1,000,000)")
    parser.add_argument("--quick", action="store_true", help="1,000 seeds, 100,000 events")
    args = parser.parse_args()
    runs = args.runs or (1000 if args.quick else 10_000)
    events = args.events or (100_000 if args.quick else 1_000_000)
    speed(runs)
    time_wait_runs(max(20, runs // 10))
    memory(events)
    stepping(max(50, runs // 20))
    panels()
    experiment_panel()
    code = "import time, sys; t=time.perf_counter(); import tcpnb; " \
           "print(f'{(time.perf_counter()-t)*1000:.1f}', 'plotly' in sys.modules)"
    ms, plotly = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split()
    print(f"6. import tcpnb: {ms} ms (plotly imported: {plotly})")


if __name__ == "__main__":
    main()
