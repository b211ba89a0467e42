"""The `yicam` command: a thin click layer over `yicam.Camera` and the emulator.

Subcommands are loaded on first use (click's lazy-group pattern): `yicam --help` imports
neither asyncio, rich nor the library, and stays fast (benchmarks/cli_startup.py). To add a
command, add one line to `COMMANDS`.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, NoReturn

import click

from .base import DEFAULT_HOST, GlobalOptions
from .cameras import explicit_options
from .output import dumps, emit, report_error

__all__ = ["COMMANDS", "cli", "main"]

# name: (module in yicam.cli, attribute, the line `yicam --help` shows, which is the first
# sentence of the command's docstring: tests/test_cli_consistency.py keeps them equal).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "agent": (
        "agent",
        "agent",
        "Own cameras' sessions and serve them to every tool, here or on other computers (MQTT).",
    ),
    "battery": ("commands", "battery", "Battery level, and whether the camera runs on USB power."),
    "cameras": (
        "cameras",
        "cameras",
        "Named cameras: `yicam -c NAME COMMAND` talks to one; `yicam fleet --all` to all.",
    ),
    "clock": ("commands", "clock", "Show the camera clock, or sync it."),
    "demo": ("demo", "demo", "Drive an embedded emulated camera end to end."),
    "discover": (
        "discover",
        "discover",
        "Find cameras: discovery broadcast and ARP first, then a TCP probe, then a session.",
    ),
    "download": (
        "media",
        "download_cmd",
        "Download camera files (resumable, verified) into a folder.",
    ),
    "emulate": (
        "emulate",
        "emulate",
        "Run an emulated camera (or `--count N` of them) on this computer.",
    ),
    "fleet": (
        "fleet",
        "fleet",
        "Several cameras at once: `yicam fleet --all photo`, `yicam fleet -c A -c B photo`.",
    ),
    "format": ("commands", "format_card", "Erase the SD card (needs --yes)."),
    "get": ("commands", "get", "Show one setting's value."),
    "gui": ("gui", "gui", "Open the desktop app: live view, shutter, settings, media, downloads."),
    "info": ("commands", "info", "Model, firmware, serial, live-view URL, card space."),
    "live": (
        "live",
        "live",
        "Live view: --snapshot, --record, --url, --stats; out to --serve, --restream, --webcam.",
    ),
    "live-qr": (
        "live_qr",
        "live_qr",
        "Write the QR code a Yi 4K scans in its Live mode to stream to an RTMP server.",
    ),
    "ls": ("files", "ls", "List a directory on the camera (default /tmp/fuse_d/DCIM/)."),
    "options": ("commands", "options", "The values a setting accepts."),
    "photo": ("commands", "photo", "Take a photo and print its path on the camera."),
    "profile": (
        "profile",
        "profile",
        "Settings profiles: save one camera's settings, apply them to others, compare.",
    ),
    "raw": ("commands", "raw", "Send any message and print the reply."),
    "reboot": ("commands", "reboot", "Reboot the camera (the connection drops)."),
    "record": ("commands", "record", "Start or stop recording, or show its time."),
    "rm": ("files", "rm", "Delete files on the camera."),
    "set": ("commands", "set_", "Change a setting."),
    "settings": ("commands", "settings", "Every setting and its value, in the camera's order."),
    "sync": (
        "media",
        "sync_cmd",
        "Download every media file not yet in FOLDER (FOLDER/NNNMEDIA/NAME).",
    ),
    "tether": (
        "tether",
        "tether_cmd",
        "Download each new photo and video into FOLDER as the camera makes it, until Ctrl-C.",
    ),
    "thumb": ("media", "thumb", "Save the thumbnail of a photo or video as a JPEG."),
    "timelapse": (
        "timelapse",
        "timelapse",
        "Take a photo (or a --clip) every interval, on a schedule that does not drift.",
    ),
    "upload": (
        "media",
        "upload",
        "Upload a local file to the camera (DEST ending in / keeps the file name).",
    ),
    "watch": ("commands", "watch", "Print notifications until Ctrl-C, reconnecting after a drop."),
    "wifi": (
        "wifi",
        "wifi",
        "Station mode: the camera joins your network, or is its own access point again.",
    ),
    "zoom": ("commands", "zoom", "Show the digital zoom, or set it to LEVEL (0-100)."),
}


class YicamGroup(click.Group):
    """A group whose subcommands load on first use and share one error handler."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, loaded or not."""
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, imported from its module the first time it is asked for."""
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute, _help = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f".{module}", __package__), attribute)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `yicam --help`, without importing the commands."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None and loaded.hidden:
                continue
            text = loaded.get_short_help_str(limit) if loaded is not None else None
            rows.append((name, text or _shorten(COMMANDS[name][2], limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse the global options; under --json, a bad one is reported as JSON too."""
        json_mode = "--json" in args
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as exc:
            _usage_error(ctx, exc, json_mode=json_mode)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; report user errors as `Error: ...` (JSON under --json), exit 1."""
        from .. import YicamError

        try:
            return super().invoke(ctx)
        # Errors a user can cause (unreachable camera, refused request, bad argument).
        except (YicamError, OSError, ValueError) as exc:
            options = ctx.find_object(GlobalOptions) or GlobalOptions()
            report_error(exc, debug=options.debug, json_mode=options.json)
            ctx.exit(1)
        except click.ClickException as exc:
            options = ctx.find_object(GlobalOptions) or GlobalOptions()
            _usage_error(ctx, exc, json_mode=options.json)


def _usage_error(ctx: click.Context, exc: click.ClickException, *, json_mode: bool) -> NoReturn:
    """Click's own error: as click prints it, or as `{"error": ...}` on stderr under --json."""
    if not json_mode:
        raise exc
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
    "--interface",
    envvar="YICAM_INTERFACE",
    metavar="NAME",
    help="Reach the camera through this local network interface (e.g. wlan1, or its IPv4 "
    "address): one Wi-Fi adapter per camera, each camera at 192.168.42.1 (env YICAM_INTERFACE).",
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
@click.option(
    "--broker",
    envvar="YICAM_BROKER",
    metavar="URL",
    help="Go through the agent that owns the camera on this MQTT broker, mqtt://HOST[:PORT]"
    " (env YICAM_BROKER); see `yicam agent`.",
)
@click.option(
    "--no-agent", is_flag=True, help="Open a session here even when an agent owns the camera."
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
    interface: str | None,
    camera: tuple[str, ...],
    broker: str | None,
    no_agent: bool,
    json_mode: bool,
    debug: bool,
) -> None:
    """Control a Xiaomi Yi (or other Ambarella) action camera over Wi-Fi.

    Each command prints its result on stdout (JSON with --json). A failure prints one line,
    `Error: ...` with a hint (with --json, `{"error": ...}`), on stderr and exits with status 1;
    a usage error exits with 2.
    """
    if len(camera) > 1 and ctx.invoked_subcommand not in ("fleet", "profile", "agent"):
        raise click.UsageError("several --camera: `yicam fleet -c A -c B ...` drives several")
    from .. import ConnectionSettings

    ctx.obj = GlobalOptions(
        ConnectionSettings(
            host, port, data_port, http_port, rtsp_port, timeout, event_timeout, interface or None
        ),
        json=json_mode,
        debug=debug,
        camera_name=camera[0] if len(camera) == 1 else None,
        camera_names=camera,
        explicit=explicit_options(ctx),
        broker=broker,
        no_agent=no_agent,
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


def _shorten(text: str, limit: int) -> str:
    """`text`, cut at a word and ended with `...` when longer than `limit` (as click does)."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, max(limit - 2, 1))
    return text[: cut if cut > 0 else limit - 3].rstrip(" ,;:") + "..."


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="yicam")


if __name__ == "__main__":
    main()
