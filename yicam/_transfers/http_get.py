"""GETs from the camera's web server with the standard library's `http.client`.

Everything here blocks: it runs in the worker thread of a download (`HttpGet`) or of a
thumbnail (`get_small`). Only `HttpGet.stop` is called from the event loop: it shuts the socket
down, which ends a blocking read at once.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
from urllib.parse import quote

from .._errors import (
    CameraConnectionError,
    CameraTimeoutError,
    ProtocolError,
    RemoteFileNotFoundError,
    TransferError,
)
from .._session.interface import connect_blocking

__all__ = ["HttpClosedError", "HttpGet", "get_small", "http_url_path"]

_CONTENT_RANGE = re.compile(r"^bytes\s+(\d+)-(\d+)/(\d+)$")
_UNSATISFIED_RANGE = re.compile(r"^bytes\s+\*/(\d+)$")


class HttpClosedError(CameraConnectionError):
    """The web port closed the connection before answering (a Yi 1 before 259)."""


def http_url_path(camera_path: str, card_root: str) -> str:
    """The URL path of a card file: `/tmp/fuse_d/DCIM/...` becomes `/DCIM/...`."""
    if not camera_path.startswith(card_root + "/"):
        raise RemoteFileNotFoundError(
            f"{camera_path} is not on the card ({card_root}): the web server cannot serve it"
        )
    return quote(camera_path[len(card_root) :])


class HttpGet:
    """One GET of a card file from `offset` (a Range request when > 0).

    After `open`, `length` body bytes from `offset` of a `total`-byte file are to be read with
    `readinto`. A server that ignores the Range answers 200: then `offset` is 0.
    """

    name = "web"

    def __init__(
        self,
        host: str,
        port: int,
        camera_path: str,
        card_root: str,
        offset: int,
        timeout: float,
        stall: float,
        interface: str | None = None,
    ) -> None:
        self.camera_path = camera_path
        self.offset = offset
        self.length = 0
        self.total = 0
        self._target = http_url_path(camera_path, card_root)
        self._conn = _Connection(host, port, timeout, interface)
        self._response: http.client.HTTPResponse | None = None
        self._sock: socket.socket | None = None
        self._stall = stall
        self._stopped = False

    def open(self) -> None:
        """Send the request and read the response head (blocking)."""
        headers = {"Connection": "close"}
        if self.offset:
            headers["Range"] = f"bytes={self.offset}-"
        _connect(self._conn)
        self._sock = self._conn.sock  # the response keeps it after `Connection: close`
        if self._stopped:
            raise CameraConnectionError("web request stopped")
        self._response = _exchange(self._conn, self._target, headers, self.camera_path)
        self._read_head(self._response)
        if self._sock is not None:
            self._sock.settimeout(self._stall)

    def readinto(self, view: memoryview) -> int:
        """Body bytes into `view` (blocking); 0 when the server closed the connection.

        One receive per call (`readinto1`): a stall loses no byte already received.
        """
        assert self._response is not None
        try:
            return self._response.readinto1(view)
        except TimeoutError as exc:
            raise CameraTimeoutError(f"no data for {self._stall:g} s from the web port") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise CameraConnectionError(f"web connection lost: {exc}") from exc

    def stop(self) -> None:
        """Shut the connection down (from the loop, while a thread reads it)."""
        self._stopped = True
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Close the connection."""
        if self._response is not None:
            self._response.close()
        self._conn.close()
        if self._sock is not None:
            self._sock.close()

    def _read_head(self, response: http.client.HTTPResponse) -> None:
        status = response.status
        length = _length(response)
        if status == 404:
            raise RemoteFileNotFoundError(f"{self.camera_path}: no such file (HTTP 404)")
        if status == 416:
            match = _UNSATISFIED_RANGE.match(response.getheader("Content-Range", ""))
            if match is None:
                raise ProtocolError("HTTP 416 without the file size in Content-Range")
            self.length, self.total = 0, int(match[1])
        elif status == 200:
            if length is None:
                raise ProtocolError(f"HTTP 200 for {self.camera_path} without Content-Length")
            self.offset, self.length, self.total = 0, length, length
        elif status == 206:
            match = _CONTENT_RANGE.match(response.getheader("Content-Range", ""))
            if match is None or length is None:
                raise ProtocolError("HTTP 206 without Content-Range or Content-Length")
            start, end, total = int(match[1]), int(match[2]), int(match[3])
            if end - start + 1 != length:
                raise ProtocolError(f"HTTP 206: Content-Range {start}-{end} vs length {length}")
            self.offset, self.length, self.total = start, length, total
        else:
            raise ProtocolError(f"HTTP {status} for {self.camera_path}")


def get_small(
    host: str,
    port: int,
    camera_path: str,
    card_root: str,
    query: str,
    timeout: float,
    limit: int,
    interface: str | None = None,
) -> bytes:
    """A whole small resource (a thumbnail), at most `limit` bytes (blocking)."""
    conn = _Connection(host, port, timeout, interface)
    response = None
    try:
        target = http_url_path(camera_path, card_root) + query
        _connect(conn)
        response = _exchange(conn, target, {"Connection": "close"}, camera_path)
        if response.status == 404:
            raise RemoteFileNotFoundError(f"{camera_path}{query}: no such file (HTTP 404)")
        if response.status != 200:
            raise ProtocolError(f"HTTP {response.status} for {camera_path}{query}")
        length = _length(response)
        if length is None or length > limit:
            raise TransferError(f"{camera_path}{query}: implausible length {length}")
        try:
            data = response.read(length)
        except TimeoutError as exc:
            raise CameraTimeoutError(f"no data for {timeout:g} s from the web port") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise CameraConnectionError(f"web connection lost: {exc}") from exc
        if len(data) != length:
            raise CameraConnectionError(
                f"{camera_path}{query}: the web port sent {len(data)} of {length} bytes"
            )
        content_type = response.getheader("Content-Type", "")
        if content_type and not content_type.startswith("image/"):
            raise TransferError(f"{camera_path}{query}: not an image ({content_type})")
        return data
    finally:
        if response is not None:
            response.close()
        conn.close()


class _Connection(http.client.HTTPConnection):
    """An HTTP connection through one local interface (None: the system's route)."""

    def __init__(self, host: str, port: int, timeout: float, interface: str | None) -> None:
        super().__init__(host, port, timeout=timeout)
        self.interface = interface

    def connect(self) -> None:
        """Open the socket through the interface; raises `OSError`."""
        if self.interface is None:
            super().connect()
            return
        self.sock = connect_blocking((self.host, self.port), self.timeout, self.interface)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _connect(conn: http.client.HTTPConnection) -> None:
    try:
        conn.connect()
    except TimeoutError as exc:
        raise CameraTimeoutError(f"cannot reach the web port {conn.host}:{conn.port}") from exc
    except OSError as exc:
        raise CameraConnectionError(
            f"cannot reach the web port {conn.host}:{conn.port}: {exc}"
        ) from exc


def _exchange(
    conn: http.client.HTTPConnection, target: str, headers: dict[str, str], camera_path: str
) -> http.client.HTTPResponse:
    """Send a GET and read the response head, mapping failures to yicam's errors."""
    where = f"{conn.host}:{conn.port}"
    try:
        conn.request("GET", target, headers=headers)
        return conn.getresponse()
    except http.client.RemoteDisconnected as exc:
        raise HttpClosedError("the web port closed the connection without answering") from exc
    except TimeoutError as exc:
        raise CameraTimeoutError(f"the web port {where} did not answer for {camera_path}") from exc
    except http.client.HTTPException as exc:
        raise ProtocolError(f"bad HTTP response for {camera_path}: {exc!r}") from exc
    except ConnectionResetError as exc:
        raise HttpClosedError("the web port reset the connection without answering") from exc
    except OSError as exc:
        raise CameraConnectionError(f"web request to {where} failed: {exc}") from exc


def _length(response: http.client.HTTPResponse) -> int | None:
    value = response.getheader("Content-Length")
    return int(value) if value is not None and value.strip().isdigit() else None
