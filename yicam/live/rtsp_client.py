"""A blocking RTSP client for the camera's dialect: one H.264 track, RTP over UDP only.

DESCRIBE, SETUP (UDP; a Yi refuses TCP), PLAY, a keep-alive well inside the session timeout,
TEARDOWN. Each step waits at most `timeout` seconds for its answer, the keep-alive too. It runs
in the live view's decoding thread, next to the RTP sockets it reads, so a packet goes from the
socket to the decoder without crossing threads.
"""

from __future__ import annotations

import contextlib
import socket
import time
from urllib.parse import urlsplit

from yicam._errors import CameraConnectionError, CameraTimeoutError, ProtocolError, YicamError

from .._session.interface import bind_device, connect_blocking
from .._wire.rtsp import (
    Response,
    VideoTrack,
    format_request,
    parse_sdp,
    parse_session,
    pop_response,
    port_pair,
    transport_params,
    udp_transport,
)

__all__ = ["RtspClient"]

_KEEPALIVE = 20.0  # seconds; a Yi drops RTSP sessions that stay silent much longer (YIPPY)
_RECV_BUFFER = 1 << 20  # room for a 1280x720 keyframe burst
_TEARDOWN_WAIT = 0.5  # seconds; a camera that is gone must not hold up closing


class RtspClient:
    """One RTSP session: `open()` plays the stream into `rtp`; `close()` tears it down."""

    def __init__(self, url: str, timeout: float, interface: str | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme.lower() != "rtsp" or not parts.hostname:
            raise ValueError(f"not an rtsp:// URL: {url}")
        self.url = url
        self.host = parts.hostname
        self.port = parts.port or 554
        self.timeout = timeout
        self.interface = interface  # the local interface every socket goes through (None: any)
        self.track: VideoTrack | None = None
        self.first_seq: int | None = None  # from RTP-Info
        self.server_addr: str | None = None  # RTP must come from the camera's address
        self.keepalive_interval = _KEEPALIVE
        self.rtp: socket.socket | None = None
        self.rtcp: socket.socket | None = None
        self.sock: socket.socket | None = None
        self._buffer = bytearray()
        self._cseq = 0
        self._session = ""
        self._keepalive_method = "GET_PARAMETER"
        self._last_sent = 0.0
        self._unanswered: tuple[int, float] | None = None  # keep-alive CSeq, when sent

    def open(self) -> VideoTrack:
        """Connect, DESCRIBE, SETUP over UDP and PLAY; raises CameraConnectionError."""
        try:
            self.sock = connect_blocking((self.host, self.port), self.timeout, self.interface)
        except TimeoutError:
            raise CameraTimeoutError(
                f"{self.url}: no answer from the camera within {self.timeout:g} s"
            ) from None
        except OSError as exc:
            raise CameraConnectionError(f"{self.url}: cannot connect ({exc})") from exc
        self.server_addr = self.sock.getpeername()[0]
        options = self._request("OPTIONS", self.url)
        if "GET_PARAMETER" not in options.headers.get("public", "GET_PARAMETER").upper():
            self._keepalive_method = "OPTIONS"
        described = self._request("DESCRIBE", self.url, {"Accept": "application/sdp"})
        base = described.headers.get("content-base") or described.headers.get(
            "content-location", self.url
        )
        try:
            track = parse_sdp(described.body.decode("utf-8", "replace"), base)
        except ValueError as exc:
            raise ProtocolError(f"{self.url}: {exc}") from None
        self._bind_udp()
        assert self.rtp is not None
        assert self.rtcp is not None
        ports = (self.rtp.getsockname()[1], self.rtcp.getsockname()[1])
        setup = self._request("SETUP", track.control, {"Transport": udp_transport(*ports)})
        self._session, timeout = parse_session(setup.headers.get("session", ""))
        if timeout:
            self.keepalive_interval = max(0.5, min(_KEEPALIVE, timeout / 2))
        params = transport_params(setup.headers.get("transport", ""))
        self._punch(params.get("server_port", ""))
        played = self._request("PLAY", self.url, {"Range": "npt=0.000-"})
        self.first_seq = _rtp_info_seq(played.headers.get("rtp-info", ""))
        self.track = track
        assert self.sock is not None
        self.sock.setblocking(False)
        return track

    def keepalive_due(self, now: float) -> float:
        """When the next keep-alive is due (time.monotonic() clock)."""
        return self._last_sent + self.keepalive_interval - now

    def keepalive(self) -> None:
        """Send a keep-alive request; `read_control` reads its answer."""
        if self._unanswered is None:
            self._unanswered = (self._send(self._keepalive_method, self.url), time.monotonic())

    def check_keepalive(self, now: float) -> None:
        """Raises `CameraTimeoutError` when a keep-alive got no answer within `timeout`."""
        if self._unanswered is not None and now - self._unanswered[1] > self.timeout:
            raise CameraTimeoutError(
                f"{self.url}: no answer to {self._keepalive_method} (keep-alive) within"
                f" {self.timeout:g} s"
            )

    def read_control(self) -> bool:
        """Read what the RTSP connection has; False when the camera closed it."""
        assert self.sock is not None
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False
        if not data:
            return False
        self._buffer += data
        try:
            while (response := pop_response(self._buffer)) is not None:
                if self._unanswered and response.headers.get("cseq") == str(self._unanswered[0]):
                    self._unanswered = None
        except ValueError as exc:
            raise ProtocolError(f"{self.url}: {exc}") from None
        return True

    def close(self) -> None:
        """TEARDOWN (waiting briefly for the answer) and close every socket."""
        if self.sock is not None and self._session:
            with contextlib.suppress(OSError, YicamError):
                self.sock.setblocking(True)
                self._request("TEARDOWN", self.url, timeout=_TEARDOWN_WAIT)
        for sock in (self.sock, self.rtp, self.rtcp):
            if sock is not None:
                sock.close()
        self.sock = self.rtp = self.rtcp = None

    # -- helpers ---------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        *,
        timeout: float | None = None,
    ) -> Response:
        cseq = self._send(method, url, headers)
        assert self.sock is not None
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            try:
                response = pop_response(self._buffer)
            except ValueError as exc:
                raise ProtocolError(f"{self.url}: {exc}") from None
            if response is not None:
                if response.headers.get("cseq", str(cseq)).strip() != str(cseq):
                    continue  # the answer to an earlier request
                if response.status != 200:
                    raise _refused(self.url, method, response)
                return response
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._no_answer(method, timeout)
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                raise self._no_answer(method, timeout) from None
            except OSError as exc:
                raise CameraConnectionError(f"{self.url}: {method} failed ({exc})") from exc
            if not data:
                raise CameraConnectionError(f"{self.url}: the camera closed the connection")
            self._buffer += data

    def _no_answer(self, method: str, timeout: float | None) -> CameraTimeoutError:
        waited = self.timeout if timeout is None else timeout
        return CameraTimeoutError(f"{self.url}: no answer to {method} within {waited:g} s")

    def _send(self, method: str, url: str, headers: dict[str, str] | None = None) -> int:
        assert self.sock is not None
        self._cseq += 1
        headers = dict(headers or {})
        if self._session:
            headers["Session"] = self._session
        try:
            self.sock.sendall(format_request(method, url, self._cseq, headers))
        except OSError as exc:
            raise CameraConnectionError(f"{self.url}: {method} failed ({exc})") from exc
        self._last_sent = time.monotonic()
        return self._cseq

    def _bind_udp(self) -> None:
        """RTP on an even port and RTCP on the next, on the interface that reaches the camera."""
        assert self.sock is not None
        local = self.sock.getsockname()[0]
        for _ in range(20):
            rtp = self._udp_socket()
            rtp.bind((local, 0))
            port = rtp.getsockname()[1]
            if port % 2 == 0 and port < 65535:
                rtcp = self._udp_socket()
                try:
                    rtcp.bind((local, port + 1))
                except OSError:
                    rtcp.close()
                else:
                    self.rtp, self.rtcp = rtp, rtcp
                    break
            rtp.close()
        else:  # no even/odd pair free: any two ports (the Transport header names both)
            self.rtp = self._udp_socket()
            self.rtp.bind((local, 0))
            self.rtcp = self._udp_socket()
            self.rtcp.bind((local, 0))
        for sock in (self.rtp, self.rtcp):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECV_BUFFER)
            sock.setblocking(False)

    def _udp_socket(self) -> socket.socket:
        """A UDP socket of the control socket's family, on the session's interface (where the
        OS ties sockets to a device; else the local address it is bound to does it)."""
        assert self.sock is not None
        sock = socket.socket(self.sock.family, socket.SOCK_DGRAM)
        if self.interface is not None:
            try:
                bind_device(sock, self.interface)
            except BaseException:
                sock.close()
                raise
        return sock

    def _punch(self, server_ports: str) -> None:
        """One empty packet to each server port opens a stateful firewall for the stream."""
        ports = port_pair(server_ports)
        if ports is None or self.server_addr is None:
            return
        rtp_header = bytes([0x80, 96]) + bytes(10)
        receiver_report = bytes([0x80, 201, 0, 1]) + bytes(4)
        assert self.rtp is not None
        assert self.rtcp is not None
        with contextlib.suppress(OSError):
            self.rtp.sendto(rtp_header, (self.server_addr, ports[0]))
            self.rtcp.sendto(receiver_report, (self.server_addr, ports[1]))


def _refused(url: str, method: str, response: Response) -> CameraConnectionError:
    status = f"{response.status} {response.reason}".strip()
    if response.status in (404, 454):
        return CameraConnectionError(
            f"{url}: the camera refused the stream ({method}: {status}); is the viewfinder on?"
        )
    return CameraConnectionError(f"{url}: {method} failed: {status}")


def _rtp_info_seq(value: str) -> int | None:
    for param in value.split(",")[0].split(";"):
        name, _, number = param.strip().partition("=")
        if name.lower() == "seq" and number.isdigit():
            return int(number) & 0xFFFF
    return None
