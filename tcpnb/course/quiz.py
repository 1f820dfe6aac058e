"""Self-checks: load a question from the course's files, show it as a form, judge the answer.

The questions are course text and live beside the notebooks
(``notebooks/questions/NN_name.toml``; the format is in that folder's README).
A notebook loads its file by a path relative to its own folder and asks a
question by its id; displaying the question shows a small form (choose or type,
press *Check*, read the feedback)::

    checks = quiz.load("questions/01_three_way_open.toml")
    checks["connect_time_two_losses"]                   # the form
    checks["connect_time_two_losses"].check("3,2")      # Feedback(correct=True, ...)

Judging is a pure :meth:`check`, so every question can be tested without a
browser.  Learners read feedback in plain words; the misconception a wrong
answer reveals (``M1`` ... of the team's list) stays in the data, and in
:attr:`Feedback.misconception` for instructors.

A typed number is judged exactly as typed (:func:`read_number`): an empty or
malformed answer gets a one-line hint instead of a verdict, "3,2" is 3.2, and
"250,000", which could be either 250000 or 250.0, is sent back to be retyped.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..core import validate
from ..core.errors import UsageError
from . import coursefile
from .coursefile import Entry


@dataclass(frozen=True, slots=True)
class Feedback:
    """The verdict on one answer; ``misconception`` is for instructors and never shown."""

    correct: bool
    message: str
    misconception: str = ""

    def __str__(self) -> str:
        return ("✔ " if self.correct else "✘ ") + self.message


@dataclass(frozen=True, slots=True)
class Choice:
    """One answer option and what to tell a learner who picks it."""

    text: str
    correct: bool = False
    feedback: str = ""
    misconception: str = ""


@dataclass(frozen=True, slots=True)
class Mistake:
    """A wrong number that learners often give, and the mistake behind it."""

    value: float
    feedback: str
    misconception: str = ""


@dataclass
class Question:
    """A multiple-choice question with feedback for every option and exactly one right one."""

    prompt: str
    choices: Sequence[Choice]
    hint: str = ""
    targets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if sum(c.correct for c in self.choices) != 1:
            raise UsageError("choices must include exactly one correct Choice")

    def check(self, answer: int | str | None) -> Feedback:
        """Judge ``answer``: an option's index or its exact text (None: nothing chosen yet)."""
        if answer is None:
            raise UsageError("Choose an answer first.")
        choice = self._find(answer)
        default = "Right." if choice.correct else "Not quite."
        return Feedback(choice.correct, choice.feedback or default, choice.misconception)

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
        return f"<p><b>Self-check.</b> {text_html(self.prompt)}</p><ol start='0'>{items}</ol>"

    def widget(self) -> Any:
        """An ipywidgets form: the options, a Check button, the feedback."""
        import ipywidgets as w

        options = w.RadioButtons(options=[(c.text.replace("`", ""), i)  # labels are plain text
                                          for i, c in enumerate(self.choices)],
                                 value=None, layout=w.Layout(width="auto"))
        options.add_class(CHOICES_CLASS)  # a long option wraps onto lines of its own
        button = w.Button(description="Check", button_style="primary")
        feedback = w.HTML("")
        button.on_click(lambda _: _show(feedback, lambda: self.check(options.value)))
        return _form(self.prompt, [options, button], feedback, self.hint)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())  # type: ignore[no-untyped-call]


@dataclass
class NumberQuestion:
    """A question whose answer is a number, right within ``tolerance``."""

    prompt: str
    answer: float
    tolerance: float = 1e-9
    unit: str = ""
    explanation: str = ""
    mistakes: Sequence[Mistake] = ()
    hint: str = ""
    targets: tuple[str, ...] = ()

    def check(self, answer: float | str) -> Feedback:
        """Judge ``answer``: a number, or the text a learner typed (read by :func:`read_number`)."""
        value = read_number(answer, self.unit, self._example()) if isinstance(answer, str) \
            else validate.number("answer", answer, -math.inf)
        shown = f"{value:g}" + (f" {self.unit}" if self.unit else "")
        if abs(value - self.answer) <= self.tolerance:
            return Feedback(True, f"{shown} is right. {self.explanation}".strip())
        for mistake in self.mistakes:
            if abs(value - mistake.value) <= self.tolerance:
                return Feedback(False, f"{shown} is not right. {mistake.feedback}",
                                mistake.misconception)
        return Feedback(False, f"{shown} is not right. "
                        + (self.hint or "Look at the figure again."))

    def _example(self) -> str:
        """A number for the hints that is neither the answer nor a listed mistake."""
        taken = [self.answer, *(m.value for m in self.mistakes)]
        return next(e for e in ("12.5", "0.75", "42", "7.25")
                    if all(abs(float(e) - t) > max(self.tolerance, 1e-9) for t in taken))

    def _repr_html_(self) -> str:
        return f"<p><b>Self-check.</b> {text_html(self.prompt)}</p>"

    def widget(self) -> Any:
        """An ipywidgets form: a text box with a Check button (:class:`NumberBox`), the feedback."""
        import ipywidgets as w

        from .numberbox import NumberBox

        feedback = w.HTML("")
        box = NumberBox(unit=self.unit)
        box.on_check(lambda text: _show(feedback, lambda: self.check(text)))
        return _form(self.prompt, [box], feedback, self.hint)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())  # type: ignore[no-untyped-call]


# ------------------------------------------------------------------ typed numbers
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_GROUPS = re.compile(r"[+-]?\d{1,3}(?P<sep>[,.])\d{3}((?P=sep)\d{3})*")


def read_number(text: str, unit: str = "", example: str = "12.5") -> float:
    """The number a learner typed, read exactly; a :class:`UsageError` with a hint if there is none.

    * A dot is a decimal point: ``3.2``.  A comma is a decimal comma: ``3,2`` is 3.2.
    * A comma that could also separate thousands (``250,000``, ``1,102``) is not
      guessed: the hint asks for the number without it.  ``1,000,000`` and
      ``1.000.000`` (groups of three), and spaces or ``_`` between groups
      (``250 000``), separate thousands.
    * The question's ``unit`` may follow the number (``3.2 s``); an empty box,
      any other text, NaN and infinities are not numbers.

    The hints show ``example`` as a number to copy the form of (never the answer).
    """
    raw = text.strip().replace("\u2212", "-")
    if unit and raw.endswith(unit):
        raw = raw[:-len(unit)].rstrip()
    raw = re.sub(r"(?<=\d)[ \u00a0\u202f_](?=\d{3}(\D|$))", "", raw)
    example = f"e.g. {example}" + (f" (in {unit})" if unit else "")
    if not raw:
        raise UsageError(f"Type a number, {example}.")
    if "," in raw and "." in raw:  # 1,234.5 or 1.234,5: the last one is the decimal mark
        point = max(raw.rfind(","), raw.rfind("."))
        whole, fraction = raw[:point], raw[point + 1:]
        if not _GROUPS.fullmatch(whole) or raw[point] in whole:
            raise UsageError(f"“{text.strip()}” is not a number: type it as digits, {example}.")
        raw = re.sub(r"[,.]", "", whole) + "." + fraction
    elif raw.count(",") > 1 or raw.count(".") > 1:  # 1,000,000 or 1.000.000
        if not _GROUPS.fullmatch(raw):
            raise UsageError(f"“{text.strip()}” is not a number: type it as digits, {example}.")
        raw = re.sub(r"[,.]", "", raw)
    elif raw.count(",") == 1:
        whole, fraction = raw.split(",")
        if len(fraction) == 3 and whole.lstrip("+-") not in ("", "0"):
            plain = whole + fraction
            raise UsageError(f"“{text.strip()}” could be {int(plain):d} or {whole}.{fraction}: "
                             f"type {plain}, or use a dot for a decimal ({whole}.{fraction}).")
        raw = whole + "." + fraction
    if not _NUMBER.fullmatch(raw):
        raise UsageError(f"“{text.strip()}” is not a number: type it as digits, {example}.")
    return float(raw)


# ------------------------------------------------------------------ the form
def text_html(text: str) -> str:
    """Course text as HTML: escaped, with `backticks` shown as code, as in the notebooks' prose."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def verdict_html(verdict: Feedback) -> str:
    """A verdict as one coloured line of HTML (the colours come with a ✔ or ✘ and words), with a
    background of its own so that it reads the same in a light and a dark theme."""
    from ..views import palette

    return palette.feedback(text_html(str(verdict)), verdict.correct)


def _show(feedback: Any, judge: Callable[[], Feedback]) -> None:
    """Put the verdict of ``judge()`` into ``feedback``, or the hint if the answer was unusable."""
    try:
        feedback.value = verdict_html(judge())
    except UsageError as hint:
        feedback.value = f"<i>{html.escape(str(hint))}</i>"


#: ipywidgets gives each radio option one line of fixed height, so an option that wraps (a
#: narrow window) would print its second line over the next option.  These options grow instead.
CHOICES_CLASS = "tcpnb-choices"
_CHOICES_CSS = f"""<style>
.{CHOICES_CLASS} .widget-radio-box label {{
  height: auto; min-height: var(--jp-widgets-radio-item-height, 24px);
  line-height: 1.35; padding: 2px 0; }}
.{CHOICES_CLASS} .widget-radio-box label input {{ flex-shrink: 0; }}
</style>"""


def _form(prompt: str, controls: list[Any], feedback: Any, hint: str) -> Any:
    """Prompt, controls, an optional folded hint and the feedback line, one under the other."""
    import ipywidgets as w

    parts = [w.HTML(f"{_CHOICES_CSS}<b>Self-check.</b> {text_html(prompt)}"), *controls,
             feedback]
    if hint:
        parts.insert(-1, w.HTML(f"<details><summary>Hint</summary>{text_html(hint)}</details>"))
    return w.VBox(parts)


# ------------------------------------------------------------------ the files
#: Builds one entry of a data file into what the notebook shows (a question, an exercise).
Builder = Callable[[Entry], Any]


def choice_question(entry: Entry) -> Question:
    """A ``[id]`` entry with ``choices`` as a :class:`Question`."""
    entry.only("prompt", "choices", "hint", "targets")
    choices = []
    for option in entry.tables("choices"):
        option.only("text", "correct", "feedback", "misconception")
        correct = option.get("correct", bool, False)
        if not correct and "feedback" not in option.fields:
            raise UsageError(f"{option.where()}: a wrong choice needs feedback that says why")
        choices.append(Choice(option.get("text", str), correct, option.get("feedback", str, ""),
                              option.get("misconception", str, "")))
    if sum(c.correct for c in choices) != 1:
        raise UsageError(f"{entry.where('choices')}: exactly one choice must have correct = true")
    return Question(entry.get("prompt", str), choices, entry.get("hint", str, ""),
                    entry.misconceptions("targets"))


def number_question(entry: Entry) -> NumberQuestion:
    """A ``[id]`` entry with ``answer`` as a :class:`NumberQuestion`."""
    entry.only("prompt", "answer", "tolerance", "unit", "explanation", "mistakes", "hint",
               "targets")
    mistakes = []
    for mistake in entry.tables("mistakes") if "mistakes" in entry.fields else []:
        mistake.only("value", "feedback", "misconception")
        mistakes.append(Mistake(float(mistake.get("value", (int, float))),
                                mistake.get("feedback", str), mistake.get("misconception", str, "")))
    tolerance = float(entry.get("tolerance", (int, float), 1e-9))
    if tolerance < 0:
        raise UsageError(f"{entry.where('tolerance')}: must be 0 or more")
    return NumberQuestion(entry.get("prompt", str), float(entry.get("answer", (int, float))),
                          tolerance, entry.get("unit", str, ""), entry.get("explanation", str, ""),
                          mistakes, entry.get("hint", str, ""), entry.misconceptions("targets"))


#: The kinds of entry this module builds: the key that marks each, and its builder.
KINDS: dict[str, Builder] = {"choices": choice_question, "answer": number_question}


class Bank:
    """The entries of one or more data files, by id: ``bank["id"]``."""

    def __init__(self, items: Mapping[str, Any], paths: Sequence[str]) -> None:
        self._items, self.paths = dict(items), tuple(paths)

    def __getitem__(self, key: str) -> Any:
        if key not in self._items:
            raise UsageError(f"no question {key!r} in {', '.join(self.paths)}; it has: "
                             + ", ".join(self._items))
        return self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def load(*paths: str | Path, kinds: Mapping[str, Builder] | None = None) -> Bank:
    """The questions in the data files at ``paths`` (relative to the notebook's folder), by id.

    Every entry is built at once, so a mistake in a file shows at the first
    cell that loads it, naming the file, the entry and the key.  ``kinds``
    adds other kinds of entry (:func:`tcpnb.course.review.load` adds the
    review exercises).
    """
    kinds = {**KINDS, **(kinds or {})}
    items: dict[str, Any] = {}
    for path in paths:
        for entry in coursefile.read(path):
            marks = [key for key in kinds if key in entry.fields]
            if len(marks) != 1:
                raise UsageError(f"{entry.where()}: an entry needs exactly one of the keys "
                                 + ", ".join(kinds) + ", which says what it is (an exercise "
                                 "loads with tcpnb.course.review.load)")
            if entry.id in items:
                raise UsageError(f"{entry.where()}: the id {entry.id!r} is used twice")
            items[entry.id] = kinds[marks[0]](entry)
    return Bank(items, [str(p) for p in paths])
