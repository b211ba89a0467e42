"""Durations as the CLI takes them."""

from __future__ import annotations

import pytest

from yicam import parse_duration
from yicam._durations import format_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("10s", 10), ("5m", 300), ("2h", 7200), ("1h30m", 5400), ("1.5s", 1.5),
     (" 2M ", 120), ("0s", 0)],
)  # fmt: skip
def test_parse(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "s", "10x", "-5s", "1e9h", "5s!", "ms10", "nans"])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.45, "450ms"), (12.5, "12.5s"), (10, "10s"), (245, "4m05s"), (7200, "2h00m")],
)
def test_format(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
