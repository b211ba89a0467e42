"""The sans-I/O protocol object shared by the client and the emulated camera.

Bytes in, messages out; messages in, bytes out. No sockets, no asyncio: the client's
driver and the emulator's server each wrap one `YiProtocol` per connection.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from .._errors import ProtocolError
from .framing import MAX_OBJECT_SIZE, JsonStreamFramer
from .ids import MsgId
from .messages import Message, Notification, Reply, Request, Style, encode

__all__ = ["Role", "YiProtocol"]


class Role(Enum):
    """Which end of the control connection a `YiProtocol` plays."""

    CLIENT = "client"
    CAMERA = "camera"


class YiProtocol:
    """Frames, classifies and encodes control-channel messages for one side."""

    def __init__(
        self,
        role: Role,
        *,
        style: Style = Style.COMPACT,
        max_object_size: int = MAX_OBJECT_SIZE,
    ) -> None:
        self.role = role
        self.style = style
        self._framer = JsonStreamFramer(max_object_size)
        self._closed = False

    def send(self, message: Message) -> bytes:
        """The bytes for one message (one write on the wire)."""
        return encode(message.to_json(), self.style)

    def receive_data(self, data: bytes) -> list[Message]:
        """Feed received bytes; `b""` means the peer closed the connection."""
        if not data:
            self._closed = True
            if self._framer.pending:
                raise ProtocolError("connection closed in the middle of a message")
            return []
        return [self._classify(obj) for obj in self._framer.feed(data)]

    def discard_buffer(self) -> None:
        """Drop buffered bytes after a framing error, to resynchronise."""
        self._framer.reset()

    def _classify(self, obj: dict[str, Any]) -> Message:
        if self.role is Role.CAMERA:
            return Request.from_json(obj)
        msg_id = obj.get("msg_id")
        if "rval" in obj:
            return Reply.from_json(obj)
        if msg_id == MsgId.QUERY_SESSION_HOLDER:
            return Request.from_json(obj)
        if msg_id == MsgId.NOTIFICATION or msg_id is None:
            return Notification.from_json(obj)
        # An answer without rval: the camera itself reads a missing rval as success.
        return Reply.from_json(obj)
