"""How the CLI shows things: JSON for machines, rich text for people, and one error format.

Every string a camera sends is untrusted: what reaches a terminal goes through `safe`, which
shows control characters as visible escapes; JSON output keeps the exact strings (it escapes
them as JSON does). rich is imported only when something is drawn, so `yicam --help` stays fast.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import click

from .base import global_options

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table

__all__ = [
    "Result",
    "console",
    "dumps",
    "emit",
    "error_data",
    "format_error",
    "human_size",
    "key_value_table",
    "report_error",
    "safe",
    "to_jsonable",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Result:
    """What a command returns: `data` for `--json`, and `view` (text or rich) for people."""

    data: Any
    view: RenderableType | None = None


def safe(value: object) -> str:
    """`str(value)` with every non-printable character shown as an escape such as `\\x1b`.

    Covers C0/C1 controls (ESC, BEL, CR, newline...), DEL, bidi and other format characters,
    lone surrogates and line separators: nothing a camera sends can move the cursor, set the
    window title, reorder the line or make printing fail.
    """
    text = str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def dumps(value: Any, *, indent: int | None = None) -> str:
    """JSON (one line unless `indent`): exact strings, non-printable characters as escapes."""
    import json

    text = json.dumps(to_jsonable(value), ensure_ascii=False, indent=indent)
    # json.dumps escapes C0 controls but not DEL, C1, bidi or lone surrogates; outside strings
    # it writes only printable characters and the newlines of `indent`, so every match is
    # inside a string.
    return _NON_PRINTABLE.sub(_json_escape, text)


def console(*, stderr: bool = False) -> Console:
    """A rich console on the current stdout (or stderr); made per use so tests can capture."""
    from rich.console import Console

    return Console(file=sys.stderr if stderr else sys.stdout, highlight=False, soft_wrap=True)


def emit(value: Any, *, json_mode: bool | None = None) -> None:
    """Print one result: `data` as one JSON line under `--json`, else `view` or a default view.

    A `str` view is printed as is (commands build it with `safe`); rich views should hold
    camera strings as `rich.text.Text(safe(...))`, never as markup.
    """
    if value is None:
        return
    if json_mode is None:
        json_mode = global_options().json
    result = value if isinstance(value, Result) else Result(value)
    if json_mode:
        click.echo(dumps(result.data))
        return
    view = result.view if result.view is not None else _default_view(result.data)
    if isinstance(view, str):
        click.echo(view)  # never through rich markup: camera strings are untrusted
    else:
        console().print(view)


def to_jsonable(value: Any) -> Any:
    """Dataclasses become dicts, datetimes ISO strings, tuples lists, paths strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value


def key_value_table(rows: Mapping[str, Any], *, title: str | None = None) -> Table:
    """A two-column table; cells are escaped plain text, never markup."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, show_header=title is not None, box=None, pad_edge=False)
    table.add_column("Name" if title else "", style="bold")
    table.add_column("Value" if title else "")
    for key, value in rows.items():
        table.add_row(Text(safe(key)), Text("" if value is None else safe(value)))
    return table


def human_size(size: int) -> str:
    """Bytes in the largest unit that keeps the number readable (1 KB = 1000 B)."""
    if size < 1000:
        return f"{size} B"
    amount = size / 1000
    for unit in ("KB", "MB"):
        if amount < 1000:
            return f"{amount:.1f} {unit}"
        amount /= 1000
    return f"{amount:.1f} GB"


def format_error(exc: BaseException) -> str:
    """The one line printed for an error: `Error: <what>; <hint>` (escaped)."""
    return f"Error: {_error_text(exc)}"


def error_data(exc: BaseException) -> dict[str, Any]:
    """The error under `--json`: `{"error": ...}`, plus `"rval"` when a camera sent one."""
    from .. import CameraError

    data: dict[str, Any] = {"error": _error_text(exc)}
    if isinstance(exc, CameraError):
        data["rval"] = exc.rval
    return data


def report_error(exc: BaseException, *, debug: bool, json_mode: bool = False) -> None:
    """Print the error on stderr: one line (JSON under `--json`), after a traceback if debugging."""
    if debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    click.echo(dumps(error_data(exc)) if json_mode else format_error(exc), err=True)


_NON_PRINTABLE = re.compile(r"[^\x20-\x7e\n]")  # candidates; `isprintable` decides


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _json_escape(match: re.Match[str]) -> str:
    char = match[0]
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON spells characters beyond the BMP
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _error_text(exc: BaseException) -> str:
    message = str(exc) or type(exc).__name__
    hint = _hint(exc)
    return safe(f"{message}; {hint}" if hint else message)


def _hint(exc: BaseException) -> str | None:
    from .. import (
        CameraError,
        CardError,
        InvalidPathError,
        InvalidTokenError,
        MsgId,
        UnsupportedError,
    )

    # -3 and unreachable-camera messages already carry their hint (the library adds it).
    if isinstance(exc, InvalidTokenError):
        return "another client took the session over; run the command again"
    if isinstance(exc, CardError):
        return "check that a formatted SD card is in the camera (it is busy just after a format)"
    if isinstance(exc, InvalidPathError):
        return "`yicam ls DIR/` shows what is on the card"
    if isinstance(exc, UnsupportedError):
        return "this camera model does not know that command"
    if isinstance(exc, CameraError) and exc.msg_id == MsgId.SET_SETTING:
        if exc.rval == -13:
            return "`yicam options NAME` lists the values the setting accepts"
        if exc.rval == -15:
            return "the setting is read-only now"
    return None


def _default_view(data: Any) -> RenderableType:
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        data = {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}
    if isinstance(data, Mapping):
        return key_value_table(data)
    if isinstance(data, list | tuple):
        return "\n".join(safe(item) for item in data)
    return safe(data)
