"""`LogModel`: the camera's notifications as text lines, and raw commands for experts."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Signal

from yicam import (
    Camera,
    Disconnected,
    Event,
    MsgId,
    Notification,
    SessionRequested,
    YicamError,
)

from .jobs import Jobs
from .problems import clean_text
from .session_model import SessionModel

__all__ = ["LogModel", "parse_raw"]


def parse_raw(text: str) -> tuple[int, dict[str, Any]]:
    """`MSG_ID [JSON-object]` as `yicam raw` takes it; raises ValueError with a reason."""
    head, _, rest = text.strip().partition(" ")
    if not head:
        raise ValueError("type a message id (such as 13 or GET_BATTERY) and optional JSON fields")
    try:
        msg_id = int(head, 0)
    except ValueError:
        try:
            msg_id = int(MsgId[head.upper()])
        except KeyError:
            raise ValueError(f"{head!r} is neither a number nor a known message name") from None
    fields: Any = {}
    if rest.strip():
        try:
            fields = json.loads(rest)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the fields are not valid JSON ({exc})") from None
        if not isinstance(fields, dict):
            raise ValueError('the fields must be a JSON object such as {"type": "app_status"}')
        if "msg_id" in fields or "token" in fields:
            raise ValueError("leave msg_id and token out; yicam sets them")
    return msg_id, fields


class LogModel(QObject):
    """Every event as one line; `send_raw` sends any message and logs the reply."""

    line = Signal(str)

    def __init__(self, session: SessionModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cam: Camera | None = None
        self._jobs = Jobs()
        session.cameraReady.connect(self._on_camera)
        session.cameraGone.connect(self._on_gone)
        session.cameraEvent.connect(self._on_event)

    def log(self, text: str) -> None:
        """Add a line, stamped with the local time."""
        self.line.emit(f"{datetime.now():%H:%M:%S}  {clean_text(text, 2000)}")

    def send_raw(self, text: str) -> None:
        """Send `MSG_ID [JSON]` and log the reply or the error."""
        try:
            msg_id, fields = parse_raw(text)
        except ValueError as exc:
            self.log(f"raw: {exc}")
            return
        if self._cam is None:
            self.log("raw: not connected")
            return
        self._jobs.spawn(self._send(self._cam, msg_id, fields))

    async def aclose(self) -> None:
        """Stop every job."""
        await self._jobs.cancel_all()

    async def _send(self, cam: Camera, msg_id: int, fields: dict[str, Any]) -> None:
        self.log(f"> {msg_id} {json.dumps(fields, ensure_ascii=False) if fields else ''}")
        try:
            reply = await cam.call(msg_id, **fields)
        except YicamError as exc:
            self.log(f"< error: {exc}")
            return
        self.log(f"< {json.dumps(reply, ensure_ascii=False)}")

    def _on_camera(self, cam: Camera) -> None:
        self._cam = cam
        self.log(f"connected to {cam.host}")

    def _on_gone(self) -> None:
        self._cam = None

    def _on_event(self, event: Event) -> None:
        if isinstance(event, Notification):
            param = "" if event.param is None else f"  {json.dumps(event.param)}"
            self.log(f"{event.type}{param}")
        elif isinstance(event, Disconnected):
            self.log(f"disconnected{f': {event.error}' if event.error else ''}")
        elif isinstance(event, SessionRequested):
            self.log(
                "another device asked for the session; yicam kept it"
                if event.kept
                else "another device asked for the session; yicam handed it over"
            )
        else:
            self.log(type(event).__name__)
