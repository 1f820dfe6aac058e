"""Self-check questions for part I of the course: opening a connection (notebooks 00-02).

Each function returns a fresh :class:`~tcpnb.course.quiz.Question` (or
:class:`~tcpnb.course.quiz.NumberQuestion`).  Every wrong option answers the
misconception behind it and names the RFC section that settles it;
:data:`TARGETS` lists which misconceptions (``M1`` ... ``M17`` in the team's
``misconceptions.md``) each question is aimed at.

    from tcpnb import questions_open as q
    q.third_ack_lost()          # shows the question with a Check button
    q.third_ack_lost().check(2) # Feedback(correct=True, ...)
"""

from __future__ import annotations

from typing import Callable, Union

from .quiz import Choice, NumberQuestion, Question

Check = Union[Question, NumberQuestion]


# ------------------------------------------------------------------ notebook 00
def purpose() -> Question:
    """M1: what the three segments are for."""
    return Question(
        "What is the opening exchange fundamentally for?",
        [Choice("To check that the other host is alive and ready.", False,
                "Not its job: TCP has no built-in liveness check (RFC 9293 §2.2), and the "
                "peer may crash a second after the handshake. What the segments carry is "
                "each side's initial sequence number and the confirmation of it (§3.4.1)."),
         Choice("Only to reject old duplicate SYNs.", False,
                "Half of it. RFC 9293 §3.5 calls that the principal reason, but the mechanism "
                "is that each side's ISN is sent and confirmed (§3.4.1). Confirming the "
                "client's ISN is exactly what exposes an old SYN (notebook 02, Figure 8)."),
         Choice("To tell each side the other's initial sequence number, and to confirm to "
                "each side that its own number arrived.", True,
                "Right: four steps (send ISN, confirm it, in each direction); the middle two "
                "share one segment, so three segments (RFC 9293 §3.4.1)."),
         Choice("To agree on one sequence number that both directions share.", False,
                "Each direction has its own numbers: A's bytes count from A's ISN, B's from "
                "B's (RFC 9293 §3.4.1). Nothing is negotiated; two numbers are announced "
                "and confirmed.")])


def minimum_messages() -> NumberQuestion:
    """M1, and the 'four messages' count: when both sides know both directions work."""
    return NumberQuestion(
        "A perfect network: nothing is lost, delayed or duplicated. What is the smallest "
        "number of messages after which BOTH sides know that BOTH directions work?",
        3, unit="messages",
        explanation="A learns both directions work from the 2nd message, B from the 3rd. "
                    "RFC 9293 §3.4.1 counts the same three for its ISNs.",
        mistakes={
            1: "After one message only B has learnt something (A to B works); A knows nothing.",
            2: "After two messages A knows both directions work, but B has sent one message "
               "and has no evidence it arrived: B knows only that A to B works.",
            4: "Four is one request and one confirmation per direction, each on its own. "
               "B's confirmation and B's own request can travel in one message (TCP's "
               "SYN,ACK), so three are enough (RFC 9293 §3.4.1)."},
        hint="Count what B knows after each message, not only A.")


def who_knows_after_synack() -> Question:
    """Knowledge after the second segment: B cannot know its SYN,ACK arrived."""
    return Question(
        "The SYN,ACK has just arrived at A; nothing else has happened. Who knows that "
        "the direction B to A works?",
        [Choice("Only A.", True,
                "Right: A received something from B. B sent the SYN,ACK but has no evidence "
                "it arrived until the third segment (RFC 9293 §3.4.1, step 4)."),
         Choice("Only B.", False,
                "B sent the SYN,ACK, but sending is not knowing: it could have been lost. "
                "Only the third segment tells B (RFC 9293 §3.4.1)."),
         Choice("Both.", False,
                "B cannot know yet: it has heard nothing since it sent the SYN,ACK. That gap "
                "is why the third segment exists (RFC 9293 §3.4.1, step 4)."),
         Choice("Neither.", False,
                "A has just received a segment from B, so A knows B to A works.")])


def synack_ack_number() -> NumberQuestion:
    """M9: ACK = the next sequence number expected; the SYN occupies one."""
    return NumberQuestion(
        "A's ISN is 100 and B's is 300. What is in the ACK field of B's SYN,ACK?",
        101,
        explanation="The ACK field names the next number B expects from A. A's SYN "
                    "occupied number 100 (RFC 9293 §3.4, Figure 6 line 3).",
        mistakes={
            100: "The ACK field is the NEXT number expected, not the last one seen. The SYN "
                 "occupied 100, so B expects 101 (RFC 9293 §3.4, Figure 6).",
            301: "Acknowledgment numbers count the OTHER side's numbers: B acknowledges A's "
                 "ISN (100), so 101. 301 is what A will acknowledge for B's SYN.",
            300: "300 is B's own ISN; it goes in the SEQ field. The ACK field counts A's "
                 "numbers: 101."})


# ------------------------------------------------------------------ notebook 01
def client_after_synack() -> Question:
    """M11: the client goes straight from SYN-SENT to ESTABLISHED."""
    return Question(
        "A is in SYN-SENT and receives a SYN,ACK that acknowledges its SYN. Which state "
        "does A enter?",
        [Choice("ESTABLISHED", True,
                "Right (RFC 9293 §3.10.7.3; Figure 5: SYN-SENT, rcv SYN,ACK / snd ACK, "
                "ESTAB)."),
         Choice("SYN-RECEIVED", False,
                "SYN-RECEIVED is for a side that got a SYN with no acceptable ACK: the "
                "passive side, or both sides of a simultaneous open (RFC 9293 §3.10.7.3, "
                "Figure 7). A SYN,ACK that acknowledges A's SYN completes A's side."),
         Choice("LISTEN", False,
                "Only a passive OPEN enters LISTEN (RFC 9293 §3.3.2). A client never listens: "
                "CLOSED, SYN-SENT, ESTABLISHED."),
         Choice("It stays in SYN-SENT until its ACK is acknowledged.", False,
                "A pure ACK occupies no sequence number and is never acknowledged (RFC 9293 "
                "§3.4, Figure 6). A is ESTABLISHED as soon as its own SYN is acknowledged.")])


def who_listens() -> Question:
    """M3: only the passive opener is ever in LISTEN."""
    return Question(
        "In the run above, which endpoint(s) passed through LISTEN?",
        [Choice("Only B, the server.", True,
                "Right: LISTEN is the state of a passive OPEN (RFC 9293 §3.3.2, §3.9.1.1)."),
         Choice("Both: after the handshake the client listens on its port for replies.",
                False,
                "A common picture, but the client never enters LISTEN: CLOSED, SYN-SENT, "
                "ESTABLISHED. Replies reach it because its port is one half of the "
                "connection's pair of sockets (RFC 9293 §4, 'connection')."),
         Choice("Only A, the client.", False,
                "A went CLOSED, SYN-SENT, ESTABLISHED; look at the state list again."),
         Choice("Neither.", False,
                "B listened before A's SYN arrived: that is how a passive OPEN waits "
                "(RFC 9293 §3.3.2).")])


def two_clients_one_port() -> Question:
    """M3: a connection is a pair of sockets; the server port does not change."""
    return Question(
        "Two clients, 10.0.0.1:50000 and 10.0.0.2:50000, are both connected to port 80 "
        "of a server. How does the server tell their segments apart?",
        [Choice("By the pair of sockets: (10.0.0.1:50000, server:80) and "
                "(10.0.0.2:50000, server:80) are two different connections.", True,
                "Right: 'a pair of sockets uniquely identifies each connection' and one "
                "socket may be in many connections (RFC 793 §2.7; RFC 9293 §4)."),
         Choice("After each handshake the server moves the connection to a new port.", False,
                "A popular belief, but nothing moves: both connections keep local port 80 "
                "next to the listening socket. The pair of sockets tells them apart "
                "(RFC 9293 §4, 'connection'; MUST-42 in §3.9.1.1)."),
         Choice("It cannot: the second client must pick another port.", False,
                "The two client sockets already differ in their address, so the pairs differ. "
                "Only the same pair twice is impossible (RFC 793 §2.7)."),
         Choice("The listening socket receives every segment and hands it on.", False,
                "A segment goes to the connection whose pair of sockets it matches; LISTEN "
                "only takes SYNs for connections that do not exist yet (RFC 9293 §3.3.2, "
                "§3.10.7.2).")])


def third_ack_lost() -> Question:
    """M10: losing the third segment does not kill the connection."""
    return Question(
        "The third segment (A's ACK) is lost and A has nothing to send. What happens?",
        [Choice("The connection fails.", False,
                "No. A is already ESTABLISHED, and B still has an unacknowledged SYN, so "
                "B's retransmission timer repairs it (RFC 9293 §3.10.7.4)."),
         Choice("A retransmits its ACK when a timer expires.", False,
                "A pure ACK occupies no sequence number, so nothing acknowledges it and no "
                "timer retransmits it (RFC 9293 §3.4; Figure 6). It is B that waits."),
         Choice("B retransmits its SYN,ACK after its RTO; A answers with an ACK; B enters "
                "ESTABLISHED.", True,
                "Right: A, already ESTABLISHED, finds the repeated SYN,ACK unacceptable and "
                "replies with an ACK, which completes B's side (RFC 9293 §3.10.7.4). Any "
                "later segment from A with an acceptable ACK would do too, e.g. its first "
                "data."),
         Choice("B starts sending its data anyway.", False,
                "B is in SYN-RECEIVED: data handed to it is queued until ESTABLISHED "
                "(RFC 9293 §3.10.2).")])


def connect_time_two_losses() -> NumberQuestion:
    """RTO backoff: 1 s + 2 s + one RTT."""
    return NumberQuestion(
        "One-way delay 0.1 s, RFC profile (first RTO 1 s). A's SYN is lost twice, the third "
        "copy gets through. How many seconds after connect() does A reach ESTABLISHED?",
        3.2, tolerance=0.005, unit="s",
        explanation="1 s until the first retransmission, 2 s more until the second (the RTO "
                    "doubles, RFC 6298 §5.5), then one round trip of 0.2 s.",
        mistakes={
            2.2: "The RTO doubles after each timeout (RFC 6298 §5.5): the retransmissions go "
                 "at 1 s and 1 + 2 = 3 s, not at 1 s and 2 s.",
            3.0: "That is when the third SYN leaves. It still needs a round trip: 0.1 s to B "
                 "and 0.1 s for the SYN,ACK back.",
            3.3: "3.3 s is when B reaches ESTABLISHED. A gets there one one-way delay "
                 "earlier, when the SYN,ACK arrives.",
            3.1: "Half a round trip is missing: the SYN goes to B (0.1 s) and the SYN,ACK "
                 "comes back (0.1 s)."},
        hint="Add the waits: first RTO, doubled RTO, then the round trip of the copy that "
             "got through.")


def data_ack_number() -> NumberQuestion:
    """M9: data occupies one number per byte; the bare ACK occupies none."""
    return NumberQuestion(
        "A's ISN is 100. After the handshake A sends 10 bytes. What ACK number does B send "
        "back?",
        111,
        explanation="The data occupies 101 to 110, so B next expects 111. The third "
                    "segment, a bare ACK, occupied nothing (RFC 9293 §3.4, Figure 6 "
                    "lines 4-5).",
        mistakes={
            102: "The +1 is for a SYN or a FIN. Data occupies one number per byte: "
                 "101 + 10 = 111 (RFC 9293 §3.4).",
            112: "The bare ACK of the handshake occupied no sequence number: Figure 6 lines "
                 "4 and 5 both have SEQ=101.",
            110: "110 is the last byte received; the ACK field is the next one expected.",
            101: "101 would say 'nothing received yet'. The 10 bytes move it to 111."})


def simultaneous_open() -> Question:
    """M12: crossing SYNs make one connection."""
    return Question(
        "Both sides call connect() at once and their SYNs cross. How many connections result?",
        [Choice("One.", True,
                "Right: both sides go CLOSED, SYN-SENT, SYN-RECEIVED, ESTABLISHED and end in "
                "one connection (RFC 9293 Figure 7; RFC 1122 §4.2.2.10 calls this "
                "intentional)."),
         Choice("Two, one per SYN.", False,
                "A connection is a pair of sockets, and both SYNs name the same pair: one "
                "connection, by design (RFC 1122 §4.2.2.10)."),
         Choice("None: both sides report an error.", False,
                "TCP must support simultaneous open (MUST-10, RFC 9293 §3.5).")])


# ------------------------------------------------------------------ notebook 02
def two_way_commits() -> Question:
    """M2: where the two-way variant commits without evidence."""
    return Question(
        "In the two-way run, at which moment does B commit to a connection without any "
        "evidence that the request is fresh?",
        [Choice("When the old SYN arrives: B enters ESTABLISHED on it.", True,
                "Right: B cannot tell an old SYN from a new one (RFC 9293 §3.5, text after "
                "Figure 8), and with two messages nothing later asks A."),
         Choice("When A's real SYN arrives.", False,
                "By then B is already committed: it entered ESTABLISHED on the old SYN and "
                "treats A's real SYN as a repeat on that connection."),
         Choice("When B's idle timer fires.", False,
                "That is when B finally gives up, 300 s after it committed. Real TCP never "
                "gets that far: A's RST sends B back to LISTEN (RFC 9293 Figure 8)."),
         Choice("Never: without a third message B cannot commit.", False,
                "In the two-way variant the SYN alone is enough for B; that is what makes "
                "it two-way.")])


def faster_network() -> Question:
    """M2: a faster network does not save the two-way variant."""
    return Question(
        "The network becomes 100 times faster (1 ms instead of 100 ms each way) but still "
        "keeps a late copy of 10 % of segments. With a two-way handshake, the number of "
        "unwanted connections...",
        [Choice("stays about the same.", True,
                "Right: the trouble is a copy that arrives long after the connection is "
                "over. How fast the original travelled changes nothing."),
         Choice("drops about 100-fold.", False,
                "Speed shortens the handshake, not the life of a late copy: a duplicate may "
                "arrive up to an MSL later (RFC 9293 §3.4.2). Move the delay slider above."),
         Choice("drops to zero.", False,
                "Only a network that never delays or duplicates would do. The Monte-Carlo "
                "cell shows the same count at 1 ms."),
         Choice("grows 100-fold.", False,
                "The number of late copies depends on the duplicate rate, not on the "
                "delay.")])


def who_detects_old_syn() -> Question:
    """M1/M2: only the SYN's (supposed) sender can recognise it as old."""
    return Question(
        "In real TCP (RFC 9293 Figure 8), who discovers that the SYN was an old duplicate, "
        "and how?",
        [Choice("B, from the SYN's sequence number.", False,
                "B cannot: any ISN is plausible, and B keeps no memory of earlier "
                "connections (RFC 9293 §3.4.1). That is why it must ask."),
         Choice("A, because the SYN,ACK acknowledges a number A never sent.", True,
                "Right: A's SYN was 100, the SYN,ACK says ACK=91, so A answers with a RST "
                "and B returns to LISTEN (RFC 9293 §3.5, Figure 8 lines 4-5)."),
         Choice("The network, which drops segments older than an MSL.", False,
                "The MSL only bounds how long a copy may live (RFC 9293 §3.4.2); within it, "
                "copies still arrive."),
         Choice("B, when no third segment arrives.", False,
                "B would find out only after retransmitting its SYN,ACK several times; A's "
                "RST tells it one round trip after the SYN,ACK.")])


def half_open() -> Question:
    """M13: half-open vs half-closed vs SYN-RECEIVED."""
    return Question(
        "Which of these is a half-open connection in RFC 9293's sense?",
        [Choice("B is ESTABLISHED; A rebooted and remembers nothing of the connection.", True,
                "Right: one side has lost the connection without the other knowing (RFC 9293 "
                "§3.5.1, Figures 9 and 10)."),
         Choice("A has sent its FIN; B can still send data to A.", False,
                "That is half-CLOSED: one direction finished on purpose (RFC 9293 §3.6.1)."),
         Choice("B is in SYN-RECEIVED, waiting for the third segment.", False,
                "SYN-flood write-ups call that 'half-open', but RFC 9293 means a "
                "desynchronized connection (§3.5.1). Better name: an embryonic connection."),
         Choice("A is in TIME-WAIT and B is CLOSED.", False,
                "That is the normal end of a close (RFC 9293 §3.6, Figure 12): both sides "
                "agree that the connection is over.")])


def why_clock_isn() -> Question:
    """M8: the clock keeps incarnations apart; the secret part defends against attackers."""
    return Question(
        "Why does TCP take its initial sequence numbers from a clock rather than starting "
        "every connection at the same number?",
        [Choice("So that segments of an earlier connection between the same ports fall "
                "outside the new connection's window.", True,
                "Right: the clock moves each new ISN away from the numbers recently used "
                "(RFC 9293 §3.4.1, MUST-8). TIME-WAIT covers the cases the clock cannot "
                "(notebook 04)."),
         Choice("For security: unpredictable numbers stop attackers.", False,
                "That is the job of the secret function added to the clock (ISN = M + F(...), "
                "SHLD-1 and MUST-9 in RFC 9293 §3.4.1). A purely random ISN could land on "
                "the old connection's numbers; the clock moves away from them."),
         Choice("So that the two hosts' clocks are synchronized.", False,
                "The ISN clock is local to each host; 'sequence numbers are not tied to a "
                "global clock' (RFC 9293 §3.4.1). That is why the handshake has to confirm "
                "them."),
         Choice("It makes no difference; TIME-WAIT already keeps old segments out.", False,
                "TIME-WAIT protects only the side that closed first and only for the same "
                "pair of sockets; a reboot forgets it. The clock and TIME-WAIT work together "
                "(RFC 9293 §3.4.1, §3.6.1; RFC 1337 §1).")])


def clock_shift() -> NumberQuestion:
    """The ISN clock: 250,000 ticks per second."""
    return NumberQuestion(
        "The ISN clock ticks every 4 microseconds. A new connection opens 1 s after the "
        "previous one between the same ports. How far has its ISN moved?",
        250_000,
        explanation="1 s / 4 µs = 250,000: far past a 65,535-byte window, so the old "
                    "segment is outside (RFC 9293 §3.4.1).",
        mistakes={
            1_000_000: "That would be one tick per microsecond. The clock ticks every 4 µs.",
            4: "4 is the tick in microseconds; count the ticks in one second.",
            0: "That is what a fixed ISN does; the clock moves on."})


# ------------------------------------------------------------------ the index
#: Which misconceptions (misconceptions.md) each question targets.
TARGETS: dict[Callable[[], Check], tuple[str, ...]] = {
    purpose: ("M1",),
    minimum_messages: ("M1",),
    who_knows_after_synack: ("M1",),
    synack_ack_number: ("M9",),
    client_after_synack: ("M11",),
    who_listens: ("M3",),
    two_clients_one_port: ("M3",),
    third_ack_lost: ("M10", "M9"),
    connect_time_two_losses: (),
    data_ack_number: ("M9",),
    simultaneous_open: ("M12",),
    two_way_commits: ("M2",),
    faster_network: ("M2",),
    who_detects_old_syn: ("M1", "M2"),
    half_open: ("M13",),
    why_clock_isn: ("M8", "M4"),
    clock_shift: ("M8",),
}

#: The questions of each notebook, in the order they appear.
NOTEBOOKS: dict[str, tuple[Callable[[], Check], ...]] = {
    "00": (purpose, minimum_messages, who_knows_after_synack, synack_ack_number),
    "01": (client_after_synack, who_listens, two_clients_one_port, third_ack_lost,
           connect_time_two_losses, data_ack_number, simultaneous_open),
    "02": (two_way_commits, faster_network, who_detects_old_syn, half_open, why_clock_isn,
           clock_shift),
}
