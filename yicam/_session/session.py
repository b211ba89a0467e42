"""The session with one camera: connection, token, photo gate, heartbeat, reconnect.

`Camera` is the command facade over a `Session` (`cam.session`); the transfer, fleet and
tether code use the same object, only through its public names:

- `await request(msg_id, fields, timeout=)` -> `Reply` (renews a -4 token once; raises
  `CameraError` for a non-zero rval, `NotConnectedError`, `OutcomeUnknownError`);
- `expect(*kinds, where=)` -> `Expectation` (create before the request, `await .wait()`);
- `subscribe(callback)` -> unsubscribe, `events()`; `back_online(timeout)`; `photo_gate()`;
  `reserved()`/`write()`;
- `settings` (the frozen `ConnectionSettings`: host, ports, timeouts), `host`, `quirks`,
  `model`, `model_name`, `rtsp_url`, `known` (the camera's `KnownState`), `state`, `token`;
- `greeting`: a coroutine function run after every session start, reconnects included.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from .._errors import (
    CameraConnectionError,
    CameraError,
    CameraTimeoutError,
    NotConnectedError,
    OutcomeUnknownError,
    ProtocolError,
    YicamError,
    error_for_rval,
)
from .._tasks import cancel_and_wait
from .._wire.ids import MsgId, Notify
from .._wire.messages import Notification, Reply, Request
from .._wire.quirks import UNKNOWN, Quirks, identify
from .connection import Connection
from .events import Disconnected, Event, EventStream, Expectation, Reconnected, Reconnecting
from .results import parse_int
from .settings import ConnectionSettings
from .state import KnownState

__all__ = [
    "CHANGES_CAMERA",
    "HEARTBEAT_INTERVAL",
    "ConnectionState",
    "Expectation",  # defined in _events; re-exported for the modules that import it from here
    "ReconnectPolicy",
    "Session",
]

_LOG = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 5.0  # protocol.md section 1.7: idle seconds before msg 16777244
BUTTON_PHOTO_WATCHDOG = 8.0  # YIPPY's: the longest a button photo holds requests back

# Requests never sent twice: after a drop their outcome is unknown (OutcomeUnknownError).
CHANGES_CAMERA = frozenset(
    {
        MsgId.FORMAT,
        MsgId.START_RECORD,
        MsgId.STOP_RECORD,
        MsgId.FORCE_SPLIT,
        MsgId.TAKE_PHOTO,
        MsgId.DELETE,
        MsgId.PUT_FILE,
        MsgId.TAKE_PHOTO_WITH_MODE,
        MsgId.QUICK_RECORD_START,
        MsgId.TAKE_PIV,
        MsgId.START_RECORD_SYNCED,
    }
)


_PHOTO_IDS = frozenset({MsgId.TAKE_PHOTO, MsgId.TAKE_PHOTO_WITH_MODE})  # sent inside the gate


class ConnectionState(enum.Enum):
    """Where the session is in its life."""

    CLOSED = "closed"  # never opened, closed, or given up after a drop
    CONNECTING = "connecting"  # open() is connecting and starting the session
    CONNECTED = "connected"  # a session token is held
    RECONNECTING = "reconnecting"  # the connection dropped; backing off and retrying


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """Capped exponential backoff with jitter: attempt n waits about `initial * factor**(n-1)`.

    Each delay is scaled by a random factor in `[1 - jitter, 1]`; `max_attempts=None` keeps
    trying until `close()`. A Wi-Fi that vanishes closes nothing, so after `probe_interval`
    seconds without a request the session asks for the battery (msg 13); no answer within
    the timeout counts as a drop (None: never probe).
    """

    initial_delay: float = 0.5
    max_delay: float = 10.0
    factor: float = 2.0
    jitter: float = 0.25
    max_attempts: int | None = None
    probe_interval: float | None = 10.0

    def delay(self, attempt: int) -> float:
        """Returns the seconds to wait before attempt number `attempt` (1-based); raises nothing."""
        base = min(self.max_delay, self.initial_delay * self.factor ** max(0, attempt - 1))
        return base * (1.0 - self.jitter * random.random())


class Session:
    """One camera session over the control port (7878), reopened as often as needed."""

    def __init__(
        self,
        settings: ConnectionSettings | None = None,
        *,
        keep_session: bool = True,
        reconnect: bool | ReconnectPolicy = False,
    ) -> None:
        # Replaced whole (it is frozen); a change applies from the next request or connect.
        self.settings = settings if settings is not None else ConnectionSettings()
        self.keep_session = keep_session
        self.reconnect: ReconnectPolicy | None = (
            reconnect
            if isinstance(reconnect, ReconnectPolicy)
            else (ReconnectPolicy() if reconnect else None)
        )
        self.model: str | None = None  # the `model` of the 257 reply, when it has one
        self.quirks: Quirks = UNKNOWN
        self.session_info: dict[str, Any] = {}
        self.known = KnownState()  # what the camera's state was last seen to be
        self._rtsp_from_camera: str | None = None
        self._identified = False  # quirks known from versions or msg 11, not only 257
        self._state = ConnectionState.CLOSED
        self._conn: Connection | None = None
        self._generation = 0
        self._token: int | None = None
        self._subscribers: list[Callable[[Event], None]] = []
        self._settled = asyncio.Event()  # set whenever the state is not RECONNECTING
        self._settled.set()
        self._reconnect_task: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._last_request = 0.0
        self._capture_lock = asyncio.Lock()
        self._quiet = asyncio.Event()  # cleared while a photo is being taken
        self._quiet.set()
        self._button_photo: asyncio.TimerHandle | None = None  # the camera's own shutter
        self._last_error: Exception | None = None
        self._unanswered: Connection | None = None  # left a request unanswered: no 258 on close
        # Run after every session start, the first and each reconnect (Camera sends 261).
        self.greeting: Callable[[], Awaitable[None]] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        """Closed, connecting, connected or reconnecting."""
        return self._state

    @property
    def connected(self) -> bool:
        """True while a session is up."""
        return (
            self._state is ConnectionState.CONNECTED
            and self._conn is not None
            and self._conn.connected
        )

    @property
    def host(self) -> str:
        """The camera's address (`settings.host`), for messages."""
        return self.settings.host

    @property
    def unanswered_for(self) -> float:
        """Seconds the request on the wire has waited for its reply (0.0 when none waits)."""
        return self._conn.unanswered_for if self._conn is not None else 0.0

    @property
    def local_address(self) -> str | None:
        """This computer's address on the control connection (None when not connected)."""
        return self._conn.local_address if self._conn is not None else None

    @property
    def session_given_away(self) -> bool:
        """True after this client let another one take the session (keep_session=False)."""
        return self._conn is not None and self._conn.session_given_away

    @property
    def rtsp_url(self) -> str:
        """The live stream at the connected host and the RTSP port given (path as announced)."""
        port = self.settings.rtsp_port
        return self.quirks.rtsp_url(self.host, port, self._rtsp_from_camera)

    @property
    def model_name(self) -> str:
        """A name for people: "Yi 1", "Yi 4K", ..., the raw model id, or "unknown model"."""
        return self.quirks.name

    async def open(self) -> None:
        """Connect and start a session (msg 257); does nothing while already open.

        Raises `CameraConnectionError` when the camera cannot be reached (`NotConnectedError`
        when closed meanwhile), `SessionHeldError` when another device holds the session,
        `ProtocolError` when it gives no token.
        """
        if self._state is not ConnectionState.CLOSED:
            return
        self._state = ConnectionState.CONNECTING
        self._last_error = None
        if self._conn is not None:  # the connection a drop left behind
            await self._conn.close()
            self._conn = None
        try:
            await self._connect_once()
        except YicamError as exc:
            if self._state is not ConnectionState.CONNECTING:
                raise NotConnectedError(f"closed while connecting to {self.host}") from exc
            self._state = ConnectionState.CLOSED
            raise
        except BaseException:
            if self._state is ConnectionState.CONNECTING:
                self._state = ConnectionState.CLOSED
            raise
        if self._state is not ConnectionState.CONNECTING:  # close() came first
            conn, self._conn = self._conn, None
            if conn is not None:
                await conn.close()
            raise NotConnectedError(f"closed while connecting to {self.host}")
        self._went_up()
        if self.greeting is not None:
            await self.greeting()

    async def close(self) -> None:
        """End the session (msg 258), stop reconnecting and close the socket."""
        was = self._state
        if was is ConnectionState.CLOSED and self._conn is None:
            return
        self._state = ConnectionState.CLOSED  # from here, the connection's events are ignored
        self._settled.set()
        await cancel_and_wait(self._reconnect_task)
        self._reconnect_task = None
        await cancel_and_wait(self._heartbeat)
        self._heartbeat = None
        conn, self._conn = self._conn, None
        if conn is not None:
            answers = conn is not self._unanswered  # after a timeout, do not wait again
            if (
                conn.connected
                and self._token is not None
                and not conn.session_given_away
                and answers
            ):
                with contextlib.suppress(YicamError, OSError):
                    await conn.request(
                        Request(MsgId.STOP_SESSION, self._token), self.settings.timeout
                    )
            await conn.close()
        self._token = None
        self.known.session_ended()
        self._button_photo_done()
        if was is not ConnectionState.CLOSED:
            self._publish(Disconnected(None))

    # -- events ----------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call `callback` for every notification and session event; returns unsubscribe.

        Subscribers stay across `close()`, `open()` and reconnects.
        """
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    async def back_online(self, timeout: float | None = None) -> bool:
        """Wait while the session reconnects; True once it is up, False when it is gone for good.

        A closed session stays closed (the caller, or a drop without `reconnect=`, ended it);
        not back within `timeout` seconds also gives False. Returns after `Reconnected` is
        published, so events of the new session follow it.
        """
        if self.connected:
            return True
        if self._state is not ConnectionState.RECONNECTING:
            return False
        back: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def on_event(event: Event) -> None:
            if back.done():
                return
            if isinstance(event, Reconnected):
                back.set_result(True)
            elif isinstance(event, Disconnected) and not event.reconnecting:
                back.set_result(False)

        unsubscribe = self.subscribe(on_event)
        try:
            async with asyncio.timeout(timeout):
                return await back
        except TimeoutError:
            return False
        finally:
            unsubscribe()

    def events(self) -> EventStream:
        """Every event from now on; returns an `EventStream`.

        It ends after a `Disconnected` that is not reconnecting.
        """
        return EventStream(self.subscribe, self._state is not ConnectionState.CLOSED)

    def expect(
        self, *kinds: Notify | str, where: Callable[[Notification], bool] | None = None
    ) -> Expectation:
        """Start waiting for the first notification of `kinds` (register before sending).

        Returns an `Expectation`; its `wait()` raises `CameraTimeoutError`. This raises nothing.
        """
        return Expectation(self.subscribe, kinds, where, self.settings.event_timeout)

    # -- requests --------------------------------------------------------------------------

    async def request(
        self,
        msg_id: int,
        fields: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> Reply:
        """Send one command with the session token; returns the `Reply`.

        A non-zero rval raises a `CameraError` subclass. A stale token (-4) is renewed with msg
        257 and the command sent once more (the camera refused it). A command that changes the
        camera is never resent after a drop: `OutcomeUnknownError`. While reconnecting, waits up
        to `timeout` for the session, then raises `NotConnectedError`; no reply in time raises
        `CameraTimeoutError`, a malformed one `ProtocolError`.
        """
        limit = self.settings.timeout if timeout is None else timeout
        params = dict(fields or {})
        if not self._quiet.is_set() and msg_id not in _PHOTO_IDS:
            await self._quiet.wait()
        conn = self._conn
        if self._state is not ConnectionState.CONNECTED or conn is None or not conn.connected:
            conn = await self._ready(limit)
        reply = await self._send(conn, msg_id, params, limit)
        if reply.rval == -4 and not conn.session_given_away:
            await self._start_session(conn)  # the token went stale: get a new one, resend once
            reply = await self._send(conn, msg_id, params, limit)
        if reply.rval != 0:
            raise error_for_rval(reply.rval, msg_id)
        return reply

    @contextlib.asynccontextmanager
    async def reserved(
        self, msg_id: int, fields: Mapping[str, Any] | None = None
    ) -> AsyncIterator[tuple[bytes, asyncio.Future[Reply]]]:
        """Hold the request slot: yields the encoded request and its reply's future.

        Write the bytes with `write` when ready (a fleet trigger writes every camera's
        request in one pass); nothing else is sent meanwhile. No token renewal here. Raises
        `NotConnectedError` without a session.
        """
        conn = await self._ready(self.settings.timeout)
        async with conn.reserved(Request(msg_id, self._token, dict(fields or {}))) as slot:
            yield slot

    def write(self, data: bytes) -> None:
        """Write bytes reserved with `reserved` now; `NotConnectedError` when down."""
        if self._conn is None:
            raise NotConnectedError(f"not connected to {self.host}")
        self._last_request = asyncio.get_running_loop().time()
        self._conn.write(data)

    def nudge(self) -> None:
        """Write a newline behind the request just written, as a segment of its own.

        A lone request that Wi-Fi loses comes back only with TCP's retransmission timer
        (200 ms by default, 300 ms on Windows; tens of ms at best, see `resend_sooner`).
        With a byte behind it the camera's acknowledgement shows the gap at once, and the
        request is sent again about one round trip later (fast retransmit). Cameras skip
        whitespace between objects (several clients end every request with a newline).
        Does nothing when not connected.
        """
        if self._conn is not None:
            self._conn.nudge()

    @property
    def token(self) -> int | None:
        """The current session token (None without a session)."""
        return self._token

    @contextlib.asynccontextmanager
    async def photo_gate(self) -> AsyncIterator[None]:
        """Hold every other request until the block ends (one photo at a time).

        A Yi 1 asked anything between `start_photo_capture` and `photo_taken` can hang
        until power-cycled. Returns an async context manager that yields nothing and raises
        nothing of its own.
        """
        async with self._capture_lock:
            self._quiet.clear()
            try:
                yield
            finally:
                self._quiet.set()

    def identify(self, model: object = None, versions: Mapping[str, object] | None = None) -> None:
        """Refine the model quirks from msg 11's `model` or the version settings."""
        quirks = identify(model or self.model, versions)
        if quirks is UNKNOWN and self.quirks is not UNKNOWN:
            return
        changed = quirks != self.quirks
        self.quirks = quirks
        self._identified = self._identified or quirks is not UNKNOWN
        if changed and self.connected:
            self._start_heartbeat()

    # -- internals -------------------------------------------------------------------------

    async def _connect_once(self) -> None:
        self._generation += 1
        sink = partial(self._on_event, self._generation)
        where = self.settings
        conn = await Connection.open(
            where.host, where.port, where.timeout, sink, keep_session=self.keep_session,
            interface=where.interface,
        )  # fmt: skip
        self._conn = conn
        try:
            await self._start_session(conn)
        except BaseException:
            await conn.close()
            raise

    async def _start_session(self, conn: Connection) -> None:
        reply = await conn.request(Request(MsgId.START_SESSION, 0), self.settings.timeout)
        if reply.rval != 0:
            raise error_for_rval(reply.rval, MsgId.START_SESSION)
        try:
            self._token = parse_int(reply.param, "session token")
        except ProtocolError as exc:
            raise ProtocolError(f"camera gave no session token: {reply.to_json()}") from exc
        self.session_info = dict(reply.fields)
        model = reply.fields.get("model")
        self.model = model if isinstance(model, str) and model else None
        if self.model is not None or not self._identified:
            self.quirks = identify(self.model)
            self._identified = self.model is not None
        rtsp = reply.fields.get("rtsp")
        self._rtsp_from_camera = rtsp if isinstance(rtsp, str) else None

    async def _ready(self, timeout: float) -> Connection:
        if self._state is ConnectionState.RECONNECTING:
            try:
                async with asyncio.timeout(timeout):
                    await self._settled.wait()
            except TimeoutError:
                raise NotConnectedError(
                    f"reconnecting to {self.host}: not back within {timeout:g} s"
                ) from self._last_error
        conn = self._conn
        if self._state is not ConnectionState.CONNECTED or conn is None or not conn.connected:
            cause = self._last_error or (conn.error if conn is not None else None)
            detail = f": {cause}" if cause is not None else "; use `async with Camera(...)`"
            raise NotConnectedError(f"not connected to {self.host}{detail}") from cause
        return conn

    async def _send(
        self, conn: Connection, msg_id: int, fields: dict[str, Any], timeout: float
    ) -> Reply:
        self._last_request = asyncio.get_running_loop().time()
        try:
            reply = await conn.request(Request(msg_id, self._token, fields), timeout)
        except CameraTimeoutError:
            self._unanswered = conn
            raise
        except NotConnectedError:
            raise
        except (CameraConnectionError, ProtocolError) as exc:
            if msg_id in CHANGES_CAMERA:
                raise OutcomeUnknownError(
                    f"the connection dropped after msg {msg_id} was sent: the camera may or "
                    f"may not have carried it out, and yicam does not send it again ({exc})"
                ) from exc
            raise
        if self._unanswered is conn:
            self._unanswered = None
        return reply

    def _on_event(self, generation: int, event: Event) -> None:
        if generation != self._generation:
            return  # a connection that is no longer ours
        if isinstance(event, Disconnected):
            if self._state is ConnectionState.CONNECTED:
                self._dropped(event.error or CameraConnectionError("connection closed"))
            return  # during open, reconnect or close the caller sees the error itself
        if isinstance(event, Notification):
            self._track(event)
        self._publish(event)

    def _dropped(self, error: Exception) -> None:
        self._last_error = error
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            self._heartbeat = None
        self.known.session_ended()
        self._button_photo_done()
        policy = self.reconnect
        if policy is None or self.session_given_away:
            self._state = ConnectionState.CLOSED
            self._publish(Disconnected(error))
            return
        self._state = ConnectionState.RECONNECTING
        self._settled.clear()
        self._publish(Disconnected(error, reconnecting=True))
        self._reconnect_task = asyncio.create_task(
            self._reconnect_loop(policy), name=f"yicam-reconnect-{self.host}"
        )

    async def _reconnect_loop(self, policy: ReconnectPolicy) -> None:
        old, self._conn = self._conn, None
        if old is not None:
            await old.close()
        attempt = 0
        while policy.max_attempts is None or attempt < policy.max_attempts:
            attempt += 1
            delay = policy.delay(attempt)
            self._publish(Reconnecting(attempt, delay))
            await asyncio.sleep(delay)
            try:
                await self._connect_once()
            except YicamError as exc:
                _LOG.debug("reconnect attempt %d failed: %s", attempt, exc)
                self._last_error = exc
                continue
            self._state = ConnectionState.CONNECTED
            self._settled.set()
            self._reconnect_task = None
            self._went_up()
            if self.greeting is not None:
                try:
                    await self.greeting()
                except YicamError as exc:  # a drop here starts the next reconnect
                    _LOG.debug("greeting after reconnect failed: %s", exc)
            self._publish(Reconnected())
            return
        self._state = ConnectionState.CLOSED
        self._settled.set()
        self._reconnect_task = None
        self._publish(Disconnected(self._last_error))

    def _went_up(self) -> None:
        self._state = ConnectionState.CONNECTED
        self._start_heartbeat()

    def _start_heartbeat(self) -> None:
        probe = self.reconnect.probe_interval if self.reconnect is not None else None
        if self._heartbeat is not None:
            return
        if self.quirks.heartbeat:
            loop = self._heartbeat_loop(MsgId.HEARTBEAT, HEARTBEAT_INTERVAL)
        elif probe is not None:
            loop = self._heartbeat_loop(MsgId.GET_BATTERY, probe)
        else:
            return
        self._heartbeat = asyncio.create_task(loop, name=f"yicam-heartbeat-{self.host}")

    async def _heartbeat_loop(self, msg_id: int, interval: float) -> None:
        """Keep the session alive (Yi 4K) and notice a camera that silently went away."""
        loop = asyncio.get_running_loop()
        while self.connected:
            idle = loop.time() - self._last_request
            if idle < interval:
                await asyncio.sleep(interval - idle)
                continue
            conn = self._conn
            try:
                await self.request(msg_id)
            except CameraError:
                continue  # the reply to a keep-alive is undocumented; any answer will do
            except CameraTimeoutError as exc:
                if conn is not None and conn is self._conn:
                    conn.abort(
                        CameraConnectionError(f"the camera stopped answering ({exc})")
                    )  # a drop like any other: reconnect when asked to
                break
            except YicamError:
                break  # the connection is gone; a reconnect starts a new heartbeat
        if self._heartbeat is asyncio.current_task():
            self._heartbeat = None

    def _track(self, event: Notification) -> None:
        if event.type == Notify.START_PHOTO_CAPTURE and self._quiet.is_set():
            # The camera's own shutter: hold requests until the photo is written, as for ours,
            # with a watchdog in case `photo_taken` never comes.
            self._quiet.clear()
            self._button_photo = asyncio.get_running_loop().call_later(
                BUTTON_PHOTO_WATCHDOG, self._button_photo_done
            )
        elif event.type == Notify.PHOTO_TAKEN:
            self._button_photo_done()
        self.known.track(event)

    def _button_photo_done(self) -> None:
        if self._button_photo is not None:
            self._button_photo.cancel()
            self._button_photo = None
            self._quiet.set()

    def _publish(self, event: Event) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                _LOG.exception("event subscriber failed")
