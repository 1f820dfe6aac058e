#!/usr/bin/env python3
"""Record how this machine's Linux kernel opens and closes TCP connections.

Each *scenario* is a tiny socket program that plays both ends of one TCP
connection (client and server are two sockets in this one Python process).
While it runs we record:

* every segment, with ``tcpdump`` (``tcpnb/real/captures/<scenario>.pcap``), and
* the socket states, by polling ``ss -tan`` every 20 ms,

and then write a small JSON summary (``tcpnb/real/captures/<scenario>.json``) that the
course notebooks read.  The captures live inside the package, so that a wheel of tcpnb
carries them (``tcpnb.real`` loads them through ``importlib.resources``).

Every scenario runs in a fresh network namespace of its own, so that no other
traffic on the machine mixes into the capture, and so that the iptables rules
we use to "lose" segments can never touch the machine's real traffic: deleting
the namespace at the end deletes them too.  Most scenarios use the loopback
interface of namespace ``tcpnb-lab``.  The simultaneous open/close scenarios
need a path with a real delay, which loopback does not have: they use two
namespaces joined by a pair of TUN devices and a relay thread in this script
that holds every packet for 100 ms.

Usage (needs root and tcpdump)::

    sudo python3 data/make_captures.py            # all scenarios (~4.5 min)
    sudo python3 data/make_captures.py refused    # just one
    python3 data/make_captures.py --list

Only the Python standard library is used, plus the tools tcpdump, ss, ip and
iptables.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime
import errno
import fcntl
import gzip
import heapq
import json
import os
import platform
import select
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

# The captures ship inside the package (tcpnb.real loads them through importlib.resources).
CAPTURES = Path(__file__).resolve().parent.parent / "tcpnb" / "real" / "captures"
FORMAT = 1               # version of the JSON summary format

SNAPLEN = 128            # bytes kept per packet: headers only
POLL_INTERVAL = 0.02     # seconds between two `ss` polls
THINK_TIME = 0.1         # pause between application steps, so `ss` sees each state

LAB_NS = "tcpnb-lab"     # namespace whose loopback most scenarios use
LOOPBACK = "127.0.0.1"

# The delayed path of the "simultaneous" scenarios.  198.18.0.0/15 is the
# range reserved for benchmarking test networks (RFC 2544).
NS_A, NS_B = "tcpnb-a", "tcpnb-b"
TUN_A, TUN_B = "tcpnb-tun-a", "tcpnb-tun-b"
ADDR_A, ADDR_B = "198.18.0.1", "198.18.0.2"
ONE_WAY_DELAY = 0.100    # seconds each packet is held by the relay

SYN_DROPS = 6            # syn_lost: how many SYNs are dropped
SYNACK_DROP_TIME = 1.5   # synack_lost: SYN,ACKs are dropped for this long (s)
SYNACK_TIMER_DROPS = 4   # synack_timer: how many SYN,ACKs are dropped
FINAL_ACK_DROPS = 4      # final_ack_lost: how many final ACKs are dropped
SYNCNT = 2               # syn_retries_exhausted: TCP_SYNCNT of the client

SYSCTLS = [
    "net.ipv4.tcp_syn_retries", "net.ipv4.tcp_synack_retries",
    "net.ipv4.tcp_syn_linear_timeouts", "net.ipv4.tcp_retries1",
    "net.ipv4.tcp_retries2", "net.ipv4.tcp_orphan_retries",
    "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_rfc1337",
    "net.ipv4.tcp_timestamps", "net.ipv4.tcp_sack",
    "net.ipv4.tcp_window_scaling", "net.ipv4.tcp_tw_reuse",
    "net.ipv4.tcp_tw_reuse_delay", "net.ipv4.tcp_max_tw_buckets",
    "net.ipv4.tcp_rto_min_us", "net.ipv4.tcp_rto_max_ms",
    "net.ipv4.tcp_syncookies", "net.ipv4.tcp_max_syn_backlog",
    "net.ipv4.tcp_abort_on_overflow", "net.ipv4.tcp_fastopen",
    "net.ipv4.tcp_ecn", "net.ipv4.tcp_congestion_control",
    "net.ipv4.tcp_pingpong_thresh", "net.ipv4.tcp_invalid_ratelimit",
    "net.ipv4.tcp_early_retrans", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_base_mss", "net.ipv4.ip_local_port_range",
]

# Kernel TCP counters (/proc/net/snmp and /proc/net/netstat) whose change
# during a scenario is recorded in its JSON ("kernel_counters").
COUNTERS = [
    "Tcp:ActiveOpens", "Tcp:PassiveOpens", "Tcp:AttemptFails", "Tcp:EstabResets",
    "Tcp:RetransSegs", "Tcp:OutRsts", "TcpExt:DelayedACKs", "TcpExt:TCPLossProbes",
    "TcpExt:TCPTimeouts", "TcpExt:TCPSynRetrans", "TcpExt:TW",
    "TcpExt:TCPAbortOnTimeout", "TcpExt:TCPChallengeACK", "TcpExt:TCPSYNChallenge",
]

FLAG_NAMES = [(0x01, "FIN"), (0x02, "SYN"), (0x04, "RST"), (0x08, "PSH"),
              (0x10, "ACK"), (0x20, "URG"), (0x40, "ECE"), (0x80, "CWR")]


class ScenarioTimeout(Exception):
    """Raised (by SIGALRM) when a scenario runs longer than its time limit."""


# ---------------------------------------------------------------------------
# Running tools, network namespaces
# ---------------------------------------------------------------------------

def sh(*cmd: str, check: bool = True, timeout: float = 10) -> str:
    """Run a command, return its standard output."""
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)}: {done.stderr.strip()}")
    return done.stdout


def in_netns(netns: str, *cmd: str) -> list[str]:
    """The command line that runs `cmd` inside network namespace `netns`."""
    return ["ip", "netns", "exec", netns, *cmd]


def missing_prerequisites() -> str | None:
    """Return why this script cannot run here, or None if it can."""
    if os.geteuid() != 0:
        return "needs root (tcpdump, iptables and ip netns need it): run with sudo"
    for tool, package in [("tcpdump", "tcpdump"), ("ss", "iproute2"),
                          ("ip", "iproute2"), ("iptables", "iptables")]:
        if shutil.which(tool) is None:
            return f"'{tool}' not found: install it (apt-get install {package})"
    return None


def delete_namespace(name: str) -> None:
    """Delete a network namespace if it exists (with its sockets and rules)."""
    existing = [line.split()[0] for line in sh("ip", "netns", "list").splitlines() if line]
    if name in existing:
        sh("ip", "netns", "del", name)


@contextlib.contextmanager
def fresh_namespaces(*names: str) -> Iterator[None]:
    """Create new, empty network namespaces (loopback up); delete them after."""
    try:
        for name in names:
            delete_namespace(name)  # left over from an interrupted run?
            sh("ip", "netns", "add", name)
            sh(*in_netns(name, "ip", "link", "set", "lo", "up"))
        yield
    finally:
        for name in names:
            delete_namespace(name)


CLONE_NEWNET = 0x40000000


@contextlib.contextmanager
def inside_netns(name: str) -> Iterator[None]:
    """Run the block (in this thread only) inside network namespace `name`.

    Sockets and TUN devices created in the block belong to that namespace
    and stay there after the block ends.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    with open("/proc/thread-self/ns/net") as home, open(f"/run/netns/{name}") as ns:
        if libc.setns(ns.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns({name}) failed")
        try:
            yield
        finally:
            libc.setns(home.fileno(), CLONE_NEWNET)


@contextlib.contextmanager
def tcpdump(path: Path, bpf: str, netns: str, interface: str = "lo") -> Iterator[None]:
    """Capture packets matching `bpf` into `path` while the block runs."""
    cmd = in_netns(netns, "tcpdump", "-i", interface, "-s", str(SNAPLEN), "-n",
                   "--immediate-mode", "-U",  # write each packet at once
                   "-Z", "root",              # keep the file owned by root
                   "-w", str(path), bpf)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # tcpdump says "listening on ..." once its filter is in place.
        said, deadline = b"", time.monotonic() + 5
        while b"listening on" not in said:
            left = deadline - time.monotonic()
            if left <= 0 or proc.poll() is not None:
                raise RuntimeError(f"tcpdump did not start: {said.decode().strip()}")
            if select.select([proc.stderr], [], [], left)[0]:
                said += os.read(proc.stderr.fileno(), 4096)
        yield
        time.sleep(0.3)  # let the last packets reach the file
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def read_counters(namespaces: tuple[str, ...]) -> dict[str, int]:
    """The COUNTERS, summed over the given namespaces."""
    total: dict[str, int] = {}
    for netns in namespaces:
        for name in ("snmp", "netstat"):
            lines = sh(*in_netns(netns, "cat", f"/proc/net/{name}")).splitlines()
            # The file is pairs of lines: "Tcp: Name1 Name2..." / "Tcp: 1 2..."
            for header, numbers in zip(lines[::2], lines[1::2]):
                group, *keys = header.split()
                for key, value in zip(keys, numbers.split()[1:]):
                    if group + key in COUNTERS:
                        total[group + key] = total.get(group + key, 0) + int(value)
    return total


# ---------------------------------------------------------------------------
# Losing segments on purpose: iptables DROP rules in the lab namespace
# ---------------------------------------------------------------------------

class DropRule:
    """A temporary iptables rule in LAB_NS that drops matching TCP packets.

    The rule sits in the INPUT chain, so a dropped packet has already been
    recorded by tcpdump (which sees it leave on `lo`) but never reaches the
    receiving socket.  With `limit`, a watcher thread deletes the rule as
    soon as its packet counter shows that many drops; with `duration`, that
    many seconds after it was added.  The rule is always deleted when the
    `with` block ends, even on error (and with the namespace in any case).
    """

    def __init__(self, name: str, match: list[str], limit: int | None = None,
                 duration: float | None = None):
        self.comment = f"drop {name}"
        self.spec = ["INPUT", "-i", "lo", "-p", "tcp", *match,
                     "-m", "comment", "--comment", self.comment, "-j", "DROP"]
        self.limit, self.duration = limit, duration
        self.installed = False
        self.drops = 0           # packets dropped, known once removed
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "DropRule":
        sh(*in_netns(LAB_NS, "iptables", "-I", *self.spec))
        self.installed = True
        if self.limit is not None or self.duration is not None:
            self._watcher.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._halt.set()
        if self._watcher.is_alive():
            self._watcher.join(timeout=2)
        self.remove()

    def dropped(self) -> int:
        """How many packets the rule has dropped so far."""
        if not self.installed:
            return self.drops
        for line in sh(*in_netns(LAB_NS, "iptables", "-nvxL", "INPUT")).splitlines():
            if f"/* {self.comment} */" in line:
                return int(line.split()[0])   # first column: packets
        return 0

    def remove(self) -> None:
        """Delete the rule (once), remembering how many packets it dropped."""
        with self._lock:
            if self.installed:
                self.drops = self.dropped()
                sh(*in_netns(LAB_NS, "iptables", "-D", *self.spec))
                self.installed = False

    def _watch(self) -> None:
        deadline = time.monotonic() + min(self.duration or 120, 120)
        while not self._halt.is_set() and time.monotonic() < deadline:
            if self.limit is not None and self.dropped() >= self.limit:
                break
            self._halt.wait(0.005)
        self.remove()


# ---------------------------------------------------------------------------
# Watching socket states with `ss`
# ---------------------------------------------------------------------------

class StatePoller(threading.Thread):
    """Poll `ss -tano` and record which TCP states each socket goes through.

    Each entry of `history` is one state of one socket: its role, the state,
    the first and last poll that saw it, the `ss` timer shown the first time,
    and (`gone_by`) the first poll that no longer saw the socket at all.
    LISTEN sockets are left out.  A poll's time is the middle of the few
    milliseconds that `ss` takes.
    """

    def __init__(self, port: int, roles: dict[int, str],
                 namespaces: tuple[str, ...], interval: float = POLL_INTERVAL):
        super().__init__(daemon=True)
        self.port, self.roles = port, roles
        self.namespaces, self.interval = namespaces, interval
        self.history: list[dict[str, Any]] = []
        self._current: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + 300
        while not self._halt.is_set() and time.monotonic() < deadline:
            self.poll()
            self._halt.wait(self.interval)

    def stop(self) -> None:
        """Stop polling (after one last poll)."""
        self._halt.set()
        self.join(timeout=5)
        self.poll()

    def sockets(self) -> list[tuple[str, str, str, str, str | None]]:
        """(namespace, state, local, peer, timer) of each socket on our port."""
        found = []
        for ns in self.namespaces:
            out = sh("ss", "-tanoH", "-N", ns,
                     f"( sport = :{self.port} or dport = :{self.port} )")
            for line in out.splitlines():
                fields = line.split()
                if len(fields) >= 5 and fields[0] != "LISTEN":
                    timer = fields[5] if len(fields) > 5 else None
                    found.append((ns, fields[0], fields[3], fields[4], timer))
        return found

    def poll(self) -> None:
        before = time.time()
        found = self.sockets()
        now = (before + time.time()) / 2
        seen = set()
        for ns, state, local, peer, timer in found:
            key = (ns, local, peer)
            seen.add(key)
            row = self._current.get(key)
            if row is None or row["state"] != state:
                role = self.roles.get(int(local.rsplit(":", 1)[1]), "?")
                row = {"role": role, "state": state, "first_seen": now,
                       "last_seen": now, "timer": timer, "gone_by": None}
                self.history.append(row)
                self._current[key] = row
            row["last_seen"] = now
        for key in list(self._current):
            if key not in seen:
                self._current.pop(key)["gone_by"] = now

    def first(self, role: str, state: str) -> dict[str, Any] | None:
        """The first history entry for `role` in `state`, if any."""
        return next((r for r in self.history
                     if r["role"] == role and r["state"] == state), None)

    def gone(self, role: str) -> bool:
        """Has a socket of this role disappeared (e.g. LAST-ACK -> CLOSED)?"""
        return any(r["role"] == role and r["gone_by"] for r in self.history)


# ---------------------------------------------------------------------------
# A path with a delay: two namespaces joined by TUN devices and a relay
# ---------------------------------------------------------------------------

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000


def open_tun(name: str) -> int:
    """Create TUN device `name` in the current namespace; return its fd.

    Whatever the kernel routes into the device can be read from the fd, and
    whatever is written to the fd arrives as if received by the device.
    """
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


class DelayRelay(threading.Thread):
    """Copy IP packets between two TUN devices, holding each for `delay` s."""

    def __init__(self, fd_a: int, fd_b: int, delay: float):
        super().__init__(daemon=True)
        self.other_end = {fd_a: fd_b, fd_b: fd_a}
        self.delay = delay
        self._halt = threading.Event()

    def run(self) -> None:
        waiting: list[tuple[float, int, int, bytes]] = []  # (due, n, fd, packet)
        n, deadline = 0, time.monotonic() + 300
        while not self._halt.is_set() and time.monotonic() < deadline:
            timeout = min(0.05, max(0.0, waiting[0][0] - time.monotonic())) if waiting else 0.05
            for fd in select.select(list(self.other_end), [], [], timeout)[0]:
                n += 1
                heapq.heappush(waiting, (time.monotonic() + self.delay, n,
                                         self.other_end[fd], os.read(fd, 65535)))
            while waiting and waiting[0][0] <= time.monotonic():
                _, _, out, packet = heapq.heappop(waiting)
                os.write(out, packet)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=2)


@contextlib.contextmanager
def delayed_path() -> Iterator[None]:
    """Join NS_A (ADDR_A) and NS_B (ADDR_B) by a path with ONE_WAY_DELAY."""
    if not os.path.exists("/dev/net/tun"):
        raise RuntimeError("/dev/net/tun is missing (kernel without TUN support)")
    fds: list[int] = []
    relay = None
    try:
        for ns, tun, addr in [(NS_A, TUN_A, ADDR_A), (NS_B, TUN_B, ADDR_B)]:
            with inside_netns(ns):
                fds.append(open_tun(tun))
            sh(*in_netns(ns, "ip", "addr", "add", f"{addr}/24", "dev", tun))
            sh(*in_netns(ns, "ip", "link", "set", tun, "up"))
        relay = DelayRelay(fds[0], fds[1], ONE_WAY_DELAY)
        relay.start()
        yield
    finally:
        if relay is not None:
            relay.stop()
        for fd in fds:
            os.close(fd)


# ---------------------------------------------------------------------------
# Socket helpers used by the scenarios
# ---------------------------------------------------------------------------

def tcp_socket(addr: str, port: int, netns: str = LAB_NS,
               timeout: float = 10) -> socket.socket:
    """A TCP socket in `netns`, bound to (addr, port), with a timeout on
    every blocking call."""
    with inside_netns(netns):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((addr, port))
    sock.settimeout(timeout)
    return sock


def tcp_listener(addr: str, port: int, netns: str = LAB_NS) -> socket.socket:
    """A listening TCP socket on (addr, port) in `netns`."""
    sock = tcp_socket(addr, port, netns)
    sock.listen(8)
    return sock


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    """Receive exactly n bytes (or raise if the peer closes first)."""
    data = b""
    for _ in range(10_000):  # bounded: each recv returns at least 1 byte
        if len(data) >= n:
            return data
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError(f"peer closed after {len(data)} of {n} bytes")
        data += chunk
    raise RuntimeError("recv_exactly: too many small reads")


def expect_eof(sock: socket.socket) -> None:
    """Wait until the peer's FIN has arrived (recv returns b'')."""
    if sock.recv(1) != b"":
        raise RuntimeError("expected end of stream, got data")


# ---------------------------------------------------------------------------
# Reading the pcap file and summarising the segments
# ---------------------------------------------------------------------------

def read_pcap(path: Path) -> list[dict[str, Any]]:
    """Decode the IPv4/TCP headers of every packet in a classic pcap file."""
    data = path.read_bytes()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a pcap file")
    nanos = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0xFFFF
    # Bytes before the IP header: Ethernet (lo) 14, raw IP (tun) 0, ...
    link_header = {1: 14, 113: 16, 0: 4, 101: 0, 12: 0, 14: 0, 228: 0}[linktype]
    packets, pos = [], 24
    while pos + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
        ip = data[pos + 16 + link_header:pos + 16 + caplen]
        pos += 16 + caplen
        if len(ip) < 40 or ip[0] >> 4 != 4 or ip[9] != socket.IPPROTO_TCP:
            continue
        ihl = (ip[0] & 0x0F) * 4
        total_len = struct.unpack("!H", ip[2:4])[0]
        tcp = ip[ihl:]
        sport, dport, seq, ack, off, flags, window = struct.unpack("!HHIIBBH", tcp[:16])
        doff = (off >> 4) * 4
        packets.append({
            "time": sec + frac / (1e9 if nanos else 1e6),
            "sport": sport, "dport": dport,
            "seq": seq, "ack": ack, "flags": flags, "window": window,
            "len": total_len - ihl - doff,   # payload length (not captured)
            "options": parse_tcp_options(tcp[20:doff]),
        })
    return packets


def parse_tcp_options(raw: bytes) -> dict[str, Any]:
    """The TCP options we care about: MSS, window scale, SACK, timestamps."""
    opts: dict[str, Any] = {}
    i = 0
    while i < len(raw):
        kind = raw[i]
        if kind == 0:            # end of options
            break
        if kind == 1:            # no-operation (padding)
            i += 1
            continue
        if i + 1 >= len(raw) or raw[i + 1] < 2:
            break
        length = raw[i + 1]
        body = raw[i + 2:i + length]
        if kind == 2 and len(body) == 2:
            opts["mss"] = struct.unpack("!H", body)[0]
        elif kind == 3 and len(body) == 1:
            opts["wscale"] = body[0]
        elif kind == 4:
            opts["sack_perm"] = True
        elif kind == 8 and len(body) == 8:
            opts["ts"] = list(struct.unpack("!II", body))
        else:
            opts.setdefault("other", []).append(kind)
        i += length
    return opts


def flag_string(flags: int) -> str:
    """TCP flags in Wireshark's order, e.g. 'SYN,ACK' or 'FIN,ACK'."""
    return ",".join(name for bit, name in FLAG_NAMES if flags & bit)


def summarise(packets: list[dict[str, Any]], roles: dict[int, str],
              t0: float) -> list[dict[str, Any]]:
    """Turn decoded packets into the JSON segment list.

    Sequence numbers are made relative to each side's ISN (the seq of its
    SYN; without a SYN, its first seq), as Wireshark does.  `ack` is null
    when the ACK flag is off.  `window` is the raw 16-bit field (multiply by
    2**wscale of the sender's SYN option, except in SYN segments).
    """
    base: dict[str, int] = {}
    for p in packets:
        if p["flags"] & 0x02:
            base.setdefault(roles[p["sport"]], p["seq"])
    for p in packets:
        base.setdefault(roles[p["sport"]], p["seq"])
    segments = []
    for p in packets:
        src, dst = roles[p["sport"]], roles[p["dport"]]
        has_ack = bool(p["flags"] & 0x10)
        seg = {
            "time": round(p["time"] - t0, 6),
            "src": src,
            "flags": flag_string(p["flags"]),
            "seq": (p["seq"] - base[src]) % 2**32,
            "ack": (p["ack"] - base[dst]) % 2**32 if has_ack and dst in base else None,
            "len": p["len"],
            "window": p["window"],
            "seq_raw": p["seq"],
            "ack_raw": p["ack"] if has_ack else None,
        }
        if p["flags"] & 0x02:
            seg["options"] = p["options"]
        segments.append(seg)
    return segments


# ---------------------------------------------------------------------------
# Generic analysis of a segment list
# ---------------------------------------------------------------------------

def times_of(segments: list[dict], src: str, flags: str) -> list[float]:
    """Times of the segments sent by `src` with exactly these flags."""
    return [s["time"] for s in segments if s["src"] == src and s["flags"] == flags]


def gaps(times: list[float]) -> list[float]:
    """Differences between consecutive times, in seconds (ms precision)."""
    return [round(b - a, 3) for a, b in zip(times, times[1:])]


def seq_space(seg: dict) -> int:
    """Sequence numbers a segment occupies: payload, plus 1 each for SYN/FIN."""
    return seg["len"] + ("SYN" in seg["flags"]) + ("FIN" in seg["flags"])


def acknowledgements(segments: list[dict]) -> list[dict]:
    """For each SYN, FIN or data segment: which segment acknowledged it, when.

    A retransmitted segment is listed once, with all its send times; the
    delay is measured from the last copy sent before the acknowledgement.
    """
    result, done = [], set()
    for i, seg in enumerate(segments):
        key = (seg["src"], seg["flags"], seg["seq"], seg["len"])
        if seq_space(seg) == 0 or "RST" in seg["flags"] or key in done:
            continue
        done.add(key)
        end = seg["seq"] + seq_space(seg)
        copies = [j for j, s in enumerate(segments)
                  if (s["src"], s["flags"], s["seq"], s["len"]) == key]
        acker = next((j for j in range(i + 1, len(segments))
                      if segments[j]["src"] != seg["src"]
                      and segments[j]["ack"] is not None
                      and segments[j]["ack"] >= end), None)
        entry = {"segment": f'{seg["src"]} {seg["flags"]} seq={seg["seq"]} len={seg["len"]}',
                 "sent": [segments[j]["time"] for j in copies],
                 "acked_by": None, "acked_at": None, "delay": None}
        if acker is not None:
            last_copy = max(j for j in copies if j < acker)
            a = segments[acker]
            entry.update(acked_by=f'{a["src"]} {a["flags"]} len={a["len"]}',
                         acked_at=a["time"],
                         delay=round(a["time"] - segments[last_copy]["time"], 6))
        result.append(entry)
    return result


def close_pattern(segments: list[dict]) -> dict[str, Any] | None:
    """Every segment from the first FIN on, and whether a FIN carried the ACK
    of the other side's FIN (a 3-segment close) or not (4 segments)."""
    first = next((i for i, s in enumerate(segments) if "FIN" in s["flags"]), None)
    if first is None:
        return None
    tail = segments[first:]
    fin = segments[first]
    fin_end = fin["seq"] + seq_space(fin)
    ack_of_fin = next((s for s in tail[1:] if s["src"] != fin["src"]
                       and s["ack"] is not None and s["ack"] >= fin_end), None)
    return {
        "segments": [f'{s["time"]:.6f} {s["src"]} {s["flags"]} len={s["len"]}' for s in tail],
        "count": len(tail),
        "first_fin_by": fin["src"],
        "first_fin_acked_by": ack_of_fin["flags"] if ack_of_fin else None,
        "first_fin_ack_delay": round(ack_of_fin["time"] - fin["time"], 6) if ack_of_fin else None,
        "ack_and_fin_combined": bool(ack_of_fin and "FIN" in ack_of_fin["flags"]),
    }


def syn_options(segments: list[dict]) -> dict[str, Any]:
    """Window and options of the first SYN sent by each side."""
    found: dict[str, Any] = {}
    for s in segments:
        if "SYN" in s["flags"] and s["src"] not in found:
            found[s["src"]] = {"flags": s["flags"], "window": s["window"], **s["options"]}
    return found


# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------

@dataclass
class Run:
    """What one scenario run records besides the capture itself."""
    scenario: "Scenario"
    poller: StatePoller
    events: list[tuple[float, str]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def note(self, what: str) -> None:
        """Record an application-level event (e.g. a system call returned)."""
        self.events.append((time.time(), what))

    @property
    def client_port(self) -> int:
        return self.scenario.client_port

    @property
    def server_port(self) -> int:
        return self.scenario.server_port


Analysis = Callable[[Run, list[dict]], tuple[dict, str]]


@dataclass
class Scenario:
    name: str
    server_port: int
    client_port: int
    description: str
    body: Callable[[Run], None]
    analyse: Analysis            # -> (findings for the JSON, one-line result)
    delayed_path: bool = False   # run over the 100 ms path instead of loopback
    time_limit: int = 60         # seconds
    poll_interval: float = POLL_INTERVAL


SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str, server_port: int, client_port: int, description: str,
             analyse: Analysis, **options: Any) -> Callable[[Callable[[Run], None]], Callable[[Run], None]]:
    """Register the decorated function as the body of a scenario."""
    def register(body: Callable[[Run], None]) -> Callable[[Run], None]:
        SCENARIOS[name] = Scenario(name, server_port, client_port, description,
                                   body, analyse, **options)
        return body
    return register


def analyse_close(run: Run, segments: list[dict]) -> tuple[dict, str]:
    """Analysis for the plain open/close scenarios."""
    close = close_pattern(segments)
    states = {role: [r["state"] for r in run.poller.history if r["role"] == role]
              for role in ("client", "server")}
    kind = ("3-segment close (FIN carries the ACK)" if close["ack_and_fin_combined"]
            else f'4-segment close (ACK of FIN after {close["first_fin_ack_delay"] * 1000:.1f} ms)')
    return ({"close": close, "states": states},
            f'{close["count"]} segments from the {close["first_fin_by"]}\'s FIN on: {kind}')


# --- normal close: the client closes first ----------------------------------

def request_reply_close(run: Run, pause: float) -> None:
    """Client: connect, send 1000 bytes, read 1000 bytes, close.
    Server: read the request, reply, close when it reads end-of-stream."""
    with tcp_listener(LOOPBACK, run.server_port) as listener, \
            tcp_socket(LOOPBACK, run.client_port) as client:
        client.connect((LOOPBACK, run.server_port))
        run.note("client: connect() returned")
        server, _ = listener.accept()
        with server:
            time.sleep(pause)
            client.sendall(b"q" * 1000)
            recv_exactly(server, 1000)
            server.sendall(b"r" * 1000)
            recv_exactly(client, 1000)
            run.note("client: got the 1000-byte reply")
            time.sleep(pause)
            client.close()
            run.note("client: close()")
            expect_eof(server)
            run.note("server: recv() returned b'' (end of stream)")
            time.sleep(pause)
            server.close()
            run.note("server: close()")
        time.sleep(0.5)


@scenario("normal_close", 20001, 21001,
          "Client sends a 1000-byte request, server answers 1000 bytes, client "
          "closes first, the server closes when it has read end-of-stream; "
          f"{THINK_TIME * 1000:.0f} ms pause between steps.",
          analyse_close)
def normal_close(run: Run) -> None:
    request_reply_close(run, pause=THINK_TIME)


@scenario("normal_close_quick", 20002, 21002,
          "Same as normal_close without pauses: the server closes as soon as "
          "it reads end-of-stream.",
          analyse_close)
def normal_close_quick(run: Run) -> None:
    request_reply_close(run, pause=0.0)


# --- the server closes first --------------------------------------------------

@scenario("server_closes_first", 20003, 21003,
          "Server reads the request, sends a 1000-byte reply and closes "
          "(like HTTP/1.0); the client reads to end-of-stream, then closes; "
          f"{THINK_TIME * 1000:.0f} ms pause between steps.",
          analyse_close)
def server_closes_first(run: Run) -> None:
    with tcp_listener(LOOPBACK, run.server_port) as listener, \
            tcp_socket(LOOPBACK, run.client_port) as client:
        client.connect((LOOPBACK, run.server_port))
        server, _ = listener.accept()
        with server:
            time.sleep(THINK_TIME)
            client.sendall(b"q" * 1000)
            recv_exactly(server, 1000)
            server.sendall(b"r" * 1000)
            time.sleep(THINK_TIME)
            server.close()
            run.note("server: close()")
        recv_exactly(client, 1000)
        expect_eof(client)
        run.note("client: recv() returned b'' (end of stream)")
        time.sleep(THINK_TIME)
        client.close()
        run.note("client: close()")
        time.sleep(0.5)


# --- half close ---------------------------------------------------------------

def analyse_half_close(run: Run, segments: list[dict]) -> tuple[dict, str]:
    found, _ = analyse_close(run, segments)
    client_fin = times_of(segments, "client", "FIN,ACK")[0]
    found["server_data_segments_after_client_fin"] = len(
        [s for s in segments if s["src"] == "server" and s["len"] > 0 and s["time"] > client_fin])
    client_states = found["states"]["client"]
    return found, (f'{found["server_data_segments_after_client_fin"]} data segments sent '
                   f"after the client's FIN; client states {' > '.join(client_states)}")


@scenario("half_close", 20004, 21004,
          "Client sends a 1000-byte request, then shutdown(SHUT_WR); the server "
          "still sends 3 x 500 bytes, 200 ms apart, then closes.",
          analyse_half_close)
def half_close(run: Run) -> None:
    with tcp_listener(LOOPBACK, run.server_port) as listener, \
            tcp_socket(LOOPBACK, run.client_port) as client:
        client.connect((LOOPBACK, run.server_port))
        server, _ = listener.accept()
        with server:
            client.sendall(b"q" * 1000)
            client.shutdown(socket.SHUT_WR)
            run.note("client: shutdown(SHUT_WR)")
            recv_exactly(server, 1000)
            expect_eof(server)
            run.note("server: end of request stream")
            for i in range(3):
                time.sleep(0.2)
                server.sendall(b"r" * 500)
                recv_exactly(client, 500)
                run.note(f"client: got chunk {i + 1}")
            time.sleep(0.2)
            server.close()
            run.note("server: close()")
        expect_eof(client)
        client.close()
        run.note("client: close()")
        time.sleep(0.5)


# --- delayed ACKs ---------------------------------------------------------------

def analyse_delayed_ack(run: Run, segments: list[dict]) -> tuple[dict, str]:
    rows = [{"segment": a["segment"], "acked_by": a["acked_by"], "delay": a["delay"]}
            for a in acknowledgements(segments) if a["segment"].endswith("len=100")]
    delays_ms = [round(r["delay"] * 1000, 1) for r in rows]
    return {"data_acks": rows}, f"ACK delays of the 8 data segments: {delays_ms} ms"


@scenario("delayed_ack", 20005, 21005,
          "Four request/reply exchanges of 100 bytes. The first reply is sent at "
          "once, the next three 100 ms after their request; 50 ms between "
          "exchanges. Shows when data is ACKed at once and when only by the "
          "delayed-ACK timer.",
          analyse_delayed_ack)
def delayed_ack(run: Run) -> None:
    with tcp_listener(LOOPBACK, run.server_port) as listener, \
            tcp_socket(LOOPBACK, run.client_port) as client:
        client.connect((LOOPBACK, run.server_port))
        server, _ = listener.accept()
        with server:
            for i, reply_after in enumerate([0.0, THINK_TIME, THINK_TIME, THINK_TIME]):
                client.sendall(b"q" * 100)
                recv_exactly(server, 100)
                time.sleep(reply_after)
                server.sendall(b"r" * 100)
                recv_exactly(client, 100)
                run.note(f"exchange {i + 1} done")
                time.sleep(THINK_TIME / 2)
            client.close()
            expect_eof(server)
        time.sleep(0.3)


# --- connection refused ----------------------------------------------------------

def analyse_refused(run: Run, segments: list[dict]) -> tuple[dict, str]:
    syn = next(s for s in segments if s["flags"] == "SYN")
    rst = next(s for s in segments if "RST" in s["flags"])
    found = {
        "syn_seq_raw": syn["seq_raw"],
        "reply": {k: rst[k] for k in ("flags", "seq_raw", "ack_raw", "window", "len")},
        "reply_delay": round(rst["time"] - syn["time"], 6),
        "reply_is_seq0_ack_x_plus_1_rst_ack":
            rst["flags"] == "RST,ACK" and rst["seq_raw"] == 0
            and rst["ack_raw"] == (syn["seq_raw"] + 1) % 2**32,
        **run.facts,
    }
    return found, (f'SYN seq={syn["seq_raw"]} answered by {rst["flags"]} '
                   f'seq={rst["seq_raw"]} ack={rst["ack_raw"]}; '
                   f'connect() -> {run.facts["connect_error"]}')


@scenario("refused", 20006, 21006,
          "Client connects to a port with no listener; the kernel answers the "
          "SYN with a reset.",
          analyse_refused)
def refused(run: Run) -> None:
    with tcp_socket(LOOPBACK, run.client_port) as client:
        start = time.time()
        try:
            client.connect((LOOPBACK, run.server_port))
            run.facts["connect_error"] = None
        except ConnectionRefusedError as exc:
            run.facts["connect_error"] = errno.errorcode[exc.errno]
        run.facts["connect_returned_after"] = round(time.time() - start, 6)
        run.note(f'client: connect() -> {run.facts["connect_error"]}')
        time.sleep(0.2)


# --- lost SYNs -------------------------------------------------------------------

SYN_ONLY = ["--tcp-flags", "FIN,SYN,RST,ACK", "SYN"]
SYN_ACK_ONLY = ["--tcp-flags", "FIN,SYN,RST,ACK", "SYN,ACK"]


def connect_and_close(run: Run, client: socket.socket,
                      listener: socket.socket) -> None:
    """Blocking connect(), then a quick close from both ends."""
    start = time.time()
    client.connect((LOOPBACK, run.server_port))
    run.facts["connect_took"] = round(time.time() - start, 3)
    run.note("client: connect() returned")
    server, _ = listener.accept()
    with server:
        client.close()
        expect_eof(server)
    time.sleep(0.3)


def analyse_syn_lost(run: Run, segments: list[dict]) -> tuple[dict, str]:
    syns = times_of(segments, "client", "SYN")
    found = {"client_syn_times": syns, "syn_gaps": gaps(syns), **run.facts}
    return found, (f"{len(syns)} SYNs, gaps {gaps(syns)} s; "
                   f"connect() took {run.facts['connect_took']} s")


@scenario("syn_lost", 20007, 21007,
          f"The first {SYN_DROPS} SYNs are dropped (iptables); the client "
          "retransmits its SYN until one gets through.",
          analyse_syn_lost)
def syn_lost(run: Run) -> None:
    syns = ["--dport", str(run.server_port), *SYN_ONLY]
    with tcp_listener(LOOPBACK, run.server_port) as listener, \
            tcp_socket(LOOPBACK, run.client_port, timeout=40) as client:
        with DropRule("SYN", syns, limit=SYN_DROPS) as rule:
            connect_and_close(run, client, listener)
        run.facts["syns_dropped"] = rule.drops


# --- lost SYN,ACKs ---------------------------------------------------------------

def analyse_synack_lost(run: Run, segments: list[dict]) -> tuple[dict, str]:
    syns = times_of(segments, "client", "SYN")
    synacks = times_of(segments, "server", "SYN,ACK")
    found = {"client_syn_times": syns, "syn_gaps": gaps(syns),
             "server_synack_times": synacks, "synack_gaps": gaps(synacks),
             "server_states": [r["state"] for r in run.poller.history if r["role"] == "server"],
             **run.facts}
    return found, (f"SYN at {syns}, SYN,ACK at {synacks} (gaps {gaps(synacks)}); "
                   f"connect() took {run.facts['connect_took']} s")


@scenario("synack_lost", 20008, 21008,
          f"Every SYN,ACK sent in the first {SYNACK_DROP_TIME} s is dropped (the "
          "first one and those sent at ~1 s); both ends retransmit.",
          analyse_synack_lost)
def synack_lost(run: Run) -> None:
    synacks = ["--sport", str(run.server_port), *SYN_ACK_ONLY]
    with tcp_listener(LOOPBACK, run.server_port) as listener, \
            tcp_socket(LOOPBACK, run.client_port, timeout=40) as client:
        with DropRule("SYN,ACK", synacks, duration=SYNACK_DROP_TIME) as rule:
            connect_and_close(run, client, listener)
        run.facts["synacks_dropped"] = rule.drops


@scenario("synack_timer", 20009, 21009,
          "Like synack_lost, but the client's retransmitted SYNs are dropped too, "
          "so only the server's own SYN,ACK timer is at work "
          f"(the first {SYNACK_TIMER_DROPS} SYN,ACKs are dropped).",
          analyse_synack_lost)
def synack_timer(run: Run) -> None:
    synacks = ["--sport", str(run.server_port), *SYN_ACK_ONLY]
    syns = ["--dport", str(run.server_port), *SYN_ONLY]
    with tcp_listener(LOOPBACK, run.server_port) as listener, \
            tcp_socket(LOOPBACK, run.client_port) as client:
        with DropRule("SYN,ACK", synacks, limit=SYNACK_TIMER_DROPS) as rule:
            client.setblocking(False)
            start = time.time()
            client.connect_ex((LOOPBACK, run.server_port))  # sends the first SYN
            run.note("client: connect() started")
            time.sleep(0.3)                                  # that SYN has arrived
            with DropRule("SYN", syns):                      # later ones are lost
                ready = select.select([], [client], [], 40)[1]
            run.facts["connect_took"] = round(time.time() - start, 3)
            if not ready:
                raise RuntimeError("no connection after 40 s")
            run.note("client: connection established")
        run.facts["synacks_dropped"] = rule.drops
        client.setblocking(True)
        server, _ = listener.accept()
        with server:
            client.close()
            expect_eof(server)
        time.sleep(0.3)


# --- the last ACK of the close is lost ---------------------------------------------

def analyse_final_ack_lost(run: Run, segments: list[dict]) -> tuple[dict, str]:
    fins = times_of(segments, "server", "FIN,ACK")
    acks = [s["time"] for s in segments if s["src"] == "client"
            and s["flags"] == "ACK" and s["time"] > fins[0]]
    found = {"server_fin_times": fins, "server_fin_gaps": gaps(fins),
             "client_ack_times_after_server_fin": acks,
             "close": close_pattern(segments),
             "states": sorted({r["role"] + " " + r["state"] for r in run.poller.history}),
             **run.facts}
    return found, (f"server FIN sent at {fins} (gaps {gaps(fins)} s); "
                   f"the client (TIME-WAIT) ACKed every copy")


@scenario("final_ack_lost", 20010, 21010,
          "Client closes first; the server closes 200 ms later; the client's ACK "
          f"of the server's FIN is dropped {FINAL_ACK_DROPS} times, so the server "
          "(LAST-ACK) retransmits its FIN and the client (TIME-WAIT) ACKs again.",
          analyse_final_ack_lost)
def final_ack_lost(run: Run) -> None:
    client_pure_acks = ["--sport", str(run.client_port), "--dport", str(run.server_port),
                        "--tcp-flags", "ALL", "ACK"]
    with tcp_listener(LOOPBACK, run.server_port) as listener, \
            tcp_socket(LOOPBACK, run.client_port) as client:
        client.connect((LOOPBACK, run.server_port))
        server, _ = listener.accept()
        with server:
            client.sendall(b"q" * 1000)
            recv_exactly(server, 1000)
            server.sendall(b"r" * 1000)
            recv_exactly(client, 1000)
            client.close()
            run.note("client: close()")
            expect_eof(server)
            eof_at = time.time()
            # From now on the client only sends the ACK(s) of the server's FIN.
            with DropRule("final ACK", client_pure_acks, limit=FINAL_ACK_DROPS) as rule:
                time.sleep(max(0.0, eof_at + 0.2 - time.time()))
                server.close()
                run.note("server: close()")
                deadline = time.monotonic() + 5  # until the server socket is gone
                while not run.poller.gone("server") and time.monotonic() < deadline:
                    time.sleep(0.05)
        run.facts["final_acks_dropped"] = rule.drops
        time.sleep(0.3)


# --- how long is TIME-WAIT? ----------------------------------------------------------

def analyse_time_wait(run: Run, segments: list[dict]) -> tuple[dict, str]:
    tw = run.poller.first("client", "TIME-WAIT")
    final_ack = [s for s in segments if s["src"] == "client" and s["flags"] == "ACK"][-1]
    found = {
        "final_ack_time": final_ack["time"],
        "time_wait_first_seen": tw["first_seen"],
        "time_wait_last_seen": tw["last_seen"],
        "socket_gone_by": tw["gone_by"],
        "ss_timer_when_first_seen": tw["timer"],
        "time_wait_length_min": round(tw["last_seen"] - final_ack["time"], 3),
        "time_wait_length_max": round(tw["gone_by"] - final_ack["time"], 3),
        "poll_interval": run.scenario.poll_interval,
    }
    return found, (f"TIME-WAIT lasted {found['time_wait_length_min']}-"
                   f"{found['time_wait_length_max']} s after the final ACK")


@scenario("time_wait_length", 20011, 21011,
          "Open and close (client first); polls ss every 100 ms until the client's "
          "TIME-WAIT socket disappears. Takes about a minute.",
          analyse_time_wait, time_limit=100, poll_interval=0.1)
def time_wait_length(run: Run) -> None:
    with tcp_listener(LOOPBACK, run.server_port) as listener, \
            tcp_socket(LOOPBACK, run.client_port) as client:
        client.connect((LOOPBACK, run.server_port))
        server, _ = listener.accept()
        with server:
            client.close()
            run.note("client: close()")
            expect_eof(server)
            server.close()
            run.note("server: close()")
    deadline = time.monotonic() + 90
    while not run.poller.gone("client") and time.monotonic() < deadline:
        time.sleep(0.1)
    run.note("client: TIME-WAIT socket gone")


# --- connect() gives up ------------------------------------------------------------

def analyse_syn_retries(run: Run, segments: list[dict]) -> tuple[dict, str]:
    syns = times_of(segments, "client", "SYN")
    found = {"client_syn_times": syns, "syn_gaps": gaps(syns), **run.facts}
    return found, (f"TCP_SYNCNT={run.facts['tcp_syncnt']}: {len(syns)} SYNs, the last at "
                   f"{syns[-1]:.3f} s; connect() -> {run.facts['connect_error']} "
                   f"after {run.facts['connect_took']} s")


def connect_into_black_hole(run: Run, syncnt: int | None) -> None:
    """connect() while every SYN is dropped, and record how it ends.

    `syncnt` sets TCP_SYNCNT (a per-socket tcp_syn_retries); None keeps the
    system default.
    """
    syns = ["--dport", str(run.server_port), *SYN_ONLY]
    with tcp_listener(LOOPBACK, run.server_port), \
            tcp_socket(LOOPBACK, run.client_port, timeout=run.scenario.time_limit - 10) as client, \
            DropRule("SYN", syns):
        if syncnt is not None:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, syncnt)
        run.facts["tcp_syncnt"] = client.getsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT)
        start = time.time()
        try:
            client.connect((LOOPBACK, run.server_port))
            run.facts["connect_error"] = None
        except OSError as exc:
            run.facts["connect_error"] = errno.errorcode.get(exc.errno, str(exc))
            run.facts["connect_error_message"] = exc.strerror or str(exc)
        run.facts["connect_took"] = round(time.time() - start, 3)
        run.note(f"client: connect() -> {run.facts['connect_error']}")


@scenario("syn_retries_exhausted", 20012, 21012,
          f"Every SYN is dropped; the client has TCP_SYNCNT={SYNCNT}. Shows when "
          "connect() gives up and with which error.",
          analyse_syn_retries)
def syn_retries_exhausted(run: Run) -> None:
    connect_into_black_hole(run, SYNCNT)


@scenario("syn_retries_default", 20013, 21013,
          "Every SYN is dropped; the client keeps the default "
          "(net.ipv4.tcp_syn_retries). Takes about 2 min 15 s.",
          analyse_syn_retries, time_limit=200)
def syn_retries_default(run: Run) -> None:
    connect_into_black_hole(run, None)


# --- simultaneous open and close (over the 100 ms path) ---------------------------------

def analyse_simultaneous(run: Run, segments: list[dict]) -> tuple[dict, str]:
    states = {role: [r["state"] for r in run.poller.history if r["role"] == role]
              for role in ("client", "server")}
    found = {"segments_seen_at_A": [f'{s["time"]:.3f} {s["src"]} {s["flags"]}' for s in segments],
             "states": states, "one_way_delay": ONE_WAY_DELAY, **run.facts}
    return found, f"A: {' > '.join(states['client'])}; B: {' > '.join(states['server'])}"


@scenario("simultaneous_open", 20014, 21014,
          "Two sockets, A (198.18.0.1:21014, role 'client') and B (198.18.0.2:20014, "
          "role 'server'), connect() to each other at the same moment over a path "
          "with 100 ms one-way delay, so the SYNs cross. Captured at A.",
          analyse_simultaneous, delayed_path=True)
def simultaneous_open(run: Run) -> None:
    with tcp_socket(ADDR_A, run.client_port, NS_A) as a, \
            tcp_socket(ADDR_B, run.server_port, NS_B) as b:
        a.setblocking(False)
        b.setblocking(False)
        a.connect_ex((ADDR_B, run.server_port))   # both SYNs leave now
        b.connect_ex((ADDR_A, run.client_port))
        run.note("A and B: connect() started")
        connected: set[socket.socket] = set()
        deadline = time.monotonic() + 10
        while len(connected) < 2 and time.monotonic() < deadline:
            connected |= set(select.select([], [a, b], [], 0.5)[1])
        run.facts["connect_results"] = {
            name: errno.errorcode.get(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), "OK")
            for name, s in (("A", a), ("B", b))}
        run.note("A and B: connected")
        time.sleep(0.5)
        a.close()
        time.sleep(0.5)
        b.close()
        time.sleep(0.6)


@scenario("simultaneous_close", 20015, 21015,
          "A connects to a listener at B over the 100 ms path; then both close() "
          "at the same moment, so the FINs cross (both go through CLOSING to "
          "TIME-WAIT). Captured at A.",
          analyse_simultaneous, delayed_path=True)
def simultaneous_close(run: Run) -> None:
    with tcp_socket(ADDR_A, run.client_port, NS_A) as a, \
            tcp_listener(ADDR_B, run.server_port, NS_B) as listener:
        a.connect((ADDR_B, run.server_port))
        b, _ = listener.accept()
        run.note("A: connected")
        time.sleep(0.5)
        a.close()
        b.close()
        run.note("A and B: close()")
        time.sleep(1.0)


# --- a socket connected to itself ---------------------------------------------------

def analyse_self_connect(run: Run, segments: list[dict]) -> tuple[dict, str]:
    states = [r["state"] for r in run.poller.history]
    flags = [s["flags"] for s in segments]
    found = {"segment_flags": flags, "states": states, **run.facts}
    return found, f"segments {' '.join(flags)}; states {' > '.join(states)}"


@scenario("self_connect", 20016, 20016,
          "One socket bound to 127.0.0.1:20016 connects to 127.0.0.1:20016, "
          "i.e. to itself: a simultaneous open on plain loopback (role 'self').",
          analyse_self_connect)
def self_connect(run: Run) -> None:
    with tcp_socket(LOOPBACK, run.server_port) as sock:
        sock.connect((LOOPBACK, run.server_port))
        run.note("socket: connect() to itself returned")
        sock.sendall(b"hello")
        run.facts["reads_back"] = recv_exactly(sock, 5).decode()
        time.sleep(0.2)
        sock.close()
        run.note("socket: close()")
        time.sleep(0.3)


# --- close() and then the peer's reply --------------------------------------------

def analyse_close_then_reply(run: Run, segments: list[dict]) -> tuple[dict, str]:
    rst = next((s for s in segments if "RST" in s["flags"]), None)
    reply = next((s for s in segments if s["src"] == "server" and s["len"] > 0), None)
    found = {
        "client_fin": next((s["time"] for s in segments
                            if s["src"] == "client" and "FIN" in s["flags"]), None),
        "reply": {k: reply[k] for k in ("time", "seq", "ack", "len")} if reply else None,
        "rst": {k: rst[k] for k in ("time", "src", "flags", "seq", "ack", "len", "window")}
        if rst else None,
        "rst_after_reply": round(rst["time"] - reply["time"], 6) if rst and reply else None,
        "states": {role: [r["state"] for r in run.poller.history if r["role"] == role]
                   for role in ("client", "server")},
        **run.facts,
    }
    rst_text = (f'{rst["src"]} {rst["flags"]} seq={rst["seq"]} ack={rst["ack"]}'
                if rst else "no RST")
    return found, (f"reply answered by {rst_text}; the server's next send() -> "
                   f"{run.facts['second_send']}")


@scenario("close_then_reply", 20017, 21017,
          "Client sends a 100-byte request and calls close() at once (not shutdown()); "
          f"the server reads the request and {THINK_TIME * 1000:.0f} ms later sends a "
          "1000-byte reply, which the client's kernel answers with a RST; another "
          f"{THINK_TIME * 1000:.0f} ms later the server's next send() fails.",
          analyse_close_then_reply)
def close_then_reply(run: Run) -> None:
    with tcp_listener(LOOPBACK, run.server_port) as listener, \
            tcp_socket(LOOPBACK, run.client_port) as client:
        client.connect((LOOPBACK, run.server_port))
        server, _ = listener.accept()
        with server:
            client.sendall(b"q" * 100)
            client.close()
            run.note("client: close()")
            recv_exactly(server, 100)
            time.sleep(THINK_TIME)
            server.sendall(b"r" * 1000)
            run.note("server: send() of the 1000-byte reply returned")
            time.sleep(THINK_TIME)
            try:
                server.send(b"r" * 1000)
                run.facts["second_send"] = "sent"
            except OSError as exc:
                run.facts["second_send"] = errno.errorcode.get(exc.errno or 0, str(exc))
            run.note(f"server: next send() -> {run.facts['second_send']}")
            server.close()
            run.note("server: close()")
        time.sleep(0.3)


# ---------------------------------------------------------------------------
# Running a scenario and writing its files
# ---------------------------------------------------------------------------

def _on_alarm(signum: int, frame: object) -> None:
    raise ScenarioTimeout("time limit reached")


def run_scenario(sc: Scenario, kernel: str) -> str:
    """Run one scenario, write its .pcap and .json; return a one-line result."""
    pcap = CAPTURES / f"{sc.name}.pcap"
    if sc.client_port == sc.server_port:
        roles = {sc.server_port: "self"}
    else:
        roles = {sc.client_port: "client", sc.server_port: "server"}
    namespaces = (NS_A, NS_B) if sc.delayed_path else (LAB_NS,)
    poller = StatePoller(sc.server_port, roles, namespaces, sc.poll_interval)
    run = Run(sc, poller)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(sc.time_limit)
    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(fresh_namespaces(*namespaces))
            if sc.delayed_path:
                stack.enter_context(delayed_path())
            stack.enter_context(tcpdump(pcap, f"tcp port {sc.server_port}", namespaces[0],
                                        interface=TUN_A if sc.delayed_path else "lo"))
            counters_before = read_counters(namespaces)
            poller.start()
            try:
                sc.body(run)
            finally:
                poller.stop()
            counters_after = read_counters(namespaces)
    finally:
        signal.alarm(0)

    packets = read_pcap(pcap)
    if not packets:
        raise RuntimeError("no packets captured")
    t0 = packets[0]["time"]
    segments = summarise(packets, roles, t0)

    def rel(t: float | None) -> float | None:
        return None if t is None else round(t - t0, 6)

    for row in poller.history:
        for key in ("first_seen", "last_seen", "gone_by"):
            row[key] = rel(row[key])
    findings, headline = sc.analyse(run, segments)
    findings["syn_options"] = syn_options(segments)
    findings["acknowledgements"] = acknowledgements(segments)
    findings["kernel_counters"] = {key: counters_after[key] - counters_before[key]
                                   for key in counters_before
                                   if counters_after[key] != counters_before[key]}
    summary = {
        "format": FORMAT,
        "scenario": sc.name,
        "description": sc.description,
        "kernel": kernel,
        "capture": pcap.name,
        "client": f"{ADDR_A if sc.delayed_path else LOOPBACK}:{sc.client_port}",
        "server": f"{ADDR_B if sc.delayed_path else LOOPBACK}:{sc.server_port}",
        "time_zero_utc": datetime.datetime.fromtimestamp(t0, datetime.timezone.utc).isoformat(),
        "segments": segments,
        "socket_states": poller.history,
        "events": [{"time": rel(t), "what": what} for t, what in run.events],
        "findings": findings,
    }
    (CAPTURES / f"{sc.name}.json").write_text(json.dumps(summary, indent=1) + "\n")
    return f"{len(segments)} segments, {pcap.stat().st_size} bytes; {headline}"


# ---------------------------------------------------------------------------
# environment.json
# ---------------------------------------------------------------------------

def read_sysctls() -> dict[str, str | None]:
    """The SYSCTLS as seen by this thread's network namespace."""
    values: dict[str, str | None] = {}
    for name in SYSCTLS:
        try:
            text = (Path("/proc/sys") / name.replace(".", "/")).read_text()
            values[name] = " ".join(text.split())
        except OSError:
            values[name] = None       # not in this kernel
    return values


def kernel_config(option: str) -> str | None:
    """A kernel build option from /proc/config.gz (if the kernel has one)."""
    try:
        with gzip.open("/proc/config.gz", "rt") as config:
            for line in config:
                if line.startswith(option + "="):
                    return line.strip().split("=", 1)[1]
    except OSError:
        pass
    return None


def write_environment() -> str:
    """Write captures/environment.json; return the kernel release."""
    host = read_sysctls()
    with fresh_namespaces(LAB_NS):
        with inside_netns(LAB_NS):
            lab = read_sysctls()  # what the scenarios see (per-namespace values)
        lo_mtu = int(sh(*in_netns(LAB_NS, "cat", "/sys/class/net/lo/mtu")))
    env = {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "kernel": platform.release(),
        "kernel_build": platform.version(),
        "machine": platform.machine(),
        "CONFIG_HZ": kernel_config("CONFIG_HZ"),   # timer tick: 1 jiffy = 1/HZ s
        "python": platform.python_version(),
        "tcpdump": sh("tcpdump", "--version", check=False).splitlines()[0],
        "loopback_mtu": lo_mtu,
        "sysctls": lab,
        "host_sysctls_that_differ": {k: v for k, v in host.items() if lab[k] != v},
    }
    (CAPTURES / "environment.json").write_text(json.dumps(env, indent=1) + "\n")
    return env["kernel"]


def environment_changes() -> dict[str, Any]:
    """How this machine differs from captures/environment.json (kernel, sysctls)."""
    recorded = json.loads((CAPTURES / "environment.json").read_text())
    with fresh_namespaces(LAB_NS):
        with inside_netns(LAB_NS):
            lab = read_sysctls()
    changes: dict[str, Any] = {k: v for k, v in lab.items() if recorded["sysctls"].get(k) != v}
    if recorded["kernel"] != platform.release():
        changes["kernel"] = platform.release()
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                        help="scenarios to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args(argv)
    if args.list:
        for sc in SCENARIOS.values():
            print(f"{sc.name:22} {sc.description}")
        return 0
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)} (see --list)")
    problem = missing_prerequisites()
    if problem:
        print(f"make_captures: {problem}", file=sys.stderr)
        return 1

    # On `kill`, exit through the `finally` blocks, which undo everything.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit("make_captures: terminated"))
    CAPTURES.mkdir(exist_ok=True)
    if args.scenarios and (CAPTURES / "environment.json").exists():
        # Some scenarios only: environment.json keeps describing the full run; say
        # here how this machine differs from it (each scenario's JSON names its kernel).
        kernel = platform.release()
        print(f"environment.json kept; differences now: {environment_changes()}", flush=True)
    else:
        kernel = write_environment()
    failed = 0
    for name in args.scenarios or list(SCENARIOS):
        try:
            print(f"{name}: {run_scenario(SCENARIOS[name], kernel)}", flush=True)
        except Exception as exc:  # report it and go on with the next scenario
            failed += 1
            print(f"{name}: FAILED: {type(exc).__name__}: {exc}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
