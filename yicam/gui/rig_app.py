"""`yicam gui --rig`: the rig view as the app's window (`--demo`: of four emulated cameras)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from PySide6.QtCore import QSettings

from .app import APP_NAME, GuiThreadGarbageCollector, demo_camera, shut_down
from .exits import ExitWatch
from .rig_model import Member
from .rig_window import RigWindow

__all__ = ["run_rig"]

DEMO_CAMERAS = 4


async def run_rig(
    members: Sequence[Member],
    demo: bool = False,
    model: str = "yi1",
    exits: ExitWatch | None = None,
) -> int:
    """Show the rig view until it is closed (with `demo`, of four emulated cameras); returns 0."""
    async with contextlib.AsyncExitStack() as stack:
        if demo:
            members = [
                (f"cam{i}", await stack.enter_async_context(demo_camera(model)))
                for i in range(1, DEMO_CAMERAS + 1)
            ]
        # The demo keeps its own settings: its folder is not the cameras'.
        settings = QSettings(APP_NAME, "yicam-demo") if demo else QSettings()
        window = RigWindow(members, settings)
        closed = asyncio.Event()
        window.closed.connect(closed.set)
        if exits is not None:
            exits.watch(window, settings)
        window.show()
        GuiThreadGarbageCollector.settle()
        window.start()
        await closed.wait()
        await shut_down(window.shutdown())
    return 0
