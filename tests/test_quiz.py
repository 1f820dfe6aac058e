from __future__ import annotations

import pytest

from tcpnb.course.quiz import Choice, NumberQuestion, Question


def third_ack() -> Question:
    return Question("The third ACK is lost. What happens?", [
        Choice("The connection fails.", False, "M10: B retransmits its SYN,ACK (§3.10.7.4)."),
        Choice("B retransmits its SYN,ACK and A's reply opens the connection.", True),
    ])


def test_feedback_for_right_and_wrong_answers() -> None:
    q = third_ack()
    assert not q.check(0).correct and "M10" in q.check(0).message
    assert q.check("B retransmits its SYN,ACK and A's reply opens the connection.").correct
    with pytest.raises(ValueError, match="answer must be an option number 0-1"):
        q.check(5)


def test_a_question_needs_a_right_answer() -> None:
    with pytest.raises(ValueError, match="at least one correct"):
        Question("?", [Choice("no", False)])


def test_number_question_recognises_a_typical_mistake() -> None:
    q = NumberQuestion("How long is TIME-WAIT (RFC)?", 240, unit="s",
                       mistakes={120: "120 s is one MSL; TIME-WAIT lasts two."})
    assert q.check(240).correct
    assert q.check(120).message.startswith("120 s is one MSL")
    assert not q.check(60).correct
    with pytest.raises(ValueError, match="answer must be a number"):
        q.check("240")  # type: ignore[arg-type]


def test_widget_shows_feedback_when_checked() -> None:
    form = third_ack().widget()
    prompt, options, button, feedback = form.children
    button.click()
    assert "Choose an answer first" in feedback.value
    options.value = 1
    button.click()
    assert "✔" in feedback.value
