"""`yicam live`: snapshot, recording, stream URL and latency statistics of the live view."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from .base import run_camera
from .output import Result, emit, safe

if TYPE_CHECKING:
    from .. import Camera
    from ..live import Engine, LiveStats, LiveView, Recording

__all__ = ["live"]

T = TypeVar("T")


@click.command()
@click.option(
    "--snapshot",
    "snapshot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save one frame as .jpg or .png.",
)
@click.option(
    "--record",
    "record_to",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Record an .mp4 file (remuxed, no re-encoding).",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds to record, measure --stats or serve.  [default: until Ctrl-C, 5 for --stats]",
)
@click.option(
    "--url",
    "show_url",
    is_flag=True,
    help="Start the viewfinder and print the stream URL (for VLC or ffplay) until Ctrl-C.",
)
@click.option("--stats", "show_stats", is_flag=True, help="Print fps and latency.")
@click.option(
    "--serve",
    metavar="[ADDR:]PORT",
    help="Re-serve the stream at rtsp://ADDR:PORT/live to any number of viewers (OBS, VLC)"
    " until Ctrl-C; ADDR defaults to 127.0.0.1 (this computer only).",
)
@click.option(
    "--restream",
    metavar="URL",
    help="Push the stream to an rtmp:// or rtmps:// URL (YouTube, Twitch) until Ctrl-C.",
)
@click.option(
    "--webcam",
    is_flag=True,
    help="Send the picture to a virtual webcam for video calls (the webcam extra).",
)
@click.option(
    "--engine",
    type=click.Choice(["rtp", "ffmpeg"]),
    default="rtp",
    show_default=True,
    help="rtp: decode each frame when its last packet arrives; ffmpeg: FFmpeg's RTSP reader.",
)
def live(
    snapshot: Path | None,
    record_to: Path | None,
    duration: float | None,
    show_url: bool,
    show_stats: bool,
    serve: str | None,
    restream: str | None,
    webcam: bool,
    engine: Engine,
) -> Result | None:
    """Live view: --snapshot, --record, --url, --stats; out to --serve, --restream, --webcam.

    `--record` without `--duration` records until Ctrl-C and keeps what was recorded. `--serve`,
    `--restream` and `--webcam` (any of them together) share one camera stream, reopened after a
    drop, with a status line on stderr. Prints the file saved, the stream URL or the figures.
    Every step of the stream (connecting, DESCRIBE, SETUP, PLAY, keep-alive, the first frame)
    waits at most `--timeout`. Fails (exit 1) without the live extra, when the stream cannot be
    opened, or when `--stats` saw no frame.
    """
    out = serve is not None or restream is not None or webcam
    chosen = [bool(snapshot), bool(record_to), show_url, show_stats, out]
    if sum(chosen) != 1:
        raise click.UsageError(
            "choose one of --snapshot, --record, --url, --stats and --serve/--restream/--webcam"
        )
    if out:
        from .live_out import Outputs, parse_bind, run_outputs

        outputs = Outputs(parse_bind(serve) if serve else None, restream, webcam, duration)
        done = None
        with contextlib.suppress(KeyboardInterrupt):
            done = run_camera(lambda cam: run_outputs(cam, outputs), reconnect=True)
        return done
    if show_url:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how --url ends
            run_camera(_serve_url)
        return None
    if snapshot is not None:
        frame = run_camera(lambda cam: _with_live(cam, engine, lambda lv: lv.snapshot(snapshot)))
        data = {"path": snapshot, "width": frame.width, "height": frame.height}
        return Result(data, f"Saved {snapshot} ({frame.width}x{frame.height})")
    if record_to is not None:
        path = record_to
        rec = run_camera(
            lambda cam: _with_live(
                cam,
                engine,
                (lambda lv: lv.record(path, duration))
                if duration is not None
                else (lambda lv: _record_until_ctrl_c(lv, path)),
            )
        )
        data = {"path": rec.path, "frames": rec.frames, "duration": rec.duration}
        return Result(data, f"Saved {rec.path} ({rec.frames} frames, {rec.duration:.1f} s)")
    stats = run_camera(
        lambda cam: _with_live(cam, engine, lambda lv: _measure(lv, duration or 5.0))
    )
    data = {
        "fps": round(stats.fps, 2),
        "frames": stats.frames,
        "dropped": stats.dropped,
        "reconnects": stats.reconnects,
        "packets_lost": stats.packets_lost,
        "packets_late": stats.packets_late,
        "latency_median_ms": _ms(stats.latency_median),
        "latency_p95_ms": _ms(stats.latency_p95),
    }
    latency = (
        f"latency median {data['latency_median_ms']} ms, p95 {data['latency_p95_ms']} ms"
        if stats.latency_median is not None
        else "latency unknown (the camera sends no capture times)"
    )
    view = (
        f"{stats.fps:.1f} fps, {stats.frames} frames, {stats.dropped} dropped, "
        f"{stats.packets_lost} packets lost, {latency}"
    )
    return Result(data, view)


async def _with_live(cam: Camera, engine: Engine, job: Callable[[LiveView], Awaitable[T]]) -> T:
    async with cam.live_view(engine=engine, open_timeout=cam.settings.timeout) as live_view:
        return await job(live_view)


async def _record_until_ctrl_c(live_view: LiveView, path: Path) -> Recording:
    import asyncio

    recording = live_view.start_recording(path)
    click.echo(safe(f"Recording {path}; Ctrl-C to stop"), err=True)
    try:
        return await recording.wait()  # ends by itself only if the stream ends for good
    except asyncio.CancelledError:  # Ctrl-C: asyncio.run cancels the command
        task = asyncio.current_task()
        if task is None or task.uncancel() > 0:
            raise  # cancelled for another reason as well
        return await recording.stop()


async def _measure(live_view: LiveView, seconds: float) -> LiveStats:
    import asyncio

    from .. import CameraTimeoutError

    try:
        async with asyncio.timeout(seconds) as window:
            async for _ in live_view.frames():
                pass
    except TimeoutError:
        if not window.expired():  # the stream gave up (CameraTimeoutError), not the window
            raise
    stats = live_view.stats()
    if not stats.frames:
        lost = f"; {stats.packets_lost} packets lost" if stats.packets_lost else ""
        raise CameraTimeoutError(f"{live_view.url}: no frame arrived in {seconds:g} s{lost}")
    return stats


async def _serve_url(cam: Camera) -> None:
    import asyncio

    await cam.start_viewfinder()
    try:
        emit(Result({"url": cam.rtsp_url}, safe(cam.rtsp_url)))
        await asyncio.Event().wait()  # until Ctrl-C
    finally:
        await cam.stop_viewfinder()


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)
