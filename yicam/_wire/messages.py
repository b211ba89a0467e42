"""Typed messages of the control channel, and how each side encodes them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .ids import MsgId, Notify

__all__ = ["Message", "Notification", "Reply", "Request", "Style", "encode"]


class Style(Enum):
    """How JSON is written on the wire."""

    COMPACT = "compact"  # {"rval":0,"msg_id":257}: clients, SJCAM, Ambarella AppLib
    SPACED = "spaced"  # { "rval": 0, "msg_id": 257 } with \/ escapes: Yi 1 firmware


@dataclass(frozen=True, slots=True)
class Request:
    """A command; sent by the client, or by the camera for the 1793 session query."""

    msg_id: int
    token: int | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON object, msg_id first as clients send it."""
        obj: dict[str, Any] = {"msg_id": int(self.msg_id)}
        if self.token is not None:
            obj["token"] = self.token
        obj.update(self.fields)
        return obj

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Request:
        """Tolerant parse: a missing or non-integer msg_id or token becomes 0 / None."""
        msg_id = obj.get("msg_id", 0)
        token = obj.get("token")
        fields = {k: v for k, v in obj.items() if k not in ("msg_id", "token")}
        return cls(
            msg_id=msg_id if _is_int(msg_id) else 0,
            token=token if _is_int(token) else None,
            fields=fields,
        )


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to a request; `rval` 0 means success."""

    msg_id: int
    rval: int = 0
    fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def param(self) -> Any:
        """The `param` field, the payload of most replies."""
        return self.fields.get("param")

    def to_json(self) -> dict[str, Any]:
        """The JSON object, rval first as the camera sends it."""
        return {"rval": self.rval, "msg_id": int(self.msg_id), **self.fields}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Reply:
        """Tolerant parse: a missing rval reads as 0, as the camera itself reads it."""
        rval, msg_id = obj.get("rval", 0), obj.get("msg_id", 0)
        fields = {k: v for k, v in obj.items() if k not in ("rval", "msg_id")}
        return cls(
            msg_id=msg_id if _is_int(msg_id) else 0,
            rval=rval if _is_int(rval) else -1,
            fields=fields,
        )


@dataclass(frozen=True, slots=True)
class Notification:
    """An unsolicited event from the camera (msg 7)."""

    type: Notify | str
    param: Any = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON object as the camera sends it; raises nothing."""
        obj: dict[str, Any] = {"msg_id": int(MsgId.NOTIFICATION), "type": str(self.type)}
        if self.param is not None:
            obj["param"] = self.param
        obj.update(self.fields)
        return obj

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Notification:
        """Parse any object the camera sent unprompted; returns the `Notification`.

        An unknown or missing `type` is kept as text.
        """
        kind = obj.get("type")
        fields = {k: v for k, v in obj.items() if k not in ("msg_id", "type", "param")}
        return cls(
            type=Notify.convert(kind) if isinstance(kind, str) else "",
            param=obj.get("param"),
            fields=fields,
        )


Message = Request | Reply | Notification


def encode(obj: Mapping[str, Any], style: Style = Style.COMPACT) -> bytes:
    """Serialize one JSON object in the given wire style."""
    if style is Style.COMPACT:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
    return _spaced(obj).encode()


def _spaced(value: Any) -> str:
    if isinstance(value, Mapping):
        if not value:
            return "{ }"
        inner = ", ".join(f"{_spaced(str(k))}: {_spaced(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    if isinstance(value, list | tuple):
        return "[ " + ", ".join(_spaced(v) for v in value) + " ]" if value else "[ ]"
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("/", "\\/") if isinstance(value, str) else text


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
