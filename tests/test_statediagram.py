"""The state diagram is drawn from the transition table, and highlights each endpoint's path."""

from __future__ import annotations

import pytest

from tcpnb import scenarios
from tcpnb.core.states import TCP_TABLE, TWO_WAY_TABLE
from tcpnb.views import palette
from tcpnb.views.statediagram import state_diagram


def _edges(fig) -> list[tuple[str, str, str, bool]]:
    return [(*row, d.meta["figure5"]) for d in fig.data if d.meta["kind"] == "edge"
            for row in d.meta["rows"]]


def _rows(table) -> list[tuple[str, str, str]]:
    return sorted((str(r.source), str(r.trigger), str(r.target)) for r in table)


@pytest.mark.parametrize("table", [TCP_TABLE, TWO_WAY_TABLE])
def test_edges_equal_the_transition_table(table) -> None:
    edges = _edges(state_diagram(table=table))
    assert sorted(e[:3] for e in edges) == _rows(table)


def test_figure_5_rows_are_solid_and_text_only_rows_dotted() -> None:
    fig = state_diagram()
    in_figure = {(str(r.source), str(r.trigger), str(r.target)): r.in_figure_5 for r in TCP_TABLE}
    for d in fig.data:
        if d.meta["kind"] == "edge":
            assert d.meta["figure5"] == any(in_figure[tuple(row)] for row in d.meta["rows"])
            assert (d.line.dash == "solid") == d.meta["figure5"]


def test_every_state_has_a_box_in_its_palette_colour() -> None:
    fig = state_diagram()
    assert {s.fillcolor for s in fig.layout.shapes} == set(palette.STATE_COLOURS.values())
    assert len(fig.layout.shapes) == 12  # eleven states, CLOSED drawn twice as in Figure 5


def test_the_path_of_each_endpoint_is_numbered_in_order() -> None:
    trace = scenarios.old_duplicate_syn()
    fig = state_diagram(trace)
    paths = [d for d in fig.data if d.meta["kind"] == "path"]
    assert [p.meta["endpoint"] for p in paths] == ["A", "B"]
    numbers = [a.text for a in fig.layout.annotations if a.bgcolor in palette.BADGE_COLOURS]
    b_steps = sorted(int(n) for a in numbers for n in a.split(","))
    a_moves = sum(r.endpoint == "A" for r in trace.state_changes)
    assert b_steps == sorted(list(range(1, a_moves + 1)) + list(
        range(1, sum(r.endpoint == "B" for r in trace.state_changes) + 1)))
    assert "2,4" in numbers  # B took LISTEN -> SYN-RECEIVED twice (Figure 8)


def test_a_two_way_trace_draws_the_not_tcp_table() -> None:
    fig = state_diagram(scenarios.old_duplicate_syn_two_way())
    assert "NOT TCP" in fig.layout.title.text
    assert sorted(e[:3] for e in _edges(fig)) == _rows(TWO_WAY_TABLE)


def test_upto_limits_the_highlighted_steps_and_bad_values_name_it() -> None:
    fig = state_diagram(scenarios.three_way_handshake(), upto=1)
    assert sorted(a.text for a in fig.layout.annotations
                  if a.bgcolor in palette.BADGE_COLOURS) == ["1", "1"]
    with pytest.raises(ValueError, match="upto"):
        state_diagram(upto=-1)
    with pytest.raises(ValueError, match="trace"):
        state_diagram("normal_close")  # type: ignore[arg-type]
