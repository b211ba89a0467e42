"""The window's connection: status, failures with their hints, take-over, drop and reconnect."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt

from yicam import Camera
from yicam.emulator import Emulator
from yicam.gui.main_window import MainWindow
from yicam.gui.status_bar import human_size

from ..agent_helpers import free_port
from ..cli_helpers import LoopThread
from .conftest import WAIT, connect, ports_of, run, target_of


def test_connect_shows_model_battery_and_card(qtbot: Any, window: MainWindow) -> None:
    assert window.windowTitle() == "yicam"
    connect(qtbot, window)
    status: Any = window.statusBar()
    qtbot.waitUntil(lambda: status.battery.text() == "Battery 86% (on battery)", timeout=WAIT)
    assert status.model.text() == "Yi 1"
    assert "YDXJv22" in status.firmware.text()
    assert status.card.text().endswith("free")
    assert window.windowTitle() == "yicam - Yi 1 (127.0.0.1)"
    assert window.capture_panel.photo.isEnabled()


def test_status_bar_shows_power_source_and_connection(
    qtbot: Any, window: MainWindow, emu: Emulator, emu_thread: LoopThread
) -> None:
    status: Any = window.statusBar()
    assert status.connection.text() == "Not connected"
    connect(qtbot, window)
    qtbot.waitUntil(lambda: status.battery.text() == "Battery 86% (on battery)", timeout=WAIT)
    assert status.battery.isEnabled()

    def plug_in(level: int) -> None:
        async def change() -> None:
            emu.state.on_adapter, emu.state.battery = True, level

        emu_thread.run(change())
        window.session.refresh_status()  # as an adapter notification would

    plug_in(90)
    qtbot.waitUntil(lambda: status.battery.text() == "Battery 90% (charging)", timeout=WAIT)
    plug_in(100)
    qtbot.waitUntil(lambda: status.battery.text() == "Battery 100% (on adapter)", timeout=WAIT)
    cam = window.session.camera
    assert cam is not None
    storage = run(qtbot, cam.get_storage())  # what the camera reports, as the bar shows it
    assert status.card.text() == f"Card {human_size(storage.free)} free"
    assert status.connection.text() == "Connected"
    qtbot.mouseClick(window.connection_bar.disconnect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status.connection.text() == "Not connected", timeout=WAIT)
    assert not status.battery.isEnabled()  # the last figures, greyed out
    assert status.battery.text() == "Battery 100% (on adapter)"
    connect(qtbot, window)
    assert status.battery.isEnabled()


def test_unreachable_camera_says_so_with_a_hint(
    qtbot: Any, make_window: Any, emu: Emulator
) -> None:
    port = free_port()  # nobody listens there (nor will: below the ephemeral range)
    target = target_of(emu)
    window = make_window(type(target)(target.host, port))
    qtbot.mouseClick(window.connection_bar.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=WAIT)
    assert window.banner.title.text() == "Cannot reach 127.0.0.1"
    assert "camera's Wi-Fi" in window.banner.hint.text()
    assert not window.banner.reconnect.isVisible()
    assert window.statusBar().connection.text() == "Not connected"
    assert not window.capture_panel.photo.isEnabled()


def test_phone_app_holding_the_session_is_named(
    qtbot: Any, window: MainWindow, emu: Emulator, emu_thread: LoopThread
) -> None:
    phone = Camera("127.0.0.1", emu.port, timeout=3.0)  # keeps its session, as the app does
    emu_thread.run(phone.connect())
    try:
        qtbot.mouseClick(window.connection_bar.connect_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=WAIT)
        assert window.banner.title.text() == "Another client holds the camera"
        assert "Close the Yi app" in window.banner.hint.text()
    finally:
        emu_thread.run(phone.close())


def test_take_over_request_is_shown_and_the_session_kept(
    qtbot: Any, window: MainWindow, emu: Emulator, emu_thread: LoopThread
) -> None:
    connect(qtbot, window)
    other = Camera("127.0.0.1", emu.port, timeout=3.0)
    # The window's loop must keep running to answer the camera's query: don't block on it.
    attempt = asyncio.run_coroutine_threadsafe(_try_connect(other), emu_thread.loop)
    qtbot.waitUntil(attempt.done, timeout=WAIT)
    assert attempt.result() == "SessionHeldError"
    notice = window.connection_bar.notice
    qtbot.waitUntil(lambda: "asked the camera for the session" in notice.text(), timeout=WAIT)
    assert "kept it" in notice.text()
    assert window.statusBar().connection.text() == "Connected"  # type: ignore[attr-defined]


async def _try_connect(cam: Camera) -> str:
    try:
        await cam.connect()
    except Exception as exc:
        return type(exc).__name__
    await cam.close()
    return "connected"


def test_drop_shows_disconnected_and_reconnect_works(
    qtbot: Any, window: MainWindow, emu: Emulator, emu_thread: LoopThread
) -> None:
    connect(qtbot, window)
    ports = ports_of(emu)
    emu_thread.run(emu.close())  # the camera goes away mid-session
    status: Any = window.statusBar()
    qtbot.waitUntil(lambda: status.connection.text().startswith("Disconnected"), timeout=WAIT)
    assert window.banner.isVisible()
    assert window.banner.title.text() == "Connection to the camera lost"
    assert "Trying again" in window.banner.hint.text()
    assert window.banner.reconnect.isVisible()
    assert not window.capture_panel.photo.isEnabled()
    assert not window.capture_panel.record.isEnabled()

    emu_thread.emulator(**ports)  # the camera is back on the same address
    qtbot.mouseClick(window.banner.reconnect, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status.connection.text() == "Connected", timeout=WAIT)
    assert not window.banner.isVisible()
    assert window.capture_panel.photo.isEnabled()


def test_host_and_geometry_are_remembered(
    qtbot: Any, make_window: Any, emu: Emulator, settings: Any
) -> None:
    window = make_window(target_of(emu))
    connect(qtbot, window)
    # The offscreen screen is 800x600 and restoring clamps to it: stay within it.
    size = (max(700, window.minimumSizeHint().width()), 540)
    window.resize(*size)
    window.close()
    assert settings.value("host") == f"127.0.0.1:{emu.port}"  # not the camera's own 7878
    again = make_window(type(target_of(emu))())  # no host given: the remembered one
    assert again.connection_bar.host.text() == f"127.0.0.1:{emu.port}"
    assert again.session.target.port == emu.port
    assert (again.width(), again.height()) == size


def test_the_window_reconnects_by_itself_when_the_camera_returns(
    qtbot: Any, window: MainWindow, emu: Emulator, emu_thread: LoopThread
) -> None:
    connect(qtbot, window)
    ports = ports_of(emu)
    emu_thread.run(emu.close())
    status: Any = window.statusBar()
    qtbot.waitUntil(lambda: "reconnecting" in status.connection.text(), timeout=WAIT)
    emu_thread.emulator(**ports)
    qtbot.waitUntil(lambda: status.connection.text() == "Connected", timeout=30_000)
    assert not window.banner.isVisible()
    qtbot.waitUntil(lambda: window.capture_panel.photo.isEnabled(), timeout=WAIT)


def test_a_missing_card_is_named_in_the_status_bar_and_on_photo(
    qtbot: Any, make_window: Any, emu_thread: LoopThread
) -> None:
    emu = emu_thread.emulator(card_inserted=False)
    window = make_window(target_of(emu))
    connect(qtbot, window)
    status: Any = window.statusBar()
    qtbot.waitUntil(lambda: status.card.text() != "", timeout=WAIT)
    assert status.card.text() == "SD card missing, busy or not formatted"
    qtbot.mouseClick(window.capture_panel.photo, Qt.MouseButton.LeftButton)
    message = window.capture_panel.message
    qtbot.waitUntil(lambda: message.text() != "", timeout=WAIT)
    assert message.text() == "Insert a card, or format it from the Camera menu."


def test_event_log_shows_notifications_and_runs_raw_commands(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    connect(qtbot, window)
    log = window.log_dock.text
    qtbot.mouseClick(window.capture_panel.photo, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "photo_taken" in log.toPlainText(), timeout=WAIT)
    assert "/tmp/fuse_d/DCIM/100MEDIA/YDXJ0001.jpg" in log.toPlainText()
    command = window.log_dock.command
    qtbot.keyClicks(command, 'get_setting {"type": "video_quality"}')
    qtbot.keyClick(command, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: '"param": "S.Fine"' in log.toPlainText(), timeout=WAIT)
    assert command.text() == ""
    qtbot.keyClicks(command, "1 [not json")
    qtbot.keyClick(command, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "raw: the fields are not valid JSON" in log.toPlainText(), timeout=WAIT)


def test_demo_camera_runs_in_the_windows_own_loop(qtbot: Any, make_window: Any) -> None:
    from contextlib import AsyncExitStack

    from yicam.gui.app import demo_camera

    from .conftest import run

    stack = AsyncExitStack()
    target = run(qtbot, stack.enter_async_context(demo_camera()))
    try:
        assert target.host == "127.0.0.1"
        assert target.port not in (0, 7878)
        window = make_window(target)
        connect(qtbot, window)
        status: Any = window.statusBar()
        qtbot.waitUntil(lambda: status.battery.text() == "Battery 86% (on battery)", timeout=WAIT)
        # A card of sample media: three photos, a clip and a time-lapse set of six.
        qtbot.waitUntil(lambda: window.media_panel.count.text() == "10 files", timeout=WAIT)
        run(qtbot, window.shutdown())
    finally:
        run(qtbot, stack.aclose())
