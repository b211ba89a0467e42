"""`yicam live --serve / --restream / --webcam`: one camera stream out to other programs."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from .output import Result, safe

if TYPE_CHECKING:
    from yicam import Camera

__all__ = ["Outputs", "parse_bind", "run_outputs"]

_STATUS_EVERY = 1.0  # seconds between status lines on a terminal
_STATUS_EVERY_PIPED = 10.0  # and in a log


@dataclass(frozen=True, slots=True)
class Outputs:
    """Where the live view goes."""

    serve: tuple[str, int] | None
    restream: str | None
    webcam: bool
    duration: float | None


def parse_bind(value: str) -> tuple[str, int]:
    """`PORT`, `ADDR:PORT` or `[IPV6]:PORT` as (address, port); loopback when no address.

    Raises `click.BadParameter` for anything else.
    """
    host, sep, port = value.rpartition(":")
    host = host.strip("[]") if sep else "127.0.0.1"
    if not port.isdigit() or int(port) > 65535 or not host:
        raise click.BadParameter(
            f"{value!r}: use PORT or ADDRESS:PORT, e.g. 8554", param_hint="--serve"
        )
    return host, int(port)


async def run_outputs(cam: Camera, outputs: Outputs) -> Result:
    """Serve, restream and/or feed the webcam until Ctrl-C (or `duration`); the totals."""
    from ..live import LiveServer, Restreamer, run_webcam

    async with contextlib.AsyncExitStack() as stack:
        live = await stack.enter_async_context(cam.live_view(retries=None))
        server = restreamer = None
        if outputs.serve is not None:
            host, port = outputs.serve
            server = await stack.enter_async_context(LiveServer(live, host=host, port=port))
            click.echo(server.url)  # stdout: for scripts and viewers
            if not server.loopback:
                click.echo(f"Serving on {host}: anyone who can reach it can watch", err=True)
        if outputs.restream is not None:
            restreamer = await stack.enter_async_context(Restreamer(live, outputs.restream))
        tasks = []
        if outputs.webcam:
            tasks.append(asyncio.create_task(run_webcam(live), name="yicam-webcam"))
        try:
            await _report_until_done(server, restreamer, tasks, outputs.duration)
        except asyncio.CancelledError:  # Ctrl-C: asyncio.run cancels the command
            task = asyncio.current_task()
            if task is None or task.uncancel() > 0:
                raise
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        data: dict[str, Any] = {
            "frames": live.stats().frames,
            "reconnects": live.stats().reconnects,
        }
        parts = [f"{data['frames']} frames from the camera"]
        if server is not None:
            data["url"] = server.url
            data["served"] = server.status().frames
        if restreamer is not None:
            status = restreamer.status()
            data["restream"] = {"sent": status.frames, "dropped": status.dropped}
            parts.append(f"{status.frames} sent to {status.target}, {status.dropped} dropped")
        return Result(data, safe("; ".join(parts)))


async def _report_until_done(
    server: Any, restreamer: Any, tasks: list[asyncio.Task[None]], duration: float | None
) -> None:
    terminal = sys.stderr.isatty()
    every = _STATUS_EVERY if terminal else _STATUS_EVERY_PIPED
    end = None if duration is None else time.monotonic() + duration
    try:
        while end is None or time.monotonic() < end:
            wait = every if end is None else min(every, max(0.0, end - time.monotonic()))
            if tasks:
                done, _ = await asyncio.wait(tasks, timeout=wait)
                for task in done:
                    task.result()  # the webcam stopped: its error ends the command
                    return
            else:
                await asyncio.sleep(wait)
            line = _status_line(server, restreamer)
            if line:
                click.echo(
                    ("\r" + line + "\x1b[K") if terminal else line, err=True, nl=not terminal
                )
    finally:
        if terminal:
            click.echo("", err=True)


def _status_line(server: Any, restreamer: Any) -> str:
    parts = []
    if server is not None:
        status = server.status()
        viewers = f"{status.viewers} viewer{'s' if status.viewers != 1 else ''}"
        camera = f"camera {status.fps:.0f} fps" if status.fps else "camera reconnecting"
        parts.append(f"{viewers}, {camera}, {status.reconnects} reconnects")
    if restreamer is not None:
        status = restreamer.status()
        parts.append(
            f"{status.target} {status.state} {status.bitrate / 1e6:.2f} Mbit/s,"
            f" {status.dropped} dropped, {status.reconnects} reconnects"
            + (f" ({status.error})" if status.error and status.state != "streaming" else "")
        )
    return safe(" | ".join(parts))
