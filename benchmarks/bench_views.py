"""How fast the views are, and how heavy a notebook of control panels is.

    python benchmarks/bench_views.py            # timings (a few seconds)
    python benchmarks/bench_views.py --payload  # also execute two 3-panel notebooks (~30 s)

Prints numbers; asserts nothing (the targets are in the printout).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tcpnb import scenarios, widgets
from tcpnb.course import multirun  # noqa: E402
from tcpnb.views.ladder import ladder  # noqa: E402
from tcpnb.views.statediagram import state_diagram  # noqa: E402


def median_ms(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def control_change(name: str, repeat: int = 60) -> float:
    """Median ms from ``panel.update(delay=...)`` to the Output holding the new figure."""
    panel = widgets.explore(name)
    delays = [0.05 + 0.01 * (k % 40) for k in range(repeat)]
    it = iter(delays)
    return median_ms(lambda: panel.update(delay=next(it)), repeat)


def big_trace():
    """A lifecycle run with about 200 segments."""
    return scenarios.lifecycle(request=26_000, reply=26_000)


def timings() -> None:
    ladder(scenarios.normal_close())  # warm up plotly's validators
    print("control change -> updated figure data (median of 60, target < 30 ms):")
    for name in ("lifecycle", "normal_close", "three_way_handshake"):
        print(f"  {name:<22} {control_change(name):6.1f} ms")
    trace = big_trace()
    n = len(trace.transmissions)
    print(f"ladder figure for a {n}-segment trace (median of 10, target < 150 ms): "
          f"{median_ms(lambda: ladder(trace), 10):6.1f} ms; with all {n} labels placed: "
          f"{median_ms(lambda: ladder(trace, labels=True), 10):6.1f} ms")
    print(f"state diagram with paths: {median_ms(lambda: state_diagram(trace), 10):6.1f} ms")
    results = multirun.run_many("lifecycle", runs=1000, grid={"loss": [0.05]})
    print(f"Monte Carlo: 1000 runs of lifecycle at loss 0.05: {results.seconds:.2f} s")
    results = multirun.run_many("syn_lost", runs=200, grid={"loss": [0, .1, .2, .3, .4]}, times=0)
    print(f"Monte Carlo: 5 x 200 runs of syn_lost: {results.seconds:.2f} s")


NOTEBOOK_CELLS = [
    "from tcpnb import widgets",
    "widgets.explore('three_way_handshake', backend={backend!r})",
    "widgets.explore('syn_lost', backend={backend!r})",
    "widgets.explore('normal_close', backend={backend!r})",
]


def payload(backend: str) -> tuple[float, float]:
    """Execute a notebook with three panels; return (notebook MB, widget-state MB)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c.format(backend=backend)) for c in NOTEBOOK_CELLS]
    NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True).execute()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "panels.ipynb"
        nbformat.write(nb, path)
        size = path.stat().st_size
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    return size / 1e6, len(json.dumps(state)) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payload", action="store_true", help="also measure notebook payload")
    args = parser.parse_args()
    timings()
    if args.payload:
        print("a notebook with three panels, executed with widget state stored:")
        for backend in ("output", "figurewidget"):
            notebook, state = payload(backend)
            print(f"  backend={backend:<13} notebook {notebook:5.2f} MB, widget state {state:5.2f} MB")


if __name__ == "__main__":
    main()
