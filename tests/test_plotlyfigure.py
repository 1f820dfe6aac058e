"""The figures built without plotly's validation are the figures plotly's checked way builds.

:func:`tcpnb.views.plotlyfigure.make_figure` skips plotly's property checks to
keep slider redraws fast.  Here every view and every single-run panel of the
notebooks, at several slider settings, is drawn both ways (``VALIDATE = True``
is plain ``go.Figure(dict(data=..., layout=...))``) and the JSON the browser
gets must be equal, key for key and value for value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import pytest

from tcpnb import scenarios, widgets
from tcpnb.views import plotlyfigure
from tcpnb.views.knowledge import knowledge
from tcpnb.views.ladder import ladder
from tcpnb.views.pair import pair
from tcpnb.views.statediagram import state_diagram
from tcpnb.views.timeline import timeline
from tcpnb.widgets.panel import mimebundle


def both_ways(monkeypatch: pytest.MonkeyPatch, draw: Callable[[], Any]) -> tuple[Any, Any]:
    """``draw()``'s figure JSON built fast and built the checked way."""
    fast = draw()
    monkeypatch.setattr(plotlyfigure, "VALIDATE", True)
    checked = draw()
    monkeypatch.setattr(plotlyfigure, "VALIDATE", False)
    return fast, checked


def figure_json(figure: go.Figure) -> dict[str, Any]:
    return mimebundle(figure, colab=False)["application/vnd.plotly.v1+json"]


@pytest.mark.parametrize("name", list(scenarios.SCENARIOS))
def test_every_scenario_ladder_is_the_validated_one(monkeypatch: pytest.MonkeyPatch,
                                                    name: str) -> None:
    trace = scenarios.run(name)
    fast, checked = both_ways(monkeypatch, lambda: figure_json(ladder(trace)))
    assert fast == checked


@pytest.mark.parametrize("name", ["three_way_handshake", "old_duplicate_syn", "lifecycle",
                                  "time_wait_reuse", "socket_server"])
def test_timeline_state_diagram_and_pair_are_the_validated_ones(
        monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    trace = scenarios.run(name)
    for view in (timeline, state_diagram):
        fast, checked = both_ways(monkeypatch, lambda: figure_json(view(trace)))
        assert fast == checked, view.__name__
    other = scenarios.run(name, delay=0.3)
    fast, checked = both_ways(monkeypatch, lambda: figure_json(pair(trace, other)))
    assert fast == checked
    fast, checked = both_ways(monkeypatch, lambda: figure_json(state_diagram(None)))
    assert fast == checked


#: The single-run panels of notebooks 00-04, and settings their sliders reach.
PANELS: list[tuple[str, Callable[[], Any], list[dict[str, Any]]]] = [
    ("00", lambda: widgets.explore("three_way_handshake", data=0, loss=0.3, seed=1,
                                   below=knowledge),
     [dict(loss=0.0), dict(loss=0.5, seed=7), dict(profile="linux", jitter=0.2)]),
    ("01", lambda: widgets.explore("three_way_handshake", data=0, delay=0.3),
     [dict(delay=0.0), dict(delay=1.0, loss=0.9, seed=3)]),
    ("02 window", lambda: widgets.window_panel(gap=1.0, sent_before=1),
     [dict(gap=0.0), dict(gap=6.0, sent_before=2_000_001), dict(gap=2.35, sent_before=50_001)]),
    ("03 close", lambda: widgets.close_panel(first="A", lose="first FIN", delay=0.1),
     [dict(first="B", lose="last ACK"), dict(lose="nothing", delay=0.6, loss=0.5, seed=20)]),
    ("03 compare", lambda: widgets.compare("shutdown_then_reply", "close_then_reply"),
     [dict(delay=0.37), dict(loss=0.3, seed=5)]),
    ("04 final ACK", lambda: widgets.compare("final_ack_lost",
                                             ("final_ack_lost", {"time_wait": 0.5})),
     [dict(delay=0.05), dict(msl=5.0, jitter=0.1)]),
    ("04 reuse", lambda: widgets.compare("time_wait_reuse",
                                         ("time_wait_reuse", {"time_wait": 240.0})),
     [dict(delay=0.11), dict(profile="linux"), dict(delay=0.01), dict(delay=0.5)]),
]


@pytest.mark.parametrize("make,settings", [(make, settings) for _, make, settings in PANELS],
                         ids=[name for name, _, _ in PANELS])
def test_panel_figures_are_the_validated_ones(monkeypatch: pytest.MonkeyPatch,
                                              make: Callable[[], Any],
                                              settings: list[dict[str, Any]]) -> None:
    panel = make()
    for values in [{}] + settings:
        def shown() -> list[dict[str, Any]]:
            panel.update(**values)
            return [output["data"] for output in panel.output.outputs]

        fast, checked = both_ways(monkeypatch, shown)
        assert fast == checked, values


def test_changes_made_to_a_figure_afterwards_are_checked_as_usual() -> None:
    figure = ladder(scenarios.run("three_way_handshake"))
    for change in (lambda: figure.update_layout(titel="x"),
                   lambda: setattr(figure.layout, "height", "tall"),
                   lambda: setattr(figure.data[0], "opacity", 5)):
        with pytest.raises(ValueError):
            change()
    figure.update_layout(height=400, title_text="mine")
    assert figure.to_plotly_json()["layout"]["height"] == 400
    assert figure.layout.title.text == "mine"
