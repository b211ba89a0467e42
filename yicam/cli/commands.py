"""Camera commands: status, settings, capture, notifications, raw messages, maintenance."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .base import run_camera
from .output import Result, dumps, emit, human_size, key_value_table, safe

if TYPE_CHECKING:
    from .. import Camera, Event

T = TypeVar("T")

__all__ = [
    "battery",
    "clock",
    "format_card",
    "get",
    "info",
    "options",
    "photo",
    "raw",
    "reboot",
    "record",
    "set_",
    "settings",
    "watch",
    "zoom",
]


# -- status --------------------------------------------------------------------------------


@click.command()
def info() -> Result:
    """Model, firmware, serial, live-view URL, card space.

    Prints a table (an object with --json). Fails with `Error: ...` (exit 1) when the camera
    cannot be reached or refuses.
    """

    from .. import CameraError

    async def job(cam: Camera) -> dict[str, Any]:
        device = await cam.device_info()
        try:
            storage = await cam.get_storage()
        except CameraError:  # no card: still show the rest
            storage = None
        try:
            card_type: str | None = await cam.sd_card_type()
        except CameraError:  # a model without msg 16777217, or no card
            card_type = None
        return {
            "name": cam.model_name,
            "model": device.model,
            "firmware": device.firmware,
            "hardware": device.hardware,
            "serial": device.serial,
            "rtsp_url": cam.rtsp_url,
            "storage": storage,
            "card_type": card_type,
            "raw": device.raw,
        }

    data = run_camera(job)
    storage = data["storage"]
    card = (
        f"{human_size(storage.free)} free of {human_size(storage.total)}" if storage else "no card"
    )
    rows = {
        "Model": data["name"] + (f" ({data['model']})" if data["model"] else ""),
        "Firmware": data["firmware"],
        "Hardware": data["hardware"],
        "Serial": data["serial"],
        "Live view": data["rtsp_url"],
        "SD card": card + (f" ({safe(data['card_type'])})" if data["card_type"] else ""),
    }
    return Result(data, key_value_table(rows))


@click.command()
def battery() -> Result:
    """Battery level, and whether the camera runs on USB power.

    Prints the level in percent and whether it runs on its adapter. Fails with `Error: ...`
    (exit 1) when the camera cannot be reached or refuses.
    """
    level = run_camera(lambda cam: cam.get_battery())
    source = "on USB power" if level.on_adapter else "on battery"
    return Result(level, f"Battery: {level.level}% ({source})")  # 0-100, checked by the library


# -- settings ------------------------------------------------------------------------------


@click.command()
def settings() -> Result:
    """Every setting and its value, in the camera's order.

    Prints a table of names and values (an object with --json). Fails with `Error: ...` (exit 1)
    when the camera cannot be reached or refuses.
    """
    values = run_camera(lambda cam: cam.get_settings())
    return Result(values, key_value_table(values, title="Camera settings"))


@click.command()
@click.argument("name")
def get(name: str) -> Result:
    """Show one setting's value.

    Prints the value. Fails (exit 1) for a setting the camera does not know, suggesting close
    names.
    """
    value = run_camera(lambda cam: _named_setting(cam, name, cam.get_setting(name)))
    return Result({"name": name, "value": value}, safe(value))


@click.command(name="set")
@click.argument("name")
@click.argument("value")
def set_(name: str, value: str) -> Result:
    """Change a setting.

    Checked against the values the camera offers before anything is sent; refused while
    recording. `yicam options NAME` lists the accepted values.

    Prints the new value as the camera reports it. Fails with `Error: ...` (exit 1) when the
    camera cannot be reached or refuses, or the name or value is longer than real cameras send.
    """

    async def job(cam: Camera) -> None:
        from .. import UnsupportedError

        try:
            found = await _named_setting(cam, name, cam.get_options(name))
        except UnsupportedError:
            found = None  # the camera cannot list options: let it judge the value
        # A single option is the current value of a free-form key such as camera_clock.
        if found is not None and len(found.options) > 1 and value not in found.options:
            accepted = ", ".join(found.options)
            shown = value if len(value) <= 64 else f"{value[:24]}... ({len(value)} characters)"
            raise ValueError(f"{name} cannot be {shown!r}; the camera accepts: {accepted}")
        await cam.set_setting(name, value)

    run_camera(job)
    return Result({"name": name, "value": value}, safe(f"{name} = {value}"))


@click.command()
@click.argument("name")
def options(name: str) -> Result:
    """The values a setting accepts.

    Prints the permission and one value per line. Fails with `Error: ...` (exit 1) when the
    camera cannot be reached or refuses.
    """
    found = run_camera(lambda cam: _named_setting(cam, name, cam.get_options(name)))
    lines = [f"{found.name} ({found.permission}):", *(f"  {o}" for o in found.options)]
    return Result(found, "\n".join(safe(line) for line in lines))


async def _named_setting(cam: Camera, name: str, request: Awaitable[T]) -> T:
    """Await `request`; when the camera refuses it, say whether `name` is a setting at all."""
    from .. import CameraError

    try:
        return await request
    except CameraError:
        names = list(await cam.get_settings())
        if name not in names:
            raise ValueError(_unknown_setting(name, names)) from None
        raise


def _unknown_setting(name: str, names: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    if close:
        choices = ", ".join(close[:-1]) + " or " + close[-1] if len(close) > 1 else close[0]
        return f"the camera has no setting {name!r}; did you mean {choices}?"
    return f"the camera has no setting {name!r}; `yicam settings` lists them"


@click.command()
@click.argument("action", type=click.Choice(["show", "sync"]), default="show")
def clock(action: str) -> Result:
    """Show the camera clock, or sync it.

    `yicam clock sync` sets it to this computer's local time.

    Prints the camera's time (or the time set). Fails with `Error: ...` (exit 1) when the camera
    cannot be reached or refuses.
    """
    if action == "sync":
        when = run_camera(lambda cam: cam.sync_clock())
        return Result({"clock": when}, f"Camera clock set to {when:%Y-%m-%d %H:%M:%S}")
    value = run_camera(lambda cam: cam.get_setting("camera_clock"))
    return Result({"clock": value}, f"Camera clock: {safe(value)}")


# -- capture -------------------------------------------------------------------------------


@click.command()
@click.option(
    "--mode",
    metavar="MODE",
    help="A capture mode for this photo, e.g. 'burst quality' (models that take msg 16777220).",
)
def photo(mode: str | None) -> Result:
    """Take a photo and print its path on the camera.

    Prints the photo's path. Fails with `Error: ...` (exit 1) when the camera cannot be reached
    or refuses.
    """

    async def job(cam: Camera) -> str:
        if mode is None:
            return await cam.take_photo()
        return await _or_lacks(cam, "photo modes", cam.take_photo(mode))

    path = run_camera(job)
    return Result({"path": path}, safe(path))


@click.command()
@click.argument("level", type=click.IntRange(0, 100), required=False)
def zoom(level: int | None) -> Result:
    """Show the digital zoom, or set it to LEVEL (0-100).

    Prints the zoom level. Fails (exit 1) on a model without digital zoom.
    """

    async def job(cam: Camera) -> int:
        if level is not None:
            await _or_lacks(cam, "digital zoom", cam.set_zoom(level))
        return await _or_lacks(cam, "digital zoom", cam.get_zoom())

    value = run_camera(job)
    return Result({"zoom": value}, f"Zoom: {value}")


async def _or_lacks(cam: Camera, feature: str, call: Awaitable[T]) -> T:
    """`call`, with a -23 turned into "this model has no FEATURE"."""
    from .. import UnsupportedError, YicamError

    try:
        return await call
    except UnsupportedError as exc:
        raise YicamError(f"this camera ({cam.model_name}) has no {feature}") from exc


@click.command()
@click.argument("action", type=click.Choice(["start", "stop", "time"]))
def record(action: str) -> Result:
    """Start or stop recording, or show its time.

    Prints that recording started, the video's path, or the seconds recorded. Fails with `Error:
    ...` (exit 1) when the camera cannot be reached or refuses.
    """
    if action == "start":
        run_camera(lambda cam: cam.start_recording())
        return Result({"recording": True}, "Recording started")
    if action == "stop":
        path = run_camera(lambda cam: cam.stop_recording())
        return Result({"path": path}, safe(path))
    seconds = run_camera(lambda cam: cam.record_time())  # >= 0, checked by the library
    return Result({"seconds": seconds}, f"Recording for {seconds} s")


# -- notifications and raw access ----------------------------------------------------------


@click.command()
@click.option("--count", type=click.IntRange(min=1), help="Stop after N events.")
@click.option(
    "--reconnect/--no-reconnect",
    default=True,
    show_default=True,
    help="Reconnect after a drop (backing off up to 10 s between attempts), or stop.",
)
def watch(count: int | None, reconnect: bool) -> None:
    """Print notifications until Ctrl-C, reconnecting after a drop.

    With --json, one JSON object per line.

    Prints one line per notification until Ctrl-C. Fails with `Error: ...` (exit 1) when the
    camera cannot be reached or refuses.
    """
    from .. import Disconnected, Notification, SessionRequested

    async def job(cam: Camera) -> None:
        seen = 0
        async for event in cam.events():
            if isinstance(event, Disconnected) and not event.reconnecting:
                if event.error is not None:
                    raise event.error
                return
            emit(_event_result(event))
            if not isinstance(event, Notification | SessionRequested):
                continue  # connection events do not count
            seen += 1
            if count is not None and seen >= count:
                return

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how watch ends
        run_camera(job, reconnect=reconnect)


def _event_result(event: Event) -> Result:
    from .. import Disconnected, Notification, Reconnected, Reconnecting, SessionRequested

    now = datetime.now().replace(microsecond=0)
    if isinstance(event, SessionRequested):
        kept = "kept it" if event.kept else "gave it away"
        data = {"time": now, "type": "session_requested", "kept": event.kept}
        return Result(data, f"{now:%H:%M:%S}  another client asked for the session; {kept}")
    if isinstance(event, Disconnected):
        data = {"time": now, "type": "disconnected", "error": str(event.error)}
        text = safe(f"{now:%H:%M:%S}  connection lost ({event.error}); reconnecting")
        return Result(data, text)
    if isinstance(event, Reconnecting):
        data = {"time": now, "type": "reconnecting", "attempt": event.attempt}
        data["delay"] = round(event.delay, 2)
        text = f"{now:%H:%M:%S}  reconnecting (attempt {event.attempt}, in {event.delay:.1f} s)"
        return Result(data, text)
    if isinstance(event, Reconnected):
        return Result({"time": now, "type": "reconnected"}, f"{now:%H:%M:%S}  reconnected")
    assert isinstance(event, Notification)
    fields = {**event.to_json(), "time": now}
    del fields["msg_id"]
    param = "" if event.param is None else f"  {safe(event.param)}"
    return Result(fields, f"{now:%H:%M:%S}  {safe(event.type)}{param}")


class MsgIdType(click.ParamType[int]):
    """A message id: decimal, 0x hex, or a `MsgId` name such as GET_BATTERY."""

    name = "msg_id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """The id as an int."""
        from .. import MsgId

        if isinstance(value, int):
            return value
        try:
            return int(value, 0)
        except ValueError:
            pass
        try:
            return int(MsgId[value.upper()])
        except KeyError:
            self.fail(f"{value!r} is neither a number nor a known message name", param, ctx)


@click.command()
@click.argument("msg_id", type=MsgIdType())
@click.argument("fields", required=False)
def raw(msg_id: int, fields: str | None) -> Result:
    """Send any message and print the reply.

    MSG_ID is a number, 0x hex or a name such as GET_SETTING; FIELDS is a JSON object:
    yicam raw GET_SETTING '{"type": "app_status"}'

    Prints the reply as JSON. Fails (exit 1) on an unknown message name or invalid FIELDS, or
    when the camera refuses.
    """
    extra = _parse_fields(fields) if fields else {}
    reply = run_camera(lambda cam: cam.call(msg_id, **extra))
    return Result(reply, dumps(reply, indent=2))


def _parse_fields(text: str) -> dict[str, Any]:
    import json

    try:
        value = json.loads(text)  # a command-line argument: its size is bounded by the system
    except json.JSONDecodeError as exc:
        raise ValueError(f"FIELDS is not valid JSON ({exc}): {text}") from None
    except RecursionError:
        raise ValueError("FIELDS nested too deep") from None
    if not isinstance(value, dict):
        raise ValueError(f"FIELDS must be a JSON object such as '{{\"param\": 1}}', not {text}")
    if "msg_id" in value or "token" in value:
        raise ValueError("FIELDS must not contain msg_id or token; yicam sets them")
    return value


# -- maintenance ---------------------------------------------------------------------------


@click.command()
def reboot() -> Result:
    """Reboot the camera (the connection drops).

    Prints that the camera is rebooting (the connection then drops). Fails with `Error: ...`
    (exit 1) when the camera cannot be reached or refuses.
    """
    run_camera(lambda cam: cam.reboot())
    return Result({"rebooting": True}, "The camera is rebooting; reconnect in a minute")


@click.command(name="format")
@click.option("--yes", is_flag=True, help="Really erase every file on the SD card.")
def format_card(yes: bool) -> Result:
    """Erase the SD card (needs --yes).

    Prints `SD card formatted`. Refuses without --yes; fails with `Error: ...` (exit 1) when the
    camera cannot be reached or refuses.
    """
    if not yes:
        raise click.ClickException(
            "format erases every file on the SD card; run `yicam format --yes` to do it"
        )
    run_camera(lambda cam: cam.format_card())
    return Result({"formatted": True}, "SD card formatted")
