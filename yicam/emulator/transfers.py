"""Control handlers for file transfers: get (1285), put (1286), cancel (1287), thumbnail (1025).

The bytes travel on the data port (`data_port.DataService`); completion is announced on the
control port. The md5sum in `get_file_complete` is always the whole file's: that is how the
emulator reads the report that a partial transfer's md5 "does not match the chunk" (YICHAN).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path

from .._wire.ids import MsgId, Notify
from .._wire.messages import Reply, Request
from .card import CardPathError
from .control import ControlSession, Handler
from .data_port import DataService, Transfer
from .file_stream import DataCut, send_file

__all__ = ["TRANSFER_HANDLERS"]

_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")
_HASH_CHUNK = 1024 * 1024


def _service(session: ControlSession) -> DataService | None:
    return session.state.data_service


def _int_field(req: Request, name: str) -> int | None:
    value = req.fields.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _local_file(session: ControlSession, param: object) -> Path | None:
    if not isinstance(param, str):
        return None
    try:
        local = session.state.card.local_path(param, session.cwd)
    except CardPathError:
        return None
    return local if local.is_file() else None


async def get_file(session: ControlSession, req: Request) -> Reply:
    """Msg 1285: stream a file range on the data port; reply `rem_size` and `size`."""
    service = _service(session)
    if service is None:
        return Reply(req.msg_id, -23)
    offset, fetch = _int_field(req, "offset"), _int_field(req, "fetch_size")
    if offset is None or fetch is None:
        return Reply(req.msg_id, -25)
    local = _local_file(session, req.fields.get("param"))
    if local is None:
        return Reply(req.msg_id, -26)
    if "get" in service.slots:
        return Reply(req.msg_id, -21)
    size = local.stat().st_size
    if offset > size:
        return Reply(req.msg_id, -13)
    rem = size - offset if fetch == 0 else min(fetch, size - offset)
    conn = await service.connection_for(session.data_host)
    if conn is None or "get" in service.slots:
        return Reply(req.msg_id, -14 if conn is None else -21)
    transfer = Transfer("get", str(req.fields["param"]), session, conn)
    service.begin(transfer)
    # The bytes may reach the client before this reply, as on a real camera.
    service.run(transfer, _send(service, transfer, local, offset, rem))
    return Reply(req.msg_id, 0, {"rem_size": rem, "size": size})


async def _send(
    service: DataService, transfer: Transfer, local: Path, offset: int, rem: int
) -> None:
    session = transfer.owner
    hasher = hashlib.md5()
    if offset:
        await asyncio.to_thread(_hash_prefix, hasher, local, offset)

    def on_sent(n: int) -> None:
        transfer.done = n

    try:
        sent = await send_file(
            transfer.conn.writer, local, offset, rem, service.faults, service.rng, on_sent, hasher
        )
    except (DataCut, ConnectionError, OSError):
        transfer.conn.close()
        service.finish(transfer)
        report = [{"bytes sent": transfer.done}, {"md5sum": ""}]
        session.notify(Notify.GET_FILE_FAIL, report, token=session.token)
        return
    service.finish(transfer)
    # The md5 covers the whole file, also bytes past a partial range.
    await asyncio.to_thread(_hash_rest, hasher, local, offset + rem)
    report = [{"bytes sent": sent}, {"md5sum": hasher.hexdigest()}]
    session.notify(Notify.GET_FILE_COMPLETE, report, token=session.token)


async def put_file(session: ControlSession, req: Request) -> Reply:
    """Msg 1286: receive `size` bytes on the data port, check `md5sum`, then store the file."""
    service = _service(session)
    if service is None:
        return Reply(req.msg_id, -23)
    param, md5 = req.fields.get("param"), req.fields.get("md5sum")
    size = _int_field(req, "size")
    if not isinstance(md5, str) or not _MD5.match(md5) or size is None:
        return Reply(req.msg_id, -25)
    if not isinstance(param, str):
        return Reply(req.msg_id, -9)
    try:
        local = session.state.card.local_path(param, session.cwd)
        if not local.parent.is_dir() or local.is_dir():
            return Reply(req.msg_id, -26)
        if local.exists():
            return Reply(req.msg_id, -13)
    except (CardPathError, OSError):
        return Reply(req.msg_id, -26)  # off the card, NUL, a name too long, a link loop
    if "put" in service.slots:
        return Reply(req.msg_id, -21)
    if size > session.state.card.free():
        return Reply(req.msg_id, -17)
    conn = await service.connection_for(session.data_host)
    if conn is None or "put" in service.slots:
        return Reply(req.msg_id, -14 if conn is None else -21)
    transfer = Transfer("put", param, session, conn)
    service.begin(transfer)
    service.run(transfer, _receive(service, transfer, local, size, md5.lower()))
    return Reply(req.msg_id)


async def _receive(
    service: DataService, transfer: Transfer, local: Path, size: int, expected: str
) -> None:
    session = transfer.owner
    hasher = hashlib.md5()
    ok = False
    temp: str | None = None
    try:
        # A fresh name (O_EXCL): a link planted on the card is never written through.
        fd, temp = tempfile.mkstemp(dir=local.parent, prefix=".yicam-", suffix=".upload")
        with os.fdopen(fd, "wb") as file:
            while transfer.done < size:
                data = await transfer.conn.reader.read(min(_HASH_CHUNK, size - transfer.done))
                if not data:
                    break
                file.write(data)
                hasher.update(data)
                transfer.done += len(data)
        ok = transfer.done == size and hasher.hexdigest() == expected
        if ok:
            session.state.card.place(Path(temp), local)
    except (ConnectionError, OSError, ValueError):
        ok = False
    finally:
        if not ok and temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        service.finish(transfer)
    if not ok:
        transfer.conn.close()
    kind = Notify.PUT_FILE_COMPLETE if ok else Notify.PUT_FILE_FAIL
    report = [{"bytes received": transfer.done}, {"md5sum": hasher.hexdigest()}]
    session.notify(kind, report, token=session.token)


async def cancel_transfer(session: ControlSession, req: Request) -> Reply:
    """Msg 1287: cancel the transfer of `param`; reply `transferred_size`, no completion."""
    service = _service(session)
    if service is None:
        return Reply(req.msg_id, -23)
    mine = [t for t in service.slots.values() if t.owner is session]
    if not mine:
        return Reply(req.msg_id, -14)
    param = req.fields.get("param")
    match = next((t for t in mine if t.path == param), None)
    if match is None:
        return Reply(req.msg_id, -13)
    service.cancel(match)
    return Reply(req.msg_id, 0, {"transferred_size": match.done})


async def get_thumbnail(session: ControlSession, req: Request) -> Reply:
    """Msg 1025: JPEG bytes on the data port first, then the reply with `size` and `md5sum`."""
    service = _service(session)
    if service is None:
        return Reply(req.msg_id, -23)
    local = _local_file(session, req.fields.get("param"))
    if local is None:
        return Reply(req.msg_id, -26)
    if local.suffix.lower() not in (".jpg", ".mp4"):
        return Reply(req.msg_id, -24)
    if "get" in service.slots:
        return Reply(req.msg_id, -21)
    conn = await service.connection_for(session.data_host)
    if conn is None or "get" in service.slots:
        return Reply(req.msg_id, -14 if conn is None else -21)
    kind = req.fields.get("type", "thumb")
    data = session.state.card.preview(local, "screen" if kind == "fullview" else "thumb")
    transfer = Transfer("get", str(req.fields["param"]), session, conn)
    service.begin(transfer)
    try:
        conn.writer.write(data)
        await conn.writer.drain()
    except (ConnectionError, OSError):
        service.cancel(transfer)
        return Reply(req.msg_id, -1)
    service.finish(transfer)
    md5 = hashlib.md5(data).hexdigest()
    return Reply(req.msg_id, 0, {"size": len(data), "type": kind, "md5sum": md5})


def _hash_prefix(hasher: hashlib._Hash, path: Path, length: int) -> None:
    with path.open("rb") as file:
        while length > 0 and (data := file.read(min(_HASH_CHUNK, length))):
            hasher.update(data)
            length -= len(data)


def _hash_rest(hasher: hashlib._Hash, path: Path, offset: int) -> None:
    with path.open("rb") as file:
        file.seek(offset)
        while data := file.read(_HASH_CHUNK):
            hasher.update(data)


TRANSFER_HANDLERS: dict[int, Handler] = {
    MsgId.GET_FILE: get_file,
    MsgId.PUT_FILE: put_file,
    MsgId.CANCEL_TRANSFER: cancel_transfer,
    MsgId.GET_THUMB: get_thumbnail,
}
