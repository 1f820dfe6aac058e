"""The bad-input probe: over a thousand wrong arguments, at every public entry point of core and sim.

Each must raise a :class:`UsageError` (a ``ValueError``) whose message names the
parameter -- never a TypeError, an OverflowError, a MemoryError deep in a run,
a silent clamp or a hang.  The probe lists every case that failed, not just
the first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Callable

import pytest

from tcpnb import (
    ClockISN,
    FixedISN,
    Flags,
    IncrementingISN,
    Profile,
    RandomISN,
    Segment,
    Simulation,
    State,
    UsageError,
    on_received,
    on_state,
    profiles,
    scenarios,
)
from tcpnb.core.isn import as_source, figure_pair
from tcpnb.sim.triggers import OnReceived, OnState


@dataclass(frozen=True)
class Case:
    """Calling ``call`` must raise a UsageError whose message contains ``name``."""

    where: str
    name: str
    value: object
    call: Callable[[], Any]


NUMBERS = [None, "1", True, [1], b"1", math.nan, math.inf, -math.inf, -1, -1e-9, 10**400,
           1e300, object()]
WHOLES = [None, "1", True, False, 1.5, 2.0, math.nan, math.inf, -1, 10**400, [1], b"1"]
PROBABILITIES = [-0.1, 1.1, 2, math.nan, math.inf, "0.5", None, True, [0.5]]
FLAGS = [1, 0, "True", None, 1.0, [True]]
NAMES = [None, "", 1, 1.5, ["B"], ("B",), {"B"}, b"B", "nope", True]
TIMES = [None, "1", True, [1], math.nan, math.inf, -math.inf, -1, -1e-9, 10**400, 1e300]
SEQS = [None, "1", True, 1.5, -1, 2**32, 2**40, 10**400, math.nan]


def _pair(**kwargs: Any) -> tuple[Simulation, Any, Any]:
    sim = Simulation(**kwargs)
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=300)
    b.listen()
    a.connect("B")
    return sim, a, b


def _segment(**fields_: Any) -> Segment:
    base = dict(seq=1, ack=0, flags=Flags.SYN, data=b"", window=100)
    return Segment(**{**base, **fields_})


def _simulation_cases() -> list[Case]:
    cases = []
    for name, bads in (("delay", NUMBERS), ("jitter", NUMBERS), ("duplicate_lag", NUMBERS[1:]),
                       ("loss", PROBABILITIES), ("duplicate", PROBABILITIES),
                       ("seed", [None, "1", 1.5, True, math.nan, 2**70, [1]]),
                       ("max_events", WHOLES + [0, 10**10]),
                       ("profile", ["bsd", "", None, 1, ["rfc"], True])):
        cases += [Case("Simulation", name, v, lambda n=name, v=v: Simulation(**{n: v}))
                  for v in bads]
    kinds = {f.name: f.type for f in fields(Profile)}
    for name, kind in kinds.items():
        if name == "name":
            continue
        bads = FLAGS if kind == "bool" else WHOLES if kind == "int" else NUMBERS
        cases += [Case("Simulation", name, v, lambda n=name, v=v: Simulation(**{n: v}))
                  for v in bads if not (name == "time_wait" and v is None)]
    cases += [Case("Simulation", "mls", 3, lambda: Simulation(mls=3)),
              Case("Profile.replace", "name", "x", lambda: profiles.RFC.replace(name="x")),
              Case("profiles.get", "profile", "bsd", lambda: profiles.get("bsd"))]
    return cases


def _endpoint_cases() -> list[Case]:
    cases = []
    sim = Simulation()
    sim.endpoint("A")
    cases += [Case("endpoint", "name", v, lambda v=v: Simulation().endpoint(v))
              for v in NAMES[:-2] + ["A:1"]]
    cases.append(Case("endpoint", "name", "A", lambda: sim.endpoint("A")))
    cases += [Case("endpoint", "isn", v, lambda v=v: Simulation().endpoint("X", isn=v))
              for v in [None, "1", True, 1.5, -1, 2**32, 10**400, object(), [1]]]
    cases += [Case("endpoint", "port", v, lambda v=v: Simulation().endpoint("X", port=v))
              for v in [0, -1, 65536, 1.5, "80", True, 10**400]]
    cases += [Case("endpoint", "handshake", v, lambda v=v: Simulation().endpoint("X", handshake=v))
              for v in ["four-way", "", None, 3, ["two-way"]]]
    cases += [Case("sim[...]", "endpoint", v, lambda v=v: sim[v]) for v in NAMES]
    return cases


def _call_cases() -> list[Case]:
    cases = []
    for call in ("listen", "shutdown", "close", "abort", "crash"):
        cases += [Case(call, "at", v, lambda c=call, v=v: getattr(_pair()[1], c)(at=v))
                  for v in TIMES]
    cases += [Case("connect", "peer", v, lambda v=v: _pair()[1].connect(v)) for v in NAMES]
    cases += [Case("connect", "at", v, lambda v=v: _pair()[1].connect("B", at=v)) for v in TIMES]
    cases += [Case("send", "data", v, lambda v=v: _pair()[1].send(v))
              for v in [None, 0, -1, 1.5, True, "abc", 10**12, 2**24 + 1, 10**400, [1]]]
    cases += [Case("send", "len(data)", b"", lambda: _pair()[1].send(b""))]
    cases += [Case("send", "at", v, lambda v=v: _pair()[1].send(10, at=v)) for v in TIMES]
    for flag in ("reopen", "accept"):
        cases += [Case("listen", flag, v, lambda f=flag, v=v: _pair()[2].listen(**{f: v}))
                  for v in FLAGS]
    cases.append(Case("listen", "reopen", (True, True),
                      lambda: _pair()[2].listen(reopen=True, accept=True)))
    cases += [Case("send", "send()", "before open", lambda: Simulation().endpoint("Z").send(1))]
    return cases


def _past_cases() -> list[Case]:
    """After ``run(until=10)`` nothing may be scheduled before t = 10."""
    def later(act: Callable[[Simulation, Any], None]) -> Callable[[], None]:
        def go() -> None:
            sim, a, _ = _pair()
            sim.run(until=10)
            act(sim, a)
        return go

    acts: dict[str, Callable[[Simulation, Any], None]] = {
        "send": lambda sim, a: a.send(5, at=1.0), "close": lambda sim, a: a.close(at=9.99),
        "connect": lambda sim, a: a.connect("B", at=0.0),
        "inject": lambda sim, a: sim.inject(_segment(), "A", "B", at=1.0),
        "until": lambda sim, a: sim.run(until=5.0)}
    return [Case(f"{what} after run(until=10)", "until" if what == "until" else "at", 1.0,
                 later(act)) for what, act in acts.items()]


def _network_cases() -> list[Case]:
    cases = []
    for method in ("drop", "hold", "duplicate"):
        cases += [Case(method, "src", v, lambda m=method, v=v: getattr(_pair()[0], m)(v, "SYN"))
                  for v in NAMES]
        cases += [Case(method, "flags", v, lambda m=method, v=v: getattr(_pair()[0], m)("A", v))
                  for v in [None, 2, "SIN", "", "SYN,FOO", b"SYN", ["SYN"], Flags.SYN, "NONE"]]
        cases += [Case(method, "nth", v, lambda m=method, v=v: getattr(_pair()[0], m)("A", "SYN",
                                                                                     nth=v))
                  for v in WHOLES + [0]]
    cases += [Case("hold", "by", v, lambda v=v: _pair()[0].hold("A", "SYN", by=v)) for v in TIMES]
    cases += [Case("duplicate", "after", v, lambda v=v: _pair()[0].duplicate("A", "SYN", after=v))
              for v in TIMES]
    cases += [Case("run", "until", v, lambda v=v: _pair()[0].run(until=v)) for v in TIMES[1:]]
    cases.append(Case("step", "step()", "empty", lambda: Simulation().step()))
    return cases


def _inject_cases() -> list[Case]:
    def inject(**kwargs: Any) -> Callable[[], None]:
        args = {"segment": _segment(), "src": "A", "dst": "B", "at": 1.0, **kwargs}
        return lambda: _pair()[0].inject(**args)

    cases = [Case("inject", "segment", v, inject(segment=v))
             for v in [None, "SYN", 2, b"x", {"seq": 1}]]
    for key, bads in (("seq", SEQS), ("ack", SEQS),
                      ("flags", [2, "SYN", None, 1.5, [Flags.SYN]]),
                      ("data", [None, "text", 5, [1], bytearray(b"x")]),
                      ("window", [-1, 65536, 1.5, "x", None, True]),
                      ("src_port", [0, -1, 65536, 1.5, "80"]),
                      ("dst_port", [0, -1, 65536, 1.5, "80", 1001])):
        cases += [Case("inject", f"segment.{key}", v, inject(segment=_segment(**{key: v})))
                  for v in bads]
    cases.append(Case("inject", "len(segment.data)", "64 KiB",
                      inject(segment=_segment(data=b"x" * 65536))))
    cases += [Case("inject", "src", v, inject(src=v)) for v in NAMES]
    cases += [Case("inject", "dst", v, inject(dst=v)) for v in NAMES]
    cases += [Case("inject", "at", v, inject(at=v)) for v in TIMES]
    return cases


def _trigger_cases() -> list[Case]:
    cases = []
    for make in (on_state, OnState):
        cases += [Case(make.__name__, "state", v, lambda m=make, v=v: m(v))
                  for v in ["ESTABLISHED", None, 1, "X", State]]
        cases += [Case(make.__name__, "delay", v, lambda m=make, v=v: m(State.ESTABLISHED, delay=v))
                  for v in TIMES]
        cases += [Case(make.__name__, "nth", v, lambda m=make, v=v: m(State.ESTABLISHED, nth=v))
                  for v in WHOLES + [0]]
    for make in (on_received, OnReceived):
        cases += [Case(make.__name__, "nbytes", v, lambda m=make, v=v: m(v)) for v in WHOLES + [0]]
        cases += [Case(make.__name__, "delay", v, lambda m=make, v=v: m(10, delay=v))
                  for v in TIMES]
    return cases


def _isn_cases() -> list[Case]:
    bad_isn = [None, "1", True, 1.5, -1, 2**32, 10**400, [1]]
    cases = [Case("FixedISN", "isn", v, lambda v=v: FixedISN(v)) for v in bad_isn]
    cases += [Case("ClockISN", "isn", v, lambda v=v: ClockISN(v)) for v in bad_isn]
    cases += [Case("ClockISN", "tick", v, lambda v=v: ClockISN(0, v))
              for v in [0, -1e-6, "x", None, math.nan, math.inf, True, 10**400]]
    cases += [Case("RandomISN", "seed", v, lambda v=v: RandomISN(v))
              for v in ["x", None, 1.5, True, [1], 2**70]]
    cases += [Case("IncrementingISN", "isn", v, lambda v=v: IncrementingISN(v)) for v in bad_isn]
    cases += [Case("IncrementingISN", "step", v, lambda v=v: IncrementingISN(1, v))
              for v in [1.5, -1, "x", None, 2**32, True]]
    cases += [Case("figure_pair", "isn", v, lambda v=v: figure_pair(v))
              for v in ["random", "", None, 1, ["fixed"]]]
    cases += [Case("as_source", "isn", v, lambda v=v: as_source(v))
              for v in [True, "clock", None, 1.5, object()]]

    class Liar:
        def next(self, now: float) -> object:
            return "not a number"

    def run_with_liar() -> None:
        sim = Simulation()
        sim.endpoint("A", isn=Liar())  # type: ignore[arg-type]
        sim.endpoint("B").listen()
        sim["A"].connect("B")
        sim.run()
    cases.append(Case("an ISN source's next()", "isn", "not a number", run_with_liar))
    return cases


#: Wrong values for the keywords scenarios have of their own.
KEYWORDS: dict[str, list[object]] = {
    "times": WHOLES + [1001], "data": WHOLES[:1] + ["x", 1.5, -1, 10**12],
    "handshake": ["four-way", None, 2], "old_seq": SEQS, "accept": FLAGS,
    "close_after": TIMES, "peer_close_after": TIMES[1:],  # None: close()'s default
    "first": ["C", None, 1, ["A"]], "lose": ["everything", None, 3],
    "chunks": WHOLES, "chunk_size": WHOLES + [0],
    "gap": TIMES, "request": WHOLES + [0, 10**12], "reply": WHOLES + [0, 10**12],
    "old_lag": TIMES, "isn": ["random", None, 3], "time_wait": TIMES[1:],
}


def _scenario_cases() -> list[Case]:
    cases = [Case("scenarios.run", "scenario", v, lambda v=v: scenarios.run(v))
             for v in ["nope", None, 1, ["syn_lost"]]]
    for name, func in scenarios.SCENARIOS.items():
        cases.append(Case(name, "tims", 2, lambda n=name: scenarios.run(n, tims=2)))
        cases.append(Case(name, "delay", -1, lambda n=name: scenarios.run(n, delay=-1)))
        import inspect
        for key in inspect.signature(func).parameters:
            cases += [Case(name, key, v, lambda n=name, k=key, v=v: scenarios.run(n, **{k: v}))
                      for v in KEYWORDS.get(key, [])]
    return cases


def _trace_cases() -> list[Case]:
    trace = scenarios.three_way_handshake()
    cases = [Case("Trace.state_at", "t", v, lambda v=v: trace.state_at("A", v)) for v in TIMES]
    for method in ("state_at", "states", "received", "sent", "messages", "final_state"):
        args = (0.0,) if method == "state_at" else ()
        cases += [Case(f"Trace.{method}", "endpoint", v,
                       lambda m=method, v=v, a=args: getattr(trace, m)(v, *a)) for v in NAMES]
    return cases


CASES = (_simulation_cases() + _endpoint_cases() + _call_cases() + _past_cases()
         + _network_cases() + _inject_cases() + _trigger_cases() + _isn_cases()
         + _scenario_cases() + _trace_cases())


def _problem(case: Case) -> str | None:
    try:
        case.call()
    except UsageError as error:
        if case.name not in str(error):
            return f"{case.where}({case.name}={case.value!r}): message does not name it: {error}"
        return None
    except Exception as error:  # noqa: BLE001 - the probe reports any other error
        return f"{case.where}({case.name}={case.value!r}): {type(error).__name__}: {error}"
    return f"{case.where}({case.name}={case.value!r}): accepted"


def test_the_probe_throws_over_a_thousand_bad_inputs() -> None:
    assert len(CASES) >= 1000


@pytest.mark.parametrize("group", sorted({c.where.split("(")[0] for c in CASES}))
def test_every_bad_input_is_a_usage_error_that_names_its_parameter(group: str) -> None:
    problems = [p for c in CASES if c.where.split("(")[0] == group
                if (p := _problem(c)) is not None]
    assert problems == [], "\n".join(problems)
