"""No two labels overlap, none covers a loss mark, none is cut off: in every figure the notebooks
draw, in every scenario, and across the panels' slider ranges (by the character-width model;
``test_browser.py`` checks the same on the boxes Chromium draws)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tcpnb import scenarios
from tcpnb.views import figuretext, labels
from tcpnb.views.ladder import ladder

from .notebook_figures import CALLS, built, every_scenario, panel_settings

WIDTHS = (labels.DESIGN_WIDTH, 1000, 1400)  # the narrowest cell, a laptop, a wide screen


@pytest.mark.parametrize("notebook", sorted(CALLS))
def test_the_notebooks_figures_read_well(notebook: str) -> None:
    for what, fig in built(notebook):
        assert figuretext.check(fig, WIDTHS) == [], f"{notebook}: {what}"


def test_every_scenario_reads_well_as_ladder_timeline_and_state_diagram() -> None:
    problems = [f"{what}: {p}" for what, build in every_scenario()
                for p in figuretext.check(build(), WIDTHS)]
    assert problems == []


def test_every_panel_setting_sampled_reads_well() -> None:
    problems = [f"{what}: {p}" for what, build in panel_settings()
                for p in figuretext.check(build(), WIDTHS)]
    assert problems == []


def test_the_key_labels_are_printed_not_left_to_hover() -> None:
    """The labels a figure is drawn for: the lost segment's, and the restarted TIME-WAIT."""
    for name in ("syn_lost", "synack_lost", "third_ack_lost"):
        fig = ladder(scenarios.run(name, delay=0.1))
        assert fig.layout.meta["left out"] == [], name
    fig = ladder(scenarios.final_ack_lost())
    words = [" ".join(labels.lines_of(a.text)) for a in fig.layout.annotations]
    assert "2×MSL = 240 s" in words and "2×MSL restarted" in words
    assert not any("restarted" in w and "240" in w for w in words)  # not on the first band


def test_a_label_with_no_room_goes_to_hover_and_the_figure_says_so() -> None:
    trace = scenarios.three_way_handshake(data=0, delay=0.0, loss=0.45, seed=7)
    fig = ladder(trace, height=300)  # far too short for its words
    left_out = fig.layout.meta["left out"]
    assert left_out
    note = [a.text for a in fig.layout.annotations if "did not fit" in a.text]
    assert note and f"{len(left_out)} labels did not fit" in note[0]
    assert figuretext.check(fig, WIDTHS) == []
    hover = " ".join(h for d in fig.data for h in (d.hovertext or ()) if h)
    for text in left_out:  # every word left out is still in some hover text
        assert {"RTO": "fired"}.get(text, text.replace("⋯", "").replace("later", "").strip()
                                    .split(" seq=")[0]) in hover, text


# ------------------------------------------------------------ the model itself
def test_text_is_measured_never_narrower_than_dejavu_sans_draws_it() -> None:
    # Widths Chromium measured for DejaVu Sans at 100 px (canvas measureText, Debian 12).
    for text, drawn in (("SYN-RECEIVED", 739.2), ("ACK seq=101 ack=301", 1166.2), ("1", 63.6),
                        ("“connection closing”", 1037.1), ("TIME-WAIT", 524.5)):
        assert drawn <= labels.text_width(text, 100) <= drawn * 1.08, text
    assert labels.text_width("A", 100, bold=True) > labels.text_width("A", 100)
    width, height = labels.text_size("one<br><b>two</b>", 10)
    assert height == pytest.approx(10 * (2 * 1.3 - 0.14))


def test_wrap_breaks_at_spaces_to_the_width() -> None:
    text = labels.wrap("connection reclaimed: nobody asked for it", 13, 120)
    assert all(labels.text_width(line, 13) <= 120 for line in text.split("<br>"))
    assert text.replace("<br>", " ") == "connection reclaimed: nobody asked for it"


def test_boxes_overlap_only_when_they_share_area() -> None:
    a = labels.Box(0, 0, 10, 10)
    assert a.overlaps(labels.Box(5, 5, 20, 20))
    assert not a.overlaps(labels.Box(10, 0, 20, 10))        # touching is not overlapping
    assert not a.overlaps(labels.Box(9.5, 0, 20, 10), 1.0)  # within the slack
    placer = labels.Placer([a])
    assert placer.first([labels.Box(5, 5, 15, 15), labels.Box(12, 0, 20, 8)]) == \
        labels.Box(12, 0, 20, 8)


coordinate = st.floats(-3000, 3000, allow_nan=False)


@st.composite
def boxes(draw: st.DrawFn) -> labels.Box:
    x, y = draw(coordinate), draw(coordinate)
    tall = draw(st.sampled_from([5.0, 60.0, 20_000.0]))  # a label, a tall one, a lane
    return labels.Box(x, y, x + draw(st.floats(0, 300)), y + draw(st.floats(0, tall)))


@settings(max_examples=200, deadline=None)
@given(st.lists(boxes(), max_size=40), st.lists(boxes(), min_size=1, max_size=20),
       st.sampled_from([0.0, 1.0, 3.0]))
def test_the_placer_answers_as_comparing_with_every_box_would(
        taken: list[labels.Box], asked: list[labels.Box], gap: float) -> None:
    placer = labels.Placer(taken[:len(taken) // 2], gap=gap)
    placer.taken += taken[len(taken) // 2:]  # boxes added straight to the list count too
    for box in asked:  # the placer files boxes by rows; the answer must not change
        expected = not any(box.overlaps(other, -gap) for other in placer.taken)
        assert placer.free(box) == expected
        if expected:
            placer.take(box)


def test_collisions_reports_overlaps_covered_marks_and_clipping() -> None:
    found = figuretext.collisions([labels.Box(0, 0, 10, 10, "a"), labels.Box(5, 5, 15, 15, "b"),
                               labels.Box(95, 0, 120, 10, "c")],
                              [labels.Box(2, 2, 4, 4, "x")], labels.Box(0, 0, 100, 100))
    assert found == ["'a' overlaps 'b'", "'a' covers a loss mark", "'c' is cut off by the "
                     "figure's edge"]
