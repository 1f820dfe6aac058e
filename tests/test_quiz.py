"""The self-check engine: questions from TOML files, judged exactly as typed, feedback in plain words."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from tcpnb.course import coursefile, quiz
from tcpnb.course.quiz import Choice, Mistake, NumberQuestion, Question, read_number
from tcpnb.views import palette

BANK = '''
# A comment, as an author would write one.
[third_ack]
prompt = "The third ACK is lost. What happens?"
targets = ["M10"]

[[third_ack.choices]]
text = "The connection fails."
feedback = """
B retransmits its SYN,ACK
(RFC 9293 §3.10.7.4)."""
misconception = "M10"

[[third_ack.choices]]
text = "B retransmits its SYN,ACK and A's reply opens the connection."
correct = true

[time_wait]
prompt = "How long is TIME-WAIT by the RFC?"
answer = 240
unit = "s"
explanation = "2 x MSL."

[[time_wait.mistakes]]
value = 120
feedback = "120 s is one MSL; TIME-WAIT lasts two."
misconception = "M7"
'''


@pytest.fixture
def bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> quiz.Bank:
    (tmp_path / "questions").mkdir()
    (tmp_path / "questions" / "00_test.toml").write_text(BANK, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # a notebook names its file relative to its own folder
    return quiz.load("questions/00_test.toml")


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


# --------------------------------------------------------------------- loading
def test_a_file_loads_as_questions_by_id(bank: quiz.Bank) -> None:
    assert list(bank) == ["third_ack", "time_wait"] and "time_wait" in bank and len(bank) == 2
    question = bank["third_ack"]
    assert isinstance(question, Question) and question.targets == ("M10",)
    assert question.choices[0].feedback == "B retransmits its SYN,ACK (RFC 9293 §3.10.7.4)."
    assert isinstance(bank["time_wait"], NumberQuestion) and bank["time_wait"].answer == 240


def test_an_unknown_id_names_the_ids_there_are(bank: quiz.Bank) -> None:
    with pytest.raises(ValueError, match="no question 'time_wiat' in questions/00_test.toml; "
                                         "it has: third_ack, time_wait"):
        bank["time_wiat"]


def test_a_missing_file_says_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="no course file 'questions/nope.toml' in .*relative to its "
                                         "own folder"):
        quiz.load("questions/nope.toml")


@pytest.mark.parametrize("text, message", [
    ('[q]\nprompt = "?"\nanswer = 1\ncorect = true\n', r"\[q\]: unknown key 'corect'; allowed: prompt"),
    ('[q]\nprompt = "?"\n', r"\[q\]: an entry needs exactly one of the keys choices, answer"),
    ('[q]\nprompt = "?"\nanswer = "3"\n', r"\[q\], answer: must be a number, got '3'"),
    ('[q]\nanswer = 3\n', r"\[q\]: missing key 'prompt'"),
    ('[q]\nprompt = " "\nanswer = 3\n', r"\[q\], prompt: must not be empty"),
    ('[q]\nprompt = "?"\nanswer = 3\ntolerance = -1\n', r"tolerance: must be 0 or more"),
    ('[q]\nprompt = "?"\nanswer = 3\ntargets = ["misc 6"]\n', r"codes look like 'M6', got 'misc 6'"),
    ('[q]\nprompt = "?"\n[[q.choices]]\ntext = "a"\nfeedback = "no"\n',
     r"exactly one choice must have correct = true"),
    ('[q]\nprompt = "?"\n[[q.choices]]\ntext = "a"\n', r"\[\[q.choices\]\] number 1: a wrong choice needs "
                                                      "feedback"),
    ('[q]\nprompt = "?"\nchoices = ["a", "b"]\n', r"must be one or more \[\[q.choices\]\] tables"),
    ('q = "?"\n', r"'q' must be a table, \[q\]"),
    ('[q\n', r"not valid TOML"),
])
def test_a_mistake_in_a_file_names_the_file_the_entry_and_the_key(
        tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        quiz.load(write(tmp_path, text))


def test_an_id_used_twice_across_files_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[q]\nprompt = "?"\nanswer = 3\n')
    with pytest.raises(ValueError, match="the id 'q' is used twice"):
        quiz.load(path, path)


def test_on_colab_a_missing_file_is_fetched_from_the_notebooks_repository(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = []

    class Answer:
        def __enter__(self) -> Answer:
            return self

        def __exit__(self, *_: object) -> None:
            pass

        def read(self) -> bytes:
            return BANK.encode()

    def urlopen(url: str, timeout: float) -> Answer:
        asked.append(url)
        return Answer()

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr("urllib.request.urlopen", urlopen)
    assert list(quiz.load("questions/00_test.toml")) == ["third_ack", "time_wait"]
    assert asked == ["https://raw.githubusercontent.com/tcpnb/tcpnb/main/notebooks/questions/00_test.toml"]
    assert (tmp_path / "questions" / "00_test.toml").read_text() == BANK  # fetched once
    quiz.load("questions/00_test.toml")
    assert len(asked) == 1
    monkeypatch.delitem(sys.modules, "google.colab")
    with pytest.raises(ValueError, match="no course file"):  # only on Colab
        coursefile.read("questions/other.toml")


# --------------------------------------------------------------------- judging
def test_feedback_is_in_plain_words_and_the_code_is_for_instructors(bank: quiz.Bank) -> None:
    q = bank["third_ack"]
    wrong = q.check(0)
    assert not wrong.correct and wrong.misconception == "M10" and "M10" not in str(wrong)
    assert str(wrong).startswith("✘ B retransmits")
    assert q.check("B retransmits its SYN,ACK and A's reply opens the connection.").correct
    with pytest.raises(ValueError, match="answer must be an option number 0-1"):
        q.check(5)
    with pytest.raises(ValueError, match="Choose an answer first"):
        q.check(None)


def test_a_choice_question_has_exactly_one_right_answer() -> None:
    with pytest.raises(ValueError, match="exactly one correct"):
        Question("?", [Choice("no", False)])
    with pytest.raises(ValueError, match="exactly one correct"):
        Question("?", [Choice("yes", True), Choice("also yes", True)])


def test_a_number_is_judged_with_its_unit_and_typical_mistakes(bank: quiz.Bank) -> None:
    q = bank["time_wait"]
    assert str(q.check(240)) == "✔ 240 s is right. 2 x MSL."
    assert str(q.check("120")) == "✘ 120 s is not right. 120 s is one MSL; TIME-WAIT lasts two."
    assert q.check("120").misconception == "M7"
    assert str(q.check("60 s")) == "✘ 60 s is not right. Look at the figure again."
    with pytest.raises(ValueError, match="answer must be a number"):
        q.check(True)  # type: ignore[arg-type]


@pytest.mark.parametrize("typed, value", [
    ("3.2", 3.2), ("3,2", 3.2), (" 3.2 s", 3.2), ("3,2 s", 3.2), ("-1", -1.0), ("−2", -2.0),
    (".5", 0.5), ("0,005", 0.005), ("2.5e5", 250000.0), ("250 000", 250000.0),
    ("250_000", 250000.0), ("1,000,000", 1e6), ("1.000.000", 1e6), ("1,234.5", 1234.5),
    ("1.234,5", 1234.5), ("1.102", 1.102),
])
def test_a_typed_number_is_read_exactly_as_typed(typed: str, value: float) -> None:
    assert read_number(typed, "s") == value


@pytest.mark.parametrize("typed, hint", [
    ("", "Type a number, e.g. 12.5 (in s)."),
    ("   ", "Type a number, e.g. 12.5 (in s)."),
    ("abc", "“abc” is not a number: type it as digits, e.g. 12.5 (in s)."),
    ("nan", "is not a number"), ("inf", "is not a number"), ("3.2 ms", "is not a number"),
    ("1,23,4", "is not a number"), ("1.2.3", "is not a number"), ("1,2.3,4", "is not a number"),
    ("250,000", "“250,000” could be 250000 or 250.000: type 250000, or use a dot for a decimal"),
    ("1,102", "could be 1102 or 1.102"),
])
def test_an_empty_or_malformed_answer_gets_a_one_line_hint(typed: str, hint: str) -> None:
    with pytest.raises(ValueError) as raised:
        read_number(typed, "s")
    assert hint in str(raised.value) and "\n" not in str(raised.value)


def test_the_hints_example_is_never_the_answer() -> None:
    q = NumberQuestion("?", 12.5, mistakes=[Mistake(0.75, "no")])
    with pytest.raises(ValueError, match="e.g. 42"):
        q.check("")


# --------------------------------------------------------------------- the forms
def test_a_choice_form_shows_a_hint_until_an_answer_is_chosen(bank: quiz.Bank) -> None:
    prompt, options, button, feedback = bank["third_ack"].widget().children
    button.click()
    assert "Choose an answer first" in feedback.value
    options.value = 1
    button.click()
    assert "✔" in feedback.value and palette.FEEDBACK[True][0] in feedback.value
    options.value = 0
    button.click()
    assert "✘ B retransmits" in feedback.value and "M10" not in feedback.value


def test_a_number_form_judges_the_text_sent_with_the_click(bank: quiz.Bank) -> None:
    prompt, box, feedback = bank["time_wait"].widget().children
    assert box.placeholder == "a number, in s" and box.unit == "s"
    box.check("")  # what the browser sends: the box's text at the moment of the click
    assert "Type a number" in feedback.value and "✘" not in feedback.value
    box.check("3,2")
    assert "3.2 s is not right" in feedback.value
    box._message(box, {"event": "check", "text": "240"}, [])
    assert "✔ 240 s is right" in feedback.value
    assert "answer ______ s" in box._static_html_()


def test_a_hint_is_folded_under_the_controls() -> None:
    form = NumberQuestion("?", 3.0, hint="Count the FINs.").widget()
    assert "<details><summary>Hint</summary>Count the FINs.</details>" in form.children[2].value


def test_backticks_read_as_code_in_html_and_vanish_from_option_labels() -> None:
    question = Question("After `close()`, what happens?", [
        Choice("A `RST` answers new data.", True, "Right: `close()` drops the receive side."),
        Choice("Nothing.", False, "No <b>.")])
    assert "<code>close()</code>" in question._repr_html_()
    html = quiz.verdict_html(question.check(0))
    assert "<code>close()</code>" in html and "`" not in html
    assert "&lt;b&gt;" in quiz.verdict_html(question.check(1))  # still escaped
    form = question.widget()
    (options,) = [c for c in form.children if hasattr(c, "options")]
    assert options.options[0] == ("A RST answers new data.", 0)
    assert "<code>close()</code>" in form.children[0].value
