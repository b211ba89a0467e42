"""The control-stream framer and message classification (no sockets)."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yicam import ProtocolError
from yicam._wire.framing import JsonStreamFramer
from yicam._wire.ids import Notify
from yicam._wire.messages import Notification, Reply, Request, Style, encode
from yicam._wire.protocol import Role, YiProtocol

# A Yi 1 stream as captured (PBAJA, SOVGVD): spaced and compact objects, \/ escapes,
# a notification before the reply, CRLF between objects, and a multi-byte character.
CAPTURED = (
    b'{ "msg_id": 7, "type": "vf_stop" }'
    b'{ "rval": 0, "msg_id": 257, "param": 1 }\r\n'
    b'{"rval":0,"msg_id":13,"type":"adapter","param":"100"}'
    b'{ "msg_id": 7, "type": "start_photo_capture" ,"param":"precise quality;off"}'
    b'{ "msg_id": 7, "type": "photo_taken" ,'
    b'"param":"\\/tmp\\/fuse_d\\/DCIM\\/127MEDIA\\/YDXJ0373.jpg"}'
    b'  {"rval":0,"msg_id":1282,"listing":[{"caf\xc3\xa9 {x}.mp4":"10 bytes|2015-05-25 14:35:18"}]}'
)
EXPECTED = [
    {"msg_id": 7, "type": "vf_stop"},
    {"rval": 0, "msg_id": 257, "param": 1},
    {"rval": 0, "msg_id": 13, "type": "adapter", "param": "100"},
    {"msg_id": 7, "type": "start_photo_capture", "param": "precise quality;off"},
    {"msg_id": 7, "type": "photo_taken", "param": "/tmp/fuse_d/DCIM/127MEDIA/YDXJ0373.jpg"},
    {"rval": 0, "msg_id": 1282, "listing": [{"café {x}.mp4": "10 bytes|2015-05-25 14:35:18"}]},
]


def test_captured_stream_in_one_read() -> None:
    assert JsonStreamFramer().feed(CAPTURED) == EXPECTED


def test_every_single_split_point() -> None:
    for cut in range(len(CAPTURED) + 1):
        framer = JsonStreamFramer()
        assert framer.feed(CAPTURED[:cut]) + framer.feed(CAPTURED[cut:]) == EXPECTED, cut


@given(st.lists(st.integers(min_value=0, max_value=len(CAPTURED)), max_size=30))
def test_any_splits_yield_the_same_messages(cuts: list[int]) -> None:
    framer = JsonStreamFramer()
    bounds = [0, *sorted(cuts), len(CAPTURED)]
    got = []
    for start, end in itertools.pairwise(bounds):
        got += framer.feed(CAPTURED[start:end])
    assert got == EXPECTED
    assert framer.pending == 0


@given(
    st.lists(
        st.dictionaries(
            st.text(max_size=8),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=12),
                lambda inner: (
                    st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3)
                ),
                max_leaves=8,
            ),
            max_size=5,
        ),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(list(Style)),
    st.integers(min_value=1, max_value=9),
)
def test_arbitrary_objects_survive_byte_by_byte(
    objects: list[dict[str, object]], style: Style, step: int
) -> None:
    wire = b"".join(encode(obj, style) for obj in objects)
    framer = JsonStreamFramer()
    got = []
    for pos in range(0, len(wire), step):
        got += framer.feed(wire[pos : pos + step])
    assert got == objects


@pytest.mark.parametrize("garbage", [b"hello", b"[1,2]", b"]", b'"text"', b"\x00{}"])
def test_bytes_that_cannot_start_an_object(garbage: bytes) -> None:
    with pytest.raises(ProtocolError, match="expected a JSON object"):
        JsonStreamFramer().feed(garbage)


def test_malformed_object_raises() -> None:
    with pytest.raises(ProtocolError, match="malformed JSON"):
        JsonStreamFramer().feed(b'{"rval": 0,, }')


def test_oversized_object_raises_without_growing_forever() -> None:
    framer = JsonStreamFramer(max_object_size=1 << 20)
    framer.feed(b'{"listing": "')
    for _ in range(15):
        framer.feed(b"x" * 65536)
    with pytest.raises(ProtocolError, match="larger than"):
        framer.feed(b"x" * 131072)
    assert framer.pending == 0


def test_unterminated_object_at_close_raises() -> None:
    protocol = YiProtocol(Role.CLIENT)
    assert protocol.receive_data(b'{"rval":0,') == []
    with pytest.raises(ProtocolError, match="middle of a message"):
        protocol.receive_data(b"")


def test_client_classifies_replies_notifications_and_queries() -> None:
    protocol = YiProtocol(Role.CLIENT)
    wire = b'{"rval":-7}{"msg_id":1793}{"msg_id":7,"type":"battery","param":"75"}{"msg_id":99}'
    reply, query, note, bare = protocol.receive_data(wire)
    assert reply == Reply(0, -7)
    assert isinstance(query, Request)
    assert query.msg_id == 1793
    assert note == Notification(Notify.BATTERY, "75")
    assert bare == Reply(99, 0)  # no rval reads as success, as the camera reads it


def test_unknown_notification_types_pass_through() -> None:
    (note,) = YiProtocol(Role.CLIENT).receive_data(b'{"msg_id":7,"type":"brand_new_event"}')
    assert isinstance(note, Notification)
    assert note.type == "brand_new_event"


def test_camera_side_parses_requests_tolerantly() -> None:
    protocol = YiProtocol(Role.CAMERA)
    good, no_id, bad_id = protocol.receive_data(
        b'{"msg_id":257,"token":0}{}{"msg_id":"x","token":"y"}'
    )
    assert good == Request(257, 0)
    assert no_id == Request(0, None)
    assert bad_id == Request(0, None)


def test_spaced_style_matches_the_yi1_wire_format() -> None:
    wire = YiProtocol(Role.CAMERA, style=Style.SPACED).send(
        Notification(Notify.PHOTO_TAKEN, "/tmp/fuse_d/DCIM/100MEDIA/YDXJ0001.jpg")
    )
    expected = (
        '{ "msg_id": 7, "type": "photo_taken", '
        '"param": "\\/tmp\\/fuse_d\\/DCIM\\/100MEDIA\\/YDXJ0001.jpg" }'
    )
    assert wire.decode() == expected
    assert json.loads(wire)["param"] == "/tmp/fuse_d/DCIM/100MEDIA/YDXJ0001.jpg"


def test_client_requests_are_compact_and_small() -> None:
    wire = YiProtocol(Role.CLIENT).send(Request(1282, 3, {"param": "/tmp/fuse_d/DCIM/ -D -S"}))
    assert wire == b'{"msg_id":1282,"token":3,"param":"/tmp/fuse_d/DCIM/ -D -S"}'


@given(st.lists(st.binary(max_size=64), max_size=20))
def test_random_bytes_give_messages_or_protocol_errors(chunks: list[bytes]) -> None:
    for role in Role:
        protocol = YiProtocol(role)
        for chunk in chunks:
            try:
                messages = protocol.receive_data(chunk)
            except ProtocolError:
                protocol.discard_buffer()  # what the emulator does before answering -7
                continue
            assert all(isinstance(m, Request | Reply | Notification) for m in messages)
