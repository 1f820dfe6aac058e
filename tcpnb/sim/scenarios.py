"""Ready-made runs for the course, one function per situation.

Every scenario takes the same keywords -- ``delay`` (one-way, seconds),
``jitter``, ``loss``, ``seed``, ``profile`` and any profile field such as
``msl=``, ``time_wait=`` or ``rto_initial=`` -- plus a few of its own, and
returns the :class:`~tcpnb.sim.trace.Trace` of a fresh simulation.  Endpoint
``"A"`` is the active opener (the client), ``"B"`` the passive one (the
server), with ISNs 100 and 300 as in RFC 9293's figures unless said otherwise.
A keyword a scenario does not know is an error that lists the ones it does.

    import tcpnb
    from tcpnb import scenarios
    trace = scenarios.run("syn_lost", delay=0.2)
    print(tcpnb.text_ladder(trace))
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from ..core import validate
from ..core.errors import UsageError
from ..core.isn import IncrementingISN, IsnSource, figure_pair
from ..core.options import HandshakeName, IsnKind
from ..core.segment import SEQ_SPACE, Flags, Segment
from ..core.states import State
from .registry import NETWORK, SCENARIOS, SETTINGS, Scenario, describe, get, run, scenario
from .simulation import SimEndpoint, Simulation
from .sockets import MAX_SEND
from .trace import Trace
from .triggers import on_received, on_state

__all__ = ["NETWORK", "SCENARIOS", "SETTINGS", "Scenario", "describe", "get", "run", "scenario"]


def _pair(sim: Simulation, a_isn: int | IsnSource = 100,
          b_isn: int | IsnSource = 300) -> tuple[SimEndpoint, SimEndpoint]:
    return sim.endpoint("A", isn=a_isn), sim.endpoint("B", isn=b_isn)


def _open(sim: Simulation, accept: bool = False) -> tuple[SimEndpoint, SimEndpoint]:
    """A connects to a listening B at t = 0."""
    a, b = _pair(sim, b_isn=IncrementingISN(300) if accept else 300)
    b.listen(accept=validate.flag("accept", accept))
    a.connect("B")
    return a, b


def _count(name: str, value: object, low: int = 0, high: int = 1000) -> int:
    return validate.whole(name, value, low, high)


def _bytes(name: str, value: object, low: int = 1) -> int:
    return validate.whole(name, value, low, MAX_SEND)


def _seconds(name: str, value: object) -> float:
    return validate.seconds(name, value, 0.0, validate.LONGEST)


# ------------------------------------------------------------------ opening
@scenario
def three_way_handshake(*, data: int = 10, accept: bool = False, **net: Any) -> Trace:
    """The basic three-way handshake, then A sends data (RFC 9293 Figure 6).

    ``accept=True`` makes B a socket server: it stays in LISTEN and the
    connection gets its own TCB, ``"B:1"``.
    """
    data = _bytes("data", data, low=0)
    sim = Simulation(**net)
    a, _ = _open(sim, accept)
    if data:
        a.send(data, at=on_state(State.ESTABLISHED))
    return sim.run()


@scenario
def syn_lost(*, times: int = 1, **net: Any) -> Trace:
    """A's SYN is lost ``times`` times; A retransmits it after each RTO."""
    times = _count("times", times)
    sim = Simulation(**net)
    _open(sim)
    for nth in range(1, times + 1):
        sim.drop("A", "SYN", nth=nth)
    return sim.run()


@scenario
def synack_lost(*, times: int = 1, **net: Any) -> Trace:
    """B's SYN,ACK is lost ``times`` times; both sides retransmit."""
    times = _count("times", times)
    sim = Simulation(**net)
    _open(sim)
    for nth in range(1, times + 1):
        sim.drop("B", "SYN,ACK", nth=nth)
    return sim.run()


@scenario
def third_ack_lost(*, data: int = 0, **net: Any) -> Trace:
    """The third segment (A's ACK) is lost; the connection still opens.

    With ``data=0`` B retransmits its SYN,ACK and A's reply completes the
    handshake; with ``data > 0`` A's first data segment carries the ACK.
    """
    data = _bytes("data", data, low=0)
    sim = Simulation(**net)
    a, _ = _open(sim)
    sim.drop("A", "ACK", nth=1)
    if data:
        a.send(data, at=on_state(State.ESTABLISHED, delay=0.001))
    return sim.run()


@scenario
def simultaneous_open(**net: Any) -> Trace:
    """Both sides connect at once and their SYNs cross (RFC 9293 Figure 7).

    Each side answers the other's SYN,ACK with an ACK, as §3.10.7.4's first
    check asks (and Linux does): six segments, where the figure shows four.
    """
    sim = Simulation(**net)
    a, b = _pair(sim)
    delay = sim.link.delay
    sim.hold("A", "SYN", nth=1, by=2 * delay)   # A's SYN is slow (Figure 7 line 2: "...")
    sim.hold("A", "SYN,ACK", nth=1, by=delay)   # and so is its SYN,ACK (line 5)
    a.connect("B", at=0.0)
    b.connect("A", at=0.5 * delay)
    return sim.run()


@scenario
def refused(**net: Any) -> Trace:
    """A connects to a port where nobody listens: RST, "connection refused"."""
    sim = Simulation(**net)
    a, _ = _pair(sim)
    a.connect("B")
    return sim.run()


@scenario
def old_duplicate_syn(*, handshake: HandshakeName = "three-way", old_seq: int = 90,
                      accept: bool = False, **net: Any) -> Trace:
    """An old SYN from an earlier connection reaches B before A's real SYN (RFC 9293 Figure 8).

    With ``handshake="two-way"`` (NOT TCP) B opens a connection on the old
    SYN alone, until A's RST ends it one round trip later.  With ``accept=True`` B is
    a socket server: each SYN gets its own TCB ("B:1" for the old one, "B:2"
    for A's), and the listening socket never leaves LISTEN.
    """
    validate.choice("handshake", handshake, ("three-way", "two-way"))
    validate.whole("old_seq", old_seq, 0, SEQ_SPACE - 1)
    validate.flag("accept", accept)
    sim = Simulation(**net)
    a = sim.endpoint("A", isn=100, handshake=handshake)
    b = sim.endpoint("B", isn=IncrementingISN(300, step=100), handshake=handshake)
    b.listen(reopen=handshake == "two-way" and not accept, accept=accept)
    delay = sim.link.delay
    sim.hold("A", "SYN", nth=1, by=3 * delay)  # A's SYN is still on its way (line 2: "...")
    a.connect("B", at=0.0)
    sim.inject(Segment(seq=old_seq, flags=Flags.SYN), src="A", dst="B", at=0.5 * delay)
    return sim.run()


@scenario
def old_duplicate_syn_two_way(**net: Any) -> Trace:
    """NOT TCP: the same old SYN meets a two-way handshake; B opens a connection nobody wants."""
    return old_duplicate_syn(handshake="two-way", **net)


@scenario
def two_passive_sockets(**net: Any) -> Trace:
    """An old SYN reaches B while A and B both listen (RFC 9293 Figure 11)."""
    sim = Simulation(**net)
    a, b = _pair(sim)
    a.listen()
    b.listen()
    sim.inject(Segment(seq=1000, flags=Flags.SYN), src="A", dst="B", at=sim.link.delay)
    return sim.run()


@scenario
def socket_server(*, accept: bool = True, request: int = 100, **net: Any) -> Trace:
    """Two clients, A and C, connect to one server port; each connection gets its own TCB.

    B is a socket server (``accept=True``): its listening socket stays in
    LISTEN, and accept() gives each connection its own TCB, "B:1" and "B:2".
    With ``accept=False`` B has RFC 9293's one TCB: busy with A, it answers
    C's SYN with a RST (the SYN does not match its connection).
    """
    validate.flag("accept", accept)
    request = _bytes("request", request)
    sim = Simulation(**net)
    a, b = sim.endpoint("A", isn=100), sim.endpoint("B", isn=IncrementingISN(300))
    c = sim.endpoint("C", isn=200)
    b.listen(accept=accept)
    for k, client in enumerate((a, c)):
        client.connect("B", at=k * max(sim.link.delay, 0.05))
        client.send(request, at=on_state(State.ESTABLISHED))
        client.close(at=on_received(request))
        b.send(request, at=on_received(request * (k + 1)))
        b.close(at=on_state(State.CLOSE_WAIT, nth=k + 1))
    return sim.run()


def _established_then(sim: Simulation, a: SimEndpoint, b: SimEndpoint) -> None:
    """A (ISN 99) and B (ISN 299) open: B then sends at 300 and receives at 100."""
    b.listen(reopen=True)
    a.connect("B")


@scenario
def half_open_discovery(**net: Any) -> Trace:
    """A reboots, then tries to connect again: B's reply uncovers the half-open connection (Figure 9)."""
    sim = Simulation(**net)
    a, b = _pair(sim, a_isn=IncrementingISN(99, step=301), b_isn=299)
    _established_then(sim, a, b)
    a.crash(at=5.0)
    a.connect("B", at=6.0)
    return sim.run()


@scenario
def half_open_data(**net: Any) -> Trace:
    """A reboots; B sends data on the dead connection and A answers with RST (Figure 10)."""
    sim = Simulation(**net)
    a, b = _pair(sim, a_isn=99, b_isn=299)
    _established_then(sim, a, b)
    a.crash(at=5.0)
    b.send(10, at=6.0)
    return sim.run()


# ------------------------------------------------------------------ closing
def _connected(sim: Simulation) -> tuple[SimEndpoint, SimEndpoint]:
    """A (ISN 99) and B (ISN 299) open, so that closing starts at SEQ 100 and 300 (Figure 12)."""
    a, b = _pair(sim, a_isn=99, b_isn=299)
    b.listen()
    a.connect("B")
    return a, b


#: Who calls close() first: A (the client), B (the server), or both at the same moment.
Closer = Literal["A", "B", "both"]
#: A segment of a close, named by its role in the close.
Loss = Literal["nothing", "first FIN", "ACK of the first FIN", "second FIN", "last ACK"]
#: The segments :func:`close` can lose, in the order they are sent.
LOSSES: tuple[Loss, ...] = get_args(Loss)


def _segment_called(lose: Loss, first: str) -> tuple[str, str, int] | None:
    """``(sender, flags, nth)`` of the segment called ``lose`` when ``first`` closes first."""
    second = "B" if first == "A" else "A"
    acks_before = {"A": 1, "B": 0}  # pure ACKs sent while opening: A's third segment only
    return {"nothing": None,
            "first FIN": (first, "FIN,ACK", 1),
            "ACK of the first FIN": (second, "ACK", acks_before[second] + 1),
            "second FIN": (second, "FIN,ACK", 1),
            "last ACK": (first, "ACK", acks_before[first] + 1)}[lose]


@scenario
def close(*, first: Closer = "A", lose: Loss = "nothing", close_after: float = 1.0,
          peer_close_after: float | None = None, **net: Any) -> Trace:
    """A closes first, or B, or both at once (Figures 12, 13); ``lose`` loses one segment of the close.

    ``first`` closes ``close_after`` seconds after it is ESTABLISHED and the
    other side ``peer_close_after`` seconds (default 1) after the FIN reaches
    it.  ``first="both"``: both call close() at the same moment, ``close_after``
    seconds after t = 1 s + 4 x delay (long after the handshake).  ``lose``, one
    of :data:`LOSSES`, is lost once (only with one side first).  With a delayed
    ACK (Linux) the "ACK of the first FIN" may ride on the second FIN; then there
    is no separate ACK to lose.  The first FIN is SEQ=100 (A) or 300 (B).
    """
    validate.choice("first", first, ("A", "B", "both"))
    validate.choice("lose", lose, LOSSES)
    close_after = _seconds("close_after", close_after)
    sim = Simulation(**net)
    a, b = _connected(sim)
    if first == "both":
        if lose != "nothing" or peer_close_after is not None:
            raise UsageError("close: lose= and peer_close_after= need one side to close first "
                             "(first='A' or 'B')")
        at = 1.0 + 4 * sim.link.delay + close_after
        a.close(at=at)
        b.close(at=at)
        return sim.run()
    lost = _segment_called(lose, first)
    if lost is not None:
        sim.drop(*lost)
    closer, other = (a, b) if first == "A" else (b, a)
    peer_after = 1.0 if peer_close_after is None else peer_close_after
    closer.close(at=on_state(State.ESTABLISHED, delay=close_after))
    other.close(at=on_state(State.CLOSE_WAIT,
                            delay=_seconds("peer_close_after", peer_after)))
    return sim.run()


@scenario
def normal_close(*, close_after: float = 1.0, peer_close_after: float = 1.0,
                 **net: Any) -> Trace:
    """A closes first, B closes later: FIN, ACK, FIN, ACK, then TIME-WAIT (RFC 9293 Figure 12)."""
    return close(first="A", close_after=close_after, peer_close_after=peer_close_after, **net)


@scenario
def half_close(*, chunks: int = 3, chunk_size: int = 500, gap: float = 0.5,
               **net: Any) -> Trace:
    """A shuts down its direction; B keeps sending ``chunks`` chunks from CLOSE-WAIT, then closes.

    A calls shutdown(), RFC 9293's CLOSE: it has no more to send but keeps
    receiving (with the socket close() B's data would draw a RST).
    """
    chunks, chunk_size = _count("chunks", chunks), _bytes("chunk_size", chunk_size)
    gap = _seconds("gap", gap)
    sim = Simulation(**net)
    a, b = _connected(sim)
    a.send(100, at=on_state(State.ESTABLISHED))
    a.shutdown(at=on_state(State.ESTABLISHED, delay=0.5))
    for k in range(chunks):
        b.send(chunk_size, at=on_state(State.CLOSE_WAIT, delay=gap * (k + 1)))
    b.close(at=on_state(State.CLOSE_WAIT, delay=gap * (chunks + 1)))
    return sim.run()


def _request_then(call: Literal["close", "shutdown"], request: int, reply: int,
                  net: dict[str, Any]) -> Trace:
    """A sends a request and at once calls ``call``; B replies, sends again a round trip later, closes."""
    request, reply = _bytes("request", request), _bytes("reply", reply)
    sim = Simulation(**net)
    a, b = _connected(sim)
    a.send(request, at=on_state(State.ESTABLISHED))
    (a.close if call == "close" else a.shutdown)(at=on_state(State.ESTABLISHED, delay=0.001))
    later = 0.1 + 2 * sim.link.delay + 0.1  # after an answer to the reply could be back
    b.send(reply, at=on_received(request, delay=0.1))
    b.send(reply, at=on_received(request, delay=later))  # the "next send"
    b.close(at=on_received(request, delay=later + 0.1))
    return sim.run()


@scenario
def close_then_reply(*, request: int = 100, reply: int = 1000, **net: Any) -> Trace:
    """A sends a request and calls close(); B's reply draws a RST and B's next send fails.

    The socket close() is RFC 9293's half-duplex close (§3.6.1, MAY-1): A
    reads nothing more, so data that arrives is answered with a RST (SHLD-3).
    """
    return _request_then("close", request, reply, net)


@scenario
def shutdown_then_reply(*, request: int = 100, reply: int = 1000, **net: Any) -> Trace:
    """The same exchange with shutdown() (RFC 9293's CLOSE): every byte of B's reply arrives."""
    return _request_then("shutdown", request, reply, net)


@scenario
def simultaneous_close(**net: Any) -> Trace:
    """Both sides close at once; both pass through CLOSING into TIME-WAIT (Figure 13)."""
    return close(first="both", **net)


@scenario
def final_ack_lost(**net: Any) -> Trace:
    """A's last ACK is lost; B retransmits its FIN and A, in TIME-WAIT, answers again."""
    return close(first="A", lose="last ACK", peer_close_after=0.5, **net)


@scenario
def time_wait_reuse(*, old_lag: float = 1.5, isn: IsnKind = "fixed", time_wait: float = 0.0,
                    **net: Any) -> Trace:
    """TIME-WAIT cut short: A reconnects on the same ports and an old segment lands in the new connection.

    A's first data segment is duplicated by the network; the copy arrives
    ``old_lag`` seconds after the original.  ``isn="fixed"`` reuses ISNs 100
    and 300 in every incarnation; ``isn="clock"`` takes them from RFC 9293's
    4-microsecond clock.  Pass ``time_wait=`` a longer time to see TIME-WAIT
    protect the new connection.
    """
    old_lag = _seconds("old_lag", old_lag)
    a_isn, b_isn = figure_pair(isn)
    sim = Simulation(time_wait=time_wait, **net)
    a, b = _pair(sim, a_isn, b_isn)
    b.listen(reopen=True)
    a.connect("B")
    a.send(100, at=on_state(State.ESTABLISHED))
    sim.duplicate("A", "DATA", nth=1, after=old_lag)
    a.close(at=on_state(State.ESTABLISHED, delay=0.3))
    b.close(at=on_state(State.CLOSE_WAIT))
    a.connect("B", at=on_state(State.CLOSED))  # as soon as the port pair is free
    a.send(100, at=on_state(State.ESTABLISHED, nth=2, delay=1.0))  # a new request, same size
    return sim.run()


@scenario
def lifecycle(*, request: int = 1000, reply: int = 1000, accept: bool = False,
              **net: Any) -> Trace:
    """A whole connection: open, a request, a reply, A closes, B closes.

    ``accept=True`` makes B a socket server: it stays in LISTEN and the
    connection gets its own TCB, ``"B:1"``.
    """
    request, reply = _bytes("request", request), _bytes("reply", reply)
    sim = Simulation(**net)
    a, b = _open(sim, accept)
    a.send(request, at=0.0)
    b.send(reply, at=on_received(request))
    a.close(at=on_received(reply))
    b.close(at=on_state(State.CLOSE_WAIT))
    return sim.run()
