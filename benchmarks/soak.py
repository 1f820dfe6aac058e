"""Soak test: tens of thousands of random runs; every one must end, none stuck, every byte honest.

    nice python benchmarks/soak.py [--runs 50000] [--workers 2] [--first-seed 0]

Each run is ``tcpnb.sim.soak.random_run(seed)``: either profile, delay 0-5 s,
loss 0-0.95, duplicates and jitter, and random application calls (send,
shutdown, close, abort, crash, reconnect, listen again, a socket server) with
segments dropped, held, copied and injected.  For each run it checks
(``tcpnb.sim.soak.problems``):

* the run terminates (within its budget of events);
* no endpoint ends where it still has something to do but no timer;
* no FIN-WAIT-1, CLOSING or LAST-ACK with everything acknowledged;
* the bytes each connection received are exactly a prefix of what its peer's
  connection sent (all of it, once the FIN came);

and, for every 25th seed, that a second process with another hash seed gives
the same trace (same digest).  It prints the final states and the counts, and
exits with status 1 if anything was wrong.  Not a unit test: it takes minutes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from tcpnb import BudgetExceeded
from tcpnb.sim import soak

CHECK_EVERY = 25  # every how many seeds the trace is recomputed in another process


@dataclass
class Result:
    """What one run gave."""

    seed: int
    profile: str = ""
    events: int = 0
    problems: list[str] = field(default_factory=list)
    stale: int = 0
    finals: list[tuple[str, str]] = field(default_factory=list)  # (lane, final state)
    digest: str = ""


def one(seed: int) -> Result:
    """Run seed ``seed`` and check it."""
    sim = soak.random_run(seed)
    result = Result(seed, sim.profile.name)
    try:
        trace = sim.run()
    except BudgetExceeded as error:
        result.problems.append(f"did not terminate: {error}")
        return result
    except Exception as error:  # noqa: BLE001 - a soak reports every crash
        result.problems.append(f"crashed: {type(error).__name__}: {error}")
        return result
    result.events = sim.events_processed
    result.problems = soak.problems(sim, trace)
    result.stale = len(soak.stale_connections(trace))
    result.finals = [("B:n (accepted)" if ":" in ep.name else ep.name, str(ep.state))
                     for ep in sim.sockets]
    if seed % CHECK_EVERY == 0:
        result.digest = soak.digest(trace)
    return result


def digests(seeds: list[int]) -> dict[int, str]:
    """The digests of ``seeds``, computed here (in whatever process this is)."""
    return {seed: soak.digest(soak.random_run(seed).run()) for seed in seeds}


def _other_process(seeds: list[int]) -> dict[int, str]:
    """The same digests from a fresh interpreter with a different hash seed."""
    code = ("import json, sys; sys.path.insert(0, %r); import soak as s; "
            "print(json.dumps(s.digests(%r)))" % (os.path.dirname(os.path.abspath(__file__)), seeds))
    env = dict(os.environ, PYTHONHASHSEED="4242")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout
    import json
    return {int(k): v for k, v in json.loads(out).items()}


KINDS = ("did not terminate", "crashed", "stuck without a timer",
         "FIN-WAIT-1/CLOSING/LAST-ACK with everything acknowledged", "integrity violations")


def _kind(problem: str) -> str:
    if problem.startswith(("did not terminate", "crashed")):
        return problem.split(":")[0]
    if "everything acknowledged" in problem:
        return KINDS[3]
    if "prefix" in problem or "the FIN came" in problem:
        return KINDS[4]
    return KINDS[2]


def report(results: list[Result], mismatches: list[int], checked: int, seconds: float) -> str:
    """The final-state table and the counts."""
    lanes = ["A", "B", "B:n (accepted)"]
    table: Counter[tuple[str, str]] = Counter()
    for r in results:
        table.update(r.finals)
    states = sorted({state for _, state in table}, key=lambda s: -sum(table[(x, s)] for x in lanes))
    lines = [f"{'final state':<14}" + "".join(f"{lane:>16}" for lane in lanes)]
    lines += [f"{state:<14}" + "".join(f"{table[(lane, state)]:>16,}" for lane in lanes)
              for state in states]
    bad = [r for r in results if r.problems]
    kinds = Counter(_kind(p) for r in bad for p in r.problems)
    profiles = Counter(r.profile for r in results)
    events = sum(r.events for r in results)
    lines += [
        "",
        f"runs: {len(results):,} ({', '.join(f'{k} {v:,}' for k, v in sorted(profiles.items()))})"
        f" in {seconds:.0f} s; {events:,} events, {events / max(len(results), 1):.0f} per run",
        f"runs with a problem: {len(bad)}",
        *(f"  {kind}: {kinds[kind]}" for kind in KINDS),
        f"connections that received an earlier connection's bytes (allowed; RFC 9293 §3.4.2): "
        f"{sum(r.stale for r in results):,}",
        f"same seed, other process (PYTHONHASHSEED=4242): {checked - len(mismatches):,} of "
        f"{checked:,} traces identical",
    ]
    lines += [f"  seed {r.seed}: {p}" for r in bad[:20] for p in r.problems]
    lines += [f"  seed {s}: the other process's trace differs" for s in mismatches[:20]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0)
    args = parser.parse_args()
    seeds = list(range(args.first_seed, args.first_seed + args.runs))
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        results = list(pool.imap_unordered(one, seeds, chunksize=200))
    results.sort(key=lambda r: r.seed)
    sampled = {r.seed: r.digest for r in results if r.digest}
    other = _other_process(sorted(sampled))
    mismatches = [seed for seed, d in sampled.items() if other.get(seed) != d]
    print(report(results, mismatches, len(sampled), time.perf_counter() - start))
    return 1 if mismatches or any(r.problems for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
