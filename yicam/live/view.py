"""`LiveView`: low-latency frames from a camera's RTSP stream, decoded by FFmpeg through PyAV.

The stream is opened and decoded in a dedicated thread, so the event loop never blocks; frames
reach coroutines through `frames()`, `next_frame()`, `snapshot()` and `record()`. When no
packet arrives for `stall_timeout` seconds (or the stream ends), the view calls `start` again,
since the camera may have dropped its viewfinder, and reopens the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Self

import av
from av.sidedata.sidedata import Type as SideDataType

from yicam._errors import CameraConnectionError, CameraTimeoutError, ProtocolError, YicamError

from .frames import LiveFrame, LiveStats, StatsTracker
from .media import Recorder, Recording, encode_image, image_codec
from .sei import parse_capture_payload

__all__ = ["LOW_LATENCY_OPTIONS", "LiveView"]

_log = logging.getLogger(__name__)

# FFmpeg options for low latency over RTP/UDP (the Yi refuses RTP over TCP). Not "fflags=nobuffer":
# it discards the packets read while probing, which include the first keyframe.
LOW_LATENCY_OPTIONS: Mapping[str, str] = {
    "rtsp_transport": "udp",
    "flags": "low_delay",  # also turns off the decoder's frame threading, which delays frames
    "max_delay": "0",  # don't hold packets to wait for reordering
    "reorder_queue_size": "0",
    "probesize": "32",  # the SDP already carries SPS/PPS: don't buffer a second of video
    "analyzeduration": "0",
}
_BACKOFF = (0.2, 0.5, 1.0, 2.0)

StartStop = Callable[[], Awaitable[object]]
_Item = LiveFrame | BaseException


class LiveView:
    """A live view: `async with LiveView(url) as live: async for frame in live.frames(): ...`."""

    def __init__(
        self,
        url: str,
        *,
        start: StartStop | None = None,
        stop: StartStop | None = None,
        options: Mapping[str, str] | None = None,
        open_timeout: float = 10.0,
        stall_timeout: float = 3.0,
        retries: int = 3,
    ) -> None:
        self.url = url
        self._start = start
        self._stop = stop
        self._options = dict(LOW_LATENCY_OPTIONS if options is None else options)
        self._options.setdefault("timeout", str(int(open_timeout * 1_000_000)))
        self._open_timeout = open_timeout
        self._stall_timeout = stall_timeout
        self._retries = retries
        self._stats = StatsTracker()
        self._subscribers: set[Callable[[_Item], None]] = set()
        self._recorders: list[Recorder] = []
        self._recorders_lock = threading.Lock()
        self._closing = threading.Event()
        self._error: YicamError | None = None
        self._opened: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._index = 0

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def open(self) -> None:
        """Start the viewfinder (via `start`) and open the stream; raises CameraConnectionError."""
        if self._task is not None:
            raise RuntimeError("LiveView is already open")
        self._loop = asyncio.get_running_loop()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="yicam-live")
        self._opened = self._loop.create_future()
        try:
            if self._start is not None:
                await self._start()
            self._task = asyncio.create_task(self._supervise(), name="yicam-live")
            async with asyncio.timeout(self._give_up_after()):
                await asyncio.shield(self._opened)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Stop the viewfinder (if given `stop`), stop decoding; pending recordings fail."""
        self._closing.set()
        task, self._task = self._task, None
        try:
            if self._stop is not None and self._loop is not None:
                async with asyncio.timeout(self._open_timeout):
                    await self._stop()
        finally:
            if task is not None:
                # The thread notices _closing at the next packet, at end of stream or when
                # reading times out.
                await asyncio.wait({task}, timeout=self._stall_timeout + 1.0)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if self._executor is not None:
                self._executor.shutdown(wait=False)
                self._executor = None

    async def frames(self) -> AsyncIterator[LiveFrame]:
        """Decoded frames as they arrive; if the consumer is slow, older frames are skipped."""
        with self._subscription() as queue:
            while True:
                yield await self._take(queue)

    async def next_frame(self) -> LiveFrame:
        """The next decoded frame."""
        with self._subscription() as queue:
            return await self._take(queue)

    async def snapshot(self, path: str | Path) -> LiveFrame:
        """Write the next frame to `path` (.jpg/.jpeg or .png) and return it."""
        path = Path(path)
        codec = image_codec(path)
        frame = await self.next_frame()
        data = await asyncio.to_thread(encode_image, frame.image, codec)
        await asyncio.to_thread(path.write_bytes, data)
        return frame

    async def record(self, path: str | Path, duration: float) -> Recording:
        """Record `duration` seconds to an MP4 file by remuxing the H.264 (no re-encoding)."""
        if duration <= 0:
            raise ValueError("duration must be positive")
        loop = self._require_open()
        done: asyncio.Future[Recording] = loop.create_future()
        recorder = Recorder(Path(path), duration, loop, done)
        with self._recorders_lock:
            self._recorders.append(recorder)
        try:
            async with asyncio.timeout(duration + self._give_up_after()):
                return await asyncio.shield(done)
        except TimeoutError:
            raise CameraTimeoutError(f"recording {path} did not finish in time") from None
        finally:
            with self._recorders_lock:
                if recorder in self._recorders:
                    self._recorders.remove(recorder)
            if not done.done():
                done.cancel()

    def stats(self) -> LiveStats:
        """fps, frame counts and capture-to-decode latency (see `LiveStats`)."""
        return self._stats.snapshot()

    # -- supervision (event loop) ----------------------------------------------------------

    async def _supervise(self) -> None:
        loop = self._require_open()
        assert self._executor is not None
        failures = 0
        while not self._closing.is_set():
            got_frames = self._index
            outcome = await loop.run_in_executor(self._executor, self._session)
            if self._closing.is_set():
                return
            if self._index > got_frames:
                failures = 0
            failures += 1
            error = _translate(outcome, self.url)
            if failures > self._retries:
                self._fail(error)
                return
            _log.info("live view: %s; reconnecting (%d/%d)", error, failures, self._retries)
            self._stats.reconnects += 1
            await asyncio.sleep(_BACKOFF[min(failures, len(_BACKOFF)) - 1])
            if self._start is not None:
                try:
                    async with asyncio.timeout(self._open_timeout):
                        await self._start()
                except (YicamError, TimeoutError) as exc:
                    _log.info("live view: restarting the viewfinder failed: %s", exc)

    @contextlib.contextmanager
    def _subscription(self) -> Iterator[asyncio.Queue[_Item]]:
        queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize=2)

        def put(item: _Item) -> None:
            if queue.full():
                queue.get_nowait()
                self._stats.skipped += 1
            queue.put_nowait(item)

        self._subscribers.add(put)
        try:
            yield queue
        finally:
            self._subscribers.discard(put)

    def _fail(self, error: YicamError) -> None:
        self._error = error
        if self._opened is not None and not self._opened.done():
            self._opened.set_exception(error)
        for put in list(self._subscribers):
            put(error)
        with self._recorders_lock:
            recorders, self._recorders = self._recorders, []
        for recorder in recorders:
            recorder.finish(error)

    async def _take(self, queue: asyncio.Queue[_Item]) -> LiveFrame:
        if self._error is not None:
            raise self._error
        self._require_open()
        try:
            async with asyncio.timeout(self._give_up_after()):
                item = await queue.get()
        except TimeoutError:
            raise CameraTimeoutError(f"no frame from {self.url}") from None
        if isinstance(item, BaseException):
            raise item
        return item

    def _give_up_after(self) -> float:
        """Longest time the supervisor can take to deliver a frame or give up, plus margin."""
        per_try = self._open_timeout + self._stall_timeout + _BACKOFF[-1]
        return per_try * (self._retries + 1) + 5.0

    def _require_open(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or self._task is None:
            raise RuntimeError("LiveView is not open")
        return self._loop

    def _loop_call(self, callback: Callable[..., object], *args: Any) -> None:
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
            self._loop.call_soon_threadsafe(callback, *args)

    def _deliver(self, frame: LiveFrame) -> None:
        self._stats.add(frame)
        for put in list(self._subscribers):
            put(frame)

    def _on_open(self) -> None:
        self._stats.restart()
        if self._opened is not None and not self._opened.done():
            self._opened.set_result(None)

    # -- decoding (worker thread) ----------------------------------------------------------

    def _session(self) -> BaseException | None:
        """Open the stream and decode until it stalls, ends or we close; return why it ended."""
        try:
            container: Any = av.open(
                self.url, options=self._options, timeout=(self._open_timeout, self._stall_timeout)
            )
        except (av.FFmpegError, OSError) as exc:
            return exc
        try:
            if not container.streams.video:
                return ProtocolError(f"{self.url} has no video stream")
            stream = container.streams.video[0]
            self._loop_call(self._on_open)
            for packet in container.demux(stream):
                if self._closing.is_set():
                    return None
                try:
                    frames = packet.decode()
                except av.error.InvalidDataError:
                    self._loop_call(self._count_dropped)
                    frames = []
                for frame in frames:
                    self._emit(frame)
                self._feed_recorders(packet, stream)
            return EOFError("the stream ended")
        except (av.FFmpegError, OSError) as exc:
            return exc
        finally:
            container.close()
            if self._closing.is_set():
                self._finish_recorders(CameraConnectionError("live view closed while recording"))

    def _emit(self, frame: Any) -> None:
        image = frame.to_ndarray(format="rgb24")
        captured_at = None
        for side in frame.side_data:
            if side.type == SideDataType.SEI_UNREGISTERED:
                captured_at = parse_capture_payload(bytes(side))
        live = LiveFrame(image, self._index, frame.time, time.time(), captured_at)
        self._index += 1
        self._loop_call(self._deliver, live)

    def _feed_recorders(self, packet: Any, stream: Any) -> None:
        with self._recorders_lock:
            recorders = list(self._recorders)
        for recorder in recorders:
            try:
                recorder.feed(packet, stream)
            except (av.FFmpegError, OSError) as exc:
                recorder.finish(CameraConnectionError(f"recording {recorder.path} failed: {exc}"))
            if recorder.finished:
                with self._recorders_lock:
                    if recorder in self._recorders:
                        self._recorders.remove(recorder)

    def _finish_recorders(self, error: YicamError) -> None:
        with self._recorders_lock:
            recorders, self._recorders = self._recorders, []
        for recorder in recorders:
            recorder.finish(error)

    def _count_dropped(self) -> None:
        self._stats.dropped += 1


def _translate(outcome: BaseException | None, url: str) -> YicamError:
    """A yicam exception for why a stream session ended."""
    if isinstance(outcome, YicamError):
        return outcome
    if isinstance(outcome, av.error.ExitError | TimeoutError):
        return CameraTimeoutError(f"{url}: no video for too long")
    if isinstance(outcome, av.error.HTTPClientError | av.error.HTTPError):
        return CameraConnectionError(
            f"{url}: the camera refused the stream ({outcome}); is the viewfinder on?"
        )
    if isinstance(outcome, av.error.InvalidDataError):
        return ProtocolError(f"{url}: invalid stream data ({outcome})")
    if isinstance(outcome, EOFError):
        return CameraConnectionError(f"{url}: the stream ended")
    return CameraConnectionError(f"{url}: {outcome}")
