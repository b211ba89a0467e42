"""The app attaches to a camera that a local agent owns, instead of being refused (-3)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from yicam import Camera
from yicam.emulator import Emulator
from yicam.gui.main_window import MainWindow

from ..cli_helpers import LoopThread
from .conftest import WAIT, connect, target_of

pytest.importorskip("aiomqtt")

from yicam.agent import Agent, EmbeddedBroker, find_owner


class AgentInThread:
    """An `Agent` on the embedded broker, run on the emulator's loop (as another process)."""

    def __init__(self, thread: LoopThread, emu: Emulator, folder: Path) -> None:
        self.thread = thread
        broker = thread.enter(EmbeddedBroker("127.0.0.1", 0))
        cam = Camera(
            emu.host, emu.port, data_port=emu.data_port, http_port=emu.http_port,
            rtsp_port=emu.rtsp_port or 554, timeout=3.0, event_timeout=10.0,
        )  # fmt: skip
        self.agent = Agent({"cam": cam}, broker.url, name="desk", folder=folder, refresh_every=0.5)
        self.task: asyncio.Task[None] = thread.call(
            lambda: thread.loop.create_task(self.agent.run())
        )

    def serving(self) -> bool:
        """The agent told local tools about its camera and holds the session."""
        cam = self.agent.cameras["cam"].cam
        return cam.connected and find_owner(cam.host, cam.settings.port) is not None

    def stop(self) -> None:
        """Stop it as Ctrl-C does: "offline" is published, the session closed."""

        async def stop() -> None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

        if not self.task.done():
            self.thread.run(stop())


@pytest.fixture
def agent(emu_thread: LoopThread, emu: Emulator, tmp_path: Path) -> Iterator[AgentInThread]:
    running = AgentInThread(emu_thread, emu, tmp_path / "agent")
    yield running
    running.stop()


def test_app_works_through_the_agent_that_owns_the_camera(
    qtbot: Any, make_window: Any, emu: Emulator, agent: AgentInThread, tmp_path: Path
) -> None:
    qtbot.waitUntil(agent.serving, timeout=WAIT)
    window: MainWindow = make_window(target_of(emu), tmp_path / "downloads")
    connect(qtbot, window)
    status: Any = window.statusBar()
    assert status.via.text() == "via agent desk"
    assert "Yi" in status.model.text()

    # What the agent cannot serve is off, and says why.
    toggle = window.live_panel.toggle
    assert not toggle.isEnabled()
    assert "agent desk" in toggle.toolTip()
    assert not window.media_panel.sync.isEnabled()
    assert "agent desk" in window.media_panel.sync.toolTip()

    # A photo through the agent: a new file on the camera's card, listed in the grid.
    shot = emu.sd / "DCIM/100MEDIA/YDXJ0001.jpg"
    assert not shot.exists()
    qtbot.mouseClick(window.capture_panel.photo, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(shot.is_file, timeout=WAIT)
    qtbot.waitUntil(lambda: window.media_panel.count.text() == "1 file", timeout=WAIT)
    window.grab().save(str(os.environ.get("YICAM_SHOT_DIR", tmp_path)) + "/via-agent.png")

    # The agent stops: the app says the connection is lost and offers to reconnect.
    agent.stop()
    qtbot.waitUntil(
        lambda: status.connection.text() == "Disconnected: connection lost", timeout=WAIT
    )
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT)
    assert "desk" in window.banner.title.text() + window.banner.hint.text()
    assert not window.capture_panel.photo.isEnabled()
    assert window.connection_bar.connect_button.isEnabled()

    # With the agent gone the camera is free: Reconnect opens the app's own session.
    qtbot.mouseClick(window.banner.reconnect, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status.connection.text() == "Connected", timeout=WAIT)
    assert status.via.text() == ""
    assert window.live_panel.toggle.isEnabled()
    assert window.live_panel.toggle.toolTip() == ""
