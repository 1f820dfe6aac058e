"""Read a packet capture (pcap or pcapng) of one TCP connection into a :class:`~tcpnb.sim.trace.Trace`.

    from tcpnb import capture
    trace = capture.load("mine.pcap")                 # or real.captures_dir() / "syn_lost.pcap"
    print(tcpnb.text_ladder(trace))                   # the same views as for a simulation
    capture.connections("mine.pcapng")       # what a file holds, when it holds several

The files tcpdump and Wireshark write are read with `dpkt
<https://dpkt.readthedocs.io>`_; link types Ethernet, Linux "cooked" (SLL and
SLL2, ``tcpdump -i any``), BSD loopback and raw IP, over IPv4 or IPv6.

What a capture can and cannot say, and so what the trace holds:

* **Names by role.**  The side that sent the first SYN (without ACK) is
  ``"client"``, the other ``"server"`` (``names=`` changes them, e.g.
  ``("A", "B")`` as in :mod:`tcpnb.scenarios`).  Without a SYN in the file, the
  receiver of the first SYN,ACK is the client; without either, the sender of
  the first segment.  A socket connected to itself (one address and port at
  both ends) is the single endpoint ``"self"``.
* **Relative sequence numbers**, as Wireshark shows them (``relative=True``,
  the default): each side's ISN (the sequence number of its SYN) counts as 0,
  so its first data byte is 1.  A side that sent no SYN counts from its first
  sequence number.  ACK fields count from the other side's ISN.  The raw ISNs
  are kept in ``trace.params["isn"]``; ``relative=False`` keeps raw numbers.
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

import io
import ipaddress
import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Union

import dpkt

from ..core.errors import CaptureError
from ..core.segment import SEQ_SPACE, Flags, Segment
from ..sim.trace import Fate, Origin, Trace, Transmission

Source = Union[str, "os.PathLike[str]", bytes]
Address = tuple[str, int]

_PCAP_MAGICS = {b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4",   # microseconds
                b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"}   # nanoseconds
_PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
_FLAG_BITS = ((0x01, Flags.FIN), (0x02, Flags.SYN), (0x04, Flags.RST), (0x08, Flags.PSH),
              (0x10, Flags.ACK))
_OTHER_FLAGS = ((0x20, "URG"), (0x40, "ECE"), (0x80, "CWR"))
#: Link types read: Ethernet, BSD loopback, Linux cooked v1 and v2, raw IP.
_LINKTYPES = {1, 0, 108, 113, 276, 12, 14, 101, 228, 229}
#: What dpkt raises on bytes it cannot decode.
_DECODE_ERRORS = (dpkt.Error, struct.error, ValueError, IndexError)


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


@dataclass(frozen=True, slots=True)
class _Packet:
    """The TCP header of one captured packet, decoded."""

    time: Any  # float, or Decimal for nanosecond pcap files
    src: Address
    dst: Address
    seq: int
    ack: int
    flags: int
    window: int
    payload: bytes
    length: int
    options: dict[str, Any]


def _address(addr: Address) -> str:
    host = f"[{addr[0]}]" if ":" in addr[0] else addr[0]
    return f"{host}:{addr[1]}"


# ---------------------------------------------------------------- reading files
class _Watched(io.BytesIO):
    """A byte stream that remembers every read that returned less than was asked."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[tuple[int, int]] = []

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        if size is not None and size >= 0:
            self.reads.append((size, len(data)))
        return data

    def cut_short(self) -> bool:
        """Did the file end inside a record? (The last read may find nothing: the normal end.)"""
        *middle, last = self.reads or [(0, 0)]
        return any(got < asked for asked, got in middle) or 0 < last[1] < last[0]


def _read_source(source: Source | BinaryIO) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), "capture"
    if hasattr(source, "read"):
        data = source.read()
        if not isinstance(data, bytes):
            raise CaptureError("capture: open the file in binary mode ('rb')")
        return data, str(getattr(source, "name", "capture"))
    if not isinstance(source, (str, os.PathLike)):
        raise CaptureError(f"capture: expected a path, bytes or a binary file, got {source!r}")
    path = Path(source)
    try:
        return path.read_bytes(), path.name
    except FileNotFoundError:
        raise CaptureError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CaptureError(f"{path}: is a directory, not a capture file") from None
    except OSError as error:
        raise CaptureError(f"{path}: cannot read it ({error.strerror or error})") from None


def _records(data: bytes, name: str) -> tuple[str, int, list[tuple[Any, bytes]]]:
    """``(format, link type, [(timestamp, frame), ...])`` of a pcap or pcapng file."""
    if not data:
        raise CaptureError(f"{name}: the file is empty")
    magic = data[:4]
    if magic in _PCAP_MAGICS:
        fmt, reader_class = "pcap", dpkt.pcap.Reader
    elif magic == _PCAPNG_MAGIC:
        fmt, reader_class = "pcapng", dpkt.pcapng.Reader
    else:
        raise CaptureError(f"{name}: not a pcap or pcapng file (it starts with {data[:8]!r})")
    stream = _Watched(data)
    try:
        reader = reader_class(stream)
        frames = [(ts, bytes(frame)) for ts, frame in reader]
        linktype = int(reader.datalink())
    except _DECODE_ERRORS as error:
        if stream.cut_short() or isinstance(error, dpkt.NeedData):
            raise CaptureError(f"{name}: truncated: the file ends inside a {fmt} record") from None
        raise CaptureError(f"{name}: not a readable {fmt} file ({error or type(error).__name__})"
                           ) from None
    if stream.cut_short():
        raise CaptureError(f"{name}: truncated: the last packet record is cut short "
                           f"(after {len(frames) - 1} whole packets)")
    return fmt, linktype, frames


# ------------------------------------------------------------- decoding frames
def _network_layer(linktype: int, frame: bytes) -> Any:
    """The IPv4 or IPv6 packet in ``frame``, or ``None``."""
    if linktype == 1:                       # Ethernet
        packet = dpkt.ethernet.Ethernet(frame).data
    elif linktype in (0, 108):              # BSD loopback (NULL, LOOP)
        packet = dpkt.loopback.Loopback(frame).data
    elif linktype == 113:                   # Linux cooked (tcpdump -i any)
        packet = dpkt.sll.SLL(frame).data
    elif linktype == 276:                   # Linux cooked v2
        packet = dpkt.sll2.SLL2(frame).data
    elif linktype in (12, 14, 101, 228, 229):  # raw IP (tun devices, VPNs)
        version = frame[0] >> 4 if frame else 0
        packet = dpkt.ip.IP(frame) if version == 4 else dpkt.ip6.IP6(frame) if version == 6 \
            else None
    else:
        return None
    return packet if isinstance(packet, (dpkt.ip.IP, dpkt.ip6.IP6)) else None


def _tcp_length(packet: Any, tcp: Any) -> int:
    """Payload bytes of the segment, from the IP header (the capture may hold fewer)."""
    header = tcp.off * 4
    if isinstance(packet, dpkt.ip.IP):
        total = packet.len - packet.hl * 4 if packet.len else None
    else:
        extensions = sum(ext.length for ext in packet.all_extension_headers)
        total = packet.plen - extensions if packet.plen else None
    if total is None:  # length 0 in the IP header: segmentation offload; trust the capture
        return len(tcp.data)
    return max(0, int(total) - int(header))


def _options(raw: bytes) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for option in dpkt.tcp.parse_opts(raw):
        if option is None:  # dpkt's mark for an option cut short
            found["malformed"] = True
            break
        kind, value = option
        if kind == dpkt.tcp.TCP_OPT_MSS and len(value) == 2:
            found["mss"] = struct.unpack("!H", value)[0]
        elif kind == dpkt.tcp.TCP_OPT_WSCALE and len(value) == 1:
            found["wscale"] = value[0]
        elif kind == dpkt.tcp.TCP_OPT_SACKOK:
            found["sack_perm"] = True
        elif kind == dpkt.tcp.TCP_OPT_TIMESTAMP and len(value) == 8:
            found["ts"] = struct.unpack("!II", value)
        elif kind not in (dpkt.tcp.TCP_OPT_EOL, dpkt.tcp.TCP_OPT_NOP):
            found.setdefault("other", []).append(kind)
    return found


def _decode(linktype: int, ts: Any, frame: bytes) -> _Packet | None:
    """The TCP segment in one frame, or ``None`` if it holds none (or is too broken to read)."""
    try:
        packet = _network_layer(linktype, frame)
        if packet is None or not isinstance(packet.data, dpkt.tcp.TCP):
            return None
        tcp = packet.data
        length = _tcp_length(packet, tcp)
        payload = bytes(tcp.data[:length]).ljust(length, b"\0")
        src, dst = str(ipaddress.ip_address(packet.src)), str(ipaddress.ip_address(packet.dst))
        return _Packet(ts, (src, tcp.sport), (dst, tcp.dport), tcp.seq, tcp.ack, tcp.flags,
                       tcp.win, payload, length, _options(tcp.opts))
    except _DECODE_ERRORS:
        return None


def _segments(source: Source | BinaryIO) -> tuple[str, str, list[_Packet], int]:
    """``(name, format, TCP packets, frames that held none)`` of a capture."""
    data, name = _read_source(source)
    fmt, linktype, frames = _records(data, name)
    if linktype not in _LINKTYPES:
        raise CaptureError(f"{name}: link type {linktype} is not supported (Ethernet, Linux "
                           "cooked, BSD loopback and raw IP are)")
    decoded = [_decode(linktype, ts, frame) for ts, frame in frames]
    packets = [p for p in decoded if p is not None]
    if not packets:
        what = "no packets at all" if not frames else f"{len(frames)} packets, none of them TCP"
        raise CaptureError(f"{name}: no TCP segments in this capture ({what})")
    return name, fmt, packets, len(frames) - len(packets)


def _key(p: _Packet) -> tuple[Address, Address]:
    return (p.src, p.dst) if p.src <= p.dst else (p.dst, p.src)


def _group(packets: Iterable[_Packet]) -> dict[tuple[Address, Address], list[_Packet]]:
    groups: dict[tuple[Address, Address], list[_Packet]] = {}
    for p in packets:
        groups.setdefault(_key(p), []).append(p)
    return groups


def connections(source: Source | BinaryIO) -> list[Connection]:
    """The TCP connections in a capture, in the order their first segments appear."""
    _, _, packets, _ = _segments(source)
    return [Connection(a, b, len(group)) for (a, b), group in _group(packets).items()]


# ------------------------------------------------------------- choosing one
def _choose(groups: dict[tuple[Address, Address], list[_Packet]], connection: Any,
            name: str) -> list[_Packet]:
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


def _roles(packets: Sequence[_Packet]) -> tuple[Address, Address, bool]:
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


def _isns(packets: Sequence[_Packet]) -> dict[Address, int]:
    """Each side's ISN: the sequence number of its first SYN, else its first sequence number."""
    isn: dict[Address, int] = {}
    for p in packets:
        if p.flags & 0x02 and p.src not in isn:
            isn[p.src] = p.seq
    for p in packets:
        isn.setdefault(p.src, p.seq)
    return isn


def _scales(packets: Sequence[_Packet]) -> dict[Address, int]:
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
    name, fmt, packets, other = _segments(source)
    chosen = _choose(_group(packets), connection, name)
    client, server, guessed = _roles(chosen)
    role = {client: names[0], server: names[1]} if client != server else {client: "self"}
    return _trace(chosen, role, relative, {
        "source": name, "format": fmt, "other_packets": other, "roles_guessed": guessed,
        "addresses": {r: _address(a) for a, r in role.items()}})


def _trace(packets: Sequence[_Packet], role: dict[Address, str], relative: bool,
           params: dict[str, Any]) -> Trace:
    isn, scales = _isns(packets), _scales(packets)
    t0 = packets[0].time
    transmissions, options, raw_window = [], {}, {}
    sent_to: dict[Address, int] = {}  # the highest sequence number each side has sent
    syn_bits: dict[Address, int] = {}  # SYN and ACK bits of each side's last SYN
    for index, p in enumerate(packets):
        flags = _flags(p.flags)
        seq_base = isn[p.src] if relative else 0
        ack_base = isn.get(p.dst, p.ack) if relative else 0
        ack = (p.ack - ack_base) % SEQ_SPACE if Flags.ACK in flags else 0
        shift = 0 if Flags.SYN in flags else scales.get(p.src, 0)
        segment = Segment((p.seq - seq_base) % SEQ_SPACE, ack, flags, p.payload,
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
    params.update(isn={role[a]: v for a, v in isn.items()}, relative=relative,
                  window_scale={role[a]: v for a, v in scales.items()}, options=options,
                  raw_window=raw_window, time_zero=float(t0), delay=0.0)
    endpoints = tuple(dict.fromkeys(role.values()))
    return Trace(endpoints=endpoints, transmissions=tuple(transmissions),
                 end_time=transmissions[-1].sent_at, params=params)


def _origin(p: _Packet, seg_len: int, sent_to: dict[Address, int],
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
