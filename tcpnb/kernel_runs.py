"""The simulation that mirrors each capture of the Linux kernel, and how the two compare.

``data/captures`` holds 16 captures of this project's Linux kernel (see
``data/README.md``).  For each one, :data:`RUNS` has a function that builds
the same situation in the simulator with :data:`tcpnb.profiles.LINUX`: the
same application calls at the same moments, the same segments dropped.
:func:`compare` lines the two runs up segment by segment:

* **flags, SEQ, ACK and length** must be equal, with sequence numbers
  counted from each side's ISN (as :func:`tcpnb.capture.load` does) and the
  PSH bit ignored;
* **times** must agree within ``max(5 %, one timer-wheel slot)``
  (:func:`tolerance`).  A retransmission is timed from the first copy of its
  segment; any other segment from the segment before it.

Where the model and the kernel differ, :data:`DIFFERENCES` says so, segment by
segment, and :func:`compare` checks exactly those exceptions: a kernel
segment the model does not send, a time not compared, two segments sent in
the other order.  Nothing else is allowed to differ.  :data:`EVERYWHERE`
lists what differs in every capture and is not compared at all (PSH, window,
options).

    from tcpnb import kernel_runs
    result = kernel_runs.compare("final_ack_lost")
    result.ok, result.worst_error()
    print(result.table())
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import capture, profiles
from .app import on_received, on_state
from .errors import UsageError
from .segment import SEQ_SPACE, Flags, Segment
from .sim import SimEndpoint, Simulation
from .states import State
from .trace import Fate, StateRecord, Trace

S = State
#: One-way delay of the loopback path in the simulations (captured replies: 4-20 us).
LOOPBACK = 5e-6
#: One-way delay of the TUN path of the two simultaneous_* captures (a 100 ms relay).
TUN_PATH = 0.1008
JIFFY = 0.004  # CONFIG_HZ = 250


def captures_dir() -> Path:
    """Where the captures are: ``$TCPNB_CAPTURES``, else ``data/captures`` of the source tree."""
    env = os.environ.get("TCPNB_CAPTURES")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "data" / "captures"


def _path(name: str, suffix: str) -> Path:
    if name not in RUNS:
        raise UsageError(f"capture: unknown scenario {name!r}; known: " + ", ".join(RUNS))
    path = captures_dir() / f"{name}{suffix}"
    if not path.is_file():
        raise UsageError(f"{path} is not here: the captures come with the repository's data/ "
                         "folder (set TCPNB_CAPTURES to where they are)")
    return path


def kernel(name: str) -> Trace:
    """The capture of scenario ``name`` as a trace (endpoints ``client`` and ``server``)."""
    return capture.load(_path(name, ".pcap"))


def summary(name: str) -> dict[str, Any]:
    """The capture's JSON summary: states seen with ``ss``, application events, findings."""
    data: dict[str, Any] = json.loads(_path(name, ".json").read_text(encoding="utf-8"))
    return data


# ------------------------------------------------------------------ the runs
RUNS: dict[str, Callable[..., Trace]] = {}
#: Where each capture was taken: on loopback (sender and receiver see the same
#: instant) or at the client (the server's segments are seen on arrival).
VANTAGE: dict[str, str] = {}


def _run(vantage: str = "loopback") -> Callable[[Callable[..., Trace]], Callable[..., Trace]]:
    def register(func: Callable[..., Trace]) -> Callable[..., Trace]:
        RUNS[func.__name__], VANTAGE[func.__name__] = func, vantage
        return func
    return register


def simulate(name: str, **settings: Any) -> Trace:
    """Run the simulation that mirrors capture ``name``.

    ``settings`` change the simulation: ``profile="rfc"``, or any profile field
    such as ``rto_min=0.3``.
    """
    if name not in RUNS:
        raise UsageError(f"capture: unknown scenario {name!r}; known: " + ", ".join(RUNS))
    return RUNS[name](**settings)


def _pair(sim: Simulation, number: int) -> tuple[SimEndpoint, SimEndpoint]:
    """Client and server on the capture's ports (server 200NN, client 210NN)."""
    return (sim.endpoint("client", isn=1000, port=21000 + number),
            sim.endpoint("server", isn=5000, port=20000 + number))


def _linux(delay: float = LOOPBACK, **settings: Any) -> Simulation:
    return Simulation(delay=delay, **{"profile": profiles.LINUX, **settings})


def _request_reply(number: int, pause: float, server_first: bool = False,
                   **settings: Any) -> Trace:
    """1000 bytes each way, then the closes, ``pause`` seconds between the steps."""
    sim = _linux(**settings)
    client, server = _pair(sim, number)
    server.listen()
    client.connect("server")
    client.send(1000, at=on_state(S.ESTABLISHED, delay=pause or 2e-4))
    server.send(1000, at=on_received(1000))
    first, second = (server, client) if server_first else (client, server)
    first.close(at=on_received(1000, delay=pause))
    second.close(at=on_state(S.CLOSE_WAIT, delay=pause))
    return sim.run()


@_run()
def normal_close(**settings: Any) -> Trace:
    """Request, reply, the client closes; 100 ms between the steps."""
    return _request_reply(1, 0.1, **settings)


@_run()
def normal_close_quick(**settings: Any) -> Trace:
    """The same without pauses: the server closes as soon as it reads the end."""
    return _request_reply(2, 0.0, **settings)


@_run()
def server_closes_first(**settings: Any) -> Trace:
    """The server closes after its reply (HTTP/1.0); the client closes 100 ms after the end."""
    return _request_reply(3, 0.1, server_first=True, **settings)


@_run()
def half_close(**settings: Any) -> Trace:
    """A 1000-byte request and shutdown(SHUT_WR); the server sends 3 x 500 bytes, then closes."""
    sim = _linux(**settings)
    client, server = _pair(sim, 4)
    server.listen()
    client.connect("server")
    client.send(1000, at=on_state(S.ESTABLISHED, delay=4e-5))
    client.close(at=on_state(S.ESTABLISHED, delay=5.5e-5))  # after the request's ACK
    for k in (1, 2, 3):
        server.send(500, at=on_state(S.CLOSE_WAIT, delay=0.2 * k))
    server.close(at=on_state(S.CLOSE_WAIT, delay=0.8))
    return sim.run()


@_run()
def delayed_ack(**settings: Any) -> Trace:
    """Four 100-byte requests and replies; the server waits 0, 0.1, 0.1, 0.1 s to reply."""
    sim = _linux(**settings)
    client, server = _pair(sim, 5)
    server.listen()
    client.connect("server")
    client.send(100, at=on_state(S.ESTABLISHED, delay=0.002))
    for k, think in enumerate((0.0, 0.1, 0.1, 0.1), start=1):
        server.send(100, at=on_received(100 * k, delay=think))
        if k < 4:
            client.send(100, at=on_received(100 * k, delay=0.05))
    client.close(at=on_received(400, delay=0.05))
    server.close(at=on_state(S.CLOSE_WAIT))
    return sim.run()


@_run()
def refused(**settings: Any) -> Trace:
    """connect() to a port where nobody listens."""
    sim = _linux(**settings)
    client, _ = _pair(sim, 6)
    client.connect("server")
    return sim.run()


def _connect_and_close(sim: Simulation, client: SimEndpoint, server: SimEndpoint,
                       after: float = 0.0) -> Trace:
    """connect(), then both close at once (client first)."""
    server.listen()
    client.connect("server")
    client.close(at=on_state(S.ESTABLISHED, delay=after or 2e-4))
    server.close(at=on_state(S.CLOSE_WAIT))
    return sim.run()


@_run()
def syn_lost(**settings: Any) -> Trace:
    """The first 6 SYNs are dropped."""
    sim = _linux(**settings)
    client, server = _pair(sim, 7)
    for nth in range(1, 7):
        sim.drop("client", "SYN", nth=nth)
    return _connect_and_close(sim, client, server)


@_run()
def synack_lost(**settings: Any) -> Trace:
    """The SYN,ACKs of the first 1.5 s are dropped: the first, the timer's and the answer's."""
    sim = _linux(**settings)
    client, server = _pair(sim, 8)
    for nth in (1, 2, 3):
        sim.drop("server", "SYN,ACK", nth=nth)
    return _connect_and_close(sim, client, server)


@_run()
def synack_timer(**settings: Any) -> Trace:
    """4 SYN,ACKs dropped, and every SYN after the first: only the server's timer works."""
    sim = _linux(**settings)
    client, server = _pair(sim, 9)
    for nth in (1, 2, 3, 4):
        sim.drop("server", "SYN,ACK", nth=nth)
    for nth in range(2, 12):
        sim.drop("client", "SYN", nth=nth)
    return _connect_and_close(sim, client, server, after=0.025)


@_run()
def final_ack_lost(**settings: Any) -> Trace:
    """The client closes first; its ACK of the server's FIN is dropped 4 times."""
    sim = _linux(**settings)
    client, server = _pair(sim, 10)
    server.listen()
    client.connect("server")
    client.send(1000, at=on_state(S.ESTABLISHED, delay=6e-5))
    server.send(1000, at=on_received(1000))
    client.close(at=on_received(1000))
    server.close(at=on_state(S.CLOSE_WAIT, delay=0.2))
    # The client's pure ACKs and data: 1 the handshake's, 2 the request, 3 the ACK of the
    # reply, 4 the ACK of the server's FIN, 5-7 its repeats.
    for nth in (4, 5, 6, 7):
        sim.drop("client", "ACK", nth=nth)
    return sim.run()


@_run()
def time_wait_length(**settings: Any) -> Trace:
    """Open and close at once; the client then waits in TIME-WAIT."""
    sim = _linux(**settings)
    client, server = _pair(sim, 11)
    return _connect_and_close(sim, client, server, after=6e-5)


def _black_hole(number: int, syns: int, **settings: Any) -> Trace:
    sim = _linux(**settings)
    client, server = _pair(sim, number)
    for nth in range(1, syns + 1):
        sim.drop("client", "SYN", nth=nth)
    server.listen()
    client.connect("server")
    return sim.run()


@_run()
def syn_retries_exhausted(**settings: Any) -> Trace:
    """Every SYN dropped, TCP_SYNCNT = 2 (see DIFFERENCES: the model needs syn_retries=5)."""
    return _black_hole(12, 6, **{"syn_retries": 5, **settings})


@_run()
def syn_retries_default(**settings: Any) -> Trace:
    """Every SYN dropped, default retries: connect() gives up after about 2 minutes."""
    return _black_hole(13, 11, **settings)


@_run(vantage="client")
def simultaneous_open(**settings: Any) -> Trace:
    """Client and server connect() to each other over the 100 ms path; the SYNs cross."""
    sim = _linux(delay=TUN_PATH, **settings)
    client, server = _pair(sim, 14)
    client.connect("server", at=0.0)
    server.connect("client", at=0.0)
    client.close(at=on_state(S.ESTABLISHED, delay=0.5))
    server.close(at=on_state(S.ESTABLISHED, delay=1.0))  # 0.5 s after the client
    return sim.run()


@_run(vantage="client")
def simultaneous_close(**settings: Any) -> Trace:
    """A connects to a listener over the 100 ms path; both close at the same moment."""
    sim = _linux(delay=TUN_PATH, **settings)
    client, server = _pair(sim, 15)
    server.listen()
    client.connect("server")
    client.close(at=0.8057)
    server.close(at=0.8057)
    return sim.run()


@_run()
def self_connect(**settings: Any) -> Trace:
    """One socket connects to its own address and port, sends 5 bytes, closes."""
    sim = _linux(**settings)
    me = sim.endpoint("self", isn=1000, port=20016)
    me.connect("self")
    me.send(5, at=on_state(S.ESTABLISHED, delay=3.7e-4))
    me.close(at=on_state(S.ESTABLISHED, delay=0.202))
    return sim.run()


# ------------------------------------------------------------- the differences
@dataclass(frozen=True)
class Difference:
    """One way the kernel and the model differ in a capture, and why.

    The three tuples name segments by their index in the capture; each is
    checked by :func:`compare`: ``kernel_only`` -- the kernel sends these and the
    model does not; ``untimed`` -- these times differ by more than the
    tolerance; ``swapped`` -- the model sends these two in the other order.
    ``settings`` are profile fields the mirroring run changes.
    """

    topic: str
    summary: str
    why: str
    kernel_only: tuple[int, ...] = ()
    untimed: tuple[int, ...] = ()
    swapped: tuple[tuple[int, int], ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)


_SAME_JIFFY = ("Two timers were due at the same moment.  The kernel's timer wheel fires a timer "
               "up to one slot (4 ms below 0.25 s, 32 ms up to 2 s) after it is due, and two "
               "timers in one slot in either order; the model fires each exactly when due.")
_ACK_OF_SYNACK = ("In a simultaneous open each side answers the other's SYN,ACK with a pure ACK "
                  "(Linux, like RFC 793's Figure 8); tcpnb follows RFC 9293's corrected Figure 7, "
                  "where the SYN,ACKs alone complete the handshake.")

#: What differs in every capture and is not compared.
EVERYWHERE: tuple[Difference, ...] = (
    Difference("PSH", "Linux sets PSH on every data segment; the model sends none.",
               "PSH asks the receiver to deliver at once (RFC 9293 §3.9.1); connection "
               "management does not depend on it, so the comparison ignores it."),
    Difference("window", "Linux advertises its free receive buffer, scaled by 2**10 after the "
               "handshake (raw 63-70, i.e. 64-70 KB); the model a fixed 65535.",
               "tcpnb has no flow control: its window only decides which sequence numbers "
               "are acceptable (RFC 9293 §3.10.7.4), and every segment here is in window."),
    Difference("options", "Linux SYNs carry MSS, SACK-permitted, timestamps and window scale; "
               "every later segment a timestamp. The model sends no options.",
               "Options change neither the states nor the sequence numbers of an open or a "
               "close (RFC 9293 §3.1, §3.7.1; RFC 7323)."),
)

DIFFERENCES: dict[str, tuple[Difference, ...]] = {
    "delayed_ack": (
        Difference("delayed ACK", "The 2nd request is ACKed after 45.9 ms, by the delayed-ACK "
                   "timer; the model ACKs it at once, like every other data segment.",
                   "After the server answered the 1st request at once, Linux took the "
                   "connection to be interactive ('ping-pong' mode) and held the ACK back, "
                   "hoping to send it with the reply; when the timer fired first, it went back "
                   "to quick ACKs. profiles.LINUX has one fixed delay for data (0: quick-ACK "
                   "mode), which is right for the other 7 data segments.", untimed=(8,)),),
    "synack_lost": (
        Difference("order", "At 1.006 s the server's SYN,ACK timer fires 7 us before the "
                   "client's SYN leaves; in the model the SYN leaves first.", _SAME_JIFFY,
                   swapped=((2, 3),)),),
    "synack_timer": (
        Difference("order", "At 1.017 s and at 3.03 s the server's SYN,ACK leaves before the "
                   "client's SYN (7 us and 32 ms earlier); in the model the SYN leaves first.",
                   _SAME_JIFFY, swapped=((2, 3), (5, 6))),),
    "syn_retries_exhausted": (
        Difference("SYN retries", "With TCP_SYNCNT=2 Linux sends 6 SYNs and gives up at 7 s; "
                   "the model needs syn_retries=5 to do the same.",
                   "Linux's limit is a time budget, (2**(2+1) - 1) x 1 s = 7 s, checked "
                   "beside a count (2 + 4 linear timeouts); profiles.LINUX has only the count "
                   "(10 for the default 6).", settings={"syn_retries": 5}),),
    "simultaneous_open": (
        Difference("ACK of the SYN,ACK", "Linux sends 6 segments; the model 4.", _ACK_OF_SYNACK,
                   kernel_only=(4, 5)),),
    "self_connect": (
        Difference("ACK of the SYN,ACK", "Linux ACKs its own SYN,ACK; the model does not.",
                   _ACK_OF_SYNACK, kernel_only=(2,)),),
}
for _name in RUNS:
    DIFFERENCES.setdefault(_name, ())

#: Within the tolerance, but worth knowing: what the model leaves out.
NOTES: dict[str, str] = {
    "final_ack_lost": (
        "The server's FIN goes again after 205 ms (a tail-loss probe, RFC 8985 §7: Linux's probe "
        "timeout with one segment out is 2 x SRTT + 200 ms, capped by the RTO), then after RTOs "
        "of 212, 408 and 832 ms. The model sends its probe after one RTO (200 ms) and doubles "
        "from there: 200, 400, 800 ms. Timed from the first FIN the errors are under 5 %."),
    "time_wait_length": (
        "TIME-WAIT is TCP_TIMEWAIT_LEN = 60 s in Linux, not 2 x MSL; the socket went away "
        "60.85-60.96 s after the last ACK, one timer-wheel slot (2.048 s at 60 s) at most late."),
    "normal_close": "The ACK of the FIN is delayed 42 ms by Linux, 40 ms by the model.",
}


# ------------------------------------------------------------------ comparing
@dataclass(frozen=True, slots=True)
class Seen:
    """One segment as the capture's point of view sees it, numbers relative to the ISNs."""

    index: int
    time: float
    src: str
    flags: str
    seq: int
    ack: int
    length: int

    @property
    def key(self) -> tuple[str, str, int, int, int]:
        """What must be equal between kernel and model."""
        return (self.src, self.flags, self.seq, self.ack, self.length)

    def __str__(self) -> str:
        ack = f" ack={self.ack}" if "ACK" in self.flags else ""
        data = f" len={self.length}" if self.length else ""
        return f"{self.src} {self.flags} seq={self.seq}{ack}{data}"


def seen(trace: Trace, vantage: str = "loopback") -> list[Seen]:
    """The segments of ``trace`` in the order a capture at ``vantage`` records them.

    ``vantage`` is ``"loopback"`` (each segment when sent) or an endpoint's name
    (its own segments when sent, the others' when they arrive; lost ones never).
    Sequence numbers count from each side's first SYN (else its first segment).
    """
    base: dict[str, int] = {}
    rows = []
    for t in trace.transmissions:
        seg = t.segment
        if Flags.SYN in seg.flags and t.src not in base:
            base[t.src] = seg.seq
    for t in trace.transmissions:
        base.setdefault(t.src, t.segment.seq)
    for t in trace.transmissions:
        if vantage == "loopback" or t.src == vantage:
            when: float | None = t.sent_at
        else:
            when = t.arrived_at
        if when is None:
            continue
        seg = t.segment
        ack = (seg.ack - base.get(t.dst, 0)) % SEQ_SPACE if Flags.ACK in seg.flags else 0
        flags = str(seg.flags & ~Flags.PSH) or "none"
        rows.append(Seen(t.index, when, t.src, flags, (seg.seq - base[t.src]) % SEQ_SPACE, ack,
                         seg.length))
    rows.sort(key=lambda r: (r.time, r.index))
    return rows


def slot(seconds: float) -> float:
    """How late the kernel's timer wheel (HZ=250) may fire a timer ``seconds`` long.

    Level n of the wheel counts in steps of 8**n jiffies (4 ms) and holds
    timers up to 63 x 8**n jiffies ahead: 4 ms below 0.25 s, 32 ms up to 2 s,
    256 ms up to 16 s, 2.048 s up to 129 s (kernel/time/timer.c).
    """
    jiffies, level = abs(seconds) / JIFFY, 0
    while jiffies >= 63 * float(8 ** level) and level < 8:
        level += 1
    return JIFFY * float(8 ** level)


def tolerance(seconds: float) -> float:
    """Allowed difference for an interval of ``seconds``: ``max(5 %, one slot)``."""
    return max(0.05 * abs(seconds), slot(seconds))


@dataclass(frozen=True, slots=True)
class Row:
    """One kernel segment, the model's segment matched to it, and their timing."""

    kernel: Seen
    model: Seen | None
    since: int | None          # capture index of the segment the time is measured from
    kernel_interval: float
    model_interval: float | None
    note: str                  # "", "kernel only", "not timed", "retransmission"

    @property
    def error(self) -> float | None:
        """Model interval minus kernel interval, in seconds (``None`` if not compared)."""
        if self.model_interval is None or self.note in ("kernel only", "not timed"):
            return None
        return self.model_interval - self.kernel_interval

    @property
    def within(self) -> bool:
        error = self.error
        return error is None or abs(error) <= tolerance(self.kernel_interval)


@dataclass(frozen=True)
class Comparison:
    """The kernel's segments lined up with the model's (see :func:`compare`)."""

    name: str
    rows: tuple[Row, ...]
    model_only: tuple[Seen, ...]
    swapped: tuple[tuple[int, int], ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Everything matches, apart from the listed differences."""
        return not self.problems

    def worst(self) -> Row:
        """The row whose timing error uses up the largest part of its tolerance."""
        timed = [r for r in self.rows if r.error is not None] or list(self.rows)
        return max(timed, key=lambda r: abs(r.error or 0.0) / tolerance(r.kernel_interval))

    def retransmissions(self) -> list[tuple[Seen, float, float]]:
        """(segment, kernel time, model time) since the first copy, for every retransmission."""
        return [(r.kernel, r.kernel_interval, r.model_interval or 0.0) for r in self.rows
                if r.note == "retransmission" and r.model_interval is not None]

    def table(self) -> str:
        """One line per kernel segment: times, the interval compared, the error."""
        head = f"{'#':>2} {'kernel segment':<34} {'kernel':>9} {'model':>9}  {'interval':>16}"
        lines = [head + "  error"]
        for r in self.rows:
            model = f"{r.model.time:9.4f}" if r.model else f"{'-':>9}"
            since = f"from #{r.since}" if r.since is not None else ""
            error = r.error
            verdict = r.note or ""
            if error is not None:
                verdict = (f"{error * 1000:+.1f} ms" + (" FAIL" if not r.within else "")
                           + (f" ({r.note})" if r.note else ""))
            lines.append(f"{r.kernel.index:>2} {r.kernel!s:<34} {r.kernel.time:9.4f} {model}  "
                         f"{r.kernel_interval:8.4f} {since:>7}  {verdict}")
        lines += [f"model only: {s}" for s in self.model_only]
        lines += [f"PROBLEM: {p}" for p in self.problems]
        return "\n".join(lines)


def _listed(name: str) -> tuple[set[int], set[int], set[tuple[int, int]]]:
    only, untimed, swapped = set(), set(), set()
    for d in DIFFERENCES.get(name, ()):
        only |= set(d.kernel_only)
        untimed |= set(d.untimed)
        swapped |= set(d.swapped)
    return only, untimed, swapped


def _match(kernel: list[Seen], model: list[Seen], only: set[int]
           ) -> tuple[dict[int, Seen], list[Seen]]:
    """Pair each kernel segment (not listed as kernel-only) with the first free equal model one."""
    free = list(model)
    pairs = {}
    for k in kernel:
        if k.index in only:
            continue
        m = next((m for m in free if m.key == k.key), None)
        if m is not None:
            free.remove(m)
            pairs[k.index] = m
    return pairs, free


def compare(name: str, model: Trace | None = None) -> Comparison:
    """Line up capture ``name`` with its simulation (see the module's docstring).

    ``model`` replaces the simulation of :data:`RUNS`, e.g. the same run with
    another profile; its endpoints must be called ``client`` and ``server``.
    """
    kernel_view = seen(kernel(name), "loopback")  # the capture's own order
    model_view = seen(simulate(name) if model is None else model, VANTAGE.get(name, "loopback"))
    only, untimed, listed_swaps = _listed(name)
    pairs, model_only = _match(kernel_view, model_view, only)
    problems = [f"kernel segment #{k.index} ({k}) has no match in the model"
                for k in kernel_view if k.index not in only and k.index not in pairs]
    problems += [f"kernel segment #{i} is listed as kernel-only but the model sends it too"
                 for i in sorted(only) if any(m.key == kernel_view[i].key for m in model_only)]
    problems += [f"the model also sends {m}" for m in model_only]
    swaps = _swaps(kernel_view, pairs)
    problems += [f"kernel segments #{a} and #{b} are in the other order in the model"
                 for a, b in swaps if (a, b) not in listed_swaps]
    problems += [f"#{a} and #{b} are listed as swapped but are not" for a, b in listed_swaps
                 if (a, b) not in swaps]
    rows = _timed_rows(kernel_view, pairs, only, untimed)
    problems += [f"#{r.kernel.index} ({r.kernel}): {r.kernel_interval:.4f} s in the kernel, "
                 f"{r.model_interval:.4f} s in the model" for r in rows if not r.within]
    return Comparison(name, tuple(rows), tuple(model_only), tuple(swaps), tuple(problems))


def _swaps(kernel: list[Seen], pairs: dict[int, Seen]) -> list[tuple[int, int]]:
    """Pairs of kernel segments (a before b) whose model matches come in the other order."""
    order = [(k.index, pairs[k.index].time, pairs[k.index].index) for k in kernel
             if k.index in pairs]
    return [(a, b) for i, (a, ta, ia) in enumerate(order) for b, tb, ib in order[i + 1:]
            if (tb, ib) < (ta, ia)]


def _timed_rows(kernel: list[Seen], pairs: dict[int, Seen], only: set[int],
                untimed: set[int]) -> list[Row]:
    first_copy: dict[tuple[str, str, int, int], Seen] = {}
    rows, previous = [], None
    for k in kernel:
        model = pairs.get(k.index)
        if k.index in only:
            rows.append(Row(k, None, None, 0.0, None, "kernel only"))
            continue
        copy_key = (k.src, k.flags, k.seq, k.length)
        original = first_copy.setdefault(copy_key, k) if k.flags != "ACK" else k
        ref = original if original is not k else previous
        note = "retransmission" if original is not k else ("not timed" if k.index in untimed
                                                           else "")
        interval = k.time - ref.time if ref else k.time
        model_interval = None
        if model is not None:
            model_ref = pairs.get(ref.index) if ref else None
            model_interval = model.time - model_ref.time if model_ref else model.time
        rows.append(Row(k, model, ref.index if ref else None, interval, model_interval, note))
        if k.index not in untimed:
            previous = k
    return rows


# ------------------------------------------------------------------ what ss saw
_SS_NAMES = {"ESTAB": S.ESTABLISHED, "SYN-RECV": S.SYN_RECEIVED}


def ss_states(name: str) -> dict[str, list[State]]:
    """The states ``ss`` saw each socket in, in order (it polls: short states are missed)."""
    found: dict[str, list[tuple[float, State]]] = {}
    for record in summary(name)["socket_states"]:
        state = _SS_NAMES.get(record["state"]) or State(record["state"])
        found.setdefault(record["role"], []).append((record["first_seen"], state))
    return {role: [s for _, s in sorted(seq, key=lambda x: x[0])] for role, seq in found.items()}


def is_subsequence(part: list[State], whole: list[State]) -> bool:
    """Does ``whole`` go through the states of ``part`` in that order?"""
    rest = iter(whole)
    return all(any(s is w for w in rest) for s in part)


def event_time(name: str, text: str) -> float | None:
    """When the capture's socket program noted an event containing ``text``."""
    return next((float(e["time"]) for e in summary(name)["events"] if text in e["what"]), None)


# ------------------------------------------------------------------ the figure
def together(name: str, model: Trace | None = None, labels: tuple[str, str] = ("Linux", "tcpnb")
             ) -> Trace:
    """The capture and the model in one trace, on one clock: four lanes, kernel on the left.

    Endpoints are renamed ``"client (Linux)"``, ``"server (Linux)"``, ``"client
    (tcpnb)"`` ...; sequence numbers are relative.  A capture has no states: the
    kernel's lanes show the states ``ss`` saw, from the moment it first saw each
    (it polls every 20 ms, so they appear up to ~20 ms late and the shortest are
    missing).  Segments the capture script dropped (iptables) are drawn lost: the
    file has them, because tcpdump saw them before the drop.  Timers and calls
    are the model's only.  Draw it with
    :func:`tcpnb.ladder.ladder` (``to_text()`` shows only the first two lanes).
    """
    left = kernel(name)
    right = simulate(name) if model is None else model
    def rename(who: str, side: str) -> str:
        return f"{who} ({side})"
    dropped = _dropped(name, right)
    shift = 1 + max([t.arrived_event or t.sent_event for t in right.transmissions]
                    + [r.event for r in right.state_changes] + [0])
    moved = [replace(t, index=i, src=rename(t.src, labels[0]), dst=rename(t.dst, labels[0]),
                     sent_event=t.sent_event + shift,
                     arrived_event=None if t.arrived_event is None else t.arrived_event + shift)
             for i, t in enumerate(left.transmissions)]
    moved = [replace(t, fate=Fate.DROPPED, arrived_at=None, arrived_event=None)
             if t.index in dropped else t for t in moved]
    first = len(moved)
    moved += [replace(t, index=first + t.index, src=rename(t.src, labels[1]),
                      dst=rename(t.dst, labels[1]),
                      segment=_relative_segment(t.segment, right, t.src, t.dst))
              for t in right.transmissions]
    name_of = {n: rename(n, labels[1]) for n in right.endpoints}
    return Trace(
        endpoints=tuple(rename(n, labels[0]) for n in left.endpoints) + tuple(name_of.values()),
        transmissions=tuple(moved),
        state_changes=tuple(_ss_records(name, labels[0], shift + 2 * first + 2))
        + tuple(replace(r, endpoint=name_of[r.endpoint]) for r in right.state_changes),
        notices=tuple(replace(r, endpoint=name_of[r.endpoint]) for r in right.notices),
        app_calls=tuple(replace(r, endpoint=name_of[r.endpoint]) for r in right.app_calls),
        timers=tuple(replace(r, endpoint=name_of[r.endpoint]) for r in right.timers),
        deliveries=tuple(replace(r, endpoint=name_of[r.endpoint],
                                 source=None if r.source is None else first + r.source)
                         for r in right.deliveries),
        end_time=max(left.end_time, right.end_time), params={**right.params, "capture": name})


def _dropped(name: str, model: Trace) -> set[int]:
    """Capture indices of the segments the capture script dropped: those matched to drops."""
    rows = compare(name, model).rows
    fate = {t.index: t.fate for t in model.transmissions}
    return {r.kernel.index for r in rows if r.model and fate[r.model.index] is Fate.DROPPED}


def _ss_records(name: str, label: str, event: int) -> list[StateRecord]:
    """The states ``ss`` saw in capture ``name``, as state records of the renamed lanes."""
    records = []
    for role, states in ss_states(name).items():
        seen_at = sorted(r["first_seen"] for r in summary(name)["socket_states"]
                         if r["role"] == role)
        old = State.CLOSED
        for t, state in zip(seen_at, states):
            records.append(StateRecord(t, f"{role} ({label})", old, state, "seen by ss",
                                       event=event))
            old = state
        gone = [r["gone_by"] for r in summary(name)["socket_states"]
                if r["role"] == role and r["gone_by"] is not None]
        if gone and old is not State.CLOSED:
            records.append(StateRecord(max(gone), f"{role} ({label})", old, State.CLOSED,
                                       "gone from ss", event=event))
    return sorted(records, key=lambda r: r.t)


def _relative_segment(segment: Segment, trace: Trace, src: str, dst: str) -> Segment:
    """``segment`` with SEQ and ACK counted from the ISNs of ``trace``'s sides."""
    isn: dict[str, int] = {}
    for t in trace.transmissions:
        if Flags.SYN in t.segment.flags:
            isn.setdefault(t.src, t.segment.seq)
    for t in trace.transmissions:
        isn.setdefault(t.src, t.segment.seq)
    ack = (segment.ack - isn.get(dst, 0)) % SEQ_SPACE if Flags.ACK in segment.flags else 0
    return replace(segment, seq=(segment.seq - isn[src]) % SEQ_SPACE, ack=ack)
