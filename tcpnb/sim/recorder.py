"""The record of a run as it happens, and the trace it gives at any moment.

The simulator appends one record per thing that happens -- a transmission,
an arrival, a state change, a notice, an application call, bytes delivered,
a timer that ends.  Each record is written once, in its final form: a
segment still travelling keeps a place in the list and its record is made
when it arrives.  A :class:`Trace` taken at any moment copies the lists and
makes the records of the few segments in flight, so stepping a run in small
pieces costs about what one run costs.

A Monte-Carlo run needs less.  :class:`ChangesRecorder`
(``Simulation(record="changes")``) keeps what the course's tallies read -- the
state changes, deliveries, notices and application calls, and only those
transmissions whose arrival delivered bytes or changed a state -- and no
timers.  :class:`OutcomeRecorder` (``Simulation(record="outcome")``) keeps
only each endpoint's latest state change, so its memory does not grow with
the run.
"""

from __future__ import annotations

from typing import Any

from ..core.outputs import Timer
from ..core.segment import Segment
from .trace import (
    AppCall,
    DeliveryRecord,
    Fate,
    NoticeRecord,
    Origin,
    StateRecord,
    TimerSpan,
    Trace,
    Transmission,
)


class Recorder:
    """Everything that happened so far in one simulation, ready to become a :class:`Trace`."""

    def __init__(self) -> None:
        self.transmissions: list[Transmission | None] = []  # None: still travelling
        self.states: list[StateRecord] = []
        self.notices: list[NoticeRecord] = []
        self.app_calls: list[AppCall] = []
        self.deliveries: list[DeliveryRecord] = []
        self.timer_spans: list[TimerSpan] = []
        self.open_timers: dict[tuple[str, Timer], tuple[float, float]] = {}
        #: transmissions that will arrive but have not yet: the fields of their records
        self.in_flight: dict[int, tuple[Any, ...]] = {}
        self.latest = 0.0                 # when the last thing happened

    def transmission(self, sent_at: float, arrives_at: float | None, src: str, dst: str,
                     segment: Segment, fate: Fate, origin: Origin, incarnation: int,
                     event: int) -> int:
        """A segment left (or was injected); return its index.

        A segment that is to arrive (``arrives_at``) is in flight: its record is
        made when it arrives (:meth:`arrival`), with the socket that took it.
        """
        index = len(self.transmissions)
        if arrives_at is None:
            self.transmissions.append(Transmission(index, sent_at, None, src, dst, segment, fate,
                                                   origin, incarnation, event))
        else:
            self.transmissions.append(None)
            self.in_flight[index] = (sent_at, arrives_at, src, dst, segment, fate, origin,
                                     incarnation, event)
        if sent_at > self.latest:
            self.latest = sent_at
        return index

    def arrival(self, index: int, receiver: str, event: int, now: float) -> None:
        """Transmission ``index`` arrived at ``receiver`` during event ``event``."""
        sent_at, arrived_at, src, _, segment, fate, origin, incarnation, sent_event = \
            self.in_flight.pop(index)
        self.transmissions[index] = Transmission(index, sent_at, arrived_at, src, receiver,
                                                 segment, fate, origin, incarnation,
                                                 sent_event, event)
        if now > self.latest:
            self.latest = now

    def state(self, record: StateRecord) -> None:
        self.states.append(record)
        if record.t > self.latest:
            self.latest = record.t

    def notice(self, record: NoticeRecord) -> None:
        self.notices.append(record)
        if record.t > self.latest:
            self.latest = record.t

    def app_call(self, record: AppCall) -> None:
        self.app_calls.append(record)
        if record.t > self.latest:
            self.latest = record.t

    def delivery(self, record: DeliveryRecord) -> None:
        self.deliveries.append(record)
        if record.t > self.latest:
            self.latest = record.t

    def timer(self, endpoint: str, timer: Timer, now: float, outcome: str,
              deadline: float | None) -> None:
        """Timer ``timer`` of ``endpoint`` was set (``deadline``), cancelled or fired."""
        key = (endpoint, timer)
        opened = self.open_timers.pop(key, None)
        if opened is not None:
            self.timer_spans.append(TimerSpan(endpoint, timer, opened[0], opened[1], now, outcome))
            if now > self.latest:
                self.latest = now
        if deadline is not None:
            self.open_timers[key] = (now, deadline)

    def trace(self, endpoints: tuple[str, ...], now: float, until: float | None,
              params: dict[str, Any]) -> Trace:
        """The trace so far; segments still travelling are marked in flight.

        ``until`` is where the run was asked to stop (the trace then ends there);
        without it the trace ends with the last thing that happened.
        """
        transmissions = self.transmissions
        if self.in_flight:
            transmissions = list(transmissions)
            for index, (sent_at, _, src, dst, segment, _, origin, incarnation,
                        event) in self.in_flight.items():
                transmissions[index] = Transmission(index, sent_at, None, src, dst, segment,
                                                    Fate.IN_FLIGHT, origin, incarnation, event)
        running = tuple(TimerSpan(name, timer, start, deadline, now, "running")
                        for (name, timer), (start, deadline) in self.open_timers.items())
        return Trace(endpoints=endpoints,
                     transmissions=tuple(transmissions),  # type: ignore[arg-type]
                     state_changes=tuple(self.states), notices=tuple(self.notices),
                     app_calls=tuple(self.app_calls), timers=tuple(self.timer_spans) + running,
                     deliveries=tuple(self.deliveries),
                     end_time=self.latest if until is None else until, params=params)


class ChangesRecorder(Recorder):
    """What changed something: every state change, delivery, notice and application call, and
    the transmissions whose arrival delivered bytes or changed a state (``record="changes"``).

    A transmission's record is made only if something happens during the event
    it arrives in; the others (lost segments, ACKs that change nothing) keep
    just their index, so the indexes -- and every ``DeliveryRecord.source`` --
    are those of the full trace.  No timer spans are kept, but the trace ends
    at the same time as the full one.
    """

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0  # transmissions so far: the next one's index
        self.kept: list[Transmission] = []
        self.arrived: tuple[Any, ...] | None = None  # the last arrival, until something happens

    def transmission(self, sent_at: float, arrives_at: float | None, src: str, dst: str,
                     segment: Segment, fate: Fate, origin: Origin, incarnation: int,
                     event: int) -> int:
        index = self.sent
        self.sent += 1
        if arrives_at is not None:
            self.in_flight[index] = (sent_at, arrives_at, src, dst, segment, fate, origin,
                                     incarnation, event)
        if sent_at > self.latest:
            self.latest = sent_at
        return index

    def arrival(self, index: int, receiver: str, event: int, now: float) -> None:
        self.arrived = (index, receiver, event, self.in_flight.pop(index))
        if now > self.latest:
            self.latest = now

    def _keep_arrival(self, event: int) -> None:
        """Something happened during ``event``: keep the transmission that arrived in it."""
        index, receiver, arrived_event, fields = self.arrived  # type: ignore[misc]
        if arrived_event == event:
            sent_at, arrived_at, src, _, segment, fate, origin, incarnation, sent_event = fields
            self.kept.append(Transmission(index, sent_at, arrived_at, src, receiver, segment,
                                          fate, origin, incarnation, sent_event, arrived_event))
        self.arrived = None

    def state(self, record: StateRecord) -> None:
        if self.arrived is not None:
            self._keep_arrival(record.event)
        super().state(record)

    def delivery(self, record: DeliveryRecord) -> None:
        if self.arrived is not None:
            self._keep_arrival(record.event)
        super().delivery(record)

    def timer(self, endpoint: str, timer: Timer, now: float, outcome: str,
              deadline: float | None) -> None:
        # No span is kept; a span that ends still moves the trace's end, as in a full trace.
        key = (endpoint, timer)
        if self.open_timers.pop(key, None) is not None and now > self.latest:
            self.latest = now
        if deadline is not None:
            self.open_timers[key] = (now, deadline)

    def trace(self, endpoints: tuple[str, ...], now: float, until: float | None,
              params: dict[str, Any]) -> Trace:
        kept = sorted(self.kept, key=lambda t: t.index)
        return Trace(endpoints=endpoints, transmissions=tuple(kept),
                     state_changes=tuple(self.states), notices=tuple(self.notices),
                     app_calls=tuple(self.app_calls), deliveries=tuple(self.deliveries),
                     end_time=self.latest if until is None else until,
                     params=dict(params, record="changes"))


class OutcomeRecorder(Recorder):
    """Only how each endpoint ended: its latest state change (memory independent of the run's length).

    The trace it gives has each endpoint's last state change and nothing else:
    ``final_state()`` is right; every other record is left out (and the trace's
    ``params["record"]`` says ``"outcome"``).
    """

    def __init__(self) -> None:
        super().__init__()
        self.last: dict[str, StateRecord] = {}

    def transmission(self, sent_at: float, arrives_at: float | None, src: str, dst: str,
                     segment: Segment, fate: Fate, origin: Origin, incarnation: int,
                     event: int) -> int:
        return -1

    def arrival(self, index: int, receiver: str, event: int, now: float) -> None:
        pass

    def state(self, record: StateRecord) -> None:
        self.last[record.endpoint] = record
        self.latest = record.t

    def notice(self, record: NoticeRecord) -> None:
        pass

    def app_call(self, record: AppCall) -> None:
        pass

    def delivery(self, record: DeliveryRecord) -> None:
        pass

    def timer(self, endpoint: str, timer: Timer, now: float, outcome: str,
              deadline: float | None) -> None:
        pass

    def trace(self, endpoints: tuple[str, ...], now: float, until: float | None,
              params: dict[str, Any]) -> Trace:
        last = tuple(sorted(self.last.values(), key=lambda r: r.event))
        return Trace(endpoints=endpoints, state_changes=last,
                     end_time=self.latest if until is None else until,
                     params=dict(params, record="outcome"))
