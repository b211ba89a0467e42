"""Tethered shooting: each new photo or video lands in a local folder as the camera makes it.

`Tether(cam, dest)` watches `cam.new_media()` and downloads each new item, in the order the
camera made them, to `dest/NNNMEDIA/NAME` with the rules of `sync`: through a partial file,
resumable, verified (MD5 on the data port, size over HTTP), never overwriting a local file.
One difference: a local file with the name already is another file (cameras reuse names after
a delete or a format, and this one was made just now), so the new one is saved as
`NAME-2.EXT` (`-3`, ...) instead of being skipped as present. `known` takes a tether up again
after a stop: the camera paths of its first start and of what it fetched; every other file on
the card is fetched first (see `NewMedia`).

Capture is never held up: the downloads run in their own task while the caller goes on taking
photos. A download that fails for a while (see `RetryPolicy`) is tried again (`retries` times,
resuming); a failed file is reported through `on_file`, never dropped silently. When the
session drops and the camera reconnects (`Camera(reconnect=True)`), the download waits for it
and resumes; files made meanwhile are found by listing the card again. With `delete_after`, a
file is deleted on the camera once its copy is verified, and only then.

    async with Tether(cam, "shoot", on_file=print) as tether:
        await cam.take_photo()
        await tether.drain()  # the photo is on disk
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Self

from .._errors import (
    LocalFileError,
    UnsafeNameError,
    YicamError,
)
from .._tasks import cancel_and_wait
from .._transfers.download import Via
from .._transfers.media import MediaItem
from .._transfers.partial import Partial
from .._transfers.retry import RetryPolicy
from .._transfers.safety import safe_join
from .._transfers.sync import SyncEntry
from .new_media import NewMedia

if TYPE_CHECKING:
    from .._camera import Camera

__all__ = ["Tether"]

_LOG = logging.getLogger(__name__)
_MAX_DROPS = 100  # reconnects one file may wait for before it is reported as failed


class Tether:
    """Download each new media item to `dest` as it appears; see the module docstring."""

    def __init__(
        self,
        cam: Camera,
        dest: Path | str,
        *,
        delete_after: bool = False,
        on_file: Callable[[SyncEntry], None] | None = None,
        include_sidecars: bool = False,
        via: Via = "auto",
        retries: int | RetryPolicy = 3,
        retry_delay: float | None = None,
        known: Collection[str] | None = None,
    ) -> None:
        """`retries`: how often a failed file is tried again (or a `RetryPolicy`; `retry_delay`
        sets its first pause). Raises `ValueError` for a negative count or delay.
        """
        self.cam = cam
        self.known = known
        self.dest = Path(dest)
        self.delete_after = delete_after
        self.on_file = on_file
        self.include_sidecars = include_sidecars
        self.via: Via = via
        retry = retries if isinstance(retries, RetryPolicy) else RetryPolicy(retries)
        if retry_delay is not None:
            retry = dataclasses.replace(retry, initial_delay=retry_delay)
        self.retry = retry
        self.entries: list[SyncEntry] = []  # every file handled, in order
        self._watch: NewMedia | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def downloaded(self) -> int:
        """Files downloaded and verified so far."""
        return sum(1 for e in self.entries if e.status == "downloaded")

    @property
    def failed(self) -> list[SyncEntry]:
        """Files that could not be downloaded, after retries."""
        return [e for e in self.entries if e.status == "failed"]

    @property
    def bytes(self) -> int:
        """Bytes downloaded so far."""
        return sum(e.size for e in self.entries if e.status == "downloaded")

    @property
    def running(self) -> bool:
        """True once started, until closed or stopped by an error."""
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start watching (at once: nothing taken after this returns is missed) and downloading.

        Raises `LocalFileError` when the destination cannot be created, and what listing the
        card raises (`CameraConnectionError`, `CameraError`). Does nothing when already started.
        """
        if self._task is not None:
            return
        try:
            self.dest.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LocalFileError(f"cannot create {self.dest}: {exc.strerror or exc}") from exc
        self._watch = NewMedia(self.cam, known=self.known)
        await self._watch.start()
        self._task = asyncio.create_task(self._run(self._watch), name="yicam-tether")

    async def run(self) -> None:
        """Start, then download until cancelled, `close()`d or the connection is lost.

        Raises what `start` raises, `LocalFileError` when the destination fills up or cannot be
        written, and `CameraConnectionError` when the connection is lost for good; a file that
        fails after retries is reported in `failed`, not raised.
        """
        await self.start()
        assert self._task is not None
        await asyncio.shield(self._task)

    async def drain(self) -> None:
        """Return once everything the camera announced so far is downloaded (or reported).

        Raises the tether's own error if it stopped meanwhile (e.g. `LocalFileError` for a full
        destination).
        """
        if self._watch is None or self._task is None:
            return
        await self.cam.session.back_online()  # so the listing after the reconnect comes first
        flushed = asyncio.ensure_future(self._watch.flushed())
        await asyncio.wait([flushed, self._task], return_when=asyncio.FIRST_COMPLETED)
        await cancel_and_wait(flushed)
        if self._task.done():
            self._task.result()  # the tether's own error, e.g. a full destination

    async def close(self) -> None:
        """Stop at once; a download in progress is cancelled (its partial file stays, resumable)."""
        if self._watch is not None:
            self._watch.close()
        await cancel_and_wait(self._task)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _run(self, watch: NewMedia) -> None:
        async for item in watch:
            files = [item, *item.sidecars] if self.include_sidecars else [item]
            for file in files:
                entry = await self._fetch(file)
                if entry.status == "downloaded" and self.delete_after:
                    entry = await self._delete(watch, entry)
                self.entries.append(entry)
                if self.on_file is not None:
                    self.on_file(entry)

    async def _fetch(self, item: MediaItem) -> SyncEntry:
        """One file, verified, tried again (resuming) on failure."""
        try:
            local = _free_name(safe_join(self.dest, item.folder, item.name))
            local.parent.mkdir(exist_ok=True)
        except UnsafeNameError as exc:
            return SyncEntry(item.path, None, item.size, "failed", error=str(exc))
        except OSError as exc:
            raise LocalFileError(f"cannot create {self.dest / item.folder}: {exc}") from exc
        failures = drops = 0
        while True:
            try:
                result = await self.cam.download(
                    item.path, local, via=self.via, expected_size=item.size
                )
            except LocalFileError:
                raise  # a full or unwritable destination will not get better by trying again
            except YicamError as exc:
                if not self.cam.connected:  # the session dropped: not this file's fault
                    drops += 1
                    if drops <= _MAX_DROPS and await self.cam.session.back_online():
                        continue
                    return SyncEntry(item.path, local, item.size, "failed", error=str(exc))
                if not self.retry.temporary(exc) or failures >= self.retry.attempts:
                    return SyncEntry(item.path, local, item.size, "failed", error=str(exc))
                failures += 1
                _LOG.warning("tether: %s failed (%s); trying again", item.path, exc)
                await self.retry.pause(failures)
                continue
            if result.size != item.size or not result.verified:
                return SyncEntry(
                    item.path, local, item.size, "failed", error="size differs from the listing"
                )
            return SyncEntry(
                item.path, result.path, item.size, "downloaded",
                verified_by=result.verified_by, resumed_from=result.resumed_from,
            )  # fmt: skip

    async def _delete(self, watch: NewMedia, entry: SyncEntry) -> SyncEntry:
        try:
            await self.cam.delete(entry.path)
        except YicamError as exc:
            return SyncEntry(
                entry.path, entry.local, entry.size, entry.status, error=f"not deleted: {exc}"
            )
        watch.forget(entry.path)
        return SyncEntry(entry.path, entry.local, entry.size, entry.status, deleted=True)


def _free_name(local: Path) -> Path:
    """`local`, or `NAME-2.EXT`, `NAME-3.EXT`... when a file (or its partial) has the name.

    The camera made this file just now: a local file of the same name is another one (the
    camera reuses names after a delete or a format), and it is never overwritten or resumed.
    """
    stem, dot, ext = local.name.rpartition(".")
    if not dot:
        stem, ext = local.name, ""
    candidate, number = local, 1
    while candidate.exists() or Partial(candidate).path.exists():
        number += 1
        candidate = local.with_name(f"{stem}-{number}{dot}{ext}")
    return candidate
