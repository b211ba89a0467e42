"""The emulated camera's own buttons: shutter and mode, from Python, stdin and signals."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from yicam import Camera, Notification, Notify
from yicam.emulator import Emulator

from .raw_client import wait_until

YICAM = [sys.executable, "-m", "yicam.cli.main"]
EPHEMERAL = ["--port", "0", "--data-port", "0", "--http-port", "0", "--rtsp-port", "0"]


def notes(camera: Camera) -> list[Notification]:
    seen: list[Notification] = []

    def on_event(event: object) -> None:
        if isinstance(event, Notification):
            seen.append(event)

    camera.subscribe(on_event)
    return seen


def types(seen: list[Notification]) -> list[str]:
    return [str(n.type) for n in seen]


@pytest.mark.parametrize("model", ["yi1", "yi4k"])
async def test_shutter_takes_a_photo_the_client_hears_about(
    start_emulator: Callable[..., Any], model: str
) -> None:
    emu: Emulator = await start_emulator(model=model)
    emu.set_setting("system_mode", "capture")
    async with Camera("127.0.0.1", emu.port, timeout=2.0) as cam:
        seen = notes(cam)
        assert emu.press_shutter() == "photo"
        await wait_until(lambda: Notify.VF_START in types(seen))
    assert types(seen) == [
        "start_photo_capture",
        "precise_capture_data_ready",
        "photo_taken",
        "vf_start",
    ]
    assert emu.state.card.local_path(seen[2].param).read_bytes()[:2] == b"\xff\xd8"


async def test_shutter_toggles_recording(start_emulator: Callable[..., Any]) -> None:
    emu: Emulator = await start_emulator()
    async with Camera("127.0.0.1", emu.port, timeout=2.0) as cam:
        seen = notes(cam)
        assert emu.press_mode() == "record"
        assert emu.press_shutter() == "recording started"
        await wait_until(lambda: Notify.START_VIDEO_RECORD in types(seen))
        assert await cam.record_time() >= 0
        assert emu.press_shutter() == "recording stopped"
        await wait_until(lambda: Notify.VIDEO_RECORD_COMPLETE in types(seen))
    assert types(seen)[:3] == ["switch_to_rec_mode", "start_video_record", "video_record_complete"]
    assert emu.state.card.local_path(seen[2].param).is_file()


async def test_shutter_starts_and_stops_a_timelapse(start_emulator: Callable[..., Any]) -> None:
    emu: Emulator = await start_emulator(model="yi4k")
    emu.set_setting("capture_mode", "precise quality cont.")
    emu.set_setting("system_mode", "capture")
    async with Camera("127.0.0.1", emu.port, timeout=2.0) as cam:
        seen = notes(cam)
        assert emu.press_shutter() == "photo"
        await wait_until(lambda: types(seen).count("photo_taken") >= 2)
        assert emu.press_shutter() == "time-lapse stopped"
        await wait_until(lambda: Notify.VF_START in types(seen))
    assert "precise_cont_complete" in types(seen)


async def test_mode_button_on_the_4k_sends_setting_changed(
    start_emulator: Callable[..., Any],
) -> None:
    emu: Emulator = await start_emulator(model="yi4k")
    async with Camera("127.0.0.1", emu.port, timeout=2.0) as cam:
        seen = notes(cam)
        assert emu.press_mode() == "capture"  # the 4K starts in record mode
        await wait_until(lambda: bool(seen))
        assert await cam.get_setting("system_mode") == "capture"
    assert seen[0].type == "setting_changed"
    assert (seen[0].param, seen[0].fields["value"]) == ("system_mode", "capture")


async def test_shutter_refuses_while_the_card_is_missing(
    start_emulator: Callable[..., Any],
) -> None:
    emu: Emulator = await start_emulator(card_inserted=False)
    assert emu.press_shutter() == "refused (-27)"


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*YICAM, *EPHEMERAL, "emulate", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _photos(card: Path) -> list[str]:
    return sorted(p.name for p in card.rglob("YDXJ*.jpg"))


def _wait_for_photos(card: Path, count: int) -> None:
    deadline = time.monotonic() + 20
    while len(_photos(card)) < count:
        assert time.monotonic() < deadline, "no photo from the shutter button"
        time.sleep(0.02)


def test_enter_on_stdin_presses_the_shutter(tmp_path: Path) -> None:
    proc = _spawn("--sd", str(tmp_path))
    try:
        assert proc.stdout is not None
        assert proc.stdin is not None
        assert "ready" in proc.stdout.readline()
        proc.stdin.write("\n")
        proc.stdin.flush()
        _wait_for_photos(tmp_path, 1)
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert _photos(tmp_path) == ["YDXJ0001.jpg"]
    assert "shutter button: photo" in err


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no SIGUSR1/SIGUSR2")
def test_sigusr1_presses_the_shutter(tmp_path: Path) -> None:
    if sys.platform == "win32":  # skipped above; this tells mypy --platform win32 as much
        return
    proc = _spawn("--sd", str(tmp_path))
    try:
        assert proc.stdout is not None
        assert proc.stderr is not None
        assert re.search(r"--port \d+", proc.stdout.readline())
        proc.send_signal(signal.SIGUSR1)
        assert proc.stderr.readline() == "shutter button: photo\n"
        _wait_for_photos(tmp_path, 1)
        proc.send_signal(signal.SIGUSR2)
        assert proc.stderr.readline() == "mode button: record\n"
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
