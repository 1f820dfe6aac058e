"""Random runs, and what must hold at the end of every run: the soak test's core.

:func:`random_run` builds a simulation from a seed: either profile, a delay of
0-5 s, loss up to 95 %, duplicates, jitter, and an application that does
random things at random times or on random triggers -- sends, shutdown(),
close(), ABORT, crashes, reconnects, a server that listens once, again, or
accepts -- plus segments dropped, held, copied and injected.  :func:`problems`
lists what is wrong with a finished run:

* an endpoint that ended where it still had something to do (a SYN, data or a
  FIN not acknowledged, a delayed ACK, TIME-WAIT) but no timer to do it with;
* FIN-WAIT-1, CLOSING or LAST-ACK with its FIN acknowledged;
* bytes delivered that are not a prefix of what the peer's application sent
  in the connection they were delivered in -- or, once its FIN arrived, not
  all of it.

Bytes that a connection receives from an *earlier* connection (possible when
a new connection starts within the ISN clock's reach of an old one, which is
what TIME-WAIT and the quiet time are for, RFC 9293 §3.4.2-3) are counted by
:func:`stale_connections`, not as problems.  ``benchmarks/soak.py`` runs
thousands of these; ``tests/test_properties.py`` a few thousand under hypothesis.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ..core.isn import ClockISN
from ..core.segment import Flags, Segment
from ..core.states import State, Trigger
from .simulation import Simulation
from .sockets import SimEndpoint
from .trace import Origin, Trace
from .triggers import When, on_received, on_state

S = State
#: States whose endpoint always has a timer running: a SYN or a FIN waits for its ACK,
#: or TIME-WAIT waits out 2 x MSL.
TIMED_STATES = (S.SYN_SENT, S.SYN_RECEIVED, S.FIN_WAIT_1, S.CLOSING, S.LAST_ACK, S.TIME_WAIT)
_TRIGGER_STATES = (S.ESTABLISHED, S.CLOSE_WAIT, S.FIN_WAIT_2, S.TIME_WAIT, S.CLOSED,
                   S.SYN_RECEIVED, S.LAST_ACK)
_FLAGS = ("SYN", "SYN,ACK", "ACK", "DATA", "FIN,ACK", "RST")
_INJECTED = (Flags.SYN, Flags.RST, Flags.ACK, Flags.FIN | Flags.ACK, Flags.RST | Flags.ACK,
             Flags.SYN | Flags.ACK)


def random_run(seed: int, max_events: int = 200_000) -> Simulation:
    """A simulation with random network, settings and application, fixed by ``seed`` (not run)."""
    rng = random.Random(seed)
    settings: dict[str, Any] = {}
    if rng.random() < 0.5:
        settings["msl"] = rng.choice((0.5, 2.0, 10.0))
    if rng.random() < 0.2:
        settings["time_wait"] = rng.choice((0.0, 1.0))
    if rng.random() < 0.5:  # a small window and segments: data queues up behind it
        settings["window"] = rng.choice((1000, 4096))
        settings["mss"] = rng.choice((100, 536))
    sim = Simulation(delay=0.0 if rng.random() < 0.15 else rng.uniform(0, 5),
                     jitter=rng.uniform(0, 1) if rng.random() < 0.5 else 0.0,
                     loss=rng.uniform(0, 0.95), seed=seed, profile=rng.choice(("rfc", "linux")),
                     duplicate=rng.uniform(0, 0.3) if rng.random() < 0.5 else 0.0,
                     duplicate_lag=rng.uniform(0, 10), max_events=max_events, **settings)
    a, b = sim.endpoint("A", isn=ClockISN(100)), sim.endpoint("B", isn=ClockISN(300))
    server = rng.choice(("once", "reopen", "accept"))
    b.listen(reopen=server == "reopen", accept=server == "accept")
    a.connect("B", at=rng.choice((0.0, rng.uniform(0, 3))))
    for _ in range(rng.randint(1, 10)):
        _random_call(rng, rng.choice((a, b)), _random_when(rng))
    if rng.random() < 0.5:  # both ends close, at random moments: the closes cross
        for who in (a, b):
            (who.close if rng.random() < 0.5 else who.shutdown)(at=_random_when(rng))
    for _ in range(rng.randint(0, 3)):
        src, flags, nth = rng.choice("AB"), rng.choice(_FLAGS), rng.randint(1, 3)
        fault = rng.choice(("drop", "hold", "duplicate"))
        if fault == "drop":
            sim.drop(src, flags, nth=nth)
        elif fault == "hold":
            sim.hold(src, flags, nth=nth, by=rng.uniform(0, 10))
        else:
            sim.duplicate(src, flags, nth=nth, after=rng.uniform(0, 10))
    for _ in range(rng.randint(0, 2)):
        near = 100 if rng.random() < 0.5 else 300
        seq = rng.choice((rng.randrange(2**32), near + rng.randrange(-5, 400_000)))
        segment = Segment(seq=seq % 2**32, ack=rng.randrange(2**32), flags=rng.choice(_INJECTED))
        src, dst = rng.sample(("A", "B"), 2)
        sim.inject(segment, src=src, dst=dst, at=rng.uniform(0, 30))
    return sim


def _random_when(rng: random.Random) -> When:
    roll = rng.random()
    if roll < 0.5:
        return rng.uniform(0, 30)
    if roll < 0.8:
        return on_state(rng.choice(_TRIGGER_STATES), delay=rng.uniform(0, 2), nth=rng.randint(1, 2))
    return on_received(rng.choice((1, 100, 1000, 5000)), delay=rng.uniform(0, 1))


def _random_call(rng: random.Random, who: SimEndpoint, when: When) -> None:
    call = rng.choice(("send", "send", "send", "shutdown", "close", "abort", "crash", "connect",
                       "listen"))
    if call == "send":
        who.send(rng.choice((1, 10, 536, 1460, 3000, 20_000, 100_000)), at=when)
    elif call in ("shutdown", "close", "abort", "crash"):
        {"shutdown": who.shutdown, "close": who.close, "abort": who.abort,
         "crash": who.crash}[call](at=when)
    elif call == "connect":
        who.connect("B" if who.name == "A" else "A", at=when)
    else:
        who.listen(at=when, reopen=rng.random() < 0.5)


# ------------------------------------------------------------------ checks
def problems(sim: Simulation, trace: Trace) -> list[str]:
    """What is wrong with a run that finished (nothing left to happen): see the module doc."""
    found = []
    for ep in sim.sockets:
        tcb, name = ep.endpoint, ep.name
        if tcb.timers:
            found.append(f"{name}: timers {sorted(tcb.timers)} left after the run")
        pending = [what for what, due in (
            ("unacknowledged data or SYN/FIN", bool(tcb.unacked)),
            ("queued data", bool(tcb.send_buffer)),
            ("a FIN not yet sent", tcb.close_requested and not tcb.fin_sent),
            ("a delayed ACK", tcb.ack_pending),
            (f"the timer of {tcb.state}", tcb.state in TIMED_STATES)) if due]
        if pending:
            found.append(f"{name}: stuck in {tcb.state} with {', '.join(pending)} and no timer")
        if tcb.state in (S.FIN_WAIT_1, S.CLOSING, S.LAST_ACK) and tcb.fin_acked:
            found.append(f"{name}: in {tcb.state} with everything acknowledged")
    return found + integrity(trace)


def _incarnations(trace: Trace) -> dict[str, list[tuple[int, int]]]:
    """endpoint -> [(event, incarnation after it)], in event order."""
    found: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for r in trace.state_changes:
        found[r.endpoint].append((r.event, r.incarnation))
    return found


def _incarnation_at(history: list[tuple[int, int]], event: int) -> int:
    value = 0
    for when, incarnation in history:
        if when > event:
            break
        value = incarnation
    return value


def sent_streams(trace: Trace) -> dict[tuple[str, int], bytes]:
    """(endpoint, incarnation) -> the bytes its application handed to that connection.

    A send() answered by an error notice in the same event was refused and is not counted.
    """
    refused = {(n.endpoint, n.event) for n in trace.notices if n.message.startswith("error")}
    history = _incarnations(trace)
    streams: dict[tuple[str, int], bytes] = defaultdict(bytes)
    for call in trace.app_calls:
        if call.call == "send" and (call.endpoint, call.event) not in refused:
            key = (call.endpoint, _incarnation_at(history[call.endpoint], call.event))
            streams[key] += call.data
    return streams


def _connections(trace: Trace) -> Iterable[tuple[tuple[str, int], list[int], tuple[str, int] | None]]:
    """Each receiving connection, the transmissions that delivered to it, and its sender.

    The sender is the peer's connection whose ISN the receiver took as IRS: the
    latest one opened before the first delivery (an ISN can repeat).
    """
    started: dict[tuple[str, int], tuple[int, int | None]] = {}  # -> (first event, iss)
    irs: dict[tuple[str, int], int] = {}
    for r in trace.state_changes:
        key = (r.endpoint, r.incarnation)
        if key not in started or (started[key][1] is None and r.iss is not None):
            started[key] = (started.get(key, (r.event, None))[0], r.iss)
        if r.irs is not None:
            irs[key] = r.irs
    sources: dict[tuple[str, int], list[int]] = defaultdict(list)
    first: dict[tuple[str, int], int] = {}
    for d in trace.deliveries:
        if d.source is not None:
            sources[(d.endpoint, d.incarnation)].append(d.source)
            first.setdefault((d.endpoint, d.incarnation), d.event)
    for receiver, indices in sources.items():
        peer = trace.transmissions[indices[0]].src
        candidates = [(event, key) for key, (event, iss) in started.items()
                      if key[0] == peer and iss is not None and iss == irs.get(receiver)
                      and event <= first[receiver]]
        yield receiver, indices, max(candidates)[1] if candidates else None


def _is_from(trace: Trace, index: int, sender: tuple[str, int] | None) -> bool:
    t = trace.transmissions[index]
    return (sender is not None and t.origin is not Origin.INJECTED
            and (t.src, t.incarnation) == sender)


def stale_connections(trace: Trace) -> list[tuple[str, int]]:
    """Receiving connections that got bytes from an earlier connection or an injected segment."""
    return [receiver for receiver, indices, sender in _connections(trace)
            if not all(_is_from(trace, i, sender) for i in indices)]


def integrity(trace: Trace) -> list[str]:
    """Each connection's bytes are a prefix of its sender's stream, all of it once the FIN came."""
    sent = sent_streams(trace)
    fin_received = {(r.endpoint, r.incarnation) for r in trace.state_changes
                    if r.cause in (Trigger.RCV_FIN, Trigger.RCV_FIN_AND_ACK_OF_FIN)}
    found = []
    for receiver, indices, sender in _connections(trace):
        if sender is None or not all(_is_from(trace, i, sender) for i in indices):
            continue  # stale: counted by stale_connections()
        got = b"".join(d.data for d in trace.deliveries if (d.endpoint, d.incarnation) == receiver)
        stream = sent.get(sender, b"")
        if not stream.startswith(got):
            found.append(f"{receiver}: {len(got)} bytes delivered are not a prefix of the "
                         f"{len(stream)} that {sender} sent")
        elif receiver in fin_received and got != stream:
            found.append(f"{receiver}: the FIN came after {len(got)} of {len(stream)} bytes")
    return found


def digest(trace: Trace) -> str:
    """A fingerprint of everything that happened: equal runs give equal digests."""
    text = repr((trace.endpoints, trace.transmissions, trace.state_changes, trace.notices,
                 trace.deliveries, trace.app_calls, trace.timers, trace.end_time))
    return hashlib.sha256(text.encode()).hexdigest()
