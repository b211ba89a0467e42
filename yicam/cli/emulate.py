"""`yicam emulate`: run a virtual camera until Ctrl-C or SIGTERM.

The camera's buttons: Enter on the terminal (or a line on a piped stdin) presses the
shutter, `m` then Enter the mode button; where the OS has them, SIGUSR1 and SIGUSR2 do the
same (`kill -USR1 <pid>`). What a press did is printed on stderr.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from .base import global_options, model_option, options_for

if TYPE_CHECKING:
    import asyncio

    from .. import ConnectionSettings
    from ..emulator import Emulator

__all__ = ["emulate", "ready_line", "settings_of"]


@click.command()
@click.option(
    "--preview-size",
    default="432x240",
    show_default=True,
    metavar="WxH",
    help="Live-view picture size.",
)
@model_option
@click.option(
    "--sd",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory that holds the card's files (default: a temporary one).",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="SPEC",
    help="Inject a fault: split, glue, drop, delay=MS, drop-data=P, slow-data=KBPS, rtp-loss=P, "
    "rtp-reorder=P, rtp-junk=N, rtsp-silent=PLAY, stap-a, no-marker.",
)
@click.option("--seed", type=int, help="Seed for the faults' randomness.")
@click.option(
    "--reply-latency",
    metavar="MS|MIN-MAX",
    default="0",
    show_default=True,
    help="Milliseconds each command takes to answer (a range: uniform per command); real "
    "cameras took 10-60 in the timed captures.",
)
@click.option(
    "--count",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Cameras to run: on HOST, HOST+1, ... (on HOST with ports +1... without 127.0.0.x).",
)
@click.option(
    "--firmware",
    type=click.Choice(["old", "new"]),
    default="new",
    show_default=True,
    help="old: the 2015 settings format (msg 3 + param, no msg 9); new: later firmware.",
)
@click.option(
    "--sample-media",
    is_flag=True,
    help="Start with photos, a clip and a time-lapse set on an empty card (the test picture "
    "at the moment each was taken).",
)
@click.option(
    "--network-mode",
    is_flag=True,
    help="Start as the firmware does: station mode when the card holds the station files "
    "(`yicam wifi station`), else access point; announce 192.168.42.1 in the session reply "
    "and answer discovery on UDP 7877 (Yi 4K, 4K+).",
)
@click.option(
    "--discovery-port",
    type=click.IntRange(0, 65535),
    default=7877,
    show_default=True,
    help="UDP port of the discovery answers under --network-mode (0: any free one).",
)
def emulate(
    preview_size: str,
    model: str,
    sd: Path | None,
    faults: tuple[str, ...],
    seed: int | None,
    count: int,
    firmware: str,
    reply_latency: str,
    sample_media: bool,
    network_mode: bool,
    discovery_port: int,
) -> None:
    """Run an emulated camera (or `--count N` of them) on this computer.

    They serve where the global options point: `yicam --port 0 --http-port 8080 emulate`
    (port 0: any free one; HTTP and RTSP fall back to 8080 and 8554 without root), on
    127.0.0.1 unless `--host` is given on the command line. Prints one line per camera when
    it is ready, with the options that reach it; stops on Ctrl-C or SIGTERM. Enter presses the
    cameras' shutter buttons, m + Enter their mode buttons (also SIGUSR1 / SIGUSR2).

    Prints one ready line with the options that reach it, then runs until Ctrl-C or SIGTERM.
    Fails (exit 1) when a port is taken.
    """
    import asyncio

    from ..emulator import Emulator, parse_faults

    options = global_options()
    where = options.settings
    host = where.host if "host" in options.explicit else "127.0.0.1"
    preview, fault_set = _size(preview_size), parse_faults(faults, seed)
    chosen: Literal["old", "new"] = "old" if firmware == "old" else "new"
    latency = _latency(reply_latency)
    reach_all: Callable[[], list[str]] = list
    if count > 1:
        from .emulate_many import several

        ports = (where.port, where.data_port, where.http_port, where.rtsp_port)
        emulators, reach_all = several(
            count, host, ports, sd,
            preview_size=preview, model=model, faults=fault_set, firmware=chosen,
            reply_latency=latency, sample_media=sample_media, network_mode=network_mode,
            discovery_port=discovery_port,
        )  # fmt: skip
    else:
        emulator = Emulator(
            host,
            where.port,
            data_port=where.data_port,
            http_port=where.http_port,
            rtsp_port=where.rtsp_port,
            preview_size=preview,
            model=model,
            sd=sd,
            faults=fault_set,
            firmware=chosen,
            reply_latency=latency,
            sample_media=sample_media,
            network_mode=network_mode,
            discovery_port=discovery_port,
        )
        emulators = [emulator]
    with contextlib.suppress(KeyboardInterrupt):  # where signal handlers are not available
        asyncio.run(_serve(emulators, reach_all))


def settings_of(emulator: Emulator) -> ConnectionSettings:
    """The settings that reach a started emulator (the default RTSP port when it has none)."""
    from .. import ConnectionSettings

    e = emulator
    return ConnectionSettings(e.host, e.port, e.data_port, e.http_port, e.rtsp_port or 554)


def ready_line(emulator: Emulator) -> str:
    """What `yicam emulate` prints once a camera serves: the options that reach it."""
    omit = ("rtsp_port",) if emulator.rtsp_port is None else ()
    reach = options_for(settings_of(emulator), omit=omit)
    note = f"; {emulator.live_note}" if emulator.live_note else ""
    note += f"; {emulator.network_note}" if emulator.network_note else ""
    model = emulator.state.profile.name
    return f"yicam emulator ({model}) ready: yicam {reach}  (card: {emulator.sd}{note})"


def _size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if not (sep and width.isdigit() and height.isdigit()) or int(width) % 2 or int(height) % 2:
        raise click.BadParameter(f"{text!r}: use an even WIDTHxHEIGHT such as 432x240")
    return int(width), int(height)


def _latency(text: str) -> tuple[float, float]:
    """`--reply-latency` (milliseconds, `MS` or `MIN-MAX`) as (lowest, highest) seconds."""
    low, _, high = text.partition("-")
    try:
        values = (float(low) / 1000, float(high or low) / 1000)
        if not 0 <= values[0] <= values[1]:
            raise ValueError
    except ValueError:
        raise click.BadParameter(
            f"{text!r}: use milliseconds such as 30 or a range such as 10-60",
            param_hint="'--reply-latency'",
        ) from None
    return values


async def _serve(emulators: list[Emulator], reach_all: Callable[[], list[str]]) -> None:
    import asyncio
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows, non-main thread
            loop.add_signal_handler(signum, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        for emulator in emulators:
            await stack.enter_async_context(emulator)
        _wire_buttons(loop, lambda button: _press(emulators, button))  # before "ready"
        for line in [ready_line(e) for e in emulators] + reach_all():
            click.echo(line)
        sys.stdout.flush()
        await stop.wait()
    click.echo("yicam emulator stopped", err=True)


def _press(emulators: list[Emulator], button: str) -> None:
    for emulator in emulators:  # one press reaches every camera, as a multi-trigger would
        done = emulator.press_mode() if button == "mode" else emulator.press_shutter()
        click.echo(f"{button} button: {done}", err=True)


def _wire_buttons(loop: asyncio.AbstractEventLoop, press: Callable[[str], None]) -> None:
    """Stdin lines and SIGUSR1/SIGUSR2 press the camera's buttons."""
    import signal
    import threading

    for name, button in (("SIGUSR1", "shutter"), ("SIGUSR2", "mode")):
        signum = getattr(signal, name, None)  # absent on Windows
        if signum is not None:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, press, button)
    if _stdin_is_ours():
        threading.Thread(target=_read_stdin, args=(loop, press), daemon=True).start()


def _stdin_is_ours() -> bool:
    """A pipe, or a terminal this process has in the foreground (reading it from the
    background would stop the process)."""
    try:
        if not sys.stdin.isatty():
            return True
        if sys.platform == "win32":
            return True  # no job control: a console's input belongs to the program in front
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (AttributeError, OSError, ValueError):
        return False


def _read_stdin(loop: asyncio.AbstractEventLoop, press: Callable[[str], None]) -> None:
    with contextlib.suppress(OSError, ValueError, RuntimeError):
        for line in sys.stdin:
            button = "mode" if line.strip().lower() == "m" else "shutter"
            loop.call_soon_threadsafe(press, button)
