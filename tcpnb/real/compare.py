"""Compare a capture of the Linux kernel with its mirroring simulation, segment by segment.

:func:`compare` lines the capture of :mod:`tcpnb.real.mirror` up with its
simulation, segment by segment:

* **flags, SEQ, ACK and length** must be equal, with sequence numbers
  counted from each side's ISN (:mod:`tcpnb.sim.relative`) and the PSH bit
  ignored;
* **times** must agree within ``max(5 %, one timer-wheel slot)``
  (:func:`tolerance`).  A retransmission is timed from the first copy of its
  segment; any other segment from the segment before it.

Where the model and the kernel differ, :data:`DIFFERENCES` says so, segment by
segment, and :func:`compare` checks exactly those exceptions: a kernel
segment the model does not send, a time not compared, two segments sent in
the other order.  Nothing else is allowed to differ.  :data:`EVERYWHERE`
lists what differs in every capture and is not compared at all (PSH, window,
options); :data:`NOTES` what is within the tolerance but worth knowing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..core.segment import Flags
from ..sim.relative import relative_trace
from ..sim.trace import Trace
from .mirror import RUNS, VANTAGE, kernel, simulate

JIFFY = 0.004  # CONFIG_HZ = 250


# ------------------------------------------------------------- the differences
@dataclass(frozen=True)
class Difference:
    """One way the kernel and the model differ in a capture, and why.

    The three tuples name segments by their index in the capture; each is
    checked by :func:`compare`: ``kernel_only`` -- the kernel sends these and the
    model does not; ``untimed`` -- these times differ by more than the
    tolerance; ``swapped`` -- the model sends these two in the other order.
    ``settings`` are profile fields the mirroring run changes.
    """

    topic: str
    summary: str
    why: str
    kernel_only: tuple[int, ...] = ()
    untimed: tuple[int, ...] = ()
    swapped: tuple[tuple[int, int], ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)


_SAME_JIFFY = ("Two timers were due at the same moment.  The kernel's timer wheel fires a timer "
               "up to one slot (4 ms below 0.25 s, 32 ms up to 2 s) after it is due, and two "
               "timers in one slot in either order; the model fires each exactly when due.")

#: What differs in every capture and is not compared.
EVERYWHERE: tuple[Difference, ...] = (
    Difference("PSH", "Linux sets PSH on the last segment of each write (here every write fits "
               "in one segment, so every data segment has it); the model sends none.",
               "PSH asks the receiver to deliver at once (RFC 9293 §3.9.1.2; without a push "
               "call the sender MUST set it on the last buffered segment, MUST-61: the model "
               "leaves it out, a simplification). Connection management does not depend on "
               "it, so the comparison ignores it."),
    Difference("window", "Linux advertises its free receive buffer, scaled by 2**10 after the "
               "handshake (raw 63-70, i.e. 64-70 KB); the model a fixed 65535.",
               "tcpnb has no flow control: its window only decides which sequence numbers "
               "are acceptable (RFC 9293 §3.10.7.4), and every segment here is in window."),
    Difference("options", "Linux SYNs carry MSS, SACK-permitted, timestamps and window scale; "
               "every later segment a timestamp. The model sends no options.",
               "Options change neither the states nor the sequence numbers of an open or a "
               "close (RFC 9293 §3.1, §3.7.1; RFC 7323). RFC 9293 requires sending and "
               "receiving the MSS option (§3.7.1, MUST-14): leaving it out is the model's "
               "simplification."),
)

DIFFERENCES: dict[str, tuple[Difference, ...]] = {
    "delayed_ack": (
        Difference("delayed ACK", "The 2nd request is ACKed after 45.9 ms, by the delayed-ACK "
                   "timer; the model ACKs it at once, like every other data segment.",
                   "Delaying an ACK is RFC behaviour (RFC 9293 §3.8.6.3: SHLD-18, by less "
                   "than 0.5 s, MUST-40). After the server answered the 1st request at once, "
                   "Linux took the "
                   "connection to be interactive ('ping-pong' mode) and held the ACK back, "
                   "hoping to send it with the reply; when the timer fired first, it went back "
                   "to quick ACKs. profiles.LINUX has one fixed delay for data (0: quick-ACK "
                   "mode), which is right for the other 7 data segments.", untimed=(8,)),),
    "synack_lost": (
        Difference("order", "At 1.006 s the server's SYN,ACK timer fires 7 us before the "
                   "client's SYN leaves; in the model the SYN leaves first.", _SAME_JIFFY,
                   swapped=((2, 3),)),),
    "synack_timer": (
        Difference("order", "At 1.017 s and at 3.03 s the server's SYN,ACK leaves before the "
                   "client's SYN (7 us and 32 ms earlier); in the model the SYN leaves first.",
                   _SAME_JIFFY, swapped=((2, 3), (5, 6))),),
    "syn_retries_exhausted": (
        Difference("SYN retries", "With TCP_SYNCNT=2 Linux sends 6 SYNs and gives up at 7 s; "
                   "the model needs syn_retries=5 to do the same.",
                   "Linux's limit is a time budget, (2**(2+1) - 1) x 1 s = 7 s, checked "
                   "beside a count (2 + 4 linear timeouts); profiles.LINUX has only the count "
                   "(10 for the default 6).", settings={"syn_retries": 5}),),
}
for _name in RUNS:
    DIFFERENCES.setdefault(_name, ())

#: Within the tolerance, but worth knowing: what the model leaves out.
NOTES: dict[str, str] = {
    "final_ack_lost": (
        "The server's FIN goes again after 205 ms (a tail-loss probe, RFC 8985 §7: Linux's probe "
        "timeout with one segment out is 2 x SRTT + 200 ms, capped by the RTO), then after RTOs "
        "of 212, 408 and 832 ms. The model sends its probe after one RTO (200 ms) and doubles "
        "from there: 200, 400, 800 ms. Timed from the first FIN the errors are under 5 %."),
    "time_wait_length": (
        "TIME-WAIT is TCP_TIMEWAIT_LEN = 60 s in Linux, not 2 x MSL; the socket went away "
        "60.85-60.96 s after the last ACK, one timer-wheel slot (2.048 s at 60 s) at most late."),
    "normal_close": ("The ACK of the FIN is delayed 42 ms by Linux, 40 ms by the model: a delayed "
                     "ACK, as RFC 9293 §3.8.6.3 recommends (SHLD-18, MUST-40)."),
}


# ------------------------------------------------------------------ comparing
@dataclass(frozen=True, slots=True)
class Seen:
    """One segment as the capture's point of view sees it, numbers relative to the ISNs."""

    index: int
    time: float
    src: str
    flags: str
    seq: int
    ack: int
    length: int

    @property
    def key(self) -> tuple[str, str, int, int, int]:
        """What must be equal between kernel and model."""
        return (self.src, self.flags, self.seq, self.ack, self.length)

    def __str__(self) -> str:
        ack = f" ack={self.ack}" if "ACK" in self.flags else ""
        data = f" len={self.length}" if self.length else ""
        return f"{self.src} {self.flags} seq={self.seq}{ack}{data}"


def seen(trace: Trace, vantage: str = "loopback") -> list[Seen]:
    """The segments of ``trace`` in the order a capture at ``vantage`` records them.

    ``vantage`` is ``"loopback"`` (each segment when sent) or an endpoint's name
    (its own segments when sent, the others' when they arrive; lost ones never).
    Sequence numbers are relative (:mod:`tcpnb.sim.relative`).
    """
    rows = []
    for t in relative_trace(trace).transmissions:
        if vantage == "loopback" or t.src == vantage:
            when: float | None = t.sent_at
        else:
            when = t.arrived_at
        if when is None:
            continue
        seg = t.segment
        flags = str(seg.flags & ~Flags.PSH) or "none"
        ack = seg.ack if Flags.ACK in seg.flags else 0
        rows.append(Seen(t.index, when, t.src, flags, seg.seq, ack, seg.length))
    rows.sort(key=lambda r: (r.time, r.index))
    return rows


def slot(seconds: float) -> float:
    """How late the kernel's timer wheel (HZ=250) may fire a timer ``seconds`` long.

    Level n of the wheel counts in steps of 8**n jiffies (4 ms) and holds
    timers up to 63 x 8**n jiffies ahead: 4 ms below 0.25 s, 32 ms up to 2 s,
    256 ms up to 16 s, 2.048 s up to 129 s (kernel/time/timer.c).
    """
    jiffies, level = abs(seconds) / JIFFY, 0
    while jiffies >= 63 * float(8 ** level) and level < 8:
        level += 1
    return JIFFY * float(8 ** level)


def tolerance(seconds: float) -> float:
    """Allowed difference for an interval of ``seconds``: ``max(5 %, one slot)``."""
    return max(0.05 * abs(seconds), slot(seconds))


@dataclass(frozen=True, slots=True)
class Row:
    """One kernel segment, the model's segment matched to it, and their timing."""

    kernel: Seen
    model: Seen | None
    since: int | None          # capture index of the segment the time is measured from
    kernel_interval: float
    model_interval: float | None
    note: str                  # "", "kernel only", "not timed", "retransmission"

    @property
    def error(self) -> float | None:
        """Model interval minus kernel interval, in seconds (``None`` if not compared)."""
        if self.model_interval is None or self.note in ("kernel only", "not timed"):
            return None
        return self.model_interval - self.kernel_interval

    @property
    def within(self) -> bool:
        error = self.error
        return error is None or abs(error) <= tolerance(self.kernel_interval)


@dataclass(frozen=True)
class Comparison:
    """The kernel's segments lined up with the model's (see :func:`compare`)."""

    name: str
    rows: tuple[Row, ...]
    model_only: tuple[Seen, ...]
    swapped: tuple[tuple[int, int], ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Everything matches, apart from the listed differences."""
        return not self.problems

    def worst(self) -> Row:
        """The row whose timing error uses up the largest part of its tolerance."""
        timed = [r for r in self.rows if r.error is not None] or list(self.rows)
        return max(timed, key=lambda r: abs(r.error or 0.0) / tolerance(r.kernel_interval))

    def retransmissions(self) -> list[tuple[Seen, float, float]]:
        """(segment, kernel time, model time) since the first copy, for every retransmission."""
        return [(r.kernel, r.kernel_interval, r.model_interval or 0.0) for r in self.rows
                if r.note == "retransmission" and r.model_interval is not None]

    def table(self) -> str:
        """One line per kernel segment: times, the interval compared, the error."""
        head = f"{'#':>2} {'kernel segment':<34} {'kernel':>9} {'model':>9}  {'interval':>16}"
        lines = [head + "  error"]
        for r in self.rows:
            model = f"{r.model.time:9.4f}" if r.model else f"{'-':>9}"
            since = f"from #{r.since}" if r.since is not None else ""
            error = r.error
            verdict = r.note or ""
            if error is not None:
                verdict = (f"{error * 1000:+.1f} ms" + (" FAIL" if not r.within else "")
                           + (f" ({r.note})" if r.note else ""))
            lines.append(f"{r.kernel.index:>2} {r.kernel!s:<34} {r.kernel.time:9.4f} {model}  "
                         f"{r.kernel_interval:8.4f} {since:>7}  {verdict}")
        lines += [f"model only: {s}" for s in self.model_only]
        lines += [f"PROBLEM: {p}" for p in self.problems]
        return "\n".join(lines)


def _listed(name: str) -> tuple[set[int], set[int], set[tuple[int, int]]]:
    only, untimed, swapped = set(), set(), set()
    for d in DIFFERENCES.get(name, ()):
        only |= set(d.kernel_only)
        untimed |= set(d.untimed)
        swapped |= set(d.swapped)
    return only, untimed, swapped


def _match(kernel: list[Seen], model: list[Seen], only: set[int]
           ) -> tuple[dict[int, Seen], list[Seen]]:
    """Pair each kernel segment (not listed as kernel-only) with the first free equal model one."""
    free = list(model)
    pairs = {}
    for k in kernel:
        if k.index in only:
            continue
        m = next((m for m in free if m.key == k.key), None)
        if m is not None:
            free.remove(m)
            pairs[k.index] = m
    return pairs, free


def compare(name: str, model: Trace | None = None) -> Comparison:
    """Line up capture ``name`` with its simulation (see the module's docstring).

    ``model`` replaces the simulation of :data:`RUNS`, e.g. the same run with
    another profile; its endpoints must be called ``client`` and ``server``.
    """
    kernel_view = seen(kernel(name), "loopback")  # the capture's own order
    model_view = seen(simulate(name) if model is None else model, VANTAGE.get(name, "loopback"))
    only, untimed, listed_swaps = _listed(name)
    pairs, model_only = _match(kernel_view, model_view, only)
    problems = [f"kernel segment #{k.index} ({k}) has no match in the model"
                for k in kernel_view if k.index not in only and k.index not in pairs]
    problems += [f"kernel segment #{i} is listed as kernel-only but the model sends it too"
                 for i in sorted(only) if any(m.key == kernel_view[i].key for m in model_only)]
    problems += [f"the model also sends {m}" for m in model_only]
    swaps = _swaps(kernel_view, pairs)
    problems += [f"kernel segments #{a} and #{b} are in the other order in the model"
                 for a, b in swaps if (a, b) not in listed_swaps]
    problems += [f"#{a} and #{b} are listed as swapped but are not" for a, b in listed_swaps
                 if (a, b) not in swaps]
    rows = _timed_rows(kernel_view, pairs, only, untimed)
    problems += [f"#{r.kernel.index} ({r.kernel}): {r.kernel_interval:.4f} s in the kernel, "
                 f"{r.model_interval:.4f} s in the model" for r in rows if not r.within]
    return Comparison(name, tuple(rows), tuple(model_only), tuple(swaps), tuple(problems))


def _swaps(kernel: list[Seen], pairs: dict[int, Seen]) -> list[tuple[int, int]]:
    """Pairs of kernel segments (a before b) whose model matches come in the other order."""
    order = [(k.index, pairs[k.index].time, pairs[k.index].index) for k in kernel
             if k.index in pairs]
    return [(a, b) for i, (a, ta, ia) in enumerate(order) for b, tb, ib in order[i + 1:]
            if (tb, ib) < (ta, ia)]


def _timed_rows(kernel: list[Seen], pairs: dict[int, Seen], only: set[int],
                untimed: set[int]) -> list[Row]:
    first_copy: dict[tuple[str, str, int, int], Seen] = {}
    rows, previous = [], None
    for k in kernel:
        model = pairs.get(k.index)
        if k.index in only:
            rows.append(Row(k, None, None, 0.0, None, "kernel only"))
            continue
        copy_key = (k.src, k.flags, k.seq, k.length)
        original = first_copy.setdefault(copy_key, k) if k.flags != "ACK" else k
        ref = original if original is not k else previous
        note = "retransmission" if original is not k else ("not timed" if k.index in untimed
                                                           else "")
        interval = k.time - ref.time if ref else k.time
        model_interval = None
        if model is not None:
            model_ref = pairs.get(ref.index) if ref else None
            model_interval = model.time - model_ref.time if model_ref else model.time
        rows.append(Row(k, model, ref.index if ref else None, interval, model_interval, note))
        if k.index not in untimed:
            previous = k
    return rows
