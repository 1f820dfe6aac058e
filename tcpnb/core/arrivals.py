"""SEGMENT ARRIVES: what one endpoint does with an arriving segment (RFC 9293 §3.10.7).

Read this module next to the RFC.  :func:`segment_arrives` picks the procedure
by state, as §3.10.7 does:

* CLOSED (§3.10.7.1): answer with a RST;
* LISTEN (§3.10.7.2): ignore a RST, reset an ACK, answer a SYN with SYN,ACK;
* SYN-SENT (§3.10.7.3): check the ACK against our ISN, then RST, then SYN;
* otherwise (§3.10.7.4): the checks in the RFC's order, one function each --
  first the sequence number, second RST, fourth SYN, fifth ACK, seventh the
  text, eighth FIN.  (The third, security, and the sixth, URG, do not apply:
  tcpnb has neither.)

Where a profile changes a rule -- RFC 5961's checks, Linux's habits -- the
profile field is named at the place it is used.  The next state always comes
from the table in :mod:`tcpnb.core.states`, through :meth:`Tcb.move`.
"""

from __future__ import annotations

from .outputs import Delivered, Notice, Timer, Transmit
from .segment import ACK, FIN, RST, SYN, Segment, seq_add, seq_between, seq_diff, seq_le, seq_lt
from .states import (
    CLOSE_WAIT,
    CLOSED,
    CLOSING,
    ESTABLISHED,
    FIN_WAIT_1,
    FIN_WAIT_2,
    LAST_ACK,
    LISTEN,
    SYN_RECEIVED,
    SYN_SENT,
    TIME_WAIT,
    Trigger,
)
from .tcb import Handshake, Tcb


def segment_arrives(tcb: Tcb, seg: Segment, now: float) -> None:
    """Process one arriving segment (§3.10.7)."""
    if tcb.state is CLOSED or (tcb.state is not LISTEN and seg.src_port != tcb.remote_port):
        tcb.reset_for(seg)
    elif tcb.state is LISTEN:
        _in_listen(tcb, seg, now)
    elif tcb.state is SYN_SENT:
        _in_syn_sent(tcb, seg, now)
    else:
        _otherwise(tcb, seg, now)


# ---------------------------------------------------------------- LISTEN
def _in_listen(tcb: Tcb, seg: Segment, now: float) -> None:
    """§3.10.7.2: ignore RST, reset an ACK, answer a SYN with SYN,ACK."""
    if RST in seg.flags:
        return
    if ACK in seg.flags:
        tcb.reset_for(seg)
        return
    if SYN not in seg.flags:
        return
    tcb.new_incarnation(now)
    tcb.passive = True
    tcb.remote_port = seg.src_port
    tcb.irs = seg.seq
    tcb.rcv_nxt = seq_add(seg.seq, 1)
    synack = tcb.segment(tcb.iss or 0, SYN | ACK, tcb.rcv_nxt)
    tcb.move(Trigger.RCV_SYN)
    if tcb.handshake is Handshake.TWO_WAY:
        _open_without_confirmation(tcb, seg, synack, now)
    else:
        tcb.transmit(synack, now)  # data on a SYN is not kept (a simplification)


def _open_without_confirmation(tcb: Tcb, seg: Segment, synack: Segment, now: float) -> None:
    """NOT TCP: the two-way variant counts the connection open on the SYN alone."""
    tcb.snd_nxt = seq_add(tcb.snd_una, 1)
    if seg.data:
        tcb.rcv_nxt = seq_add(tcb.rcv_nxt, seg.length)
        tcb.emit(Delivered(seg.data))
        synack = tcb.segment(synack.seq, synack.flags, tcb.rcv_nxt)
    tcb.emit(Transmit(synack))
    tcb.set_timer(Timer.IDLE, now + tcb.profile.idle_timeout)


# -------------------------------------------------------------- SYN-SENT
def _in_syn_sent(tcb: Tcb, seg: Segment, now: float) -> None:
    """§3.10.7.3: check the ACK against our ISN, then RST, then SYN."""
    flags = seg.flags
    ack_ok = False
    if ACK in flags:
        if not seq_between(tcb.snd_una, seg.ack, tcb.snd_nxt):
            if RST not in flags:  # e.g. Figure 8 line 5: <SEQ=91><CTL=RST>
                tcb.emit(Transmit(tcb.segment(seg.ack, RST)))
            return
        ack_ok = True
    if RST in flags:
        if ack_ok:
            tcb.delete(Trigger.RCV_RST, "error: connection refused")
        return
    if SYN not in flags:
        return
    tcb.irs = seg.seq
    tcb.rcv_nxt = seq_add(seg.seq, 1)
    if ack_ok:
        tcb.acknowledge(seg.ack, now)
        tcb.move(Trigger.RCV_SYN_ACK)
        if tcb.handshake is Handshake.THREE_WAY:
            tcb.send_ack()
        tcb.push(now)
    else:  # simultaneous open (Figure 7): answer with our SYN again, now with an ACK
        tcb.move(Trigger.RCV_SYN)
        tcb.unacked.clear()
        tcb.snd_nxt = tcb.iss or 0
        tcb.transmit(tcb.segment(tcb.snd_nxt, SYN | ACK, tcb.rcv_nxt), now)


# ------------------------------------------------------------- otherwise
def _otherwise(tcb: Tcb, seg: Segment, now: float) -> None:
    """§3.10.7.4, for SYN-RECEIVED and every synchronized state: the checks in order."""
    if _answered_before_the_checks(tcb, seg, now):
        return
    if not _first_check_sequence_number(tcb, seg, now):
        return
    if RST in seg.flags:
        _second_check_rst(tcb, seg, now)
        return
    if SYN in seg.flags:
        _fourth_check_syn(tcb, now)
        return
    if ACK not in seg.flags:
        return  # "if the ACK bit is off, drop the segment and return"
    if not _fifth_check_ack(tcb, seg, now):
        return
    if not _seventh_process_text(tcb, seg, now):
        return
    if FIN in seg.flags:
        _eighth_check_fin(tcb, now)


def _answered_before_the_checks(tcb: Tcb, seg: Segment, now: float) -> bool:
    """Arrivals that are answered before the general checks; True if handled here."""
    flags, state = seg.flags, tcb.state
    if (state is ESTABLISHED and tcb.handshake is Handshake.THREE_WAY) or RST in flags:
        return False  # the usual case first: nothing here applies
    if state is TIME_WAIT:
        if tcb.profile.time_wait_restart_on_ack and ACK in flags:
            tcb.set_timer(Timer.TIME_WAIT, now + tcb.profile.time_wait_length)  # Linux
        if FIN in flags and seq_add(seg.seq, seg.length) == seq_add(tcb.rcv_nxt, -1):
            # A retransmission of the peer's FIN (it sits just below RCV.NXT).  The first
            # check would only ACK it; §3.10.7.4's TIME-WAIT rule (fifth and eighth steps)
            # says "Acknowledge it, and restart the 2 MSL timeout."
            tcb.send_ack()
            tcb.set_timer(Timer.TIME_WAIT, now + tcb.profile.time_wait_length)
            return True
    if (state is SYN_RECEIVED and not tcb.passive and SYN in flags and ACK in flags
            and seg.seq == tcb.irs and tcb.profile.synack_completes_simultaneous_open
            and seq_between(tcb.snd_una, seg.ack, tcb.snd_nxt)):
        # Linux since 6.11: the peer's SYN,ACK of a simultaneous open completes the
        # handshake (after RFC 9293's Figure 7, line 6), and is answered with an ACK.
        tcb.acknowledge(seg.ack, now)
        tcb.move(Trigger.RCV_ACK_OF_SYN)
        tcb.send_ack()
        if tcb.close_requested:
            tcb.move(Trigger.CLOSE)
        tcb.push(now)
        return True
    if (state is SYN_RECEIVED and tcb.passive and SYN in flags
            and ACK not in flags and seg.seq == tcb.irs
            and tcb.profile.synack_on_duplicate_syn):
        # Linux (tcp_check_req()): a retransmitted SYN gets the SYN,ACK again, where
        # RFC 9293's first check would answer with a bare ACK.
        if tcb.unacked:
            tcb.emit(Transmit(tcb.segment(tcb.iss or 0, SYN | ACK, tcb.rcv_nxt),
                              retransmission=True))
        return True
    if (tcb.handshake is Handshake.TWO_WAY and tcb.passive and SYN in flags
            and ACK not in flags and seg.seq == tcb.irs):
        tcb.emit(Transmit(tcb.segment(tcb.iss or 0, SYN | ACK, tcb.rcv_nxt)))
        return True  # two-way (not TCP): a repeated SYN gets the reply again
    return False


def _acceptable(tcb: Tcb, seg: Segment) -> bool:
    """Does any of the segment fall in the receive window (the four cases of the first check)?"""
    window, length = tcb.profile.window, seg.seg_len
    start = seq_diff(seg.seq, tcb.rcv_nxt)
    if length == 0:
        return start == 0 if window == 0 else 0 <= start < window
    return window > 0 and (0 <= start < window or 0 <= start + length - 1 < window)


def _first_check_sequence_number(tcb: Tcb, seg: Segment, now: float) -> bool:
    """"First, check sequence number": an unacceptable segment gets an ACK and is dropped.

    This is also what a simultaneous open meets (Figure 7): in SYN-RECEIVED the
    peer's SYN,ACK carries SEG.SEQ = IRS, below RCV.NXT, so it is not acceptable
    and draws <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; that ACK, not the SYN,ACK,
    completes the peer's handshake.  Figure 7 is an illustration and leaves both
    ACKs out: its line 7 is the delayed SYN,ACK of line 5, as RFC 1122
    §4.2.2.10 corrected RFC 793's Figure 8, whose line 7 had shown such an ACK.
    Linux sends both ACKs (the capture ``simultaneous_open`` in ``tcpnb/real/captures``),
    and since 6.11 lets the SYN,ACK complete its own side at once
    (``synack_completes_simultaneous_open``).
    """
    if _acceptable(tcb, seg):
        return True
    if RST not in seg.flags:
        tcb.ack_unacceptable(seg, now)
    return False


def _second_check_rst(tcb: Tcb, seg: Segment, now: float) -> None:
    """"Second, check the RST bit", with RFC 5961's exact-match rule if the profile has it."""
    state = tcb.state
    if state is SYN_RECEIVED:
        if tcb.passive:  # Figure 8 line 5: back to LISTEN
            tcb.return_to_listen(Trigger.RCV_RST_AFTER_PASSIVE_OPEN)
        else:
            tcb.delete(Trigger.RCV_RST, "error: connection refused")
        return
    if tcb.profile.rfc5961 and seg.seq != tcb.rcv_nxt:
        tcb.challenge_ack(now)  # RFC 5961 §3.2: in the window but not exactly RCV.NXT
        return
    if state is TIME_WAIT and tcb.profile.rfc1337:
        return  # RFC 1337 fix F1: TIME-WAIT ignores RST
    if state in (ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT):
        tcb.delete(Trigger.RCV_RST, "error: connection reset")
    else:  # CLOSING, LAST-ACK, TIME-WAIT: no user to tell
        tcb.delete(Trigger.RCV_RST)


def _fourth_check_syn(tcb: Tcb, now: float) -> None:
    """"Fourth, check the SYN bit": a SYN here is never the start of this connection."""
    if tcb.state is SYN_RECEIVED and tcb.passive:
        tcb.return_to_listen(Trigger.RCV_RST_AFTER_PASSIVE_OPEN)  # "return to the LISTEN state"
    elif tcb.profile.rfc5961:
        tcb.challenge_ack(now)  # RFC 5961 §4: challenge ACK, drop the segment
    else:  # RFC 793's rule: a SYN in the window is an error; reset the connection
        tcb.emit(Transmit(tcb.segment(tcb.snd_nxt, RST)))
        tcb.delete(Trigger.RCV_SYN_IN_WINDOW, "error: connection reset")


def _fifth_check_ack(tcb: Tcb, seg: Segment, now: float) -> bool:
    """"Fifth, check the ACK field"; False if processing stops here."""
    ack, state = seg.ack, tcb.state
    if state is SYN_RECEIVED:
        if not seq_between(tcb.snd_una, ack, tcb.snd_nxt):
            tcb.emit(Transmit(tcb.segment(ack, RST)))
            return False
        tcb.acknowledge(ack, now)
        tcb.move(Trigger.RCV_ACK_OF_SYN)
        if tcb.close_requested:
            tcb.move(Trigger.CLOSE)
        tcb.push(now)
        return True
    advance = seq_diff(ack, tcb.snd_una)  # how far SEG.ACK is past SND.UNA
    if advance > seq_diff(tcb.snd_nxt, tcb.snd_una) or (
            tcb.profile.rfc5961 and advance < -tcb.profile.window):
        # It acknowledges something not yet sent (or, RFC 5961 §5 / MAY-12, something
        # older than a window): "send an ACK, drop the segment, and return".  With
        # RFC 5961 this is a challenge ACK and throttled as one (§7), as Linux does.
        if tcb.profile.rfc5961:
            tcb.challenge_ack(now)
        else:
            tcb.ack_unacceptable(seg, now)
        return False
    if advance > 0:
        tcb.acknowledge(ack, now)
    if tcb.handshake is Handshake.TWO_WAY and Timer.IDLE in tcb.timers:
        tcb.set_timer(Timer.IDLE, now + tcb.profile.idle_timeout)
    if state is TIME_WAIT:
        # "The only thing that can arrive in this state is a retransmission of the remote
        # FIN.  Acknowledge it, and restart the 2 MSL timeout": done for that FIN before
        # the checks.  Anything else is no FIN and gets no ACK: answering ACKs with ACKs
        # would let two ends in TIME-WAIT ACK each other for ever (the soak test found it).
        return False
    if tcb.fin_acked:
        if state is FIN_WAIT_1 and not _fin_is_next(tcb, seg):
            tcb.move(Trigger.RCV_ACK_OF_FIN)  # else the eighth step goes to TIME-WAIT (note 2)
        elif state is CLOSING:
            tcb.enter_time_wait(Trigger.RCV_ACK_OF_FIN, now)
        elif state is LAST_ACK:
            tcb.delete(Trigger.RCV_ACK_OF_FIN)
            return False
    tcb.push(now)
    return True


def _fin_is_next(tcb: Tcb, seg: Segment) -> bool:
    """Will the eighth step process this segment's FIN (in order, and not a RST instead)?"""
    return (FIN in seg.flags and seq_le(seg.seq, tcb.rcv_nxt)
            and not _data_after_close(tcb, seg))


def _data_after_close(tcb: Tcb, seg: Segment) -> bool:
    """New data for an application that called the socket close() (§3.6.1 MAY-1)."""
    return (tcb.read_closed and tcb.state in (FIN_WAIT_1, FIN_WAIT_2) and seg.length > 0
            and seq_lt(tcb.rcv_nxt, seq_add(seg.seq, seg.length)))


def _seventh_process_text(tcb: Tcb, seg: Segment, now: float) -> bool:
    """"Seventh, process the segment text"; False if processing stops here."""
    if _data_after_close(tcb, seg):
        # SHLD-3: "if new data is received after CLOSE is called, its TCP
        # implementation SHOULD send a RST to show that data was lost."  The
        # application is gone, so we answer as for a connection that no longer exists.
        tcb.delete(Trigger.RCV_DATA_AFTER_CLOSE)
        tcb.reset_for(seg)
        return False
    data, seq = seg.data, seg.seq
    behind = seq_diff(tcb.rcv_nxt, seq)  # bytes already received at the front
    if behind > 0:
        data, seq = data[behind:], tcb.rcv_nxt
    if seq != tcb.rcv_nxt:
        if data or FIN in seg.flags:
            tcb.ack_unacceptable(seg, now)  # out of order: not kept (a simplification)
        return False
    if data and tcb.state in (ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2):
        tcb.rcv_nxt = seq_add(tcb.rcv_nxt, len(data))
        tcb.emit(Delivered(data))
        if FIN not in seg.flags:
            tcb.schedule_ack(now)
    return True  # in CLOSE-WAIT, CLOSING, LAST-ACK and TIME-WAIT the text is ignored


def _eighth_check_fin(tcb: Tcb, now: float) -> None:
    """"Eighth, check the FIN bit": the peer has no more to send."""
    state = tcb.state
    if state in (CLOSE_WAIT, CLOSING, LAST_ACK):
        tcb.send_ack()  # a retransmitted FIN: already counted
        return
    tcb.rcv_nxt = seq_add(tcb.rcv_nxt, 1)
    tcb.emit(Notice("connection closing"))
    if state in (SYN_RECEIVED, ESTABLISHED):
        tcb.move(Trigger.RCV_FIN)
        tcb.schedule_ack(now, fin=True)
    elif state is FIN_WAIT_1 and tcb.fin_acked:
        tcb.enter_time_wait(Trigger.RCV_FIN_AND_ACK_OF_FIN, now, ack=True)
    elif state is FIN_WAIT_1:
        tcb.move(Trigger.RCV_FIN)
        tcb.send_ack()
    elif state is FIN_WAIT_2:
        tcb.enter_time_wait(Trigger.RCV_FIN, now, ack=True)
