"""One TCP endpoint as a sans-I/O state machine: the user's calls, the timeouts, and arrivals.

Theory of operation
-------------------
An :class:`Endpoint` is the Transmission Control Block (TCB) of one socket
(:class:`~tcpnb.core.tcb.Tcb`), plus the rules that change it.  It has no
clock, no network and no random numbers of its own.  Everything comes in
through a method call that carries the current time ``now``:

* the user's calls (RFC 9293 §3.10.1-§3.10.6) -- :meth:`open_passive` (LISTEN),
  :meth:`open_active` (connect), :meth:`send`, :meth:`shutdown` (the RFC's CLOSE),
  :meth:`close` (the sockets API's close()), :meth:`abort`, and :meth:`crash`;
* the network -- :meth:`receive` one segment (§3.10.7, in :mod:`tcpnb.core.arrivals`);
* the clock -- :meth:`on_timer` when :attr:`timer_deadline` has come (§3.10.8).

Each call returns a list of :mod:`~tcpnb.core.outputs` records: segments to
transmit, state changes, notices for the user, bytes delivered, timers to
set or cancel.  What to do with them (put segments on a link, wake the
endpoint later) is the caller's business -- usually :mod:`tcpnb.sim`.

Simplifications, on purpose: no flow or congestion control (a fixed window),
no urgent data, no options, and out-of-order data is dropped rather than
queued (RFC 9293 §3.10.7.4 allows either).  The application reads every byte
the moment it arrives.  Where the RFC's figures and its rules disagree, the
code says which it follows.
"""

from __future__ import annotations

from . import arrivals
from .isn import IsnSource
from .outputs import Notice, Output, StateChanged, Timer, TimerFired, Transmit
from .profiles import Profile
from .segment import Flags, Segment
from .states import HostEvent, State, Trigger
from .tcb import Handshake, Tcb

__all__ = ["Endpoint", "Handshake"]

S = State
#: States in which CLOSE has already been called or the FIN has come and gone.
_CLOSING = (S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSING, S.LAST_ACK, S.TIME_WAIT)


class Endpoint(Tcb):
    """The TCB and the event-processing rules of one TCP socket."""

    # ------------------------------------------------------------ user calls
    def open_passive(self, now: float) -> list[Output]:
        """LISTEN for a connection from any remote port (§3.10.1, passive OPEN)."""
        if self.state is not S.CLOSED:
            self.emit(Notice("error: connection already exists"))
        else:
            self.clear()
            self.move(Trigger.PASSIVE_OPEN)
        return self.flush()

    def open_active(self, remote_port: int, now: float) -> list[Output]:
        """Connect to ``remote_port``: send a SYN and enter SYN-SENT (§3.10.1, active OPEN)."""
        if self.state is not S.CLOSED:
            self.emit(Notice("error: connection already exists"))
            return self.flush()
        self.new_incarnation(now)
        self.remote_port = remote_port
        self.move(Trigger.ACTIVE_OPEN)
        self.transmit(self.segment(self.iss or 0, Flags.SYN), now)
        return self.flush()

    def accept_copy(self) -> Endpoint:
        """A new TCB in LISTEN on this port, for one incoming connection.

        What a listening socket of the sockets API does for each SYN (the
        connection accept() returns later): the listener stays in LISTEN and the
        copy handles the connection.  RFC 9293 describes one TCB per connection
        (§3.3.1) and says nothing of how a server keeps listening; this is the
        model's choice, after the sockets API.  The copy draws its ISN from the
        same source and, where the RFC returns to LISTEN, is deleted instead.
        """
        copy = Endpoint(self.port, self.profile, self.isn_source, self.handshake)
        copy.state, copy.accepted = S.LISTEN, True
        return copy

    def send(self, data: bytes, now: float) -> list[Output]:
        """Queue ``data`` for the peer (§3.10.2 SEND)."""
        if self.state in (S.CLOSED, S.LISTEN):
            self.emit(Notice("error: connection does not exist" if self.state is S.CLOSED
                             else "error: foreign socket unspecified"))
        elif self.close_requested or self.state in _CLOSING:
            self.emit(Notice("error: connection closing"))
        else:
            self.send_buffer += data
            self.push(now)
        return self.flush()

    def shutdown(self, now: float) -> list[Output]:
        """RFC 9293's CLOSE (§3.10.4): "I have no more to send"; receiving goes on.

        The sockets API calls this ``shutdown(SHUT_WR)``.  The FIN follows the
        queued data; the endpoint keeps delivering what the peer sends until the
        peer's FIN.
        """
        state = self.state
        if state is S.CLOSED:
            self.emit(Notice("error: connection does not exist"))
        elif state in (S.LISTEN, S.SYN_SENT):
            if self.send_buffer:
                self.emit(Notice("error: closing"))
            self.delete(Trigger.CLOSE)
        elif self.close_requested or state in _CLOSING:
            self.emit(Notice("error: connection closing"))
        else:  # SYN-RECEIVED, ESTABLISHED, CLOSE-WAIT: FIN goes after the queued data
            self.close_requested = True
            if state is not S.SYN_RECEIVED or not self.send_buffer:
                self.move(Trigger.CLOSE)
            self.push(now)
        return self.flush()

    def close(self, now: float) -> list[Output]:
        """The sockets API's close(): RFC 9293's half-duplex close (§3.6.1, MAY-1).

        Like :meth:`shutdown` it sends a FIN after the queued data, but the
        application reads nothing more: data that arrives afterwards draws a RST
        (SHLD-3, "to show that data was lost") and the connection is gone.  After
        :meth:`shutdown`, close() only stops the reading.
        """
        if self.close_requested or self.state in _CLOSING:
            self.read_closed = True  # the FIN is already on its way
            return self.flush()
        out = self.shutdown(now)
        self.read_closed = self.state is not S.CLOSED
        return out + self.flush()

    def abort(self, now: float) -> list[Output]:
        """Drop the connection at once, telling the peer with a RST where needed (§3.10.5)."""
        if self.state is S.CLOSED:
            self.emit(Notice("error: connection does not exist"))
            return self.flush()
        if self.state in (S.SYN_RECEIVED, S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT):
            self.emit(Transmit(self.segment(self.snd_nxt, Flags.RST)))
        self.delete(Trigger.ABORT)
        return self.flush()

    def crash(self, now: float) -> list[Output]:
        """The host reboots: every bit of state is lost and nothing is sent (§3.5.1)."""
        self.cancel_all_timers()
        old, self.state = self.state, S.CLOSED
        self.clear()
        if old is not S.CLOSED:
            self.emit(StateChanged(old, S.CLOSED, HostEvent.REBOOT))
        return self.flush()

    # --------------------------------------------------------------- arrivals
    def receive(self, seg: Segment, now: float) -> list[Output]:
        """Process one arriving segment (RFC 9293 §3.10.7, SEGMENT ARRIVES)."""
        arrivals.segment_arrives(self, seg, now)
        return self.flush()

    # ----------------------------------------------------------------- timers
    def on_timer(self, now: float) -> list[Output]:
        """Act on every timer whose deadline is ``now`` or earlier (§3.10.8)."""
        for timer, deadline in sorted(self.timers.items(), key=lambda item: item[1]):
            if deadline <= now and self.timers.get(timer) == deadline:
                del self.timers[timer]
                self.emit(TimerFired(timer))
                self._timeout(timer, now)
        return self.flush()

    def _timeout(self, timer: Timer, now: float) -> None:
        if timer is Timer.RETRANSMISSION:
            self._retransmission_timeout(now)
        elif timer is Timer.TIME_WAIT:  # "delete the TCB, enter the CLOSED state"
            self.move(Trigger.TIMEOUT_2MSL)
            self.clear()
        elif timer is Timer.DELAYED_ACK:
            if self.ack_pending:
                self.send_ack()
        else:  # Timer.IDLE: the two-way variant (not TCP) reclaims the connection
            self.delete(Trigger.IDLE_TIMEOUT,
                        "connection reclaimed: nothing arrived (two-way variant)")

    def _retransmission_timeout(self, now: float) -> None:
        """Resend the oldest unacknowledged segment, or give up (§3.8.1, §3.8.3)."""
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
            self.retransmit(self.unacked[-1], now)
            return
        self.retries += 1
        self.recovering = True
        linear = self.state is S.SYN_SENT and self.retries <= self.profile.syn_linear_timeouts
        if not linear:
            self.rto.back_off()
        self.retransmit(self.unacked[0], now)

    def _give_up(self) -> None:
        """Too many retransmissions: close the connection (§3.8.3, RFC 1122 §4.2.3.5)."""
        if self.state is S.SYN_RECEIVED and self.passive:
            self.return_to_listen(Trigger.GIVE_UP_AFTER_PASSIVE_OPEN)
        else:
            self.delete(Trigger.GIVE_UP, "error: connection timed out")
