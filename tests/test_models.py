"""Parsers for what different firmwares send: both readings of every uncertain field."""

from __future__ import annotations

from datetime import datetime

import pytest

from yicam import ProtocolError
from yicam._session.results import DirEntry, Options, parse_int, parse_listing, parse_options


def test_listing_as_the_official_sdk_parses_it() -> None:
    listing = [
        {"YDXJ1155.mp4": "391922457 bytes|2015-05-25 14:35:18"},
        {"101MEDIA/": "4096 bytes|2015-05-25 14:00:00"},
    ]
    assert parse_listing(listing) == [
        DirEntry("YDXJ1155.mp4", 391922457, datetime(2015, 5, 25, 14, 35, 18), False),
        DirEntry("101MEDIA", 4096, datetime(2015, 5, 25, 14, 0), True),
    ]


@pytest.mark.parametrize(
    ("value", "size", "modified"),
    [
        ("12 bytes", 12, None),  # listed without -D
        ("12 byte|2015-05-25 14:35:18", 12, datetime(2015, 5, 25, 14, 35, 18)),
        (" 12 bytes | 2015-05-25 14:35:18 ", 12, datetime(2015, 5, 25, 14, 35, 18)),
    ],
)
def test_listing_variants(value: str, size: int, modified: datetime | None) -> None:
    (entry,) = parse_listing([{"a.jpg": value}])
    assert (entry.size, entry.modified) == (size, modified)


@pytest.mark.parametrize(
    "listing", [{"a": "1 bytes"}, [["a"]], [{"a.jpg": "big|2015"}], [{"a.jpg": 12}]]
)
def test_listing_garbage_is_a_protocol_error(listing: object) -> None:
    with pytest.raises(ProtocolError):
        parse_listing(listing)


def test_options_from_msg_9() -> None:
    reply = {"permission": "readonly", "param": "video_standard", "options": ["NTSC", "PAL"]}
    assert parse_options("video_standard", reply) == Options(
        "video_standard", "readonly", ("NTSC", "PAL")
    )


def test_options_in_the_2015_settable_form() -> None:
    reply = {"param": [{"meter_mode": "settable:center#average#spot"}]}
    options = parse_options("meter_mode", reply)
    assert options == Options("meter_mode", "settable", ("center", "average", "spot"))
    assert options.settable


def test_options_unreadable() -> None:
    with pytest.raises(ProtocolError, match="cannot read"):
        parse_options("x", {"param": [{"y": "settable:a"}]})


@pytest.mark.parametrize(("value", "expected"), [(86, 86), ("86", 86), (" 7 ", 7)])
def test_numbers_as_ints_or_strings(value: object, expected: int) -> None:
    assert parse_int(value, "battery") == expected


@pytest.mark.parametrize("value", [None, "high", True, 1.5, [1]])
def test_numbers_that_are_not(value: object) -> None:
    with pytest.raises(ProtocolError, match="battery: expected a number"):
        parse_int(value, "battery")
