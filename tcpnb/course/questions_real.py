"""Self-check questions for notebook 06 (real TCP: captures of the Linux kernel).

Each function returns a fresh :class:`~tcpnb.course.quiz.Question` or
:class:`~tcpnb.course.quiz.NumberQuestion`; every wrong option answers the
misconception behind it (``M7``-``M9`` of the team's ``misconceptions.md``)
and names the source that settles it.  The numbers come from the captures in
``tcpnb/real/captures``.
"""

from __future__ import annotations

from .quiz import Choice, NumberQuestion, Question

#: Which misconceptions each question targets.
TARGETS = {"relative_isn": ("M8",), "ack_of_request": ("M9",), "time_wait_linux": ("M7",),
           "syn_spacing": ()}


def relative_isn() -> Question:
    """M8: Wireshark (and tcpnb.real.capture) show the SYN as SEQ=0."""
    return Question(
        "tcpnb.real.capture.load (like Wireshark) shows the client's SYN as <SEQ=0>. "
        "What initial sequence number did the client's kernel choose?",
        [Choice("0: Linux starts every connection at 0.", False,
                "M8: 0 is a relative number: the importer subtracts each side's ISN, as Wireshark "
                "does. The raw ISN is in trace.params['isn'] (or load(..., relative=False)); an "
                "ISN of 0 for every connection is what RFC 9293 §3.4.1 rules out."),
         Choice("A 32-bit number chosen from a clock plus a keyed hash of the addresses and "
                "ports; 0 is only how the view counts.", True,
                "Right: RFC 9293 §3.4.1 (MUST-8, SHLD-1) asks for ISN = M + F(addresses, ports, "
                "secret). The capture's raw numbers are large and different every time."),
         Choice("A purely random number, which is what keeps old and new connections apart.",
                False,
                "M8: randomness alone would not do that. RFC 9293 §3.4.1 asks for a clock "
                "(M, ticking every 4 us) so that successive incarnations move forward; the keyed "
                "hash F is against attackers who guess (RFC 6528).")])


def ack_of_request() -> NumberQuestion:
    """M9: the ACK of n bytes of data is SEQ + n, not SEQ + 1."""
    return NumberQuestion(
        "In normal_close the client's request is <SEQ=1><ACK=1><CTL=PSH,ACK> with 1000 bytes. "
        "What ACK number does the server's kernel send back?",
        answer=1001,
        explanation="ACK is the next sequence number expected: 1 + 1000 (RFC 9293 §3.1, §3.4).",
        mistakes={2: "M9: +1 is right only for a SYN or a FIN, which take one sequence number "
                     "each. Data takes one number per byte: the ACK is SEQ + 1000 (RFC 9293 §3.4).",
                  1000: "Close: the bytes are numbered 1 to 1000, and ACK names the next one "
                        "expected, 1001."},
        hint="The ACK number is the next byte the receiver expects.")


def time_wait_linux() -> NumberQuestion:
    """M7: Linux's TIME-WAIT is 60 s, not 2 x 2 minutes."""
    return NumberQuestion(
        "The capture time_wait_length polls ss until the client's TIME-WAIT socket is gone. "
        "About how many seconds does TIME-WAIT last on this Linux kernel (nearest 10 s)?",
        answer=60, tolerance=5, unit="s",
        explanation="Linux fixes TIME-WAIT at TCP_TIMEWAIT_LEN = 60 s; the socket went away "
                    "after 60.85-60.96 s (its timer fires up to one timer-wheel slot late).",
        mistakes={240: "M7: 240 s is 2 x MSL with RFC 9293's MSL of 2 minutes (§3.4.2, §3.6.1). "
                       "Linux does not follow it: TIME-WAIT is a fixed 60 s there.",
                  120: "M7: 120 s is one MSL in RFC 9293 (or 2 x MSL with MSL = 1 min). "
                       "Linux has no MSL setting; its TIME-WAIT is 60 s.",
                  30: "30 s is half of it: Linux's TIME-WAIT is 60 s, which tcpnb's LINUX "
                      "profile writes as 2 x MSL with MSL = 30 s."})


def syn_spacing() -> Question:
    """How Linux 6.x spaces SYN retransmissions (tcp_syn_linear_timeouts)."""
    return Question(
        "Every SYN is dropped. When does this Linux kernel send its first 7 SYNs (seconds after "
        "connect())?",
        [Choice("0, 1, 3, 7, 15, 31, 63: the timeout doubles each time.", False,
                "That is RFC 6298 §5.5's backoff, and what Linux did before 6.x. Since "
                "net.ipv4.tcp_syn_linear_timeouts (default 4) the first retransmissions are 1 s "
                "apart; the captures show gaps of 1.02-1.03 s."),
         Choice("0, 1, 2, 3, 4, 5, 7: five 1-second gaps, then doubling.", True,
                "Right: 1 + 4 linear timeouts, then 2, 4, 8, ... s (captured: 1.024, 1.028, "
                "1.02, 1.024, 1.024, 2.016 s)."),
         Choice("0, 3, 6, 12, 24, 48, 96: an initial RTO of 3 s.", False,
                "3 s was the initial RTO of RFC 1122 and old kernels; RFC 6298 §2.1 and Linux "
                "use 1 s.")])
