"""Read a packet capture (pcap or pcapng) of one TCP connection into a :class:`~tcpnb.sim.trace.Trace`.

    import tcpnb
    from tcpnb.real import capture
    trace = capture.load("mine.pcap")        # or tcpnb.load_capture(...)
    print(tcpnb.text_ladder(trace))          # the same views as for a simulation
    capture.connections("mine.pcapng")       # what a file holds, when it holds several

The files tcpdump and Wireshark write are read by :mod:`tcpnb.real.pcapfile`
(Ethernet, Linux "cooked", BSD loopback and raw IP, over IPv4 or IPv6).

What a capture can and cannot say, and so what the trace holds:

* **Names by role.**  The side that sent the first SYN (without ACK) is
  ``"client"``, the other ``"server"`` (``names=`` changes them, e.g.
  ``("A", "B")`` as in :mod:`tcpnb.scenarios`).  Without a SYN in the file, the
  receiver of the first SYN,ACK is the client; without either, the sender of
  the first segment.  A socket connected to itself (one address and port at
  both ends) is the single endpoint ``"self"``.
* **Relative sequence numbers**, as Wireshark shows them (``relative=True``,
  the default; the rule is :mod:`tcpnb.sim.relative`'s): each side's ISN (the
  sequence number of its SYN) counts as 0, so its first data byte is 1.  A side
  that sent no SYN counts from its first sequence number (not a RST's).  ACK
  fields count from the other side's ISN.  The raw ISNs are kept in
  ``trace.params["isn"]``; ``relative=False`` keeps raw numbers.
* **Times** in seconds from the connection's first segment;
  ``params["time_zero"]`` is that moment as a Unix time.
* **One point of view.**  A capture sees each segment once, where it was
  recorded, not when it left one host and reached the other.  Each
  transmission therefore has ``arrived_at == sent_at`` (the time it was
  seen) and the fate ``DELIVERED``: whether it arrived is not in the file.
  A segment that repeats sequence space its sender had already sent is marked
  ``Origin.RETRANSMISSION``, as Wireshark marks it.
* **No states, timers or calls**: those live inside the hosts.
* **Headers only.**  ``Segment.data`` has the payload's true length (from
  the IP header); bytes beyond the capture's snap length are zeros.
  ``Segment.window`` is the window in bytes (the raw field shifted by the
  window scale both SYNs agreed on, as Wireshark's "calculated window size");
  the raw fields and the TCP options are in ``params["raw_window"]`` and
  ``params["options"]``, by transmission index.

Everything that goes wrong with the file itself -- empty, cut short, not a
capture, no TCP in it, several connections and none chosen -- raises
:class:`CaptureError` (a ``ValueError``) with one line that says what.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

from ..core.errors import CaptureError
from ..core.segment import SEQ_SPACE, Flags, Segment
from ..sim.relative import first_isns, relative_trace
from ..sim.trace import Fate, Origin, Trace, Transmission
from .pcapfile import Address, Packet, Source, read

__all__ = ["CaptureError", "Connection", "Source", "connections", "load"]

_FLAG_BITS = ((0x01, Flags.FIN), (0x02, Flags.SYN), (0x04, Flags.RST), (0x08, Flags.PSH),
              (0x10, Flags.ACK))
_OTHER_FLAGS = ((0x20, "URG"), (0x40, "ECE"), (0x80, "CWR"))


@dataclass(frozen=True, slots=True)
class Connection:
    """One TCP connection (one pair of address and port) in a capture."""

    a: Address
    b: Address
    segments: int

    @property
    def ports(self) -> tuple[int, int]:
        """The two ports, as ``connection=`` takes them."""
        return self.a[1], self.b[1]

    def __str__(self) -> str:
        return f"{_address(self.a)} <-> {_address(self.b)} ({self.segments} segments)"


def _address(addr: Address) -> str:
    host = f"[{addr[0]}]" if ":" in addr[0] else addr[0]
    return f"{host}:{addr[1]}"


def _key(p: Packet) -> tuple[Address, Address]:
    return (p.src, p.dst) if p.src <= p.dst else (p.dst, p.src)


def _group(packets: Iterable[Packet]) -> dict[tuple[Address, Address], list[Packet]]:
    groups: dict[tuple[Address, Address], list[Packet]] = {}
    for p in packets:
        groups.setdefault(_key(p), []).append(p)
    return groups


def connections(source: Source | BinaryIO) -> list[Connection]:
    """The TCP connections in a capture, in the order their first segments appear."""
    _, _, packets, _ = read(source)
    return [Connection(a, b, len(group)) for (a, b), group in _group(packets).items()]


# ------------------------------------------------------------- choosing one
def _choose(groups: dict[tuple[Address, Address], list[Packet]], connection: Any,
            name: str) -> list[Packet]:
    found = [Connection(a, b, len(g)) for (a, b), g in groups.items()]
    if connection is None:
        if len(groups) == 1:
            return next(iter(groups.values()))
        listed = "; ".join(str(c) for c in found[:5]) + ("; ..." if len(found) > 5 else "")
        raise CaptureError(f"{name}: {len(found)} TCP connections ({listed}); choose one with "
                           f"connection=({found[0].ports[0]}, {found[0].ports[1]})")
    wanted = _check_connection(connection)
    matches = [key for key, c in zip(groups, found) if sorted(c.ports) == sorted(wanted)]
    if len(matches) != 1:
        ports = " and ".join(str(p) for p in wanted)
        known = ", ".join(f"({c.ports[0]}, {c.ports[1]})" for c in found[:8])
        problem = "no connection" if not matches else f"{len(matches)} connections"
        raise CaptureError(f"{name}: {problem} between ports {ports}; the file has {known}")
    return groups[matches[0]]


def _check_connection(connection: Any) -> tuple[int, int]:
    ok = isinstance(connection, (tuple, list)) and len(connection) == 2 and all(
        isinstance(p, int) and not isinstance(p, bool) and 0 <= p <= 65535 for p in connection)
    if not ok:
        raise CaptureError(f"connection must be a pair of port numbers such as (21001, 20001), "
                           f"got {connection!r}")
    return int(connection[0]), int(connection[1])


def _roles(packets: Sequence[Packet]) -> tuple[Address, Address, bool]:
    """(client, server, guessed): who sent the first SYN (see the module's docstring)."""
    for p in packets:
        if p.flags & 0x12 == 0x02:
            return p.src, p.dst, False
    for p in packets:
        if p.flags & 0x12 == 0x12:
            return p.dst, p.src, False
    return packets[0].src, packets[0].dst, True


# ------------------------------------------------------------- building the trace
def _flags(bits: int) -> Flags:
    flags = Flags.NONE
    for bit, flag in _FLAG_BITS:
        if bits & bit:
            flags |= flag
    return flags


def _scales(packets: Sequence[Packet]) -> dict[Address, int]:
    """The window scale of each side, if both SYNs offered one (RFC 7323 §2.2)."""
    offered: dict[Address, int | None] = {}
    for p in packets:
        if p.flags & 0x02 and p.src not in offered:
            offered[p.src] = p.options.get("wscale")
    if len(offered) == 2 and all(v is not None for v in offered.values()):
        return {side: min(int(v or 0), 14) for side, v in offered.items()}
    return {}


def load(source: Source | BinaryIO, connection: tuple[int, int] | None = None, *,
         relative: bool = True, names: tuple[str, str] = ("client", "server")) -> Trace:
    """Read one TCP connection from a pcap or pcapng file.

    Args:
        source: a path, the file's bytes, or a file opened in binary mode.
        connection: the two ports of the connection to read, in either order,
            e.g. ``(21001, 20001)``; needed when the file holds several.
        relative: count sequence numbers from each side's ISN, like Wireshark.
        names: the endpoints' names: (the side that sent the first SYN, the other).

    Returns:
        A :class:`~tcpnb.sim.trace.Trace` with transmissions only (see the module's docstring).

    Raises:
        CaptureError: the file is empty, cut short, not a capture, holds no TCP,
            or holds several connections and ``connection`` picks none of them.
    """
    if not (isinstance(names, tuple) and len(names) == 2 and all(
            isinstance(n, str) and n for n in names) and names[0] != names[1]):
        raise CaptureError(f"names must be two different non-empty strings, got {names!r}")
    name, fmt, packets, other = read(source)
    chosen = _choose(_group(packets), connection, name)
    client, server, guessed = _roles(chosen)
    role = {client: names[0], server: names[1]} if client != server else {client: "self"}
    return _trace(chosen, role, relative, {
        "source": name, "format": fmt, "other_packets": other, "roles_guessed": guessed,
        "addresses": {r: _address(a) for a, r in role.items()}})


def _trace(packets: Sequence[Packet], role: dict[Address, str], relative: bool,
           params: dict[str, Any]) -> Trace:
    scales = _scales(packets)
    t0 = packets[0].time
    transmissions, options, raw_window = [], {}, {}
    sent_to: dict[Address, int] = {}  # the highest sequence number each side has sent
    syn_bits: dict[Address, int] = {}  # SYN and ACK bits of each side's last SYN
    for index, p in enumerate(packets):
        flags = _flags(p.flags)
        shift = 0 if Flags.SYN in flags else scales.get(p.src, 0)
        segment = Segment(p.seq, p.ack if Flags.ACK in flags else 0, flags, p.payload,
                          p.window << shift, p.src[1], p.dst[1])
        origin = _origin(p, segment.seg_len, sent_to, syn_bits)
        t = float(p.time - t0)
        transmissions.append(Transmission(index, t, t, role[p.src], role[p.dst], segment,
                                          Fate.DELIVERED, origin, 0, 2 * index,
                                          2 * index + 1))
        if p.options:
            options[index] = p.options
        raw_window[index] = p.window
        others = [text for bit, text in _OTHER_FLAGS if p.flags & bit]
        if others:
            params.setdefault("other_flags", {})[index] = others
    raw = Trace(endpoints=tuple(dict.fromkeys(role.values())), transmissions=tuple(transmissions),
                end_time=transmissions[-1].sent_at)
    params.update(isn=first_isns(raw), relative=relative,
                  window_scale={role[a]: v for a, v in scales.items()}, options=options,
                  raw_window=raw_window, time_zero=float(t0), delay=0.0)
    trace = replace(raw, params=params)
    return relative_trace(trace) if relative else trace


def _origin(p: Packet, seg_len: int, sent_to: dict[Address, int],
            syn_bits: dict[Address, int]) -> Origin:
    """RETRANSMISSION if the segment repeats sequence space its sender had already sent.

    A SYN,ACK after the sender's own SYN (a simultaneous open) repeats the SYN's
    number but is the answer to the peer's SYN (RFC 9293 Figure 7), not a copy.
    """
    if not seg_len:
        return Origin.ORIGINAL
    end = p.seq + seg_len
    high = sent_to.get(p.src)
    answer = p.flags & 0x12 == 0x12 and syn_bits.get(p.src) == 0x02
    if p.flags & 0x02:
        syn_bits[p.src] = p.flags & 0x12
    if high is not None and (p.seq - high) % SEQ_SPACE >= SEQ_SPACE // 2 and not answer:
        return Origin.RETRANSMISSION  # starts below what was already sent
    sent_to[p.src] = end % SEQ_SPACE
    return Origin.ORIGINAL
