"""`yicam emulate`: run a virtual camera until Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .base import global_options, model_option

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["emulate"]


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
    preview_size: str,
    model: str,
    sd: Path | None,
    faults: tuple[str, ...],
    seed: int | None,
    count: int,
) -> None:
    """Run an emulated camera (or `--count N` of them) on this computer.

    They serve where the global options point: `yicam --port 0 --http-port 8080 emulate`
    (port 0: any free one; HTTP and RTSP fall back to 8080 and 8554 without root), on
    127.0.0.1 unless `--host` is given on the command line. Prints one line per camera when
    it is ready, with the options that reach it; stops on Ctrl-C or SIGTERM.
    """
    import asyncio

    from ..emulator import Emulator, parse_faults

    where = global_options()
    host = where.host if "host" in where.explicit else "127.0.0.1"
    preview, fault_set = _size(preview_size), parse_faults(faults, seed)
    reach_all: Callable[[], list[str]] = list
    if count > 1:
        from .emulate_many import several

        ports = (where.port, where.data_port, where.http_port, where.rtsp_port)
        emulators, reach_all = several(
            count, host, ports, sd, preview_size=preview, model=model, faults=fault_set
        )
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
        for line in [e.ready_line() for e in emulators] + reach_all():
            click.echo(line)
        sys.stdout.flush()
        await stop.wait()
    click.echo("yicam emulator stopped", err=True)
