"""The RTP H.264 depacketizer: packet shapes, reordering, wrap-around, losses (and a property)."""

from __future__ import annotations

import base64
import itertools
import struct
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yicam._wire.rtp import RtpPacketizer
from yicam._wire.rtsp import parse_sdp, sdp
from yicam.live.rtp import AccessUnit, H264Depacketizer, RtpPacket, parse_rtp

SPS = bytes.fromhex("6742c015da06c7e840000003004000000f23c58ba8")
PPS = bytes.fromhex("68ce3c80")
WINDOW = 8


def annexb(nals: list[bytes]) -> bytes:
    return b"".join(b"\x00\x00\x00\x01" + nal for nal in nals)


def keyframe(size: int = 3000, fill: int = 1) -> list[bytes]:
    return [SPS, PPS, bytes([0x06, 5, 1, 0x80]), bytes([0x65]) + bytes([fill]) * size]


def pframe(size: int = 500, fill: int = 2) -> list[bytes]:
    return [bytes([0x41]) + bytes([fill]) * size]


def rtp(seq: int, ts: int, payload: bytes, *, marker: bool = False, ssrc: int = 7) -> RtpPacket:
    return RtpPacket(seq & 0xFFFF, ts & 0xFFFFFFFF, marker, 96, ssrc, payload)


def packetize(units: list[list[bytes]], **options: object) -> list[RtpPacket]:
    """The emulator's packetizer, parsed back: one packet list for all units, 3000 ticks apart."""
    packetizer = RtpPacketizer(200, **options)  # type: ignore[arg-type]
    packetizer.seq = 60000  # far from 5000, and wrapping within a few units
    packets = []
    for i, nals in enumerate(units):
        packets += [parse_rtp(p) for p in packetizer.packetize(nals, 1000 + i / 30)]
    return packets


def feed(depack: H264Depacketizer, packets: list[RtpPacket]) -> list[AccessUnit]:
    out = []
    for packet in packets:
        out += depack.push(packet, 0.0)
    return out


@pytest.mark.parametrize(
    "options", [{}, {"stap_a": True}, {"marker": False}, {"stap_a": True, "marker": False}]
)
def test_every_shape_of_the_emulators_packets_comes_back_whole(options: dict[str, bool]) -> None:
    units = [keyframe(), pframe(fill=3), pframe(40, fill=4), keyframe(50, fill=5), pframe(fill=6)]
    packets = packetize(units, **options)
    if options.get("stap_a"):
        assert any(p.payload[0] & 0x1F == 24 for p in packets)
    assert any(p.payload[0] & 0x1F == 28 for p in packets)
    depack = H264Depacketizer()
    got = feed(depack, packets) + depack.flush()
    expected = units if options.get("marker", True) else units[:-1]  # no marker: the last waits
    assert [u.data for u in got] == [annexb(nals) for nals in expected]
    assert all(u.complete for u in got)
    assert [u.keyframe for u in got] == [True, False, False, True, False][: len(got)]
    assert [u.timestamp - got[0].timestamp for u in got] == [3000 * i for i in range(len(got))]
    assert (depack.stats.lost, depack.stats.late, depack.stats.damaged) == (0, 0, 0)


def test_without_marker_a_unit_ends_when_the_next_timestamp_begins() -> None:
    depack = H264Depacketizer()
    idr = keyframe(10)[3]
    assert feed(depack, [rtp(1, 100, SPS), rtp(2, 100, PPS), rtp(3, 100, idr)]) == []
    (unit,) = depack.push(rtp(4, 3100, pframe(10)[0]), 0)
    assert unit.timestamp == 100
    assert unit.data == annexb([SPS, PPS, idr])


def test_the_first_unit_counts_only_from_where_the_server_said_the_stream_starts() -> None:
    idr = keyframe(10)[3]
    joined_late = H264Depacketizer()  # no RTP-Info: a unit opening with a slice may be a tail
    assert feed(joined_late, [rtp(3, 100, idr, marker=True)]) == []
    announced = H264Depacketizer((SPS, PPS), first_seq=3)
    (unit,) = feed(announced, [rtp(3, 100, idr, marker=True)])
    assert unit.data == annexb([SPS, PPS, idr])


def test_sdp_parameter_sets_go_before_a_keyframe_that_lacks_them() -> None:
    text = sdp("127.0.0.1", SPS, PPS, 30)
    track = parse_sdp(text, "rtsp://127.0.0.1:8554/live/")
    assert track.control == "rtsp://127.0.0.1:8554/live/track1"
    assert (track.payload_type, track.clock_rate) == (96, 90000)
    assert track.parameter_sets == (SPS, PPS)
    depack = H264Depacketizer(track.parameter_sets, first_seq=1)
    idr = bytes([0x65, 0x88, 0x80])
    (unit,) = depack.push(rtp(1, 0, idr, marker=True), 0)
    assert unit.data == annexb([SPS, PPS, idr])


def test_in_band_parameter_sets_replace_the_sdps() -> None:
    new_sps = bytes([0x67, 0x4D, 0x40, 0x28, 1, 2, 3])
    new_pps = bytes([0x68, 9, 9])
    depack = H264Depacketizer((SPS, PPS), first_seq=1)
    idr = bytes([0x65, 0x88])
    feed(depack, [rtp(1, 0, new_sps), rtp(2, 0, new_pps), rtp(3, 0, idr, marker=True)])
    assert depack.parameter_sets == (new_sps, new_pps)
    (unit,) = depack.push(rtp(4, 3000, idr, marker=True), 0)
    assert unit.data == annexb([new_sps, new_pps, idr])


def test_sequence_numbers_and_timestamps_wrap_around() -> None:
    units = [keyframe(300)] + [pframe(300, fill=i) for i in range(3, 12)]
    packets = []
    seq, ts = 0xFFFA, 0xFFFFFFFF - 6000
    for nals in units:
        payloads = [n for n in nals[:-1]] + [nals[-1]]
        for i, payload in enumerate(payloads):
            packets.append(rtp(seq, ts, payload, marker=i == len(payloads) - 1))
            seq += 1
        ts += 3000
    got = feed(H264Depacketizer(), packets)
    assert len(got) == len(units)
    assert [b.timestamp - a.timestamp for a, b in itertools.pairwise(got)] == [3000] * 9


def test_reordered_packets_are_put_back_in_order() -> None:
    packets = packetize([keyframe(), pframe(fill=3), pframe(fill=4)])
    packets[1], packets[3] = packets[3], packets[1]
    packets[-1], packets[-2] = packets[-2], packets[-1]
    depack = H264Depacketizer()
    got = feed(depack, packets)
    assert len(got) == 3
    assert all(u.complete for u in got)
    assert depack.stats.late == 0


def test_a_lost_packet_drops_the_frame_and_waits_for_the_next_keyframe() -> None:
    units = [keyframe(), pframe(fill=3), pframe(fill=4), pframe(fill=5), keyframe(fill=6)]
    packets = packetize(units)
    first_p = next(i for i, p in enumerate(packets) if p.timestamp != packets[0].timestamp)
    lost = packets.pop(first_p + 1)  # inside the first P frame
    depack = H264Depacketizer()
    got = feed(depack, packets) + depack.flush()
    assert [u.data for u in got] == [annexb(units[0]), annexb(units[4])]
    assert depack.stats.lost == 1
    assert depack.stats.damaged == 1
    assert depack.stats.skipped == 2  # the intact P frames that follow need the damaged one
    assert lost.seq not in (p.seq for p in packets)


def test_conceal_hands_over_the_intact_nal_units_of_a_damaged_frame() -> None:
    sei = bytes([0x06, 5, 1, 0x80])
    units = [keyframe(), [sei, bytes([0x41]) + bytes(500)], pframe(fill=4)]
    packets = packetize(units)
    second = [i for i, p in enumerate(packets) if p.timestamp == packets[0].timestamp + 3000]
    del packets[second[2]]  # a fragment of the second frame's slice
    depack = H264Depacketizer(conceal=True)
    got = feed(depack, packets) + depack.flush()
    assert [u.complete for u in got] == [True, False, True]
    assert got[1].data == annexb([sei])
    assert depack.stats.damaged == 1


def test_a_late_packet_is_counted_and_ignored() -> None:
    packets = packetize([keyframe(), pframe(fill=3)])
    late = packets.pop(2)
    depack = H264Depacketizer(window=2)
    feed(depack, packets)
    assert depack.push(late, 0) == []
    assert depack.stats.late == 1
    assert depack.stats.lost == 1


def test_a_hole_is_given_up_after_max_wait() -> None:
    packets = packetize([keyframe(), pframe(fill=3), keyframe(fill=4)])
    key_end = next(i for i, p in enumerate(packets) if p.marker)
    depack = H264Depacketizer(max_wait=0.02)
    got = []
    for packet in packets[: key_end + 1] + packets[key_end + 2 :]:
        got += depack.push(packet, 1.0)
    assert len(got) == 1  # the keyframe; the rest waits for the hole
    deadline = depack.deadline()
    assert deadline == pytest.approx(1.02)
    assert depack.expire(1.01) == []
    # The second keyframe follows the damaged frame: after a hole, a unit is only trusted
    # from its predecessor's marker on, so the damaged P frame's marker vouches for it.
    got = depack.expire(1.03)
    assert [u.keyframe for u in got] == [True]
    assert depack.stats.lost == 1


def test_a_wrong_rtp_info_sequence_number_does_not_stall_the_stream() -> None:
    depack = H264Depacketizer(first_seq=5000)
    packets = packetize([keyframe(), pframe(fill=3)])
    assert packets[0].seq != 5000
    got = feed(depack, packets)
    assert [u.keyframe for u in got] == [True, False]


def test_a_new_ssrc_starts_over() -> None:
    depack = H264Depacketizer()
    feed(depack, packetize([keyframe()]))
    got = feed(depack, [rtp(500, 0, pframe()[0], marker=True, ssrc=99)])
    assert got == []  # the new source starts with a P frame: wait for its keyframe
    (unit,) = depack.push(rtp(501, 3000, keyframe()[3], marker=True, ssrc=99), 0)
    assert unit.keyframe


def test_a_frame_that_never_ends_is_not_kept_in_memory() -> None:
    depack = H264Depacketizer()
    chunk = bytes(1400)
    packets = [rtp(0, 0, SPS), rtp(1, 0, bytes([0x7C, 0x85]) + chunk)]
    packets += [rtp(2 + i, 0, bytes([0x7C, 0x05]) + chunk) for i in range(6200)]
    packets.append(rtp(6202, 0, bytes([0x7C, 0x45]) + chunk, marker=True))
    assert feed(depack, packets) == []
    assert depack.stats.damaged == 1
    (unit,) = feed(depack, [rtp(6203, 3000, keyframe(10)[3], marker=True)])
    assert unit.keyframe


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x80" * 11,
        b"\x40" + bytes(15),
        b"\x90\x60" + bytes(10),
        b"\xa0\x60" + bytes(10) + b"\xff",
    ],
)
def test_garbage_is_not_rtp(data: bytes) -> None:
    with pytest.raises(ValueError, match="RTP"):
        parse_rtp(data)


def test_rtp_header_extension_csrc_and_padding() -> None:
    header = struct.pack(">BBHII", 0x80 | 0x20 | 0x10 | 1, 0x80 | 96, 5, 6, 7)
    data = header + bytes(4) + b"\xbe\xde\x00\x01" + bytes(4) + b"\x41\x01" + b"\x00\x02"
    packet = parse_rtp(data)
    assert (packet.seq, packet.timestamp, packet.ssrc, packet.marker) == (5, 6, 7, True)
    assert packet.payload == b"\x41\x01"


def test_broken_sprop_sets_are_skipped() -> None:
    good = base64.b64encode(SPS).decode()
    text = sdp("127.0.0.1", SPS, PPS, 30).replace(good, good + ",!!notbase64")
    assert parse_sdp(text, "rtsp://h/live/").parameter_sets == (SPS, PPS)


# -- the property: whatever the network does, a complete unit is exactly one that was sent ----


@dataclass
class Sent:
    nals: list[bytes]
    seqs: list[int]
    timestamp: int


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[Sent], list[RtpPacket], set[int], int | None]:
    """Units packetized with arbitrary FU-A cuts and STAP-A groups, reordered and thinned."""
    count = draw(st.integers(1, 10))
    marker = draw(st.booleans())
    seq = draw(st.integers(0, 0xFFFF))
    ts = draw(st.integers(0xFFFFFFFF - 20000, 0xFFFFFFFF))
    sent: list[Sent] = []
    packets: list[RtpPacket] = []
    for index in range(count):
        key = index == 0 or draw(st.booleans())
        body = draw(st.binary(min_size=1, max_size=300))
        nals = (
            [SPS, PPS, bytes([0x65]) + body]
            if key
            else [bytes([0x06, 5, index]), bytes([0x41]) + body]
        )
        payloads = _payloads(draw, nals)
        seqs = []
        for i, payload in enumerate(payloads):
            last = i == len(payloads) - 1
            packets.append(rtp(seq, ts, payload, marker=marker and last))
            seqs.append(seq)
            seq = (seq + 1) & 0xFFFF
        sent.append(Sent(nals, seqs, ts))
        ts = (ts + 3000) & 0xFFFFFFFF
    lost = set(draw(st.sets(st.sampled_from([p.seq for p in packets]), max_size=4)))
    jitter = draw(st.lists(st.floats(0, WINDOW - 1), min_size=len(packets), max_size=len(packets)))
    order = sorted(range(len(packets)), key=lambda i: i + jitter[i])
    arriving = [packets[i] for i in order if packets[i].seq not in lost]
    announced = packets[0].seq if draw(st.booleans()) else None  # RTP-Info, or none
    return sent, arriving, lost, announced


def _payloads(draw: st.DrawFn, nals: list[bytes]) -> list[bytes]:
    payloads: list[bytes] = []
    i = 0
    while i < len(nals):
        group = draw(st.integers(1, len(nals) - i))
        if group > 1:
            parts = nals[i : i + group]
            payloads.append(b"\x78" + b"".join(len(n).to_bytes(2, "big") + n for n in parts))
        elif len(nals[i]) > 2 and draw(st.booleans()):
            nal = nals[i]
            cuts = sorted(draw(st.sets(st.integers(2, len(nal) - 1), max_size=5)))
            bounds = [1, *cuts, len(nal)]
            chunks = [nal[a:b] for a, b in itertools.pairwise(bounds)]
            for j, chunk in enumerate(chunks):
                flags = (0x80 if j == 0 else 0) | (0x40 if j == len(chunks) - 1 else 0)
                payloads.append(bytes([(nal[0] & 0xE0) | 28, flags | (nal[0] & 0x1F)]) + chunk)
        else:
            payloads.append(nals[i])
        i += group
    return payloads


@pytest.mark.timeout(300)  # 500 examples: about 20 s alone on a loaded two-core machine
@settings(max_examples=500, deadline=None)
@given(streams(), st.booleans())
def test_no_corrupt_unit_is_ever_complete(
    stream: tuple[list[Sent], list[RtpPacket], set[int], int | None], conceal: bool
) -> None:
    sent, arriving, lost, announced = stream
    depack = H264Depacketizer(window=WINDOW, conceal=conceal, first_seq=announced)
    got = feed(depack, arriving) + depack.flush()
    by_stamp = {s.timestamp: s for s in sent}
    stamps = [u.timestamp for u in got]
    assert stamps == sorted(set(stamps))
    for unit in got:
        if unit.complete:
            match = by_stamp[unit.timestamp & 0xFFFFFFFF]
            assert unit.data == annexb(match.nals), "a complete unit that was never sent"
            assert not lost & set(match.seqs)
        else:
            assert conceal
    if announced is not None:
        assert depack.stats.late == 0
    first = arriving[0].seq == sent[0].seqs[0] if arriving else False
    if not lost and (
        announced is not None or first
    ):  # everything arrives: every unit comes back (without marker, all but the last)
        marker = any(p.marker for p in arriving)  # without, the last unit never ends
        expected = [annexb(s.nals) for s in sent][: None if marker else -1]
        assert [u.data for u in got] == expected
        assert all(u.complete for u in got)


def test_stray_packets_between_frames_cost_nothing() -> None:
    import random

    from yicam.emulator.faults import junk_packet

    packetizer = RtpPacketizer(200)
    rng = random.Random(3)
    depack = H264Depacketizer()
    units = [keyframe(), *[pframe(fill=i) for i in range(3, 11)], keyframe(fill=11)]
    got, strays = [], 0
    for i, nals in enumerate(units):
        for data in packetizer.packetize(nals, 1000 + i / 30):
            got += depack.push(parse_rtp(data), 0.0)
        for shape in range(4):  # every kind of junk after every frame
            try:
                junk = parse_rtp(junk_packet(packetizer, rng, shape))
            except ValueError:
                continue  # not even RTP: the engine never hands it over
            strays += 1
            got += depack.push(junk, 0.0)
    assert [u.data for u in got] == [annexb(nals) for nals in units]
    assert all(u.complete for u in got)
    assert depack.stats.stray == strays
    assert (depack.stats.lost, depack.stats.late, depack.dropped) == (0, 0, 0)
