"""Durations as people type them: `500ms`, `10s`, `5m`, `2h`, or a sum such as `1h30m`."""

from __future__ import annotations

import math
import re

__all__ = ["format_duration", "parse_duration"]

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Returns the seconds in `text` (`500ms`, `10s`, `5m`, `2h`, `1h30m`, `1.5s`).

    Raises `ValueError` for anything else.
    """
    spec = text.strip().lower().replace(" ", "")
    pos, total = 0, 0.0
    while pos < len(spec):
        match = _PART.match(spec, pos)
        if match is None:
            break
        total += float(match[1]) * _UNITS[match[2]]
        pos = match.end()
    if not spec or pos != len(spec) or not math.isfinite(total):
        raise ValueError(
            f"invalid duration {text!r}: use a number and a unit, e.g. 500ms, 10s, 5m, 2h or 1h30m"
        )
    return total


def format_duration(seconds: float) -> str:
    """A short human form: `450ms`, `12.5s`, `4m05s`, `2h00m`."""
    if seconds < 0:
        return "-" + format_duration(-seconds)
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s".replace(".0s", "s")
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
