"""Control panels, driven from Python as a slider would drive them (no browser needed)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import ipywidgets as w
import pytest

from tcpnb import widgets
from tcpnb.core.errors import UsageError
from tcpnb.course import timewait
from tcpnb.widgets import experiment_panel


def _bundles(panel: Any) -> list[dict[str, Any]]:
    return [output["data"] for output in panel.output.outputs]


def _bundle(panel: Any) -> dict[str, Any]:
    bundles = _bundles(panel)
    assert len(bundles) == 1  # one output, replaced: nothing piles up
    return bundles[0]


def _count_draws(panel: Any) -> list[dict[str, Any]]:
    """Record the values of every draw the panel makes from now on."""
    calls: list[dict[str, Any]] = []
    draw = panel.draw

    def counted(**values: Any) -> Any:
        calls.append(values)
        return draw(**values)

    panel.draw = counted
    return calls


# ------------------------------------------------------------------ explore
def test_explore_shows_the_ladder_as_plotly_mimetype_in_one_output() -> None:
    panel = widgets.explore("syn_lost")
    data = _bundle(panel)
    assert set(data) == {"application/vnd.plotly.v1+json", "text/plain"}
    assert data["application/vnd.plotly.v1+json"]["layout"]["title"]["text"] == \
        panel.figure.layout.title.text
    assert list(panel.controls) == ["delay", "jitter", "loss", "seed", "profile"]
    assert panel.summary.startswith("SYN lost once")
    assert panel.status.value == ""  # the figure's title says the outcome; the panel does not repeat it


def test_update_reruns_the_scenario_and_replaces_the_figure() -> None:
    panel = widgets.explore("normal_close")
    before = panel.figure.to_plotly_json()["data"]
    panel.update(delay=0.3)
    assert panel.trace.params["delay"] == 0.3
    assert panel.figure.to_plotly_json()["data"] != before
    arrivals = [t.arrived_at for t in panel.trace.transmissions]
    assert arrivals[0] == pytest.approx(0.3)
    assert "0.9 s" in panel.summary  # established after three one-way trips
    assert _bundle(panel)["application/vnd.plotly.v1+json"]["data"] != before


def test_moving_a_slider_widget_redraws_like_update() -> None:
    panel = widgets.explore("three_way_handshake")
    panel.controls["delay"].value = 0.25
    assert panel.trace.params["delay"] == 0.25
    assert "0.75 s" in panel.summary


def test_closing_scenarios_get_msl_and_time_wait_that_follow_the_profile() -> None:
    panel = widgets.explore("normal_close")
    assert {"msl", "time_wait"} <= set(panel.controls)
    assert panel.controls["time_wait"].value == 240
    panel.update(profile="linux")
    assert (panel.controls["msl"].value, panel.controls["time_wait"].value) == (30, 60)
    assert panel.trace.params["profile"] == "Linux"
    panel.update(profile="RFC", msl=10)
    assert panel.values["profile"] == "rfc"
    assert panel.controls["time_wait"].value == 20  # TIME-WAIT = 2 x MSL follows
    time_wait = [s for s in panel.trace.timers if s.name == "time-wait"][0]
    assert time_wait.deadline - time_wait.start == 20
    panel.controls["msl"].value = 30  # a slider move follows too
    assert panel.controls["time_wait"].value == 60 and panel.values["time_wait"] == 60
    time_wait = [s for s in panel.trace.timers if s.name == "time-wait"][0]
    assert time_wait.deadline - time_wait.start == 60


def test_fixed_keywords_and_starting_values() -> None:
    panel = widgets.explore("syn_lost", times=2, delay=0.2, controls=("delay", "seed"))
    assert list(panel.controls) == ["delay", "seed"]
    assert panel.controls["delay"].value == 0.2
    assert panel.summary.startswith("SYN lost twice")


def test_bad_input_names_the_control_and_its_range() -> None:
    panel = widgets.explore("three_way_handshake")
    with pytest.raises(UsageError, match=r"delay must be a number in \[0, 1\], got -0.1"):
        panel.update(delay=-0.1)
    with pytest.raises(UsageError, match=r"delay must be a number in \[0, 1\], got -1"):
        widgets.explore("three_way_handshake", delay=-1)  # no silent clamp to 0
    with pytest.raises(UsageError, match=r"seed must be a whole number in \[0, 99\], got 2.5"):
        panel.update(seed=2.5)
    with pytest.raises(UsageError, match="profile must be one of 'rfc', 'linux', got 'bsd'"):
        panel.update(profile="bsd")
    with pytest.raises(UsageError, match="no such control: colour"):
        panel.update(colour=1)
    assert panel.values["delay"] == 0.1  # nothing was set by the failed calls
    with pytest.raises(ValueError, match="scenario"):
        widgets.explore("no_such_scenario")
    with pytest.raises(UsageError, match="view"):
        widgets.explore("refused", view="pie")
    with pytest.raises(UsageError, match="view must be one of"):
        widgets.explore("refused", view=None)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="controls"):
        widgets.explore("refused", controls=("bandwidth",))


@pytest.mark.parametrize("make, name, bad, message", [
    (lambda: widgets.compare("normal_close", "final_ack_lost"), "loss", 1.5, r"\[0, 0.9\]"),
    (lambda: widgets.close_panel(), "delay", 0.0, r"\[0.01, 0.6\]"),
    (lambda: widgets.close_panel(), "lose", "everything", "one of 'nothing'"),
    (lambda: widgets.window_panel(), "gap", 7, r"\[0, 6\]"),
    (lambda: widgets.waste_panel(runs=2), "duplicate", -0.5, r"\[0, 0.3\]"),
    (lambda: widgets.time_wait_panel(runs=1, multiples=(0.0,)), "rfc1337", 1, "True or False"),
    (lambda: widgets.time_wait_panel(runs=1, multiples=(0.0,)), "msl", 61, r"\[2, 60\]"),
])
def test_every_panel_checks_every_value(make: Any, name: str, bad: Any, message: str) -> None:
    panel = make()
    with pytest.raises(UsageError, match=f"{name} must .*{message}"):
        panel.update(**{name: bad})


def test_a_failing_redraw_from_a_slider_is_shown_not_raised() -> None:
    panel = widgets.window_panel()

    def broken(**values: Any) -> Any:
        raise RuntimeError("no figure today")

    panel.draw = broken
    panel.controls["gap"].value = 2.0
    assert "RuntimeError" in panel.status.value and "no figure today" in panel.status.value
    with pytest.raises(RuntimeError):
        panel.update(gap=3.0)  # from Python, the error is raised


# ------------------------------------------------------------------ compare and views
def test_compare_drives_two_figures_with_shared_sliders() -> None:
    panel = widgets.compare(("old_duplicate_syn", {"handshake": "two-way"}), "old_duplicate_syn")
    # one figure, the two ladders one above the other (tcpnb.views.pair.stack)
    assert len(_bundles(panel)) == 1 and len(panel.figures) == 1
    assert {d.yaxis for d in panel.figure.data} == {"y", "y2"}
    panel.update(delay=0.2)
    assert [t.params["delay"] for t in panel.traces] == [0.2, 0.2]
    two_way, three_way = panel.traces
    assert two_way.final_state("B") != three_way.final_state("B")
    assert "handshake='two-way'" in panel.figure.layout.title.text
    assert len(panel.output.outputs) == 1  # replaced, not added
    timelines = widgets.compare("normal_close", "simultaneous_close", view="timeline")
    assert len(timelines.figures) == 2  # other views: two figures, one above the other


def test_other_views() -> None:
    panel = widgets.explore("normal_close", view="timeline")
    assert "application/vnd.plotly.v1+json" in _bundle(panel)
    panel = widgets.explore("three_way_handshake", view="states")
    panel.update(delay=0.4)
    assert panel.trace.params["delay"] == 0.4 and len(_bundles(panel)) == 1


def test_colab_gets_a_self_loading_page() -> None:
    panel = widgets.explore("refused")
    bundle = widgets.mimebundle(panel.figure, colab=True)
    assert "Plotly.react" in bundle["text/html"] and "onload" in bundle["text/html"]


def test_below_puts_html_under_the_figure_and_redraws_it_on_every_update() -> None:
    from tcpnb.views.knowledge import knowledge

    panel = widgets.explore("three_way_handshake", data=0, below=knowledge)
    assert panel.widget.children[-2:] == (panel.output, panel.below_html)
    before = panel.below_html.value
    assert before == knowledge(panel.trace)._repr_html_() and "0.100" in before
    panel.update(delay=0.3)
    assert panel.below_html.value != before and "0.300" in panel.below_html.value
    assert panel.below_html.value == knowledge(panel.trace)._repr_html_()


def test_below_shows_plain_objects_as_text() -> None:
    panel = widgets.explore("refused", below=lambda trace: f"{len(trace.transmissions)} <segments>")
    assert panel.below_html.value == "<pre>2 &lt;segments&gt;</pre>"
    plain = widgets.explore("refused")
    assert plain.widget.children[-1] is plain.output  # nothing under it


# ------------------------------------------------------------------ layout
def test_controls_wrap_instead_of_shrinking_and_labels_line_up() -> None:
    panel = widgets.time_wait_panel(runs=1, multiples=(0.0,))
    row = panel.widget.children[0]
    assert row.layout.flex_flow == "row wrap" and len(row.children) == len(panel.controls)
    for item in row.children:
        least = int(item.layout.min_width.removesuffix("px"))
        assert item.layout.flex == f"1 1 {least}px" and item.layout.width == "auto"
    sliders = [c for c in panel.controls.values() if isinstance(c, w.FloatSlider)]
    (label,) = {s.style.description_width for s in sliders}  # one label column for all
    for item in row.children:
        if isinstance(item, w.HBox):  # the buttons and the checkbox: a label cell of that width
            assert item.children[0].layout.width == label
    for slider, item in zip(sliders, row.children):  # room for a track of 120 px and a readout
        assert int(item.layout.min_width[:-2]) >= int(label[:-2]) + 120 + 60
    box = panel.controls["rfc1337"]
    checkbox_item = row.children[list(panel.controls).index("rfc1337")]
    assert not box.indent and int(checkbox_item.layout.min_width[:-2]) > int(label[:-2]) + 7 * len(
        box.description)  # the whole label fits beside the box


# ------------------------------------------------------------------ on the event loop
def test_slider_moves_queued_behind_a_redraw_are_coalesced_into_one() -> None:
    async def main() -> None:
        panel = widgets.explore("three_way_handshake")
        draws = _count_draws(panel)
        for delay in (0.11, 0.12, 0.13, 0.14, 0.15):  # five key presses read back to back
            panel.controls["delay"].value = delay
        assert draws == []  # nothing drawn yet: the redraw waits a moment for more moves
        await asyncio.sleep(0.05)
        assert [d["delay"] for d in draws] == [0.15]  # one redraw, with the latest value
        panel.controls["delay"].value = 0.2
        assert panel.trace.params["delay"] == 0.2  # reading the panel draws what is pending
        await asyncio.sleep(0.05)
        assert len(draws) == 2

    asyncio.run(main())


def test_a_held_arrow_key_draws_the_latest_value_and_does_not_queue_up_redraws() -> None:
    """Key repeats arrive faster than a redraw takes: stale values are skipped, never drawn late."""
    draw_seconds, gap, presses = 0.03, 0.005, 40  # a move every 5 ms, a redraw takes >= 30 ms

    async def main() -> list[float]:
        panel = widgets.close_panel()
        draws = _count_draws(panel)
        draw = panel.draw

        def slow(**values: Any) -> Any:
            time.sleep(draw_seconds)  # blocks the loop, as a real redraw does
            return draw(**values)

        panel.draw = slow
        slider = panel.controls["delay"]
        loop = asyncio.get_running_loop()
        start = loop.time()
        for k in range(presses):  # what the kernel receives while the key is held
            loop.call_at(start + k * gap, setattr, slider, "value", round(0.11 + 0.01 * k, 2))
        while loop.time() < start + presses * gap or panel._soon.pending:
            await asyncio.sleep(0.01)
        return [d["delay"] for d in draws]

    drawn = asyncio.run(main())
    assert drawn[-1] == round(0.11 + 0.01 * (presses - 1), 2)  # the latest value is shown
    assert drawn == sorted(set(drawn))  # never an older value after a newer one
    # Each redraw blocks for >= 30 ms, and the moves span 200 ms: at most 200/30 + 2 redraws
    # (one redraw per move would be 40, each drawn later than the one before).
    assert len(drawn) <= presses * gap / draw_seconds + 2


# ------------------------------------------------------------------ Monte-Carlo panels
def test_an_experiment_panel_answers_with_a_prefix_and_finishes_with_the_full_sweep(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INITIAL", "ANSWER"):  # a first estimate of one run a point
        monkeypatch.setattr(experiment_panel, name, 0.0)
    panel = widgets.time_wait_panel(runs=40, multiples=(0.0, 2.0), loss=0.1)
    first = panel.results
    assert first.runs == 1 and not panel.done
    assert "So far</b> (1 of 40 runs per point, more coming): " in panel.status.value
    for point in first:  # any moment's counts are those of the first seeds
        assert point.seeds == range(point.runs)
    final = panel.finish()
    sweep = timewait.sweep((0.0, 2.0), runs=40, loss=0.1, rfc1337=True)
    assert final.points == sweep.points and panel.done
    assert "40 runs per point" in panel.figure.layout.title.text
    assert panel.status.value.startswith("<b>Measured:</b> peer&#x27;s close ends in reset")
    panel.update(isn="clock", msl=5.0)
    assert panel.finish().points == timewait.sweep((0.0, 2.0), runs=40, loss=0.1, isn="clock",
                                                   msl=5.0, rfc1337=True).points


def test_refinement_runs_on_the_event_loop_and_a_move_cancels_stale_work(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INITIAL", "ANSWER"):  # one run a point, the rest in slices
        monkeypatch.setattr(experiment_panel, name, 0.0)
    monkeypatch.setattr(experiment_panel, "SLICE", 0.001)
    monkeypatch.setattr(experiment_panel, "REDRAW", 0.0)  # draw after every slice
    monkeypatch.setattr(experiment_panel, "GROWTH", 1.0)

    async def main() -> None:
        panel = widgets.time_wait_panel(runs=30, multiples=(0.0, 1.0))
        shown: list[tuple[float, int]] = []
        show = panel.show

        def record(drawing: Any) -> None:
            shown.append((panel._results.fixed["msl"], panel._results.runs))
            show(drawing)

        panel.show = record
        assert panel._results.runs < 30  # the first estimate: far from done
        await asyncio.sleep(0.05)
        assert shown and not panel.done  # refined on the loop, drawn as it came
        moved_at, old_work = len(shown), panel._slices
        panel.controls["msl"].value = 5.0  # the learner moves a slider
        assert old_work.done  # the old values' work stops at once, before the redraw
        for _ in range(400):
            if panel.done:
                break
            await asyncio.sleep(0.01)
        assert panel.done and panel.results.fixed["msl"] == 5.0
        assert {msl for msl, _ in shown[moved_at:]} == {5.0}  # nothing of the old values drawn
        runs = [n for msl, n in shown if msl == 5.0]
        assert runs == sorted(runs) and runs[-1] == 30  # more runs each time, up to all
        assert panel.results.points == timewait.sweep((0.0, 1.0), runs=30, msl=5.0,
                                                      rfc1337=True).points

    asyncio.run(main())
