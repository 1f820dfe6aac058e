"""The "you are the kernel" exercises and the part II questions agree with the simulator."""

from __future__ import annotations

import re

import pytest

from tcpnb import State, scenarios
from tcpnb.course import questions_close as qc
from tcpnb.course import review as rv
from tcpnb.course import timewait
from tcpnb.course.quiz import NumberQuestion, Question

from .conftest import check_question


# ------------------------------------------------------------- state tables
def test_events_replay_figure_12_with_both_states_after_each() -> None:
    trace = scenarios.close(first="A")
    rows = rv.events(trace, since=1.0)
    assert [r.kind for r in rows] == ["call", "arrival", "arrival", "call", "arrival",
                                      "arrival", "timer"]
    assert [(str(r.states["A"]), str(r.states["B"])) for r in rows] == [
        ("FIN-WAIT-1", "ESTABLISHED"), ("FIN-WAIT-1", "CLOSE-WAIT"), ("FIN-WAIT-2", "CLOSE-WAIT"),
        ("FIN-WAIT-2", "LAST-ACK"), ("TIME-WAIT", "LAST-ACK"), ("TIME-WAIT", "CLOSED"),
        ("CLOSED", "CLOSED")]
    assert rows[1].changes["B"].cause == "rcv FIN"


def test_rfc_rows_reproduce_figures_12_and_13() -> None:
    assert rv.rfc_rows(scenarios.close(first="A"), since=1.0) == [
        ("A", "<SEQ=100><ACK=300><CTL=FIN,ACK>", "FIN-WAIT-1", "CLOSE-WAIT"),
        ("B", "<SEQ=300><ACK=101><CTL=ACK>", "CLOSE-WAIT", "FIN-WAIT-2"),
        ("B", "<SEQ=300><ACK=101><CTL=FIN,ACK>", "LAST-ACK", "TIME-WAIT"),
        ("A", "<SEQ=101><ACK=301><CTL=ACK>", "TIME-WAIT", "CLOSED")]
    rows = rv.rfc_rows(scenarios.close(first="both"), since=1.0)
    assert [r[1] for r in rows] == ["<SEQ=100><ACK=300><CTL=FIN,ACK>",
                                    "<SEQ=300><ACK=100><CTL=FIN,ACK>",
                                    "<SEQ=301><ACK=101><CTL=ACK>", "<SEQ=101><ACK=301><CTL=ACK>"]
    assert [r[3] for r in rows] == ["CLOSING", "CLOSING", "TIME-WAIT", "TIME-WAIT"]


@pytest.mark.parametrize("k", range(len(rv.STATE_TABLES)))
def test_every_ready_table_accepts_its_own_answers(k: int) -> None:
    table = rv.state_table(k)
    verdicts = table.check(table.answers())
    assert all(v.correct for row in verdicts for v in row.values())
    assert table.text().count("?") == len(table.rows) * len(table.names)


def test_typical_wrong_answers_name_their_misconception() -> None:
    table = rv.state_table(1)  # A closes first
    b_last_ack = next(i for i, r in enumerate(table.rows) if r.states["B"] is State.LAST_ACK)
    assert table.judge(b_last_ack, "B", "TIME-WAIT").message.startswith("M6")
    a_time_wait = next(i for i, r in enumerate(table.rows) if r.states["A"] is State.TIME_WAIT)
    verdict = table.judge(a_time_wait, "A", State.CLOSED)
    assert not verdict.correct and verdict.message.startswith("M4")
    assert "'rcv FIN' takes it to TIME-WAIT (Figure 5)" in verdict.message
    assert "stays in" in table.judge(b_last_ack, "A", "FIN-WAIT-2").message
    simultaneous = rv.state_table(3)
    closing = next(i for i, r in enumerate(simultaneous.rows) if r.states["A"] is State.CLOSING)
    assert "CLOSING (Figure 13)" in simultaneous.judge(closing, "A", "FIN-WAIT-2").message


def test_state_table_rejects_bad_answers() -> None:
    table = rv.state_table(1)
    with pytest.raises(ValueError, match="one entry per row"):
        table.check([])
    with pytest.raises(ValueError, match="state's name"):
        table.judge(0, "A", "HALF-CLOSED")
    with pytest.raises(ValueError, match="nothing happens"):
        rv.StateTable(scenarios.close(first="A"), since=1e6)


# ------------------------------------------------------------ lost segments
@pytest.mark.parametrize("k", range(len(rv.LOST_SEGMENTS)))
def test_every_lost_segment_exercise_has_one_right_answer_with_evidence(k: int) -> None:
    exercise = rv.lost_segment(k)
    question = exercise.question()
    right = [i for i, c in enumerate(question.choices) if c.correct]
    assert len(right) == 1 and exercise.options[right[0]] is exercise.lost
    assert re.search(r"retransmitted|sent the same segment again", question.choices[right[0]].feedback)
    assert "arrives" not in exercise.observed()  # the learner sees no arrivals
    for choice in question.choices:
        assert question.check(question.choices.index(choice)).message == choice.feedback


def test_a_retransmitted_but_delivered_fin_is_a_trap_with_a_hint() -> None:
    exercise = rv.lost_segment(1)  # A's last ACK is lost; B retransmits its FIN
    first_fin = next(t for t in exercise.options if t.src == "B" and "FIN" in str(t.segment))
    assert "Which ACK is missing?" in exercise.feedback(first_fin)


def test_random_lost_segment_finds_a_visible_loss() -> None:
    exercise = rv.random_lost_segment(seed=0)
    assert exercise.seed is not None and exercise.seed >= 0 and f"seed {exercise.seed}" in exercise.title
    assert any(t.origin.value == "retransmission" for t in exercise.trace.transmissions)
    with pytest.raises(ValueError, match="exactly one"):
        rv.LostSegment(scenarios.lifecycle())


def test_widgets_build() -> None:
    assert rv.state_table(0).widget().children
    form = rv.lost_segment(0).widget()
    assert "One segment was" in form.children[0].value


def test_static_html_hides_the_answers_in_a_fold() -> None:
    table = rv.state_table(1)
    page = table.html()
    blank, answers = page.split("<details>")
    assert "TIME-WAIT" not in blank and "TIME-WAIT" in answers and "FIN-WAIT-2" in answers
    bundle = table._repr_mimebundle_()
    assert bundle["text/html"] == page and "event" in bundle["text/plain"]
    lost = rv.lost_segment(1)
    before, after = lost.html().split("<details>")
    assert "Right:" not in before and "Right:" in after
    assert lost._repr_mimebundle_()["text/plain"] == lost.observed()


# ---------------------------------------------------------------- questions
ALL = list(qc.TARGETS)


def test_every_question_is_indexed_once() -> None:
    listed = [q for questions in qc.NOTEBOOKS.values() for q in questions]
    assert sorted(f.__name__ for f in listed) == sorted(f.__name__ for f in ALL)
    assert len(set(listed)) == len(listed)
    assert all(re.fullmatch(r"M([1-9]|1[0-7])", m) for ms in qc.TARGETS.values() for m in ms)


@pytest.mark.parametrize("make", [f for f in ALL if isinstance(f(), Question)],
                         ids=lambda f: f.__name__)
def test_one_right_answer_and_wrong_ones_explain(make) -> None:  # type: ignore[no-untyped-def]
    check_question(make())


@pytest.mark.parametrize("make", [f for f in ALL if isinstance(f(), NumberQuestion)],
                         ids=lambda f: f.__name__)
def test_number_questions_know_their_typical_mistakes(make) -> None:  # type: ignore[no-untyped-def]
    q = make()
    assert q.check(q.answer).correct and q.mistakes
    for wrong, message in q.mistakes.items():
        assert not q.check(wrong).correct and q.check(wrong).message == message


def test_the_questions_agree_with_the_simulator() -> None:
    from tcpnb import profiles

    assert qc.time_wait_seconds().check(profiles.RFC.time_wait_length).correct
    linux = scenarios.close(first="A", peer_close_after=0.01, profile="linux", delay=0.05)
    assert qc.three_segments().check(len(timewait.close_segments(linux))).correct
    assert timewait.time_wait_holders(scenarios.close(first="B")) == ["B"]  # who_waits
    trace = scenarios.final_ack_lost()
    lost = next(t for t in trace.transmissions if t.fate.value == "dropped")
    again = next(t for t in trace.transmissions if t.origin.value == "retransmission")
    assert qc.last_ack_timer().check(again.arrived_at - lost.sent_at).correct
    assert qc.simultaneous_states().check(1).correct
    seq = scenarios.close(first="both").state_sequence("A")
    assert seq[-4:-1] == [State.FIN_WAIT_1, State.CLOSING, State.TIME_WAIT]
