"""`LiveView`: low-latency frames from a camera's RTSP stream, decoded by FFmpeg through PyAV.

The stream is received and decoded in a dedicated thread, so the event loop never blocks;
frames reach coroutines through `frames()`, `next_frame()`, `snapshot()`, `record()` (a fixed
length) and `start_recording()` (until stopped). Two
engines receive it: "rtp" (the default: yicam's RTSP client and RTP depacketizer, each frame
decoded as soon as its last packet is in) and "ffmpeg" (FFmpeg's RTSP demuxer, one frame
later). When no packet arrives for `stall_timeout` seconds (or the stream ends), the view calls
`start` again, since the camera may have dropped its viewfinder, and reopens the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal, Self

import av

from yicam._errors import CameraConnectionError, CameraTimeoutError, ProtocolError, YicamError
from yicam._tasks import cancel_and_wait

from .ffmpeg_engine import LOW_LATENCY_OPTIONS, run_ffmpeg
from .frames import LiveFrame, LiveStats, StatsTracker
from .media import encode_image, image_codec
from .recording import LiveRecording, Recorder, Recording
from .rtp import AccessUnit
from .rtp_engine import run_rtp
from .sink import Sink

__all__ = ["LOW_LATENCY_OPTIONS", "Engine", "LiveView"]

_log = logging.getLogger(__name__)

Engine = Literal["rtp", "ffmpeg"]
_BACKOFF = (0.2, 0.5, 1.0, 2.0)

StartStop = Callable[[], Awaitable[object]]
_Item = LiveFrame | BaseException


class LiveView:
    """A live view: `async with LiveView(url) as live: async for frame in live.frames(): ...`.

    `engine` picks the receive path ("rtp" or "ffmpeg", see the module docstring); `options`
    are FFmpeg options for the "ffmpeg" engine. With `conceal=True` the "rtp" engine hands
    frames that lost packets to the decoder's error concealment instead of dropping them and
    waiting for the next keyframe (they count as dropped either way). A stream that fails is
    reopened `retries` times in a row before the view gives up (None: until it is closed).
    `open_timeout` bounds every step: connecting, each RTSP request and keep-alive, and the
    first frame after PLAY.
    `interface` ties the RTSP connection and its RTP/RTCP ports to one local interface ("rtp"
    engine only; see `ConnectionSettings.interface`). Raises `ValueError` for an unknown
    `engine`, or "ffmpeg" with an `interface`.
    """

    def __init__(
        self,
        url: str,
        *,
        start: StartStop | None = None,
        stop: StartStop | None = None,
        engine: Engine = "rtp",
        options: Mapping[str, str] | None = None,
        conceal: bool = False,
        open_timeout: float = 10.0,
        stall_timeout: float = 3.0,
        retries: int | None = 3,
        interface: str | None = None,
    ) -> None:
        if engine not in ("rtp", "ffmpeg"):
            raise ValueError(f"engine must be 'rtp' or 'ffmpeg', not {engine!r}")
        if interface is not None and engine == "ffmpeg":
            raise ValueError(
                "the ffmpeg engine opens the stream itself and cannot be tied to an "
                "interface: use engine='rtp'"
            )
        self._interface = interface
        self.url = url
        self._engine = engine
        self._conceal = conceal
        self._start = start
        self._stop = stop
        self._options = dict(LOW_LATENCY_OPTIONS if options is None else options)
        self._options.setdefault("timeout", str(int(open_timeout * 1_000_000)))
        self._open_timeout = open_timeout
        self._stall_timeout = stall_timeout
        self._retries = retries
        # The depacketizer knows which frames it dropped; FFmpeg's must be inferred from gaps.
        self._stats = StatsTracker(infer_drops=engine == "ffmpeg")
        self._subscribers: set[Callable[[_Item], None]] = set()
        self._sink = Sink(self._deliver, self._on_open, self._count)
        self._error: YicamError | None = None
        self._opened: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def open(self) -> None:
        """Start the viewfinder (via `start`) and open the stream.

        Raises `RuntimeError` when already open, what `start` raises (e.g. `CameraError`), and
        `CameraConnectionError` (`ProtocolError`) when the stream cannot be opened within
        `retries`, `CameraTimeoutError` at once when a step (connect, DESCRIBE, SETUP, PLAY)
        gets no answer within `open_timeout`; the view is closed again then.
        """
        if self._task is not None:
            raise RuntimeError("LiveView is already open")
        self._loop = self._sink.loop = asyncio.get_running_loop()
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
        """Stop the viewfinder (if given `stop`), stop decoding; pending recordings fail.

        Raises what `stop` raises (e.g. `CameraError`), `CameraTimeoutError` when it takes
        longer than `open_timeout`; the stream is stopped all the same.
        """
        self._sink.closing.set()
        task, self._task = self._task, None
        try:
            if self._stop is not None and self._loop is not None:
                try:
                    async with asyncio.timeout(self._open_timeout):
                        await self._stop()
                except TimeoutError as exc:
                    if isinstance(exc, YicamError):
                        raise
                    raise CameraTimeoutError(
                        f"{self.url}: the viewfinder did not stop within {self._open_timeout:g} s"
                    ) from None
        finally:
            if task is not None:
                # The thread notices `closing` at the next packet or poll, at end of stream or
                # when reading times out.
                await cancel_and_wait(task, grace=self._stall_timeout + 1.0)
            # Recordings the engine did not end (it was cancelled) end here, keeping their file
            # if they were started with start_recording().
            self._sink.finish_recorders(CameraConnectionError("live view closed while recording"))
            if self._executor is not None:
                self._executor.shutdown(wait=False)
                self._executor = None

    async def frames(self) -> AsyncIterator[LiveFrame]:
        """Decoded frames as they arrive; if the consumer is slow, older frames are skipped.

        Yields `LiveFrame`s. Raises `CameraConnectionError` when the stream stops for good
        (`CameraTimeoutError` when no frame comes in time, `ProtocolError` for invalid stream
        data), `RuntimeError` when the view is not open.
        """
        with self._subscription() as queue:
            while True:
                yield await self._take(queue)

    async def next_frame(self) -> LiveFrame:
        """Returns the next decoded frame.

        Raises `CameraConnectionError` when the stream stops for good (`CameraTimeoutError` when
        no frame comes in time, `ProtocolError` for invalid stream data), `RuntimeError` when the
        view is not open.
        """
        with self._subscription() as queue:
            return await self._take(queue)

    async def snapshot(self, path: str | Path) -> LiveFrame:
        """Write the next frame to `path` (.jpg/.jpeg or .png) and return it.

        Raises `ValueError` for another suffix, `OSError` when the file cannot be written, and
        what `next_frame` raises.
        """
        path = Path(path)
        codec = image_codec(path)
        frame = await self.next_frame()
        data = await asyncio.to_thread(encode_image, frame.image, codec)
        await asyncio.to_thread(path.write_bytes, data)
        return frame

    async def record(self, path: str | Path, duration: float) -> Recording:
        """Record `duration` seconds to an MP4 file by remuxing the H.264 (no re-encoding).

        Returns the `Recording`. If the stream stops for good first, raises
        `CameraConnectionError` and leaves no file (see `start_recording` for a recording that
        keeps what it got); `CameraTimeoutError` when it does not finish in time, `ValueError`
        for a duration that is not positive.
        """
        if duration <= 0:
            raise ValueError("duration must be positive")
        loop = self._require_open()
        done: asyncio.Future[Recording] = loop.create_future()
        recorder = Recorder(Path(path), duration, loop, done)
        self._sink.add(recorder)
        try:
            async with asyncio.timeout(duration + self._give_up_after()):
                return await asyncio.shield(done)
        except TimeoutError:
            raise CameraTimeoutError(f"recording {path} did not finish in time") from None
        finally:
            self._sink.remove(recorder)
            if not done.done():
                done.cancel()

    def start_recording(
        self, path: str | Path, *, max_duration: float | None = None
    ) -> LiveRecording:
        """Start recording to an MP4 file (remuxed, no re-encoding) until `await rec.stop()`.

        It also ends after `max_duration` seconds, if given, or when the stream stops for good
        (the view closes or cannot reconnect): the frames recorded so far are kept as a complete
        file, which gets its final name only then (`<name>.part` until). Returns the
        `LiveRecording`; raises `ValueError` for a `max_duration` that is not positive,
        `RuntimeError` when the view is not open, the stream's `CameraConnectionError` after it
        stopped.
        """
        if max_duration is not None and max_duration <= 0:
            raise ValueError("max_duration must be positive")
        loop = self._require_open()
        if self._error is not None:
            raise self._error
        done: asyncio.Future[Recording] = loop.create_future()
        limit = math.inf if max_duration is None else max_duration
        recorder = Recorder(Path(path), limit, loop, done, keep_on_interrupt=True)
        self._sink.add(recorder)
        return LiveRecording(recorder, done)

    @property
    def engine(self) -> Engine:
        """The receive path, "rtp" or "ffmpeg"."""
        return self._engine

    def add_unit_listener(self, listener: Callable[[AccessUnit], None]) -> Callable[[], None]:
        """Call `listener` with each whole H.264 access unit as received ("rtp" engine only).

        It runs in the receiving thread before the frame is decoded, so it must not block:
        `LiveServer` and `Restreamer` hand the units on from there. Returns a function that
        removes the listener; raises nothing.
        """
        self._sink.add_listener(listener)
        return lambda: self._sink.remove_listener(listener)

    def stats(self) -> LiveStats:
        """Returns fps, frame counts and capture-to-decode latency (see `LiveStats`)."""
        return self._stats.snapshot()

    # -- supervision (event loop) ----------------------------------------------------------

    async def _supervise(self) -> None:
        loop = self._require_open()
        assert self._executor is not None
        failures = 0
        while not self._sink.closing.is_set():
            got_frames = self._stats.frames
            outcome = await loop.run_in_executor(self._executor, self._session)
            if self._sink.closing.is_set():
                return
            if self._stats.frames > got_frames:
                failures = 0
            failures += 1
            error = _translate(outcome, self.url)
            # A camera that leaves a step unanswered before the stream ever played would only
            # multiply the wait if asked again: `open()` fails after one `open_timeout`.
            never_played = self._opened is not None and not self._opened.done()
            gave_up = self._retries is not None and (
                failures > self._retries or (never_played and isinstance(error, CameraTimeoutError))
            )
            if gave_up:
                self._fail(error)
                return
            _log.info("live view: %s; reconnecting (attempt %d)", error, failures)
            self._stats.reconnects += 1
            await asyncio.sleep(_BACKOFF[min(failures, len(_BACKOFF)) - 1])
            if self._sink.closing.is_set():
                return  # close() may be stopping the viewfinder: starting it now would win
            if self._start is not None:
                try:
                    async with asyncio.timeout(self._open_timeout):
                        await self._start()
                except (YicamError, TimeoutError) as exc:
                    _log.info("live view: restarting the viewfinder failed: %s", exc)

    @contextlib.contextmanager
    def _subscription(self) -> Iterator[asyncio.Queue[_Item]]:
        """A queue of the frames to come, and a `CameraTimeoutError` when none comes in time.

        One watchdog timer per subscription, not a timeout per frame: a cancelled timer stays
        scheduled until its time comes (asyncio's heap; a Qt timer each under qasync), so a
        timeout per frame kept about 2,000 of them pending per camera at 30 fps.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize=2)
        limit = self._give_up_after()
        last = loop.time()
        watchdog: asyncio.TimerHandle

        def put(item: _Item) -> None:
            nonlocal last
            last = loop.time()
            if queue.full():
                queue.get_nowait()
                self._stats.skipped += 1
            queue.put_nowait(item)

        def watch() -> None:
            nonlocal watchdog
            left = last + limit - loop.time()
            if left <= 0:
                put(CameraTimeoutError(f"no frame from {self.url}"))
                left = limit
            watchdog = loop.call_later(left, watch)

        watchdog = loop.call_later(limit, watch)
        self._subscribers.add(put)
        try:
            yield queue
        finally:
            self._subscribers.discard(put)
            watchdog.cancel()

    def _fail(self, error: YicamError) -> None:
        self._error = error
        if self._opened is not None and not self._opened.done():
            self._opened.set_exception(error)
        for put in list(self._subscribers):
            put(error)
        self._sink.finish_recorders(error)

    async def _take(self, queue: asyncio.Queue[_Item]) -> LiveFrame:
        if self._error is not None:
            raise self._error
        self._require_open()
        item = await queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def _give_up_after(self) -> float:
        """Longest time the supervisor can take to deliver a frame or give up, plus margin."""
        per_try = self._open_timeout + self._stall_timeout + _BACKOFF[-1]
        retries = 3 if self._retries is None else self._retries  # None: each wait as if 3
        return per_try * (retries + 1) + 5.0

    def _require_open(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or self._task is None:
            raise RuntimeError("LiveView is not open")
        return self._loop

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
        """One stream session in the decoding thread; returns why it ended."""
        try:
            return self._run_engine()
        except Exception as exc:  # a bug must end the session, not hang open() and frames()
            _log.exception("live view: the %s engine failed", self._engine)
            return exc

    def _run_engine(self) -> BaseException | None:
        if self._engine == "ffmpeg":
            return run_ffmpeg(
                self.url,
                self._sink,
                options=self._options,
                open_timeout=self._open_timeout,
                stall_timeout=self._stall_timeout,
            )
        return run_rtp(
            self.url,
            self._sink,
            open_timeout=self._open_timeout,
            stall_timeout=self._stall_timeout,
            conceal=self._conceal,
            interface=self._interface,
        )

    def _count(self, dropped: int, lost: int, late: int) -> None:
        self._stats.dropped += dropped
        self._stats.packets_lost += lost
        self._stats.packets_late += late


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
