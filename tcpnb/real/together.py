"""The capture of the Linux kernel and its mirroring simulation side by side, in one trace.

:func:`together` makes the trace that :func:`tcpnb.views.ladder` draws in
notebook 06: the kernel's two lanes on the left, the model's on the right.
"""

from __future__ import annotations

from dataclasses import replace

from ..core.states import State
from ..sim.relative import relative_trace
from ..sim.trace import Fate, Observation, StateRecord, Trace
from .compare import compare
from .mirror import kernel, simulate, ss_states, summary


def together(name: str, model: Trace | None = None, labels: tuple[str, str] = ("Linux", "tcpnb")
             ) -> Trace:
    """The capture and the model in one trace, on one clock: four lanes, kernel on the left.

    Endpoints are renamed ``"client (Linux)"``, ``"server (Linux)"``, ``"client
    (tcpnb)"`` ...; sequence numbers are relative.  A capture has no states: the
    kernel's lanes show the states ``ss`` saw, from the moment it first saw each
    (it polls every 20 ms, so they appear up to ~20 ms late and the shortest are
    missing).  Segments the capture script dropped (iptables) are drawn lost: the
    file has them, because tcpdump saw them before the drop.  Timers and calls
    are the model's only.  Draw it with
    :func:`tcpnb.views.ladder` (``text_ladder()`` shows only the first two lanes).
    """
    left = kernel(name)
    right = simulate(name) if model is None else model
    def rename(who: str, side: str) -> str:
        return f"{who} ({side})"
    dropped = _dropped(name, right)
    shift = 1 + max([t.arrived_event or t.sent_event for t in right.transmissions]
                    + [r.event for r in right.state_changes] + [0])
    moved = [replace(t, index=i, src=rename(t.src, labels[0]), dst=rename(t.dst, labels[0]),
                     sent_event=t.sent_event + shift,
                     arrived_event=None if t.arrived_event is None else t.arrived_event + shift)
             for i, t in enumerate(left.transmissions)]
    moved = [replace(t, fate=Fate.DROPPED, arrived_at=None, arrived_event=None)
             if t.index in dropped else t for t in moved]
    first = len(moved)
    moved += [replace(t, index=first + t.index, src=rename(t.src, labels[1]),
                      dst=rename(t.dst, labels[1]))
              for t in relative_trace(right).transmissions]
    name_of = {n: rename(n, labels[1]) for n in right.endpoints}
    return Trace(
        endpoints=tuple(rename(n, labels[0]) for n in left.endpoints) + tuple(name_of.values()),
        transmissions=tuple(moved),
        state_changes=tuple(_ss_records(name, labels[0], shift + 2 * first + 2))
        + tuple(replace(r, endpoint=name_of[r.endpoint]) for r in right.state_changes),
        notices=tuple(replace(r, endpoint=name_of[r.endpoint]) for r in right.notices),
        app_calls=tuple(replace(r, endpoint=name_of[r.endpoint]) for r in right.app_calls),
        timers=tuple(replace(r, endpoint=name_of[r.endpoint]) for r in right.timers),
        deliveries=tuple(replace(r, endpoint=name_of[r.endpoint],
                                 source=None if r.source is None else first + r.source)
                         for r in right.deliveries),
        end_time=max(left.end_time, right.end_time), params={**right.params, "capture": name})


def _dropped(name: str, model: Trace) -> set[int]:
    """Capture indices of the segments the capture script dropped: those matched to drops."""
    rows = compare(name, model).rows
    fate = {t.index: t.fate for t in model.transmissions}
    return {r.kernel.index for r in rows if r.model and fate[r.model.index] is Fate.DROPPED}


def _ss_records(name: str, label: str, event: int) -> list[StateRecord]:
    """The states ``ss`` saw in capture ``name``, as state records of the renamed lanes."""
    records = []
    for role, states in ss_states(name).items():
        seen_at = sorted(r["first_seen"] for r in summary(name)["socket_states"]
                         if r["role"] == role)
        old = State.CLOSED
        for t, state in zip(seen_at, states):
            records.append(StateRecord(t, f"{role} ({label})", old, state, Observation.SEEN_BY_SS,
                                       event=event))
            old = state
        gone = [r["gone_by"] for r in summary(name)["socket_states"]
                if r["role"] == role and r["gone_by"] is not None]
        if gone and old is not State.CLOSED:
            records.append(StateRecord(max(gone), f"{role} ({label})", old, State.CLOSED,
                                       Observation.GONE_FROM_SS, event=event))
    return sorted(records, key=lambda r: r.t)
