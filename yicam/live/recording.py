"""Recording the live stream to MP4: a fixed length (`LiveView.record`) or until stopped.

`Recorder` remuxes H.264 packets (no re-encoding) into `<name>.part` and renames it to its
final name only once the file is closed and playable. `LiveRecording` is the handle of an
open-ended recording (`LiveView.start_recording`): `await stop()` finishes it, and a stream that
stops or fails for good finishes it too, keeping what was recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av

if TYPE_CHECKING:
    from .media import Source

__all__ = ["LiveRecording", "Recorder", "Recording"]


@dataclass(frozen=True, slots=True)
class Recording:
    """A finished recording."""

    path: Path
    frames: int
    duration: float  # seconds, from the first frame's timestamp to the end of the last


class Recorder:
    """Remuxes H.264 packets into an MP4 file; fed from the decoding thread.

    Starts at the first keyframe, rebases timestamps to 0 and stops once `duration` seconds of
    frames are written (never, for `math.inf`). After a reconnect it waits for a keyframe again
    and continues the timeline where it left off; when the picture size changes it ends the file
    there (one MP4 track has one size). With `keep_on_interrupt`, a stream that ends finishes
    the file instead of failing it.
    """

    def __init__(
        self,
        path: Path,
        duration: float,
        loop: asyncio.AbstractEventLoop,
        done: asyncio.Future[Recording],
        *,
        keep_on_interrupt: bool = False,
    ) -> None:
        self.path = path
        self.duration = duration
        self.keep_on_interrupt = keep_on_interrupt
        self._loop = loop
        self._done = done
        self._lock = threading.Lock()  # feed() runs in the decoding thread, stop() elsewhere
        self._out: Any = None
        self._ostream: Any = None
        self._source: Source | None = None  # where the current timeline comes from
        self._offset = 0  # subtracted from input timestamps
        self._last = 0  # last written timestamp, output clock
        self._step = 0  # typical frame spacing, output clock
        self.frames = 0
        self.finished = False

    @property
    def elapsed(self) -> float:
        """Seconds of video written so far."""
        source = self._source
        if source is None or not self.frames:
            return 0.0
        return float((self._last + self._step) * source.time_base)

    def feed(self, packet: Any, source: Source) -> None:
        """Write one input packet (called only from the decoding thread)."""
        with self._lock:
            if not self.finished and packet.size != 0:
                self._feed(packet, source)

    def interrupt(self, error: BaseException) -> None:
        """The stream ended: keep the file if so asked and it has frames, else fail."""
        self.finish(None if self.keep_on_interrupt and self.frames else error)

    def finish(self, error: BaseException | None = None) -> None:
        """Close the file and report the result (or `error`) to the waiting coroutine."""
        with self._lock:
            if self.finished:
                return
            self.finished = True
            result = self._close(error)
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
            self._loop.call_soon_threadsafe(_settle, self._done, result)

    def _feed(self, packet: Any, source: Source) -> None:
        pts = packet.pts if packet.pts is not None else packet.dts
        if source is not self._source:
            if not packet.is_keyframe or pts is None:
                return
            if self._source is not None and source.size != self._source.size:
                self._end()
                return
            if self._out is None:
                self._start(source)
                self._offset = pts
            else:
                self._offset = pts - (self._last + (self._step or 1))
            self._source = source
        if pts is None:
            return
        ts = pts - self._offset
        if ts <= self._last and self.frames:
            return  # out of order or duplicate: MP4 needs increasing timestamps
        if ts * source.time_base >= self.duration:
            self._end()
            return
        if self.frames:
            # The frame spacing is the smallest gap seen: a late frame must not stretch the
            # last one (and the MP4's last sample lasts what its packet says).
            gap = ts - self._last
            self._step = min(self._step, gap) if self._step else gap
        packet.pts = packet.dts = ts
        if self._step:
            packet.duration = self._step
        packet.time_base = source.time_base
        packet.stream = self._ostream
        self._out.mux(packet)
        self._last = ts
        self.frames += 1

    def _end(self) -> None:
        """Finish from inside `feed` (the lock is held)."""
        self.finished = True
        result = self._close(None)
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(_settle, self._done, result)

    def _close(self, error: BaseException | None) -> Recording | BaseException:
        result: Recording | BaseException
        try:
            if self._out is not None:
                self._out.close()
            if error is not None:
                result = error
            elif self._source is None:
                result = RuntimeError("recording ended before the first keyframe")
            else:
                self._partial.replace(self.path)  # only a finished file gets the final name
                length = float((self._last + self._step) * self._source.time_base)
                result = Recording(self.path, self.frames, length)
        except (av.FFmpegError, OSError) as exc:
            result = exc
        if isinstance(result, BaseException):
            self._partial.unlink(missing_ok=True)
        return result

    @property
    def _partial(self) -> Path:
        return self.path.with_name(self.path.name + ".part")

    def _start(self, source: Source) -> None:
        self._out = av.open(str(self._partial), "w", format="mp4")
        self._ostream = self._out.add_stream_from_template(source.template)
        self._ostream.time_base = source.time_base


class LiveRecording:
    """A recording in progress, from `LiveView.start_recording()`; `await stop()` ends it.

    It also ends by itself when `max_duration` is reached or the stream stops for good (the
    live view closes or gives up reconnecting); `wait()` returns the `Recording` then. The file
    gets its final name only once it is complete and playable.
    """

    def __init__(self, recorder: Recorder, done: asyncio.Future[Recording]) -> None:
        self._recorder = recorder
        self._done = done
        # Nobody may wait for a recording that failed as the view closed: no "never retrieved".
        done.add_done_callback(lambda future: future.cancelled() or future.exception())

    @property
    def path(self) -> Path:
        """The MP4 file it writes (as `<name>.part` until finished)."""
        return self._recorder.path

    @property
    def frames(self) -> int:
        """Frames written so far."""
        return self._recorder.frames

    @property
    def elapsed(self) -> float:
        """Seconds of video written so far (0 until the first keyframe)."""
        return self._recorder.elapsed

    def done(self) -> bool:
        """Returns True once the recording has finished (or failed)."""
        return self._done.done()

    async def wait(self) -> Recording:
        """Returns the finished `Recording`, once it has ended by itself or by `stop()`.

        Raises `RuntimeError` when it ended before the first keyframe, `OSError` when the file
        could not be written; nothing is left under the final name then.
        """
        return await asyncio.shield(self._done)

    async def stop(self) -> Recording:
        """Finish the file now and return its `Recording`.

        Raises `RuntimeError` when nothing could be recorded (no keyframe came), `OSError` when
        the file could not be written.
        """
        if not self._recorder.finished:
            # Closing an MP4 writes its index: file work, kept off the event loop.
            await asyncio.to_thread(self._recorder.finish)
        return await self.wait()


def _settle(future: asyncio.Future[Recording], result: Recording | BaseException) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
