"""The captures of the Linux kernel, and the simulation that mirrors each.

The package carries 17 captures of this project's Linux kernel in
``tcpnb/real/captures`` (made by ``data/make_captures.py``; see
``data/README.md``): a pcap file and a JSON summary each, and
``environment.json`` (the kernel and its settings).  They load through
:mod:`importlib.resources`, so ``pip install tcpnb`` alone brings them: on
Colab, in JupyterLite, anywhere.  :func:`kernel` loads a capture as a trace,
:func:`summary` its JSON summary (the states ``ss`` saw, the socket program's
events, the findings).  For each capture, :data:`RUNS` has a function that
builds the same situation in the simulator with :data:`tcpnb.profiles.LINUX`:
the same application calls at the same moments, the same segments dropped.
:func:`simulate` runs it.  How the two compare is :mod:`tcpnb.real.compare`.

    from tcpnb import real
    real.kernel("syn_lost")       # what Linux did
    real.simulate("syn_lost")     # what the model does
    real.summary("environment")   # where it was captured
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from ..core import profiles, validate
from ..core.errors import CaptureError, UsageError
from ..core.states import State
from ..sim.simulation import SimEndpoint, Simulation
from ..sim.trace import Trace
from ..sim.triggers import on_received, on_state
from . import capture

S = State
#: One-way delay of the loopback path in the simulations (captured replies: 4-20 us).
LOOPBACK = 5e-6
#: One-way delay of the TUN path of the two simultaneous_* captures (a 100 ms relay).
TUN_PATH = 0.1008


def captures_dir() -> Path:
    """Where the captures are: ``$TCPNB_CAPTURES`` if set, else the ones inside this package."""
    env = os.environ.get("TCPNB_CAPTURES")
    if env:
        return Path(env)
    folder = resources.files(__package__) / "captures"
    if not isinstance(folder, Path):  # a package imported from a zip file, say
        raise CaptureError(f"the captures are not in a folder ({folder}): install tcpnb "
                           "unzipped, or set TCPNB_CAPTURES to a folder that holds them")
    return folder


def _path(name: str, suffix: str) -> Path:
    """The file ``name + suffix`` among the captures; a clear error lists those there are."""
    folder = captures_dir()
    validate.choice("capture", name, sorted(p.stem for p in folder.glob(f"*{suffix}")))
    return folder / f"{name}{suffix}"


def kernel(name: str) -> Trace:
    """The capture of scenario ``name`` as a trace (endpoints ``client`` and ``server``)."""
    return capture.load(_path(name, ".pcap"))


def summary(name: str) -> dict[str, Any]:
    """The JSON summary of capture ``name`` (states seen with ``ss``, application events,
    findings), or ``"environment"``: the kernel, its settings and the tools' versions."""
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
    client.shutdown(at=on_state(S.ESTABLISHED, delay=5.5e-5))  # SHUT_WR, after the request's ACK
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


@_run()
def close_then_reply(call: str = "close", **settings: Any) -> Trace:
    """A 100-byte request and the socket close(); the server's reply draws the client's RST.

    ``call="shutdown"`` makes the client call shutdown() instead (not what was captured).
    """
    sim = _linux(**settings)
    client, server = _pair(sim, 17)
    server.listen()
    client.connect("server")
    client.send(100, at=on_state(S.ESTABLISHED, delay=5.5e-4))
    ending = {"close": client.close, "shutdown": client.shutdown}[call]
    ending(at=on_state(S.ESTABLISHED, delay=5.94e-4))
    server.send(1000, at=on_received(100, delay=0.1114))  # the reply: a RST answers it
    server.send(1000, at=on_received(100, delay=0.2936))  # EPIPE: "connection does not exist"
    server.close(at=on_received(100, delay=0.2937))
    return sim.run()


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

