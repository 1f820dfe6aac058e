"""Read the TCP segments of a pcap or pcapng file: file records, link layers, IP and TCP headers.

The files tcpdump and Wireshark write are read with `dpkt
<https://dpkt.readthedocs.io>`_; link types Ethernet, Linux "cooked" (SLL and
SLL2, ``tcpdump -i any``), BSD loopback and raw IP, over IPv4 or IPv6.
:func:`read` gives every TCP segment in the file as a :class:`Packet`;
:mod:`tcpnb.real.capture` turns one connection's packets into a trace.
Whatever is wrong with the file raises :class:`CaptureError` with one line.
"""

from __future__ import annotations

import io
import ipaddress
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Union

import dpkt

from ..core.errors import CaptureError

Source = Union[str, "os.PathLike[str]", bytes]
Address = tuple[str, int]

_PCAP_MAGICS = {b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4",   # microseconds
                b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"}   # nanoseconds
_PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
#: Link types read: Ethernet, BSD loopback, Linux cooked v1 and v2, raw IP.
_LINKTYPES = {1, 0, 108, 113, 276, 12, 14, 101, 228, 229}
#: What dpkt raises on bytes it cannot decode.
_DECODE_ERRORS = (dpkt.Error, struct.error, ValueError, IndexError)


@dataclass(frozen=True, slots=True)
class Packet:
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


def _decode(linktype: int, ts: Any, frame: bytes) -> Packet | None:
    """The TCP segment in one frame, or ``None`` if it holds none (or is too broken to read)."""
    try:
        packet = _network_layer(linktype, frame)
        if packet is None or not isinstance(packet.data, dpkt.tcp.TCP):
            return None
        tcp = packet.data
        length = _tcp_length(packet, tcp)
        payload = bytes(tcp.data[:length]).ljust(length, b"\0")
        src, dst = str(ipaddress.ip_address(packet.src)), str(ipaddress.ip_address(packet.dst))
        return Packet(ts, (src, tcp.sport), (dst, tcp.dport), tcp.seq, tcp.ack, tcp.flags,
                       tcp.win, payload, length, _options(tcp.opts))
    except _DECODE_ERRORS:
        return None


def read(source: Source | BinaryIO) -> tuple[str, str, list[Packet], int]:
    """``(name, format, TCP packets, frames that held none)`` of a capture file."""
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
