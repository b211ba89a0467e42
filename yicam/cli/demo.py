"""`yicam demo`: an embedded emulated camera, driven end to end by the real client."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .base import global_options, model_option
from .output import Result, emit, human_size, safe

if TYPE_CHECKING:
    from rich.table import Table

    from .. import Camera

__all__ = ["demo"]

MEDIA = "/tmp/fuse_d/DCIM/100MEDIA/"


@click.command()
@model_option
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0.01),
    default=0.5,
    show_default=True,
    help="Multiplies the camera's realistic delays.",
)
def demo(model: str, time_scale: float) -> None:
    """Drive an embedded emulated camera end to end.

    Starts an emulated camera on loopback and drives it with the real client: connect,
    device info, battery, settings, photo, record, listing, download and live view.

    Prints each step as it runs (one JSON object per step with --json). Fails with `Error: ...`
    (exit 1) at a step that fails.
    """
    import asyncio

    asyncio.run(_demo(model, time_scale))


class _Steps:
    """Numbers and prints the demo's steps: a line for people, a JSON object for --json."""

    def __init__(self) -> None:
        self.number = 0
        self.json = global_options().json

    def show(self, step: str, title: str, text: str, **data: Any) -> None:
        self.number += 1
        emit(Result({"step": step, **data}, safe(f"{self.number:>2}. {title:<17} {text}")))

    def detail(self, view: Table) -> None:
        if not self.json:
            emit(Result(None, view))


async def _demo(model: str, time_scale: float) -> None:
    from .. import Camera
    from ..emulator import Emulator
    from .emulate import settings_of

    step = _Steps()
    async with Emulator(
        "127.0.0.1", 0, data_port=0, http_port=0, rtsp_port=0, model=model, time_scale=time_scale
    ) as emu:
        step.show(
            "emulator",
            "Start emulator",
            f"{model} camera on 127.0.0.1:{emu.port} (card {emu.sd})",
            model=model,
            host="127.0.0.1",
            port=emu.port,
            card=str(emu.sd),
        )
        async with Camera(settings=settings_of(emu)) as cam:
            await _drive(cam, step, time_scale)
        step.show("disconnect", "Disconnect", "session closed", ok=True)
    emit(Result({"step": "done", "ok": True}, "Demo finished: every step worked."))


async def _drive(cam: Camera, step: _Steps, time_scale: float) -> None:
    import asyncio
    import tempfile

    from rich.table import Table
    from rich.text import Text

    step.show(
        "connect", "Connect", f"session open (model {cam.model or 'not reported'})", model=cam.model
    )
    info = await cam.device_info()
    step.show(
        "device_info",
        "Device info",
        f"{cam.model_name}, firmware {info.firmware}, serial {info.serial}",
        model=info.model,
        model_name=cam.model_name,
        firmware=info.firmware,
        serial=info.serial,
    )
    battery = await cam.get_battery()
    source = "on USB power" if battery.on_adapter else "on battery"
    step.show(
        "battery",
        "Battery",
        f"{battery.level}% ({source})",
        level=battery.level,
        on_adapter=battery.on_adapter,
    )

    settings = await cam.get_settings()
    resolution = settings.get("video_resolution", "?")
    step.show(
        "settings",
        "Settings",
        f"{len(settings)} settings; video_resolution = {resolution}",
        count=len(settings),
        video_resolution=resolution,
    )
    choices = (await cam.get_options("video_resolution")).options
    other = next((o for o in choices if o != resolution), resolution)
    await cam.set_setting("video_resolution", other)
    step.show(
        "set_setting",
        "Change a setting",
        f"video_resolution -> {other}",
        video_resolution=await cam.get_setting("video_resolution"),
    )

    photo = await cam.take_photo()
    step.show("photo", "Take a photo", photo, path=photo)

    await cam.start_recording()
    await asyncio.sleep(2 * time_scale)  # two seconds of camera time
    seconds = await cam.record_time()
    video = await cam.stop_recording()
    step.show("record", "Record a video", f"{seconds} s -> {video}", seconds=seconds, path=video)

    entries = await cam.list_dir(MEDIA)
    files = [e for e in entries if not e.is_dir]
    step.show(
        "listing",
        "List files",
        f"{len(files)} files in {MEDIA}",
        path=MEDIA,
        files=[{"name": e.name, "size": e.size, "modified": e.modified} for e in files],
    )
    table = Table(box=None, pad_edge=False, show_header=False)
    for e in files:
        modified = f"{e.modified:%Y-%m-%d %H:%M:%S}" if e.modified else ""
        table.add_row("     ", Text(safe(e.name)), human_size(e.size), modified)
    step.detail(table)

    with tempfile.TemporaryDirectory(prefix="yicam-demo-") as folder:
        result = await cam.download(video, folder)
        step.show(
            "download",
            "Download",
            f"{video} -> {human_size(result.size)}, {result.verified_by or 'not'} checked",
            path=video,
            size=result.size,
        )
        await _live(cam, step, Path(folder))


async def _live(cam: Camera, step: _Steps, folder: Path) -> None:
    from .. import YicamError

    try:
        live = cam.live_view()
    except YicamError as exc:  # no PyAV: the `live` extra is not installed
        step.show("live_view", "Live view", f"skipped: {exc}", skipped=True)
        return
    async with live:
        frame = await live.snapshot(folder / "snapshot.jpg")
        for _ in range(15):
            await live.next_frame()
        stats = live.stats()
    latency = stats.latency_median
    text = f"{frame.width}x{frame.height}, {stats.frames} frames" + (
        f", latency {latency * 1000:.0f} ms" if latency is not None else ""
    )
    step.show(
        "live_view",
        "Live view",
        text,
        width=frame.width,
        height=frame.height,
        frames=stats.frames,
        latency_ms=None if latency is None else round(latency * 1000, 1),
    )
