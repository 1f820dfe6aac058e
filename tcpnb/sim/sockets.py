"""The application's handle on one endpoint: the socket calls, each at a time or on a trigger.

A :class:`SimEndpoint` is what ``sim.endpoint("A")`` returns.  Its methods are
named as the sockets API names them and each one says which call of RFC 9293
it is: ``listen()`` and ``connect()`` are the passive and active OPEN,
``send()`` is SEND, ``shutdown()`` is CLOSE, ``close()`` is the socket close
(RFC 9293's half-duplex close, §3.6.1 MAY-1), ``abort()`` is ABORT.  Each
takes ``at=``: a time in seconds, or a trigger from :mod:`tcpnb.sim.triggers`.
The call itself happens when the simulation reaches it, and is recorded in the
trace with the RFC's name for it.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

from ..core import validate
from ..core.endpoint import Endpoint
from ..core.errors import UsageError
from ..core.outputs import Output
from ..core.states import State
from .recorder import Recorder
from .trace import AppCall
from .triggers import OnReceived, OnState, When

#: The RFC 9293 call behind each socket call, as the trace records it.
RFC_CALLS = {
    "listen": "passive OPEN (RFC 9293 §3.10.1)",
    "connect": "active OPEN (RFC 9293 §3.10.1)",
    "send": "SEND (RFC 9293 §3.10.2)",
    "shutdown": "CLOSE (RFC 9293 §3.10.4): FIN, keep receiving",
    "close": "socket close (RFC 9293 §3.6.1 MAY-1): FIN, read nothing more",
    "abort": "ABORT (RFC 9293 §3.10.5)",
    "crash": "the host reboots (RFC 9293 §3.5.1)",
}
#: The most bytes one send() may ask for (16 MiB): a run is about connections, not bulk data.
MAX_SEND = 2**24

Waiting = tuple[OnState | OnReceived, Callable[..., None], dict[str, Any]]


class Host(Protocol):
    """What a socket needs from the simulation it lives in (:class:`~tcpnb.sim.simulation.Simulation`)."""

    now: float
    events_processed: int
    recorder: Recorder

    def _at(self, ep: SimEndpoint, at: When, handler: Callable[..., None],
            **arguments: Any) -> None: ...

    def _get(self, name: str, what: str = "endpoint") -> SimEndpoint: ...

    def _handle(self, ep: SimEndpoint, outputs: list[Output]) -> None: ...


def stream_bytes(name: str, incarnation: int, offset: int, n: int) -> bytes:
    """Recognisable payload: ``n`` bytes of ``name``'s stream from ``offset``.

    Each incarnation writes a different pattern, so a byte from an old
    incarnation that lands in a new one can be told apart.
    """
    start = (ord(name[0]) + 37 * incarnation + offset) % 256
    return (_ALL_BYTES * (n // 256 + 2))[start:start + n]


_ALL_BYTES = bytes(range(256))


class SimEndpoint:
    """An endpoint inside a :class:`Simulation`: the application's handle on one socket.

    With ``listen(accept=True)`` it is a socket server's listening socket: each
    connection gets its own endpoint, named ``"B:1"``, ``"B:2"``, ... (its
    ``connections``), and the calls made on this handle act on the newest of
    them that is still open, as a server acts on the socket accept() returned.
    """

    def __init__(self, sim: Host, name: str, endpoint: Endpoint,
                 parent: SimEndpoint | None = None) -> None:
        self.sim, self.name, self.endpoint, self.parent = sim, name, endpoint, parent
        self.reopen = False
        self.accepting = False            # a listening socket that accepts (see above)
        self.connections: list[SimEndpoint] = []
        self.opened = False  # has any open been scheduled (guards send-before-connect)
        self.received_bytes = 0
        self.entries: dict[State, int] = {}  # how often each state was entered
        self.sent_offset = 0
        self.waiting: list[Waiting] = []
        self.wake_at: float | None = None

    @property
    def state(self) -> State:
        """The endpoint's state now (during or after a run)."""
        return self.endpoint.state

    def __repr__(self) -> str:
        return f"<SimEndpoint {self.name} port={self.endpoint.port} {self.state}>"

    # ----------------------------------------------------- application calls
    def listen(self, at: When = 0.0, reopen: bool = False, accept: bool = False) -> None:
        """Passive OPEN (RFC 9293 §3.10.1): wait in LISTEN for a SYN.

        Args:
            at: when (seconds, or a trigger).
            reopen: listen again each time the connection is over (RFC's one-TCB picture).
            accept: a socket server: stay in LISTEN and give each connection its own
                endpoint ``"<name>:1"``, ``"<name>:2"``, ... (the sockets API's accept()).
        """
        validate.flag("reopen", reopen)
        validate.flag("accept", accept)
        if reopen and accept:
            raise UsageError("listen(): choose reopen=True (one TCB that listens again) or "
                             "accept=True (a TCB per connection), not both")
        self.opened = True
        self.sim._at(self, at, self._do_listen, reopen=reopen, accept=accept)

    def connect(self, peer: str, at: When = 0.0) -> None:
        """Active OPEN (RFC 9293 §3.10.1): send a SYN to endpoint ``peer``."""
        port = self.sim._get(peer, "peer").endpoint.port
        self.opened = True
        self.sim._at(self, at, self._do_connect, peer=peer, port=port)

    def send(self, data: int | bytes, at: When = 0.0) -> None:
        """SEND (RFC 9293 §3.10.2): ``data`` as bytes, or a number of bytes to make up."""
        self._require_open("send")
        if isinstance(data, bytes):
            validate.whole("len(data)", len(data), 1, MAX_SEND)
        elif isinstance(data, bool) or not isinstance(data, int):
            raise UsageError(f"data must be bytes or a whole number of bytes in [1, {MAX_SEND}], "
                             f"got {data!r}")
        else:
            validate.whole("data", data, 1, MAX_SEND)
        self.sim._at(self, at, self._do_send, data=data)

    def shutdown(self, at: When = 0.0) -> None:
        """RFC 9293's CLOSE (§3.10.4), the sockets API's shutdown(SHUT_WR).

        A FIN follows the data already queued; the endpoint keeps receiving
        until the peer's FIN: every byte the peer sends still arrives.
        """
        self._schedule_call("shutdown", at)

    def close(self, at: When = 0.0) -> None:
        """The socket close(): RFC 9293's half-duplex close (§3.6.1, MAY-1).

        A FIN follows the data already queued, as with :meth:`shutdown`, but the
        application reads nothing more: data that arrives afterwards is answered
        with a RST (SHLD-3), and the peer's next send fails.
        """
        self._schedule_call("close", at)

    def abort(self, at: When = 0.0) -> None:
        """ABORT (RFC 9293 §3.10.5): send RST (where there is a connection) and forget it."""
        self._schedule_call("abort", at)

    def crash(self, at: When = 0.0) -> None:
        """The host reboots: all connection state is lost, nothing is sent (§3.5.1)."""
        self.sim._at(self, at, self._do_crash)

    def _require_open(self, call: str) -> None:
        if not self.opened:
            raise UsageError(f"{self.name}.{call}(): call connect() or listen() first")

    def _schedule_call(self, call: str, at: When) -> None:
        self._require_open(call)
        self.sim._at(self, at, self._do_call, call=call)

    # ------------------------------------------ what the calls do, when due
    def current(self) -> SimEndpoint:
        """The socket a call acts on: the newest open connection of a server, else this one."""
        for connection in reversed(self.connections):
            if connection.state is not State.CLOSED:
                return connection
        return self

    def record(self, call: str, detail: str = "", data: bytes = b"") -> None:
        sim = self.sim
        sim.recorder.app_call(AppCall(sim.now, self.name, call, detail, data,
                                      sim.events_processed, RFC_CALLS[call]))

    def _act(self, call: str, method: Callable[[float], list[Output]], detail: str = "") -> None:
        self.record(call, detail)
        self.sim._handle(self, method(self.sim.now))

    # Each takes ``via``: the connection whose event fired the trigger, when a
    # server's trigger fires for one of its connections; the call then acts on it.
    def _do_listen(self, reopen: bool, accept: bool, via: SimEndpoint | None = None) -> None:
        self.reopen, self.accepting = reopen, accept
        self._act("listen", self.endpoint.open_passive)

    def _do_connect(self, peer: str, port: int, via: SimEndpoint | None = None) -> None:
        self._act("connect", lambda now: self.endpoint.open_active(port, now), peer)

    def _do_send(self, data: int | bytes, via: SimEndpoint | None = None) -> None:
        target = via or self.current()
        if isinstance(data, int):
            data = stream_bytes(target.name, target.endpoint.incarnation, target.sent_offset, data)
        target.sent_offset += len(data)
        target.record("send", str(len(data)), data)
        self.sim._handle(target, target.endpoint.send(data, self.sim.now))

    def _do_call(self, call: str, via: SimEndpoint | None = None) -> None:
        target = via or self.current()
        endpoint = target.endpoint
        method = {"shutdown": endpoint.shutdown, "close": endpoint.close,
                  "abort": endpoint.abort}[call]
        target._act(call, method)

    def _do_crash(self, via: SimEndpoint | None = None) -> None:
        self.record("crash")
        self.reopen = False
        for connection in self.connections:  # the host's every TCB is lost
            self.sim._handle(connection, connection.endpoint.crash(self.sim.now))
        self.sim._handle(self, self.endpoint.crash(self.sim.now))
