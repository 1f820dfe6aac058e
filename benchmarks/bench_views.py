"""How fast the panels answer, and how heavy a notebook of control panels is.

    python benchmarks/bench_views.py            # panel latencies, figures, Monte Carlo (~1-2 min)
    python benchmarks/bench_views.py --quick    # fewer repeats, no 1,000-run refinement
    python benchmarks/bench_views.py --payload  # also execute a 3-panel notebook (~30 s)
    python benchmarks/bench_views.py --kernel   # also time the panels inside a real ipykernel
    python benchmarks/bench_views.py --render   # also time Chromium drawing each panel's figure

Prints numbers; asserts nothing (the targets are in the printout).  Everything
runs in this process, without a browser: a "slider move" is ``panel.update()``
(what the page's slider does, minus the message's trip) or, on an asyncio event
loop like a kernel's, setting the slider widget's value as an incoming message
would.  On a shared machine the numbers move with the load: the load average is
printed first.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tcpnb import scenarios, widgets  # noqa: E402
from tcpnb.course import multirun, timewait  # noqa: E402
from tcpnb.views.knowledge import knowledge  # noqa: E402
from tcpnb.views.ladder import ladder  # noqa: E402
from tcpnb.views.statediagram import state_diagram  # noqa: E402
from tcpnb.widgets import experiment_panel  # noqa: E402


def median_ms(action: Callable[[], object], repeat: int) -> float:
    return timed(action, repeat)[0]


def timed(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds of ``action``.

    This process has one thread, so its CPU time is what the wall clock would
    show on an idle core; on a shared machine the two differ by the waiting.
    """
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


# ------------------------------------------------------------ single-run panels
#: The course's single-run panels, as the notebooks make them, and the slider each moves.
PANELS: dict[str, tuple[Callable[[], Any], str, Callable[[int], Any]]] = {
    "00 explore + knowledge": (lambda: widgets.explore("three_way_handshake", data=0, loss=0.3,
                                                       seed=1, below=knowledge),
                               "loss", lambda k: 0.05 * (k % 10)),
    "01 explore": (lambda: widgets.explore("three_way_handshake", data=0, delay=0.3),
                   "delay", lambda k: 0.05 + 0.01 * (k % 40)),
    "02 window": (lambda: widgets.window_panel(gap=1.0, sent_before=1),
                  "gap", lambda k: 0.05 * (k % 100)),
    "03 close": (lambda: widgets.close_panel(first="A", lose="first FIN", delay=0.1),
                 "delay", lambda k: 0.05 + 0.01 * (k % 40)),
    "03 compare": (lambda: widgets.compare("shutdown_then_reply", "close_then_reply"),
                   "delay", lambda k: 0.05 + 0.01 * (k % 40)),
    "04 compare": (lambda: widgets.compare("final_ack_lost", ("final_ack_lost",
                                                              {"time_wait": 0.5})),
                   "delay", lambda k: 0.05 + 0.01 * (k % 40)),
    "04 compare reuse": (lambda: widgets.compare("time_wait_reuse", ("time_wait_reuse",
                                                                    {"time_wait": 240.0})),
                         "delay", lambda k: 0.1 + 0.01 * (k % 40)),
}


def single_run_panels(repeat: int, heading: bool = True) -> None:
    if heading:
        print(f"slider -> figure in the Output, in-process (panel.update, median of {repeat}; "
              "target <= 100 ms; a move from the page waits 5 ms more for further moves):")
    for name, (make, control, value) in PANELS.items():
        panel = make()
        it = iter(range(1, 10**6))
        wall, cpu = timed(lambda: panel.update(**{control: value(next(it))}), repeat)
        print(f"  {name:<24} {wall:6.1f} ms wall clock, {cpu:6.1f} ms CPU")


def where_the_time_goes(repeat: int) -> None:
    """Split a redraw of the close panel (03) into its parts, with the profiler."""
    panel = widgets.close_panel()
    profile = cProfile.Profile()
    profile.enable()
    for k in range(repeat):
        panel.update(delay=0.05 + 0.01 * (k % 40))
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    cumulative: dict[tuple[str, str], float] = {}
    for (file, _, func), (_, _, _, cum, _) in stats.items():
        key = (Path(file).name, func)
        cumulative[key] = max(cumulative.get(key, 0.0), cum)
    parts = [("the whole redraw (panel.update)", "panel.py", "update"),
             ("run the close (scenarios.close)", "scenarios.py", "close"),
             ("build the ladder figure (views)", "ladder.py", "ladder"),
             ("  of which placing its words (labels)", "ladderlabels.py", "layout"),
             ("  of which go.Figure() (make_figure)", "plotlyfigure.py", "make_figure"),
             ("  of which plotly's validation", "basevalidators.py", "validate_coerce"),
             ("figure -> JSON for the Output", "basedatatypes.py", "to_plotly_json")]
    print(f"where a redraw of 03's close panel goes (profiled, {repeat} redraws; the profiler "
          "slows everything about 2x):")
    for label, file, func in parts:
        print(f"  {label:<44} {1000 * cumulative.get((file, func), 0.0) / repeat:6.1f} ms")


def held_arrow_key(seconds: float = 1.5, rate: float = 30.0) -> None:
    """A held arrow key: a move every 1/rate s; how many redraws, and how late the last one."""
    print(f"held arrow key on 03's delay slider ({rate:.0f} moves/s for {seconds} s, on an "
          "asyncio loop like a kernel's):")
    for coalesced in (True, False):
        async def main() -> tuple[int, float]:
            panel = widgets.close_panel()
            draws: list[float] = []
            draw = panel.draw

            def counted(**values: Any) -> Any:
                figure = draw(**values)
                draws.append(time.perf_counter())
                return figure

            panel.draw = counted
            slider = panel.controls["delay"]
            loop = asyncio.get_running_loop()
            start = time.perf_counter()
            moves = int(seconds * rate)

            def press(k: int) -> None:
                if coalesced:
                    slider.value = round(0.1 + 0.01 * (k + 1), 2)
                else:  # what a panel without coalescing does: draw on every move
                    panel.update(delay=round(0.1 + 0.01 * (k + 1), 2))

            for k in range(moves):
                loop.call_at(loop.time() + k / rate, press, k)
            await asyncio.sleep(moves / rate)
            while panel.values["delay"] != round(0.1 + 0.01 * moves, 2) or panel._soon.pending:
                await asyncio.sleep(0.005)
            last_move = start + (moves - 1) / rate
            return len(draws), (max(draws) - last_move) * 1000

        count, late = asyncio.run(main())
        print(f"  {'coalesced' if coalesced else 'one redraw per move':<20} "
              f"{count:3d} redraws for {int(seconds * rate)} moves; the last move drawn "
              f"{late:6.0f} ms after it was made")


def in_a_kernel(repeat: int) -> None:
    """:func:`single_run_panels` inside a real ipykernel, where each redraw's widget messages
    are serialized and sent (to no front end)."""
    from jupyter_client.manager import start_new_kernel

    print("the same, inside a real ipykernel (messages serialized and sent):")
    root = Path(__file__).resolve().parent.parent
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(root))
    try:
        msg_id = client.execute(f"import sys; sys.path.insert(0, {str(root / 'benchmarks')!r})\n"
                                f"import bench_views; bench_views.single_run_panels({repeat}, "
                                "heading=False)")
        while True:
            msg = client.get_iopub_msg(timeout=600)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                print(msg["content"]["text"], end="")
            elif msg["msg_type"] == "error":
                print("\n".join(msg["content"]["traceback"]))
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


# ------------------------------------------------------------ drawing in the browser
RENDER_JS = """async ([first, second]) => {
    const host = document.getElementById('host'), fresh = [], react = [];
    const settle = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
    for (let k = 0; k < 8; k++) {  // what the Output does on every redraw: a new plot
        const f = k % 2 ? second : first;
        host.innerHTML = ''; const div = document.createElement('div'); host.appendChild(div);
        const start = performance.now();
        await Plotly.newPlot(div, f.data, f.layout, {displaylogo: false}); await settle();
        fresh.push(performance.now() - start);
    }
    for (let k = 0; k < 8; k++) {  // an in-place update of the same plot, for comparison
        const f = JSON.parse(JSON.stringify(k % 2 ? first : second));
        const start = performance.now();
        await Plotly.react(host.firstChild, f.data, f.layout, {displaylogo: false}); await settle();
        react.push(performance.now() - start);
    }
    const median = xs => xs.sort((a, b) => a - b)[xs.length >> 1];
    return [median(fresh), median(react)];
}"""


def browser_drawing() -> None:
    """How long Chromium takes to draw each panel's figure (plotly.js, no kernel, no messages)."""
    import plotly
    from playwright.sync_api import sync_playwright

    from tcpnb.widgets.panel import mimebundle

    script = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()
    print("Chromium drawing each panel's figure, two slider settings in turn (median of 8; "
          "the page's part of a slider move):")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.set_content("<div id='host' style='width:1000px'></div>")
        page.add_script_tag(content=script)
        for name, (make, control, value) in PANELS.items():
            panel = make()
            specs = []
            for k in (1, 2):
                panel.update(**{control: value(k)})
                spec = mimebundle(panel.figure, colab=False)["application/vnd.plotly.v1+json"]
                specs.append(json.loads(json.dumps(spec)))
            fresh, react = page.evaluate(RENDER_JS, specs)
            notes = len(specs[0]["layout"].get("annotations", ()))
            print(f"  {name:<24} Plotly.newPlot {fresh:5.0f} ms, Plotly.react {react:5.0f} ms "
                  f"({notes} annotations, {len(specs[0]['data'])} traces)")
        browser.close()


# ------------------------------------------------------------ the TIME-WAIT panel
def time_wait_panel(full: bool) -> None:
    """First estimate after a move, then the refinement to 1,000 runs per point on an event loop."""
    panel = widgets.time_wait_panel(runs=1000)
    firsts = []
    for msl in (8.0, 9.0, 11.0, 12.0, 10.0, 7.0, 13.0, 10.0):
        start, start_cpu = time.perf_counter(), time.process_time()
        panel.update(msl=msl)
        firsts.append(((time.perf_counter() - start) * 1000,
                       (time.process_time() - start_cpu) * 1000, panel.results.runs))
    wall, cpu = (statistics.median(f[k] for f in firsts) for k in (0, 1))
    print(f"TIME-WAIT panel (04), {len(panel.results)} TIME-WAIT lengths: a move -> first "
          f"estimate drawn: median {wall:.0f} ms wall clock, {cpu:.0f} ms CPU (target <= 200 ms),"
          f" {min(f[2] for f in firsts)}-{max(f[2] for f in firsts)} runs per point")
    if not full:
        return

    async def main() -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        panel = widgets.time_wait_panel(runs=1000)
        lags: list[float] = []
        marks: dict[int, float] = {}
        start = time.perf_counter()

        def probe() -> None:  # stands for a slider message: how long it waits for the loop
            due = loop.time()
            loop.call_soon(lambda: lags.append((loop.time() - due) * 1000))
            if not panel._slices.done:
                loop.call_later(0.1, probe)

        loop.call_later(0.1, probe)
        start_cpu = time.process_time()
        while not panel._slices.done:
            for n in (100, 300, 1000):
                if n not in marks and panel._results.runs >= n:
                    marks[n] = time.perf_counter() - start
            await asyncio.sleep(0.01)
        marks[panel._results.runs] = time.perf_counter() - start
        return {"marks": marks, "lags": lags, "results": panel._results,
                "cpu": time.process_time() - start_cpu}

    out = asyncio.run(main())
    runs = out["results"].runs * len(out["results"])
    lags = sorted(out["lags"])
    marks = ", ".join(f"{n} runs per point at {s:.1f} s" for n, s in sorted(out["marks"].items()))
    print(f"  refining on the event loop (slices of {experiment_panel.SLICE * 1000:.0f} ms, "
          f"redraw every {experiment_panel.REDRAW} s): {marks} wall clock; "
          f"{out['cpu']:.1f} s CPU in all")
    print(f"  a message waits for the loop: median {statistics.median(lags):.0f} ms, "
          f"max {lags[-1]:.0f} ms ({len(lags)} probes)")
    start, start_cpu = time.perf_counter(), time.process_time()
    sweep = timewait.sweep(runs=1000, msl=10.0, rfc1337=True)
    plain, plain_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    same = sweep.points == out["results"].points
    print(f"  the same {runs} runs as one plain sweep: {plain:.1f} s wall clock, {plain_cpu:.1f} s "
          f"CPU ({runs / plain_cpu:.0f} runs per CPU second); panel result == sweep: {same}")


def figures(repeat: int) -> None:
    ladder(scenarios.normal_close())  # warm up plotly's validators
    trace = scenarios.lifecycle(request=26_000, reply=26_000)
    n = len(trace.transmissions)
    print(f"ladder figure for a {n}-segment trace (median of {repeat}, target < 150 ms): "
          f"{median_ms(lambda: ladder(trace), repeat):6.1f} ms; with all {n} labels placed: "
          f"{median_ms(lambda: ladder(trace, labels=True), repeat):6.1f} ms")
    print(f"state diagram with paths: {median_ms(lambda: state_diagram(trace), repeat):6.1f} ms")
    results = timewait.sweep(runs=30)
    print(f"TIME-WAIT figure (11 points): {median_ms(lambda: timewait.figure(results), repeat):.1f}"
          " ms to build")


def monte_carlo() -> None:
    results = multirun.run_many("lifecycle", runs=1000, grid={"loss": [0.05]})
    print(f"Monte Carlo: 1000 runs of lifecycle at loss 0.05: {results.seconds:.2f} s")
    results = multirun.run_many("syn_lost", runs=200, grid={"loss": [0, .1, .2, .3, .4]}, times=0)
    print(f"Monte Carlo: 5 x 200 runs of syn_lost: {results.seconds:.2f} s")
    start = time.perf_counter()
    timewait.failure_rates(0.0, runs=1000)
    print(f"Monte Carlo: 1000 runs of the TIME-WAIT experiment at one length: "
          f"{time.perf_counter() - start:.2f} s")


NOTEBOOK_CELLS = [
    "from tcpnb import widgets",
    "widgets.explore('three_way_handshake')",
    "widgets.explore('syn_lost')",
    "widgets.explore('normal_close')",
]


def payload() -> tuple[float, float]:
    """Execute a notebook with three panels; return (notebook MB, widget-state MB)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in NOTEBOOK_CELLS]
    NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True).execute()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "panels.ipynb"
        nbformat.write(nb, path)
        size = path.stat().st_size
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    return size / 1e6, len(json.dumps(state)) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no refinement run")
    parser.add_argument("--payload", action="store_true", help="also measure notebook payload")
    parser.add_argument("--kernel", action="store_true",
                        help="also time the single-run panels inside a real ipykernel")
    parser.add_argument("--render", action="store_true",
                        help="also time Chromium drawing each panel's figure (Playwright)")
    args = parser.parse_args()
    repeat = 10 if args.quick else 40
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    figures(min(repeat, 10))
    single_run_panels(repeat)
    where_the_time_goes(repeat)
    held_arrow_key()
    time_wait_panel(full=not args.quick)
    monte_carlo()
    if args.kernel:
        in_a_kernel(repeat)
    if args.render:
        browser_drawing()
    if args.payload:
        notebook, state = payload()
        print(f"a notebook with three panels, executed with widget state stored: "
              f"notebook {notebook:5.2f} MB, widget state {state:5.2f} MB")


if __name__ == "__main__":
    main()
