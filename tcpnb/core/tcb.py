"""The Transmission Control Block: one connection's variables and the actions the rules share.

RFC 9293 §3.3.1 lists what a TCB remembers: the send sequence variables
(SND.UNA, SND.NXT, ISS), the receive ones (RCV.NXT, IRS), the queues and the
timers.  :class:`Tcb` holds them, and the few actions that the user calls
(:mod:`tcpnb.core.endpoint`) and the processing of arriving segments
(:mod:`tcpnb.core.arrivals`) both need: send a segment, acknowledge, push
queued data and the FIN out, set a timer, move to the next state.

Nothing is sent or scheduled here.  Each action appends an output record
(:mod:`tcpnb.core.outputs`); the caller collects them with :meth:`Tcb.flush`.
"""

from __future__ import annotations

import enum

from .isn import IsnSource
from .outputs import (
    Notice,
    Output,
    StateChanged,
    Timer,
    TimerCancelled,
    TimerSet,
    Transmit,
)
from .profiles import Profile
from .rto import RtoEstimator
from .segment import ACK, FIN, RST, SYN, Flags, Segment, seq_add, seq_diff, seq_lt
from .states import (
    CLOSE_WAIT,
    CLOSING,
    ESTABLISHED,
    FIN_WAIT_1,
    LAST_ACK,
    TRANSITIONS,
    TWO_WAY_TRANSITIONS,
    State,
    Trigger,
    next_state,
)


class Handshake(enum.Enum):
    """Which opening protocol an endpoint speaks."""

    #: TCP: SYN, SYN,ACK, ACK (RFC 9293 §3.5).
    THREE_WAY = "three-way"
    #: NOT TCP: the passive side is open on the SYN; nothing confirms its ISN.
    TWO_WAY = "two-way"


#: States in which queued data (and then the FIN) may be sent (§3.10.2, §3.10.4).
_SENDING = (ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK)


class Outstanding:
    """A sent segment waiting for its acknowledgment (one entry of the retransmission queue)."""

    __slots__ = ("segment", "sent_at", "retransmitted", "end")

    def __init__(self, segment: Segment, sent_at: float, length: int) -> None:
        self.segment, self.sent_at, self.retransmitted = segment, sent_at, False
        self.end = seq_add(segment.seq, length)  # the sequence number after this segment


class Tcb:
    """The variables of one connection (RFC 9293 §3.3.1) and the actions the rules share."""

    def __init__(self, port: int, profile: Profile, isn: IsnSource,
                 handshake: Handshake = Handshake.THREE_WAY) -> None:
        self.port = port
        self.profile = profile
        self.isn_source = isn
        self.handshake = handshake
        self.table = TRANSITIONS if handshake is Handshake.THREE_WAY else TWO_WAY_TRANSITIONS
        self.state = State.CLOSED
        self.incarnation = 0
        #: True for a TCB a listening socket made for one connection (the sockets
        #: API's accept()): where the RFC returns to LISTEN, this one is deleted.
        self.accepted = False
        self.timers: dict[Timer, float] = {}
        self._out: list[Output] = []
        self.clear()

    def clear(self) -> None:
        """Forget the connection: what "delete the TCB" means (§3.3.2)."""
        self.remote_port: int | None = None
        self.passive = False             # MUST-11: remember how SYN-RECEIVED was reached
        self.iss: int | None = None
        self.irs: int | None = None
        self.snd_una = self.snd_nxt = self.rcv_nxt = 0
        self.send_buffer = bytearray()
        self.unacked: list[Outstanding] = []
        self.close_requested = False     # CLOSE was called: a FIN follows the queued data
        self.read_closed = False         # the socket close(): data that arrives draws a RST
        self.fin_sent = False
        self.retries = 0
        self.probe_sent = False
        self.recovering = False
        self.ack_pending = False
        self.last_limited_ack = -float("inf")
        self.rto = RtoEstimator(self.profile)

    # ------------------------------------------------------------- outputs
    @property
    def timer_deadline(self) -> float | None:
        """The earliest time ``on_timer`` must be called, or ``None``."""
        return min(self.timers.values(), default=None)

    def emit(self, output: Output) -> None:
        self._out.append(output)

    def flush(self) -> list[Output]:
        """The outputs since the last flush, in the order they happened."""
        out, self._out = self._out, []
        return out

    def move(self, trigger: Trigger) -> None:
        """Enter the state the table gives for ``trigger``."""
        old = self.state
        self.state = next_state(self.table, old, trigger)
        self.emit(StateChanged(old, self.state, trigger, self.iss, self.irs))
        if self.state is not ESTABLISHED:
            self.cancel_timer(Timer.IDLE)

    def delete(self, trigger: Trigger, notice: str = "") -> None:
        """Tell the user ``notice`` (if any), stop every timer, move on ``trigger``, forget all."""
        if notice:
            self.emit(Notice(notice))
        self.cancel_all_timers()
        self.move(trigger)
        self.clear()

    def return_to_listen(self, trigger: Trigger) -> None:
        """The RFC's "return to the LISTEN state" (Figure 5 note 1, §3.10.7.4).

        A TCB that a listening socket made for one connection (:attr:`accepted`)
        is deleted instead: its listening socket never stopped listening.
        """
        self.delete(trigger)
        if self.accepted:
            self.move(Trigger.CLOSE)

    def set_timer(self, timer: Timer, deadline: float) -> None:
        self.timers[timer] = deadline
        self.emit(TimerSet(timer, deadline))

    def cancel_timer(self, timer: Timer) -> None:
        if self.timers.pop(timer, None) is not None:
            self.emit(TimerCancelled(timer))

    def cancel_all_timers(self) -> None:
        for timer in list(self.timers):
            self.cancel_timer(timer)

    # ------------------------------------------------------------ segments
    def segment(self, seq: int, flags: Flags, ack: int = 0, data: bytes = b"") -> Segment:
        """A segment of this connection, with our window and ports."""
        return Segment(seq=seq, ack=ack, flags=flags, data=data, window=self.profile.window,
                       src_port=self.port, dst_port=self.remote_port)

    def transmit(self, segment: Segment, now: float, retransmission: bool = False) -> None:
        """Send ``segment``; keep it for retransmission if it occupies sequence space."""
        if ACK in segment.flags:
            self.ack_pending = False
            self.cancel_timer(Timer.DELAYED_ACK)
        length = segment.seg_len
        if length and not retransmission:
            self.unacked.append(Outstanding(segment, now, length))
            self.snd_nxt = seq_add(self.snd_nxt, length)
            if Timer.RETRANSMISSION not in self.timers:
                self.set_timer(Timer.RETRANSMISSION, now + self.rto.rto)
        self.emit(Transmit(segment, retransmission))

    def send_ack(self) -> None:
        """<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>: the reply the RFC asks for again and again."""
        self.transmit(self.segment(self.snd_nxt, ACK, self.rcv_nxt), 0.0)

    def _throttled(self, interval: float, now: float) -> bool:
        """Is an ACK of a rate-limited kind due less than ``interval`` after the last one?"""
        if interval <= 0:
            return False
        if now - self.last_limited_ack < interval:
            return True
        self.last_limited_ack = now
        return False

    def ack_unacceptable(self, seg: Segment, now: float) -> None:
        """The ACK that answers a segment outside the window (§3.10.7.4, first check).

        RFC 9293 sends one for every such segment.  Linux limits those that answer a
        segment without data (or a SYN): "Data packets without SYNs are not likely
        part of an ACK loop" (tcp_oow_rate_limited()); ``invalid_ack_interval``.
        """
        loop_prone = seg.seg_len == 0 or SYN in seg.flags
        if not (loop_prone and self._throttled(self.profile.invalid_ack_interval, now)):
            self.send_ack()

    def challenge_ack(self, now: float) -> None:
        """RFC 5961's challenge ACK, at most one per ``challenge_ack_interval`` (RFC 5961 §7)."""
        if not self._throttled(self.profile.challenge_ack_interval, now):
            self.send_ack()

    def schedule_ack(self, now: float, fin: bool = False) -> None:
        """Acknowledge received data or FIN, at once or after the delayed-ACK time (§3.8.6.3)."""
        delay = self.profile.delayed_fin_ack if fin else self.profile.delayed_ack
        if delay <= 0:
            self.send_ack()
        elif not self.ack_pending:
            self.ack_pending = True
            self.set_timer(Timer.DELAYED_ACK, now + delay)

    def reset_for(self, seg: Segment) -> None:
        """The RST that answers a segment for no connection (§3.10.7.1, §3.5.2 case 1)."""
        if RST in seg.flags:
            return
        if ACK in seg.flags:
            reply = Segment(seq=seg.ack, flags=RST, window=0,
                            src_port=seg.dst_port, dst_port=seg.src_port)
        else:
            reply = Segment(seq=0, ack=seq_add(seg.seq, seg.seg_len), flags=RST | ACK,
                            window=0, src_port=seg.dst_port, dst_port=seg.src_port)
        self.emit(Transmit(reply))

    def new_incarnation(self, now: float) -> None:
        """A fresh TCB with a new ISS from the ISN source (§3.4.1)."""
        self.clear()
        self.incarnation += 1
        self.iss = self.isn_source.next(now)
        self.snd_una = self.snd_nxt = self.iss

    # ------------------------------------------------------ sending the data
    def push(self, now: float) -> None:
        """Segmentize queued data, then the FIN once the data is out (§3.10.2, §3.10.4).

        Queued data goes out in every state where our FIN is not yet sent, including
        FIN-WAIT-1, CLOSING and LAST-ACK: CLOSE means "queue a FIN after the data".
        """
        if self.state not in _SENDING:
            return
        while self.send_buffer:
            in_flight = seq_diff(self.snd_nxt, self.snd_una)
            room = min(self.profile.mss, self.profile.window - in_flight)
            if room <= 0:
                return
            chunk = bytes(self.send_buffer[:room])
            del self.send_buffer[:room]
            self.transmit(self.segment(self.snd_nxt, ACK, self.rcv_nxt, chunk), now)
        if self.close_requested and not self.fin_sent:
            self.fin_sent = True
            self.transmit(self.segment(self.snd_nxt, FIN | ACK, self.rcv_nxt), now)

    def acknowledge(self, ack: int, now: float) -> None:
        """SND.UNA = SEG.ACK: drop acknowledged segments, measure RTT, manage the timer."""
        self.snd_una = ack
        progressed = False
        while self.unacked and not seq_lt(ack, self.unacked[0].end):
            done = self.unacked.pop(0)
            progressed = True
            if not done.retransmitted:  # Karn's algorithm
                self.rto.sample(now - done.sent_at)
        if not progressed:
            return
        self.retries = 0
        self.probe_sent = False
        if self.recovering:
            # After a timeout the rest of the window was most likely lost too (our
            # receiver drops out-of-order data): send it all again from SND.UNA, as
            # a sender restarting from one segment would (RFC 5681 §3.1).
            self.recovering = False
            for outstanding in self.unacked:
                self.retransmit(outstanding, now)
        if self.unacked:
            self.set_timer(Timer.RETRANSMISSION, now + self.rto.rto)  # RFC 6298 §5.3
        else:
            self.cancel_timer(Timer.RETRANSMISSION)

    def retransmit(self, outstanding: Outstanding, now: float) -> None:
        """Send ``outstanding`` again (with a fresh ACK field) and re-arm the timer."""
        outstanding.retransmitted = True
        segment = outstanding.segment
        if ACK in segment.flags and SYN not in segment.flags:
            segment = self.segment(segment.seq, segment.flags, self.rcv_nxt, segment.data)
        self.set_timer(Timer.RETRANSMISSION, now + self.rto.rto)
        self.transmit(segment, now, retransmission=True)

    @property
    def fin_acked(self) -> bool:
        """Our FIN is sent and acknowledged."""
        return self.fin_sent and self.snd_una == self.snd_nxt

    def enter_time_wait(self, trigger: Trigger, now: float, ack: bool = False) -> None:
        """Move to TIME-WAIT, send the ACK if asked, and run only the 2 x MSL timer."""
        self.move(trigger)
        if ack:
            self.send_ack()
        self.cancel_all_timers()
        self.set_timer(Timer.TIME_WAIT, now + self.profile.time_wait_length)
