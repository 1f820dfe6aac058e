"""The benchmark's lifecycle written the way a SimPy user would write it: a yardstick for speed.

    python benchmarks/simpy_model.py [--runs 1000]      (needs: pip install -e ".[bench]")

Two endpoints, each a SimPy process reading its inbox (a ``simpy.Store``), a
network that carries every segment in a process of its own (delay, uniform
jitter, independent loss), and two application processes: A connects, sends
1 KB and closes once the 1 KB reply is in; B listens, replies once the request
is in and closes when A's FIN has come (CLOSE-WAIT).  The protocol is the part
of RFC 9293 this lifecycle exercises: the three-way handshake, MSS-sized
segments (536 bytes), cumulative ACKs, in-order delivery (out-of-order segments
are dropped and re-ACKed, as tcpnb's model does), the FIN states, TIME-WAIT
for 2 x MSL (and an ACK again for a retransmitted FIN), and retransmission of
the oldest unacknowledged segment on RTO with RFC 6298's estimator, Karn's
rule and backoff.  What it leaves out -- RST, ISN choice, half-open
detection, simultaneous open/close, options, every check of §3.10.7 that
this workload never trips -- is exactly what tcpnb's endpoint does in
full, so tcpnb doing the same work faster than this is a fair claim.

It is not used by the library or its tests; ``bench_sim.py`` times it.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import deque
from typing import Any, Callable, Generator

import simpy

FIN, SYN, ACK = 1, 2, 16
MSS = 536
MSL = 120.0                      # RFC 9293 §3.4.2, TIME-WAIT lasts 2 x MSL
RTO_INITIAL = RTO_MIN = 1.0      # RFC 6298 §2.1, §2.4
RTO_MAX = 60.0
MAX_RETRIES = 7

Segment = tuple[int, int, int, int]  # seq, ack, flags, payload length
Process = Generator[simpy.Event, Any, None]


class Network:
    """Delay + uniform jitter + independent loss; one SimPy process per segment in flight."""

    def __init__(self, env: simpy.Environment, delay: float, jitter: float, loss: float,
                 rng: random.Random) -> None:
        self.env, self.delay, self.jitter, self.loss, self.rng = env, delay, jitter, loss, rng
        self.events = 0

    def send(self, segment: Segment, to: Peer) -> None:
        travel = self.delay + self.rng.random() * self.jitter
        if self.rng.random() >= self.loss:
            self.env.process(self.carry(segment, to, travel))

    def carry(self, segment: Segment, to: Peer, travel: float) -> Process:
        yield self.env.timeout(travel)
        self.events += 1
        yield to.inbox.put(segment)


class Peer:
    """One TCP endpoint: a process that takes segments from its inbox or wakes on its timer."""

    def __init__(self, env: simpy.Environment, net: Network, isn: int) -> None:
        self.env, self.net, self.iss = env, net, isn
        self.inbox = simpy.Store(env)
        self.peer: Peer | None = None
        self.state = "CLOSED"
        self.snd_una = self.snd_nxt = isn
        self.rcv_nxt = 0
        self.unacked: deque[list[Any]] = deque()   # [seq, flags, length, sent_at, retransmitted]
        self.queued = 0                             # bytes the application gave us, unsent
        self.fin_wanted = False
        self.deadline: float | None = None          # retransmission or TIME-WAIT timer
        self.retries = 0
        self.srtt: float | None = None
        self.rttvar = 0.0
        self.rto = RTO_INITIAL
        self.received = 0
        self.waiters: list[tuple[Callable[[Peer], bool], simpy.Event]] = []
        self.kick = env.event()  # the application sent: the process must re-arm its timer

    # -------------------------------------------------- the application's calls
    def listen(self) -> None:
        self.state = "LISTEN"
        self.env.process(self.run())

    def connect(self, peer: Peer) -> None:
        self.peer, self.state = peer, "SYN-SENT"
        self.transmit(SYN, 0)
        self.env.process(self.run())

    def send(self, nbytes: int) -> None:
        self.queued += nbytes
        self.push()
        self.wake()

    def close(self) -> None:
        self.fin_wanted = True
        self.push()
        self.wake()

    def wake(self) -> None:
        if not self.kick.triggered:
            self.kick.succeed()

    def until(self, condition: Callable[[Peer], bool]) -> simpy.Event:
        """An event that fires once ``condition(self)`` holds."""
        event = self.env.event()
        if condition(self):
            event.succeed()
        else:
            self.waiters.append((condition, event))
        return event

    # ------------------------------------------------------------- the process
    def run(self) -> Process:
        while self.state != "CLOSED":
            get = self.inbox.get()
            waits = [get, self.kick]
            if self.deadline is not None:
                waits.append(self.env.timeout(max(0.0, self.deadline - self.env.now)))
            fired = yield self.env.any_of(waits)
            if get not in fired:
                get.cancel()
                if self.kick in fired:
                    self.kick = self.env.event()
                else:
                    self.on_timer()
                continue
            self.on_segment(fired[get])
            self.notify()

    def notify(self) -> None:
        still = []
        for condition, event in self.waiters:
            if condition(self):
                event.succeed()
            else:
                still.append((condition, event))
        self.waiters = still

    # ------------------------------------------------------------- sending
    def transmit(self, flags: int, length: int, remember: bool = True) -> None:
        assert self.peer is not None
        seq = self.snd_nxt
        if flags & (SYN | FIN) or length:
            if remember:
                self.unacked.append([seq, flags, length, self.env.now, False])
                if self.deadline is None:
                    self.deadline = self.env.now + self.rto
            self.snd_nxt += length + (1 if flags & (SYN | FIN) else 0)
        self.net.send((seq, self.rcv_nxt, flags, length), self.peer)

    def push(self) -> None:
        if self.state not in ("ESTABLISHED", "CLOSE-WAIT"):
            return
        while self.queued:
            n = min(MSS, self.queued)
            self.queued -= n
            self.transmit(ACK, n)
        if self.fin_wanted:
            self.fin_wanted = False
            self.state = "FIN-WAIT-1" if self.state == "ESTABLISHED" else "LAST-ACK"
            self.transmit(FIN | ACK, 0)

    def on_timer(self) -> None:
        if self.state == "TIME-WAIT":
            self.state, self.deadline = "CLOSED", None
            return
        self.retries += 1
        if self.retries > MAX_RETRIES:
            self.state, self.deadline = "CLOSED", None
            return
        first = self.unacked[0]
        first[4] = True                                  # Karn: no RTT sample from it
        self.rto = min(2 * self.rto, RTO_MAX)            # RFC 6298 §5.5
        self.deadline = self.env.now + self.rto
        seq, flags, length = first[0], first[1], first[2]
        assert self.peer is not None
        ack = self.rcv_nxt if flags & ACK else 0
        self.net.send((seq, ack, flags, length), self.peer)

    # ------------------------------------------------------------- receiving
    def on_segment(self, segment: Segment) -> None:
        seq, ack, flags, length = segment
        if self.state == "LISTEN":
            if flags & SYN:
                self.rcv_nxt, self.state = seq + 1, "SYN-RECEIVED"
                self.transmit(SYN | ACK, 0)
            return
        if self.state == "SYN-SENT":
            if flags & SYN and flags & ACK and ack == self.iss + 1:
                self.rcv_nxt = seq + 1
                self.acked(ack)
                self.state = "ESTABLISHED"
                self.transmit(ACK, 0, remember=False)
                self.push()
            return
        if flags & ACK:
            self.acked(ack)
        if flags & SYN:                                   # our SYN,ACK's ACK was lost
            self.transmit(ACK, 0, remember=False)
            return
        if not (length or flags & FIN):
            return
        if seq != self.rcv_nxt:                           # out of order or old: ACK again
            self.transmit(ACK, 0, remember=False)
            if self.state == "TIME-WAIT" and flags & FIN:
                self.deadline = self.env.now + 2 * MSL
            return
        self.rcv_nxt += length
        self.received += length
        if flags & FIN:
            self.rcv_nxt += 1
            if self.state == "ESTABLISHED":
                self.state = "CLOSE-WAIT"
            elif self.state == "FIN-WAIT-1":
                self.state = "CLOSING"
            elif self.state == "FIN-WAIT-2":
                self.enter_time_wait()
        self.transmit(ACK, 0, remember=False)

    def acked(self, ack: int) -> None:
        if not self.snd_una < ack <= self.snd_nxt:
            return
        self.snd_una = ack
        while self.unacked and self.unacked[0][0] < ack:
            seq, _, _, sent_at, retransmitted = self.unacked.popleft()
            if not retransmitted:
                self.sample(self.env.now - sent_at)
        self.retries = 0
        self.deadline = self.env.now + self.rto if self.unacked else None  # RFC 6298 §5.3
        if self.snd_una == self.snd_nxt:
            if self.state == "SYN-RECEIVED":
                self.state = "ESTABLISHED"
                self.push()
            elif self.state == "FIN-WAIT-1":
                self.state = "FIN-WAIT-2"
            elif self.state == "CLOSING":
                self.enter_time_wait()
            elif self.state == "LAST-ACK":
                self.state, self.deadline = "CLOSED", None
        elif self.state == "SYN-RECEIVED" and ack == self.iss + 1:
            self.state = "ESTABLISHED"

    def enter_time_wait(self) -> None:
        self.state = "TIME-WAIT"
        self.deadline = self.env.now + 2 * MSL

    def sample(self, rtt: float) -> None:
        """RFC 6298 §2.2-2.5."""
        if self.srtt is None:
            self.srtt, self.rttvar = rtt, rtt / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - rtt)
            self.srtt = 0.875 * self.srtt + 0.125 * rtt
        self.rto = min(max(self.srtt + max(0.001, 4 * self.rttvar), RTO_MIN), RTO_MAX)


def client(a: Peer, b: Peer) -> Process:
    a.connect(b)
    a.send(1000)
    yield a.until(lambda p: p.received >= 1000)
    a.close()


def server(b: Peer) -> Process:
    b.listen()
    yield b.until(lambda p: p.received >= 1000)
    b.send(1000)
    yield b.until(lambda p: p.state == "CLOSE-WAIT")
    b.close()


def lifecycle(seed: int, delay: float = 0.05, jitter: float = 0.02,
              loss: float = 0.1) -> tuple[Peer, Peer, simpy.Environment]:
    """One run of the benchmark's lifecycle; returns the two endpoints and the environment."""
    env = simpy.Environment()
    net = Network(env, delay, jitter, loss, random.Random(seed))
    a, b = Peer(env, net, isn=100), Peer(env, net, isn=300)
    b.peer = a  # where B's segments go: the one network address there is
    env.process(server(b))
    env.process(client(a, b))
    env.run()
    return a, b, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1000)
    runs = parser.parse_args().runs
    start = time.perf_counter()
    both = sum(a.received == 1000 and b.received == 1000 for a, b, _ in map(lifecycle, range(runs)))
    elapsed = time.perf_counter() - start
    print(f"SimPy: {runs} lifecycles in {elapsed:.2f} s = {runs / elapsed:,.0f}/s; "
          f"{both} delivered both messages")


if __name__ == "__main__":
    main()
