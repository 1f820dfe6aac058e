"""How fast are the course's experiments?  Prints numbers; enforces nothing.

    python benchmarks/bench_course.py [--runs 1000]

1. The TIME-WAIT experiment: ``timewait.failure_rates`` (runs of a connection,
   A's close and A's reconnect) per second, as the TIME-WAIT panel reruns them.
2. The stale-request experiment: ``stale.compare`` (both handshakes) per second,
   as notebook 02's waste panel reruns it.
"""

from __future__ import annotations

import argparse
import time

from tcpnb.course import stale, timewait


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1000)
    runs = parser.parse_args().runs
    start = time.perf_counter()
    rates = timewait.failure_rates(0.0, runs=runs)
    elapsed = time.perf_counter() - start
    print(f"timewait.failure_rates: {runs} runs in {elapsed:.2f} s = {runs / elapsed:,.0f}/s "
          f"({rates})")
    start = time.perf_counter()
    results = stale.compare(runs=runs)
    elapsed = time.perf_counter() - start
    two, three = (results.at(handshake=h).total("unwanted") for h in stale.HANDSHAKES)
    print(f"stale.compare: 2 x {runs} runs in {elapsed:.2f} s = {2 * runs / elapsed:,.0f}/s "
          f"({two:.0f} and {three:.0f} unwanted)")


if __name__ == "__main__":
    main()
