"""Files the user hands yicam (profiles, the config file), read with a size and a nesting limit.

Such a file is small: a profile is about 2 KiB, a config file of a hundred cameras about 20 KiB,
and neither nests more than two levels. Reading at most `MAX_FILE_SIZE` + 1 bytes, and scanning
the depth of arrays, tables and dotted keys before the parser sees the text, keeps a huge or
endless file (`/dev/zero`) from taking the memory and a deeply nested one from taking the stack
(a `RecursionError`) or the CPU (tomllib takes quadratic time over a long dotted key). Each
refusal is one `ValueError` line naming the file and the limit.
"""

from __future__ import annotations

import json
import re
import tomllib
from itertools import accumulate
from pathlib import Path
from typing import Any

__all__ = ["MAX_FILE_SIZE", "MAX_NESTING", "check_nesting", "load_json", "load_toml", "read_text"]

MAX_FILE_SIZE = 1 << 20  # bytes
MAX_NESTING = 32  # levels: arrays, tables, inline tables and the parts of a dotted key

# Strings and comments, to be blanked out before counting. Each alternative, once started,
# matches up to its end or the end of the text (possessive, no backtracking): linear time.
_JSON_SKIP = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\Z)', re.DOTALL)
_TOML_SKIP = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*+(?:"""(?:"{0,2}+)|\Z)'  # multi-line basic string
    r"|'''(?:[^']|'(?!''))*+(?:'''(?:'{0,2}+)|\Z)"  # multi-line literal string
    r'|"(?:[^"\\\n]|\\.)*+(?:"|(?=\n)|\Z)'  # basic string
    r"|'[^'\n]*+(?:'|(?=\n)|\Z)"  # literal string
    r"|#[^\n]*+",  # comment
    re.DOTALL,
)
_KEY_PART = r"(?:[^=,\n{}\[\].]*+\.)"  # a part of a dotted key (or table name), and its dot
_KEY_START = r"(?<![^=,\n{}\[\]])"  # only where a key can start: each part is scanned once
_BRACKETS = str.maketrans({"[": "(", "{": "(", "]": ")", "}": ")"})
_KEEP = re.compile(r"[^()]+")
_STEP = {ord("("): 1, ord(")"): -1}


def read_text(path: Path, limit: int = MAX_FILE_SIZE) -> str:
    """The file's UTF-8 text, reading no more than `limit` + 1 bytes.

    Raises `ValueError` when the file is larger than `limit` or not UTF-8, `OSError` when it
    cannot be read.
    """
    with path.open("rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path}: larger than {_size(limit)}, the limit for this file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (invalid byte at offset {exc.start})") from None


def check_nesting(text: str, path: Path, *, toml: bool, limit: int = MAX_NESTING) -> None:
    """Raises `ValueError` when `text` (JSON, or TOML) nests deeper than `limit` levels.

    Counts brackets and braces outside strings (and comments), and for TOML the parts of a
    dotted key or table name: a pass over the text in C, made before any parser recurses.
    """
    code = (_TOML_SKIP if toml else _JSON_SKIP).sub(" ", text)
    brackets = _KEEP.sub("", code.translate(_BRACKETS)).encode("ascii")
    depth = max(accumulate(map(_STEP.__getitem__, brackets)), default=0)
    deep_key = toml and re.search(f"{_KEY_START}{_KEY_PART}{{{limit + 1}}}", code)
    if depth > limit or deep_key:
        raise ValueError(f"{path}: nested deeper than {limit} levels, the limit for this file")


def load_json(path: Path) -> Any:
    """Read a JSON file within the limits; returns the parsed value.

    Raises `ValueError` for a file that is too large, too deep or not JSON, `OSError` when it
    cannot be read.
    """
    text = read_text(path)
    check_nesting(text, path, toml=False)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON: {exc}") from None
    except RecursionError:  # the scan above should have caught it; never a traceback
        raise ValueError(f"{path}: nested too deep to read") from None


def load_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file within the limits; returns the parsed document.

    Raises `ValueError` for a file that is too large, too deep or not TOML, `OSError` when it
    cannot be read.
    """
    text = read_text(path)
    check_nesting(text, path, toml=True)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not TOML: {exc}") from None
    except RecursionError:  # the scan above should have caught it; never a traceback
        raise ValueError(f"{path}: nested too deep to read") from None


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit % (1 << 20) == 0 else f"{limit} bytes"


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end
