"""`yicam cameras`: list, add and remove named cameras (the `[cameras.NAME]` config tables)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from .base import global_options
from .output import Result, dumps, safe

if TYPE_CHECKING:
    from .. import CameraConfig, ConfigError

__all__ = ["cameras", "explicit_options", "report_skipped"]

_PORT = click.IntRange(1, 65535)


def report_skipped(error: ConfigError) -> None:
    """One line on stderr for a config entry that is skipped (a JSON object under --json)."""
    if global_options().json:
        click.echo(dumps({"warning": str(error)}), err=True)
    else:
        click.echo(safe(f"Warning: {error}"), err=True)


def explicit_options(ctx: click.Context) -> frozenset[str]:
    """The connection settings typed on the command line (they override a named camera)."""
    from dataclasses import fields

    from .. import ConnectionSettings

    return frozenset(
        f.name
        for f in fields(ConnectionSettings)
        if ctx.get_parameter_source(f.name) is ParameterSource.COMMANDLINE
    )


@click.group(invoke_without_command=True)
@click.pass_context
def cameras(ctx: click.Context) -> Result | None:
    """Named cameras: `yicam -c NAME COMMAND` talks to one; `yicam fleet --all` to all."""
    from rich.table import Table
    from rich.text import Text

    from .. import config_path, load_cameras

    if ctx.invoked_subcommand is not None:
        return None
    entries = load_cameras(on_skip=report_skipped)
    path = config_path()
    table = Table(title=f"Named cameras ({path})", title_justify="left")
    bound = any(e.settings.interface for e in entries.values())
    columns = ("Name", "Host", "Port", "Data", "HTTP", "RTSP", "Model", "Serial")
    for column in columns + (("Interface",) if bound else ()):
        table.add_column(column)
    for e in entries.values():
        at = e.settings
        cells: tuple[object, ...] = (
            e.name,
            at.host,
            at.port,
            at.data_port,
            at.http_port,
            at.rtsp_port,
            e.model,
            e.serial,
        )
        if bound:
            cells += (at.interface,)
        table.add_row(*(Text("" if c is None else safe(c)) for c in cells))
    hint = f"No named cameras yet in {path}; `yicam cameras add NAME HOST` adds one"
    view: Any = table if entries else hint
    return Result([_json(e) for e in entries.values()], view)


@cameras.command("add")
@click.argument("name")
@click.argument("host")
@click.option("--port", type=_PORT, help="Control port (as the global --port; default 7878).")
@click.option("--data-port", type=_PORT, help="File data port (as the global one; default 8787).")
@click.option("--http-port", type=_PORT, help="HTTP port (as the global one; default 80).")
@click.option("--rtsp-port", type=_PORT, help="RTSP port (as the global one; default 554).")
@click.option(
    "--interface", metavar="NAME", help="Local interface that reaches it (as the global one)."
)
@click.option("--replace", is_flag=True, help="Overwrite a camera of that name.")
def add(
    name: str,
    host: str,
    port: int | None,
    data_port: int | None,
    http_port: int | None,
    rtsp_port: int | None,
    interface: str | None,
    replace: bool,
) -> Result:
    """Name a camera: `yicam cameras add left 192.168.1.51 [--port P] [--http-port P]`.

    The ports mean what the global ones mean (`yicam --port 7000 cameras add back HOST` too);
    given here, they win.

    Prints the entry and the config file it was added to. Fails (exit 1) when the name is taken
    or invalid, or the host is neither an IP address nor a host name; a port outside 1-65535
    is a usage error (exit 2).
    """
    from dataclasses import replace as changed

    from .. import CameraConfig, add_camera

    given = {
        "port": port,
        "data_port": data_port,
        "http_port": http_port,
        "rtsp_port": rtsp_port,
        "interface": interface,
    }
    changes: dict[str, Any] = {n: value for n, value in given.items() if value is not None}
    settings = changed(global_options().settings, host=host, **changes)
    entry = CameraConfig(name, settings)
    path = add_camera(entry, replace=replace)
    return Result(_json(entry), safe(f"Added camera {name!r} ({host}:{settings.port}) to {path}"))


@cameras.command("rm")
@click.argument("name")
def rm(name: str) -> Result:
    """Forget a named camera.

    Prints the name removed and the config file. Fails (exit 1) when no camera has that name.
    """
    from .. import remove_camera

    path = remove_camera(name)
    return Result({"removed": name}, f"Removed camera {name!r} from {path}")


def _json(entry: CameraConfig) -> dict[str, Any]:
    at = entry.settings
    return {
        "name": entry.name,
        "host": at.host,
        "port": at.port,
        "data_port": at.data_port,
        "http_port": at.http_port,
        "rtsp_port": at.rtsp_port,
        "model": entry.model,
        "serial": entry.serial,
    }
