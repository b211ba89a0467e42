"""New media as the camera makes it: `async for item in cam.new_media(): ...`.

Every capture notification (`photo_taken`, `video_record_complete`, and what burst, time-lapse,
photo-in-video and loop recording send, protocol.md section 3) makes the iterator list the card
and yield what is new, in card order, with its sidecars. A notification that names a file
(`photo_taken` carries the path) yields that file even when a listing had already shown it;
notifications without a path (`burst_complete`, whose param is unknown) are covered by the
listing. The camera sends the same notifications when its own shutter button is pressed.

Files that appeared while the connection was down have no notification: after `Reconnected`
the card is listed again and compared with what was known, so they are found, not lost.
A listing is compared on path, size and date, so a file name the camera reuses (after the
file was deleted, or after a format) counts as new again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from datetime import datetime
from typing import TYPE_CHECKING, Self

from .._errors import CameraConnectionError
from .._session.events import Disconnected, Event, Reconnected
from .._transfers.media import MediaItem
from .._wire.ids import Notify
from .._wire.messages import Notification

if TYPE_CHECKING:
    from .._camera import Camera

__all__ = ["CAPTURE_DONE", "NewMedia"]

_LOG = logging.getLogger(__name__)

# Notifications after which the card may hold new files.
CAPTURE_DONE = frozenset(
    {
        Notify.PHOTO_TAKEN,
        Notify.VIDEO_RECORD_COMPLETE,
        Notify.VIDEO_RECORD_SPLIT,
        Notify.PRECISE_CONT_COMPLETE,
        Notify.BURST_COMPLETE,
        Notify.PIV_COMPLETE,
        Notify.SELF_CAPTURE_STOP,
    }
)
# A named file missing from the listing is listed again after these delays (seconds).
_LISTING_RETRIES = (0.05, 0.25, 1.0)

_Key = tuple[int, datetime | None]


class _Rescan:
    """Queued by `NewMedia.rescan()` and after a reconnect."""


class _Stop:
    """Queued by `NewMedia.close()`: the iteration ends."""


class _Barrier:
    """Queued by `NewMedia.flushed()`: resolved once everything before it was consumed."""

    def __init__(self) -> None:
        self.future: asyncio.Future[None] = asyncio.get_running_loop().create_future()


class NewMedia:
    """An async iterator over new media items; subscribed from creation, so nothing is missed.

    `known`: the camera paths that are not new (a watch taken up again after a stop, which
    remembered the card's files at its first start); any other file on the card is yielded
    first. By default every file on the card when `start` lists it is known.

    Iterating yields `MediaItem`s; it ends when closed, and raises `CameraConnectionError`
    when the connection is lost for good.
    """

    def __init__(self, cam: Camera, *, known: Collection[str] | None = None) -> None:
        self._cam = cam
        self._baseline = None if known is None else frozenset(known)
        self._queue: asyncio.Queue[Event | _Rescan | _Stop | _Barrier] = asyncio.Queue()
        self._unsubscribe: Callable[[], None] | None = cam.subscribe(self._queue.put_nowait)
        self._known: dict[str, _Key] | None = None  # every file on the card we know of
        self._unannounced: dict[str, _Key] = {}  # yielded from a listing, no notification yet
        self._ready: list[MediaItem] = []

    def __aiter__(self) -> Self:
        return self

    async def start(self) -> None:
        """List the card now: files that appear later, with or without a notification, are new.

        Otherwise the first `__anext__` lists it. `async with cam.new_media()` starts at once.
        Raises `CameraConnectionError` when the connection is lost for good, `CameraError` when
        the camera refuses the listing.
        """
        while self._known is None:
            try:
                known = _keys(await self._cam.list_media())
            except CameraConnectionError:
                if not await self._cam.session.back_online():
                    raise
                continue
            if self._baseline is not None:  # what else is on the card is new
                known = {path: key for path, key in known.items() if path in self._baseline}
                self.rescan()
            self._known = known

    async def __anext__(self) -> MediaItem:
        await self.start()
        while not self._ready:
            if self._unsubscribe is None:
                raise StopAsyncIteration
            event = await self._queue.get()
            if isinstance(event, _Stop):
                self.close()
            elif isinstance(event, _Barrier):
                if not event.future.done():
                    event.future.set_result(None)
            elif isinstance(event, Disconnected):
                if event.reconnecting:
                    continue  # `Reconnected` follows, or a final `Disconnected`
                self.close()
                if event.error is not None:
                    raise CameraConnectionError(
                        f"new media: connection to the camera lost ({event.error})"
                    ) from event.error
            else:
                await self._handle_through_drops(event)
        return self._ready.pop(0)

    def rescan(self) -> None:
        """List the card again and yield whatever appeared since the last listing.

        The listing runs in the iteration.
        """
        self._queue.put_nowait(_Rescan())

    async def flushed(self) -> None:
        """Return once every event received so far was handled and its items consumed.

        The consumer has asked for the next item after the last of them, so it is done with
        them: `Tether.drain()` waits for the downloads of the shots taken so far this way.
        """
        if self._unsubscribe is None:
            return
        barrier = _Barrier()
        self._queue.put_nowait(barrier)
        await barrier.future

    def forget(self, path: str) -> None:
        """`path` was deleted: a new file under the same name will count as new."""
        if self._known is not None:
            self._known.pop(path, None)
        self._unannounced.pop(path, None)

    def close(self) -> None:
        """Stop watching; a pending `__anext__` ends the iteration."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
            while not self._queue.empty():  # nobody will consume these: release their waiters
                event = self._queue.get_nowait()
                if isinstance(event, _Barrier) and not event.future.done():
                    event.future.set_result(None)
            self._queue.put_nowait(_Stop())

    async def aclose(self) -> None:
        """Stop watching (async-generator style)."""
        self.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    async def _handle_through_drops(self, event: Event | _Rescan) -> None:
        """Handle `event`; when the session drops meanwhile, list the card once it is back."""
        while True:
            try:
                await self._handle(event)
                return
            except CameraConnectionError:
                if not await self._cam.session.back_online():
                    raise
                event = _Rescan()

    async def _handle(self, event: Event | _Rescan) -> None:
        if isinstance(event, _Rescan | Reconnected):
            self._ready = await self._scan(None)
        elif isinstance(event, Notification):
            await self._on_notification(event)

    async def _on_notification(self, event: Notification) -> None:
        if event.type in CAPTURE_DONE:
            named = _media_path(event.param)
            self._ready = await self._scan(named)
        elif event.type == Notify.SDCARD_FORMAT_DONE:
            self._known = {}  # numbering starts again at YDXJ0001
            self._unannounced.clear()
        elif event.type == Notify.SD_CARD_STATUS and event.param == "insert":
            # Another card: what is on it was not taken now.
            self._known = _keys(await self._cam.list_media())
            self._unannounced.clear()

    async def _scan(self, named: str | None) -> list[MediaItem]:
        """New items in the listing, plus the item `named` by a notification."""
        assert self._known is not None
        for delay in (0.0, *_LISTING_RETRIES):
            if delay:
                await asyncio.sleep(delay)
            items = await self._cam.list_media()
            if named is None or any(_same(i.path, named) for i in items):
                break
        else:
            _LOG.warning("new media: %s is not on the card", named)
        new = []
        for item in items:
            key = _key(item)
            if named is not None and _same(item.path, named):
                # Announced: new, unless an earlier listing already yielded this very file.
                if self._unannounced.pop(item.path, None) != key:
                    new.append(item)
            elif self._known.get(item.path) != key:
                new.append(item)
                self._unannounced[item.path] = key
        # Files gone from the card are forgotten, so a reused name counts as new.
        self._known = _keys(items)
        return new


def _keys(items: list[MediaItem]) -> dict[str, _Key]:
    known: dict[str, _Key] = {}
    for item in items:
        for file in (item, *item.sidecars):
            known[file.path] = _key(file)
    return known


def _key(item: MediaItem) -> _Key:
    return (item.size, item.modified)


def _media_path(param: object) -> str | None:
    """The camera path a notification names, if it names one."""
    if isinstance(param, str) and "/" in param and "." in param.rsplit("/", 1)[-1]:
        return param
    return None


def _same(path: str, named: str) -> bool:
    """True when a listed path is the one a notification named.

    Cameras name files as `/tmp/fuse_d/DCIM/100MEDIA/X.jpg` and web views as
    `/var/www/DCIM/...`: compare the part from DCIM on.
    """
    tail = named.split("/DCIM/", 1)[-1].lstrip("/")
    return path.split("/DCIM/", 1)[-1].lower() == tail.lower()
