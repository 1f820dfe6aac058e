"""The figures the notebooks draw, at their own settings and across their panels' slider ranges.

``CALLS`` mirrors the notebooks' figure cells (keep it in step when a notebook draws a new
figure); ``PANEL_SETTINGS`` samples what each panel's controls allow.  Used by
``test_figures.py`` (no overlapping labels, by the character-width model) and by the dev
page in ``browser_support.py``.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from typing import Any

from tcpnb import real, scenarios
from tcpnb.course import stale, timewait
from tcpnb.views.ladder import ladder
from tcpnb.views.statediagram import state_diagram
from tcpnb.views.timeline import timeline

Figure = Any
Build = Callable[[], Figure]


def _close(first: str, **kw: Any) -> Figure:
    return ladder(scenarios.close(first=first, **kw))


def _rates() -> Figure:
    return timewait.figure(timewait.sweep((0.0, 0.25, 0.5, 1.0, 2.0), runs=40, msl=10.0, delay=0.1,
                                          loss=0.05, duplicate=0.1, rfc1337=True))


#: notebook -> [(what, build the figure)], in notebook order.
CALLS: dict[str, list[tuple[str, Build]]] = {
    "00": [("three-way handshake", lambda: ladder(scenarios.three_way_handshake(data=0, delay=0.1))),
           ("panel at its start", lambda: ladder(scenarios.three_way_handshake(
               data=0, delay=0.1, loss=0.3, seed=1)))],
    "01": [("three-way handshake", lambda: ladder(scenarios.three_way_handshake(data=10, delay=0.1))),
           ("state diagram", lambda: state_diagram(scenarios.three_way_handshake(data=10, delay=0.1))),
           ("syn lost", lambda: ladder(scenarios.syn_lost(delay=0.1))),
           ("syn,ack lost", lambda: ladder(scenarios.synack_lost(delay=0.1))),
           ("third ack lost", lambda: ladder(scenarios.third_ack_lost(delay=0.1))),
           ("panel at its start", lambda: ladder(scenarios.three_way_handshake(data=0, delay=0.3))),
           ("simultaneous open", lambda: ladder(scenarios.simultaneous_open(delay=0.1))),
           ("syn,ack lost, Linux", lambda: ladder(scenarios.synack_lost(delay=0.1, profile="linux")))],
    "02": [("two-way", lambda: ladder(stale.connection("two-way", delay=0.1))),
           ("old SYN, two-way", lambda: ladder(scenarios.old_duplicate_syn_two_way(delay=0.1), cut=0.5)),
           ("old SYN, TCP", lambda: ladder(scenarios.old_duplicate_syn(delay=0.1))),
           ("old request, two-way", lambda: ladder(stale.replay("two-way", delay=0.1))),
           ("waste panel", lambda: stale.compare_figure(stale.compare(runs=100))),
           ("sweep by rate", lambda: stale.sweep_figure(stale.sweep(
               {"duplicate": [0.0, 0.05, 0.1, 0.2, 0.3]}, runs=100),
               label="chance that a segment gets a late copy")),
           ("sweep by delay", lambda: stale.sweep_figure(stale.sweep(
               {"delay": [0.001, 0.01, 0.1, 0.3]}, runs=100, duplicate=0.1),
               label="one-way delay (s)")),
           ("half-open discovery", lambda: ladder(scenarios.half_open_discovery(delay=0.1))),
           ("TIME-WAIT reuse, fixed ISN", lambda: ladder(scenarios.time_wait_reuse(isn="fixed", delay=0.1))),
           ("window panel", lambda: stale.window_figure(1.0, old_offset=1))],
    "03": [("normal close", lambda: _close("A", delay=0.1)),
           ("half close", lambda: ladder(scenarios.half_close(chunks=3, chunk_size=500, gap=0.5,
                                                              delay=0.1))),
           ("compare: shutdown() or close() before the reply",
            lambda: _pair(("shutdown_then_reply", {}), ("close_then_reply", {}))),
           ("simultaneous close", lambda: _close("both", delay=0.1)),
           ("server closes first", lambda: _close("B", delay=0.1)),
           ("close panel", lambda: _close("A", lose="first FIN", delay=0.1))],
    "04": [("TIME-WAIT panel", _rates),
           ("abort", lambda: ladder(timewait.request_then("abort", delay=0.1))),
           ("assassination", lambda: ladder(timewait.assassination(old_at=5.0, delay=0.1)))],
    "05": [("lifecycle states", lambda: state_diagram(
        scenarios.lifecycle(request=1000, reply=1000, delay=0.1),
        title="One connection's life: A opens and closes first, B listens and closes second"))],
    "06": [("normal close together", lambda: ladder(real.together("normal_close"), labels=False,
                                                    cut=1.0, title="normal_close: Linux (left) and "
                                                    "tcpnb with profiles.LINUX (right)")),
           ("delayed ack together", lambda: ladder(real.together("delayed_ack"), labels=False, cut=1.0,
                                                   title="delayed_ack: the 2nd request's ACK waits 46 ms "
                                                   "in Linux (left), not in the model")),
           ("simultaneous open together", lambda: ladder(
               real.together("simultaneous_open"), title="simultaneous_open over a 100 ms path, "
               "captured at the client: Linux (left), tcpnb (right)")),
           # the optional deep dive "timers in a real kernel"
           ("syn lost together", lambda: ladder(real.together("syn_lost"), labels=False,
                                                title="syn_lost: six SYNs dropped. Linux (left), "
                                                "tcpnb (right)")),
           ("final ack lost together", lambda: ladder(real.together("final_ack_lost"), labels=False,
                                                      cut=1.0, title="final_ack_lost: Linux (left), "
                                                      "tcpnb (right)"))],
}


@functools.cache
def built(notebook: str) -> list[tuple[str, Figure]]:
    """The figures of ``notebook`` (built once per test session)."""
    return [(what, build()) for what, build in CALLS[notebook]]


def every_scenario() -> Iterator[tuple[str, Build]]:
    """Each named scenario at its defaults, as ladder, timeline and state diagram."""
    for name, _ in scenarios.describe():
        yield f"{name} ladder", lambda name=name: ladder(scenarios.run(name))
        yield f"{name} timeline", lambda name=name: timeline(scenarios.run(name))
        yield f"{name} states", lambda name=name: state_diagram(scenarios.run(name))


def panel_settings() -> Iterator[tuple[str, Build]]:
    """Settings the notebooks' panels allow: a grid over each control's range."""
    for delay, loss, seed in itertools.product((0.0, 0.1, 0.6, 1.0), (0.0, 0.3, 0.9), (1, 7)):
        yield (f"00 panel delay={delay} loss={loss} seed={seed}",
               lambda d=delay, l=loss, s=seed: ladder(scenarios.three_way_handshake(
                   data=0, delay=d, loss=l, seed=s)))
    for delay, jitter, profile in ((0.0, 0.0, "rfc"), (0.3, 0.5, "linux"), (1.0, 0.0, "rfc"),
                                   (0.05, 0.5, "rfc")):
        yield (f"01 panel delay={delay} jitter={jitter} {profile}",
               lambda d=delay, j=jitter, p=profile: ladder(scenarios.three_way_handshake(
                   data=0, delay=d, jitter=j, profile=p)))
    for first, lose in itertools.product(("A", "B"), scenarios.LOSSES):
        for delay, loss, seed in ((0.01, 0.0, 0), (0.6, 0.0, 0), (0.3, 0.5, 11)):
            yield (f"03 close panel {first} lose {lose} delay={delay} loss={loss} seed={seed}",
                   lambda f=first, x=lose, d=delay, l=loss, s=seed: _close(
                       f, lose=x, delay=d, loss=l, seed=s))
    for gap, before in ((0.0, 1), (3.9, 1_000_001), (6.0, 2_000_001)):
        yield (f"02 window panel gap={gap} sent_before={before}",
               lambda g=gap, b=before: stale.window_figure(g, old_offset=b))


def _pair(left: tuple[str, dict[str, Any]], right: tuple[str, dict[str, Any]]) -> Figure:
    from tcpnb.views.pair import pair

    return pair(scenarios.run(left[0], **left[1]), scenarios.run(right[0], **right[1]),
                (left[0] + "".join(f", {k}={v!r}" for k, v in left[1].items()),
                 right[0] + "".join(f", {k}={v!r}" for k, v in right[1].items())))


CALLS["04"][:0] = [
    ("compare: final ACK lost, TIME-WAIT kept or cut",
     lambda: _pair(("final_ack_lost", {}), ("final_ack_lost", {"time_wait": 0.5}))),
    ("compare: TIME-WAIT reuse, cut or kept",
     lambda: _pair(("time_wait_reuse", {}), ("time_wait_reuse", {"time_wait": 240.0})))]
