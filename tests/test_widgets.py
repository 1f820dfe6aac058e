"""Control panels, driven from Python as a slider would drive them (no browser needed)."""

from __future__ import annotations

import pytest

from tcpnb import widgets


def _bundle(panel, k: int = 0) -> dict:
    outputs = panel.panes[k].widget.outputs
    assert len(outputs) == 1  # one output, replaced: nothing piles up
    return outputs[0]["data"]


def test_explore_shows_the_ladder_as_plotly_mimetype_in_one_output() -> None:
    panel = widgets.explore("syn_lost")
    data = _bundle(panel)
    assert set(data) == {"application/vnd.plotly.v1+json", "text/plain"}
    assert data["application/vnd.plotly.v1+json"]["layout"]["title"]["text"] == \
        panel.figure.layout.title.text
    assert list(panel.controls) == ["delay", "jitter", "loss", "seed", "profile"]
    assert panel.summary.startswith("SYN lost once")


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
    assert "0.75 s" in panel.status.value


def test_closing_scenarios_get_msl_and_time_wait_that_follow_the_profile() -> None:
    panel = widgets.explore("normal_close")
    assert {"msl", "time_wait"} <= set(panel.controls)
    assert panel.controls["time_wait"].value == 240
    panel.update(profile="linux")
    assert (panel.controls["msl"].value, panel.controls["time_wait"].value) == (30, 60)
    assert panel.trace.params["profile"] == "Linux"
    panel.update(profile="rfc", msl=10)
    assert panel.controls["time_wait"].value == 20  # TIME-WAIT = 2 x MSL follows
    time_wait = [s for s in panel.trace.timers if s.name == "time-wait"][0]
    assert time_wait.deadline - time_wait.start == 20


def test_fixed_keywords_and_starting_values() -> None:
    panel = widgets.explore("syn_lost", times=2, delay=0.2, controls=("delay", "seed"))
    assert list(panel.controls) == ["delay", "seed"]
    assert panel.controls["delay"].value == 0.2
    assert panel.summary.startswith("SYN lost twice")


def test_bad_input_names_the_parameter() -> None:
    panel = widgets.explore("three_way_handshake")
    with pytest.raises(ValueError, match="delay"):
        panel.update(delay=-0.1)
    with pytest.raises(ValueError, match="colour"):
        panel.update(colour=1)
    with pytest.raises(ValueError, match="scenario"):
        widgets.explore("no_such_scenario")
    with pytest.raises(ValueError, match="view"):
        widgets.explore("refused", view="pie")
    with pytest.raises(ValueError, match="controls"):
        widgets.explore("refused", controls=("bandwidth",))


def test_compare_drives_two_figures_with_shared_sliders() -> None:
    panel = widgets.compare(("old_duplicate_syn", {"handshake": "two-way"}), "old_duplicate_syn")
    assert len(panel.panes) == 2
    panel.update(delay=0.2)
    assert [p.trace.params["delay"] for p in panel.panes] == [0.2, 0.2]
    two_way, three_way = (p.trace for p in panel.panes)
    assert two_way.final_state("B") != three_way.final_state("B")
    assert "handshake='two-way'" in panel.status.value


def test_other_views_and_the_figurewidget_backend() -> None:
    panel = widgets.explore("normal_close", view="timeline")
    assert "application/vnd.plotly.v1+json" in _bundle(panel)
    panel = widgets.explore("three_way_handshake", view="states", backend="figurewidget")
    count = len(panel.panes[0].widget.data)
    panel.update(delay=0.4)
    assert len(panel.panes[0].widget.data) == count and panel.trace.params["delay"] == 0.4


def test_colab_gets_a_self_loading_page() -> None:
    panel = widgets.explore("refused")
    bundle = widgets.mimebundle(panel.figure, colab=True)
    assert "Plotly.react" in bundle["text/html"] and "onload" in bundle["text/html"]


def test_below_puts_html_under_the_figure_and_redraws_it_on_every_update() -> None:
    from tcpnb.views.knowledge import knowledge

    panel = widgets.explore("three_way_handshake", data=0, below=knowledge)
    pane = panel.panes[0]
    assert panel.widget.children[-1].children == (pane.widget, pane.below_html)
    before = pane.below_html.value
    assert before == knowledge(panel.trace)._repr_html_() and "0.100" in before
    panel.update(delay=0.3)
    assert pane.below_html.value != before and "0.300" in pane.below_html.value
    assert pane.below_html.value == knowledge(panel.trace)._repr_html_()


def test_below_shows_plain_objects_as_text() -> None:
    panel = widgets.explore("refused", below=lambda trace: f"{len(trace.transmissions)} <segments>")
    assert panel.panes[0].below_html.value == "<pre>2 &lt;segments&gt;</pre>"
    plain = widgets.explore("refused").panes[0]
    assert plain.box is plain.widget and not plain.below_html.value  # nothing under it
