"""`RemoteCamera`: a camera owned by an agent, with the `Camera` interface the tools use.

Each method is one request to the agent, which runs the same `Camera` method on its own
session (so every safety rule applies there). Properties come from the camera's retained
state; `subscribe` and `events` deliver the agent's events as `yicam` events.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Self

import yicam

from ._client import AgentClient, RemoteCameraInfo
from ._events import event_from_json
from ._files import fetch
from ._remote_jobs import RemoteJob

__all__ = ["RemoteCamera"]

_STATES = {s.value: s for s in yicam.ConnectionState}


class RemoteCamera:
    """One camera of an agent, reached through `client` (an open `AgentClient`)."""

    def __init__(
        self,
        client: AgentClient,
        info: RemoteCameraInfo,
        *,
        timeout: float = 5.0,
        event_timeout: float = 30.0,
    ) -> None:
        self.client = client
        self.info = info
        self.agent = info.agent
        self.name = info.camera
        self.timeout = timeout
        self.event_timeout = event_timeout
        self._callbacks: list[Callable[[yicam.Event], None]] = []
        self._listening = False

    def __repr__(self) -> str:
        return f"<RemoteCamera {self.agent}/{self.name} via {self.client.url}>"

    # -- lifecycle: the agent holds the session --------------------------------------------

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Start receiving the camera's events (the agent holds the session).

        Raises `CameraConnectionError` when the broker connection is down.
        """
        if not self._listening:
            self.client.listeners.setdefault((self.agent, self.name), []).append(self._deliver)
            try:
                await self.client.subscribe_events(self.agent, self.name)
            except Exception as exc:
                raise yicam.CameraConnectionError(str(exc)) from None
            self._listening = True

    async def close(self) -> None:
        """Stop receiving events; the agent keeps the session."""
        with contextlib.suppress(ValueError):
            self.client.listeners.get((self.agent, self.name), []).remove(self._deliver)
        self._listening = False

    # -- what the state says ------------------------------------------------------------------

    @property
    def _state(self) -> dict[str, Any]:
        return self.info.state

    @property
    def host(self) -> str:
        """The camera's address, as the agent reaches it."""
        return str(self._state.get("host", ""))

    @property
    def port(self) -> int:
        """The camera's control port."""
        return int(self._state.get("port", 7878))

    @property
    def model(self) -> str | None:
        """The model id, as the agent knows it."""
        model = self._state.get("model")
        return model if isinstance(model, str) else None

    @property
    def model_name(self) -> str:
        """A name for people ("Yi 4K", ...)."""
        return str(self._state.get("model_name") or "unknown model")

    @property
    def rtsp_url(self) -> str:
        """The live stream's URL, as the agent reaches the camera."""
        return str(self._state.get("rtsp_url", ""))

    @property
    def connection_state(self) -> yicam.ConnectionState:
        """The agent's session state (closed while the agent is offline)."""
        if not self.client.online(self.agent):
            return yicam.ConnectionState.CLOSED
        return _STATES.get(str(self._state.get("connection")), yicam.ConnectionState.CLOSED)

    @property
    def unanswered_for(self) -> float:
        """Seconds this tool's oldest request to the agent has waited; 0.0 when none waits."""
        return self.client.unanswered_for(self.agent)

    @property
    def connected(self) -> bool:
        """True while the agent is online and holds the session."""
        return self.connection_state is yicam.ConnectionState.CONNECTED

    @property
    def state(self) -> yicam.CameraState:
        """What the agent last published."""
        s = self._state
        battery = None
        if isinstance(s.get("battery"), int):
            battery = yicam.Battery(s["battery"], bool(s.get("on_adapter")))
        raw_card = s.get("card")
        card: dict[str, Any] = raw_card if isinstance(raw_card, dict) else {}
        storage = None
        if isinstance(card.get("free"), int) and isinstance(card.get("total"), int):
            storage = yicam.Storage(card["total"], card["free"])
        return yicam.CameraState(
            recording=bool(s.get("recording")),
            viewfinder=bool(s.get("viewfinder")),
            battery=battery,
            storage=storage,
            card=card.get("status"),
        )

    # -- events --------------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[yicam.Event], None]) -> Callable[[], None]:
        """Call `callback` for each of the camera's events; returns unsubscribe."""
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._callbacks.remove(callback)

        return unsubscribe

    def _deliver(self, data: Any) -> None:
        event = event_from_json(data)
        if event is None:
            return
        for callback in list(self._callbacks):
            callback(event)

    # -- requests ------------------------------------------------------------------------------

    async def _ask(
        self, op: str, once: bool = False, wait: float | None = None, **args: Any
    ) -> Any:
        timeout = wait if wait is not None else self.timeout * 2 + 1
        return await self.client.request(
            self.agent, self.name, op, args, timeout=timeout, once=once
        )

    async def _capture(self, op: str, **args: Any) -> Any:
        return await self._ask(op, True, self.timeout + self.event_timeout + 2, **args)

    async def refresh(self) -> yicam.CameraState:
        """Read settings, battery and storage again (on the agent); returns the state."""
        state: yicam.CameraState = await self._ask("refresh")
        return state

    async def get_settings(self) -> dict[str, str]:
        """Every setting, in the camera's order."""
        settings: dict[str, str] = await self._ask("get_settings")
        return settings

    async def get_setting(self, name: str) -> str:
        """One setting's value."""
        return str(await self._ask("get_setting", name=name))

    async def set_setting(self, name: str, value: str) -> None:
        """Change a setting (refused while recording, as on the agent's `Camera`)."""
        await self._ask("set_setting", name=name, value=value)

    async def get_options(self, name: str) -> yicam.Options:
        """The values a setting accepts."""
        options: yicam.Options = await self._ask("get_options", name=name)
        return options

    async def sync_clock(self, when: datetime | None = None) -> datetime:
        """Set the camera clock to the agent computer's local time; returns what was set."""
        if when is not None:
            raise ValueError("through an agent the clock is set to the agent computer's time")
        result: datetime = await self._ask("sync_clock")
        return result

    async def get_battery(self) -> yicam.Battery:
        """The battery level, and whether the adapter powers the camera."""
        battery: yicam.Battery = await self._ask("get_battery")
        return battery

    async def get_storage(self) -> yicam.Storage:
        """Total and free bytes on the card."""
        storage: yicam.Storage = await self._ask("get_storage")
        return storage

    async def sd_card_type(self) -> str:
        """The card's type as the camera names it."""
        return str(await self._ask("sd_card_type"))

    async def device_info(self) -> yicam.DeviceInfo:
        """Model, firmware and serial."""
        info: yicam.DeviceInfo = await self._ask("device_info")
        return info

    async def record_time(self) -> int:
        """Seconds recorded so far."""
        return int(await self._ask("record_time"))

    async def get_zoom(self) -> int:
        """The digital zoom level."""
        return int(await self._ask("get_zoom"))

    async def set_zoom(self, level: int) -> None:
        """Set the digital zoom (0-100)."""
        if not 0 <= level <= 100:
            raise ValueError(f"zoom level {level} is outside 0-100")
        await self._ask("set_zoom", level=level)

    async def take_photo(self, mode: str | None = None) -> str:
        """Take a photo; returns its camera path. Never sent twice (`OutcomeUnknownError`)."""
        return str(await self._capture("take_photo", mode=mode))

    async def start_recording(self) -> None:
        """Start recording. Never sent twice (`OutcomeUnknownError`)."""
        await self._capture("start_recording")

    async def stop_recording(self) -> str:
        """Stop recording; returns the video's camera path."""
        return str(await self._capture("stop_recording"))

    async def stop_capture(self) -> None:
        """Stop a time-lapse photo run."""
        await self._ask("stop_capture")

    async def start_viewfinder(self) -> None:
        """Start the live stream."""
        await self._ask("start_viewfinder")

    async def stop_viewfinder(self) -> None:
        """Stop the live stream."""
        await self._ask("stop_viewfinder")

    async def list_dir(self, path: str) -> list[yicam.DirEntry]:
        """The entries of a camera directory."""
        entries: list[yicam.DirEntry] = await self._ask("list_dir", path=path)
        return entries

    async def media_info(self, path: str) -> yicam.MediaInfo:
        """Size, date, resolution and type of a media file."""
        info: yicam.MediaInfo = await self._ask("media_info", path=path)
        return info

    async def list_media(self) -> list[yicam.MediaItem]:
        """Every media file on the card."""
        items: list[yicam.MediaItem] = await self._ask("list_media")
        return items

    async def delete(self, path: str, *, allow_wildcards: bool = False) -> None:
        """Delete a file on the camera (wildcards refused unless allowed)."""
        await self._ask("delete", True, None, path=path, allow_wildcards=allow_wildcards)

    async def thumbnail(self, camera_path: str, *, size: str = "thumb", via: str = "auto") -> bytes:
        """A JPEG preview of a photo or video."""
        wait = self.timeout + self.event_timeout
        data: bytes = await self._ask(
            "thumbnail", False, wait, camera_path=camera_path, size=size, via=via
        )
        return data

    async def call(self, msg_id: int, **fields: Any) -> dict[str, Any]:
        """Any message (the agent allows it only with --allow-destructive)."""
        reply: dict[str, Any] = await self._ask("call", True, None, msg_id=msg_id, fields=fields)
        return reply

    async def format_card(self) -> None:
        """Erase the card (the agent allows it only with --allow-destructive)."""
        await self._ask("format_card", True)

    async def reboot(self) -> None:
        """Reboot the camera (the agent allows it only with --allow-destructive)."""
        await self._ask("reboot", True)

    async def factory_reset(self) -> None:
        """Factory settings (the agent allows it only with --allow-destructive)."""
        await self._ask("factory_reset", True)

    async def download(
        self, camera_path: str, dest: Path | str, **_options: Any
    ) -> yicam.DownloadResult:
        """Download a camera file: the agent fetches and verifies it into its folder, then it
        is copied here and checked against the agent's MD5. Returns a `DownloadResult`."""
        wait = self.event_timeout * 20
        stored = await self.client.request(
            self.agent, None, "download", {"camera": self.name, "camera_path": camera_path},
            timeout=wait,
        )  # fmt: skip
        target = Path(dest)
        if str(dest).endswith(("/", "\\")) or await asyncio.to_thread(target.is_dir):
            target = target / camera_path.rsplit("/", 1)[-1]
        local = await fetch(
            self.client, self.agent, stored["file"], target, timeout=self.timeout * 2 + 1
        )
        return yicam.DownloadResult(
            path=local, size=int(stored["size"]), md5=str(stored["md5"]),
            via=stored["via"], resumed_from=0, verified_by="md5",
        )  # fmt: skip

    # -- jobs on the agent -----------------------------------------------------------------

    async def start_job(self, kind: str, **options: Any) -> RemoteJob:
        """Run a "tether", "timelapse" or "sync" job on the agent, with the camera; returns it.

        Options: `delete_after`, `include_sidecars` (tether, sync); `every`, `count`,
        `duration`, `clip` (seconds), `min_free`, `download`, `delete_after` (timelapse).
        The files stay in the agent's folder. Raises `ValueError` for an unknown job or
        option, `UnsafeOperationError` when the camera already runs a job there.
        """
        await self.client.subscribe_jobs(self.agent, self.name)
        report = await self.client.request(
            self.agent, None, "job_start", {"camera": self.name, "kind": kind, "options": options},
            timeout=self.timeout * 4 + 5,
        )  # fmt: skip
        return RemoteJob(self, report)

    async def jobs(self) -> list[RemoteJob]:
        """The jobs the agent keeps reports of for this camera, oldest first."""
        await self.client.subscribe_jobs(self.agent, self.name)
        reports = await self._ask_agent("jobs", camera=self.name)
        return [RemoteJob(self, report) for report in reports]

    async def kept_files(self) -> list[dict[str, Any]]:
        """The files the agent keeps of this camera: `file` (relative path) and `size`."""
        files: list[dict[str, Any]] = await self._ask_agent("files", camera=self.name)
        return files

    async def fetch_kept(self, relative: str, target: Path) -> Path:
        """Copy one kept file here, resumable and verified against the agent's MD5."""
        return await fetch(self.client, self.agent, relative, target, timeout=self.timeout * 2 + 1)

    async def _ask_agent(self, op: str, **args: Any) -> Any:
        return await self.client.request(self.agent, None, op, args, timeout=self.timeout * 2 + 1)

    def __getattr__(self, name: str) -> Any:
        """A `Camera` member the agent does not serve yet: a clear error, not a crash."""
        if name.startswith("_"):
            raise AttributeError(name)
        raise yicam.YicamError(
            f"{name} is not available through an agent yet (agent {self.agent} holds "
            f"{self.name}); run it on the agent's computer with the agent stopped, or "
            "use --no-agent there"
        )
