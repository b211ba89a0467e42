"""Capture on the emulated camera: photos in every capture mode, recordings, the shutter button.

A capture belongs to the camera, not to the connection that asked for it: it runs as the
camera's own task (`CameraState.spawn`), writes its files even when the client hangs up at
once, and sends its notifications to whichever client holds the session at that moment.

Photo modes (`capture_mode`, protocol.md sections 3 and 5): `precise quality` takes one photo;
`precise self quality` waits `precise_selftime` first; `burst quality` takes the number of
photos in `burst_capture_number` (Yi 4K: 7) and ends with `burst_complete`; `precise quality
cont.` (time-lapse photo) takes one every `precise_cont_time` until 770 or the shutter button
stops it, then sends `precise_cont_complete`. Recording modes: normal and time-lapse video
(`timelapse_video` on the Yi 1, `rec_mode` `record_timelapse` on the Yi 4K) make one file at
the stop; loop recording (`loop_record` `on`, `rec_mode` `record_loop`) closes a segment every
loop period with `video_record_split` and drops the oldest segment when the card fills up.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path

from .._wire.ids import Notify
from .state import CameraState

__all__ = [
    "Continuous",
    "photo_problem",
    "press_mode",
    "press_shutter",
    "record_problem",
    "start_photo",
    "start_record",
    "stop_continuous",
    "stop_record",
]

PHOTO_MIN_FREE = 64 * 1024
VIDEO_MIN_FREE = 1024 * 1024
YI1_LOOP_SECONDS = 300.0  # no source gives the Yi 1's loop length; 5 minutes, as the 4K default
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)")


@dataclass(eq=False)
class Continuous:
    """A time-lapse photo run: photos every `interval` camera seconds until stopped."""

    stop: asyncio.Event = field(default_factory=asyncio.Event)


def photo_problem(state: CameraState) -> int:
    """The rval a photo request gets now (0: go ahead)."""
    return _capture_problem(state, PHOTO_MIN_FREE)


def record_problem(state: CameraState) -> int:
    """The rval a record request gets now (0: go ahead)."""
    return _capture_problem(state, VIDEO_MIN_FREE)


def start_photo(state: CameraState, mode: str | None = None) -> None:
    """Start a photo in `mode` (default: the `capture_mode` setting); checks are the caller's."""
    mode = mode or state.settings.get("capture_mode", "precise quality")
    if mode == "precise quality cont.":
        state.capture = Continuous()
        state.spawn(_continuous(state, state.capture))
    else:
        state.capture = object()  # busy until the photos are written
        state.spawn(_photos(state, mode))


def stop_continuous(state: CameraState) -> bool:
    """Stop a time-lapse photo run (msg 770); False when none runs."""
    if not isinstance(state.capture, Continuous):
        return False
    state.capture.stop.set()
    return True


def start_record(state: CameraState) -> None:
    """Start recording; checks are the caller's."""
    state.recording_since = asyncio.get_running_loop().time()
    state.spawn(_recording(state, state.recording_since))


def schedule_record(state: CameraState, when: time) -> None:
    """Start recording when the camera clock next shows `when` (a time already past today
    waits for tomorrow: no source says; the official demo always asks 10 s ahead). A new
    schedule replaces the last; one that finds the camera recording does nothing."""
    if state.scheduled_record is not None:
        state.scheduled_record.cancel()
    now = state.now()
    delay = (datetime.combine(now.date(), when) - now).total_seconds() % 86400
    state.scheduled_record = asyncio.ensure_future(_start_at(state, delay))
    state.tasks.add(state.scheduled_record)
    state.scheduled_record.add_done_callback(state.tasks.discard)


async def _start_at(state: CameraState, delay: float) -> None:
    await asyncio.sleep(delay)  # clock time: not scaled by time_scale
    state.scheduled_record = None
    if state.recording_since is None and not record_problem(state):
        start_record(state)


def stop_record(state: CameraState) -> bool:
    """Stop recording; the last file and `video_record_complete` follow. False if idle."""
    since = state.recording_since
    if since is None:
        return False
    state.recording_since = None
    state.spawn(_record_complete(state, asyncio.get_running_loop().time() - since))
    return True


def press_shutter(state: CameraState) -> str:
    """The camera's own shutter button: what a press does in the current mode.

    Stops a running time-lapse or recording; otherwise takes a photo in `capture` mode or
    starts recording in `record` mode. Returns what it did, or why it did nothing.
    """
    if stop_continuous(state):
        return "time-lapse stopped"
    if stop_record(state):
        return "recording stopped"
    if state.settings.get("system_mode") == "record":
        if problem := record_problem(state):
            return f"refused ({problem})"
        start_record(state)
        return "recording started"
    if problem := photo_problem(state):
        return f"refused ({problem})"
    start_photo(state)
    return "photo"


def press_mode(state: CameraState) -> str:
    """The camera's mode button: capture <-> record; returns the new `system_mode`."""
    mode = "capture" if state.settings.get("system_mode") == "record" else "record"
    state.settings["system_mode"] = mode
    if state.profile.name == "yi1":
        kind = Notify.SWITCH_TO_REC_MODE if mode == "record" else Notify.SWITCH_TO_CAP_MODE
        state.notify(kind)
    else:
        state.notify(Notify.SETTING_CHANGED, "system_mode", value=mode)
    return mode


# -- photos --------------------------------------------------------------------------------


async def _photos(state: CameraState, mode: str) -> None:
    try:
        if mode == "precise self quality":
            _set_status(state, "precise_self_running", "on")
            await state.sleep(_seconds(state.settings.get("precise_selftime", "5s")))
            _set_status(state, "precise_self_running", "off")
        count = _burst_count(state) if mode == "burst quality" else 1
        await _begin(state, mode)
        for _ in range(count):
            await _one_photo(state)
        state.capture = None  # ready for the next command once the last photo is written
        if mode == "burst quality":
            state.notify(Notify.BURST_COMPLETE)
        await _end(state)
    finally:
        state.capture = None


async def _continuous(state: CameraState, run: Continuous) -> None:
    interval = _seconds(state.settings.get("precise_cont_time", "1.0 sec"))
    _set_status(state, "precise_cont_capturing", "on")
    try:
        await _begin(state, "precise quality cont.")
        while True:
            await _one_photo(state)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval * state.time_scale):
                    await run.stop.wait()
            if run.stop.is_set() or state.card.free() < PHOTO_MIN_FREE:
                break
        state.capture = None
        _set_status(state, "precise_cont_capturing", "off")
        state.notify(Notify.PRECISE_CONT_COMPLETE)
        await _end(state)
    finally:
        _set_status(state, "precise_cont_capturing", "off")
        state.capture = None


async def _begin(state: CameraState, mode: str) -> None:
    state.viewfinder = False
    state.photo_since_vf = True
    await state.sleep(0.1)
    state.notify(Notify.START_PHOTO_CAPTURE, f"{mode};off")
    await state.sleep(0.4)
    state.notify(Notify.PRECISE_CAPTURE_DATA_READY)


async def _one_photo(state: CameraState) -> None:
    path = state.card.new_media("jpg", state.now())
    await state.sleep(0.3)
    state.notify(Notify.PHOTO_TAKEN, state.card.camera_path(path))


async def _end(state: CameraState) -> None:
    await state.sleep(0.1)
    state.viewfinder = True
    state.notify(Notify.VF_START)


# -- recording -----------------------------------------------------------------------------


async def _recording(state: CameraState, since: float) -> None:
    """Announce the start; in loop mode, close a segment every loop period."""
    await state.sleep(0.3)
    if state.recording_since == since:
        state.notify(Notify.START_VIDEO_RECORD)
    if not _looping(state):
        return
    period = _loop_seconds(state)
    segments: list[Path] = []
    started = asyncio.get_running_loop().time()
    while True:
        await state.sleep(period)
        if state.recording_since != since:
            return
        while segments and state.card.free() < VIDEO_MIN_FREE:
            oldest = segments.pop(0)  # loop recording overwrites its oldest segment
            for path in (oldest, oldest.with_name(oldest.stem + "_thm.mp4")):
                with contextlib.suppress(OSError):
                    state.card.remove(path)
        now = asyncio.get_running_loop().time()
        path = state.card.new_media("mp4", state.now(), (now - started) / state.time_scale)
        segments.append(path)
        started = now
        state.notify(Notify.VIDEO_RECORD_SPLIT, state.card.camera_path(path))


async def _record_complete(state: CameraState, duration: float) -> None:
    await state.sleep(0.5)
    path = state.card.new_media("mp4", state.now(), duration / state.time_scale)
    fields = {"msize": path.stat().st_size} if state.profile.record_msize else {}
    state.notify(Notify.VIDEO_RECORD_COMPLETE, state.card.camera_path(path), **fields)
    if state.profile.vf_wedges and state.photo_since_vf:
        state.vf_wedged = True  # the Yi 1 quirk of protocol.md section 7
    await state.sleep(0.1)
    state.notify(Notify.VF_START)


# -- settings that steer capture -----------------------------------------------------------


def _looping(state: CameraState) -> bool:
    return state.settings.get("loop_record") == "on" or state.settings.get("rec_mode") == (
        "record_loop"
    )


def _loop_seconds(state: CameraState) -> float:
    value = state.settings.get("loop_rec_duration")
    match = _NUMBER.search(value or "")
    if value == "max":
        return 120 * 60.0
    return float(match[1]) * 60 if match else YI1_LOOP_SECONDS


def _burst_count(state: CameraState) -> int:
    match = _NUMBER.search(state.settings.get("burst_capture_number", "7 p / s"))
    return int(float(match[1])) if match else 7


def _seconds(value: str) -> float:
    """`0.5 sec`, `2.0 min`, `5s`, `continue` (as fast as it can: 0.5 s) in seconds."""
    match = _NUMBER.search(value)
    if match is None:
        return 0.5
    number = float(match[1])
    return number * 60 if "min" in value else number


def _set_status(state: CameraState, name: str, value: str) -> None:
    if name in state.settings:
        state.settings[name] = value


def _capture_problem(state: CameraState, min_free: int) -> int:
    loop_time = asyncio.get_running_loop().time()
    if not state.card.inserted or loop_time < state.card_busy_until:
        return -27
    if state.recording_since is not None:
        return -14
    if state.capture is not None:
        return -21
    if state.card.free() < min_free:
        return -17
    return 0
