"""Handlers for the emulated camera's control commands (settings, status, capture).

Each handler takes the connection's `ControlSession` and the request, and returns the
reply; notifications that follow later are queued from background tasks.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from datetime import datetime, time

from .._wire.ids import MsgId, Notify
from .._wire.messages import Reply, Request
from ..emulator import capture
from .control import ControlSession, Handler
from .file_commands import FILE_HANDLERS

__all__ = ["HANDLERS"]

_MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")


def _card_problem(session: ControlSession, msg_id: int) -> Reply | None:
    """-27 when the card is missing or still busy after a format."""
    state = session.state
    loop_time = asyncio.get_running_loop().time()
    if not state.card.inserted or loop_time < state.card_busy_until:
        return Reply(msg_id, -27)
    return None


# -- settings ------------------------------------------------------------------------------


async def get_setting(session: ControlSession, req: Request) -> Reply:
    """Msg 1: one setting's value."""
    name = req.fields.get("type")
    settings = _live_settings(session)
    if not isinstance(name, str) or name not in settings:
        return Reply(req.msg_id, -13)
    return Reply(req.msg_id, 0, {"type": name, "param": settings[name]})


async def set_setting(session: ControlSession, req: Request) -> Reply:
    """Msg 2: change a setting, or run an action setting (reboot, factory reset)."""
    state, profile = session.state, session.state.profile
    name, value = req.fields.get("type"), req.fields.get("param")
    if not isinstance(name, str) or not isinstance(value, str):
        return Reply(req.msg_id, -9)
    if name == "camera_clock":
        try:
            when = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return Reply(req.msg_id, -13)
        state.clock_offset = when - datetime.now()
        return Reply(req.msg_id, 0, {"type": name})
    if name not in state.settings or name in profile.readonly:
        return Reply(req.msg_id, -15 if name in state.settings else -13)
    if profile.settings_locked_in_vf and state.viewfinder:
        return Reply(req.msg_id, -15)  # read-only while streaming (Yi 1)
    if state.recording_since is not None or state.capture is not None:
        return Reply(req.msg_id, -21)
    if name in profile.free_text:
        if not 1 <= len(value) <= 63 or not value.isprintable():
            return Reply(req.msg_id, -13)
    elif value not in profile.options.get(name, ()):
        return Reply(req.msg_id, -13)
    if name in profile.actions:
        session.spawn(_run_action(session, name))
        return Reply(req.msg_id, 0, {"type": name})
    if state.settings[name] == value and profile.spaced_json:
        return Reply(req.msg_id, -14)  # Yi 1: the value is already set
    state.settings[name] = value
    return Reply(req.msg_id, 0, {"type": name})


async def _run_action(session: ControlSession, name: str) -> None:
    state = session.state
    await session.sleep(0.2)
    if name == "restore_factory_settings":
        state.reset_settings()
        state.clock_offset = state.clock_offset * 0
        return
    # dev_reboot: the camera goes away and every connection drops.
    state.viewfinder = False
    state.recording_since = None
    for other in list(state.sessions):
        other.close()


async def get_all_settings(session: ControlSession, req: Request) -> Reply:
    """Msg 3: every setting in camera order; with `param`, the 2015 options form."""
    name = req.fields.get("param")
    if isinstance(name, str):
        if not session.state.legacy_options:
            return Reply(req.msg_id, -9)
        permission, options = _options(session, name)
        if options is None:
            return Reply(req.msg_id, -13)
        return Reply(req.msg_id, 0, {"param": [{name: f"{permission}:{'#'.join(options)}"}]})
    # Keys of later firmware answer msgs 1, 2 and 9; no capture shows them in a msg 3 reply.
    later = {key for key, _ in session.state.profile.later_settings}
    items = [{k: v} for k, v in _live_settings(session).items() if k not in later]
    return Reply(req.msg_id, 0, {"param": items})


async def get_options(session: ControlSession, req: Request) -> Reply:
    """Msg 9: the options of one setting and whether it is settable now."""
    if session.state.legacy_options:
        return Reply(req.msg_id, -23)
    name = req.fields.get("param")
    if not isinstance(name, str):
        return Reply(req.msg_id, -9)
    permission, options = _options(session, name)
    if options is None:
        return Reply(req.msg_id, -13)
    fields = {"permission": permission, "param": name, "options": list(options)}
    return Reply(req.msg_id, 0, fields)


def _options(session: ControlSession, name: str) -> tuple[str, tuple[str, ...] | None]:
    state, profile = session.state, session.state.profile
    settings = _live_settings(session)
    if name not in settings:
        return "readonly", None
    locked = profile.settings_locked_in_vf and state.viewfinder
    readonly = name in profile.readonly or locked
    options = profile.options.get(name) or (settings[name],)
    return ("readonly" if readonly else "settable"), options


def _live_settings(session: ControlSession) -> dict[str, str]:
    state = session.state
    settings = dict(state.settings)
    if "camera_clock" in settings:
        settings["camera_clock"] = state.now().strftime("%Y-%m-%d %H:%M:%S")
    if "app_status" in settings:
        settings["app_status"] = state.app_status()
    if "sd_card_status" in settings:
        settings["sd_card_status"] = "insert" if state.card.inserted else "remove"
    return settings


# -- status --------------------------------------------------------------------------------


async def get_battery(session: ControlSession, req: Request) -> Reply:
    """Msg 13: battery level (a string on the Yi 1, an int elsewhere)."""
    state = session.state
    level: int | str = state.battery
    if state.profile.battery_as_string:
        level = str(level)
    return Reply(
        req.msg_id, 0, {"type": "adapter" if state.on_adapter else "battery", "param": level}
    )


async def get_space(session: ControlSession, req: Request) -> Reply:
    """Msg 5: total or free card space in KiB."""
    if (problem := _card_problem(session, req.msg_id)) is not None:
        return problem
    card = session.state.card
    kind = req.fields.get("type")
    if kind not in ("total", "free"):
        return Reply(req.msg_id, -24)
    size = card.capacity if kind == "total" else card.free()
    return Reply(req.msg_id, 0, {"param": size // 1024})


async def device_info(session: ControlSession, req: Request) -> Reply:
    """Msg 11: unknown on the Yi 1 firmware we model; identity on newer models."""
    state = session.state
    if state.profile.spaced_json:
        return Reply(req.msg_id, -23)
    fields = {
        "brand": "YI",
        "model": state.profile.model_id,
        "chip": "A9SE",
        "app_type": "Connected",
        "fw_ver": state.settings.get("sw_version", ""),
        "api_ver": "4.1.0",
        "media_folder": "/tmp/fuse_d/DCIM",
        "http": "Enable",
        "serial_number": state.settings.get("serial_number", ""),
    }
    return Reply(req.msg_id, 0, fields)


async def sd_type(session: ControlSession, req: Request) -> Reply:
    """Msg 16777217: the card's type, `sd_hc` (seen on a Yi 1) or `sd_xc` above 32 GiB."""
    if (problem := _card_problem(session, req.msg_id)) is not None:
        return problem
    kind = "sd_xc" if session.state.card.capacity > 32 * 1024**3 else "sd_hc"
    return Reply(req.msg_id, 0, {"param": kind})


async def client_info(session: ControlSession, req: Request) -> Reply:
    """Msg 261: the client's address for the data service (`TCP` + IPv4, `RFCOMM` + MAC)."""
    kind, param = req.fields.get("type"), req.fields.get("param")
    if kind == "TCP" and isinstance(param, str):
        try:
            session.client_ip = str(ipaddress.IPv4Address(param))
        except ValueError:
            return Reply(req.msg_id, -1)
        return Reply(req.msg_id)
    if kind == "RFCOMM" and isinstance(param, str) and _MAC.match(param):
        return Reply(req.msg_id)
    return Reply(req.msg_id, -1)  # the Ambarella server's answer to an unknown transport


async def heartbeat(session: ControlSession, req: Request) -> Reply:
    """Msg 16777244: the Yi 4K keep-alive."""
    if req.msg_id not in session.state.profile.extra_ids:
        return Reply(req.msg_id, -23)
    return Reply(req.msg_id)


async def format_card(session: ControlSession, req: Request) -> Reply:
    """Msg 4: erase the card; it answers -27 for a moment afterwards."""
    if (problem := _card_problem(session, req.msg_id)) is not None:
        return problem
    if session.state.recording_since is not None or session.state.capture is not None:
        return Reply(req.msg_id, -21)
    session.state.card.format()
    busy = 0.5 * session.state.time_scale
    session.state.card_busy_until = asyncio.get_running_loop().time() + busy
    session.spawn(_format_done(session))
    return Reply(req.msg_id)


async def _format_done(session: ControlSession) -> None:
    await session.sleep(0.5)
    session.notify(Notify.SDCARD_FORMAT_DONE)


# -- viewfinder and capture ----------------------------------------------------------------


async def start_viewfinder(session: ControlSession, req: Request) -> Reply:
    """Msg 259: start the live stream."""
    state = session.state
    if state.vf_wedged:
        return Reply(req.msg_id, -21)
    state.viewfinder = True
    state.photo_since_vf = False
    session.spawn(_notify_later(session, 0.05, Notify.VF_START))
    return Reply(req.msg_id)


async def stop_viewfinder(session: ControlSession, req: Request) -> Reply:
    """Msg 260: stop the live stream."""
    state = session.state
    state.viewfinder = False
    state.vf_wedged = state.photo_since_vf = False
    session.spawn(_notify_later(session, 0.05, Notify.VF_STOP))
    return Reply(req.msg_id)


async def _notify_later(session: ControlSession, delay: float, kind: Notify) -> None:
    await session.sleep(delay)
    session.notify(kind)


async def take_photo(session: ControlSession, req: Request) -> Reply:
    """Msg 769: ack, then start_photo_capture, data ready, photo_taken and vf_start."""
    if problem := capture.photo_problem(session.state):
        return Reply(req.msg_id, problem)
    capture.start_photo(session.state)
    return Reply(req.msg_id)


async def take_photo_with_mode(session: ControlSession, req: Request) -> Reply:
    """Msg 16777220 (YI SDK): a photo in the mode named by `param` ("precise quality;off")."""
    state = session.state
    if not state.profile.photo_with_mode:
        return Reply(req.msg_id, -23)
    param = req.fields.get("param", "precise quality;off")
    if not isinstance(param, str):
        return Reply(req.msg_id, -9)
    mode = param.split(";", 1)[0].strip()
    if mode not in state.profile.options.get("capture_mode", ()):
        return Reply(req.msg_id, -13)
    if problem := capture.photo_problem(state):
        return Reply(req.msg_id, problem)
    capture.start_photo(state, mode)
    return Reply(req.msg_id)


async def stop_continuous(session: ControlSession, req: Request) -> Reply:
    """Msg 770: stop a time-lapse photo run; precise_cont_complete follows."""
    if not capture.stop_continuous(session.state):
        return Reply(req.msg_id, -14)
    return Reply(req.msg_id)


async def start_record(session: ControlSession, req: Request) -> Reply:
    """Msg 513: start recording; start_video_record follows."""
    if problem := capture.record_problem(session.state):
        return Reply(req.msg_id, problem)
    capture.start_record(session.state)
    return Reply(req.msg_id)


async def start_record_at(session: ControlSession, req: Request) -> Reply:
    """Msg 16777247 (Yi 4K; the SDK's startRecording(hour, minute, second)): start recording
    when the camera clock next shows Synctime_Hour:Synctime_Minute:Synctime_Second."""
    state = session.state
    if req.msg_id not in state.profile.extra_ids:
        return Reply(req.msg_id, -23)
    keys = ("Synctime_Hour", "Synctime_Minute", "Synctime_Second")
    values = [req.fields.get(key) for key in keys]
    numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    if len(numbers) != len(keys):
        return Reply(req.msg_id, -25)
    hour, minute, second = numbers
    if not (0 <= hour < 24 and 0 <= minute < 60 and 0 <= second < 60):
        return Reply(req.msg_id, -13)
    if problem := capture.record_problem(state):
        return Reply(req.msg_id, problem)
    capture.schedule_record(state, time(hour, minute, second))
    return Reply(req.msg_id)


async def stop_record(session: ControlSession, req: Request) -> Reply:
    """Msg 514: stop recording; video_record_complete with the path follows."""
    if not capture.stop_record(session.state):
        return Reply(req.msg_id, -14)
    return Reply(req.msg_id)


async def record_time(session: ControlSession, req: Request) -> Reply:
    """Msg 515: seconds recorded so far."""
    since = session.state.recording_since
    if since is None:
        return Reply(req.msg_id, -14)
    elapsed = (asyncio.get_running_loop().time() - since) / session.state.time_scale
    return Reply(req.msg_id, 0, {"param": int(elapsed)})


async def set_zoom(session: ControlSession, req: Request) -> Reply:
    """Msg 14: digital zoom, `type` `fast` and the level 0-100 as a string."""
    state = session.state
    if not state.profile.digital_zoom:
        return Reply(req.msg_id, -23)
    if req.fields.get("type", "fast") != "fast":
        return Reply(req.msg_id, -24)
    level = req.fields.get("param")
    try:
        value = int(level) if isinstance(level, str | int) and not isinstance(level, bool) else -1
    except ValueError:
        value = -1
    if not 0 <= value <= 100:
        return Reply(req.msg_id, -13)
    state.zoom = value
    return Reply(req.msg_id)


async def get_zoom(session: ControlSession, req: Request) -> Reply:
    """Msg 15 with `type` `current`: the zoom level as a string."""
    if not session.state.profile.digital_zoom:
        return Reply(req.msg_id, -23)
    if req.fields.get("type") != "current":
        return Reply(req.msg_id, -24)
    return Reply(req.msg_id, 0, {"type": "current", "param": str(session.state.zoom)})


HANDLERS: dict[int, Handler] = {
    MsgId.GET_SETTING: get_setting,
    MsgId.SET_SETTING: set_setting,
    MsgId.GET_ALL_SETTINGS: get_all_settings,
    MsgId.FORMAT: format_card,
    MsgId.GET_SPACE: get_space,
    MsgId.GET_OPTIONS: get_options,
    MsgId.GET_DEVICE_INFO: device_info,
    MsgId.GET_BATTERY: get_battery,
    MsgId.START_VIEWFINDER: start_viewfinder,
    MsgId.STOP_VIEWFINDER: stop_viewfinder,
    MsgId.START_RECORD: start_record,
    MsgId.START_RECORD_SYNCED: start_record_at,
    MsgId.STOP_RECORD: stop_record,
    MsgId.RECORD_TIME: record_time,
    MsgId.TAKE_PHOTO: take_photo,
    MsgId.TAKE_PHOTO_WITH_MODE: take_photo_with_mode,
    MsgId.STOP_CONTINUOUS_CAPTURE: stop_continuous,
    MsgId.DIGITAL_ZOOM: set_zoom,
    MsgId.DIGITAL_ZOOM_INFO: get_zoom,
    MsgId.SET_CLIENT_INFO: client_info,
    MsgId.SD_TYPE: sd_type,
    MsgId.HEARTBEAT: heartbeat,
    **FILE_HANDLERS,
}
