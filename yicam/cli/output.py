"""How the CLI shows things: JSON for machines, rich text for people, and one error format."""

from __future__ import annotations

import dataclasses
import json
import sys
import traceback
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from pathlib import PurePath
from typing import Any

import click
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from .._errors import (
    CameraError,
    CardError,
    InvalidPathError,
    InvalidTokenError,
    UnsupportedError,
)
from .._ids import MsgId
from .base import global_options

__all__ = [
    "Result",
    "console",
    "emit",
    "format_error",
    "human_size",
    "key_value_table",
    "report_error",
    "to_jsonable",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Result:
    """What a command returns: `data` for `--json`, and `view` (text or rich) for people."""

    data: Any
    view: RenderableType | None = None


def console(*, stderr: bool = False) -> Console:
    """A rich console on the current stdout (or stderr); made per use so tests can capture."""
    return Console(file=sys.stderr if stderr else sys.stdout, highlight=False, soft_wrap=True)


def emit(value: Any, *, json_mode: bool | None = None) -> None:
    """Print one result: `data` as one JSON line under `--json`, else `view` or a default view."""
    if value is None:
        return
    if json_mode is None:
        json_mode = global_options().json
    result = value if isinstance(value, Result) else Result(value)
    if json_mode:
        click.echo(json.dumps(to_jsonable(result.data), ensure_ascii=False))
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
    """A two-column table; cells are plain text, never markup."""
    table = Table(title=title, show_header=title is not None, box=None, pad_edge=False)
    table.add_column("Name" if title else "", style="bold")
    table.add_column("Value" if title else "")
    for key, value in rows.items():
        table.add_row(Text(str(key)), Text("" if value is None else str(value)))
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
    """The one line printed for an error: `Error: <what>; <hint>`."""
    message = str(exc) or type(exc).__name__
    hint = _hint(exc)
    return f"Error: {message}; {hint}" if hint else f"Error: {message}"


def report_error(exc: BaseException, *, debug: bool) -> None:
    """Print the error line to stderr, after the traceback when debugging."""
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    click.echo(format_error(exc), err=True)


def _hint(exc: BaseException) -> str | None:
    # -3 and unreachable-camera messages already carry their hint (yicam._errors, _connection).
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
        return "\n".join(str(item) for item in data)
    return str(data)
