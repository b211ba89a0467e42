"""Downloads over the data port and HTTP against the emulator: resume, verify, faults."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from yicam import (
    Camera,
    CameraBusyError,
    CameraConnectionError,
    CameraError,
    InvalidPathError,
    RemoteFileNotFoundError,
    TransferCancelledError,
)
from yicam._transfers.download import Via
from yicam._transfers.partial import Partial, Source
from yicam.emulator import Emulator
from yicam.emulator.faults import Faults

from .conftest import wait_until

CARD_PATH = "/tmp/fuse_d/DCIM/100MEDIA/BIG00001.mp4"
SIZE = 3 * 1024 * 1024 + 12345


def partial(folder: Path, name: str = "BIG00001.mp4") -> Path:
    """The partial file of a download of `name` into `folder`."""
    return Partial(folder / name).path


async def seed_partial(cam: Camera, folder: Path, prefix: bytes) -> None:
    """A partial download of CARD_PATH into `folder`, as yicam would have left it."""
    entry = next(
        e for e in await cam.list_dir(CARD_PATH.rsplit("/", 1)[0]) if e.name == "BIG00001.mp4"
    )
    modified = entry.modified.isoformat() if entry.modified else None
    started = Partial(folder / "BIG00001.mp4")
    started.begin(Source(CARD_PATH, cam.host, entry.size, modified), entry.size)
    started.path.write_bytes(prefix)


def put_big_file(emu: Emulator, size: int = SIZE, name: str = "BIG00001.mp4") -> bytes:
    data = os.urandom(size)
    (emu.sd / "DCIM" / "100MEDIA" / name).write_bytes(data)
    return data


def connect(emu: Emulator, **kwargs: Any) -> Camera:
    kwargs.setdefault("timeout", 2.0)
    kwargs.setdefault("event_timeout", 5.0)
    kwargs.setdefault("http_port", emu.http_port)
    return Camera("127.0.0.1", emu.port, data_port=emu.data_port, **kwargs)


@pytest.mark.parametrize("via", ["data", "http"])
async def test_download_is_byte_identical(
    emulator: Emulator, camera: Camera, tmp_path: Path, via: Via
) -> None:
    data = put_big_file(emulator)
    seen: list[tuple[int, int]] = []
    result = await camera.download(
        CARD_PATH,
        tmp_path,
        via=via,
        progress=lambda d, t: seen.append((d, t)),
    )
    path = result.path
    assert path == tmp_path / "BIG00001.mp4"
    assert (result.size, result.via, result.resumed) == (SIZE, via, False)
    assert result.verified_by == ("md5" if via == "data" else "size")
    assert path.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["BIG00001.mp4"]  # noqa: ASYNC240
    assert seen[0] == (0, SIZE)
    assert seen[-1] == (SIZE, SIZE)


@pytest.mark.parametrize("via", ["data", "http"])
@pytest.mark.parametrize("prefix", [0, 1, 65536, 262144, SIZE - 1, SIZE])
async def test_resume_from_any_offset(
    emulator: Emulator, camera: Camera, tmp_path: Path, via: Via, prefix: int
) -> None:
    data = put_big_file(emulator)
    await seed_partial(camera, tmp_path, data[:prefix])
    result = await camera.download(CARD_PATH, tmp_path, via=via)
    assert result.resumed_from == prefix
    assert result.verified
    assert hashlib.md5(result.path.read_bytes()).hexdigest() == hashlib.md5(data).hexdigest()


@pytest.mark.parametrize("via", ["data", "http"])
async def test_part_longer_than_the_file_starts_over(
    emulator: Emulator, camera: Camera, tmp_path: Path, via: Via
) -> None:
    data = put_big_file(emulator, size=1000)
    await seed_partial(camera, tmp_path, b"x" * 5000)
    result = await camera.download(CARD_PATH, tmp_path, via=via)
    assert result.resumed_from == 0
    assert result.path.read_bytes() == data


@pytest.mark.parametrize("via", ["data", "http"])
async def test_corrupt_prefix_is_detected_on_the_data_port(
    emulator: Emulator, camera: Camera, tmp_path: Path, via: Via
) -> None:
    data = put_big_file(emulator, size=100_000)
    part = partial(tmp_path)
    await seed_partial(camera, tmp_path, b"\0" * 5000)  # wrong bytes where the file has random ones
    if via == "data":
        from yicam import TransferError

        with pytest.raises(TransferError, match="MD5 mismatch"):
            await camera.download(CARD_PATH, tmp_path, via="data")
        assert not part.exists()
        assert not (tmp_path / "BIG00001.mp4").exists()
        assert (await camera.download(CARD_PATH, tmp_path, via="data")).path.read_bytes() == data
    else:
        # HTTP has no checksum: only the size can be checked.
        path = (await camera.download(CARD_PATH, tmp_path, via="http")).path
        assert path.stat().st_size == len(data)


@pytest.mark.parametrize("via", ["data", "http"])
async def test_dropped_transfers_resume_to_identical_files(
    start_emulator: Callable[..., Any], tmp_path: Path, via: Via
) -> None:
    emu: Emulator = await start_emulator(faults=Faults(drop_data=0.8, seed=7))
    data = put_big_file(emu, size=2 * 1024 * 1024 + 7)
    part = partial(tmp_path)
    cut_at: list[int] = []
    async with connect(emu) as cam:
        for _ in range(200):
            try:
                path = (await cam.download(CARD_PATH, tmp_path, via=via)).path
                break
            except CameraConnectionError:
                assert part.exists()
                assert not (tmp_path / "BIG00001.mp4").exists()
                cut_at.append(part.stat().st_size)
        else:
            pytest.fail("never completed")
    assert len(set(cut_at)) >= 3  # cut at several different offsets
    assert hashlib.md5(path.read_bytes()).digest() == hashlib.md5(data).digest()
    assert not part.exists()


async def test_missing_file(camera: Camera, tmp_path: Path) -> None:
    with pytest.raises(InvalidPathError) as refused:
        await camera.download("/tmp/fuse_d/DCIM/100MEDIA/NOPE.mp4", tmp_path, via="data")
    assert refused.value.rval == -26  # what the camera sent
    with pytest.raises(RemoteFileNotFoundError, match="HTTP 404") as not_found:
        await camera.download("/tmp/fuse_d/DCIM/100MEDIA/NOPE.mp4", tmp_path, via="http")
    assert not isinstance(not_found.value, CameraError)  # no made-up rval
    assert not any(tmp_path.iterdir())  # noqa: ASYNC240


async def test_auto_falls_back_to_http_when_the_data_port_is_closed(
    emulator: Emulator, tmp_path: Path
) -> None:
    data = put_big_file(emulator, size=5000)
    async with Camera(
        "127.0.0.1", emulator.port, data_port=1, http_port=emulator.http_port, timeout=2.0
    ) as cam:
        result = await cam.download(CARD_PATH, tmp_path)
    assert result.via == "http"
    assert result.path.read_bytes() == data


async def test_yi1_http_needs_the_viewfinder(emulator: Emulator, tmp_path: Path) -> None:
    put_big_file(emulator, size=5000)
    reader, writer = await asyncio.open_connection("127.0.0.1", emulator.http_port)
    writer.write(b"GET /DCIM/100MEDIA/BIG00001.mp4 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert await reader.read() == b""  # closed without an answer before 259
    writer.close()
    await writer.wait_closed()
    async with connect(emulator) as cam:
        await cam.download(CARD_PATH, tmp_path, via="http")  # sends 259 itself
        assert emulator.state.viewfinder


async def test_http_range_and_errors(start_emulator: Callable[..., Any]) -> None:
    emu: Emulator = await start_emulator(model="yi4k")
    data = put_big_file(emu, size=1000)

    async def get(request: bytes) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", emu.http_port)
        writer.write(request)
        answer = await reader.read()
        writer.close()
        await writer.wait_closed()
        return answer

    url = b"/DCIM/100MEDIA/BIG00001.mp4"
    answer = await get(b"GET " + url + b" HTTP/1.1\r\nRange: bytes=990-\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 206")
    assert b"Content-Range: bytes 990-999/1000" in answer
    assert answer.endswith(data[990:])
    answer = await get(b"GET " + url + b" HTTP/1.1\r\nRange: bytes=1000-\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 416")
    assert b"bytes */1000" in answer
    answer = await get(b"GET /DCIM/100MEDIA/NOPE.mp4 HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 404")
    for escape in (b"/DCIM/../../etc/passwd", b"/DCIM/%2e%2e/%2e%2e/etc/passwd", b"/etc/passwd"):
        answer = await get(b"GET " + escape + b" HTTP/1.1\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 404")
    answer = await get(b"HEAD " + url + b" HTTP/1.1\r\n\r\n")
    assert b"Content-Length: 1000" in answer
    assert answer.endswith(b"\r\n\r\n")


async def test_second_get_is_busy(start_emulator: Callable[..., Any]) -> None:
    emu: Emulator = await start_emulator(faults=Faults(slow_data=64))
    put_big_file(emu)
    async with connect(emu) as cam, cam._transfers.slot.held(5.0) as handle:
        get = await handle.open_get(CARD_PATH, 0)
        try:
            with pytest.raises(CameraBusyError):
                await cam.call(1285, param=CARD_PATH, offset=0, fetch_size=0)
        finally:
            get.close()


async def test_cancel_keeps_the_part(start_emulator: Callable[..., Any], tmp_path: Path) -> None:
    emu: Emulator = await start_emulator(faults=Faults(slow_data=256))
    put_big_file(emu, size=4 * 1024 * 1024)
    async with connect(emu) as cam:
        started = asyncio.Event()

        def progress(done: int, total: int) -> None:
            if done > 0:
                started.set()

        task = asyncio.create_task(cam.download(CARD_PATH, tmp_path, progress=progress))
        await started.wait()
        assert await cam.cancel_transfer()
        with pytest.raises(TransferCancelledError):
            await task
        assert not await cam.cancel_transfer()
        assert partial(tmp_path).stat().st_size > 0
        assert not (tmp_path / "BIG00001.mp4").exists()
        assert emu.state.data_service is not None
        assert not emu.state.data_service.slots


@pytest.mark.parametrize("via", ["data", "http"])
async def test_disk_full_mid_transfer_keeps_a_resumable_prefix(
    emulator: Emulator, camera: Camera, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, via: Via
) -> None:
    import errno

    import yicam._transfers.download as download_module
    from yicam import LocalFileError

    data = put_big_file(emulator)
    real_write = download_module._write
    calls: list[int] = []

    def fills_up(file: Any, chunk: memoryview, part: Any) -> None:
        calls.append(len(chunk))
        if len(calls) == 3:  # in the download's worker thread, mid-transfer
            raise download_module._local_error(OSError(errno.ENOSPC, "No space"), part)
        real_write(file, chunk, part)

    monkeypatch.setattr(download_module, "_write", fills_up)
    with pytest.raises(LocalFileError, match="no space left"):
        await camera.download(CARD_PATH, tmp_path, via=via)
    kept = partial(tmp_path).read_bytes()
    assert len(kept) == sum(calls[:2])  # nothing written after the failed block
    assert kept == data[: len(kept)]
    assert not (tmp_path / "BIG00001.mp4").exists()
    monkeypatch.setattr(download_module, "_write", real_write)
    result = await camera.download(CARD_PATH, tmp_path, via=via)
    assert result.resumed_from == len(kept)
    assert result.path.read_bytes() == data


async def test_a_late_outcome_of_an_aborted_download_never_reaches_the_next(
    emulator: Emulator, camera: Camera, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loaded camera announces the aborted get's end only once the client asks again."""
    import errno

    import yicam._transfers.download as download_module
    from yicam import LocalFileError
    from yicam._wire.ids import MsgId, Notify
    from yicam.emulator.control import ControlSession

    data = put_big_file(emulator)
    held: list[Callable[[], None]] = []
    released = False
    real_notify = ControlSession.notify

    def late_notify(self: ControlSession, kind: Any, param: Any = None, **fields: Any) -> None:
        if released or kind not in (Notify.GET_FILE_COMPLETE, Notify.GET_FILE_FAIL):
            real_notify(self, kind, param, **fields)
        else:
            held.append(lambda: real_notify(self, kind, param, **fields))

    def releasing(handler: Any, after: int) -> Any:
        calls = 0

        async def handle(session: ControlSession, req: Any) -> Any:
            nonlocal calls, released
            calls += 1
            if calls > after:  # sent before this request's reply
                released = True
                while held:
                    held.pop(0)()
            return await handler(session, req)

        return handle

    monkeypatch.setattr(ControlSession, "notify", late_notify)
    handlers = emulator.handlers
    monkeypatch.setitem(handlers, MsgId.GET_FILE, releasing(handlers[MsgId.GET_FILE], 1))
    monkeypatch.setitem(
        handlers, MsgId.CANCEL_TRANSFER, releasing(handlers[MsgId.CANCEL_TRANSFER], 0)
    )
    real_write = download_module._write
    writes = 0

    def fills_up(file: Any, chunk: memoryview, part: Any) -> None:
        nonlocal writes
        writes += 1
        if writes == 2:
            raise download_module._local_error(OSError(errno.ENOSPC, "No space"), part)
        real_write(file, chunk, part)

    with monkeypatch.context() as patch:
        patch.setattr(download_module, "_write", fills_up)
        with pytest.raises(LocalFileError):
            await camera.download(CARD_PATH, tmp_path, via="data")
    await wait_until(lambda: held or released)  # the aborted get has ended on the camera
    result = await camera.download(CARD_PATH, tmp_path, via="data")
    assert result.resumed
    assert result.verified_by == "md5"
    assert result.path.read_bytes() == data


async def test_refused_resume_keeps_the_part(
    emulator: Emulator, camera: Camera, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yicam import InvalidOperationError
    from yicam.emulator.data_port import DataService

    data = put_big_file(emulator)
    part = partial(tmp_path)
    await seed_partial(camera, tmp_path, data[:5000])

    async def no_connection(self: DataService, host: str) -> None:
        return None  # the camera did not see the data connection: -14

    with monkeypatch.context() as patch:
        patch.setattr(DataService, "connection_for", no_connection)
        with pytest.raises(InvalidOperationError):
            await camera.download(CARD_PATH, tmp_path, via="data")
    assert part.read_bytes() == data[:5000]
    result = await camera.download(CARD_PATH, tmp_path, via="data")
    assert result.resumed_from == 5000
    assert result.path.read_bytes() == data


@pytest.mark.parametrize("via", ["data", "http"])
async def test_empty_file(emulator: Emulator, camera: Camera, tmp_path: Path, via: Via) -> None:
    put_big_file(emulator, size=0)
    result = await camera.download(CARD_PATH, tmp_path, via=via)
    assert result.size == 0
    assert result.path.read_bytes() == b""
    assert result.md5 == hashlib.md5(b"").hexdigest()


@pytest.mark.parametrize("via", ["data", "http"])
async def test_cancelling_the_task_stops_the_download(
    start_emulator: Callable[..., Any], tmp_path: Path, via: Via
) -> None:
    emu: Emulator = await start_emulator(faults=Faults(slow_data=256))
    data = put_big_file(emu, size=4 * 1024 * 1024)
    part = partial(tmp_path)
    async with connect(emu) as cam:
        started = asyncio.Event()

        def progress(done: int, total: int) -> None:
            if done > 0:
                started.set()

        task = asyncio.create_task(cam.download(CARD_PATH, tmp_path, via=via, progress=progress))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task  # only once the worker thread has stopped
        kept = part.read_bytes()
        assert 0 < len(kept) < len(data)
        assert kept == data[: len(kept)]
        assert not (tmp_path / "BIG00001.mp4").exists()
        assert not await cam.cancel_transfer()  # nothing left in progress


async def test_a_silent_web_server_times_out(emulator: Emulator, tmp_path: Path) -> None:
    from yicam import CameraTimeoutError

    put_big_file(emulator, size=5000)
    release = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"x" * 1000)
        await release.wait()  # then nothing more, the connection stays open
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with connect(emulator, http_port=port, event_timeout=0.2) as cam:
            with pytest.raises(CameraTimeoutError):
                await cam.download(CARD_PATH, tmp_path, via="http")
    finally:
        release.set()
        server.close()
        await server.wait_closed()
    assert partial(tmp_path).read_bytes() == b"x" * 1000


async def test_a_failing_progress_callback_stops_the_download(
    start_emulator: Callable[..., Any], tmp_path: Path
) -> None:
    emu: Emulator = await start_emulator(faults=Faults(slow_data=256))
    data = put_big_file(emu, size=4 * 1024 * 1024)

    def progress(done: int, total: int) -> None:
        if done:
            raise RuntimeError("progress bar broke")

    async with connect(emu) as cam:
        with pytest.raises(RuntimeError, match="progress bar broke"):
            await cam.download(CARD_PATH, tmp_path, progress=progress)
    kept = partial(tmp_path).read_bytes()
    assert kept == data[: len(kept)]


async def test_downloads_do_not_wait_for_each_other_on_a_small_machine(
    start_emulator: Callable[..., Any], tmp_path: Path
) -> None:
    """Each download pumps in a thread of its own: not from the loop's default executor,
    which on a two-core machine has 6 threads (here 2), so a fleet's ninth camera waited."""
    from concurrent.futures import ThreadPoolExecutor

    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(2))
    cameras, started = [], [asyncio.Event() for _ in range(3)]
    for _ in started:
        emu = await start_emulator(faults=Faults(slow_data=256))
        (emu.sd / "DCIM" / "100MEDIA").mkdir(parents=True, exist_ok=True)
        (emu.sd / "DCIM" / "100MEDIA" / "YDXJ0001.MP4").write_bytes(os.urandom(256 * 1024))
        cameras.append(
            Camera("127.0.0.1", emu.port, data_port=emu.data_port, http_port=emu.http_port)
        )

    async def fetch(cam: Camera, ready: asyncio.Event, dest: Path) -> None:
        def progress(done: int, _total: int) -> None:
            if done:
                ready.set()

        async with cam:
            await cam.download(
                "/tmp/fuse_d/DCIM/100MEDIA/YDXJ0001.MP4", dest, via="data", progress=progress
            )

    tasks = [
        asyncio.create_task(fetch(cam, ready, tmp_path / f"cam{i}.mp4"))
        for i, (cam, ready) in enumerate(zip(cameras, started, strict=True))
    ]
    await wait_until(lambda: all(e.is_set() for e in started), timeout=20)
    assert not any(t.done() for t in tasks)  # all three moving at once, none finished first
    await asyncio.gather(*tasks)
