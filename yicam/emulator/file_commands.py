"""Handlers for the emulated camera's file commands: list, cd, pwd, delete, mkdir, media info.

Every path goes through the card's jail (`Card.local_path`): a name leading off the card,
through `..` or a symlink, gets -26 like a missing file.
"""

from __future__ import annotations

import re
from datetime import datetime

from .._wire.ids import MsgId
from .._wire.messages import Reply, Request
from .card import CardPathError
from .control import ControlSession, Handler

__all__ = ["FILE_HANDLERS"]

_LS_OPTIONS = re.compile(r"\s+-[A-Za-z](?=\s|$)")
_WILDCARD = re.compile(r"[*?]")  # FAT names never hold these; `[` they may


async def list_dir(session: ControlSession, req: Request) -> Reply | None:
    """Msg 1282: list a directory; listing a file kills the server, as on a Yi 1."""
    if not session.state.card.inserted:
        return Reply(req.msg_id, -26)
    param = req.fields.get("param", "")
    if not isinstance(param, str):
        return Reply(req.msg_id, -9)
    path = _LS_OPTIONS.sub("", " " + param).strip() or "."
    try:
        local = session.state.card.local_path(path, session.cwd)
    except CardPathError:
        return Reply(req.msg_id, -26)
    if local.is_file():
        session.close()
        return None
    if not local.is_dir():
        return Reply(req.msg_id, -26)
    return Reply(req.msg_id, 0, {"listing": session.state.card.listing(local)})


async def change_dir(session: ControlSession, req: Request) -> Reply:
    """Msg 1283: change the connection's current directory."""
    local = session.resolve(req, default=".")
    if isinstance(local, Reply):
        return local
    if not local.is_dir():
        return Reply(req.msg_id, -26)
    session.cwd = session.state.card.camera_path(local)
    return Reply(req.msg_id, 0, {"pwd": session.cwd})


async def pwd(session: ControlSession, req: Request) -> Reply:
    """Msg 1284: the current directory."""
    return Reply(req.msg_id, 0, {"pwd": session.cwd})


async def delete(session: ControlSession, req: Request) -> Reply:
    """Msg 1281: delete a file; a Yi 1 also takes `*` and `?` in the name (AMBARPC)."""
    param = req.fields.get("param")
    if not isinstance(param, str):
        return Reply(req.msg_id, -9)
    card = session.state.card
    wildcard = session.state.profile.wildcard_delete and _WILDCARD.search(param.rsplit("/")[-1])
    try:
        targets = (
            card.matching(param, session.cwd) if wildcard else [card.local_path(param, session.cwd)]
        )
    except (CardPathError, OSError):
        return Reply(req.msg_id, -26)
    files = [path for path in dict.fromkeys(targets) if path.is_file()]  # links: one target
    if not files:
        return Reply(req.msg_id, -26)
    for path in files:
        card.remove(path)
    return Reply(req.msg_id)


async def make_dir(session: ControlSession, req: Request) -> Reply:
    """Msg 1289: make a folder, `param` its path (the emulator's reading: no source gives
    the parameters); -13 when it exists, -26 when its parent does not."""
    param = req.fields.get("param")
    if not isinstance(param, str):
        return Reply(req.msg_id, -9)
    card = session.state.card
    if not card.inserted:
        return Reply(req.msg_id, -27)
    try:
        local = card.local_path(param, session.cwd)
        if local.exists():
            return Reply(req.msg_id, -13)
        local.mkdir()
    except (CardPathError, OSError):
        return Reply(req.msg_id, -26)
    return Reply(req.msg_id)


async def media_info(session: ControlSession, req: Request) -> Reply:
    """Msg 1026: size, date, resolution and type of a media file."""
    local = session.resolve(req)
    if isinstance(local, Reply):
        return local
    if not local.is_file():
        return Reply(req.msg_id, -26)
    suffix = local.suffix.lower()
    if suffix not in (".jpg", ".mp4"):
        return Reply(req.msg_id, -24)  # only media files have media info
    stat = local.stat()
    fields: dict[str, object] = {
        "size": stat.st_size,
        "date": datetime.fromtimestamp(stat.st_mtime).strftime("%Y-%m-%d %H:%M:%S"),
        "resolution": "4608x3456" if suffix == ".jpg" else "1920x1080",
        "media_type": "img" if suffix == ".jpg" else "mov",
    }
    if suffix == ".mp4":
        fields.update(duration=2, framerate="60", thumb_file=local.stem + "_thm.mp4")
    return Reply(req.msg_id, 0, fields)


FILE_HANDLERS: dict[int, Handler] = {
    MsgId.GET_MEDIA_INFO: media_info,
    MsgId.DELETE: delete,
    MsgId.MKDIR: make_dir,
    MsgId.LIST: list_dir,
    MsgId.CD: change_dir,
    MsgId.PWD: pwd,
}
