"""`yicam emulate`: run a virtual camera until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import click

from ..emulator import Emulator, parse_faults
from .base import model_option

__all__ = ["emulate"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=7878, show_default=True, help="Control (JSON) port; 0: any.")
@click.option("--data-port", default=8787, show_default=True, help="File data port.")
@click.option("--http-port", default=80, show_default=True, help="HTTP port (8080 without root).")
@click.option("--rtsp-port", default=554, show_default=True, help="RTSP port (8554 without root).")
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
    "rtp-reorder=P, stap-a, no-marker.",
)
@click.option("--seed", type=int, help="Seed for the faults' randomness.")
@click.option(
    "--count",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Cameras to run: on HOST, HOST+1, ... (on HOST with ports +1... without 127.0.0.x).",
)
def emulate(
    host: str,
    port: int,
    data_port: int,
    http_port: int,
    rtsp_port: int,
    preview_size: str,
    model: str,
    sd: Path | None,
    faults: tuple[str, ...],
    seed: int | None,
    count: int,
) -> None:
    """Run an emulated camera (or `--count N` of them) on this computer.

    Prints one line per camera when it is ready; stops on Ctrl-C or SIGTERM.
    """
    preview, fault_set = _size(preview_size), parse_faults(faults, seed)
    reach_all: Callable[[], list[str]] = list
    if count > 1:
        from .emulate_many import several

        emulators, reach_all = several(
            count, host, (port, data_port, http_port, rtsp_port), sd,
            preview_size=preview, model=model, faults=fault_set,
        )  # fmt: skip
    else:
        emulator = Emulator(
            host,
            port,
            data_port=data_port,
            http_port=http_port,
            rtsp_port=rtsp_port,
            preview_size=preview,
            model=model,
            sd=sd,
            faults=fault_set,
        )
        emulators = [emulator]
    with contextlib.suppress(KeyboardInterrupt):  # where signal handlers are not available
        asyncio.run(_serve(emulators, reach_all))


def _size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if not (sep and width.isdigit() and height.isdigit()) or int(width) % 2 or int(height) % 2:
        raise click.BadParameter(f"{text!r}: use an even WIDTHxHEIGHT such as 432x240")
    return int(width), int(height)


async def _serve(emulators: list[Emulator], reach_all: Callable[[], list[str]]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows, non-main thread
            loop.add_signal_handler(signum, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        for emulator in emulators:
            await stack.enter_async_context(emulator)
        for line in [e.ready_line() for e in emulators] + reach_all():
            click.echo(line)
        sys.stdout.flush()
        await stop.wait()
    click.echo("yicam emulator stopped", err=True)
