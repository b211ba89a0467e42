"""The `yicam` command: a thin click layer over `yicam.Camera` and the emulator.

Command modules import only click at import time; rich, asyncio and the library load when a
command runs, so `yicam --help` stays fast (benchmarks/cli_startup.py).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from .base import DEFAULT_HOST, GlobalOptions
from .cameras import cameras, explicit_options
from .commands import (
    battery,
    clock,
    format_card,
    get,
    info,
    options,
    photo,
    raw,
    reboot,
    record,
    set_,
    settings,
    watch,
)
from .demo import demo
from .discover import discover
from .emulate import emulate
from .files import ls, rm
from .fleet import fleet
from .gui import gui
from .live import live
from .media import download_cmd, sync_cmd, thumb, upload
from .output import dumps, emit, report_error
from .profile import profile
from .tether import tether_cmd
from .timelapse import timelapse

__all__ = ["cli", "main"]


class YicamGroup(click.Group):
    """A group whose subcommands share one error handler."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; report user errors as `Error: ...` (JSON under --json), exit 1."""
        from .._errors import YicamError

        try:
            return super().invoke(ctx)
        # Errors a user can cause (unreachable camera, refused request, bad argument).
        except (YicamError, OSError, ValueError) as exc:
            options = ctx.find_object(GlobalOptions) or GlobalOptions()
            report_error(exc, debug=options.debug, json_mode=options.json)
            ctx.exit(1)
        except click.ClickException as exc:
            options = ctx.find_object(GlobalOptions) or GlobalOptions()
            if not options.json:
                raise
            click.echo(dumps({"error": exc.format_message()}), err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=YicamGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--host",
    envvar="YICAM_HOST",
    default=DEFAULT_HOST,
    show_default=True,
    help="Camera address (env YICAM_HOST).",
)
@click.option("--port", default=7878, show_default=True, help="Control (JSON) port.")
@click.option("--data-port", default=8787, show_default=True, help="File data port.")
@click.option("--http-port", default=80, show_default=True, help="HTTP port.")
@click.option("--rtsp-port", default=554, show_default=True, help="RTSP live-view port.")
@click.option("--timeout", default=5.0, show_default=True, help="Seconds to wait per request.")
@click.option(
    "--event-timeout",
    default=30.0,
    show_default=True,
    help="Seconds to wait for the camera to act (photo written, transfer progress).",
)
@click.option(
    "-c",
    "--camera",
    multiple=True,
    envvar="YICAM_CAMERA",
    metavar="NAME",
    help="A named camera from `yicam cameras` (env YICAM_CAMERA); --host/--port... still win."
    " Repeat it for `yicam fleet`.",
)
@click.option("--json", "json_mode", is_flag=True, help="Print machine-readable JSON.")
@click.option("--debug", is_flag=True, help="Show protocol logs and tracebacks.")
@click.version_option(package_name="yicam")
@click.pass_context
def cli(
    ctx: click.Context,
    host: str,
    port: int,
    data_port: int,
    http_port: int,
    rtsp_port: int,
    timeout: float,
    event_timeout: float,
    camera: tuple[str, ...],
    json_mode: bool,
    debug: bool,
) -> None:
    """Control a Xiaomi Yi (or other Ambarella) action camera over Wi-Fi."""
    if len(camera) > 1 and ctx.invoked_subcommand not in ("fleet", "profile"):
        raise click.UsageError("several --camera: `yicam -c A -c B fleet ...` drives several")
    ctx.obj = GlobalOptions(
        host=host,
        port=port,
        data_port=data_port,
        http_port=http_port,
        rtsp_port=rtsp_port,
        timeout=timeout,
        event_timeout=event_timeout,
        json=json_mode,
        debug=debug,
        camera_name=camera[0] if len(camera) == 1 else None,
        camera_names=camera,
        explicit=explicit_options(ctx),
    )
    if debug:
        import logging

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        ctx.call_on_close(lambda: root.removeHandler(handler))


@cli.result_callback()
def _show(result: Any, **_options: Any) -> None:
    emit(result)


for command in (info, battery, settings, get, set_, options, photo, record, clock, watch, raw):
    cli.add_command(command)
cli.add_command(ls)
cli.add_command(rm)
for command in (download_cmd, sync_cmd, upload, thumb):
    cli.add_command(command)
cli.add_command(reboot)
cli.add_command(format_card)
cli.add_command(emulate)
cli.add_command(demo)
cli.add_command(live)
cli.add_command(tether_cmd)
cli.add_command(timelapse)
cli.add_command(cameras)
cli.add_command(gui)
cli.add_command(fleet)
cli.add_command(discover)
cli.add_command(profile)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="yicam")


if __name__ == "__main__":
    main()
