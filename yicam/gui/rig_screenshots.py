"""Screenshots of the rig view (four emulated cameras) and of the camera picker, for the docs.

Part of `python -m yicam.gui.screenshots DIR`: real frames from `yicam emulate --count 4`'s
RTSP streams, a real Photo all and Record all, and a real search of a loopback network
(127.78.0.0/29, bindable on Linux) for the picker, which reads a config file of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from yicam import CameraConfig, ConnectionSettings, add_camera
from yicam.emulator import Emulator

from .camera_picker import CameraPicker
from .rig_window import RigWindow
from .target import Target

__all__ = ["render_picker", "render_rig"]

RIG_NAMES = ("front", "left", "right", "rear")
SEARCHED = "127.78.0.0/29"


async def _until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - widget state has no event to wait on
            await asyncio.sleep(0.05)


def _emulator(host: str = "127.0.0.1", port: int = 0, sd: Path | None = None) -> Emulator:
    return Emulator(host, port, data_port=0, http_port=0, rtsp_port=0, time_scale=0.2, sd=sd)


def _target(emu: Emulator) -> Target:
    return Target(emu.host, emu.port, emu.data_port, emu.http_port, emu.rtsp_port or 554)


async def render_rig(folder: Path) -> Path:
    """Write rig-view.png: four cameras live (`yicam emulate --count 4`, in a process of its
    own as cameras are), just after Photo all and Record all."""
    work = Path(tempfile.mkdtemp(prefix="yicam-shots-rig-"))
    with _emulated_rig(work) as targets:
        settings = QSettings(str(work / "yicam.ini"), QSettings.Format.IniFormat)
        settings.setValue("downloads/folder", str(work / "rig"))
        window = RigWindow(list(zip(RIG_NAMES, targets, strict=True)), settings)
        window.show()
        window.start()
        try:
            tiles = window.tiles
            await _until(lambda: all(t.view.frames_painted > 30 for t in tiles))
            await _until(lambda: all("Battery" in t.figures.text() for t in tiles))
            window.model.photo_all()
            await _until(lambda: window.summary.text().startswith("Photo all"))
            window.model.record_all()
            await _until(lambda: window.summary.text().startswith("Record all"))
            await _until(lambda: all((t.camera.status.record_seconds or 0) >= 2 for t in tiles))
            return await _save(window, folder / "rig-view.png")
        finally:
            await window.shutdown()
            window.close()


@contextlib.contextmanager
def _emulated_rig(work: Path) -> Iterator[list[Target]]:
    """`yicam emulate --count 4` on free ports: where each of its cameras is."""
    ephemeral = ["--port", "0", "--data-port", "0", "--http-port", "0", "--rtsp-port", "0"]
    command = [sys.executable, "-m", "yicam.cli.main", *ephemeral, "emulate", "--count", "4"]
    with subprocess.Popen(  # noqa: S603 - this interpreter, a fixed command
        [*command, "--sd", str(work / "cards")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            ready = [process.stdout.readline() for _ in RIG_NAMES]
            targets = [_ready_target(line) for line in ready]
            yield targets
        finally:
            process.terminate()
            process.wait(20)


def _ready_target(line: str) -> Target:
    """Where an emulator's ready line says it is."""
    options = dict(re.findall(r"--([a-z-]+) (\S+)", line))
    if "host" not in options:
        raise OSError(f"the emulator did not start: {line.strip()!r}")
    return Target(
        options["host"],
        int(options.get("port", 7878)),
        int(options.get("data-port", 8787)),
        int(options.get("http-port", 80)),
        int(options.get("rtsp-port", 554)),
    )


async def render_picker(folder: Path) -> Path:
    """Write camera-picker.png: two named cameras, and what a search of 127.78.0.0/29 found."""
    work = Path(tempfile.mkdtemp(prefix="yicam-shots-picker-"))
    with _config(work / "config.toml"):
        async with contextlib.AsyncExitStack() as stack:
            found = await _found_cameras(stack)
            studio = await stack.enter_async_context(_emulator())
            at = ConnectionSettings(found[0].host, found[0].port)
            add_camera(CameraConfig("left", at, model="Yi 1", serial="Z23LSHOT0002"))
            add_camera(CameraConfig("studio", _target(studio), model="Yi 1"))
            picker = CameraPicker(Target("127.0.0.1", found[0].port))
            picker.resize(760, 440)
            picker.show()
            try:
                picker.networks.setText(SEARCHED)
                picker.find_button.click()
                await _until(lambda: not picker.model.searching)
                last = picker.list.topLevelItem(picker.list.topLevelItemCount() - 1)
                if last is not None:
                    picker.list.setCurrentItem(last)
                picker.name.setText("rear")
                return await _save(picker, folder / "camera-picker.png")
            finally:
                await picker.aclose()
                picker.close()


async def _found_cameras(stack: contextlib.AsyncExitStack) -> list[Emulator]:
    """Three cameras on 127.78.0.2..4 sharing a port: 7878 where it is free."""
    for port in (7878, 0):
        try:
            first = await stack.enter_async_context(_emulator("127.78.0.2", port))
        except OSError:
            continue
        others = [
            await stack.enter_async_context(_emulator(f"127.78.0.{i}", first.port)) for i in (3, 4)
        ]
        for index, emu in enumerate((first, *others), 2):
            emu.state.settings["serial_number"] = f"Z23LSHOT{index:04d}"
        return [first, *others]
    raise OSError("cannot bind 127.78.0.2: no loopback network to search")


@contextlib.contextmanager
def _config(path: Path) -> Iterator[None]:
    """YICAM_CONFIG pointing at `path` for the duration: the user's file stays untouched."""
    old = os.environ.get("YICAM_CONFIG")
    os.environ["YICAM_CONFIG"] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("YICAM_CONFIG", None)
        else:
            os.environ["YICAM_CONFIG"] = old


async def _save(widget: QWidget, path: Path) -> Path:
    await asyncio.sleep(0.3)  # let a few frames paint
    if not widget.grab().save(str(path)):
        raise OSError(f"cannot write {path}")
    return path
