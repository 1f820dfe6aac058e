"""The plotly ladder diagram: one arrow per transmission, lost ones marked, bands cover each run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tcpnb import State, real, scenarios
from tcpnb.real import capture
from tcpnb.sim.trace import Fate, Trace
from tcpnb.views import palette
from tcpnb.views.labels import lines_of
from tcpnb.views.ladder import ladder, short_label
from tcpnb.sim.relative import isn_bases
from tcpnb.views.timeline import TimeAxis, state_spans

ALL = [name for name, _ in scenarios.describe()]


def _kind(fig, kind):
    return [d for d in fig.data if d.meta and d.meta.get("kind") == kind]


def _arrow_indices(fig) -> list[int]:
    """Transmission indices drawn, one per arrow (each arrow has three points)."""
    points = [c[0] for d in _kind(fig, "arrows") for c in d.customdata if c is not None]
    assert all(points.count(i) == 3 for i in set(points))
    return sorted(set(points)) if len(points) == 3 * len(set(points)) else []


@pytest.mark.parametrize("name", ALL)
def test_one_arrow_per_transmission_and_lost_ones_end_in_a_cross(name: str) -> None:
    trace = scenarios.run(name)
    fig = ladder(trace)
    assert _arrow_indices(fig) == [t.index for t in trace.transmissions]
    lost = {t.index for t in trace.transmissions if t.fate in (Fate.LOST, Fate.DROPPED)}
    crosses = {c[0] for d in _kind(fig, "lost") for c in d.customdata}
    assert crosses == lost


@pytest.mark.parametrize("name", ["normal_close", "syn_lost", "half_open_discovery", "refused"])
def test_state_bands_cover_each_endpoint_whole_run(name: str) -> None:
    trace = scenarios.run(name)
    for endpoint in trace.endpoints:
        spans = state_spans(trace, endpoint)
        assert spans[0][0] == 0.0 and spans[-1][1] == trace.end_time
        assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))  # no holes, no overlaps
        assert [(start, s) for start, _, s in spans] == _lasting(trace, endpoint)
    drawn = {d.meta["state"] for d in _kind(ladder(trace), "state band")}
    assert drawn == {str(s) for e in trace.endpoints for _, _, s in state_spans(trace, e)}


def _lasting(trace: Trace, endpoint: str) -> list[tuple[float, State]]:
    """(start, state) of the states that lasted a while, read from the raw records."""
    records = [(0.0, State.CLOSED)] + [(r.t, r.new) for r in trace.state_changes
                                       if r.endpoint == endpoint]
    ends = [t for t, _ in records[1:]] + [trace.end_time]
    return [(start, state) for (start, state), end in zip(records, ends) if end > start]


def test_band_colours_come_from_the_palette() -> None:
    fig = ladder(scenarios.normal_close())
    for band in _kind(fig, "state band"):
        assert band.fillcolor == palette.state_colour(band.meta["state"])


def test_labels_are_short_and_match_rfc_numbers() -> None:
    trace = scenarios.three_way_handshake()
    labels = [short_label(t) for t in trace.transmissions[:3]]
    assert labels == ["SYN seq=100", "SYN,ACK seq=300 ack=101", "ACK seq=101 ack=301"]
    bases = isn_bases(trace)
    assert [short_label(t, bases) for t in trace.transmissions[:4]] == [
        "SYN seq=0", "SYN,ACK seq=0 ack=1", "ACK seq=1 ack=1", "ACK seq=1 ack=1 len=10"]
    texts = {a.text for a in ladder(trace, relative=True).layout.annotations}
    assert "SYN,ACK seq=0 ack=1" in texts


def test_hover_gives_the_full_rfc_notation_with_times_and_fate() -> None:
    fig = ladder(scenarios.syn_lost())
    hovers = [h for d in _kind(fig, "arrows") for h in d.hovertext if h]
    assert any("&lt;SEQ=100&gt;" in h or "<SEQ=100><CTL=SYN>" in h for h in hovers)
    assert any("lost" in h or "dropped" in h for h in hovers)
    assert any("retransmission" in h for h in hovers)


def test_title_says_what_happened() -> None:
    fig = ladder(scenarios.syn_lost(times=2))
    assert fig.layout.title.text.startswith("SYN lost twice; connection established at t = 3")


def test_time_wait_is_shaded_labelled_and_its_long_gap_cut() -> None:
    trace = scenarios.normal_close()
    fig = ladder(trace)
    notes = " ".join(a.text for a in fig.layout.annotations)
    assert "2×MSL = 240 s" in notes and "later" in notes
    assert any(shape.type == "rect" for shape in fig.layout.shapes)
    ticks = fig.layout.yaxis.ticktext
    assert ticks[0] == "0" and ticks[-1] == "242.4"
    assert max(y for d in fig.data for y in (d.y or ()) if y is not None) < 5  # drawn short
    uncut = ladder(trace, cut=False)
    assert max(y for d in uncut.data for y in (d.y or ()) if y is not None) > 240


def _words(fig) -> str:
    """Every annotation's text as a reader sees it (tags and line breaks gone)."""
    return " ".join(" ".join(lines_of(a.text)) for a in fig.layout.annotations)


def test_app_calls_and_notices_are_drawn() -> None:
    notes = _words(ladder(scenarios.refused()))
    assert "connect()" in notes and "connection refused" in notes


def test_retransmission_timer_and_timeout_are_drawn() -> None:
    fig = ladder(scenarios.syn_lost())
    assert _kind(fig, "timer") and _kind(fig, "timeout")


def test_old_duplicate_and_network_duplicate_have_their_own_styles() -> None:
    styles = {d.meta["style"]: d for d in _kind(ladder(scenarios.old_duplicate_syn()), "arrows")}
    assert "injected" in styles and styles["injected"].line.dash == "dot"
    styles = {d.meta["style"]: d for d in _kind(ladder(scenarios.time_wait_reuse()), "arrows")}
    assert styles["duplicate"].line.dash == "dash"
    assert styles["duplicate"].line.color != styles["original"].line.color


def test_the_time_unit_follows_the_runs_scale_not_its_length() -> None:
    """A run that arms a 1 s retransmission timer is in seconds however short it is, so the
    axis of a panel keeps its unit while a delay slider moves; a short loopback capture
    (no timers) is in milliseconds."""
    for delay in (0.0, 0.01, 0.1, 0.3, 1.0):
        fig = ladder(scenarios.three_way_handshake(delay=delay))
        assert fig.layout.yaxis.title.text == "time (s)", delay
    capture_fig = ladder(capture.load(CAPTURES / "normal_close.pcap"))
    assert capture_fig.layout.yaxis.title.text == "time (ms)"


def test_a_capture_like_trace_with_segments_only_draws() -> None:
    full = scenarios.syn_lost()
    bare = Trace(endpoints=full.endpoints, transmissions=full.transmissions)
    fig = ladder(bare)
    assert _arrow_indices(fig) == [t.index for t in full.transmissions]
    assert not _kind(fig, "state band") and not _kind(fig, "timer")
    assert "segments between A and B" in fig.layout.title.text
    empty = ladder(Trace(endpoints=("A", "B")))  # no segments at all: two bare lanes
    assert [d.meta for d in empty.data] == [{"kind": "lane", "endpoint": "A"},
                                           {"kind": "lane", "endpoint": "B"}]
    assert empty.layout.title.text.startswith("0 segments between A and B")


CAPTURES = Path(__file__).resolve().parent.parent / "tcpnb" / "real" / "captures"


def _first_syns_dropped(trace: Trace, count: int) -> Trace:
    """The capture as the lanes saw it: its first ``count`` SYNs dropped (as the script did)."""
    return replace(trace, transmissions=tuple(
        replace(t, fate=Fate.DROPPED, arrived_at=None, arrived_event=None) if t.index < count
        else t for t in trace.transmissions))


def test_a_capture_has_no_states_so_its_lanes_name_none() -> None:
    fig = ladder(capture.load(CAPTURES / "syn_lost.pcap"))
    names = {str(state) for state in State}
    assert not _kind(fig, "state band")
    assert not [a.text for a in fig.layout.annotations if a.text in names]


@pytest.mark.parametrize("name, dropped", [("syn_lost", 6), ("syn_retries_default", 11)])
def test_on_loopback_a_lost_arrow_is_short_and_ends_in_a_cross(name: str, dropped: int) -> None:
    trace = _first_syns_dropped(capture.load(CAPTURES / f"{name}.pcap"), dropped)
    for cut in (True, False, 1.0):
        fig = ladder(trace, cut=cut)
        crosses = _kind(fig, "lost")[0]
        assert [c[0] for c in crosses.customdata] == list(range(dropped))
        starts, ends = {}, {}
        for d in _kind(fig, "arrows"):
            for x, y, c in zip(d.x, d.y, d.customdata):
                if c is not None:
                    starts.setdefault(c[0], y)
                    ends[c[0]] = (x, y)
        low, high = sorted(fig.layout.yaxis.range)
        for k, (x, y) in enumerate(zip(crosses.x, crosses.y)):
            assert 0.3 < x < 0.6 and low < y < high  # part way across, inside the figure
            assert ends[k] == (x, y) and y == starts[k]  # ends at its cross, flat as on loopback
            assert k + 1 not in starts or y < starts[k + 1]  # before the next SYN leaves


def test_a_state_too_short_for_its_name_leaves_the_room_to_the_next() -> None:
    fig = ladder(real.together("syn_lost"), labels=False)
    beside_kernel_client = [a.text for a in fig.layout.annotations
                            if a.x is not None and a.x < 0 and a.yref != "paper"]
    assert "SYN-SENT" in beside_kernel_client and "CLOSED" not in beside_kernel_client


def test_time_axis_cuts_only_long_quiet_gaps() -> None:
    axis = TimeAxis.fit([0, 1, 3, 7])  # SYN retransmissions at 1, 2, 4 s: not cut
    assert axis.cuts == ()
    axis = TimeAxis.fit([0, 0.5, 240.5])
    assert len(axis.cuts) == 1 and axis(240.5) < 1.0 and axis(0.5) == 0.5
    assert axis(120) < axis(200) < axis(240.5)  # still increasing inside the cut


def test_bad_input_is_a_value_error_naming_the_parameter() -> None:
    with pytest.raises(ValueError, match="cut"):
        ladder(scenarios.refused(), cut=-1)
    with pytest.raises(ValueError, match="trace"):
        ladder("refused")  # type: ignore[arg-type]


def test_palette_tells_neighbouring_states_apart_with_any_colour_vision() -> None:
    worst, vision, a, b = palette.worst_neighbours()
    assert worst > 10, f"{a} and {b} look alike with {vision}"
    assert len(set(palette.STATE_COLOURS.values())) == len(palette.STATE_COLOURS) == 11
    assert all(palette.contrast_with_black(c) >= 4.5 for c in palette.STATE_COLOURS.values())


def test_timeline_has_a_bar_per_state_span_and_real_time_ticks() -> None:
    from tcpnb.views.timeline import timeline

    trace = scenarios.normal_close()
    fig = timeline(trace)
    bands = _kind(fig, "state band")
    rectangles = sum(sum(x is None for x in d.x) for d in bands)
    assert rectangles == sum(len(state_spans(trace, e)) for e in trace.endpoints)
    assert list(fig.layout.yaxis.ticktext) == ["A", "B"]
    assert fig.layout.xaxis.ticktext[-1] == "242.4"
    assert "later" in " ".join(a.text for a in fig.layout.annotations)


def test_positions_are_in_the_axis_unit() -> None:
    trace = capture.load(real.captures_dir() / "normal_close.pcap")  # a short run: milliseconds
    fig = ladder(trace)
    first = _kind(fig, "arrows")[0]
    assert fig.layout.yaxis.title.text == "time (ms)"
    assert first.y[2] == pytest.approx(trace.transmissions[0].arrived_at * 1000)
    assert first.customdata[2][1] == pytest.approx(trace.transmissions[0].arrived_at)  # seconds too


def test_two_runs_stack_into_one_figure_each_as_readable_as_alone() -> None:
    from tcpnb.views import figuretext, labels
    from tcpnb.views.pair import pair

    kept, cut = scenarios.final_ack_lost(), scenarios.final_ack_lost(time_wait=0.5)
    fig = pair(kept, cut, ("kept", "cut"))
    assert {d.yaxis for d in fig.data} == {"y", "y2"}
    assert fig.layout.yaxis.domain[0] > fig.layout.yaxis2.domain[1]  # run 1 above run 2
    words = _words(fig)
    assert fig.layout.title.text.startswith("(1) kept: ACK lost once")
    assert "(2) cut: ACK lost once" in words and "B: reset in LAST-ACK" in words
    shown = [d.name for d in fig.data if d.showlegend is not False and d.name]
    assert len(shown) == len(set(shown)) and "lost" in shown  # one legend for both runs
    assert figuretext.check(fig, (labels.DESIGN_WIDTH, 1400)) == []
    alone = ladder(cut, title="x")
    assert len(_kind(fig, "arrows")) == len(_kind(ladder(kept), "arrows")) + len(
        _kind(alone, "arrows"))
    with pytest.raises(ValueError, match="right"):
        pair(kept, "cut")  # type: ignore[arg-type]


def test_hovering_a_call_names_the_rfc_call_it_is() -> None:
    hover = [a.hovertext for a in ladder(scenarios.close_then_reply()).layout.annotations
             if a.hovertext]
    assert any(h.startswith("close() — socket close (RFC 9293 §3.6.1 MAY-1)") for h in hover)
    hover = [a.hovertext for a in ladder(scenarios.half_close()).layout.annotations if a.hovertext]
    assert any(h.startswith("shutdown() — CLOSE (RFC 9293 §3.10.4)") for h in hover)


def test_a_socket_servers_connections_get_lanes_of_their_own() -> None:
    trace = scenarios.socket_server()
    lanes = [d.meta["endpoint"] for d in _kind(ladder(trace), "lane")]
    assert lanes == ["A", "B", "B:1", "B:2", "C"]
    assert _arrow_indices(ladder(trace)) == [t.index for t in trace.transmissions]
