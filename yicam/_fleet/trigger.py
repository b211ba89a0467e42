"""The fleet trigger: every camera's request encoded beforehand and written in one pass.

Sessions are open and tokens known before the shot. Each camera's request slot is taken
first (so nothing else is in flight on it), each request is encoded, and only then are
all written back to back in one synchronous loop, begun on a fresh time slice: the
spread between cameras is the cost of a few `socket.send` calls, not of round trips.
Then each camera gets a newline of its own (`Session.nudge`): a request the Wi-Fi lost is
sent again after about a round trip instead of a retransmission timeout. A camera that
answers -4 (its token went stale) is re-authenticated and sent the request again, on its own.

A shot at a moment `at` ("fire at T" across agents) is armed shortly before it (sessions
checked, slots taken, requests encoded) and written at `at` with nothing left to do but
the one pass: whatever the event loop or the scheduler does while arming is not in the shot.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable, Mapping

from .._camera import Camera
from .._errors import (
    NotConnectedError,
    OutcomeUnknownError,
    ProtocolError,
    error_for_rval,
)
from .._session.events import Expectation
from .._wire.ids import MsgId, Notify
from .._wire.messages import Reply
from .fleet_results import Trigger
from .moment import sleep_until

__all__ = ["ARM_AHEAD", "fire"]

Outcome = Trigger | Exception
ARM_AHEAD = 0.05  # seconds before `at` that a timed shot is armed: ample even under load


async def fire(
    cameras: Mapping[str, Camera],
    msg_id: int,
    *,
    then: Notify | None = None,
    at: float | None = None,
) -> dict[str, Outcome]:
    """Send `msg_id` to every camera at once (at `at`, a `time.time()` moment, if given);
    with `then`, wait for that notification too."""
    async with contextlib.AsyncExitStack() as stack:
        if msg_id == MsgId.TAKE_PHOTO:
            for cam in cameras.values():  # nothing else reaches a camera taking a photo
                await stack.enter_async_context(cam.session.photo_gate())
        waits = {
            name: stack.enter_context(cam.session.expect(then))
            for name, cam in cameras.items()
            if then is not None
        }
        written = await _write_all(cameras, msg_id, at)
        stale = [name for name, outcome in written.items() if isinstance(outcome, _Stale)]
        outcomes = {n: o for n, o in written.items() if not isinstance(o, _Stale)}
        retried = await asyncio.gather(*(_retry(cameras[name], msg_id) for name in stale))
        outcomes.update(zip(stale, retried, strict=True))
        if waits:
            await asyncio.gather(*(_attach_path(outcomes, n, waits[n]) for n in cameras))
    return {name: outcomes[name] for name in cameras}


class _Stale(Exception):
    """The camera answered -4: its token went stale."""


async def _write_all(
    cameras: Mapping[str, Camera], msg_id: int, at: float | None
) -> dict[str, Outcome | _Stale]:
    outcomes: dict[str, Outcome | _Stale] = {}
    ready: list[tuple[str, Camera, bytes, asyncio.Future[Reply]]] = []
    replied: dict[str, float] = {}
    async with contextlib.AsyncExitStack() as stack:
        for name, cam in cameras.items():
            try:
                token = cam.session.token  # the session's token, fetched beforehand
                if token is None or not cam.connected:
                    raise NotConnectedError(f"{name}: not connected")
                data, future = await stack.enter_async_context(cam.session.reserved(msg_id))
            except Exception as exc:  # one camera's failure is its own result
                outcomes[name] = exc
                continue
            future.add_done_callback(_stamp(replied, name))
            ready.append((name, cam, data, future))
        sent: dict[str, float] = {}
        if at is None:
            _fresh_time_slice()
            _write_pass(ready, sent, outcomes)
        else:  # woken from a thread sleep: on a fresh time slice already, and yielding
            await sleep_until(at)  # now could hand the moment to another process
            _write_pass(ready, sent, outcomes)
        for name, cam, _data, _future in ready:  # a lost request then comes back sooner
            if name not in outcomes:
                cam.session.nudge()
        for name, cam, _data, future in ready:
            if name in outcomes:
                continue
            try:
                async with asyncio.timeout(max(0.0, cam.settings.timeout - _since(sent[name]))):
                    reply = await future
            except TimeoutError:
                waited = cam.settings.timeout
                outcomes[name] = OutcomeUnknownError(
                    f"no answer to msg {msg_id} within {waited:g} s; it may have fired"
                )
                continue
            except Exception as exc:
                outcomes[name] = OutcomeUnknownError(f"lost after the request was sent: {exc}")
                continue
            if reply.rval == -4:
                outcomes[name] = _Stale()
            elif reply.rval != 0:
                outcomes[name] = error_for_rval(reply.rval, msg_id)
            else:
                outcomes[name] = Trigger(sent[name], replied.get(name, time.monotonic()))
    return {name: outcomes[name] for name in cameras}


async def _retry(cam: Camera, msg_id: int) -> Outcome:
    """Re-authenticate (`call` renews a stale token and resends once) and send again."""
    sent = time.monotonic()
    try:
        await cam.call(msg_id)
    except Exception as exc:
        return exc
    return Trigger(sent, time.monotonic(), retried=True)


async def _attach_path(outcomes: dict[str, Outcome], name: str, wait: Expectation) -> None:
    outcome = outcomes[name]
    if not isinstance(outcome, Trigger):
        return
    try:
        notification = await wait.wait()
        if not isinstance(notification.param, str):
            raise ProtocolError(f"{notification.type} without a path: {notification.to_json()}")
        path = notification.param
    except Exception as exc:
        outcomes[name] = exc
        return
    outcomes[name] = Trigger(outcome.sent, outcome.replied, path, outcome.retried)


def _stamp(replied: dict[str, float], name: str) -> Callable[[asyncio.Future[Reply]], None]:
    def stamp(_future: asyncio.Future[Reply]) -> None:
        replied[name] = time.monotonic()

    return stamp


def _write_pass(
    ready: list[tuple[str, Camera, bytes, asyncio.Future[Reply]]],
    sent: dict[str, float],
    outcomes: dict[str, Outcome | _Stale],
) -> None:
    """The one pass: every request written, nothing awaited."""
    for name, cam, data, _future in ready:
        sent[name] = time.monotonic()
        try:
            cam.session.write(data)
        except Exception as exc:
            outcomes[name] = exc


def _fresh_time_slice() -> None:
    """Give up the rest of this process's time slice, so that the one pass runs on a fresh
    one: on a busy computer a pass begun late in a slice is cut off between two cameras
    (lab, load 4-10: writes' spread p95 3.4 -> 1.3 ms). Returns at once on an idle one."""
    if sys.platform != "win32":
        os.sched_yield()


def _since(start: float) -> float:
    return time.monotonic() - start
