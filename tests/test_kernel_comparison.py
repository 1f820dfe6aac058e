"""The simulator with profiles.LINUX against the committed captures of the Linux kernel.

Each capture in tcpnb/real/captures has a mirroring simulation in tcpnb.real.
They must send the same segments (flags without PSH, relative SEQ/ACK,
lengths) in the same order, at the same times within max(5 %, one timer-wheel
slot), except where real.DIFFERENCES names a difference -- and each
named difference must be real.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tcpnb import State, real
from tcpnb.real import DIFFERENCES, RUNS, compare, mirror, seen, simulate, tolerance

CAPTURES = Path(__file__).resolve().parent.parent / "tcpnb" / "real" / "captures"
NAMES = sorted(RUNS)


def test_every_capture_has_a_run_and_every_run_a_capture():
    captured = {p.stem for p in CAPTURES.glob("*.pcap")}
    assert captured == set(RUNS) == set(DIFFERENCES)


@pytest.mark.parametrize("name", NAMES)
def test_model_matches_kernel(name):
    result = compare(name)
    assert result.ok, f"{name}:\n{result.table()}"


@pytest.mark.parametrize("name", NAMES)
def test_same_segments_in_the_same_order(name):
    """Independent of compare(): the kernel's segments, less those listed, are the model's."""
    kernel = seen(real.kernel(name))
    model = seen(simulate(name), real.VANTAGE[name])
    only = {i for d in DIFFERENCES[name] for i in d.kernel_only}
    expected = [k for k in kernel if k.index not in only]
    for a, b in (pair for d in DIFFERENCES[name] for pair in d.swapped):
        i, j = [n for n, k in enumerate(expected) if k.index in (a, b)]
        expected[i], expected[j] = expected[j], expected[i]
    assert [m.key for m in model] == [k.key for k in expected]


@pytest.mark.parametrize("name", NAMES)
def test_retransmissions_on_time_and_never_early(name):
    """Timed from the first copy: within max(5 %, one slot), and the kernel is never early."""
    for segment, kernel_time, model_time in compare(name).retransmissions():
        error = model_time - kernel_time
        assert abs(error) <= tolerance(kernel_time), (segment, kernel_time, model_time)
        assert error <= 0.001, f"{segment}: the kernel retransmitted before the model"


def test_retransmission_times_are_compared_where_there_are_some():
    counts = {name: len(compare(name).retransmissions()) for name in NAMES}
    assert counts["syn_retries_default"] == 10 and counts["syn_lost"] == 6
    assert counts["final_ack_lost"] == 4 and counts["synack_timer"] == 11
    assert counts["synack_lost"] == 5 and counts["syn_retries_exhausted"] == 5


@pytest.mark.parametrize("name", [n for n in NAMES if any(d.untimed for d in DIFFERENCES[n])])
def test_untimed_segments_really_differ(name):
    rows = {r.kernel.index: r for r in compare(name).rows}
    for index in (i for d in DIFFERENCES[name] for i in d.untimed):
        row = rows[index]
        assert row.model_interval is not None
        assert abs(row.model_interval - row.kernel_interval) > tolerance(row.kernel_interval)


def test_delayed_ack_in_interactive_mode():
    rows = {r.kernel.index: r for r in compare("delayed_ack").rows}
    assert str(rows[8].kernel) == "server ACK seq=101 ack=201"
    assert 0.040 <= rows[8].kernel_interval <= 0.050 and rows[8].model_interval < 1e-4
    data_acks = [r for r in rows.values() if r.kernel.flags == "ACK" and not r.kernel.length
                 and r.kernel.index > 3 and r.kernel.index != 8]
    assert all(r.kernel_interval < 1e-4 for r in data_acks)  # every other data ACK at once


def test_profile_settings_listed_are_needed():
    """syn_retries_exhausted needs syn_retries=5: with LINUX's 10 the model sends 11 SYNs."""
    default = mirror._black_hole(12, 11)
    assert not compare("syn_retries_exhausted", model=default).ok
    assert DIFFERENCES["syn_retries_exhausted"][0].settings == {"syn_retries": 5}


@pytest.mark.parametrize("name, settings", [
    ("syn_lost", {"profile": "rfc"}),                      # 1, 3, 7 s backoff
    ("final_ack_lost", {"tail_loss_probe": False}),        # no probe after 200 ms
    ("normal_close", {"delayed_fin_ack": 0.0}),            # FIN ACKed at once
    ("synack_lost", {"synack_on_duplicate_syn": False}),   # bare ACK for a repeated SYN
    ("simultaneous_open", {"synack_completes_simultaneous_open": False}),  # FIN 0.1 s late
    ("close_then_reply", {"call": "shutdown"}),            # the reply ACKed, no RST
])
def test_comparison_notices_a_wrong_model(name, settings):
    assert not compare(name, model=simulate(name, **settings)).ok


def test_time_wait_check_notices_a_wrong_length():
    """TIME-WAIT's length is not in the segments: it is checked against what ss saw."""
    found = real.summary("time_wait_length")["findings"]
    low, high = found["time_wait_length_min"], found["time_wait_length_max"]
    for wrong in (30.0, 62.5):
        model = simulate("time_wait_length", time_wait=wrong)
        (start, _), (end, _) = model.states("client")[-2:]
        assert not low <= end - start <= high


def test_close_then_reply_is_answered_with_a_rst_and_the_next_send_fails():
    """The socket close() (RFC 9293 §3.6.1 MAY-1): data that arrives draws a RST (SHLD-3)."""
    kernel, model = seen(real.kernel("close_then_reply")), seen(simulate("close_then_reply"))
    assert str(kernel[-1]) == str(model[-1]) == "client RST seq=102"
    assert "server: next send() -> EPIPE" in [e["what"] for e in
                                              real.summary("close_then_reply")["events"]]
    trace = simulate("close_then_reply")
    assert trace.messages("server")[-3:] == ["error: connection reset",
                                             "error: connection does not exist",
                                             "error: connection does not exist"]
    assert trace.received("client") == b"" and trace.final_state("client") is State.CLOSED


@pytest.mark.parametrize("name", NAMES)
def test_states_seen_by_ss_are_the_models(name):
    """ss polls every 20 ms, so it misses short states: what it saw must be in the model's order."""
    model = simulate(name)
    for role, states in real.ss_states(name).items():
        assert real.is_subsequence(states, model.state_sequence(role)), (role, states)


def test_time_wait_lasts_60_seconds():
    model = simulate("time_wait_length")
    (start, _), (end, closed) = model.states("client")[-2:]
    assert closed is State.CLOSED and end - start == 60.0
    found = real.summary("time_wait_length")["findings"]
    low, high = found["time_wait_length_min"], found["time_wait_length_max"]
    assert 60.0 <= low <= high <= 60.0 + real.slot(60.0)  # late by at most one slot
    assert abs(high - 60.0) <= tolerance(60.0)
    rfc = simulate("time_wait_length", profile="rfc")
    assert rfc.states("client")[-1][0] - rfc.states("client")[-2][0] == 240.0  # M7: not Linux


@pytest.mark.parametrize("name, error, limit", [
    ("syn_retries_exhausted", "ETIMEDOUT", 7.0), ("syn_retries_default", "ETIMEDOUT", 131.0),
    ("refused", "ECONNREFUSED", 0.0)])
def test_connect_fails_like_the_kernel(name, error, limit):
    model = simulate(name)
    kernel_at = real.event_time(name, f"connect() -> {error}")
    gave_up = model.states("client")[-1][0]
    message = {"ETIMEDOUT": "error: connection timed out",
               "ECONNREFUSED": "error: connection refused"}[error]
    assert model.messages("client")[-1] == message and model.final_state("client") is State.CLOSED
    assert gave_up == pytest.approx(limit, abs=1e-4)
    assert kernel_at is not None and abs(kernel_at - gave_up) <= tolerance(kernel_at) + 0.01


def test_differences_present_in_every_capture():
    """EVERYWHERE: PSH on data, windows other than 65535, options on every SYN."""
    for name in NAMES:
        trace = real.kernel(name)
        data = [t.segment for t in trace.transmissions if t.segment.length]
        assert all("PSH" in str(s.flags) for s in data)
        assert all(t.segment.window != 65535 for t in trace.transmissions
                   if "RST" not in str(t.segment.flags))
        syns = [t.index for t in trace.transmissions if "SYN" in str(t.segment.flags)]
        assert all({"mss", "sack_perm", "ts", "wscale"} <= set(trace.params["options"][i])
                   for i in syns)
    assert [d.topic for d in real.EVERYWHERE] == ["PSH", "window", "options"]


def test_every_difference_is_explained():
    for name, differences in DIFFERENCES.items():
        for d in differences:
            assert d.topic and d.summary.endswith(".") and len(d.why) > 60, (name, d)


def test_json_summaries_agree_with_the_importer():
    """The capture script's own summary and tcpnb.capture read the same numbers."""
    for name in NAMES:
        summary = json.loads((CAPTURES / f"{name}.json").read_text())
        wire = [(s["src"], set(s["flags"].split(",")), s["seq"], s["ack"] or 0, s["len"])
                for s in summary["segments"]]
        trace = real.kernel(name)
        ours = [(t.src, set(str(t.segment.flags).split(",")), t.segment.seq, t.segment.ack,
                 t.segment.length) for t in trace.transmissions]
        assert ours == wire, name
        times = [s["time"] for s in summary["segments"]]
        assert [t.sent_at for t in trace.transmissions] == pytest.approx(times, abs=2e-6)


def test_slot_follows_the_timer_wheel():
    assert real.slot(0.2) == 0.004 and real.slot(1.0) == 0.032
    assert real.slot(8.0) == 0.256 and real.slot(60.0) == 2.048
    assert [tolerance(t) for t in (1.0, 0.2, 0.04)] == pytest.approx([0.05, 0.01, 0.004])


def test_unknown_scenario():
    with pytest.raises(ValueError, match="unknown scenario 'nope'; known: normal_close"):
        simulate("nope")
