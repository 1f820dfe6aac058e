"""tcpnb.capture: pcap and pcapng files of one TCP connection -> Trace, and every way a file is bad."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import dpkt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcpnb import Flags, Origin, Trace, text_ladder
from tcpnb.real import capture
from tcpnb.real.capture import CaptureError, load
from tcpnb.views.ladder import ladder

CAPTURES = Path(__file__).resolve().parent.parent / "tcpnb" / "real" / "captures"
PCAPS = sorted(CAPTURES.glob("*.pcap"))


def frames(name: str) -> tuple[int, list[tuple[float, bytes]]]:
    """(link type, [(time, frame)]) of a committed capture."""
    with open(CAPTURES / f"{name}.pcap", "rb") as f:
        reader = dpkt.pcap.Reader(f)
        return reader.datalink(), [(ts, bytes(buf)) for ts, buf in reader]


def pcap_bytes(records, linktype=1, nano=False) -> bytes:
    out = io.BytesIO()
    writer = dpkt.pcap.Writer(out, linktype=linktype, nano=nano)
    for ts, frame in records:
        writer.writepkt(frame, ts)
    return out.getvalue()


def pcapng_bytes(records, linktype=1, nanoseconds=False) -> bytes:
    """A pcapng file as Wireshark's dumpcap writes it: SHB, one IDB, EPBs."""
    out = io.BytesIO()
    options = [dpkt.pcapng.PcapngOptionLE(code=dpkt.pcapng.PCAPNG_OPT_IF_TSRESOL, data=b"\x09"),
               dpkt.pcapng.PcapngOptionLE(code=dpkt.pcapng.PCAPNG_OPT_ENDOFOPT)] \
        if nanoseconds else None
    idb = dpkt.pcapng.InterfaceDescriptionBlockLE(linktype=linktype, snaplen=262144,
                                                  **({"opts": options} if options else {}))
    writer = dpkt.pcapng.Writer(out, linktype=linktype, idb=idb)
    for ts, frame in records:
        ticks = round(ts * (1e9 if nanoseconds else 1e6))
        writer.writepkt(dpkt.pcapng.EnhancedPacketBlockLE(
            ts_high=ticks >> 32, ts_low=ticks & 0xFFFFFFFF, pkt_data=frame))
    return out.getvalue()


def summary(name: str) -> dict:
    return json.loads((CAPTURES / f"{name}.json").read_text())


def rows(trace: Trace) -> list[tuple]:
    return [(t.src, t.dst, str(t.segment), round(t.sent_at, 6)) for t in trace.transmissions]


# ------------------------------------------------------------------ good files
@pytest.mark.parametrize("path", PCAPS, ids=[p.stem for p in PCAPS])
def test_committed_captures_load(path):
    trace = load(path)
    data = summary(path.stem)
    assert trace.endpoints == (("self",) if path.stem == "self_connect" else ("client", "server"))
    assert len(trace.transmissions) == len(data["segments"])
    assert trace.transmissions[0].sent_at == 0.0
    assert trace.params["addresses"]["self" if path.stem == "self_connect" else "client"] \
        == data["client"]
    assert text_ladder(trace)  # the text view draws it
    ladder(trace)           # and so does the plotly one


def test_relative_numbers_like_wireshark():
    trace = load(CAPTURES / "normal_close.pcap")
    first = [str(t.segment) for t in trace.transmissions[:4]]
    assert first == ["<SEQ=0><CTL=SYN>", "<SEQ=0><ACK=1><CTL=SYN,ACK>", "<SEQ=1><ACK=1><CTL=ACK>",
                     "<SEQ=1><ACK=1><CTL=PSH,ACK><DATA=1000>"]
    raw = load(CAPTURES / "normal_close.pcap", relative=False)
    assert [t.segment.seq for t in raw.transmissions] == [s["seq_raw"] for s in
                                                           summary("normal_close")["segments"]]
    assert raw.params["isn"] == trace.params["isn"] and trace.params["relative"]
    assert raw.transmissions[0].segment.seq == trace.params["isn"]["client"]


def test_a_side_without_syn_counts_from_its_first_number():
    linktype, records = frames("normal_close")
    full, cut = load(CAPTURES / "normal_close.pcap"), load(pcap_bytes(records[3:], linktype))
    # Without the handshake each side counts from its first segment, one past its SYN.
    assert [(s.seq, s.ack) for s in cut.segments()] == [(s.seq - 1, s.ack - 1)
                                                        for s in full.segments()[3:]]
    raw = load(pcap_bytes(records, linktype), relative=False).params["isn"]
    assert cut.params["isn"] == {side: isn + 1 for side, isn in raw.items()}


def test_a_side_that_only_resets_has_no_isn():
    trace = load(CAPTURES / "refused.pcap")
    rst = trace.transmissions[1].segment  # its SEQ is 0, as RFC 9293 §3.10.7.1 says
    assert (trace.transmissions[1].src, str(rst)) == ("server", "<SEQ=0><ACK=1><CTL=RST,ACK>")
    assert list(trace.params["isn"]) == ["client"] and rst.window == 0


def test_names_and_self_connect():
    trace = load(CAPTURES / "syn_lost.pcap", names=("A", "B"))
    assert trace.endpoints == ("A", "B") and trace.transmissions[0].src == "A"
    me = load(CAPTURES / "self_connect.pcap")
    assert me.endpoints == ("self",) and {t.src for t in me.transmissions} == {"self"}
    assert str(me.transmissions[1].segment) == "<SEQ=0><ACK=1><CTL=SYN,ACK>"
    with pytest.raises(CaptureError, match="names must be two different"):
        load(CAPTURES / "syn_lost.pcap", names=("A", "A"))


def test_retransmissions_are_marked():
    trace = load(CAPTURES / "syn_lost.pcap")
    origins = [t.origin for t in trace.transmissions if t.segment.flags == Flags.SYN]
    assert origins == [Origin.ORIGINAL] + [Origin.RETRANSMISSION] * 6
    fins = [t.origin for t in load(CAPTURES / "final_ack_lost.pcap").transmissions
            if t.src == "server" and Flags.FIN in t.segment.flags]
    assert fins == [Origin.ORIGINAL] + [Origin.RETRANSMISSION] * 4


def test_capture_facts_kept():
    trace = load(CAPTURES / "normal_close.pcap")
    t = trace.transmissions
    assert t[0].arrived_at == t[0].sent_at and t[0].fate.value == "delivered"
    assert trace.params["options"][0] == {"mss": 65495, "sack_perm": True,
                                          "ts": trace.params["options"][0]["ts"], "wscale": 10}
    assert trace.params["window_scale"] == {"client": 10, "server": 10}
    assert t[0].segment.window == 65495  # a SYN's window is never scaled
    assert t[3].segment.window == trace.params["raw_window"][3] << 10 == 64 << 10
    assert t[3].segment.length == 1000 and len(t[3].segment.data) == 1000  # snaplen 128
    assert t[3].segment.data[:8] == b"q" * 8 and t[3].segment.data[-8:] == b"\0" * 8
    assert (t[0].segment.src_port, t[0].segment.dst_port) == (21001, 20001)
    assert trace.end_time == t[-1].sent_at and trace.params["format"] == "pcap"
    assert trace.params["time_zero"] > 1.7e9


@pytest.mark.parametrize("write", [
    lambda recs, lt: pcapng_bytes(recs, lt),
    lambda recs, lt: pcapng_bytes(recs, lt, nanoseconds=True),
    lambda recs, lt: pcap_bytes(recs, lt, nano=True),
], ids=["pcapng", "pcapng-ns", "pcap-ns"])
@pytest.mark.parametrize("name", ["normal_close", "simultaneous_open"])
def test_pcapng_and_nanosecond_files_read_the_same(write, name):
    linktype, recs = frames(name)
    expected = rows(load(CAPTURES / f"{name}.pcap"))
    assert rows(load(write(recs, linktype))) == expected


def _cooked(recs, version):
    """The same packets as `tcpdump -i any` records them (Linux cooked capture)."""
    out = []
    for ts, frame in recs:
        ip = bytes(dpkt.ethernet.Ethernet(frame).data)
        if version == 1:
            header = dpkt.sll.SLL(type=0, hrd=772, hlen=6, hdr=b"\0" * 8, ethtype=0x0800)
        else:
            header = dpkt.sll2.SLL2(etype=0x0800, ifindex=1, hatype=772, pkttype=0, hlen=6)
        out.append((ts, bytes(header) + ip))
    return out


@pytest.mark.parametrize("version, linktype", [(1, 113), (2, 276)])
def test_linux_cooked_captures(version, linktype):
    _, recs = frames("half_close")
    expected = rows(load(CAPTURES / "half_close.pcap"))
    assert rows(load(pcap_bytes(_cooked(recs, version), linktype))) == expected


def test_bsd_loopback_and_ipv6():
    _, recs = frames("synack_lost")
    six, null = [], []
    for ts, frame in recs:
        ip = dpkt.ethernet.Ethernet(frame).data
        tcp = ip.data
        packet = dpkt.ip6.IP6(src=b"\0" * 15 + b"\1", dst=b"\0" * 15 + b"\1", nxt=6, hlim=64,
                              plen=len(bytes(tcp)), data=tcp)
        six.append((ts, bytes(packet)))
        null.append((ts, (2).to_bytes(4, "little") + bytes(ip)))
    expected = rows(load(CAPTURES / "synack_lost.pcap"))
    assert rows(load(pcap_bytes(six, 229))) == expected
    assert rows(load(pcap_bytes(null, 0))) == expected
    assert load(pcap_bytes(six, 229)).params["addresses"]["client"] == "[::1]:21008"


def _merged() -> bytes:
    _, a = frames("normal_close")
    _, b = frames("refused")
    _, c = frames("delayed_ack")
    return pcap_bytes(sorted(a + b + c, key=lambda r: r[0]))


def test_several_connections():
    data = _merged()
    found = capture.connections(data)
    assert found[0].ports in ((21001, 20001), (20001, 21001))
    assert sorted(sorted(c.ports) for c in found) == [[20001, 21001], [20005, 21005],
                                                      [20006, 21006]]
    assert "127.0.0.1:20001 <-> 127.0.0.1:21001 (11 segments)" in [str(c) for c in found]
    with pytest.raises(CaptureError, match=r"3 TCP connections .* choose one with connection="):
        load(data)
    for ports in ((20005, 21005), (21005, 20005)):
        assert rows(load(data, connection=ports)) == rows(load(CAPTURES / "delayed_ack.pcap"))
    with pytest.raises(CaptureError, match="no connection between ports 1 and 2; the file has"):
        load(data, connection=(1, 2))
    with pytest.raises(CaptureError, match="connection must be a pair of port numbers"):
        load(data, connection=20005)


# ------------------------------------------------------------------ bad files
def _udp_only() -> bytes:
    udp = dpkt.udp.UDP(sport=53, dport=5353, data=b"hello")
    udp.ulen = len(bytes(udp))
    ip = dpkt.ip.IP(src=b"\x7f\0\0\1", dst=b"\x7f\0\0\1", p=17, data=udp)
    ip.len = len(bytes(ip))
    frame = dpkt.ethernet.Ethernet(src=b"\0" * 6, dst=b"\0" * 6, type=0x0800, data=ip)
    return pcap_bytes([(1.0, bytes(frame))] * 3)


GOOD = (CAPTURES / "normal_close.pcap").read_bytes()
BAD = {
    "empty": (b"", "the file is empty"),
    "header only": (GOOD[:24], "no TCP segments in this capture (no packets at all)"),
    "cut in the file header": (GOOD[:10], "truncated"),
    "cut in a record header": (GOOD[:24 + 16 + 74 + 7], "truncated"),
    "cut in a packet": (GOOD[:-5], "truncated: the last packet record is cut short"),
    "cut after a record header": (GOOD[:24 + 16], "truncated"),
    "text": (b"# tcpnb notes\nnot a capture\n", "not a pcap or pcapng file"),
    "json": ((CAPTURES / "normal_close.json").read_bytes(), "not a pcap or pcapng file"),
    "no TCP": (_udp_only(), "3 packets, none of them TCP"),
    "pcapng cut": (pcapng_bytes(frames("normal_close")[1])[:-9], "truncated"),
    "several": (_merged(), "3 TCP connections"),
    "link type": (pcap_bytes(frames("normal_close")[1], linktype=147), "link type 147 is not"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_value_error(case):
    data, message = BAD[case]
    with pytest.raises(CaptureError) as caught:
        load(data)
    text = str(caught.value)
    assert isinstance(caught.value, ValueError) and message in text and "\n" not in text
    assert text.startswith("capture: ")


def test_bad_paths(tmp_path):
    with pytest.raises(CaptureError, match="no such file"):
        load(tmp_path / "missing.pcap")
    with pytest.raises(CaptureError, match="is a directory"):
        load(tmp_path)
    with pytest.raises(CaptureError, match="expected a path, bytes or a binary file"):
        load(42)  # type: ignore[arg-type]
    (tmp_path / "x.pcap").write_bytes(b"")
    with pytest.raises(CaptureError, match=r"^x\.pcap: the file is empty$"):
        load(tmp_path / "x.pcap")
    with open(CAPTURES / "refused.pcap", "rb") as f:
        assert len(load(f).transmissions) == 2  # an open binary file works too
    with open(CAPTURES / "refused.json") as f, pytest.raises(CaptureError, match="binary mode"):
        load(f)  # type: ignore[arg-type]


# ------------------------------------------------------------------ fuzzing
SEEDS = [p.read_bytes() for p in PCAPS] + [pcapng_bytes(frames(n)[1], frames(n)[0])
                                           for n in ("normal_close", "simultaneous_open")]


@st.composite
def mutated(draw):
    """A real capture with some bytes cut, flipped, inserted or deleted."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "flip", "set", "set", "insert", "delete",
                                     "truncate"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "truncate":
            del data[at:]
        elif kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        elif data:
            data[at] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, 0x02, 0x12, 0x11]))
    return bytes(data)


@settings(max_examples=int(os.environ.get("TCPNB_FUZZ_EXAMPLES", "300")), deadline=2000,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_fuzz_only_capture_errors(data):
    try:
        trace = load(data)
    except CaptureError as error:
        assert "\n" not in str(error)
    else:
        assert isinstance(trace, Trace) and trace.transmissions
        assert text_ladder(trace)
