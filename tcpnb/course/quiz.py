"""Self-check questions with immediate feedback, for the notebooks.

A question is data plus a pure :meth:`check` method, so it can be tested
without a browser; ``display(question)`` shows it as a small ipywidgets form
(choose, press *Check*, read the feedback).  Each wrong option's feedback
names the misconception it comes from and the RFC section that settles it.

    q = Question(
        "The third ACK of the handshake is lost. What happens?",
        [Choice("The connection fails", False,
                "No: B retransmits its SYN,ACK and A's reply completes the open (RFC 9293 §3.10.7.4)."),
         Choice("B retransmits its SYN,ACK; the connection opens", True, "Right.")])
    q.check(1).correct  # True
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..core import validate
from ..core.errors import UsageError


@dataclass(frozen=True, slots=True)
class Choice:
    """One answer option and what to tell a learner who picks it."""

    text: str
    correct: bool
    feedback: str = ""


@dataclass(frozen=True, slots=True)
class Feedback:
    """The verdict on one answer."""

    correct: bool
    message: str

    def __str__(self) -> str:
        return ("✔ " if self.correct else "✘ ") + self.message


@dataclass
class Question:
    """A multiple-choice question with feedback for every option."""

    prompt: str
    choices: Sequence[Choice]
    hint: str = ""

    def __post_init__(self) -> None:
        if not self.choices or not any(c.correct for c in self.choices):
            raise UsageError("choices must include at least one correct Choice")

    def check(self, answer: int | str) -> Feedback:
        """Judge ``answer``: an option's index or its exact text."""
        choice = self._find(answer)
        default = "Correct." if choice.correct else "Not quite."
        return Feedback(choice.correct, choice.feedback or default)

    def _find(self, answer: int | str) -> Choice:
        if isinstance(answer, int) and not isinstance(answer, bool) and \
                0 <= answer < len(self.choices):
            return self.choices[answer]
        for choice in self.choices:
            if choice.text == answer:
                return choice
        raise UsageError(f"answer must be an option number 0-{len(self.choices) - 1} "
                         f"or an option's text, got {answer!r}")

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(c.text)}</li>" for c in self.choices)
        return f"<p><b>Self-check.</b> {html.escape(self.prompt)}</p><ol start='0'>{items}</ol>"

    def widget(self) -> Any:
        """An ipywidgets form: options, a Check button, the feedback."""
        import ipywidgets as w

        options = w.RadioButtons(options=[(c.text, i) for i, c in enumerate(self.choices)],
                                 value=None, layout=w.Layout(width="auto"))
        return _form(self.prompt, options, lambda: self.check(options.value)
                     if options.value is not None else None, self.hint)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())  # type: ignore[no-untyped-call]


@dataclass
class NumberQuestion:
    """A question whose answer is a number, right within ``tolerance``.

    ``mistakes`` maps a wrong value that learners often give to feedback
    explaining the mistake behind it (e.g. 120 for "2 x MSL" -> "that is one MSL").
    """

    prompt: str
    answer: float
    tolerance: float = 1e-9
    unit: str = ""
    explanation: str = ""
    mistakes: dict[float, str] = field(default_factory=dict)
    hint: str = ""

    def check(self, value: float) -> Feedback:
        """Judge ``value``."""
        value = validate.number("answer", value, -math.inf)
        unit = f" {self.unit}" if self.unit else ""
        if abs(value - self.answer) <= self.tolerance:
            return Feedback(True, f"Correct: {self.answer:g}{unit}. {self.explanation}".strip())
        for wrong, message in self.mistakes.items():
            if abs(value - wrong) <= self.tolerance:
                return Feedback(False, message)
        return Feedback(False, "Not quite. " + (self.hint or "Look at the figure again."))

    def _repr_html_(self) -> str:
        return f"<p><b>Self-check.</b> {html.escape(self.prompt)}</p>"

    def widget(self) -> Any:
        """An ipywidgets form: a number box, a Check button, the feedback."""
        import ipywidgets as w

        box = w.FloatText(value=0.0, description=self.unit or "answer")
        return _form(self.prompt, box, lambda: self.check(box.value), self.hint)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())  # type: ignore[no-untyped-call]


def _form(prompt: str, control: Any, judge: Any, hint: str) -> Any:
    """Prompt, control, a Check button and a feedback line, wired together."""
    import ipywidgets as w

    from ..views import palette

    feedback = w.HTML("")
    button = w.Button(description="Check", button_style="primary")

    def on_click(_: Any) -> None:
        verdict = judge()
        if verdict is None:
            feedback.value = "<i>Choose an answer first.</i>"
            return
        feedback.value = palette.feedback(html.escape(str(verdict)), verdict.correct)

    button.on_click(on_click)
    parts = [w.HTML(f"<b>Self-check.</b> {html.escape(prompt)}"), control, button, feedback]
    if hint:
        parts.insert(2, w.HTML(f"<details><summary>Hint</summary>{html.escape(hint)}</details>"))
    return w.VBox(parts)
