"""The "you are the kernel" exercises agree with the simulator and explain every wrong answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tcpnb import State, scenarios
from tcpnb.course import review as rv

FILE = Path(__file__).resolve().parent.parent / "notebooks" / "questions" / "05_review.toml"
REVIEW = rv.load(FILE)
TABLES = [k for k in REVIEW if isinstance(REVIEW[k], rv.StateTable)]
LOST = [k for k in REVIEW if isinstance(REVIEW[k], rv.LostSegment)]


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


def test_the_review_file_has_five_tables_and_four_lost_segments() -> None:
    assert TABLES == [f"table_{k}" for k in range(1, 6)]
    assert LOST == ["lost_a", "lost_b", "lost_c", "lost_d"]
    assert REVIEW["table_1"].rows[0].text == "B calls listen()"  # from the start
    assert REVIEW["table_2"].rows[0].text == "A calls close()"  # start = "first close"


@pytest.mark.parametrize("name", TABLES)
def test_every_ready_table_accepts_its_own_answers(name: str) -> None:
    table = REVIEW[name]
    verdicts = table.check(table.answers())
    assert all(v.correct for row in verdicts for v in row.values())
    assert table.text().count("?") == len(table.rows) * len(table.names)


def test_typical_wrong_answers_explain_in_plain_words_and_keep_the_code_for_instructors() -> None:
    table = REVIEW["table_2"]  # A closes first
    b_last_ack = next(i for i, r in enumerate(table.rows) if r.states["B"] is State.LAST_ACK)
    passive = table.judge(b_last_ack, "B", "TIME-WAIT")
    assert passive.misconception == "M6" and passive.message.startswith("Only the side that closed")
    a_time_wait = next(i for i, r in enumerate(table.rows) if r.states["A"] is State.TIME_WAIT)
    verdict = table.judge(a_time_wait, "A", State.CLOSED)
    assert not verdict.correct and verdict.misconception == "M4"
    assert "'rcv FIN' takes it to TIME-WAIT (Figure 5)" in verdict.message
    assert "stays in" in table.judge(b_last_ack, "A", "FIN-WAIT-2").message
    simultaneous = REVIEW["table_4"]
    closing = next(i for i, r in enumerate(simultaneous.rows) if r.states["A"] is State.CLOSING)
    assert "CLOSING (Figure 13)" in simultaneous.judge(closing, "A", "FIN-WAIT-2").message
    for name in TABLES:  # no wrong answer anywhere shows a code such as "M6"
        t = REVIEW[name]
        for i, row in enumerate(t.rows):
            for who in t.names:
                for state in State:
                    assert not re.search(r"\bM\d+\b", t.judge(i, who, state).message)


def test_the_grid_shows_verdicts_without_codes() -> None:
    form = REVIEW["table_3"].widget()
    head, grid, button = form.children
    menus = [c for c in grid.children if hasattr(c, "options") and c.options]
    notes = [c for c in grid.children if c.__class__.__name__ == "HTML"]
    for menu in menus:
        menu.value = State.TIME_WAIT
    button.click()
    shown = " ".join(n.value for n in notes)
    assert "✘" in shown and "✔" in shown and not re.search(r"\bM\d+\b", shown)


def test_state_table_rejects_bad_answers() -> None:
    table = REVIEW["table_2"]
    with pytest.raises(ValueError, match="one entry per row"):
        table.check([])
    with pytest.raises(ValueError, match="state's name"):
        table.judge(0, "A", "HALF-CLOSED")
    with pytest.raises(ValueError, match="nothing happens"):
        rv.StateTable(scenarios.close(first="A"), since=1e6)


# ------------------------------------------------------------ lost segments
@pytest.mark.parametrize("name", LOST)
def test_every_lost_segment_exercise_has_one_right_answer_with_evidence(name: str) -> None:
    exercise = REVIEW[name]
    question = exercise.question()
    right = [i for i, c in enumerate(question.choices) if c.correct]
    assert len(right) == 1 and exercise.options[right[0]] is exercise.lost
    assert re.search(r"retransmitted|sent the same segment again", question.choices[right[0]].feedback)
    assert "arrives" not in exercise.observed()  # the learner sees no arrivals
    for choice in question.choices:
        assert question.check(question.choices.index(choice)).message == choice.feedback


def test_a_retransmitted_but_delivered_fin_is_a_trap_with_a_hint() -> None:
    exercise = REVIEW["lost_b"]  # A's last ACK is lost; B retransmits its FIN
    first_fin = next(t for t in exercise.options if t.src == "B" and "FIN" in str(t.segment))
    assert "Which ACK is missing?" in exercise.feedback(first_fin)


def test_random_lost_segment_finds_a_visible_loss() -> None:
    exercise = rv.random_lost_segment(seed=0)
    assert exercise.seed is not None and exercise.seed >= 0 and f"seed {exercise.seed}" in exercise.title
    assert any(t.origin.value == "retransmission" for t in exercise.trace.transmissions)
    with pytest.raises(ValueError, match="exactly one"):
        rv.LostSegment(scenarios.lifecycle())


def test_widgets_build() -> None:
    assert REVIEW["table_1"].widget().children
    form = REVIEW["lost_a"].widget()
    assert "One segment was" in form.children[0].value


def test_static_html_hides_the_answers_in_a_fold() -> None:
    table = REVIEW["table_2"]
    page = table.html()
    blank, answers = page.split("<details>")
    assert "TIME-WAIT" not in blank and "TIME-WAIT" in answers and "FIN-WAIT-2" in answers
    bundle = table._repr_mimebundle_()
    assert bundle["text/html"] == page and "event" in bundle["text/plain"]
    lost = REVIEW["lost_b"]
    before, after = lost.html().split("<details>")
    assert "Right:" not in before and "Right:" in after
    assert lost._repr_mimebundle_()["text/plain"] == lost.observed()


# ------------------------------------------------------------ the data file
@pytest.mark.parametrize("text, message", [
    ('exercise = "quiz"', r"exercise: must be 'state table' or 'lost segment', got 'quiz'"),
    ('exercise = "state table"\ntitle = "t"\nscenario = "nope"',
     r"\[x\]: scenario: unknown scenario 'nope'; known: three_way_handshake"),
    ('exercise = "state table"\ntitle = "t"\nscenario = "close"\nsettings = { frist = "A" }',
     r"\[x\]: .*frist"),
    ('exercise = "lost segment"\ntitle = "t"\nscenario = "close"',
     r"\[x\]: the run must lose exactly one segment, it lost 0"),
    ('exercise = "lost segment"\ntitle = "t"\nscenario = "close"\nstart = "first close"',
     r"unknown key 'start'"),
    ('exercise = "state table"\ntitle = "t"\nscenario = "close"\nstart = "end"',
     r"start: must be 'start' or 'first close', got 'end'"),
    ('exercise = "state table"\ntitle = "t"\nscenario = "three_way_handshake"\nstart = "first close"',
     r"the run has no close\(\) to start from"),
])
def test_a_mistake_in_an_exercise_names_the_entry(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "review.toml"
    path.write_text(f"[x]\n{text}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        rv.load(path)


def test_questions_load_with_the_exercises_and_quiz_load_points_to_review_load() -> None:
    from tcpnb.course import quiz

    assert isinstance(REVIEW["fin_ack_number"], quiz.NumberQuestion)
    with pytest.raises(ValueError, match="exactly one of the keys choices, answer.*review.load"):
        quiz.load(FILE)
