"""The camera commands that more than `Camera` sends, each with the check that keeps a camera safe.

`Camera`, the transfers (listings, HTTP's viewfinder), sync and tether (deleting what was
copied) all go through these: a listing of a file-like path on a model that crashes listing a
file, and a delete of a name with a wildcard, are refused before anything is sent.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING

from .._errors import CameraBusyError, CameraTimeoutError, UnsafeOperationError
from .._wire.ids import MsgId, Notify
from .results import DirEntry, parse_listing

if TYPE_CHECKING:
    from .session import Session

__all__ = ["delete", "list_dir", "start_viewfinder", "stop_viewfinder"]

# Listing a file path kills the Yi 1 server: refuse paths that look like files.
_FILE_LIKE = re.compile(r"\.[A-Za-z0-9]{1,4}$")
# A Yi 1 deletes every match of these (AMBARPC); FAT names never contain them.
_WILDCARD = re.compile(r"[*?]")


async def list_dir(session: Session, path: str) -> list[DirEntry]:
    """The entries of a camera directory; see `Camera.list_dir`.

    Raises `UnsafeOperationError` for a file-like path on a model that crashes listing one.
    """
    path = path.rstrip("/") or ""
    if session.quirks.listing_a_file_crashes and _FILE_LIKE.search(path.rsplit("/", 1)[-1]):
        raise UnsafeOperationError(
            f"refusing to list {path!r}: it looks like a file, and listing a file "
            "crashes the camera; list its directory instead"
        )
    reply = await session.request(MsgId.LIST, {"param": f"{path}/ -D -S"})
    return parse_listing(reply.fields.get("listing", []))


async def delete(session: Session, path: str, *, allow_wildcards: bool = False) -> None:
    """Delete a camera file; see `Camera.delete`.

    Raises `UnsafeOperationError` for a name with `*` or `?` unless `allow_wildcards`.
    """
    if not allow_wildcards and _WILDCARD.search(path.rsplit("/", 1)[-1]):
        raise UnsafeOperationError(
            f"refusing to delete {path!r}: a camera deletes every file matching * or ?; "
            "allow wildcards explicitly (allow_wildcards=True, yicam rm --wildcards)"
        )
    await session.request(MsgId.DELETE, {"param": path})


async def start_viewfinder(session: Session) -> None:
    """Start the live stream (msg 259), recovering from the Yi 1's -21 once.

    Raises `CameraBusyError` when the camera is still busy after that.
    """
    try:
        await session.request(MsgId.START_VIEWFINDER, {"param": "none_force"})
    except CameraBusyError:
        # Yi 1 after a photo/record cycle: stop, wait for vf_stop, start again (JCP).
        with session.expect(Notify.VF_STOP) as stopped:
            await session.request(MsgId.STOP_VIEWFINDER)
            with contextlib.suppress(CameraTimeoutError):
                await stopped.wait(session.settings.timeout)
        await session.request(MsgId.START_VIEWFINDER, {"param": "none_force"})
    session.known.viewfinder = True


async def stop_viewfinder(session: Session) -> None:
    """Stop the live stream (msg 260)."""
    await session.request(MsgId.STOP_VIEWFINDER)
    session.known.viewfinder = False
