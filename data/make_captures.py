#!/usr/bin/env python3
"""Record how this machine's Linux kernel opens and closes TCP connections.

Each *scenario* is a tiny socket program that plays both ends of one TCP
connection on this machine (client and server are two sockets in the same
Python process).  While it runs we record:

* every segment, with ``tcpdump`` (``captures/<scenario>.pcap``), and
* the socket states, by polling ``ss -tan`` every 20 ms,

and then write a small JSON summary (``captures/<scenario>.json``) that the
course notebooks read.  Lost segments are simulated with temporary
``iptables`` DROP rules.  The two "simultaneous" scenarios need a path with a
real delay, which loopback does not have: they build two network namespaces
joined by a pair of TUN devices and a small relay in this script that holds
every packet for 100 ms.

Usage (needs root and tcpdump)::

    sudo python3 data/make_captures.py            # all scenarios
    sudo python3 data/make_captures.py refused    # just one
    python3 data/make_captures.py --list

Only the Python standard library is used, plus the tools tcpdump, ss, ip and
iptables.  All traffic stays on 127.0.0.1 or inside the namespaces created
(and deleted) here.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime
import errno
import fcntl
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

HERE = Path(__file__).resolve().parent
CAPTURES = HERE / "captures"

LOOPBACK = "127.0.0.1"
SNAPLEN = 128            # bytes kept per packet: headers only
POLL_INTERVAL = 0.02     # seconds between two `ss` polls
RULE_TAG = "tcpnb-capture"  # comment on every iptables rule we add

# The delayed path used by the "simultaneous" scenarios (198.18.0.0/15 is
# the range reserved for benchmarking test networks, RFC 2544).
NS_A, NS_B = "tcpnb-a", "tcpnb-b"
TUN_A, TUN_B = "tcpnb-tun-a", "tcpnb-tun-b"
ADDR_A, ADDR_B = "198.18.0.1", "198.18.0.2"
ONE_WAY_DELAY = 0.100    # seconds each packet is held by the relay

SYN_DROPS = 6            # syn_lost: how many SYNs are dropped
SYNACK_DROP_TIME = 1.5   # synack_lost: SYN,ACKs are dropped for this long (s)
SYNACK_TIMER_DROPS = 4   # synack_timer: how many SYN,ACKs are dropped
FINAL_ACK_DROPS = 4      # final_ack_lost: how many final ACKs are dropped
SYNCNT = 2               # syn_retries_exhausted: TCP_SYNCNT for the client

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
    "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_base_mss", "net.ipv4.ip_local_port_range",
]

# Kernel TCP counters (/proc/net/snmp and /proc/net/netstat) whose change
# during a scenario is recorded in its JSON ("kernel_counters").
COUNTERS = [
    "Tcp:ActiveOpens", "Tcp:PassiveOpens", "Tcp:AttemptFails", "Tcp:EstabResets",
    "Tcp:RetransSegs", "Tcp:OutRsts", "TcpExt:DelayedACKs", "TcpExt:TCPLossProbes",
    "TcpExt:TCPTimeouts", "TcpExt:TCPSynRetrans", "TcpExt:TW",
    "TcpExt:TCPAbortOnTimeout", "TcpExt:TCPChallengeACK",
]

FLAG_NAMES = [(0x01, "FIN"), (0x02, "SYN"), (0x04, "RST"), (0x08, "PSH"),
              (0x10, "ACK"), (0x20, "URG"), (0x40, "ECE"), (0x80, "CWR")]


class ScenarioTimeout(Exception):
    """Raised (by SIGALRM) when a scenario runs longer than its time limit."""


# ---------------------------------------------------------------------------
# Small helpers around external tools
# ---------------------------------------------------------------------------

def sh(*cmd: str, check: bool = True, timeout: float = 10) -> str:
    """Run a command, return its standard output."""
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)}: {done.stderr.strip()}")
    return done.stdout


def missing_prerequisites() -> str | None:
    """Return why this script cannot run here, or None if it can."""
    if os.geteuid() != 0:
        return "needs root (tcpdump, iptables and ip netns need it): run with sudo"
    for tool, package in [("tcpdump", "tcpdump"), ("ss", "iproute2"),
                          ("ip", "iproute2"), ("iptables", "iptables")]:
        if shutil.which(tool) is None:
            return f"'{tool}' not found: install it (apt-get install {package})"
    return None


@contextlib.contextmanager
def tcpdump(path: Path, bpf: str, interface: str = "lo",
            netns: str | None = None) -> Iterator[None]:
    """Capture packets matching `bpf` into `path` while the block runs."""
    cmd = ["tcpdump", "-i", interface, "-s", str(SNAPLEN), "-n",
           "--immediate-mode", "-U",  # write each packet at once
           "-Z", "root",              # keep the file owned by root
           "-w", str(path), bpf]
    if netns:
        cmd = ["ip", "netns", "exec", netns, *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        # tcpdump says "listening on ..." once its filter is in place.
        seen, deadline = b"", time.monotonic() + 5
        while b"listening on" not in seen:
            left = deadline - time.monotonic()
            if left <= 0 or proc.poll() is not None:
                raise RuntimeError(f"tcpdump did not start: {seen.decode().strip()}")
            if select.select([proc.stderr], [], [], left)[0]:
                seen += os.read(proc.stderr.fileno(), 4096)
        yield
        time.sleep(0.3)  # let the last packets reach the file
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class DropRule:
    """A temporary iptables rule that drops matching TCP packets.

    The rule sits in the INPUT chain, so a dropped packet has already been
    recorded by tcpdump (which sees it leave on `lo`) but never reaches the
    receiving socket.  With `limit`, a watcher thread deletes the rule as
    soon as its packet counter shows that many drops; with `duration`, it
    deletes it that many seconds after it was added.  The rule is always
    deleted when the `with` block ends, even on error.
    """

    def __init__(self, name: str, match: list[str], limit: int | None = None,
                 duration: float | None = None):
        self.comment = f"{RULE_TAG}:{name}"
        self.spec = ["INPUT", "-i", "lo", "-p", "tcp", *match,
                     "-m", "comment", "--comment", self.comment, "-j", "DROP"]
        self.limit, self.duration = limit, duration
        self.installed = False
        self.removed_at: float | None = None
        self.drops = 0
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "DropRule":
        sh("iptables", "-I", *self.spec)
        self.installed = True
        self.added_at = time.time()
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
        for line in sh("iptables", "-nvxL", "INPUT").splitlines():
            if f"/* {self.comment} */" in line:
                return int(line.split()[0])
        return 0

    def remove(self) -> None:
        """Delete the rule (once), remembering when and after how many drops."""
        with self._lock:
            if self.installed:
                self.drops = self.dropped()
                sh("iptables", "-D", *self.spec)
                self.installed = False
                self.removed_at = time.time()

    def _watch(self) -> None:
        deadline = time.monotonic() + min(self.duration or 120, 120)
        while not self._halt.is_set() and time.monotonic() < deadline:
            if self.limit is not None and self.dropped() >= self.limit:
                break
            self._halt.wait(0.005)
        self.remove()


def remove_leftover_rules() -> None:
    """Delete rules that an interrupted earlier run may have left behind."""
    for line in sh("iptables", "-S", "INPUT").splitlines():
        if RULE_TAG in line and line.startswith("-A "):
            sh("iptables", "-D", *shlex.split(line)[1:])


def read_counters(netns: str | None = None) -> dict[str, int]:
    """The COUNTERS, read from /proc/net/{snmp,netstat} (of `netns`)."""
    values: dict[str, int] = {}
    for name in ("snmp", "netstat"):
        if netns:
            text = sh("ip", "netns", "exec", netns, "cat", f"/proc/net/{name}")
        else:
            text = Path(f"/proc/net/{name}").read_text()
        lines = text.splitlines()
        # The files come in pairs of lines: "Tcp: names..." / "Tcp: values..."
        for header, numbers in zip(lines[::2], lines[1::2]):
            group, *keys = header.split()
            for key, value in zip(keys, numbers.split()[1:]):
                if f"{group}{key}" in COUNTERS:
                    values[f"{group}{key}"] = int(value)
    return values


class StatePoller(threading.Thread):
    """Poll `ss -tano` and record which TCP states each socket goes through.

    Each entry of `history` is one state of one socket: its role, the state,
    the first and last poll that saw it, the `ss` timer shown the first time,
    and (`gone_by`) the first poll that no longer saw the socket at all.
    LISTEN sockets are left out.
    """

    def __init__(self, port: int, roles: dict[int, str],
                 namespaces: tuple[str | None, ...] = (None,),
                 interval: float = POLL_INTERVAL):
        super().__init__(daemon=True)
        self.port, self.roles = port, roles
        self.namespaces, self.interval = namespaces, interval
        self.history: list[dict[str, Any]] = []
        self._current: dict[tuple, dict[str, Any]] = {}
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

    def sockets(self) -> list[tuple[str, str, str, str]]:
        """(namespace, state, local, peer, timer) of every socket on our port."""
        found = []
        for ns in self.namespaces:
            cmd = ["ss", "-tanoH"] + (["-N", ns] if ns else [])
            cmd.append(f"( sport = :{self.port} or dport = :{self.port} )")
            for line in sh(*cmd).splitlines():
                fields = line.split()
                if len(fields) >= 5 and fields[0] != "LISTEN":
                    timer = fields[5] if len(fields) > 5 else None
                    found.append((ns or "", fields[0], fields[3], fields[4], timer))
        return found

    def poll(self) -> None:
        before = time.time()
        found = self.sockets()
        now = (before + time.time()) / 2  # ss takes a few ms: use the middle
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


# ---------------------------------------------------------------------------
# Network namespaces joined by a delaying relay (for simultaneous open/close)
# ---------------------------------------------------------------------------

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000


@contextlib.contextmanager
def inside_netns(name: str) -> Iterator[None]:
    """Run the block (in this thread) inside network namespace `name`.

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


def open_tun(name: str) -> int:
    """Create TUN device `name` in the current namespace; return its fd."""
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


class DelayRelay(threading.Thread):
    """Copy IP packets between two TUN devices, holding each for `delay` s."""

    def __init__(self, fd_a: int, fd_b: int, delay: float):
        super().__init__(daemon=True)
        self.peer = {fd_a: fd_b, fd_b: fd_a}
        self.delay = delay
        self._halt = threading.Event()

    def run(self) -> None:
        queue: list[tuple[float, int, int, bytes]] = []  # (due, n, fd, packet)
        count, deadline = 0, time.monotonic() + 300
        while not self._halt.is_set() and time.monotonic() < deadline:
            wait = 0.05 if not queue else max(0.0, queue[0][0] - time.monotonic())
            readable, _, _ = select.select(list(self.peer), [], [], min(wait, 0.05))
            for fd in readable:
                packet = os.read(fd, 65535)
                count += 1
                heapq.heappush(queue, (time.monotonic() + self.delay, count,
                                       self.peer[fd], packet))
            while queue and queue[0][0] <= time.monotonic():
                _, _, out, packet = heapq.heappop(queue)
                os.write(out, packet)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=2)


def delete_namespaces() -> None:
    """Delete our namespaces if they exist (also after an interrupted run)."""
    existing = sh("ip", "netns", "list", check=False)
    for ns in (NS_A, NS_B):
        if any(line.split()[0] == ns for line in existing.splitlines() if line):
            sh("ip", "netns", "del", ns, check=False)


@contextlib.contextmanager
def delayed_path() -> Iterator[None]:
    """Namespaces NS_A (ADDR_A) and NS_B (ADDR_B), ONE_WAY_DELAY apart."""
    if not os.path.exists("/dev/net/tun"):
        raise RuntimeError("/dev/net/tun is missing (kernel without TUN support)")
    fds: list[int] = []
    relay = None
    delete_namespaces()
    try:
        for ns, tun, addr in [(NS_A, TUN_A, ADDR_A), (NS_B, TUN_B, ADDR_B)]:
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            with inside_netns(ns):
                fds.append(open_tun(tun))
            sh("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", tun)
            sh("ip", "-n", ns, "link", "set", tun, "up")
        relay = DelayRelay(fds[0], fds[1], ONE_WAY_DELAY)
        relay.start()
        yield
    finally:
        if relay is not None:
            relay.stop()
        for fd in fds:
            os.close(fd)
        delete_namespaces()


# ---------------------------------------------------------------------------
# Socket helpers used by the scenarios
# ---------------------------------------------------------------------------

def tcp_socket(addr: str, port: int, timeout: float = 10) -> socket.socket:
    """A TCP socket bound to (addr, port), with a timeout on every call."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((addr, port))
    sock.settimeout(timeout)
    return sock


def tcp_listener(addr: str, port: int) -> socket.socket:
    """A listening TCP socket on (addr, port)."""
    sock = tcp_socket(addr, port)
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
    link_header = {1: 14, 113: 16, 0: 4, 101: 0, 12: 0, 14: 0, 228: 0}[linktype]
    packets, pos = [], 24
    while pos + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
        frame = data[pos + 16:pos + 16 + caplen]
        pos += 16 + caplen
        ip = frame[link_header:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != socket.IPPROTO_TCP:
            continue
        ihl = (ip[0] & 0x0F) * 4
        total_len = struct.unpack("!H", ip[2:4])[0]
        tcp = ip[ihl:]
        sport, dport, seq, ack, off, flags, window = struct.unpack("!HHIIBBH", tcp[:16])
        doff = (off >> 4) * 4
        packets.append({
            "time": sec + frac / (1e9 if nanos else 1e6),
            "src": (socket.inet_ntoa(ip[12:16]), sport),
            "dst": (socket.inet_ntoa(ip[16:20]), dport),
            "seq": seq, "ack": ack, "flags": flags, "window": window,
            "len": total_len - ihl - doff,
            "options": parse_tcp_options(tcp[20:doff]),
        })
    return packets


def parse_tcp_options(raw: bytes) -> dict[str, Any]:
    """The TCP options we care about: MSS, window scale, SACK, timestamps."""
    opts: dict[str, Any] = {}
    i = 0
    while i < len(raw):
        kind = raw[i]
        if kind == 0:
            break
        if kind == 1:
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
    when the ACK flag is off.  `window` is the raw 16-bit field (scale it by
    the peer's wscale option, except in SYN segments).
    """
    base: dict[str, int] = {}
    for p in packets:  # SYNs first, then any first seq
        if p["flags"] & 0x02:
            base.setdefault(roles[p["src"][1]], p["seq"])
    for p in packets:
        base.setdefault(roles[p["src"][1]], p["seq"])
    segments = []
    for p in packets:
        src, dst = roles[p["src"][1]], roles[p["dst"][1]]
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
    poller: StatePoller | None = None
    events: list[tuple[float, str]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def note(self, what: str) -> None:
        """Record an application-level event (a system call returning...)."""
        self.events.append((time.time(), what))

    @property
    def client_port(self) -> int:
        return self.scenario.client_port

    @property
    def server_port(self) -> int:
        return self.scenario.server_port


@dataclass
class Scenario:
    name: str
    description: str
    server_port: int
    client_port: int
    body: Callable[[Run], None]
    analyse: Callable[[Run, list[dict]], tuple[dict, str]]
    delayed_path: bool = False   # run in namespaces with a 100 ms relay
    time_limit: int = 60         # seconds


SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str, server_port: int, client_port: int, description: str,
             analyse: Callable[[Run, list[dict]], tuple[dict, str]],
             **options: Any) -> Callable[[Callable[[Run], None]], Callable[[Run], None]]:
    """Register the decorated function as the body of a scenario."""
    def register(body: Callable[[Run], None]) -> Callable[[Run], None]:
        SCENARIOS[name] = Scenario(name, description, server_port, client_port,
                                   body, analyse, **options)
        return body
    return register


def describe_close(run: Run, segments: list[dict]) -> tuple[dict, str]:
    """Analysis for the plain open/close scenarios."""
    close = close_pattern(segments)
    found = {"close": close}
    kind = "3-segment close (FIN carries the ACK)" if close["ack_and_fin_combined"] \
        else "4-segment close (separate ACK)"
    return found, f'{close["count"]} segments from first FIN ({close["first_fin_by"]}): {kind}'


# 1 -------------------------------------------------------------------------

THINK_TIME = 0.1  # pause between application steps, so `ss` sees each state


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
          f"closes first, server closes {THINK_TIME * 1000:.0f} ms after it reads "
          f"end-of-stream ({THINK_TIME * 1000:.0f} ms pause between all steps).",
          describe_close)
def normal_close(run: Run) -> None:
    request_reply_close(run, pause=THINK_TIME)


@scenario("normal_close_quick", 20014, 21014,
          "Same as normal_close without any pauses: the server closes as soon "
          "as it reads end-of-stream.",
          describe_close)
def normal_close_quick(run: Run) -> None:
    request_reply_close(run, pause=0.0)


# 2 -------------------------------------------------------------------------

@scenario("server_closes_first", 20002, 21002,
          "Server reads the request, sends a 1000-byte reply and closes "
          "(like HTTP/1.0); the client reads to end-of-stream, then closes "
          f"({THINK_TIME * 1000:.0f} ms pause between steps).",
          describe_close)
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


# 3 -------------------------------------------------------------------------

def analyse_half_close(run: Run, segments: list[dict]) -> tuple[dict, str]:
    found, _ = describe_close(run, segments)
    data_after_fin = [s for s in segments if s["src"] == "server" and s["len"] > 0
                      and s["time"] > times_of(segments, "client", "FIN,ACK")[0]]
    found["server_data_segments_after_client_fin"] = len(data_after_fin)
    acks = [a for a in acknowledgements(segments) if a["segment"].startswith("server")
            and "len=0" not in a["segment"]]
    found["client_ack_delays_for_server_data"] = [a["delay"] for a in acks]
    client_states = [r["state"] for r in run.poller.history if r["role"] == "client"]
    found["client_states"] = client_states
    return found, (f"{len(data_after_fin)} data segments sent after the client's FIN; "
                   f"client states {' > '.join(client_states)}")


@scenario("half_close", 20003, 21003,
          "Client sends a request then shutdown(SHUT_WR); the server still "
          "sends 3 x 500 bytes, 200 ms apart, then closes.",
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


# 3b ------------------------------------------------------------------------

def analyse_delayed_ack(run: Run, segments: list[dict]) -> tuple[dict, str]:
    acks = [a for a in acknowledgements(segments) if "PSH" in a["segment"]]
    rows = [{"segment": a["segment"], "acked_by": a["acked_by"], "delay": a["delay"]}
            for a in acks]
    delays = [a["delay"] for a in acks]
    return {"data_acks": rows}, f"ACK delays for data: {[round(d * 1000, 1) for d in delays]} ms"


@scenario("delayed_ack", 20015, 21015,
          "Four request/reply exchanges of 100 bytes. The first reply is sent at "
          "once; the next three 100 ms after their request, with 50 ms between "
          "exchanges. Shows when a data segment is ACKed at once and when only "
          "after the delayed-ACK timer.",
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


# 4 -------------------------------------------------------------------------

def analyse_refused(run: Run, segments: list[dict]) -> tuple[dict, str]:
    syn = next(s for s in segments if s["flags"] == "SYN")
    rst = next(s for s in segments if "RST" in s["flags"])
    found = {
        "syn_seq_raw": syn["seq_raw"],
        "reply": {k: rst[k] for k in ("flags", "seq_raw", "ack_raw", "window", "len")},
        "reply_delay": round(rst["time"] - syn["time"], 6),
        "matches_rfc9293_seq0_ack_x_plus_1_rst_ack":
            rst["flags"] == "RST,ACK" and rst["seq_raw"] == 0
            and rst["ack_raw"] == (syn["seq_raw"] + 1) % 2**32,
        **run.facts,
    }
    return found, (f'SYN seq={syn["seq_raw"]} answered by {rst["flags"]} '
                   f'seq={rst["seq_raw"]} ack={rst["ack_raw"]}; connect(): {run.facts["connect_error"]}')


@scenario("refused", 20004, 21004,
          "Client connects to a port with no listener; the kernel answers the SYN with a reset.",
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


# 5 -------------------------------------------------------------------------

def analyse_syn_lost(run: Run, segments: list[dict]) -> tuple[dict, str]:
    syns = times_of(segments, "client", "SYN")
    found = {"syns_dropped": run.facts["drops"], "client_syn_times": syns,
             "syn_gaps": gaps(syns), **run.facts,
             "handshake_options": syn_options(segments)}
    return found, f"{len(syns)} SYNs, gaps {gaps(syns)} s; connect() took {run.facts['connect_took']} s"


@scenario("syn_lost", 20005, 21005,
          f"The first {SYN_DROPS} SYNs are dropped (iptables); the client "
          "retransmits its SYN until one gets through.",
          analyse_syn_lost, time_limit=60)
def syn_lost(run: Run) -> None:
    syn = ["--dport", str(run.server_port), "--tcp-flags", "FIN,SYN,RST,ACK", "SYN"]
    with tcp_listener(LOOPBACK, run.server_port) as listener, \
            tcp_socket(LOOPBACK, run.client_port, timeout=40) as client, \
            DropRule("syn_lost", syn, limit=SYN_DROPS) as rule:
        start = time.time()
        client.connect((LOOPBACK, run.server_port))
        run.facts["connect_took"] = round(time.time() - start, 3)
        run.note("client: connect() returned")
        server, _ = listener.accept()
        with server:
            client.close()
            expect_eof(server)
        time.sleep(0.3)
    run.facts["drops"] = rule.drops


# 6 -------------------------------------------------------------------------

def analyse_synack_lost(run: Run, segments: list[dict]) -> tuple[dict, str]:
    syns = times_of(segments, "client", "SYN")
    synacks = times_of(segments, "server", "SYN,ACK")
    found = {"synacks_dropped": run.facts["drops"],
             "client_syn_times": syns, "syn_gaps": gaps(syns),
             "server_synack_times": synacks, "synack_gaps": gaps(synacks),
             "server_states": [r["state"] for r in run.poller.history if r["role"] == "server"],
             **run.facts}
    return found, (f"SYN at {syns}, SYN,ACK at {synacks}; "
                   f"connect() took {run.facts['connect_took']} s")


@scenario("synack_lost", 20006, 21006,
          f"Every SYN,ACK sent in the first {SYNACK_DROP_TIME} s is dropped (the first "
          "one and the retransmissions at ~1 s); both ends retransmit.",
          analyse_synack_lost, time_limit=60)
def synack_lost(run: Run) -> None:
    synack = ["--sport", str(run.server_port), "--tcp-flags", "FIN,SYN,RST,ACK", "SYN,ACK"]
    with tcp_listener(LOOPBACK, run.server_port) as listener, \
            tcp_socket(LOOPBACK, run.client_port, timeout=40) as client, \
            DropRule("synack_lost", synack, duration=SYNACK_DROP_TIME) as rule:
        start = time.time()
        client.connect((LOOPBACK, run.server_port))
        run.facts["connect_took"] = round(time.time() - start, 3)
        run.note("client: connect() returned")
        server, _ = listener.accept()
        with server:
            client.close()
            expect_eof(server)
        time.sleep(0.3)
    run.facts["drops"] = rule.drops


# 6b ------------------------------------------------------------------------

def analyse_synack_timer(run: Run, segments: list[dict]) -> tuple[dict, str]:
    found, _ = analyse_synack_lost(run, segments)
    synacks = found["server_synack_times"]
    return found, f"SYN,ACK at {synacks} (gaps {gaps(synacks)} s)"


@scenario("synack_timer", 20013, 21013,
          "Like synack_lost, but the client's retransmitted SYNs are dropped too, "
          "so only the server's own SYN,ACK timer is at work "
          f"({SYNACK_TIMER_DROPS} SYN,ACKs dropped).",
          analyse_synack_timer, time_limit=60)
def synack_timer(run: Run) -> None:
    synack = ["--sport", str(run.server_port), "--tcp-flags", "FIN,SYN,RST,ACK", "SYN,ACK"]
    syn = ["--dport", str(run.server_port), "--tcp-flags", "FIN,SYN,RST,ACK", "SYN"]
    with tcp_listener(LOOPBACK, run.server_port) as listener, \
            tcp_socket(LOOPBACK, run.client_port, timeout=40) as client, \
            DropRule("synack_timer", synack, limit=SYNACK_TIMER_DROPS) as rule:
        client.setblocking(False)
        start = time.time()
        client.connect_ex((LOOPBACK, run.server_port))  # sends the first SYN
        run.note("client: connect() started")
        time.sleep(0.3)                                 # SYN has arrived
        with DropRule("synack_timer_syns", syn):        # later SYNs are lost
            ready = select.select([], [client], [], 40)[1]
            run.facts["connect_took"] = round(time.time() - start, 3)
            run.facts["connect_error"] = errno.errorcode.get(
                client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)) if ready else "timeout"
        run.note("client: connection established")
        client.setblocking(True)
        client.settimeout(10)
        server, _ = listener.accept()
        with server:
            client.close()
            expect_eof(server)
        time.sleep(0.3)
    run.facts["drops"] = rule.drops


# 7 -------------------------------------------------------------------------

def analyse_final_ack_lost(run: Run, segments: list[dict]) -> tuple[dict, str]:
    fins = times_of(segments, "server", "FIN,ACK")
    client_fin = times_of(segments, "client", "FIN,ACK")[0]
    acks = [s["time"] for s in segments if s["src"] == "client"
            and s["flags"] == "ACK" and s["time"] > fins[0]]
    last_ack = run.poller.first("server", "LAST-ACK")
    tw = run.poller.first("client", "TIME-WAIT")
    found = {"final_acks_dropped": run.facts["drops"],
             "server_fin_times": fins, "fin_rto_gaps": gaps(fins),
             "client_ack_times_after_server_fin": acks,
             "client_fin_acked_by": close_pattern(segments)["first_fin_acked_by"],
             "server_ack_of_client_fin_delay": next(
                 a["delay"] for a in acknowledgements(segments)
                 if a["segment"].startswith("client FIN")),
             "states_seen": sorted({r["role"] + " " + r["state"] for r in run.poller.history}),
             "server_last_ack_seen": last_ack is not None,
             "client_time_wait_seen": tw is not None,
             "client_fin_time": client_fin}
    return found, (f"server FIN sent at {fins} (gaps {gaps(fins)} s); "
                   f"client ACKed each copy at {acks}")


@scenario("final_ack_lost", 20007, 21007,
          "Client closes first; the server closes 200 ms later; the client's ACK "
          f"of the server's FIN is dropped {FINAL_ACK_DROPS} times, so the server "
          "(LAST-ACK) retransmits its FIN and the client (TIME-WAIT) ACKs again.",
          analyse_final_ack_lost)
def final_ack_lost(run: Run) -> None:
    pure_ack = ["--sport", str(run.client_port), "--dport", str(run.server_port),
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
            with DropRule("final_ack_lost", pure_ack, limit=FINAL_ACK_DROPS) as rule:
                time.sleep(max(0.0, eof_at + 0.2 - time.time()))
                server.close()
                run.note("server: close()")
                for _ in range(100):  # wait (max 5 s) for the server socket to go
                    time.sleep(0.05)
                    if not any(r["role"] == "server" and r["gone_by"]
                               for r in run.poller.history):
                        continue
                    break
        run.facts["drops"] = rule.drops
        time.sleep(0.3)


# 8 -------------------------------------------------------------------------

def analyse_time_wait(run: Run, segments: list[dict]) -> tuple[dict, str]:
    tw = run.poller.first("client", "TIME-WAIT")
    final_ack = [s for s in segments if s["src"] == "client" and s["flags"] == "ACK"][-1]
    found = {
        "time_wait_first_seen": tw["first_seen"], "time_wait_last_seen": tw["last_seen"],
        "socket_gone_by": tw["gone_by"], "ss_timer_when_first_seen": tw["timer"],
        "final_ack_time": final_ack["time"],
        "time_wait_length": round(tw["gone_by"] - final_ack["time"], 3),
        "time_wait_length_lower_bound": round(tw["last_seen"] - final_ack["time"], 3),
        "poll_interval": 0.1,
    }
    return found, (f"TIME-WAIT lasted {found['time_wait_length_lower_bound']}-"
                   f"{found['time_wait_length']} s after the final ACK")


@scenario("time_wait_length", 20008, 21008,
          "Normal open and close (client first); polls ss until the client's "
          "TIME-WAIT socket disappears, to measure how long TIME-WAIT lasts.",
          analyse_time_wait, time_limit=100)
def time_wait_length(run: Run) -> None:
    run.poller.interval = 0.1
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
    for _ in range(900):  # at most 90 s
        time.sleep(0.1)
        tw = run.poller.first("client", "TIME-WAIT")
        if tw and tw["gone_by"]:
            break
    run.note("client: TIME-WAIT socket gone")


# 9 -------------------------------------------------------------------------

def analyse_syn_retries(run: Run, segments: list[dict]) -> tuple[dict, str]:
    syns = times_of(segments, "client", "SYN")
    found = {"tcp_syncnt": SYNCNT, "client_syn_times": syns, "syn_gaps": gaps(syns),
             **run.facts}
    return found, (f"TCP_SYNCNT={SYNCNT}: {len(syns)} SYNs at {syns}; connect() failed with "
                   f"{run.facts['connect_error']} after {run.facts['connect_took']} s")


@scenario("syn_retries_exhausted", 20009, 21009,
          f"Every SYN is dropped; the client has TCP_SYNCNT={SYNCNT}. Shows when "
          "connect() gives up and with which error.",
          analyse_syn_retries, time_limit=90)
def syn_retries_exhausted(run: Run) -> None:
    syn = ["--dport", str(run.server_port), "--tcp-flags", "FIN,SYN,RST,ACK", "SYN"]
    with tcp_listener(LOOPBACK, run.server_port), \
            tcp_socket(LOOPBACK, run.client_port, timeout=80) as client, \
            DropRule("syn_retries_exhausted", syn):
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, SYNCNT)
        start = time.time()
        try:
            client.connect((LOOPBACK, run.server_port))
            run.facts["connect_error"] = None
        except OSError as exc:
            run.facts["connect_error"] = errno.errorcode.get(exc.errno, str(exc))
            run.facts["connect_error_message"] = exc.strerror or str(exc)
        run.facts["connect_took"] = round(time.time() - start, 3)
        run.note(f"client: connect() -> {run.facts['connect_error']}")


# 10 ------------------------------------------------------------------------

def analyse_simultaneous(run: Run, segments: list[dict]) -> tuple[dict, str]:
    states = {role: [r["state"] for r in run.poller.history if r["role"] == role]
              for role in ("client", "server")}
    flags = [f'{s["src"]} {s["flags"]}' for s in segments]
    found = {"segments_seen_at_A": flags, "states": states, **run.facts,
             "one_way_delay": ONE_WAY_DELAY}
    return found, f"A: {' > '.join(states['client'])}; B: {' > '.join(states['server'])}"


@scenario("simultaneous_open", 20010, 21010,
          "Two sockets, A (198.18.0.1:21010, role 'client') and B (198.18.0.2:20010, "
          "role 'server'), connect() to each other at the same moment over a path "
          "with 100 ms one-way delay, so the SYNs cross. Captured at A.",
          analyse_simultaneous, delayed_path=True)
def simultaneous_open(run: Run) -> None:
    with inside_netns(NS_A):
        a = tcp_socket(ADDR_A, run.client_port)
    with inside_netns(NS_B):
        b = tcp_socket(ADDR_B, run.server_port)
    with a, b:
        a.setblocking(False)
        b.setblocking(False)
        a.connect_ex((ADDR_B, run.server_port))
        b.connect_ex((ADDR_A, run.client_port))
        run.note("A and B: connect() started")
        writable: set[socket.socket] = set()
        deadline = time.monotonic() + 10
        while len(writable) < 2 and time.monotonic() < deadline:
            writable |= set(select.select([], [a, b], [], 0.5)[1])
        run.facts["connect_errors"] = {
            name: errno.errorcode.get(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), "OK")
            for name, s in (("A", a), ("B", b))}
        run.note("A and B: connected")
        time.sleep(0.5)
        a.close()
        time.sleep(0.5)
        b.close()
        time.sleep(0.6)


@scenario("simultaneous_close", 20011, 21011,
          "A connects to a listener at B over the 100 ms path; then both close() "
          "at the same moment, so the FINs cross (both go through CLOSING to "
          "TIME-WAIT). Captured at A.",
          analyse_simultaneous, delayed_path=True)
def simultaneous_close(run: Run) -> None:
    with inside_netns(NS_A):
        a = tcp_socket(ADDR_A, run.client_port)
    with inside_netns(NS_B):
        listener = tcp_listener(ADDR_B, run.server_port)
    with a, listener:
        a.connect((ADDR_B, run.server_port))
        b, _ = listener.accept()
        run.note("A: connected")
        time.sleep(0.5)
        a.close()
        b.close()
        run.note("A and B: close()")
        time.sleep(1.0)


@scenario("self_connect", 20012, 20012,
          "One socket bound to 127.0.0.1:20012 connects to 127.0.0.1:20012, "
          "i.e. to itself: a simultaneous open on plain loopback.",
          analyse_simultaneous)
def self_connect(run: Run) -> None:
    with tcp_socket(LOOPBACK, run.server_port) as sock:
        sock.connect((LOOPBACK, run.server_port))
        run.note("socket: connect() to itself returned")
        sock.sendall(b"hello")
        run.facts["echo"] = recv_exactly(sock, 5).decode()
        time.sleep(0.2)
        sock.close()
        run.note("socket: close()")
        time.sleep(0.3)


# ---------------------------------------------------------------------------
# Running a scenario and writing its files
# ---------------------------------------------------------------------------

def clear_old_sockets(port: int, namespaces: tuple[str | None, ...]) -> int:
    """Kill leftover sockets (e.g. TIME-WAIT from an earlier run) on `port`."""
    killed = 0
    for ns in namespaces:
        cmd = ["ss", "-K", "-tanH"] + (["-N", ns] if ns else [])
        cmd.append(f"( sport = :{port} or dport = :{port} )")
        killed += len(sh(*cmd).splitlines())
    return killed


def _on_alarm(signum: int, frame: object) -> None:
    raise ScenarioTimeout("time limit reached")


def run_scenario(sc: Scenario, kernel: str) -> str:
    """Run one scenario, write its .pcap and .json; return a one-line result."""
    pcap = CAPTURES / f"{sc.name}.pcap"
    roles = {sc.client_port: "client", sc.server_port: "server"}
    namespaces: tuple[str | None, ...] = (NS_A, NS_B) if sc.delayed_path else (None,)
    run = Run(sc)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(sc.time_limit)
    try:
        with contextlib.ExitStack() as stack:
            if sc.delayed_path:
                stack.enter_context(delayed_path())
            else:
                clear_old_sockets(sc.server_port, namespaces)
            stack.enter_context(tcpdump(pcap, f"tcp port {sc.server_port}",
                                        interface=TUN_A if sc.delayed_path else "lo",
                                        netns=NS_A if sc.delayed_path else None))
            counters_before = read_counters(namespaces[0])
            run.poller = StatePoller(sc.server_port, roles, namespaces)
            run.poller.start()
            try:
                sc.body(run)
            finally:
                run.poller.stop()
            counters_after = read_counters(namespaces[0])
    finally:
        signal.alarm(0)

    packets = read_pcap(pcap)
    if not packets:
        raise RuntimeError("no packets captured")
    t0 = packets[0]["time"]
    segments = summarise(packets, roles, t0)

    def rel(t: float | None) -> float | None:
        return None if t is None else round(t - t0, 6)

    for row in run.poller.history:
        for key in ("first_seen", "last_seen", "gone_by"):
            row[key] = rel(row[key])
    findings, headline = sc.analyse(run, segments)
    findings["acknowledgements"] = acknowledgements(segments)
    findings["kernel_counters"] = {
        key: counters_after[key] - counters_before[key] for key in counters_before
        if counters_after.get(key, 0) != counters_before[key]}
    summary = {
        "scenario": sc.name,
        "description": sc.description,
        "kernel": kernel,
        "capture": pcap.name,
        "client": f"{ADDR_A if sc.delayed_path else LOOPBACK}:{sc.client_port}",
        "server": f"{ADDR_B if sc.delayed_path else LOOPBACK}:{sc.server_port}",
        "time_zero_utc": datetime.datetime.fromtimestamp(t0, datetime.timezone.utc).isoformat(),
        "segments": segments,
        "socket_states": run.poller.history,
        "events": [{"time": rel(t), "what": what} for t, what in run.events],
        "findings": findings,
    }
    (CAPTURES / f"{sc.name}.json").write_text(json.dumps(summary, indent=1) + "\n")
    return f"{len(segments)} segments, {pcap.stat().st_size} bytes; {headline}"


def read_sysctl(name: str) -> str | None:
    """Value of a sysctl from /proc/sys, or None if this kernel lacks it."""
    path = Path("/proc/sys") / name.replace(".", "/")
    try:
        return " ".join(path.read_text().split())
    except OSError:
        return None


def write_environment() -> str:
    """Write captures/environment.json; return the kernel release."""
    kernel = platform.release()
    env = {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "kernel": kernel,
        "kernel_version": platform.version(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "tcpdump": sh("tcpdump", "--version", check=False).splitlines()[0:1],
        "loopback_mtu": int(Path("/sys/class/net/lo/mtu").read_text()),
        "sysctls": {name: read_sysctl(name) for name in SYSCTLS},
    }
    (CAPTURES / "environment.json").write_text(json.dumps(env, indent=1) + "\n")
    return kernel


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

    CAPTURES.mkdir(exist_ok=True)
    kernel = write_environment()
    remove_leftover_rules()
    failed = 0
    for name in args.scenarios or list(SCENARIOS):
        try:
            print(f"{name}: {run_scenario(SCENARIOS[name], kernel)}", flush=True)
        except Exception as exc:  # report and go on with the next scenario
            failed += 1
            print(f"{name}: FAILED: {type(exc).__name__}: {exc}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
