"""`Camera`: the asyncio client for one camera."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from ._connection import Connection
from ._download import Progress, Via
from ._download import download as _download
from ._errors import (
    CameraBusyError,
    CameraError,
    CameraTimeoutError,
    InvalidOperationError,
    ProtocolError,
    UnsafeOperationError,
    UnsupportedError,
    YicamError,
    error_for_rval,
)
from ._events import Disconnected, Event, EventStream
from ._ids import MsgId, Notify
from ._media import MediaItem
from ._media import list_media as _list_media
from ._messages import Notification, Reply, Request
from ._new_media import NewMedia
from ._results import (
    DATE_FORMAT,
    Battery,
    DeviceInfo,
    DirEntry,
    MediaInfo,
    Options,
    Storage,
    parse_date,
    parse_int,
    parse_listing,
    parse_options,
)
from ._transfer import Transfers

if TYPE_CHECKING:
    from .live import LiveView

__all__ = ["HEARTBEAT_MODELS", "Camera"]

# Models that drop the session without msg 16777244 every 5 s (protocol.md section 1.7).
HEARTBEAT_MODELS = frozenset({"Z16"})
HEARTBEAT_INTERVAL = 5.0
# Yi 1 firmware makes settings read-only while the viewfinder runs.
_YI1_MODELS = frozenset({None, "Z13"})
# Listing a file path kills the Yi 1 server: refuse paths that look like files.
_FILE_LIKE = re.compile(r"\.[A-Za-z0-9]{1,4}$")


class Camera:
    """One camera session: `async with Camera("192.168.42.1") as cam: ...`."""

    def __init__(
        self,
        host: str = "192.168.42.1",
        port: int = 7878,
        *,
        data_port: int = 8787,
        http_port: int = 80,
        rtsp_port: int = 554,
        timeout: float = 5.0,
        event_timeout: float = 30.0,
        keep_session: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.data_port = data_port
        self.http_port = http_port
        self.rtsp_port = rtsp_port
        self.timeout = timeout
        self.event_timeout = event_timeout
        self.model: str | None = None
        self.rtsp_url = (
            f"rtsp://{host}/live" if rtsp_port == 554 else f"rtsp://{host}:{rtsp_port}/live"
        )
        self.session_info: dict[str, Any] = {}
        self._conn = Connection(keep_session=keep_session)
        self._token: int | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._last_request = 0.0
        self._recording = False
        self._viewfinder = False
        self._transfers: Transfers | None = None
        self._capture_lock = asyncio.Lock()
        self._quiet = asyncio.Event()  # cleared while a photo is being taken
        self._quiet.set()
        self._conn.subscribe(self._track_state)

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the control connection and start a session (msg 257)."""
        await self._conn.open(self.host, self.port, self.timeout)
        try:
            await self._start_session()
        except BaseException:
            await self._conn.close()
            raise
        if self.model in HEARTBEAT_MODELS:
            self._heartbeat = asyncio.create_task(self._heartbeat_loop())

    async def close(self) -> None:
        """End the session (msg 258) and close the connection."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None
        if self._conn.connected and self._token is not None:
            with contextlib.suppress(CameraError, CameraTimeoutError, ProtocolError, OSError):
                await self._request(MsgId.STOP_SESSION, {}, retry_token=False)
            self._token = None
        await self._conn.close()

    @property
    def connected(self) -> bool:
        """True while the control connection is up."""
        return self._conn.connected

    # -- events ----------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call `callback` for every notification and connection event; returns unsubscribe."""
        return self._conn.subscribe(callback)

    def events(self) -> EventStream:
        """Every event from now on, as an async iterator that ends after `Disconnected`."""
        return EventStream(self.subscribe, self.connected)

    def new_media(self) -> NewMedia:
        """Each new photo or video (sidecars attached) as the camera makes it; see `NewMedia`."""
        return NewMedia(self)

    # -- raw access ------------------------------------------------------------------------

    async def call(self, msg_id: int, **fields: Any) -> dict[str, Any]:
        """Send any command and return the raw reply; a non-zero rval raises `CameraError`."""
        return (await self._request(msg_id, fields)).to_json()

    # -- settings --------------------------------------------------------------------------

    async def get_settings(self) -> dict[str, str]:
        """Every setting in the camera's order (a repeated key keeps its last value)."""
        reply = await self._request(MsgId.GET_ALL_SETTINGS, {})
        if not isinstance(reply.param, list):
            raise ProtocolError(f"settings: expected an array, got {reply.param!r}")
        settings: dict[str, str] = {}
        for item in reply.param:
            if isinstance(item, dict):
                for key, value in item.items():
                    settings.pop(key, None)  # a repeated key moves to its last position
                    settings[key] = str(value)
        return settings

    async def get_setting(self, name: str) -> str:
        """The current value of one setting (msg 1)."""
        reply = await self._request(MsgId.GET_SETTING, {"type": name})
        return str(reply.param)

    async def set_setting(self, name: str, value: str) -> None:
        """Change a setting; refused while recording, a no-op when already at `value`."""
        status = await self._app_status()
        if status == "record" or self._recording:
            raise UnsafeOperationError(
                f"refusing to change {name!r} while the camera is recording; stop recording first"
            )
        restart_vf = self.model in _YI1_MODELS and (status == "vf" or self._viewfinder)
        if restart_vf:
            await self.stop_viewfinder()
        try:
            await self._set(name, value)
        finally:
            if restart_vf:
                await self.start_viewfinder()

    async def get_options(self, name: str) -> Options:
        """The values a setting accepts and its permission (msg 9, or old msg 3 + param)."""
        try:
            reply = await self._request(MsgId.GET_OPTIONS, {"param": name})
        except UnsupportedError:
            reply = await self._request(MsgId.GET_ALL_SETTINGS, {"param": name})
        return parse_options(name, reply.to_json())

    async def sync_clock(self, when: datetime | None = None) -> datetime:
        """Set the camera clock (default: this computer's local time); returns what was set."""
        when = (when or datetime.now()).replace(microsecond=0)
        await self._set("camera_clock", when.strftime(DATE_FORMAT))
        return when

    # -- capture ---------------------------------------------------------------------------

    async def take_photo(self) -> str:
        """Take a photo; returns its camera path from the `photo_taken` notification.

        Other requests wait until the photo is written: a Yi 1 asked anything between
        `start_photo_capture` and `photo_taken` can hang until power-cycled.
        """
        async with self._capture_lock:
            self._quiet.clear()
            try:
                return await self._request_then_event(MsgId.TAKE_PHOTO, Notify.PHOTO_TAKEN)
            finally:
                self._quiet.set()

    async def start_recording(self) -> None:
        """Start recording video."""
        await self._request(MsgId.START_RECORD, {})
        self._recording = True

    async def stop_recording(self) -> str:
        """Stop recording; returns the video's camera path."""
        path = await self._request_then_event(MsgId.STOP_RECORD, Notify.VIDEO_RECORD_COMPLETE)
        self._recording = False
        return path

    async def record_time(self) -> int:
        """Seconds recorded so far in the current video."""
        reply = await self._request(MsgId.RECORD_TIME, {})
        return parse_int(reply.param, "record time")

    async def start_viewfinder(self) -> None:
        """Start the live stream (msg 259), recovering from the Yi 1's -21 once."""
        try:
            await self._request(MsgId.START_VIEWFINDER, {"param": "none_force"})
        except CameraBusyError:
            # Yi 1 after a photo/record cycle: stop, wait for vf_stop, start again (JCP).
            async with self._expect(Notify.VF_STOP) as stopped:
                await self._request(MsgId.STOP_VIEWFINDER, {})
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.timeout):
                        await stopped
            await self._request(MsgId.START_VIEWFINDER, {"param": "none_force"})
        self._viewfinder = True

    def live_view(self, **options: Any) -> LiveView:
        """The live stream: `async with cam.live_view() as live:` (needs the `live` extra).

        Starts the viewfinder (msg 259) on entry and stops it on exit; `options` go to
        `yicam.live.LiveView` (for example `stall_timeout`).
        """
        try:
            from .live import LiveView
        except ImportError as exc:
            raise YicamError("live view needs PyAV and numpy: pip install 'yicam[live]'") from exc
        return LiveView(
            self.rtsp_url, start=self.start_viewfinder, stop=self.stop_viewfinder, **options
        )

    async def stop_viewfinder(self) -> None:
        """Stop the live stream (msg 260)."""
        await self._request(MsgId.STOP_VIEWFINDER, {})
        self._viewfinder = False

    # -- status ----------------------------------------------------------------------------

    async def get_battery(self) -> Battery:
        """Battery level, and whether the adapter powers the camera."""
        reply = await self._request(MsgId.GET_BATTERY, {})
        level = parse_int(reply.param, "battery level")
        return Battery(level=level, on_adapter=reply.fields.get("type") == "adapter")

    async def get_storage(self) -> Storage:
        """Total and free bytes on the SD card."""
        total = await self._request(MsgId.GET_SPACE, {"type": "total"})
        free = await self._request(MsgId.GET_SPACE, {"type": "free"})
        return Storage(
            total=parse_int(total.param, "total space") * 1024,
            free=parse_int(free.param, "free space") * 1024,
        )

    async def device_info(self) -> DeviceInfo:
        """Model, firmware and serial (msg 11; the settings where msg 11 is not known)."""
        try:
            raw = (await self._request(MsgId.GET_DEVICE_INFO, {})).to_json()
        except CameraError:
            raw = {}
        if raw.get("fw_ver") or raw.get("firmwareVersion"):
            return DeviceInfo(
                model=raw.get("model") or self.model,
                firmware=raw.get("firmwareVersion") or raw.get("fw_ver"),
                hardware=raw.get("chip"),
                serial=raw.get("serial_number"),
                raw=raw,
            )
        settings = await self.get_settings()
        return DeviceInfo(
            model=self.model or raw.get("model"),
            firmware=settings.get("sw_version"),
            hardware=settings.get("hw_version"),
            serial=settings.get("serial_number"),
            raw={**raw, **settings},
        )

    # -- files -----------------------------------------------------------------------------

    async def list_dir(self, path: str) -> list[DirEntry]:
        """The entries of a camera directory; names are untrusted camera data."""
        path = path.rstrip("/") or ""
        if _FILE_LIKE.search(path.rsplit("/", 1)[-1]):
            raise UnsafeOperationError(
                f"refusing to list {path!r}: it looks like a file, and listing a file "
                "crashes the camera; list its directory instead"
            )
        reply = await self._request(MsgId.LIST, {"param": f"{path}/ -D -S"})
        return parse_listing(reply.fields.get("listing", []))

    async def delete(self, path: str) -> None:
        """Delete a file on the camera."""
        await self._request(MsgId.DELETE, {"param": path})

    async def media_info(self, path: str) -> MediaInfo:
        """Size, date, resolution and type of a media file (msg 1026)."""
        raw = (await self._request(MsgId.GET_MEDIA_INFO, {"param": path})).to_json()
        duration = raw.get("duration")
        return MediaInfo(
            size=parse_int(raw.get("size", 0), "media size"),
            date=parse_date(raw.get("date")),
            resolution=raw.get("resolution"),
            media_type=raw.get("media_type"),
            duration=float(duration) if isinstance(duration, int | float | str) else None,
            raw=raw,
        )

    # -- transfers -------------------------------------------------------------------------

    async def download(
        self,
        camera_path: str,
        dest: Path | str,
        *,
        resume: bool = True,
        verify: bool = True,
        progress: Progress | None = None,
        via: Via = "auto",
    ) -> Path:
        """Download to `dest` (a file or a folder) via `<dest>.part`, resumable and verified.

        `via`: "data" (port 8787, MD5-checked), "http" (port 80), or "auto" (data port,
        HTTP when the data port cannot be opened). See `yicam._download`.
        """
        result = await _download(
            self, camera_path, dest, resume=resume, verify=verify, progress=progress, via=via
        )
        return result.path

    async def upload(self, local: Path | str, camera_path: str) -> None:
        """Upload a local file to `camera_path` (refused with -13 when it exists)."""
        path = Path(local)
        md5, size = await asyncio.to_thread(_md5_and_size, path)
        await self._transfer_service().upload(path, camera_path, md5, size)

    async def thumbnail(self, camera_path: str) -> bytes:
        """The JPEG thumbnail of a photo or video (msg 1025)."""
        return await self._transfer_service().thumbnail(camera_path)

    async def cancel_transfer(self) -> bool:
        """Cancel the download or upload in progress; False when there is none."""
        return await self._transfer_service().cancel()

    async def list_media(self) -> list[MediaItem]:
        """Every file in every DCIM/NNNMEDIA folder, sidecars attached to their media."""
        return await _list_media(self)

    def _transfer_service(self) -> Transfers:
        if self._transfers is None:
            self._transfers = Transfers(self)
        return self._transfers

    # -- maintenance -----------------------------------------------------------------------

    async def format_card(self) -> None:
        """Erase the SD card."""
        await self._request(MsgId.FORMAT, {})

    async def reboot(self) -> None:
        """Reboot the camera; the connection drops soon after."""
        await self._set("dev_reboot", "on")

    async def factory_reset(self) -> None:
        """Restore the factory settings."""
        await self._set("restore_factory_settings", "on")

    # -- internals -------------------------------------------------------------------------

    async def _start_session(self) -> None:
        reply = await self._conn.request(Request(MsgId.START_SESSION, 0), self.timeout)
        if reply.rval != 0:
            raise error_for_rval(reply.rval, MsgId.START_SESSION)
        try:
            self._token = parse_int(reply.param, "session token")
        except ProtocolError as exc:
            raise ProtocolError(f"camera gave no session token: {reply.to_json()}") from exc
        self.session_info = dict(reply.fields)
        model = reply.fields.get("model")
        self.model = model if isinstance(model, str) else None
        rtsp = reply.fields.get("rtsp")
        if isinstance(rtsp, str) and rtsp.startswith("rtsp://"):
            self.rtsp_url = rtsp

    async def _request(
        self, msg_id: int, fields: dict[str, Any], *, retry_token: bool = True
    ) -> Reply:
        if self._token is None:
            raise InvalidOperationError(-14, msg_id, "no session; use `async with Camera(...)`")
        if msg_id != MsgId.TAKE_PHOTO:
            await self._quiet.wait()
        reply = await self._send(msg_id, fields)
        if reply.rval == -4 and retry_token and not self._conn.session_given_away:
            await self._start_session()  # the token went stale: get a new one, resend once
            reply = await self._send(msg_id, fields)
        if reply.rval != 0:
            raise error_for_rval(reply.rval, msg_id)
        return reply

    async def _send(self, msg_id: int, fields: dict[str, Any]) -> Reply:
        self._last_request = asyncio.get_running_loop().time()
        return await self._conn.request(Request(msg_id, self._token, fields), self.timeout)

    async def _set(self, name: str, value: str) -> None:
        try:
            await self._request(MsgId.SET_SETTING, {"type": name, "param": value})
        except InvalidOperationError:
            # Yi 1 answers -14 when the value is already set: that is success.
            if await self.get_setting(name) != value:
                raise

    async def _app_status(self) -> str | None:
        try:
            return await self.get_setting("app_status")
        except CameraError:
            return None

    async def _request_then_event(self, msg_id: int, kind: Notify) -> str:
        async with self._expect(kind) as event:
            await self._request(msg_id, {})
            try:
                async with asyncio.timeout(self.event_timeout):
                    notification = await event
            except TimeoutError as exc:
                raise CameraTimeoutError(
                    f"camera acknowledged msg {msg_id} but sent no {kind} "
                    f"within {self.event_timeout:g} s"
                ) from exc
        if not isinstance(notification.param, str):
            raise ProtocolError(f"{kind} without a path: {notification.to_json()}")
        return notification.param

    @contextlib.asynccontextmanager
    async def _expect(self, kind: Notify) -> AsyncIterator[asyncio.Future[Notification]]:
        """A future for the next `kind` notification, registered before the request."""
        future: asyncio.Future[Notification] = asyncio.get_running_loop().create_future()

        def on_event(event: Event) -> None:
            if future.done():
                return
            if isinstance(event, Notification) and event.type == kind:
                future.set_result(event)
            elif isinstance(event, Disconnected):
                future.set_exception(event.error or InvalidOperationError(-14, 0, "closed"))

        unsubscribe = self.subscribe(on_event)
        try:
            yield future
        finally:
            unsubscribe()
            if future.done() and not future.cancelled():
                future.exception()  # mark any exception as retrieved
            future.cancel()

    def _track_state(self, event: Event) -> None:
        if not isinstance(event, Notification):
            return
        if event.type == Notify.START_VIDEO_RECORD:
            self._recording = True
        elif event.type == Notify.VIDEO_RECORD_COMPLETE:
            self._recording = False
        elif event.type == Notify.VF_START:
            self._viewfinder = True
        elif event.type == Notify.VF_STOP:
            self._viewfinder = False

    async def _heartbeat_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while self._conn.connected:
            idle = loop.time() - self._last_request
            if idle < HEARTBEAT_INTERVAL:
                await asyncio.sleep(HEARTBEAT_INTERVAL - idle)
                continue
            try:
                await self._request(MsgId.HEARTBEAT, {})
            except CameraError:
                continue  # the reply to a keep-alive is undocumented; any answer will do
            except YicamError:
                return  # the connection is gone; its callers get the error


def _md5_and_size(path: Path) -> tuple[str, int]:
    hasher = hashlib.md5()
    size = 0
    with path.open("rb") as file:
        while data := file.read(1024 * 1024):
            hasher.update(data)
            size += len(data)
    return hasher.hexdigest(), size
