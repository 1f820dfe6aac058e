"""Self-check questions for part II of the course: closing a connection (notebooks 03-05).

Each function returns a fresh :class:`~tcpnb.course.quiz.Question` (or
:class:`~tcpnb.course.quiz.NumberQuestion`).  Every wrong option answers the
misconception behind it and names the RFC section that settles it;
:data:`TARGETS` lists which misconceptions (``M1`` ... ``M17`` in the team's
``misconceptions.md``) each question is aimed at, and :data:`NOTEBOOKS` where
each is asked.  The same layout as :mod:`tcpnb.course.questions_open` (part I).

    from tcpnb import questions_close as q
    q.who_waits()            # shows the question with a Check button
"""

from __future__ import annotations

from typing import Callable, Union

from .quiz import Choice, NumberQuestion, Question

Check = Union[Question, NumberQuestion]


# ------------------------------------------------------------------ notebook 03
def fin_means() -> Question:
    """M5, M17: what a FIN says."""
    return Question(
        "A sends a FIN to B. What does A tell B with it?",
        [Choice("The connection is over: neither side may send any more.", False,
                "M17: a FIN closes one direction only. RFC 9293 §3.6 treats CLOSE \"in a "
                "simplex fashion\": B may go on sending, and A goes on receiving."),
         Choice("A asks to close; the connection ends when B agrees.", False,
                "M5: nothing is negotiated. A's FIN ends A's direction whatever B does; B "
                "ends its own direction when its application calls close() (§3.6)."),
         Choice("A has no more data to send; A can still receive.", True,
                "Right: the FIN is \"I have no more to send\". It takes one sequence "
                "number, so B acknowledges it with ACK = A's FIN + 1 (§3.4)."),
         Choice("A will not read any more data; B should stop sending.", False,
                "That would be a shutdown of A's receive side, which TCP does not signal. "
                "\"The user who CLOSEs may continue to RECEIVE\" (RFC 9293 §3.6).")])


def after_fin_acked() -> Question:
    """M17: what still works in FIN-WAIT-2 / CLOSE-WAIT."""
    return Question(
        "A has closed and B has acknowledged A's FIN: A is in FIN-WAIT-2, B in CLOSE-WAIT. "
        "B's application now sends 500 bytes. What happens?",
        [Choice("B's send fails: the connection is closing.", False,
                "M17: B has not closed. CLOSE-WAIT \"represents waiting for a connection "
                "termination request from the local user\" (RFC 9293 §3.3.2): B may send."),
         Choice("The bytes reach A's application, and A acknowledges them.", True,
                "Right: this is the half-closed connection of RFC 9293 §3.6.1. The run in "
                "this notebook sends three chunks this way."),
         Choice("A receives the bytes but answers with RST, because it closed.", False,
                "A closed only its sending direction. RST would be the answer of a host "
                "that has no connection at all (§3.10.7.1), as after an abort."),
         Choice("The bytes are queued until A opens a new connection.", False,
                "There is no need: the A-to-B direction is closed, the B-to-A one is not. "
                "Each direction is closed independently (§3.6.1).")])


def half_closed_name() -> Question:
    """M13: half-closed is not half-open."""
    return Question(
        "A has sent its FIN (acknowledged); B keeps sending data. What does RFC 9293 call "
        "such a connection?",
        [Choice("Half-open.", False,
                "M13: \"half-open\" is a connection one side has lost track of, after a crash "
                "or reboot, without the other knowing (RFC 9293 §3.5.1, Figures 9 and 10)."),
         Choice("Half-closed.", True,
                "Right: \"Since the two directions of a TCP connection are closed "
                "independently, it is possible for a connection to be 'half closed'\" "
                "(RFC 9293 §3.6.1)."),
         Choice("Embryonic.", False,
                "M13: \"embryonic\" (SYN-RECEIVED) is SYN-flood talk for a connection that "
                "has not finished opening (§3.10.7.2). This one opened long ago."),
         Choice("Broken: B should stop.", False,
                "M17: nothing is broken. The user who closes \"may continue to RECEIVE\" "
                "(RFC 9293 §3.6).")])


def three_segments() -> NumberQuestion:
    """M5: the close is not always four segments."""
    return NumberQuestion(
        "Linux holds back the ACK of a FIN for about 40 ms. A closes; B's application reads "
        "the end of the stream and closes 10 ms later. How many segments does the whole "
        "close take?",
        3, unit="segments",
        explanation="B's ACK of A's FIN is still waiting when B's FIN is ready, so they "
                    "travel as one FIN,ACK: FIN, FIN+ACK, ACK.",
        mistakes={
            4: "M5: four is what RFC 9293 Figure 12 shows, because B closes much later there. "
               "Here B's ACK waits up to 40 ms and B's FIN comes after 10 ms: one segment "
               "carries both.",
            2: "Each FIN needs an acknowledgment: B's FIN is acknowledged by A's last ACK, "
               "which cannot ride on anything.",
            6: "There are two FINs and two ACKs at most; ACKs are not themselves acknowledged "
               "(RFC 9293 §3.4: the ACK does not occupy sequence space)."},
        hint="Count the FINs, and ask whether B's ACK and B's FIN can share a segment.")


def who_waits() -> Question:
    """M6: TIME-WAIT belongs to the first closer."""
    return Question(
        "A web server (B) closes the connection first, as HTTP/1.0 servers do. Who ends in "
        "TIME-WAIT?",
        [Choice("The client (A), because clients always wait.", False,
                "M6: TIME-WAIT has nothing to do with who connected. \"When a connection is "
                "closed actively, it MUST linger in the TIME-WAIT state\" (RFC 9293 §3.6.1, "
                "MUST-13): the one that closes first."),
         Choice("The server (B), because it closed first.", True,
                "Right: B sent the first FIN, so B goes FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT, "
                "and A goes CLOSE-WAIT, LAST-ACK, CLOSED. This is why busy servers collect "
                "TIME-WAIT sockets."),
         Choice("Both of them.", False,
                "Only in a simultaneous close, when both FINs cross (RFC 9293 Figure 13)."),
         Choice("Neither: TIME-WAIT is only used after a loss.", False,
                "M4: TIME-WAIT follows every close of the first closer, lost segment or not "
                "(RFC 9293 Figure 12, line 6: \"(2 MSL)\").")])


def simultaneous_states() -> Question:
    """M6, M16: the simultaneous close goes through CLOSING."""
    return Question(
        "Both applications call close() at the same moment and the FINs cross. Which states "
        "does A go through?",
        [Choice("FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT", False,
                "FIN-WAIT-2 means \"my FIN is acknowledged, the peer's FIN has not come\". "
                "Here B's FIN arrives before the ACK of A's FIN does."),
         Choice("FIN-WAIT-1, CLOSING, TIME-WAIT", True,
                "Right: RFC 9293 Figure 13. Both sides do this, so both end in TIME-WAIT."),
         Choice("FIN-WAIT-1, CLOSE-WAIT, LAST-ACK", False,
                "CLOSE-WAIT is for a side that receives a FIN before it has closed itself; A "
                "had already sent its FIN."),
         Choice("FIN-WAIT-1, then CLOSED at once: both sides agree.", False,
                "M5: there is no agreement step. Each FIN must still be acknowledged, and A "
                "waits in TIME-WAIT (RFC 9293 §3.6, Figure 13).")])


def lost_fin() -> Question:
    """What happens when the first FIN is lost."""
    return Question(
        "A closes, and its FIN is lost. What happens next?",
        [Choice("B notices the missing FIN and asks A for it.", False,
                "B cannot notice: as far as B knows, A simply has nothing to say. Only the "
                "sender of a segment that occupies sequence space can tell it was lost "
                "(RFC 9293 §3.4)."),
         Choice("A retransmits the FIN when its retransmission timer runs out.", True,
                "Right: a FIN takes a sequence number, so it waits on the retransmission "
                "queue like data (RFC 9293 §3.4, §3.8.1) until B acknowledges it."),
         Choice("A gives up and enters TIME-WAIT.", False,
                "TIME-WAIT comes only after both FINs are done. Until B acknowledges its FIN, "
                "A stays in FIN-WAIT-1 and retransmits."),
         Choice("The connection stays half-closed until B closes.", False,
                "M17 in reverse: B never learnt that A closed. A retransmits its FIN, so B "
                "does learn, one RTO late.")])


# ------------------------------------------------------------------ notebook 04
def time_wait_seconds() -> NumberQuestion:
    """M7: 2 x MSL = 4 minutes by the RFC."""
    return NumberQuestion(
        "By RFC 9293, how many seconds does an endpoint stay in TIME-WAIT?",
        240, unit="s",
        explanation="MSL is \"taken to be 2 minutes\" (RFC 9293 §3.4.2) and TIME-WAIT lasts "
                    "2 x MSL (§3.6.1, MUST-13): RFC 1122 §4.2.2.13 says \"4 minutes\".",
        mistakes={
            120: "M7: 120 s is one MSL. TIME-WAIT lasts two (RFC 9293 §3.6.1).",
            60: "M7: 60 s is Linux's fixed TIME-WAIT (TCP_TIMEWAIT_LEN), not the RFC's.",
            4: "Four is right in minutes; the question asks for seconds.",
            2: "Two minutes is one MSL (RFC 9293 §3.4.2), and the unit here is seconds."},
        hint="MSL is 2 minutes; TIME-WAIT is twice the MSL.")


def two_reasons() -> Question:
    """M4: both reasons for TIME-WAIT."""
    return Question(
        "Why does the first closer stay in TIME-WAIT?",
        [Choice("So that it can repeat its last ACK if that ACK is lost.", False,
                "M4: half of it. RFC 9293 §3.3.2 also names the second job: \"to avoid new "
                "connections being impacted by delayed segments from previous connections\"."),
         Choice("So that delayed segments of this connection die out before a new one on the "
                "same ports begins.", False,
                "M4: half of it. The other half: the peer in LAST-ACK may retransmit its FIN "
                "and must get an ACK, not a RST (RFC 9293 §3.3.2)."),
         Choice("Both: to repeat the last ACK if the peer's FIN comes again, and to let old "
                "segments die out before the ports are used again.", True,
                "Right: RFC 9293 §3.3.2 names both; RFC 7323 Appendix B calls them "
                "(a) the reliable close and (b) letting old duplicates expire."),
         Choice("To keep the port busy so that a server cannot be flooded with connections.",
                False,
                "TIME-WAIT costs the side that closes first; it protects nothing against "
                "floods. RFC 9293 §3.4.1 says only that it \"limits the rate of connection "
                "reuse\", as a side effect.")])


def which_scales() -> Question:
    """M4: reason 1 scales with the RTO, reason 2 with the MSL."""
    return Question(
        "The MSL is 2 minutes, the round trip 20 ms and the RTO 1 s. For which reason must "
        "TIME-WAIT be long: what sets the time each reason needs?",
        [Choice("Both need 2 x MSL: that is where the 4 minutes come from.", False,
                "Look at the experiment: the peer's retransmitted FIN comes one RTO after "
                "the lost ACK. RFC 7323 Appendix B: the reliable close \"depends instead "
                "upon the RTO\"; only old duplicates need the MSL."),
         Choice("Repeating the last ACK needs a few RTOs; letting old segments die out needs "
                "about an MSL.", True,
                "Right: RFC 7323 (and RFC 1323) Appendix B.2 says so of reason (a); the "
                "experiment in this notebook shows both thresholds."),
         Choice("Repeating the last ACK needs 2 x MSL; old segments need no wait at all "
                "thanks to random ISNs.", False,
                "M4/M8: ISNs from a clock protect slow connections, but not fast or long ones "
                "(RFC 1337 §1), and the lost ACK needs only a few RTOs."),
         Choice("Neither: modern networks have no old segments.", False,
                "M7: the MSL is an assumption about the network (RFC 9293 §3.4.2: \"an "
                "engineering choice\"), not a guarantee, and duplicates do happen.")])


def random_isn_enough() -> Question:
    """M4 (the opposite error), M8."""
    return Question(
        "An embedded stack argues: \"our ISNs are random, so TIME-WAIT can be 250 ms\". What "
        "still goes wrong?",
        [Choice("Nothing: random ISNs make both reasons for TIME-WAIT disappear.", False,
                "M4: they touch only reason 2. If A's last ACK is lost, B retransmits its FIN "
                "about an RTO later; A, no longer in TIME-WAIT, answers with RST and B's close "
                "ends in a reset. The experiment's \"clock ISN\" setting shows it."),
         Choice("If the last ACK is lost, the peer's close ends in a reset, ISNs or not.",
                True,
                "Right: reason 1 is about the close itself and needs TIME-WAIT to last a few "
                "RTOs. (A fast connection can also run into the next one's numbers, RFC "
                "1337 §1.)"),
         Choice("Random ISNs break the three-way handshake.", False,
                "The handshake works with any ISNs; RFC 9293 §3.4.1 asks for a clock plus a "
                "keyed hash (SHLD-1), which is unpredictable to outsiders."),
         Choice("The connection can no longer be closed by the peer.", False,
                "Either side can still close; what is at risk is the peer's last "
                "retransmitted FIN, which needs an ACK.")])


def linger_zero() -> Question:
    """M15: SO_LINGER = 0 is an abort."""
    return Question(
        "To avoid TIME-WAIT, a program sets SO_LINGER with a zero timeout before close(). "
        "What does close() then do?",
        [Choice("A normal close that skips TIME-WAIT.", False,
                "M15: there is no such close. With a zero linger time the stack aborts: it "
                "sends RST and discards the connection (RFC 9293 §3.10.5 ABORT)."),
         Choice("It aborts: sends RST, throws away unsent and unacknowledged data, and the "
                "peer gets \"connection reset\".", True,
                "Right: RFC 9293 §3.6 lists two ways to end a connection, the FIN close and "
                "an \"abort\" in which \"one or more RST segments are sent and the connection "
                "state is immediately discarded\". The run in this notebook shows it."),
         Choice("It waits for the peer's FIN, then closes without TIME-WAIT.", False,
                "That would need a protocol change. A zero linger time means not waiting "
                "at all: RST, done."),
         Choice("It shortens TIME-WAIT to one MSL.", False,
                "Socket options do not change the MSL. Linux's TIME-WAIT is a fixed 60 s; "
                "SO_LINGER=0 avoids it only by not closing gracefully.")])


def reuse_options() -> Question:
    """M14, M15: what administrators' TIME-WAIT knobs do."""
    return Question(
        "A busy client runs out of local ports because thousands of its connections sit in "
        "TIME-WAIT. Which measure is both standard and safe?",
        [Choice("Set SO_LINGER to zero on every socket.", False,
                "M15: that turns each close into an abort (RST); data in flight is lost and "
                "the peer sees \"connection reset\" (RFC 9293 §3.10.5)."),
         Choice("Enable tcp_tw_recycle.", False,
                "M15: it broke clients behind NAT and was removed from Linux 4.12 (commit "
                "4396e46187ca \"tcp: remove tcp_tw_recycle\")."),
         Choice("Let a new connection reuse a pair in TIME-WAIT when TCP timestamps show "
                "that its segments are newer.", True,
                "Right: timestamps tell old segments from new ones, which is reason 2's job. "
                "RFC 6191 does it for a new SYN arriving in TIME-WAIT (SHLD-4 in RFC 9293 "
                "§3.6.1); Linux's net.ipv4.tcp_tw_reuse does it for a client's new outgoing "
                "connection (by default on loopback only: tcp_tw_reuse = 2)."),
         Choice("Have the server send RST to connections in TIME-WAIT.", False,
                "M14: that is TIME-WAIT assassination (RFC 1337), the hazard, not a fix: old "
                "segments can then reach the next connection.")])


def rst_in_time_wait() -> Question:
    """M14: an RST ends TIME-WAIT under RFC 9293; RFC 1337 says ignore it."""
    return Question(
        "A is in TIME-WAIT. A RST arrives with exactly the expected sequence number. What "
        "does A do under RFC 9293's rules?",
        [Choice("Ignores it: nothing can end TIME-WAIT early.", False,
                "M14: RFC 9293 §3.10.7.4 says, for TIME-WAIT: if the RST bit is set, enter "
                "CLOSED and delete the TCB. Ignoring it is RFC 1337's proposed fix F1 (Linux: "
                "net.ipv4.tcp_rfc1337 = 1)."),
         Choice("Enters CLOSED at once: TIME-WAIT is cut short.", True,
                "Right, and that is TIME-WAIT assassination (RFC 1337): a late segment makes "
                "A repeat its ACK, the peer (already closed) answers RST, and the RST ends "
                "TIME-WAIT. The experiment in this notebook counts how often."),
         Choice("Answers with its last ACK and restarts the 2 MSL timer.", False,
                "That is what A does for a retransmitted FIN (§3.10.7.4), not for a RST."),
         Choice("Sends a RST back.", False,
                "A RST is never answered with a RST (§3.10.7.1): that could loop forever.")])


def msl_enforced() -> Question:
    """M7: nothing enforces the MSL exactly."""
    return Question(
        "What guarantees that no segment lives longer than the MSL?",
        [Choice("TCP itself: it drops any segment older than the MSL.", False,
                "M7: TCP segments carry no age. RFC 1185 §1 says the MSL is enforced by IP's "
                "Time-to-Live, \"loosely defined and even more loosely implemented\"."),
         Choice("Nothing exactly: the MSL is an assumption; IP's TTL bounds lifetime loosely.",
                True,
                "Right: RFC 9293 §3.4.2 calls 2 minutes \"an engineering choice\", and notes "
                "that \"the effective MSL of the Internet has declined\"."),
         Choice("Routers discard packets after exactly 2 minutes.", False,
                "M7: routers count TTL hops (and seconds only roughly); nothing measures 2 "
                "minutes (RFC 1185 §1)."),
         Choice("The 4-minute TIME-WAIT.", False,
                "TIME-WAIT relies on the MSL; it cannot enforce it. It only waits for a time "
                "the segments are assumed to die within.")])


# ------------------------------------------------------------------ notebook 05
def fin_ack_number() -> NumberQuestion:
    """M9: a FIN takes one sequence number."""
    return NumberQuestion(
        "A has sent bytes up to sequence number 1100 (its SND.NXT is 1101) and now sends its "
        "FIN, <SEQ=1101><CTL=FIN,ACK>. What ACK number acknowledges the FIN?",
        1102, explanation="The FIN occupies one sequence number (RFC 9293 §3.4), so the next "
                          "expected number is 1101 + 1.",
        mistakes={1101: "M9: 1101 acknowledges everything before the FIN, not the FIN itself: "
                        "a FIN takes one sequence number (RFC 9293 §3.4).",
                  1100: "1100 is the last data byte; the ACK names the next number expected."},
        hint="Which numbers does a FIN occupy?")


def last_ack_timer() -> NumberQuestion:
    """M4: reason 1 in numbers -- the peer's FIN comes back one RTO later, not one MSL."""
    return NumberQuestion(
        "A's last ACK is lost. B's RTO is 1 s and the one-way delay is 0.1 s. How many "
        "seconds after A sent that ACK does B's retransmitted FIN reach A?",
        1.0, tolerance=0.005, unit="s",
        explanation="B's timer started when B sent its FIN, one trip before A's ACK left; "
                    "the retransmitted FIN then needs the same trip again. The two trips "
                    "cancel: one RTO. That is all reason 1 needs TIME-WAIT to cover "
                    "(RFC 7323 Appendix B).",
        mistakes={240: "M4: that is TIME-WAIT's length, far longer than reason 1 needs: the FIN "
                       "comes back about one RTO later (RFC 7323 Appendix B).",
                  1.1: "You added the FIN's trip, but B's timer started a trip before A's ACK "
                       "left (when B sent its FIN). The two trips cancel.",
                  1.2: "That is an RTO plus a round trip; but B's timer started when B sent "
                       "its FIN, a trip before A's ACK left."},
        hint="B's timer starts when B sends its FIN, not when A sends its ACK.")


def diagram_is_spec() -> Question:
    """M16: Figure 5 is a summary, not the specification."""
    return Question(
        "RFC 9293's state diagram (Figure 5) has no arrow from FIN-WAIT-1 straight to "
        "TIME-WAIT. In notebook 03 an endpoint went that way when one segment brought the "
        "peer's FIN and the ACK of its own FIN. Who is right?",
        [Choice("The diagram: the simulator has a bug.", False,
                "M16: the figure \"is only a summary and must not be taken as the total "
                "specification\" (RFC 9293 §3.3.2), and its Note 2 says it omits exactly this "
                "transition."),
         Choice("Both: the RFC's text requires the transition, and the figure leaves it out on "
                "purpose (its Note 2).", True,
                "Right: the event-processing rules (§3.10.7.4, the step that checks the FIN "
                "bit) send an endpoint in FIN-WAIT-1 whose FIN is acknowledged to TIME-WAIT. "
                "The simulator's table marks such rows as not drawn in Figure 5."),
         Choice("Neither: the endpoint passes through FIN-WAIT-2 for an instant.", False,
                "No state is visited \"for an instant\": one segment did both jobs at once, "
                "and the rules act on it once (RFC 9293 §3.10.7.4)."),
         Choice("It depends on the operating system.", False,
                "It is in the standard itself (RFC 9293 Figure 5, Note 2); Linux does the "
                "same, as the three-segment close in notebook 03's capture shows.")])


#: Misconceptions each question is aimed at.
TARGETS: dict[Callable[[], Check], tuple[str, ...]] = {
    fin_means: ("M5", "M17"),
    after_fin_acked: ("M17",),
    half_closed_name: ("M13", "M17"),
    three_segments: ("M5",),
    who_waits: ("M6", "M4"),
    simultaneous_states: ("M6", "M5"),
    lost_fin: ("M17",),
    time_wait_seconds: ("M7",),
    two_reasons: ("M4",),
    which_scales: ("M4", "M7"),
    random_isn_enough: ("M4", "M8"),
    linger_zero: ("M15",),
    reuse_options: ("M15", "M14"),
    rst_in_time_wait: ("M14",),
    msl_enforced: ("M7",),
    fin_ack_number: ("M9",),
    last_ack_timer: ("M4",),
    diagram_is_spec: ("M16",),
}

#: The questions of each notebook, in the order they appear.
NOTEBOOKS: dict[str, tuple[Callable[[], Check], ...]] = {
    "03": (fin_means, after_fin_acked, half_closed_name, three_segments, who_waits,
           simultaneous_states, lost_fin),
    "04": (time_wait_seconds, msl_enforced, last_ack_timer, two_reasons, random_isn_enough,
           which_scales, linger_zero, reuse_options, rst_in_time_wait),
    "05": (fin_ack_number, diagram_is_spec),
}
