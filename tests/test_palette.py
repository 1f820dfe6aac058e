"""Every colour pair the course draws meets WCAG AA contrast, in JupyterLab's light and dark themes.

Text needs 4.5:1 against what is behind it; lines and marks that carry meaning without
words (arrows, loss marks) 3:1 (WCAG 2.1, 1.4.3 and 1.4.11). Figures have white paper in
either theme; HTML either sets both its text and background colours or sets neither.
"""

from __future__ import annotations

import re

import pytest

from tcpnb import scenarios
from tcpnb.views import palette
from tcpnb.views.knowledge import MARK_TEXT, _MARKS, knowledge

from .notebook_figures import CALLS, built, every_scenario

TEXT, GRAPHICS = 4.5, 3.0


def _inside(note, shape) -> bool:
    return (note.xref in (None, "x") and note.yref in (None, "y") and shape.type == "rect"
            and min(shape.x0, shape.x1) <= note.x <= max(shape.x0, shape.x1)
            and min(shape.y0, shape.y1) <= note.y <= max(shape.y0, shape.y1))


def _behind(fig, note) -> str:
    """The colour behind an annotation: its own background over what it sits on."""
    under = palette.FIGURE_BACKGROUND
    for shape in fig.layout.shapes:
        if _inside(note, shape) and shape.fillcolor:
            alpha = shape.opacity if shape.opacity is not None else 1.0
            under = palette.opaque(_with_alpha(shape.fillcolor, alpha), under)
    return palette.opaque(note.bgcolor, under) if note.bgcolor else under


def _with_alpha(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _pairs(fig) -> list[tuple[str, str, str]]:
    """(what, text colour, background) of every text in ``fig``."""
    default = fig.layout.font.color or palette.TEXT_COLOUR
    pairs = []
    for note in fig.layout.annotations:
        colours = re.findall(r"color:\s*(#[0-9a-fA-F]{6})", note.text or "")
        for colour in colours or [note.font.color or default]:
            pairs.append((note.text, colour, _behind(fig, note)))
    for trace in fig.data:
        if getattr(trace, "mode", None) and "text" in trace.mode:
            pairs.append((str(trace.text), trace.textfont.color or default,
                          palette.FIGURE_BACKGROUND))
    return pairs


def _figures():
    yield from ((f"{nb} {what}", fig) for nb in CALLS for what, fig in built(nb))
    yield from ((what, build()) for what, build in every_scenario() if "ladder" in what)


def test_every_text_in_every_figure_reads_against_what_is_behind_it() -> None:
    worst = []
    for what, fig in _figures():
        worst += [(palette.contrast(fg, bg), what, text, fg, bg) for text, fg, bg in _pairs(fig)]
    low = [w for w in worst if w[0] < TEXT]
    assert low == [], low[:5]
    assert min(worst)[0] >= TEXT


def test_lines_and_marks_that_carry_meaning_stand_out_from_the_paper() -> None:
    colours = {style["color"] for style in palette.SEGMENT_STYLES.values()}
    colours |= {palette.LOST_COLOUR, palette.TIMER_COLOUR}
    for colour in colours:
        assert palette.contrast(colour, palette.FIGURE_BACKGROUND) >= GRAPHICS, colour


def test_state_names_and_step_numbers_read_on_their_colours() -> None:
    for state, colour in palette.STATE_COLOURS.items():
        assert palette.contrast(palette.ON_STATE_TEXT, colour) >= TEXT, state
    for colour in palette.BADGE_COLOURS:
        assert palette.contrast("#ffffff", colour) >= TEXT, colour


@pytest.mark.parametrize("theme", sorted(palette.THEMES))
def test_html_sets_both_colours_or_neither(theme: str) -> None:
    """The knowledge table and the self-check feedback read in both of JupyterLab's themes."""
    page, page_text = palette.THEMES[theme]
    assert palette.contrast(page_text, page) >= TEXT  # what unstyled HTML gets
    table = knowledge(scenarios.old_duplicate_syn())._repr_html_()
    html = table + palette.feedback("✔ right", True) + palette.feedback("✘ wrong", False)
    styles = re.findall(r"style='([^']*)'", html)
    assert styles
    for style in styles:
        fg = re.search(r"(?<![-\w])color:\s*([^;]+)", style)
        bg = re.search(r"background(?:-color)?:\s*([^;]+)", style)
        assert bool(fg) == bool(bg), f"sets one colour only, the theme gives the other: {style}"
        if fg and bg:
            assert palette.contrast(fg.group(1).strip(), bg.group(1).strip()) >= TEXT, style


def test_the_knowledge_marks_and_the_feedback_meet_aa() -> None:
    for text, colour in _MARKS.values():
        assert palette.contrast(MARK_TEXT, colour) >= TEXT, text
    for right, (fg, bg) in palette.FEEDBACK.items():
        assert palette.contrast(fg, bg) >= TEXT, right


def test_contrast_matches_wcag_examples() -> None:
    assert palette.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert palette.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert palette.contrast("rgba(0,0,0,0.87)", "#ffffff") == pytest.approx(
        palette.contrast("#212121", "#ffffff"), abs=0.05)
    assert palette.opaque("rgba(255,255,255,0.85)", "#000000") == "#d9d9d9"
