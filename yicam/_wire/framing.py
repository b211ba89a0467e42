"""Split the control stream into JSON objects.

The camera sends JSON objects back to back with no delimiter, split at any byte and glued
together at will. The framer tracks braces outside strings, so it finds where each object
ends without re-parsing the buffer; `{`, `}`, `[`, `]`, `"` and backslash are ASCII and never
occur inside a multi-byte UTF-8 sequence, so scanning bytes is safe. It also counts open
brackets: an object nested deeper than `MAX_DEPTH` (real messages nest four levels) is a
`ProtocolError` as soon as the bytes show it, before any parser could recurse into it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .._errors import ProtocolError

__all__ = ["MAX_DEPTH", "MAX_OBJECT_SIZE", "JsonStreamFramer"]

MAX_OBJECT_SIZE = 1 << 20
MAX_DEPTH = 64
_WHITESPACE = b" \t\r\n"
_SPECIAL = re.compile(rb'[{}\[\]"\\]')
_IN_STRING = re.compile(rb'["\\]')


class JsonStreamFramer:
    """Bytes in, complete JSON objects out; no I/O."""

    def __init__(self, max_object_size: int = MAX_OBJECT_SIZE) -> None:
        self._max = max_object_size
        self._buf = bytearray()
        self._pos = 0  # how far the current object has been scanned
        self._depth = 0  # open braces: the object ends when they close
        self._nesting = 0  # open braces and brackets
        self._in_string = False

    @property
    def pending(self) -> int:
        """Bytes held that do not yet form a complete object."""
        return len(self._buf)

    def reset(self) -> None:
        """Forget everything buffered (used after a framing error)."""
        self._buf.clear()
        self._pos = 0
        self._depth = 0
        self._nesting = 0
        self._in_string = False

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """Add bytes and return every object they complete, in order."""
        self._buf += data
        objects: list[dict[str, Any]] = []
        while (obj := self._next_object()) is not None:
            objects.append(obj)
        return objects

    def _next_object(self) -> dict[str, Any] | None:
        buf = self._buf
        if self._pos == 0:
            start = 0
            while start < len(buf) and buf[start] in _WHITESPACE:
                start += 1
            del buf[:start]
            if not buf:
                return None
            if buf[0] != ord("{"):
                snippet = bytes(buf[:20])
                self.reset()
                raise ProtocolError(f"expected a JSON object, got {snippet!r}")
            self._pos, self._depth, self._nesting = 1, 1, 1
        end = self._scan()
        if end is None:
            if len(buf) > self._max:
                self.reset()
                raise ProtocolError(f"JSON object larger than {self._max} bytes")
            return None
        raw = bytes(buf[:end])
        del buf[:end]
        self._pos = 0
        return _decode(raw)

    def _scan(self) -> int | None:
        """Advance over the buffer; the end offset of the object once it is complete."""
        buf, pos = self._buf, self._pos
        while True:
            if self._in_string:
                match = _IN_STRING.search(buf, pos)
                if match is None:
                    self._pos = len(buf)
                    return None
                pos = match.start()
                if buf[pos] == ord("\\"):
                    if pos + 1 >= len(buf):
                        self._pos = pos  # wait for the escaped byte
                        return None
                    pos += 2
                    continue
                self._in_string = False
                pos += 1
                continue
            match = _SPECIAL.search(buf, pos)
            if match is None:
                self._pos = len(buf)
                return None
            pos = match.start()
            char = buf[pos]
            pos += 1
            if char == ord('"'):
                self._in_string = True
            elif char == ord("{") or char == ord("["):
                self._depth += char == ord("{")
                self._nesting += 1
                if self._nesting > MAX_DEPTH:
                    self.reset()
                    raise ProtocolError(f"JSON nested deeper than {MAX_DEPTH} levels")
            elif char == ord("]"):
                self._nesting -= 1
            elif char == ord("}"):
                self._depth -= 1
                self._nesting -= 1
                if self._depth == 0:
                    return pos
            if pos > self._max:
                self._pos = pos
                return None


def _decode(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"malformed JSON from peer: {raw[:60]!r}") from exc
    if not isinstance(value, dict):  # pragma: no cover - the scanner only yields {...}
        raise ProtocolError("expected a JSON object")
    return value
