"""Speed work changes nothing: whole traces of a few runs are pinned by digest.

The digests below were computed before any speed work (main 647498f) from
every field of every record, read through the public attributes, so they do
not depend on how a record is stored (dataclass, slots, tuple).  A change to
the core that alters any transmission, state change, timer, delivery, notice
or application call of these runs -- loss, jitter, duplicates, faults, a
socket server, an injected old segment, TIME-WAIT reuse -- fails here.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from tcpnb import Simulation
from tcpnb.sim import scenarios
from tcpnb.sim.trace import Trace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from workload import workload  # noqa: E402  (the benchmark's lifecycle, pinned here)


def canonical(trace: Trace) -> str:
    """A digest of every recorded field, read attribute by attribute."""
    rows: list[tuple[Any, ...]] = [("endpoints", trace.endpoints, trace.end_time)]
    for t in trace.transmissions:
        s = t.segment
        rows.append(("tx", t.index, t.sent_at, t.arrived_at, t.src, t.dst, s.seq, s.ack,
                     s.flags.value, s.data, s.window, s.src_port, s.dst_port, t.fate.value,
                     t.origin.value, t.incarnation, t.sent_event, t.arrived_event))
    for r in trace.state_changes:
        rows.append(("state", r.t, r.endpoint, r.old.value, r.new.value, str(r.cause),
                     r.iss, r.irs, r.incarnation, r.event))
    for n in trace.notices:
        rows.append(("notice", n.t, n.endpoint, n.message, n.event))
    for c in trace.app_calls:
        rows.append(("call", c.t, c.endpoint, c.call, c.detail, c.data, c.event, c.rfc))
    for span in trace.timers:
        rows.append(("timer", span.endpoint, span.name.value, span.start, span.deadline,
                     span.end, span.outcome))
    for d in trace.deliveries:
        rows.append(("delivery", d.t, d.endpoint, d.data, d.incarnation, d.event, d.source))
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def _stepped(seed: int) -> Trace:
    """The workload run in small pieces with run(until=): the same trace as one run."""
    sim = workload(seed)
    t = 0.0
    while sim.peek() != float("inf"):
        t += 0.037
        sim.run(until=t)
    return sim.run()


PINNED: dict[str, tuple[Callable[[], Trace], str]] = {
    "workload seed 0": (lambda: workload(0).run(), "efb8be1f6292d453"),
    "workload seed 7": (lambda: workload(7).run(), "23e6f14c08e9963c"),
    "workload seed 31, linux": (lambda: workload(31, profile="linux").run(), "959d0b87074543d8"),
    "duplicates and heavy loss": (
        lambda: scenarios.lifecycle(delay=0.05, jitter=0.03, loss=0.3, duplicate=0.3, seed=5), "47f177e8ea3c949a"),
    "socket server with loss": (
        lambda: scenarios.socket_server(delay=0.05, jitter=0.02, loss=0.15, seed=3), "e5d74e890f7c57a4"),
    "old duplicate SYN (inject)": (lambda: scenarios.old_duplicate_syn(), "4ff9855f0b484429"),
    "TIME-WAIT cut short, duplicated data": (lambda: scenarios.time_wait_reuse(), "c93f247b84fa37c9"),
    "close with the FIN lost": (
        lambda: scenarios.close(lose="second FIN", jitter=0.05, seed=2), "0997460f93ec5b23"),
    "stepped with run(until=)": (lambda: _stepped(7), "23e6f14c08e9963c"),
}


@pytest.mark.parametrize("name", list(PINNED))
def test_trace_is_pinned(name: str) -> None:
    make, expected = PINNED[name]
    assert canonical(make()) == expected


def test_stepping_gives_the_trace_of_one_run() -> None:
    assert canonical(_stepped(7)) == canonical(workload(7).run())


@pytest.mark.parametrize("seed", [0, 7, 31])
def test_an_outcome_only_run_ends_as_the_full_run_does(seed: int) -> None:
    full = workload(seed).run()
    lean = workload(seed, record="outcome").run()
    last = {r.endpoint: r for r in full.state_changes}
    assert lean.state_changes == tuple(sorted(last.values(), key=lambda r: r.event))
    assert [lean.final_state(n) for n in "AB"] == [full.final_state(n) for n in "AB"]
    assert lean.end_time == full.end_time and lean.params["record"] == "outcome"
    assert not lean.transmissions and not lean.timers and not lean.deliveries


def test_the_outcome_recorder_keeps_nothing_that_grows() -> None:
    sim = workload(0, record="outcome")
    sim.run()
    recorder = sim.recorder
    assert not (recorder.transmissions or recorder.states or recorder.timer_spans
                or recorder.deliveries or recorder.app_calls or recorder.open_timers)
    assert len(recorder.last) == 2  # type: ignore[attr-defined]


def test_record_must_be_a_known_level() -> None:
    from tcpnb.core.errors import UsageError
    with pytest.raises(UsageError, match="record"):
        Simulation(record="some")  # type: ignore[arg-type]



#: Runs to compare at the "changes" level, each made with a given ``record=``.
LEVELLED: dict[str, Callable[[str], Trace]] = {
    "workload seed 7": lambda record: workload(7, record=record).run(),
    "workload seed 31, linux": lambda record: workload(31, profile="linux", record=record).run(),
    "duplicates and heavy loss": lambda record: scenarios.lifecycle(
        delay=0.05, jitter=0.03, loss=0.3, duplicate=0.3, seed=5, record=record),
    "socket server with loss": lambda record: scenarios.socket_server(
        delay=0.05, jitter=0.02, loss=0.15, seed=3, record=record),
}


@pytest.mark.parametrize("name", list(LEVELLED))
def test_a_changes_run_keeps_what_changed_something_as_the_full_run_has_it(name: str) -> None:
    """``record="changes"``: the full trace's records, less the timers and the idle arrivals."""
    full, lean = LEVELLED[name]("full"), LEVELLED[name]("changes")
    assert (lean.state_changes, lean.deliveries, lean.notices, lean.app_calls, lean.end_time) == (
        full.state_changes, full.deliveries, full.notices, full.app_calls, full.end_time)
    assert not lean.timers and lean.params["record"] == "changes"
    busy = {r.event for r in full.state_changes} | {d.event for d in full.deliveries}
    wanted = [t for t in full.transmissions if t.arrived_event in busy]
    assert list(lean.transmissions) == wanted and 0 < len(wanted) < len(full.transmissions)
