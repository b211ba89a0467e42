"""`LiveOutModel`: the live view re-served over RTSP (`LiveServer`) and pushed out (`Restreamer`).

Both listen to the window's own live view (`LiveModel.view`), so the camera sends one stream
whatever is watching; starting either starts the live view when it is off. They stop when the
live view ends: the user stopped it, the camera disconnected or the window closes.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Signal

from yicam import Camera

from .jobs import Jobs
from .live_model import LiveModel
from .session_model import SessionModel

if TYPE_CHECKING:
    from yicam.live import LiveView

__all__ = ["LiveOutModel", "Output"]

STATUS_INTERVAL = 0.5  # seconds between status updates
State = Literal["off", "starting", "on"]


class _ViewEnded(Exception):
    """The live view ended before an output could use it."""


@dataclass
class Output:
    """What one output is doing, as the panel shows it."""

    state: State = "off"
    status: Any = None  # the last ServerStatus / RestreamStatus
    message: str = ""
    task: asyncio.Task[None] | None = None
    reason: str = ""  # why it is being stopped, for the message once it has


class LiveOutModel(QObject):
    """Serve and restream the live view; `serveChanged` / `restreamChanged` say something moved."""

    serveChanged = Signal()
    restreamChanged = Signal()
    availableChanged = Signal(bool)

    def __init__(
        self, session: SessionModel, live: LiveModel, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._live = live
        self._cam: Camera | None = None
        self._jobs = Jobs()
        self._waiting: list[asyncio.Future[LiveView]] = []
        self.serving = Output()
        self.restreaming = Output()
        session.cameraReady.connect(self._on_camera)
        session.cameraGone.connect(self._on_gone)
        live.viewChanged.connect(self._on_view)

    @property
    def available(self) -> bool:
        """True when a camera is connected."""
        return self._cam is not None

    def start_serving(self, host: str, port: int) -> None:
        """Serve the live view at `rtsp://HOST:PORT/live` (port 0: any free one)."""
        if self._cam is not None and self.serving.task is None:
            self.serving.task = self._jobs.spawn(self._serve(host, port), name="yicam-gui-serve")

    def start_restreaming(self, url: str) -> None:
        """Push the live view to an rtmp:// or rtmps:// URL."""
        url = url.strip()
        if urlsplit(url).scheme.lower() not in ("rtmp", "rtmps") or not urlsplit(url).hostname:
            self._update(self.restreaming, message="Enter an rtmp:// or rtmps:// URL")
            return
        if self._cam is not None and self.restreaming.task is None:
            task = self._jobs.spawn(self._restream(url), name="yicam-gui-restream")
            self.restreaming.task = task

    def stop_serving(self) -> None:
        """Stop serving; viewers see the stream end."""
        self._stop(self.serving, "Stopped")

    def stop_restreaming(self) -> None:
        """Stop the restream."""
        self._stop(self.restreaming, "Stopped")

    async def aclose(self) -> None:
        """Stop both (the window closes)."""
        await self._jobs.cancel_all()
        self._fail_waiting()

    # -- jobs ------------------------------------------------------------------------------

    async def _serve(self, host: str, port: int) -> None:
        from yicam.live import LiveServer

        def note(server: LiveServer) -> str:
            return "" if server.loopback else f"anyone who can reach {host} can watch"

        await self._run(
            self.serving, ("serve", f"serve on port {port}"),
            lambda view: LiveServer(view, host=host, port=port), LiveServer.status, note,
        )  # fmt: skip

    async def _restream(self, url: str) -> None:
        from yicam.live import Restreamer, RestreamStatus, redact_url

        def status(restreamer: Restreamer) -> RestreamStatus:
            now = restreamer.status()
            if now.error and url in now.error:  # FFmpeg may name the URL: never the stream key
                now = replace(now, error=now.error.replace(url, redact_url(url)))
            return now

        await self._run(
            self.restreaming, ("restream", "restream"),
            lambda view: Restreamer(view, url), status, lambda _restreamer: "",
        )  # fmt: skip

    async def _run(
        self,
        out: Output,
        verbs: tuple[str, str],  # ("serve", "serve on port 8554"): the job, and when it fails
        open_: Callable[[LiveView], Any],
        status: Callable[[Any], Any],
        note: Callable[[Any], str],
    ) -> None:
        """Open an output on the live view and report its status until cancelled."""
        try:
            view = await self._view(out)
            async with open_(view) as running:
                self._update(out, "on", message=note(running))
                while True:
                    self._update(out, status=status(running))
                    await asyncio.sleep(STATUS_INTERVAL)
        except OSError as exc:  # the port is taken or the address is not this computer's
            why = os.strerror(exc.errno) if exc.errno else str(exc)  # not asyncio's long text
            out.reason = f"Cannot {verbs[1]}: {why}"
        except ValueError as exc:  # a URL Restreamer cannot use
            out.reason = f"Cannot {verbs[1]}: {exc}"
        except _ViewEnded:
            out.reason = f"Cannot {verbs[0]}: the live view did not start"
        finally:
            self._ended(out)

    async def _view(self, out: Output) -> LiveView:
        """The open live view, started if it is off."""
        if self._live.view is not None:
            return self._live.view
        self._update(out, "starting", message="Starting the live view…")
        waiter: asyncio.Future[LiveView] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        if not self._live.running:
            self._live.start()
        try:
            return await waiter
        finally:
            if waiter in self._waiting:
                self._waiting.remove(waiter)

    # -- state -----------------------------------------------------------------------------

    def _stop(self, out: Output, reason: str) -> None:
        # Once only: a second cancel would cut short the closing (a thread being joined).
        if out.task is not None and not out.task.done() and not out.task.cancelling():
            out.reason = out.reason or reason
            out.task.cancel()

    def _ended(self, out: Output) -> None:
        out.task = out.status = None
        out.state = "off"
        out.message, out.reason = out.reason or "Stopped", ""
        self._changed(out)

    def _update(
        self, out: Output, state: State | None = None, *, message: str | None = None,
        status: Any = None,
    ) -> None:  # fmt: skip
        if state is not None:
            out.state = state
        if message is not None:
            out.message = message
        if status is not None:
            out.status = status
        self._changed(out)

    def _changed(self, out: Output) -> None:
        (self.serveChanged if out is self.serving else self.restreamChanged).emit()

    def _fail_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        for waiter in waiting:
            if not waiter.done():
                waiter.set_exception(_ViewEnded())

    def _on_view(self, view: LiveView | None) -> None:
        if view is not None:
            waiting, self._waiting = self._waiting, []
            for waiter in waiting:
                if not waiter.done():
                    waiter.set_result(view)
            return
        self._fail_waiting()
        reason = "the camera disconnected" if self._cam is None else "the live view stopped"
        for out in (self.serving, self.restreaming):
            if out.state == "on":
                self._stop(out, f"Stopped: {reason}")

    def _on_camera(self, cam: Camera) -> None:
        self._cam = cam
        self.availableChanged.emit(True)

    def _on_gone(self) -> None:
        self._cam = None
        for out in (self.serving, self.restreaming):
            self._stop(out, "Stopped: the camera disconnected")
        self.availableChanged.emit(False)
