"""One TCP endpoint as a sans-I/O state machine (RFC 9293 §3.10).

Theory of operation
-------------------
An :class:`Endpoint` is the Transmission Control Block (TCB) of one socket,
plus the rules that change it.  It has no clock, no network and no random
numbers of its own.  Everything comes in through a method call that carries
the current time ``now``:

* the user's calls -- :meth:`open_passive` (LISTEN), :meth:`open_active`
  (connect), :meth:`send`, :meth:`close`, :meth:`abort`;
* the network -- :meth:`receive` one segment;
* the clock -- :meth:`on_timer` when :attr:`timer_deadline` has come.

Each call returns a list of :mod:`~tcpnb.core.outputs` records: segments to
transmit, state changes, notices for the user, bytes delivered, timers to
set or cancel.  What to do with them (put segments on a link, wake the
endpoint later) is the caller's business -- usually :mod:`tcpnb.sim`.

Arriving segments are processed in the order of RFC 9293 §3.10.7: the
state decides the procedure (CLOSED, LISTEN, SYN-SENT, or "otherwise"), and
in the last case the checks run in the RFC's order: sequence number, RST,
SYN, ACK, text, FIN.  The *next state* always comes from the table in
:mod:`tcpnb.core.states`.

Simplifications, on purpose: no flow or congestion control (a fixed window),
no urgent data, no options, and out-of-order data is dropped rather than
queued (RFC 9293 §3.10.7.4 allows either).  Where the RFC's figures and its
rules disagree, the code says which it follows.
"""

from __future__ import annotations

import enum

from .isn import IsnSource
from .outputs import (
    Delivered,
    Notice,
    Output,
    StateChanged,
    TimerCancelled,
    TimerFired,
    TimerSet,
    Transmit,
)
from .profiles import Profile
from .rto import RtoEstimator
from .segment import Flags, Segment, seq_add, seq_between, seq_diff, seq_lt
from .states import TRANSITIONS, TWO_WAY_TRANSITIONS, State, Trigger, next_state

S = State
RETRANSMISSION, TIME_WAIT, DELAYED_ACK, IDLE = "retransmission", "time-wait", "delayed-ack", "idle"


class Handshake(enum.Enum):
    """Which opening protocol an endpoint speaks."""

    #: TCP: SYN, SYN,ACK, ACK (RFC 9293 §3.5).
    THREE_WAY = "three-way"
    #: NOT TCP: the passive side is open on the SYN; nothing confirms its ISN.
    TWO_WAY = "two-way"


class _Outstanding:
    """A sent segment waiting for its acknowledgment (the retransmission queue)."""

    __slots__ = ("segment", "sent_at", "retransmitted", "end")

    def __init__(self, segment: Segment, sent_at: float, length: int) -> None:
        self.segment, self.sent_at, self.retransmitted = segment, sent_at, False
        self.end = seq_add(segment.seq, length)  # the sequence number after this segment


class Endpoint:
    """The TCB and the event-processing rules of one TCP socket."""

    def __init__(self, port: int, profile: Profile, isn: IsnSource,
                 handshake: Handshake = Handshake.THREE_WAY) -> None:
        self.port = port
        self.profile = profile
        self.isn_source = isn
        self.handshake = handshake
        self._table = TRANSITIONS if handshake is Handshake.THREE_WAY else TWO_WAY_TRANSITIONS
        self.state = State.CLOSED
        self.incarnation = 0
        self.timers: dict[str, float] = {}
        self._out: list[Output] = []
        self._clear_tcb()

    def _clear_tcb(self) -> None:
        """Forget the connection: what "delete the TCB" means (§3.3.2)."""
        self.remote_port: int | None = None
        self.passive = False             # MUST-11: remember how SYN-RECEIVED was reached
        self.iss: int | None = None
        self.irs: int | None = None
        self.snd_una = self.snd_nxt = self.rcv_nxt = 0
        self.send_buffer = bytearray()
        self.unacked: list[_Outstanding] = []
        self.close_requested = False
        self.fin_sent = False
        self.retries = 0
        self.probe_sent = False
        self.recovering = False
        self.ack_pending = False
        self.last_reply_ack = -float("inf")
        self.rto = RtoEstimator(self.profile)

    # ----------------------------------------------------------------- helpers
    @property
    def timer_deadline(self) -> float | None:
        """The earliest time :meth:`on_timer` must be called, or ``None``."""
        return min(self.timers.values(), default=None)

    def _emit(self, output: Output) -> None:
        self._out.append(output)

    def _flush(self) -> list[Output]:
        out, self._out = self._out, []
        return out

    def _move(self, trigger: Trigger) -> None:
        old = self.state
        self.state = next_state(self._table, old, trigger)
        self._emit(StateChanged(old, self.state, trigger.value, self.iss, self.irs))
        if self.state is not S.ESTABLISHED:
            self._cancel_timer(IDLE)

    def _set_timer(self, name: str, deadline: float) -> None:
        self.timers[name] = deadline
        self._emit(TimerSet(name, deadline))

    def _cancel_timer(self, name: str) -> None:
        if self.timers.pop(name, None) is not None:
            self._emit(TimerCancelled(name))

    def _cancel_all_timers(self) -> None:
        for name in list(self.timers):
            self._cancel_timer(name)

    def _segment(self, seq: int, flags: Flags, ack: int = 0, data: bytes = b"") -> Segment:
        return Segment(seq=seq, ack=ack, flags=flags, data=data, window=self.profile.window,
                       src_port=self.port, dst_port=self.remote_port)

    def _transmit(self, segment: Segment, now: float, retransmission: bool = False) -> None:
        """Send ``segment``; keep it for retransmission if it occupies sequence space."""
        if Flags.ACK in segment.flags:
            self.ack_pending = False
            self._cancel_timer(DELAYED_ACK)
        length = segment.seg_len
        if length and not retransmission:
            self.unacked.append(_Outstanding(segment, now, length))
            self.snd_nxt = seq_add(self.snd_nxt, length)
            if RETRANSMISSION not in self.timers:
                self._set_timer(RETRANSMISSION, now + self.rto.rto)
        self._emit(Transmit(segment, retransmission))

    def _send_ack(self) -> None:
        """<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>: the reply the RFC asks for again and again."""
        self._transmit(self._segment(self.snd_nxt, Flags.ACK, self.rcv_nxt), 0.0)

    def _reply_ack(self, now: float) -> None:
        """An ACK in reply to a segment we could not accept, at most one per interval (RFC 5961 §7)."""
        if now - self.last_reply_ack >= self.profile.invalid_ack_interval:
            self.last_reply_ack = now
            self._send_ack()

    def _schedule_ack(self, now: float, fin: bool = False) -> None:
        """Acknowledge received data or FIN, at once or after the delayed-ACK time."""
        delay = self.profile.delayed_fin_ack if fin else self.profile.delayed_ack
        if delay <= 0:
            self._send_ack()
        elif not self.ack_pending:
            self.ack_pending = True
            self._set_timer(DELAYED_ACK, now + delay)

    def _reset_for(self, seg: Segment) -> None:
        """The reply to a segment for a connection that does not exist (§3.10.7.1)."""
        if Flags.RST in seg.flags:
            return
        if self.handshake is Handshake.TWO_WAY and Flags.SYN | Flags.ACK in seg.flags:
            return  # the two-way variant has no message that rejects a stale reply
        if Flags.ACK in seg.flags:
            reply = Segment(seq=seg.ack, flags=Flags.RST, window=0,
                            src_port=seg.dst_port, dst_port=seg.src_port)
        else:
            reply = Segment(seq=0, ack=seq_add(seg.seq, seg.seg_len), flags=Flags.RST | Flags.ACK,
                            window=0, src_port=seg.dst_port, dst_port=seg.src_port)
        self._emit(Transmit(reply))

    def _new_incarnation(self, now: float) -> None:
        self._clear_tcb()
        self.incarnation += 1
        self.iss = self.isn_source.next(now)
        self.snd_una = self.snd_nxt = self.iss

    # -------------------------------------------------------------- user calls
    def open_passive(self, now: float) -> list[Output]:
        """LISTEN for a connection from any remote port (§3.10.1, passive OPEN)."""
        if self.state is not S.CLOSED:
            self._emit(Notice("error: connection already exists"))
        else:
            self._clear_tcb()
            self._move(Trigger.PASSIVE_OPEN)
        return self._flush()

    def open_active(self, remote_port: int, now: float) -> list[Output]:
        """Connect to ``remote_port``: send a SYN and enter SYN-SENT (§3.10.1, active OPEN)."""
        if self.state is not S.CLOSED:
            self._emit(Notice("error: connection already exists"))
            return self._flush()
        self._new_incarnation(now)
        self.remote_port = remote_port
        self._move(Trigger.ACTIVE_OPEN)
        self._transmit(self._segment(self.iss or 0, Flags.SYN), now)
        return self._flush()

    def send(self, data: bytes, now: float) -> list[Output]:
        """Queue ``data`` for the peer (§3.10.2 SEND)."""
        if self.state in (S.CLOSED, S.LISTEN):
            self._emit(Notice("error: connection does not exist" if self.state is S.CLOSED
                              else "error: foreign socket unspecified"))
        elif self.close_requested or self.state in (S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING,
                                                    S.LAST_ACK, S.TIME_WAIT):
            self._emit(Notice("error: connection closing"))
        else:
            self.send_buffer += data
            self._push(now)
        return self._flush()

    def close(self, now: float) -> list[Output]:
        """"I have no more to send" (§3.10.4 CLOSE).  Receiving goes on until the peer's FIN."""
        state = self.state
        if state is S.CLOSED:
            self._emit(Notice("error: connection does not exist"))
        elif state in (S.LISTEN, S.SYN_SENT):
            if self.send_buffer:
                self._emit(Notice("error: closing"))
            self._cancel_all_timers()
            self._move(Trigger.CLOSE)
            self._clear_tcb()
        elif self.close_requested or state in (S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING,
                                               S.LAST_ACK, S.TIME_WAIT):
            self._emit(Notice("error: connection closing"))
        else:  # SYN-RECEIVED, ESTABLISHED, CLOSE-WAIT: FIN goes after the queued data
            self.close_requested = True
            if state is not S.SYN_RECEIVED or not self.send_buffer:
                self._move(Trigger.CLOSE)
            self._push(now)
        return self._flush()

    def abort(self, now: float) -> list[Output]:
        """Drop the connection at once, telling the peer with a RST where needed (§3.10.5)."""
        if self.state is S.CLOSED:
            self._emit(Notice("error: connection does not exist"))
            return self._flush()
        if self.state in (S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT):
            self._emit(Transmit(self._segment(self.snd_nxt, Flags.RST)))
        self._cancel_all_timers()
        self._move(Trigger.ABORT)
        self._clear_tcb()
        return self._flush()

    def crash(self, now: float) -> list[Output]:
        """The host reboots: every bit of state is lost and nothing is sent (§3.5.1)."""
        self._cancel_all_timers()
        old, self.state = self.state, S.CLOSED
        self._clear_tcb()
        if old is not S.CLOSED:
            self._emit(StateChanged(old, S.CLOSED, "reboot (all state lost)"))
        return self._flush()

    def _push(self, now: float) -> None:
        """Segmentize queued data, then the FIN once the data is out (§3.10.2, §3.10.4)."""
        if self.state not in (S.ESTABLISHED, S.CLOSE_WAIT, S.FIN_WAIT_1, S.LAST_ACK):
            return
        while self.send_buffer:
            in_flight = seq_diff(self.snd_nxt, self.snd_una)
            room = min(self.profile.mss, self.profile.window - in_flight)
            if room <= 0:
                return
            chunk = bytes(self.send_buffer[:room])
            del self.send_buffer[:room]
            self._transmit(self._segment(self.snd_nxt, Flags.ACK, self.rcv_nxt, chunk), now)
        if self.close_requested and not self.fin_sent:
            self.fin_sent = True
            self._transmit(self._segment(self.snd_nxt, Flags.FIN | Flags.ACK, self.rcv_nxt), now)

    # ------------------------------------------------------------------ timers
    def on_timer(self, now: float) -> list[Output]:
        """Act on every timer whose deadline is ``now`` or earlier (§3.10.8)."""
        for name, deadline in sorted(self.timers.items(), key=lambda item: item[1]):
            if deadline <= now and self.timers.get(name) == deadline:
                del self.timers[name]
                self._emit(TimerFired(name))
                getattr(self, "_on_" + name.replace("-", "_"))(now)
        return self._flush()

    def _on_time_wait(self, now: float) -> None:
        self._move(Trigger.TIMEOUT_2MSL)
        self._clear_tcb()

    def _on_delayed_ack(self, now: float) -> None:
        if self.ack_pending:
            self._send_ack()

    def _on_idle(self, now: float) -> None:
        self._emit(Notice("connection reclaimed: nothing arrived (two-way variant)"))
        self._cancel_all_timers()
        self._move(Trigger.IDLE_TIMEOUT)
        self._clear_tcb()

    def _on_retransmission(self, now: float) -> None:
        if not self.unacked:
            return
        limit = {S.SYN_SENT: self.profile.syn_retries,
                 S.SYN_RECEIVED: self.profile.synack_retries}.get(self.state,
                                                                  self.profile.data_retries)
        if self.retries >= limit:
            self._give_up()
            return
        if self.profile.tail_loss_probe and self.state.synchronized and not self.probe_sent:
            self.probe_sent = True  # RFC 8985 §7: probe with the last segment, no backoff
            self._retransmit(self.unacked[-1], now)
            return
        self.retries += 1
        self.recovering = True
        linear = self.state is S.SYN_SENT and self.retries <= self.profile.syn_linear_timeouts
        if not linear:
            self.rto.back_off()
        self._retransmit(self.unacked[0], now)

    def _retransmit(self, outstanding: _Outstanding, now: float) -> None:
        """Send ``outstanding`` again (with a fresh ACK field) and re-arm the timer."""
        outstanding.retransmitted = True
        segment = outstanding.segment
        if Flags.ACK in segment.flags and Flags.SYN not in segment.flags:
            segment = self._segment(segment.seq, segment.flags, self.rcv_nxt, segment.data)
        self._set_timer(RETRANSMISSION, now + self.rto.rto)
        self._transmit(segment, now, retransmission=True)

    def _give_up(self) -> None:
        """Too many retransmissions: close the connection (§3.8.3, RFC 1122 §4.2.3.5)."""
        self._cancel_all_timers()
        if self.state is S.SYN_RECEIVED and self.passive:
            self._move(Trigger.GIVE_UP_AFTER_PASSIVE_OPEN)
        else:
            self._emit(Notice("error: connection timed out"))
            self._move(Trigger.GIVE_UP)
        self._clear_tcb()

    # ---------------------------------------------------------------- arrivals
    def receive(self, seg: Segment, now: float) -> list[Output]:
        """Process one arriving segment (RFC 9293 §3.10.7, SEGMENT ARRIVES)."""
        if self.state is S.CLOSED or (self.state is not S.LISTEN
                                      and seg.src_port != self.remote_port):
            self._reset_for(seg)
        elif self.state is S.LISTEN:
            self._receive_in_listen(seg, now)
        elif self.state is S.SYN_SENT:
            self._receive_in_syn_sent(seg, now)
        else:
            self._receive_otherwise(seg, now)
        return self._flush()

    def _receive_in_listen(self, seg: Segment, now: float) -> None:
        """§3.10.7.2: ignore RST, reset an ACK, answer a SYN with SYN,ACK."""
        if Flags.RST in seg.flags:
            return
        if Flags.ACK in seg.flags:
            self._reset_for(seg)
            return
        if Flags.SYN not in seg.flags:
            return
        self._new_incarnation(now)
        self.passive = True
        self.remote_port = seg.src_port
        self.irs = seg.seq
        self.rcv_nxt = seq_add(seg.seq, 1)
        synack = self._segment(self.iss or 0, Flags.SYN | Flags.ACK, self.rcv_nxt)
        self._move(Trigger.RCV_SYN)
        if self.handshake is Handshake.TWO_WAY:
            self._open_without_confirmation(seg, synack, now)
        else:
            self._transmit(synack, now)  # data on a SYN is not kept (a simplification)

    def _open_without_confirmation(self, seg: Segment, synack: Segment, now: float) -> None:
        """NOT TCP: the two-way variant counts the connection open on the SYN alone."""
        self.snd_nxt = seq_add(self.snd_una, 1)
        if seg.data:
            self.rcv_nxt = seq_add(self.rcv_nxt, seg.length)
            self._emit(Delivered(seg.data))
            synack = self._segment(synack.seq, synack.flags, self.rcv_nxt)
        self._emit(Transmit(synack))
        self._set_timer(IDLE, now + self.profile.idle_timeout)

    def _receive_in_syn_sent(self, seg: Segment, now: float) -> None:
        """§3.10.7.3: check the ACK against our ISN, then RST, then SYN."""
        flags = seg.flags
        ack_ok = False
        if Flags.ACK in flags:
            if not seq_between(self.snd_una, seg.ack, self.snd_nxt):
                if self.handshake is Handshake.TWO_WAY:
                    return
                if Flags.RST not in flags:  # e.g. Figure 8 line 5: <SEQ=91><CTL=RST>
                    self._emit(Transmit(self._segment(seg.ack, Flags.RST)))
                return
            ack_ok = True
        if Flags.RST in flags:
            if ack_ok:
                self._emit(Notice("error: connection refused"))
                self._cancel_all_timers()
                self._move(Trigger.RCV_RST)
                self._clear_tcb()
            return
        if Flags.SYN not in flags:
            return
        self.irs = seg.seq
        self.rcv_nxt = seq_add(seg.seq, 1)
        if ack_ok:
            self._acknowledge(seg.ack, now)
            self._move(Trigger.RCV_SYN_ACK)
            if self.handshake is Handshake.THREE_WAY:
                self._send_ack()
            self._push(now)
        else:  # simultaneous open (Figure 7): answer with our SYN again, now with an ACK
            self._move(Trigger.RCV_SYN)
            self.unacked.clear()
            self.snd_nxt = self.iss or 0
            self._transmit(self._segment(self.snd_nxt, Flags.SYN | Flags.ACK, self.rcv_nxt), now)

    def _acceptable(self, seg: Segment) -> bool:
        """§3.10.7.4 "first, check sequence number": does any of it fall in the window?"""
        window, length = self.profile.window, seg.seg_len
        start = seq_diff(seg.seq, self.rcv_nxt)
        if length == 0:
            return start == 0 if window == 0 else 0 <= start < window
        return window > 0 and (0 <= start < window or 0 <= start + length - 1 < window)

    def _receive_otherwise(self, seg: Segment, now: float) -> None:
        """§3.10.7.4, for SYN-RECEIVED and every synchronized state."""
        flags = seg.flags
        if self._special_case(seg, now):
            return
        if not self._acceptable(seg):
            if Flags.RST not in flags:
                self._reply_ack(now)
            return
        if Flags.RST in flags:
            self._receive_rst(seg, now)
            return
        if Flags.SYN in flags:
            self._receive_syn(now)
            return
        if Flags.ACK not in flags:
            return
        if not self._receive_ack(seg, now):
            return
        self._receive_text_and_fin(seg, now)

    def _special_case(self, seg: Segment, now: float) -> bool:
        """Three arrivals the general checks would mishandle; True if handled here."""
        flags = seg.flags
        if self.state is S.TIME_WAIT and Flags.FIN in flags and Flags.RST not in flags:
            # §3.10.7.4 fifth/eighth step: re-ACK a retransmitted FIN, restart the 2 MSL timer.
            self._send_ack()
            self._set_timer(TIME_WAIT, now + self.profile.time_wait_length)
            return True
        if (self.state is S.SYN_RECEIVED and Flags.SYN in flags and Flags.RST not in flags
                and seg.seq == self.irs):
            if Flags.ACK in flags and not self.passive and seq_between(self.snd_una, seg.ack,
                                                                        self.snd_nxt):
                # Simultaneous open, Figure 7 lines 6-7: the peer's SYN,ACK completes the
                # handshake.  The strict §3.10.7.4 checks would drop it as a duplicate and
                # answer with an ACK (RFC 793's line 7); we follow RFC 9293's figure, as
                # Linux does since 6.11 (commit 23e89e8ee7be).
                self._acknowledge(seg.ack, now)
                self._move(Trigger.RCV_ACK_OF_SYN)
                self._push(now)
                return True
            if self.profile.synack_on_duplicate_syn and Flags.ACK not in flags:
                self._retransmit_synack(now)
                return True
        if (self.handshake is Handshake.TWO_WAY and self.passive and Flags.SYN in flags
                and Flags.ACK not in flags and seg.seq == self.irs):
            self._emit(Transmit(self._segment(self.iss or 0, Flags.SYN | Flags.ACK,
                                              self.rcv_nxt)))
            return True  # two-way: a repeated SYN gets the reply again
        return False

    def _retransmit_synack(self, now: float) -> None:
        if self.unacked:
            self._emit(Transmit(self._segment(self.iss or 0, Flags.SYN | Flags.ACK, self.rcv_nxt),
                                retransmission=True))

    def _receive_rst(self, seg: Segment, now: float) -> None:
        """§3.10.7.4 "second, check the RST bit" (with RFC 5961's exact-match rule)."""
        state = self.state
        if state is S.SYN_RECEIVED:
            self._cancel_all_timers()
            if self.passive:  # Figure 8 line 5: back to LISTEN
                self._move(Trigger.RCV_RST_AFTER_PASSIVE_OPEN)
                self._clear_tcb()
                return
            self._emit(Notice("error: connection refused"))
        elif seg.seq != self.rcv_nxt:
            self._reply_ack(now)  # RFC 5961 §3.2 challenge ACK: in window but not exact
            return
        elif state is S.TIME_WAIT and self.profile.rfc1337:
            return  # RFC 1337 fix F1: TIME-WAIT ignores RST
        elif state in (S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT):
            self._emit(Notice("error: connection reset"))
        self._cancel_all_timers()
        self._move(Trigger.RCV_RST)
        self._clear_tcb()

    def _receive_syn(self, now: float) -> None:
        """§3.10.7.4 "fourth, check the SYN bit"."""
        if self.state is S.SYN_RECEIVED and self.passive:
            self._cancel_all_timers()
            self._move(Trigger.RCV_RST_AFTER_PASSIVE_OPEN)  # "return to the LISTEN state"
            self._clear_tcb()
        else:
            self._reply_ack(now)  # RFC 5961 §4: challenge ACK, drop the segment

    def _acknowledge(self, ack: int, now: float) -> None:
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
                self._retransmit(outstanding, now)
        if self.unacked:
            self._set_timer(RETRANSMISSION, now + self.rto.rto)  # RFC 6298 §5.3
        else:
            self._cancel_timer(RETRANSMISSION)

    @property
    def _fin_acked(self) -> bool:
        return self.fin_sent and self.snd_una == self.snd_nxt

    def _receive_ack(self, seg: Segment, now: float) -> bool:
        """§3.10.7.4 "fifth, check the ACK field"; False if processing stops here."""
        ack = seg.ack
        if self.state is S.SYN_RECEIVED:
            if not seq_between(self.snd_una, ack, self.snd_nxt):
                self._emit(Transmit(self._segment(ack, Flags.RST)))
                return False
            self._acknowledge(ack, now)
            self._move(Trigger.RCV_ACK_OF_SYN)
            if self.close_requested:
                self._move(Trigger.CLOSE)
            self._push(now)
            return True
        if seq_between(self.snd_una, ack, self.snd_nxt):
            self._acknowledge(ack, now)
        elif seq_lt(self.snd_nxt, ack):
            self._reply_ack(now)  # acknowledges something not yet sent
            return False
        if self.handshake is Handshake.TWO_WAY and IDLE in self.timers:
            self._set_timer(IDLE, now + self.profile.idle_timeout)
        if self._fin_acked:
            fin_follows = Flags.FIN in seg.flags
            if self.state is S.FIN_WAIT_1 and not fin_follows:
                self._move(Trigger.RCV_ACK_OF_FIN)
            elif self.state is S.CLOSING:
                self._enter_time_wait(Trigger.RCV_ACK_OF_FIN, now)
            elif self.state is S.LAST_ACK:
                self._move(Trigger.RCV_ACK_OF_FIN)
                self._clear_tcb()
                return False
        self._push(now)
        return True

    def _receive_text_and_fin(self, seg: Segment, now: float) -> None:
        """§3.10.7.4 "seventh, process the segment text" and "eighth, check the FIN bit"."""
        data, seq = seg.data, seg.seq
        behind = seq_diff(self.rcv_nxt, seq)  # bytes already received at the front
        if behind > 0:
            data, seq = data[behind:], self.rcv_nxt
        if seq != self.rcv_nxt:
            if data or Flags.FIN in seg.flags:
                self._reply_ack(now)  # out of order: not kept (a simplification); ask again
            return
        if data and self.state in (S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2):
            self.rcv_nxt = seq_add(self.rcv_nxt, len(data))
            self._emit(Delivered(data))
            if Flags.FIN not in seg.flags:
                self._schedule_ack(now)
        if Flags.FIN not in seg.flags:
            return
        if self.state in (S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK):
            self._send_ack()  # a retransmitted FIN: already counted
            return
        self.rcv_nxt = seq_add(self.rcv_nxt, 1)
        self._emit(Notice("connection closing"))
        if self.state in (S.SYN_RECEIVED, S.ESTABLISHED):
            self._move(Trigger.RCV_FIN)
            self._schedule_ack(now, fin=True)
        elif self.state is S.FIN_WAIT_1 and self._fin_acked:
            self._enter_time_wait(Trigger.RCV_FIN_AND_ACK_OF_FIN, now, ack=True)
        elif self.state is S.FIN_WAIT_1:
            self._move(Trigger.RCV_FIN)
            self._send_ack()
        elif self.state is S.FIN_WAIT_2:
            self._enter_time_wait(Trigger.RCV_FIN, now, ack=True)

    def _enter_time_wait(self, trigger: Trigger, now: float, ack: bool = False) -> None:
        self._move(trigger)
        if ack:
            self._send_ack()
        self._cancel_all_timers()
        self._set_timer(TIME_WAIT, now + self.profile.time_wait_length)
