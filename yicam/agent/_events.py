"""Camera events as JSON on `<agent>/<camera>/event`, and back into `yicam` events."""

from __future__ import annotations

import time
from typing import Any

import yicam

from ._codec import encode

__all__ = ["event_from_json", "event_to_json"]


def event_to_json(event: yicam.Event) -> dict[str, Any]:
    """The JSON of a camera event (a notification or a connection event)."""
    data: dict[str, Any]
    if isinstance(event, yicam.Notification):
        data = {
            "kind": "notification",
            "type": str(event.type),
            "param": _plain(event.param),
            "fields": _plain(dict(event.fields)),
        }
    elif isinstance(event, yicam.Disconnected):
        error = None if event.error is None else str(event.error)
        data = {"kind": "disconnected", "error": error, "reconnecting": event.reconnecting}
    elif isinstance(event, yicam.Reconnecting):
        data = {"kind": "reconnecting", "attempt": event.attempt, "delay": event.delay}
    elif isinstance(event, yicam.Reconnected):
        data = {"kind": "reconnected"}
    else:
        data = {"kind": "session_requested", "kept": event.kept}
    data["time"] = time.time()
    return data


def event_from_json(data: Any) -> yicam.Event | None:
    """The `yicam` event of `event_to_json`'s JSON; None for other kinds (job reports)."""
    if not isinstance(data, dict):
        return None
    kind = data.get("kind")
    if kind == "notification":
        fields = data.get("fields")
        return yicam.Notification(
            type=yicam.Notify.convert(str(data.get("type", ""))),
            param=data.get("param"),
            fields=fields if isinstance(fields, dict) else {},
        )
    if kind == "disconnected":
        error = data.get("error")
        return yicam.Disconnected(
            yicam.CameraConnectionError(str(error)) if error else None,
            bool(data.get("reconnecting")),
        )
    if kind == "reconnecting":
        return yicam.Reconnecting(int(data.get("attempt", 0)), float(data.get("delay", 0.0)))
    if kind == "reconnected":
        return yicam.Reconnected()
    if kind == "session_requested":
        return yicam.SessionRequested(bool(data.get("kept")))
    return None


def _plain(value: Any) -> Any:
    """Notification fields are camera JSON already; anything else is made plain."""
    try:
        return encode(value)
    except TypeError:
        return str(value)
