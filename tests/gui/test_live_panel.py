"""The embedded live view against the emulator's real RTSP stream (decoded by PyAV)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import av
from PySide6.QtCore import Qt

from yicam.emulator import Emulator
from yicam.gui.main_window import MainWindow

from .conftest import WAIT, connect, ports_of, target_of


def _picture(window: MainWindow) -> tuple[int, float]:
    """Distinct colours in the live view, and the share of plain background pixels."""
    image = window.live_panel.view.grab().toImage()
    pixels = [
        image.pixel(x, y) & 0xFFFFFF
        for x in range(0, image.width(), 7)
        for y in range(0, image.height(), 7)
    ]
    return len(set(pixels)), pixels.count(0x101010) / len(pixels)


def _start_live(qtbot: Any, window: MainWindow) -> None:
    connect(qtbot, window)
    qtbot.mouseClick(window.live_panel.toggle, Qt.MouseButton.LeftButton)
    view = window.live_panel.view
    qtbot.waitUntil(lambda: view.frames_painted >= 10, timeout=WAIT)


def test_live_view_paints_frames_with_an_overlay(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    _start_live(qtbot, window)
    view = window.live_panel.view
    painted = view.frames_painted
    qtbot.waitUntil(lambda: view.frames_painted > painted + 5, timeout=WAIT)
    colours, background = _picture(window)
    assert colours > 50  # a picture, not a blank or single-colour area
    assert background < 0.5
    qtbot.waitUntil(lambda: view.stats is not None and view.stats.fps > 0, timeout=WAIT)
    assert window.live_panel.toggle.text() == "Stop live view"
    assert emu.state.viewfinder

    qtbot.mouseClick(window.live_panel.toggle, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.live_panel.toggle.text() == "Start live view", timeout=WAIT)
    qtbot.waitUntil(lambda: not emu.state.viewfinder, timeout=WAIT)
    assert _picture(window)[1] > 0.9  # the placeholder, no stale frame


def test_snapshot_and_clip_land_in_the_download_folder(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    _start_live(qtbot, window)
    panel = window.live_panel
    qtbot.mouseClick(panel.snapshot, Qt.MouseButton.LeftButton)
    folder = tmp_path / "downloads"
    qtbot.waitUntil(lambda: "Snapshot saved" in panel.message.text(), timeout=WAIT)
    (snapshot,) = folder.glob("snapshot-*.jpg")
    assert snapshot.read_bytes()[:2] == b"\xff\xd8"

    assert panel.clip.text() == "Record clip"
    qtbot.mouseClick(panel.clip, Qt.MouseButton.LeftButton)  # Record...
    qtbot.waitUntil(lambda: _clip_time(panel.clip.text()) >= 2, timeout=WAIT)
    assert list(folder.glob("clip-*.mp4")) == []  # only the .part until it is finished
    qtbot.mouseClick(panel.clip, Qt.MouseButton.LeftButton)  # ...Stop
    qtbot.waitUntil(lambda: "Clip saved" in panel.message.text(), timeout=WAIT)
    assert panel.clip.text() == "Record clip"
    (clip,) = folder.glob("clip-*.mp4")
    frames, duration = _read_clip(clip)
    assert frames > 0
    assert 2.0 <= duration < 30.0  # stopped once the button showed 00:02
    # The message gives the recording's own length; the file's may round the other way.
    said = re.search(r"([0-9.]+) s, ([0-9]+) frames", panel.message.text())
    assert said is not None
    assert abs(float(said[1]) - duration) <= 0.15
    assert int(said[2]) == frames
    assert list(folder.glob("*.part")) == []
    assert panel.clip.isEnabled()


def test_stopping_the_live_view_saves_the_clip(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    _start_live(qtbot, window)
    panel = window.live_panel
    qtbot.mouseClick(panel.clip, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _clip_time(panel.clip.text()) >= 1, timeout=WAIT)
    qtbot.mouseClick(panel.toggle, Qt.MouseButton.LeftButton)  # the stream ends mid-clip
    qtbot.waitUntil(lambda: "Clip saved" in panel.message.text(), timeout=WAIT)
    assert panel.clip.text() == "Record clip"
    qtbot.waitUntil(lambda: panel.toggle.text() == "Start live view", timeout=WAIT)
    assert not panel.clip.isEnabled()  # no stream, nothing to record
    (clip,) = (tmp_path / "downloads").glob("clip-*.mp4")
    frames, duration = _read_clip(clip)
    assert frames > 0
    assert duration >= 1.0


def _clip_time(text: str) -> int:
    """Seconds shown on the button, `Stop clip (MM:SS)`; -1 when not recording."""
    match = re.fullmatch(r"Stop clip \((\d\d):(\d\d)\)", text)
    return int(match[1]) * 60 + int(match[2]) if match else -1


def _read_clip(path: Path) -> tuple[int, float]:
    """Decoded frames and duration (seconds) of an MP4, read back with PyAV."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        assert container.duration is not None
        return frames, container.duration / 1_000_000


def test_disconnecting_stops_the_live_view_quietly(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    _start_live(qtbot, window)
    panel = window.live_panel
    qtbot.mouseClick(window.connection_bar.disconnect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.toggle.text() == "Start live view", timeout=WAIT)
    qtbot.waitUntil(lambda: not emu.state.viewfinder or not emu.state.sessions, timeout=WAIT)
    assert panel.message.text() == ""  # the user disconnected: no "went out of range"
    assert not window.banner.isVisible()


def test_live_view_keeps_going_across_a_setting_change(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    _start_live(qtbot, window)
    view = window.live_panel.view
    cam = window.session.camera
    assert cam is not None
    from .conftest import run

    run(qtbot, cam.set_setting("video_quality", "Fine"))  # Yi 1: viewfinder stopped, restarted
    assert emu.state.settings["video_quality"] == "Fine"
    painted = view.frames_painted
    qtbot.waitUntil(lambda: view.frames_painted > painted + 10, timeout=30_000)
    assert window.live_panel.toggle.text() == "Stop live view"


def test_live_view_rides_out_packet_loss(qtbot: Any, make_window: Any, emu_thread: Any) -> None:
    from yicam.emulator import Faults

    from .conftest import target_of

    emu = emu_thread.emulator(faults=Faults(rtp_loss=0.05, seed=7))
    window = make_window(target_of(emu))
    _start_live(qtbot, window)
    view = window.live_panel.view
    painted = view.frames_painted
    qtbot.waitUntil(lambda: view.frames_painted > painted + 30, timeout=30_000)
    qtbot.waitUntil(lambda: view.stats is not None and view.stats.dropped > 0, timeout=WAIT)
    assert window.live_panel.toggle.text() == "Stop live view"


def test_live_view_comes_back_after_the_camera_does(
    qtbot: Any, window: MainWindow, emu: Emulator, emu_thread: Any
) -> None:
    _start_live(qtbot, window)
    ports = ports_of(emu)
    emu_thread.run(emu.close())
    panel = window.live_panel
    qtbot.waitUntil(lambda: panel.toggle.text() == "Start live view", timeout=WAIT)
    assert not panel.toggle.isEnabled()
    emu_thread.emulator(**ports)
    qtbot.mouseClick(window.banner.reconnect, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.toggle.text() == "Stop live view", timeout=WAIT)
    painted = panel.view.frames_painted
    qtbot.waitUntil(lambda: panel.view.frames_painted > painted + 10, timeout=WAIT)


def test_live_view_starts_on_connect_by_default(
    qtbot: Any, make_window: Any, emu: Emulator, settings: Any
) -> None:
    settings.remove("live/startOnConnect")  # a first run: the default
    window: MainWindow = make_window(target_of(emu))
    assert window.live_on_connect_action.isChecked()
    connect(qtbot, window)
    view = window.live_panel.view
    qtbot.waitUntil(lambda: view.frames_painted > 3, timeout=WAIT)  # no click
    assert window.live_panel.toggle.text() == "Stop live view"
    assert emu.state.viewfinder


def test_live_view_on_connect_can_be_turned_off(
    qtbot: Any, make_window: Any, emu: Emulator, settings: Any
) -> None:
    settings.remove("live/startOnConnect")
    window: MainWindow = make_window(target_of(emu))
    window.live_on_connect_action.trigger()  # View > Start live view on connect: off
    assert settings.value("live/startOnConnect") == "false"
    connect(qtbot, window)
    qtbot.waitUntil(lambda: window.media_panel.count.text() != "", timeout=WAIT)
    assert not window.live.running
    assert window.live_panel.view.placeholder == "Live view off: press Start live view"
