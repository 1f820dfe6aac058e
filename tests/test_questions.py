"""The course's self-checks (notebooks/questions/*.toml): well made, asked, and true of the runs.

Every question is either a fact about a run, checked here against a run (:data:`FACTS`), or
about the RFC's text and definitions (:data:`RFC_TEXT`).  A new question fails
``test_every_question_is_checked_or_about_the_rfc_text`` until it is put in one of the two.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tcpnb import State, analysis, knowledge, scenarios
from tcpnb.core.states import TRANSITIONS, Trigger
from tcpnb.course import review, stale, timewait
from tcpnb.course.quiz import NumberQuestion, Question
from tcpnb import real
from tcpnb.real import capture

from .conftest import check_question

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
FILES = sorted((NOTEBOOKS / "questions").glob("*.toml"))
CODE = re.compile(r"\bM\d{1,2}\b")


def load(*paths: Path) -> Any:
    return review.load(*paths)  # questions and review exercises


BANK = load(*FILES)
QUESTIONS = {k: BANK[k] for k in BANK if isinstance(BANK[k], (Question, NumberQuestion))}


def test_every_notebook_has_its_file_and_every_file_its_notebook() -> None:
    books = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert [p.stem for p in FILES] == books


@pytest.mark.parametrize("name", [k for k, q in QUESTIONS.items() if isinstance(q, Question)])
def test_one_right_answer_and_wrong_ones_explain(name: str) -> None:
    check_question(QUESTIONS[name], cite=r"RFC|§|Figure|notebook|Linux|capture")


@pytest.mark.parametrize("name", [k for k, q in QUESTIONS.items() if isinstance(q, NumberQuestion)])
def test_number_questions_know_their_typical_mistakes_and_take_the_answer_as_typed(name: str) -> None:
    q = QUESTIONS[name]
    assert q.mistakes and all(abs(m.value - q.answer) > q.tolerance for m in q.mistakes)
    for mistake in q.mistakes:
        verdict = q.check(mistake.value)
        assert not verdict.correct and verdict.message.endswith(mistake.feedback)
    typed = f"{q.answer:g}"
    assert q.check(typed).correct and q.check(f" {typed} {q.unit}").correct
    if "." in typed and len(typed.split(".")[1]) != 3:  # "3,2" is 3.2 ("1,102" asks which)
        assert q.check(typed.replace(".", ",")).correct


@pytest.mark.parametrize("name", QUESTIONS)
def test_learners_see_no_misconception_codes_and_instructors_do(name: str) -> None:
    q = QUESTIONS[name]
    texts = [q.prompt, q.hint] + ([c.text for c in q.choices] + [c.feedback for c in q.choices]
                                  if isinstance(q, Question) else
                                  [q.explanation] + [m.feedback for m in q.mistakes])
    assert not [t for t in texts if CODE.search(t)], "a misconception code in learner text"
    given = [c.misconception for c in q.choices] if isinstance(q, Question) else \
        [m.misconception for m in q.mistakes]
    assert set(filter(None, given)) <= set(q.targets), "an option's misconception is not a target"
    assert all(re.fullmatch(r"M([1-9]|1[0-7])", m) for m in q.targets)  # misconceptions.md: M1-M17


def _asked(path: Path) -> tuple[set[str], set[str]]:
    """(the data files a notebook loads, the ids it asks) from its code cells."""
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                     if c.cell_type == "code")
    return set(re.findall(r'"(questions/\w+\.toml)"', code)), set(re.findall(r'\["(\w+)"\]', code))


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_a_notebook_asks_only_what_its_files_hold_and_everything_in_its_own(path: Path) -> None:
    files, asked = _asked(path)
    assert f"questions/{path.stem}.toml" in files
    held = set(load(*(NOTEBOOKS / f for f in sorted(files))))
    own = set(load(NOTEBOOKS / "questions" / f"{path.stem}.toml"))
    assert own <= asked, f"never asked: {sorted(own - asked)}"
    assert {a for a in asked if a in BANK} <= held


# ----------------------------------------------------------------- true of the runs
def _knows_both_directions(trace: Any) -> int:
    """After how many delivered segments both sides know that both directions work."""
    latest: dict[str, dict[str, str]] = {}
    for n, row in enumerate(knowledge(trace).rows, 1):
        latest[row.endpoint] = row.facts
        if len(latest) == 2 and all(f["A→B works"] == f["B→A works"] == "yes"
                                    for f in latest.values()):
            return n
    raise AssertionError("nobody knew")


def _who_knows_b_to_a_after_synack() -> str:
    rows = knowledge(scenarios.three_way_handshake(data=0)).rows
    assert "SYN,ACK" in rows[1].segment and rows[1].endpoint == "A"
    knows = {r.endpoint for r in rows[:2] if r.facts["B→A works"] == "yes"}
    return {frozenset("A"): "Only A.", frozenset("B"): "Only B.", frozenset("AB"): "Both.",
            frozenset(): "Neither."}[frozenset(knows)]


def _listeners() -> str:
    trace = scenarios.three_way_handshake()
    who = [n for n in "AB" if State.LISTEN in trace.state_sequence(n)]
    return {("B",): "Only B, the server.", ("A",): "Only A, the client."}[tuple(who)]


def _third_ack_lost() -> int:
    trace = scenarios.third_ack_lost(delay=0.1)
    again = [t for t in trace.transmissions if t.origin.value == "retransmission"]
    assert [(t.src, str(t.segment.flags)) for t in again] == [("B", "SYN,ACK")]
    assert trace.final_state("B") is not State.SYN_RECEIVED
    assert State.ESTABLISHED in trace.state_sequence("B")
    return 2  # "B retransmits its SYN,ACK after its RTO; A answers with an ACK; ..."


def _simultaneous_open() -> str:
    trace = scenarios.simultaneous_open()
    for name in "AB":
        assert trace.state_sequence(name)[:4] == [State.CLOSED, State.SYN_SENT,
                                                  State.SYN_RECEIVED, State.ESTABLISHED]
    return "One."


def _two_way_commits() -> int:
    trace = scenarios.old_duplicate_syn_two_way()
    old = next(t for t in trace.transmissions if t.origin.value == "injected")
    entered = next(t for t, s in trace.states("B") if s is State.ESTABLISHED)
    assert entered == old.arrived_at
    return 0  # "When the old SYN arrives: B enters ESTABLISHED on it."


def _who_detects_old_syn() -> int:
    trace = scenarios.old_duplicate_syn()
    synack = next(t for t in trace.transmissions if t.src == "B")
    rst = next(t for t in trace.transmissions if t.src == "A" and "RST" in str(t.segment.flags))
    assert synack.segment.ack == 91 and rst.sent_event == synack.arrived_event
    return 1  # "A, because the SYN,ACK acknowledges a number A never sent."


def _faster_network() -> str:
    runs = stale.sweep({"delay": [0.1, 0.001]}, runs=100)
    slow, fast = (runs.at(delay=d, handshake="two-way").total("unwanted") for d in (0.1, 0.001))
    assert slow > 0 and 0.5 < fast / slow < 2
    return "stays about the same."


def _after_fin_acked() -> int:
    trace = scenarios.half_close(delay=0.1)
    closed = next(c.t for c in trace.app_calls if c.endpoint == "A" and c.call == "shutdown")
    assert sum(len(d.data) for d in trace.deliveries if d.endpoint == "A" and d.t > closed) > 0
    return 1  # "The bytes reach A's application, and A acknowledges them."


def _simultaneous_states() -> str:
    seq = scenarios.close(first="both").state_sequence("A")
    return ", ".join(str(s) for s in seq[-4:-1])


def _lost_fin() -> int:
    trace = scenarios.close(first="A", lose="first FIN")
    fins = [t for t in trace.transmissions if t.src == "A" and "FIN" in str(t.segment.flags)]
    assert len(fins) == 2 and fins[1].origin.value == "retransmission"
    return 1  # "A retransmits the FIN when its retransmission timer runs out."


def _time_wait_seconds() -> float:
    start, end = [t for t, _ in scenarios.close(first="A").states("A")][-2:]
    return end - start


def _last_ack_timer() -> float:
    trace = scenarios.final_ack_lost()
    lost = next(t for t in trace.transmissions if t.fate.value == "dropped")
    again = next(t for t in trace.transmissions if t.origin.value == "retransmission")
    return float(again.arrived_at - lost.sent_at)


def _random_isn_enough() -> int:
    clocked = timewait.failure_rates(0.0, runs=200, isn="clock", rfc1337=True)
    assert clocked.rate("old_accepted") == 0 and clocked.rate("reset") > 0
    return 1  # "If the last ACK is lost, the peer's close ends in a reset, ISNs or not."


def _which_scales() -> int:
    points = timewait.sweep((0.0, 0.05, 0.25, 0.5, 1.0, 2.0), runs=100, msl=60.0, rfc1337=True)
    reset, old = (timewait.threshold(points, f) * 60.0 for f in ("reset", "old_accepted"))
    assert reset <= 8.0 and old >= 30.0  # a few RTOs; about an MSL
    return 1


def _linger_zero() -> int:
    aborted = timewait.request_then("abort", delay=0.1)
    call = next(c for c in aborted.app_calls if c.endpoint == "A" and c.call == "abort")
    first = next(s for s in aborted.transmissions if s.src == "A" and s.sent_at >= call.t)
    assert str(first.segment.flags) == "RST" and aborted.state_at("A", call.t) is State.CLOSED
    assert State.TIME_WAIT not in aborted.state_sequence("A")
    return 1  # "It aborts: sends RST, ..."


def _rst_in_time_wait() -> int:
    killed = timewait.assassination(delay=0.1)
    end = [r for r in killed.state_changes if r.endpoint == "A"][-1]
    assert (end.old, end.new, end.cause) == (State.TIME_WAIT, State.CLOSED, "rcv RST")
    return 1  # "Enters CLOSED at once: TIME-WAIT is cut short."


def _diagram_or_rules() -> int:
    quick = scenarios.close(first="A", peer_close_after=0.01, profile="linux", delay=0.05)
    step = next(r for r in quick.state_changes if r.endpoint == "A" and r.old is State.FIN_WAIT_1)
    assert step.new is State.TIME_WAIT
    row = TRANSITIONS[(State.FIN_WAIT_1, Trigger(step.cause))]
    assert not row.in_figure_5 and "note 2" in row.reference
    return 1  # "Both: the RFC's text takes the endpoint to TIME-WAIT on that one segment, ..."


def _fin_ack_number() -> int:
    life = scenarios.lifecycle(request=1000, reply=1000, delay=0.1)
    fin = next(t for t in life.transmissions if t.src == "A" and "FIN" in str(t.segment.flags))
    ack = next(t for t in life.transmissions if t.src == "B" and t.sent_at >= fin.arrived_at)
    assert fin.segment.seq == 1101
    return ack.segment.ack


def _client_isn() -> int:
    trace = capture.load(real.captures_dir() / "normal_close.pcap")
    raw = capture.load(real.captures_dir() / "normal_close.pcap", relative=False)
    assert trace.transmissions[0].segment.seq == 0
    assert raw.transmissions[0].segment.seq == trace.params["isn"]["client"] != 0
    return 1


def _ack_of_request() -> int:
    trace = capture.load(real.captures_dir() / "normal_close.pcap")
    request = next(t for t in trace.transmissions if t.src == "client" and t.segment.seg_len == 1000)
    assert request.segment.seq == 1
    return next(t.segment.ack for t in trace.transmissions
                if t.src == "server" and t.sent_at >= request.sent_at)


def _syn_spacing() -> int:
    from tcpnb import real

    gaps = real.summary("syn_retries_default")["findings"]["syn_gaps"]
    assert [round(g) for g in gaps[:6]] == [1, 1, 1, 1, 1, 2]
    return 1


def _time_wait_linux() -> int:
    from tcpnb import real

    return round(real.summary("time_wait_length")["findings"]["time_wait_length_min"])


# -- notebooks 05 and 06 (text-c): design questions, checked against runs and captures
def _extra_acks() -> int:
    def opening(trace: Any) -> list[str]:
        return sorted(f"{t.src} {t.segment.flags}" for t in trace.transmissions[:6])
    kernel = real.kernel("simultaneous_open")
    by_rules = real.simulate("simultaneous_open", profile="rfc")
    assert opening(kernel) == opening(by_rules) and [f.split()[1] for f in opening(kernel)].count("ACK") == 2
    assert all(5 in kernel.params["options"][i]["other"] for i in (4, 5))  # D-SACK: the SYN again
    return 1  # "Nobody: ... §3.10.7.4's first check answers it with an ACK"


def _msl_from_time_wait() -> int:
    from tcpnb import profiles

    found = real.summary("time_wait_length")["findings"]
    assert 60 <= found["time_wait_length_min"] <= 60 + real.slot(60)
    assert profiles.LINUX.replace(msl=120.0).time_wait_length == 60  # the MSL does not set it
    return 1  # "Linux has no MSL at all: TIME-WAIT is a fixed 60 s constant"


def _figure_only_rst() -> int:
    trace = scenarios.half_open_data()  # A reboots; B's data draws A's RST
    step = next(r for r in trace.state_changes if r.endpoint == "B" and r.old is State.ESTABLISHED)
    assert (step.new, step.cause) == (State.CLOSED, Trigger.RCV_RST)
    row = TRANSITIONS[(State.ESTABLISHED, Trigger.RCV_RST)]
    assert not row.in_figure_5 and row.action == "connection reset" and "note 3" in row.reference
    return 1  # "It has no arrow for it, so it stays ESTABLISHED; RFC 9293 says enter CLOSED ..."


def _synack_twice() -> int:
    def b_sent(trace: Any) -> list[str]:
        return [str(t.segment.flags) for t in trace.transmissions if t.src == "B"][:3]
    ack_lost = scenarios.third_ack_lost(delay=0.1)
    assert b_sent(ack_lost) == ["SYN,ACK", "SYN,ACK"] and ack_lost.final_state("B") is State.ESTABLISHED
    for profile in ("rfc", "linux"):  # a lost SYN,ACK: A repeats its SYN and B answers it as well
        synack_lost = scenarios.synack_lost(times=1, delay=0.1, profile=profile)
        assert len(b_sent(synack_lost)) == 3 and b_sent(synack_lost)[:2] == ["SYN,ACK", "SYN,ACK"]
    return 1  # "A's ACK, the third segment: ..."


TEXT_C_FACTS: dict[str, Callable[[], Any]] = {
    "figure_only_rst": _figure_only_rst,
    "synack_twice": _synack_twice,
    "extra_acks": _extra_acks,
    "msl_from_time_wait": _msl_from_time_wait,
}


# --- notebooks 03 and 04, issue 15 (helper text-b): close() vs shutdown(), delayed ACK, LAST-ACK
def _close_reply() -> str:
    closed = scenarios.close_then_reply(delay=0.1)
    reply = min(t.arrived_at for t in closed.transmissions if t.src == "B" and t.segment.length)
    first = next(t for t in closed.transmissions if t.src == "A" and t.sent_at >= reply)
    assert closed.received("A") == b"" and str(first.segment.flags) == "RST"
    assert real.summary("close_then_reply")["findings"]["rst"]["flags"] == "RST"  # Linux too
    return "Answers it with a RST: A's application reads nothing more, so the data is lost."


def _ack_rides_on_fin() -> str:
    def count(after: float) -> int:  # RFC profile with a delayed ACK of 0.2 s (< 0.5 s, MUST-40)
        return len(timewait.close_segments(scenarios.close(
            first="A", peer_close_after=after, delayed_fin_ack=0.2, delay=0.05)))
    assert (count(0.1), count(0.3)) == (3, 4)
    return "Its FIN can go only when its application closes, and the ACK may wait less than 0.5 s."


def _unanswered_last_ack() -> str:
    silent = timewait.unanswered_fin(delay=0.1)
    fins = [t for t in silent.transmissions if t.src == "B" and "FIN" in str(t.segment.flags)]
    last = [r for r in silent.state_changes if r.endpoint == "B"][-1]
    assert len(fins) == 7 and (last.old, last.new, last.t) == (State.LAST_ACK, State.CLOSED, 125.3)
    assert silent.messages("B")[-1] == "error: connection timed out"
    return "No: B's own retry limit ends LAST-ACK, but as an error, not a clean close."


def _lan_one_second() -> str:
    lan = scenarios.final_ack_lost(profile="linux", delay=0.001, time_wait=1.0)
    fins = [t.sent_at for t in lan.transmissions if t.src == "B" and "FIN" in str(t.segment.flags)]
    b_end = [r for r in lan.state_changes if r.endpoint == "B"][-1]
    assert round(fins[1] - fins[0], 3) == 0.202 and b_end.cause == "rcv ACK of FIN"  # job 1: done
    late = scenarios.time_wait_reuse(time_wait=1.0, delay=0.001, old_lag=1.5)
    assert analysis.stale_deliveries(late, "B")  # job 2: a copy 1.5 s late gets in
    return "Answering a repeated FIN, yes; keeping old copies out of the next connection, no."


#: id -> what a run (or a capture of Linux) says the answer is: a number, an option's text or index.
FACTS: dict[str, Callable[[], Any]] = {
    "minimum_messages": lambda: _knows_both_directions(scenarios.three_way_handshake(data=0)),
    "who_knows_after_synack": _who_knows_b_to_a_after_synack,
    "synack_ack_number": lambda: scenarios.three_way_handshake().segments("B")[0].ack,
    "data_ack_number": lambda: scenarios.three_way_handshake(data=10).segments("B")[-1].ack,
    "client_after_synack": lambda: str(scenarios.three_way_handshake().state_sequence("A")[2]),
    "who_listens": _listeners,
    "third_ack_lost": _third_ack_lost,
    "connect_time_two_losses": lambda: analysis.connect_time(scenarios.syn_lost(times=2, delay=0.1)),
    "simultaneous_open": _simultaneous_open,
    "two_way_commits": _two_way_commits,
    "who_detects_old_syn": _who_detects_old_syn,
    "faster_network": _faster_network,
    "clock_shift": lambda: (lambda w: w.new_isn - w.old_isn)(stale.isn_window("clock", 1.0)),
    "after_fin_acked": _after_fin_acked,
    "close_segment_count": lambda: len(timewait.close_segments(scenarios.close(
        first="A", peer_close_after=0.01, profile="linux", delay=0.05))),
    "simultaneous_states": _simultaneous_states,
    "who_waits": lambda: {("B",): "The server (B), because it closed first."}[
        tuple(timewait.time_wait_holders(scenarios.close(first="B")))],
    "lost_fin": _lost_fin,
    "time_wait_seconds": _time_wait_seconds,
    "last_ack_timer": _last_ack_timer,
    "random_isn_enough": _random_isn_enough,
    "which_scales": _which_scales,
    "linger_zero": _linger_zero,
    "rst_in_time_wait": _rst_in_time_wait,
    "close_reply": _close_reply,  # text-b: 03 and 04 (issue 15)
    "ack_rides_on_fin": _ack_rides_on_fin,
    "unanswered_last_ack": _unanswered_last_ack,
    "lan_one_second": _lan_one_second,
    "diagram_or_rules": _diagram_or_rules,
    "fin_ack_number": _fin_ack_number,
    "client_isn": _client_isn,
    "ack_of_request": _ack_of_request,
    "syn_spacing": _syn_spacing,
    "time_wait_linux": _time_wait_linux,
    **TEXT_C_FACTS,
}

#: Questions whose answer is a statement of an RFC or a definition, not a fact about a run.
RFC_TEXT = {"purpose", "two_clients_one_port", "half_open", "why_clock_isn", "fin_means",
            "name_this_connection", "msl_guarantee", "why_time_wait", "reuse_options"}


def test_every_question_is_checked_or_about_the_rfc_text() -> None:
    assert not set(FACTS) & RFC_TEXT
    assert set(QUESTIONS) == set(FACTS) | RFC_TEXT, (
        "put each new question in FACTS (check its answer against a run) or in RFC_TEXT")


@pytest.mark.parametrize("name", FACTS)
def test_the_stated_answer_is_what_the_run_shows(name: str) -> None:
    verdict = QUESTIONS[name].check(FACTS[name]())
    assert verdict.correct, verdict.message


# ---------------------------------------------- notebooks 00-02: design questions (issue 12 item 6)
def _reject_too_late() -> int:
    for delay in (0.1, 0.01):
        run = stale.replayed(stale.replay("two-way", delay=delay))
        assert run.delivered is not None and run.rejected is not None
        assert run.delivered < run.rejected  # the request ran before the reject arrived
    return 0  # "Only A can tell that the SYN is old, and its RST needs a round trip ..."


FACTS.update({"reject_too_late": _reject_too_late})


def _ack_not_ok() -> int:
    _, synack, ack = scenarios.three_way_handshake(data=0).segments()
    assert ack.ack == synack.seq + 1  # computed from the ISN B just chose
    # Figure 8: B's two SYN,ACKs carry different ISNs, so only the fresh answer completes B.
    trace = scenarios.old_duplicate_syn()
    isns = [s.seq for s in trace.segments("B") if str(s.flags) == "SYN,ACK"]
    final = [s for s in trace.segments("A") if str(s.flags) == "ACK"][-1]
    assert isns == [300, 400] and final.ack == 401 and trace.final_state("B") is State.ESTABLISHED
    return 1  # "Only a number computed from the ISN B just chose proves ..."


def _late_copies_two_messages() -> int:
    two_way = stale.compare(runs=100, loss=0.0).at(handshake="two-way")
    assert two_way.total("unwanted_open") > 0  # no loss, yet B opened connections for nobody
    return 2  # "No: a late copy of an old SYN looks exactly like a new one ..."


FACTS.update({"ack_not_ok": _ack_not_ok, "late_copies_two_messages": _late_copies_two_messages})


def _figure_or_rules() -> int:
    trace = scenarios.simultaneous_open(delay=0.1)
    acks = [s for s in trace.segments() if str(s.flags) == "ACK"]
    synacks = [s for s in trace.segments() if str(s.flags) == "SYN,ACK"]
    assert len(trace.segments()) == 6 and len(acks) == 2  # Figure 7 draws four
    assert sorted(a.ack for a in acks) == sorted(s.seq + 1 for s in synacks)  # RCV.NXT: past the SYN
    return 2  # "Each side already took the peer's SYN ... the first check ..."


def _no_timer_for_third_ack() -> int:
    trace = scenarios.third_ack_lost(delay=0.1)
    by_a = [t for t in trace.transmissions if t.src == "A"]
    assert all(t.origin.value == "original" for t in by_a)  # A never retransmits
    assert any(t.src == "B" and t.origin.value == "retransmission" for t in trace.transmissions)
    assert round(analysis.established_at(trace), 3) == 1.3
    return 0  # "Nothing ever acknowledges a bare ACK ... B's timer ... repairs the loss"


def _server_keeps_listening() -> int:
    trace = scenarios.old_duplicate_syn(accept=True)
    assert trace.state_sequence("B") == [State.CLOSED, State.LISTEN]
    assert {n for n in trace.endpoints if n.startswith("B:")} == {"B:1", "B:2"}
    return 2  # "A socket server keeps a listening TCB in LISTEN ..."


FACTS.update({"figure_or_rules": _figure_or_rules, "no_timer_for_third_ack": _no_timer_for_third_ack,
              "server_keeps_listening": _server_keeps_listening})
