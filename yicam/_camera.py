"""`Camera`: the command facade over one camera's `Session`."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable, Mapping
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

from ._errors import (
    CameraError,
    CameraTimeoutError,
    InvalidOperationError,
    OutcomeUnknownError,
    ProtocolError,
    UnsafeOperationError,
    UnsupportedError,
    YicamError,
)
from ._jobs.new_media import NewMedia
from ._rig.station import StationModel
from ._rig.station_setup import StationSetup, remove_station_files, write_station_files
from ._session import commands
from ._session.events import Event, EventStream
from ._session.results import (
    DATE_FORMAT,
    Battery,
    CameraState,
    DeviceInfo,
    DirEntry,
    MediaInfo,
    Options,
    Storage,
    optional_text,
    parse_battery,
    parse_date,
    parse_int,
    parse_media_duration,
    parse_options,
    parse_settings,
    parse_storage,
    parse_text,
)
from ._session.session import ConnectionState, ReconnectPolicy, Session
from ._session.settings import ConnectionSettings
from ._tasks import cancel_and_wait
from ._transfers.download import DownloadResult, FetchOptions, Progress, Via
from ._transfers.media import MediaItem
from ._transfers.owner import ThumbnailSize, ThumbnailVia, Transfers
from ._transfers.retry import RetryPolicy
from ._transfers.sync import SyncReport
from ._wire.ids import MsgId, Notify
from ._wire.limits import check_setting
from ._wire.messages import Reply
from ._wire.quirks import Quirks

if TYPE_CHECKING:
    from .live import LiveView

__all__ = ["Camera"]


class Camera:
    """One camera: `async with Camera("192.168.42.1") as cam: ...`, as often as needed.

    `reconnect=True` (or a `ReconnectPolicy`) brings the session back after a drop;
    the session itself is `cam.session`.

    Every method that talks to the camera may raise `CameraConnectionError` (unreachable or
    dropped; `CameraTimeoutError` after `timeout`, `NotConnectedError` outside a session),
    `CameraError` (a subclass by rval) when the camera refuses, and `ProtocolError` when it
    sends nonsense; the errors a method adds are named in its docstring.
    """

    def __init__(
        self,
        host: str | None = None,
        port: int | None = None,
        *,
        settings: ConnectionSettings | None = None,
        keep_session: bool = True,
        reconnect: bool | ReconnectPolicy = False,
        **options: Any,
    ) -> None:
        """`Camera(host, port, timeout=...)` is a shortcut for `Camera(settings=...)`.

        `host`, `port` and `options` (any other `ConnectionSettings` field: `data_port`,
        `http_port`, `rtsp_port`, `timeout`, `event_timeout`, `interface`) override `settings`
        (default: `ConnectionSettings()`). Raises `TypeError` for an unknown option, `ValueError`
        for a bad value.
        """
        given = {"host": host, "port": port}
        options.update({name: value for name, value in given.items() if value is not None})
        base = settings if settings is not None else ConnectionSettings()
        self.session = Session(
            dataclasses.replace(base, **options), keep_session=keep_session, reconnect=reconnect
        )
        self._transfers = Transfers(self.session)
        self.session.greeting = self._greet

    def __repr__(self) -> str:
        port = self.settings.port
        where = f"{self.host}:{port}" if port != 7878 else self.host
        return f"<Camera {where} {self.model_name} {self.session.state.value}>"

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the control connection and start a session (msg 257).

        A model whose app announces itself (the Yi 4K) also gets msg 261 with this
        computer's address; a camera that refuses it is used all the same. Raises
        `CameraConnectionError` when the camera cannot be reached, `SessionHeldError` when
        another device holds the session, `ProtocolError` when it gives no token.
        """
        await self.session.open()

    async def _greet(self) -> None:
        # After every session start, reconnects included: the camera forgets the client.
        if self.quirks.client_info:
            with contextlib.suppress(CameraError, OSError):
                await self.set_client_info()

    async def close(self) -> None:
        """End the session (msg 258) and close the connection; `connect()` may follow."""
        await self.session.close()

    @property
    def connected(self) -> bool:
        """True while the session is up."""
        return self.session.connected

    @property
    def connection_state(self) -> ConnectionState:
        """Closed, connecting, connected or reconnecting."""
        return self.session.state

    @property
    def unanswered_for(self) -> float:
        """Seconds the request on the wire (a command or the heartbeat) has waited for its
        reply so far; 0.0 when none waits. A camera that stopped answering shows here long
        before the timeout. Raises nothing."""
        return self.session.unanswered_for

    # -- identity and settings of the session ------------------------------------------------

    @property
    def settings(self) -> ConnectionSettings:
        """How the camera is reached: host, ports, timeouts (frozen; see `ConnectionSettings`).

        Assign a changed copy (`dataclasses.replace(cam.settings, timeout=10)`): the timeouts
        apply from the next request, the address and ports from the next connection.
        """
        return self.session.settings

    @settings.setter
    def settings(self, value: ConnectionSettings) -> None:
        self.session.settings = value

    @property
    def host(self) -> str:
        """The camera's address (`settings.host`)."""
        return self.session.host

    @property
    def model(self) -> str | None:
        """The model id from the 257 reply ("Z16", ...); None when the camera does not say."""
        return self.session.model

    @property
    def model_name(self) -> str:
        """A name for people: "Yi 1", "Yi 4K", ... ("unknown model" until recognised)."""
        return self.session.model_name

    @property
    def quirks(self) -> Quirks:
        """What this model does differently (frozen; see `yicam._wire.quirks`)."""
        return self.session.quirks

    @property
    def rtsp_url(self) -> str:
        """The live stream's URL."""
        return self.session.rtsp_url

    @property
    def session_info(self) -> dict[str, Any]:
        """The extra fields of the 257 reply (`model`, `rtsp`, ...)."""
        return self.session.session_info

    @property
    def state(self) -> CameraState:
        """What the client last knew (kept fresh by notifications; see `refresh`)."""
        return self.session.known.snapshot()

    async def refresh(self) -> CameraState:
        """Read settings, battery and storage again; returns the new `state`.

        Storage is None when the camera cannot tell it (no card, or busy after a format: -27).
        Raises `CameraError` or `CameraConnectionError` as any request does (see the class).
        """
        settings = await self.get_settings()
        await self.get_battery()
        try:
            await self.get_storage()
        except CameraError:
            self.session.known.storage = None  # not the last reading: the card may be gone
        self.session.identify(None, settings)
        status = settings.get("app_status")
        if status is not None:
            self.session.known.recording = status == "record"
        return self.state

    # -- events ----------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call `callback` for every notification and connection event; returns unsubscribe.

        Subscribers stay across close, connect and reconnects.
        """
        return self.session.subscribe(callback)

    def events(self) -> EventStream:
        """Every event from now on; returns an `EventStream` (an async iterator).

        It ends after a final `Disconnected`.
        """
        return self.session.events()

    def new_media(self) -> NewMedia:
        """Each new photo or video (sidecars attached) as the camera makes it; see `NewMedia`.

        Returns the `NewMedia` watcher, which raises nothing until it is iterated.
        """
        return NewMedia(self)

    # -- raw access ------------------------------------------------------------------------

    async def call(self, msg_id: int, **fields: Any) -> dict[str, Any]:
        """Send any command and return the raw reply; a non-zero rval raises `CameraError`."""
        return (await self._request(msg_id, fields)).to_json()

    # -- settings --------------------------------------------------------------------------

    async def get_settings(self) -> dict[str, str]:
        """Returns every setting in the camera's order (a repeated key keeps its last value).

        Raises `ProtocolError` when the list is malformed, `CameraError` when refused.
        """
        reply = await self._request(MsgId.GET_ALL_SETTINGS, {})
        settings = parse_settings(reply.param)
        self.session.known.settings_read(settings)
        self.session.identify(None, settings)
        return settings

    async def get_setting(self, name: str) -> str:
        """Returns the current value of one setting (msg 1).

        Raises `CameraError` when the camera refuses the name, `ProtocolError` for a non-text value.
        """
        reply = await self._request(MsgId.GET_SETTING, {"type": name})
        return parse_text(reply.param, f"setting {name!r}")

    async def set_setting(self, name: str, value: str) -> None:
        """Change a setting; refused while recording, a no-op when already at `value`.

        Returns nothing. Raises `ValueError` for a name or value longer than real cameras
        send (64 characters; nothing is sent), `UnsafeOperationError` while the camera records,
        and a `CameraError` (e.g. `InvalidOperationError`) when the camera refuses the value.
        """
        check_setting(name, value)
        known = self.session.known
        status = await self._app_status()
        known.check_not_recording(status, f"change {name!r}")
        restart_vf = self.quirks.settings_locked_in_viewfinder and (
            status == "vf" or known.viewfinder
        )
        if restart_vf:
            await self.stop_viewfinder()
        try:
            try:
                await self._set(name, value)
            except CameraError as exc:
                # A Yi 1 restarts its viewfinder by itself just after a photo (vf_start), which
                # can land between the status read and the change: stop it and try once more.
                locked = self.quirks.settings_locked_in_viewfinder and known.viewfinder
                if exc.rval != -15 or restart_vf or not locked:
                    raise
                restart_vf = True
                await self.stop_viewfinder()
                await self._set(name, value)
        finally:
            if restart_vf:
                await self.start_viewfinder()

    async def get_options(self, name: str) -> Options:
        """Returns the values a setting accepts and its permission (msg 9, or old msg 3 + param).

        Raises `ValueError` for a name longer than real cameras use (nothing is sent),
        `CameraError` when the camera refuses, `ProtocolError` for a malformed reply.
        """
        check_setting(name, "")
        try:
            reply = await self._request(MsgId.GET_OPTIONS, {"param": name})
        except UnsupportedError:
            reply = await self._request(MsgId.GET_ALL_SETTINGS, {"param": name})
        return parse_options(name, reply.to_json())

    async def sync_clock(self, when: datetime | None = None) -> datetime:
        """Set the camera clock (default: this computer's local time); returns what was set.

        Raises `CameraError` when the camera refuses the time.
        """
        when = (when or datetime.now()).replace(microsecond=0)
        await self._set("camera_clock", when.strftime(DATE_FORMAT))
        return when

    # -- capture ---------------------------------------------------------------------------

    async def take_photo(self, mode: str | None = None) -> str:
        """Take a photo; returns its camera path from the `photo_taken` notification.

        `mode` (a `capture_mode` value such as "burst quality") sends the YI SDK's msg
        16777220, which the Yi 4K takes; a model without it raises `UnsupportedError`.
        A burst or time-lapse returns the first photo's path. Other requests wait until the
        photo is written: a Yi 1 asked anything between `start_photo_capture` and
        `photo_taken` can hang until power-cycled. Raises `OutcomeUnknownError` when the
        connection drops after the request was sent, `CameraTimeoutError` when no
        `photo_taken` comes within `event_timeout`, `CardError` without a usable card.
        """
        msg_id, fields = MsgId.TAKE_PHOTO, {}
        if mode is not None:
            msg_id, fields = MsgId.TAKE_PHOTO_WITH_MODE, {"param": f"{mode};off"}
        async with self.session.photo_gate():
            return await self._request_then_event(msg_id, Notify.PHOTO_TAKEN, fields)

    async def stop_capture(self) -> None:
        """Stop a time-lapse photo run (msg 770); `precise_cont_complete` follows.

        Raises `CameraError` when the camera refuses.
        """
        await self._request(MsgId.STOP_CONTINUOUS_CAPTURE, {})

    async def get_zoom(self) -> int:
        """Returns the digital zoom level, 0-100 (msg 15).

        Raises `UnsupportedError` where the model does not know it, `ProtocolError` for a
        non-number.
        """
        reply = await self._request(MsgId.DIGITAL_ZOOM_INFO, {"type": "current"})
        return parse_int(reply.param, "zoom level")

    async def set_zoom(self, level: int) -> None:
        """Set the digital zoom, 0-100 (msg 14).

        Raises `ValueError` outside 0-100, `UnsupportedError` where the model does not know it.
        """
        if not 0 <= level <= 100:
            raise ValueError(f"zoom level {level} is outside 0-100")
        await self._request(MsgId.DIGITAL_ZOOM, {"type": "fast", "param": str(level)})

    async def start_recording(self) -> None:
        """Start recording video.

        Raises `OutcomeUnknownError` when the connection drops after the request was sent, and a
        `CameraError` (e.g. `CardError`, `CameraBusyError`) when the camera refuses.
        """
        await self._request(MsgId.START_RECORD, {})
        self.session.known.recording = True

    async def schedule_recording(self, at: datetime | time) -> None:
        """Have the camera start recording by itself when its clock shows `at`.

        Msg 16777247, as the official YI SDK's startRecording(hour, minute, second): only
        the hour, minute and second are sent (the next time the clock shows them), so set
        the camera's clock first (`Fleet.sync_clock` sets it to the whole second). The
        camera announces the start with `start_video_record`. Raises `UnsafeOperationError`
        on a model not known to have the command (only the Yi 4K's SDK sends it; start it
        from this computer with `Fleet.start_recording(at=...)` instead), and
        `OutcomeUnknownError` when the connection drops after the request was sent.
        """
        if not self.quirks.scheduled_record:
            raise UnsafeOperationError(
                f"{self.model_name} has no known scheduled start (msg 16777247 is the Yi 4K's); "
                "let this computer start it at the time (Fleet.start_recording(at=...))"
            )
        fields = {"Synctime_Hour": at.hour, "Synctime_Minute": at.minute}
        await self._request(MsgId.START_RECORD_SYNCED, {**fields, "Synctime_Second": at.second})

    async def stop_recording(self) -> str:
        """Stop recording; returns the video's camera path.

        Raises `OutcomeUnknownError` when the connection drops before the path comes,
        `CameraTimeoutError` when no `video_record_complete` comes within `event_timeout`, and
        `InvalidOperationError` when the camera is not recording.
        """
        path = await self._request_then_event(MsgId.STOP_RECORD, Notify.VIDEO_RECORD_COMPLETE)
        self.session.known.recording = False
        return path

    async def record_time(self) -> int:
        """Returns the seconds recorded so far in the current video.

        Raises `ProtocolError` for a non-number, `CameraError` when the camera refuses.
        """
        reply = await self._request(MsgId.RECORD_TIME, {})
        return parse_int(reply.param, "record time (the camera may not be recording)", 0)

    async def start_viewfinder(self) -> None:
        """Start the live stream (msg 259), recovering from the Yi 1's -21 once.

        Raises `CameraBusyError` when the camera is still busy after that, `CameraError` otherwise.
        """
        await commands.start_viewfinder(self.session)

    def live_view(
        self,
        *,
        engine: Literal["rtp", "ffmpeg"] = "rtp",
        options: Mapping[str, str] | None = None,
        conceal: bool = False,
        open_timeout: float = 10.0,
        stall_timeout: float = 3.0,
        retries: int | None = 3,
    ) -> LiveView:
        """The live stream: `async with cam.live_view() as live:` (needs the `live` extra).

        Starts the viewfinder (msg 259) on entry and stops it on exit. `engine` "rtp" decodes
        each frame when its last packet arrives; "ffmpeg" uses FFmpeg's RTSP demuxer, with
        `options` as its options (default: low latency). `conceal` shows frames that lost
        packets, concealed, instead of waiting for the next keyframe. `stall_timeout` ends a
        stream that stops sending frames; `retries` reopens a stream that fails to open (None:
        until closed, as a re-server wants). With `settings.interface`, every socket of the
        stream goes through that interface ("rtp" engine only). Returns the (unopened)
        `LiveView`; raises `YicamError` when PyAV or numpy is missing, `ValueError` for engine
        "ffmpeg" with an interface.
        """
        try:
            from .live import LiveView
        except ImportError as exc:
            raise YicamError("live view needs PyAV and numpy: pip install 'yicam[live]'") from exc
        return LiveView(
            self.rtsp_url,
            start=self.start_viewfinder,
            stop=self.stop_viewfinder,
            engine=engine,
            options=options,
            conceal=conceal,
            open_timeout=open_timeout,
            stall_timeout=stall_timeout,
            retries=retries,
            interface=self.settings.interface,
        )

    async def stop_viewfinder(self) -> None:
        """Stop the live stream (msg 260). Raises `CameraError` when refused."""
        await commands.stop_viewfinder(self.session)

    # -- status ----------------------------------------------------------------------------

    async def get_battery(self) -> Battery:
        """Returns the battery level, and whether the adapter powers the camera.

        Raises `ProtocolError` for a malformed level, `CameraError` when refused.
        """
        reply = await self._request(MsgId.GET_BATTERY, {})
        battery = self.session.known.battery = parse_battery(reply.param, reply.fields.get("type"))
        return battery

    async def get_storage(self) -> Storage:
        """Returns the total and free bytes on the SD card.

        Raises `CardError` without a usable card, `ProtocolError` for non-numbers.
        """
        total = await self._request(MsgId.GET_SPACE, {"type": "total"})
        free = await self._request(MsgId.GET_SPACE, {"type": "free"})
        storage = self.session.known.storage = parse_storage(total.param, free.param)
        return storage

    async def sd_card_type(self) -> str:
        """Returns the card's type as the camera names it, e.g. `sd_hc` (msg 16777217).

        Raises `ProtocolError` for a non-text reply, `UnsupportedError` where unknown.
        """
        reply = await self._request(MsgId.SD_TYPE, {})
        if not isinstance(reply.param, str):
            raise ProtocolError(f"SD card type: expected text, got {reply.param!r}")
        return reply.param

    async def set_client_info(self, address: str | None = None) -> None:
        """Tell the camera this computer's address (msg 261, `TCP`), as the Yi 4K app does
        before using the data port; default: the local address that reaches the camera.

        Raises `CameraError` when refused.
        """
        address = address or self.session.local_address or ""
        await self._request(MsgId.SET_CLIENT_INFO, {"type": "TCP", "param": address})

    async def device_info(self) -> DeviceInfo:
        """Returns model, firmware and serial (msg 11; the settings where msg 11 is not known).

        Also recognises the model when the 257 reply did not name it (`model_name`). A refused
        msg 11 is not an error; raises `CameraError` only when the settings are refused too.
        """
        try:
            raw = (await self._request(MsgId.GET_DEVICE_INFO, {})).to_json()
        except CameraError:
            raw = {}
        if raw.get("fw_ver") or raw.get("firmwareVersion"):
            self.session.identify(raw.get("model"))
            return DeviceInfo(
                model=optional_text(raw.get("model")) or self.model,
                firmware=optional_text(raw.get("firmwareVersion") or raw.get("fw_ver")),
                hardware=optional_text(raw.get("chip")),
                serial=optional_text(raw.get("serial_number")),
                raw=raw,
                name=self.model_name,
            )
        settings = await self.get_settings()
        self.session.identify(raw.get("model"), settings)
        return DeviceInfo(
            model=self.model or optional_text(raw.get("model")),
            firmware=settings.get("sw_version"),
            hardware=settings.get("hw_version"),
            serial=settings.get("serial_number"),
            raw={**raw, **settings},
            name=self.model_name,
        )

    # -- files -----------------------------------------------------------------------------

    async def list_dir(self, path: str) -> list[DirEntry]:
        """Returns the entries of a camera directory; names are untrusted camera data.

        Raises `UnsafeOperationError` for a path that looks like a file on a model that crashes
        listing one, `InvalidPathError` when there is no such directory, `ProtocolError` for a
        malformed listing.
        """
        return await commands.list_dir(self.session, path)

    async def delete(self, path: str, *, allow_wildcards: bool = False) -> None:
        """Delete a file on the camera.

        A Yi 1 deletes every match of `*` or `?` in the name; such a name is refused
        (`UnsafeOperationError`) unless `allow_wildcards` (no real file has one: FAT forbids
        both). Raises `InvalidPathError` when there is no such file, `OutcomeUnknownError` when
        the connection drops after the request was sent.
        """
        await commands.delete(self.session, path, allow_wildcards=allow_wildcards)

    async def media_info(self, path: str) -> MediaInfo:
        """Returns the size, date, resolution and type of a media file (msg 1026).

        Raises `InvalidPathError` when there is no such file, `ProtocolError` for a malformed reply.
        """
        raw = (await self._request(MsgId.GET_MEDIA_INFO, {"param": path})).to_json()
        return MediaInfo(
            size=parse_int(raw.get("size", 0), "media size", 0),
            date=parse_date(raw.get("date")),
            resolution=optional_text(raw.get("resolution")),
            media_type=optional_text(raw.get("media_type")),
            duration=parse_media_duration(raw.get("duration")),
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
        expected_size: int | None = None,
        stall_timeout: float | None = None,
    ) -> DownloadResult:
        """Download to `dest` (a file or a folder), resumable and verified.

        Returns a `DownloadResult`.

        `via`: "data" (port 8787, MD5-checked), "http" (port 80, size-checked), or "auto"
        (data port, HTTP when the data port cannot be opened). `expected_size`: the listing's
        size, when known (else the folder is listed). No data for `stall_timeout` seconds
        (default: `event_timeout`) fails the download with `CameraTimeoutError`; run it again to
        resume. Raises `TransferError` when a check fails (`SizeMismatchError` before anything is
        written), `TransferCancelledError` after `cancel_transfer()`, `LocalFileError` when `dest`
        cannot be written, `InvalidPathError` or `RemoteFileNotFoundError` for a missing file,
        `DataPortUnavailableError` when `via="data"` and port 8787 cannot be opened.
        """
        options = FetchOptions(resume, verify, via, stall_timeout)
        return await self._transfers.download(
            camera_path, dest, options, progress=progress, expected_size=expected_size
        )

    async def sync(
        self,
        dest: Path | str,
        *,
        include_sidecars: bool = False,
        delete_after: bool = False,
        via: Via = "auto",
        progress: Callable[[MediaItem], Progress | None] | None = None,
        retries: int | RetryPolicy = 3,
        stall_timeout: float | None = None,
    ) -> SyncReport:
        """Download every media file not yet in `dest` (as `dest/NNNMEDIA/NAME`).

        Returns a `SyncReport`.

        Finishes every file it can; a cut or stalled transfer is retried `retries` times (or
        as a `RetryPolicy` says), resuming. With `delete_after`, files this run downloaded and
        verified are deleted on the camera once every download has finished. `progress(item)`
        may return a per-file progress callback. A file that fails is reported in the
        `SyncReport`, not raised; only a card whose DCIM folder cannot be listed raises:
        `CameraConnectionError` (after `retries`) or a `CameraError` such as `CardError`.
        """
        retry = retries if isinstance(retries, RetryPolicy) else RetryPolicy(retries)
        return await self._transfers.sync(
            dest, FetchOptions(via=via, stall_timeout=stall_timeout), retry,
            include_sidecars=include_sidecars, delete_after=delete_after, progress=progress,
        )  # fmt: skip

    async def upload(
        self, local: Path | str, camera_path: str, *, stall_timeout: float | None = None
    ) -> None:
        """Upload a local file to `camera_path`.

        Raises `CameraError` when the camera refuses (-13 when the file exists), `LocalFileError`
        when the local file cannot be read, `OutcomeUnknownError` when the connection drops after
        the request was sent, `TransferCancelledError` after `cancel_transfer()`.
        """
        await self._transfers.upload(Path(local), camera_path, stall_timeout=stall_timeout)

    async def thumbnail(
        self,
        camera_path: str,
        *,
        size: ThumbnailSize = "thumb",
        via: ThumbnailVia = "auto",
        stall_timeout: float | None = None,
    ) -> bytes:
        """Returns a JPEG preview of a photo or video: `size` "thumb" (small) or "screen".

        `via="http"` asks the web server (`?type=thumb|screen`), which needs neither the data
        port nor the transfer lock, so it works while a download runs; "data" sends msg 1025;
        "auto" uses HTTP when it needs no viewfinder start, else (or if it fails) msg 1025.
        Raises `InvalidPathError` or `RemoteFileNotFoundError` for a missing file,
        `TransferError` when the preview cannot be fetched.
        """
        return await self._transfers.thumbnail(
            camera_path, size=size, via=via, stall_timeout=stall_timeout
        )

    async def cancel_transfer(self) -> bool:
        """Cancel the download or upload in progress; returns False when there is none."""
        return await self._transfers.cancel()

    async def list_media(self) -> list[MediaItem]:
        """Returns every file in every DCIM/NNNMEDIA folder, sidecars attached to their media.

        A folder that cannot be listed raises its error: `CardError` without a usable card,
        `InvalidPathError` without a DCIM folder, `ProtocolError` for a malformed listing.
        """
        return await self._transfers.list_media()

    # -- maintenance -----------------------------------------------------------------------

    async def format_card(self) -> None:
        """Erase the SD card.

        Raises `CardError` when the card cannot be formatted, `OutcomeUnknownError` when the
        connection drops after the request was sent (the card may be erased).
        """
        await self._request(MsgId.FORMAT, {})

    async def reboot(self) -> None:
        """Reboot the camera; the connection drops soon after. Raises `CameraError` when refused."""
        await self._set("dev_reboot", "on")

    async def factory_reset(self) -> None:
        """Restore the factory settings. Raises `CameraError` when refused."""
        await self._set("restore_factory_settings", "on")

    # -- Wi-Fi mode --------------------------------------------------------------------------

    async def set_station_mode(
        self,
        ssid: str,
        password: str,
        *,
        name: str | None = None,
        country: str = "",
        band: Literal["2.4", "5"] = "2.4",
        model: StationModel | None = None,
        replace: bool = False,
    ) -> StationSetup:
        """Write the files that make this camera join `ssid` when it next starts.

        The files differ by model ("yi4k": `sta.conf`, "yi4kplus": `Wi-Fi.DEBUG/start.sh`,
        "yi1": `autoexec.ash` and `wifi/`; `model` overrides the one the camera names).
        `name` is its DHCP host name (default: from its serial number), `country` its Wi-Fi
        country (Yi 4K), `band` the network's (Yi 4K+). Returns a `StationSetup` whose
        `shown` texts mask the password. Raises `ValueError` for a value the model's
        scripts would mangle or an unknown model, `UnsafeOperationError` when the card holds
        another autoexec.ash (unless `replace`), `CameraError` when the camera refuses a
        folder, delete or upload.
        """
        return await write_station_files(
            self, ssid, password, name=name, country=country, band=band, model=model,
            replace=replace,
        )  # fmt: skip

    async def set_access_point_mode(self, *, model: StationModel | None = None) -> tuple[str, ...]:
        """Remove the station-mode files, so the camera is its own access point again.

        Returns the paths removed (below the card root); an autoexec.ash that is not the
        station script is left alone. Raises `ValueError` for an unknown model,
        `CameraError` when the camera refuses a delete.
        """
        return await remove_station_files(self, model=model)

    # -- internals -------------------------------------------------------------------------

    async def _request(self, msg_id: int, fields: dict[str, Any]) -> Reply:
        return await self.session.request(msg_id, fields)

    async def _set(self, name: str, value: str) -> None:
        try:
            await self._request(MsgId.SET_SETTING, {"type": name, "param": value})
        except InvalidOperationError:
            # A Yi 1 answers -14 when the value is already set: that is success.
            refused = self.quirks.unchanged_setting_is_refused
            if not refused or await self.get_setting(name) != value:
                raise
        self.session.known.setting_changed(name, value)

    async def _app_status(self) -> str | None:
        try:
            return await self.get_setting("app_status")
        except CameraError:
            return None

    async def _request_then_event(
        self, msg_id: int, kind: Notify, fields: dict[str, Any] | None = None
    ) -> str:
        # Some Yi 1 traces show the notifications without any reply to the request
        # (protocol.md 8.1, 8.5): the notification alone is success too.
        with self.session.expect(kind) as event:
            ack = asyncio.create_task(self._request(msg_id, fields or {}))
            note = asyncio.create_task(event.wait())
            try:
                await asyncio.wait({ack, note}, return_when=asyncio.FIRST_COMPLETED)
                refused = ack.done() and not isinstance(ack.exception(), CameraTimeoutError | None)
                if refused and not (note.done() and note.exception() is None):
                    ack.result()  # refused (rval), or dropped before the ack: raises
                try:
                    notification = await note
                except CameraTimeoutError as exc:
                    waited = self.settings.event_timeout
                    raise CameraTimeoutError(
                        f"camera sent no {kind} after msg {msg_id} within {waited:g} s"
                    ) from exc
                except YicamError as exc:  # the connection ended while waiting
                    await asyncio.wait({ack})
                    ack.result()  # not acknowledged: its own error says more
                    raise OutcomeUnknownError(
                        f"camera acknowledged msg {msg_id}, then the connection dropped before "
                        f"{kind} named the file ({exc})"
                    ) from exc
            finally:
                await cancel_and_wait(ack, note)
        if not isinstance(notification.param, str):
            raise ProtocolError(f"{kind} without a path: {notification.to_json()}")
        return notification.param
