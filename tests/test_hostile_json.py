"""Hostile JSON from a camera (or a client): deep nesting, odd types, values out of their domain.

The framer, the protocol object and every result parser give messages, in-domain values or
`ProtocolError`, nothing else (property tests); deep nesting fails at once on both the real
client and the real emulator over loopback; the CLI never prints an out-of-domain value.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yicam import Camera, ProtocolError
from yicam._session.results import (
    Battery,
    DirEntry,
    Options,
    Storage,
    optional_text,
    parse_battery,
    parse_date,
    parse_int,
    parse_listing,
    parse_media_duration,
    parse_options,
    parse_settings,
    parse_storage,
    parse_text,
)
from yicam._wire.framing import MAX_DEPTH, JsonStreamFramer
from yicam._wire.messages import Notification, Reply, Request
from yicam._wire.protocol import Role, YiProtocol
from yicam.emulator import Emulator

from .cli_helpers import LoopThread, yicam
from .scripted import scripted_camera, session_then
from .test_cli import failed

DEEP = [b"[" * 100_000, b'{"a":' * 100_000]

# -- JSON-ish values: every JSON type, odd numbers, long and control-laden text, deep nesting --

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["-1", "101", "86", " 7 ", "1e3", "\uff11\uff12", "\x1b[31m", "9" * 40, ""]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def nested(draw: st.DrawFn) -> Any:
    """A value wrapped in up to twice MAX_DEPTH lists and objects."""
    value = draw(json_values)
    for as_list in draw(st.lists(st.booleans(), max_size=2 * MAX_DEPTH)):
        value = [value] if as_list else {"k": value}
    return value


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


# -- the framer and the protocol object ------------------------------------------------------


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(nested(), st.lists(st.integers(min_value=0, max_value=10_000), max_size=6))
def test_framer_gives_the_object_or_protocol_error(value: Any, cuts: list[int]) -> None:
    obj = {"rval": 0, "msg_id": 1, "param": value}
    wire = json.dumps(obj).encode()
    framer = JsonStreamFramer()
    bounds = sorted({0, len(wire), *(c % (len(wire) + 1) for c in cuts)})
    got: list[dict[str, Any]] = []
    try:
        for start, end in itertools.pairwise(bounds):
            got += framer.feed(wire[start:end])
    except ProtocolError:
        assert depth(obj) > MAX_DEPTH
        return
    assert depth(obj) <= MAX_DEPTH
    assert got == [json.loads(wire)]


@settings(max_examples=200)
@given(st.lists(st.one_of(nested().map(json.dumps), st.binary(max_size=30)), max_size=6))
def test_protocol_gives_messages_or_protocol_error_on_both_sides(pieces: list[Any]) -> None:
    data = b"".join(p.encode() if isinstance(p, str) else p for p in pieces)
    for role in (Role.CLIENT, Role.CAMERA):
        protocol = YiProtocol(role)
        try:
            messages = protocol.receive_data(data) + protocol.receive_data(b"")
        except ProtocolError:
            continue
        assert all(isinstance(m, Request | Reply | Notification) for m in messages)


def test_nesting_within_the_limit_is_fine() -> None:
    value: Any = 1
    for _ in range(MAX_DEPTH - 1):
        value = [value]
    assert JsonStreamFramer().feed(json.dumps({"p": value}).encode())[0]["p"] == value


@pytest.mark.parametrize("garbage", DEEP, ids=["brackets", "objects"])
def test_deep_nesting_is_refused_before_the_object_ends(garbage: bytes) -> None:
    framer = JsonStreamFramer()
    with pytest.raises(ProtocolError, match=f"nested deeper than {MAX_DEPTH}"):
        framer.feed(b'{"rval":0,"msg_id":13,"param":' + garbage[:1000])  # never closed
    assert framer.pending == 0


# -- every result parser ---------------------------------------------------------------------


def _outcome(parse: Any, *args: Any) -> Any:
    try:
        return parse(*args)
    except ProtocolError:
        return ProtocolError


@given(json_values, json_values)
def test_scalar_parsers_stay_in_their_domains(value: Any, other: Any) -> None:
    number = _outcome(parse_int, value, "n", 0, 100)
    assert number is ProtocolError or (type(number) is int and 0 <= number <= 100)
    text = _outcome(parse_text, value, "t")
    assert text is ProtocolError or type(text) is str
    assert optional_text(value) in (None, value)
    seconds = parse_media_duration(value)
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)
    when = parse_date(value)
    assert when is None or when.year >= 1
    battery = _outcome(parse_battery, value, other)
    assert battery is ProtocolError or (isinstance(battery, Battery) and 0 <= battery.level <= 100)
    storage = _outcome(parse_storage, value, other)
    assert storage is ProtocolError or (
        isinstance(storage, Storage) and storage.total >= 0 and storage.free >= 0
    )


@given(json_values)
def test_settings_parser_gives_text_or_protocol_error(param: Any) -> None:
    found = _outcome(parse_settings, param)
    assert found is ProtocolError or all(
        type(k) is str and type(v) is str for k, v in found.items()
    )


@given(json_values, json_values, json_values)
def test_options_parser_gives_text_or_protocol_error(
    options: Any, permission: Any, param: Any
) -> None:
    for reply in ({"options": options, "permission": permission}, {"param": param}):
        found = _outcome(parse_options, "video_quality", reply)
        assert found is ProtocolError or (
            isinstance(found, Options)
            and type(found.permission) is str
            and all(type(o) is str for o in found.options)
        )


@given(
    st.one_of(
        json_values,
        st.lists(st.dictionaries(st.text(max_size=8), json_values, max_size=4), max_size=8),
    )
)
def test_listing_parser_gives_entries_or_protocol_error(listing: Any) -> None:
    found = _outcome(parse_listing, listing)
    assert found is ProtocolError or all(
        isinstance(e, DirEntry) and type(e.name) is str and e.size >= 0 for e in found
    )


def test_listing_size_with_thousands_of_digits_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        parse_listing([{"a.jpg": "9" * 5000 + " bytes"}])


# -- over loopback: the real client and the real emulator --------------------------------------


@pytest.mark.parametrize("garbage", DEEP, ids=["brackets", "objects"])
async def test_client_fails_at_once_on_deep_nesting(garbage: bytes) -> None:
    def reply(request: dict[str, object]) -> bytes:
        return b'{"rval":0,"msg_id":13,"param":' + garbage

    # A reader that died silently would leave get_battery waiting out its 30 s timeout.
    async with (
        scripted_camera(session_then(reply)) as port,
        Camera("127.0.0.1", port, timeout=30.0) as cam,
    ):
        with pytest.raises(ProtocolError, match=f"nested deeper than {MAX_DEPTH}"):
            await cam.get_battery()


def test_cli_reports_deep_nesting_in_one_line(loop: LoopThread) -> None:
    port = loop.enter(scripted_camera(session_then(lambda _r: b'{"rval":0,"param":' + DEEP[0])))
    line = failed(yicam(port, "battery", timeout=30.0))
    assert f"nested deeper than {MAX_DEPTH} levels" in line


@pytest.mark.parametrize("garbage", DEEP, ids=["brackets", "objects"])
async def test_emulator_answers_deep_nesting_and_keeps_serving(
    emulator: Emulator, garbage: bytes
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", emulator.port)
    try:
        writer.write(b'{"msg_id":257,"token":0}')
        framer = JsonStreamFramer()

        async def next_reply() -> dict[str, Any]:
            while True:
                for obj in framer.feed(await reader.read(65536)):
                    if "rval" in obj:
                        return obj

        async with asyncio.timeout(10):
            token = (await next_reply())["param"]
            writer.write(b'{"msg_id":13,"token":%d,"x":' % token + garbage)
            assert (await next_reply())["rval"] == -7  # refused at once, connection kept
    finally:
        writer.close()
        await writer.wait_closed()
    async with Camera("127.0.0.1", emulator.port, timeout=5.0) as cam:
        assert (await cam.get_battery()).level == emulator.state.battery


# -- values out of their domain never reach the terminal as if valid ---------------------------


@pytest.mark.parametrize(
    ("msg_id", "param", "args", "message"),
    [
        (13, "-1", ["battery"], "battery level: -1 is outside 0..100"),
        (13, 250, ["battery"], "battery level: 250 is outside 0..100"),
        (515, -1, ["record", "time"], "record time (the camera may not be recording): -1"),
        (1, ["a", "b"], ["get", "video_quality"], "expected a text value, got ['a', 'b']"),
        (1, None, ["get", "video_quality"], "expected a text value, got None"),
        (3, [{"video_quality": {"x": 1}}], ["settings"], "expected a text value"),
        (5, -5, ["info"], "space: -5 is outside 0.."),
    ],
)
def test_out_of_domain_values_are_errors_not_output(
    loop: LoopThread, msg_id: int, param: object, args: list[str], message: str
) -> None:
    def reply(request: dict[str, object]) -> bytes:
        fields: dict[str, object] = {"rval": 0, "msg_id": request["msg_id"]}
        if request["msg_id"] == msg_id:
            fields["param"] = param
        elif request["msg_id"] == 11:
            fields["fw_ver"] = "1.0"
        return json.dumps(fields).encode()

    port = loop.enter(scripted_camera(session_then(reply)))
    line = failed(yicam(port, *args))
    assert message in line
    result = yicam(port, "--json", *args)
    assert result.stdout == ""
    assert message in json.loads(result.stderr)["error"]
