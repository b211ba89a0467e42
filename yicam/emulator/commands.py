"""Handlers for the emulated camera's control commands (settings, capture, files).

Each handler takes the connection's `ControlSession` and the request, and returns the
reply; notifications that follow later are queued from background tasks.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime

from .._ids import MsgId, Notify
from .._messages import Reply, Request
from .card import CardPathError
from .control import ControlSession, Handler

__all__ = ["HANDLERS"]

_LS_OPTIONS = re.compile(r"\s+-[A-Za-z](?=\s|$)")


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
    if state.recording_since is not None:
        return Reply(req.msg_id, -21)
    if value not in profile.options.get(name, ()):
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
    items = [{key: value} for key, value in _live_settings(session).items()]
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


async def heartbeat(session: ControlSession, req: Request) -> Reply:
    """Msg 16777244: the Yi 4K keep-alive."""
    if req.msg_id not in session.state.profile.extra_ids:
        return Reply(req.msg_id, -23)
    return Reply(req.msg_id)


async def format_card(session: ControlSession, req: Request) -> Reply:
    """Msg 4: erase the card; it answers -27 for a moment afterwards."""
    if (problem := _card_problem(session, req.msg_id)) is not None:
        return problem
    if session.state.recording_since is not None:
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
    session.spawn(_notify_later(session, 0.05, Notify.VF_START))
    return Reply(req.msg_id)


async def stop_viewfinder(session: ControlSession, req: Request) -> Reply:
    """Msg 260: stop the live stream."""
    state = session.state
    state.viewfinder = False
    state.vf_wedged = False
    session.spawn(_notify_later(session, 0.05, Notify.VF_STOP))
    return Reply(req.msg_id)


async def _notify_later(session: ControlSession, delay: float, kind: Notify) -> None:
    await session.sleep(delay)
    session.notify(kind)


async def take_photo(session: ControlSession, req: Request) -> Reply:
    """Msg 769: ack, then start_photo_capture, data ready, photo_taken and vf_start."""
    state = session.state
    if (problem := _card_problem(session, req.msg_id)) is not None:
        return problem
    if state.recording_since is not None:
        return Reply(req.msg_id, -14)
    if state.card.free() < 64 * 1024:
        return Reply(req.msg_id, -17)
    session.spawn(_photo_sequence(session))
    return Reply(req.msg_id)


async def _photo_sequence(session: ControlSession) -> None:
    state = session.state
    state.viewfinder = False
    await session.sleep(0.1)
    session.notify(Notify.START_PHOTO_CAPTURE, "precise quality;off")
    await session.sleep(0.4)
    session.notify(Notify.PRECISE_CAPTURE_DATA_READY)
    path = state.card.new_media("jpg", state.now())
    await session.sleep(0.3)
    session.notify(Notify.PHOTO_TAKEN, state.card.camera_path(path))
    await session.sleep(0.1)
    state.viewfinder = True
    session.notify(Notify.VF_START)


async def start_record(session: ControlSession, req: Request) -> Reply:
    """Msg 513: start recording; start_video_record follows."""
    state = session.state
    if (problem := _card_problem(session, req.msg_id)) is not None:
        return problem
    if state.recording_since is not None:
        return Reply(req.msg_id, -14)
    if state.card.free() < 1024 * 1024:
        return Reply(req.msg_id, -17)
    state.recording_since = asyncio.get_running_loop().time()
    session.spawn(_notify_later(session, 0.3, Notify.START_VIDEO_RECORD))
    return Reply(req.msg_id)


async def stop_record(session: ControlSession, req: Request) -> Reply:
    """Msg 514: stop recording; video_record_complete with the path follows."""
    state = session.state
    if state.recording_since is None:
        return Reply(req.msg_id, -14)
    duration = asyncio.get_running_loop().time() - state.recording_since
    state.recording_since = None
    session.spawn(_record_complete(session, duration))
    return Reply(req.msg_id)


async def _record_complete(session: ControlSession, duration: float) -> None:
    state = session.state
    await session.sleep(0.5)
    path = state.card.new_media("mp4", state.now(), duration)
    session.notify(Notify.VIDEO_RECORD_COMPLETE, state.card.camera_path(path))
    if state.profile.name == "yi1":
        state.vf_wedged = True  # the Yi 1 quirk of protocol.md section 7
    await session.sleep(0.1)
    session.notify(Notify.VF_START)


async def record_time(session: ControlSession, req: Request) -> Reply:
    """Msg 515: seconds recorded so far."""
    since = session.state.recording_since
    if since is None:
        return Reply(req.msg_id, -14)
    elapsed = (asyncio.get_running_loop().time() - since) / session.state.time_scale
    return Reply(req.msg_id, 0, {"param": int(elapsed)})


# -- files ---------------------------------------------------------------------------------


async def list_dir(session: ControlSession, req: Request) -> Reply | None:
    """Msg 1282: list a directory; listing a file kills the server, as on a Yi 1."""
    if not session.state.card.inserted:
        return Reply(req.msg_id, -26)
    param = req.fields.get("param", "")
    if not isinstance(param, str):
        return Reply(req.msg_id, -9)
    path = _LS_OPTIONS.sub("", " " + param).strip() or "."
    try:
        local = session.state.card.local_path(path, session.cwd)
    except CardPathError:
        return Reply(req.msg_id, -26)
    if local.is_file():
        session.close()
        return None
    if not local.is_dir():
        return Reply(req.msg_id, -26)
    return Reply(req.msg_id, 0, {"listing": session.state.card.listing(local)})


async def change_dir(session: ControlSession, req: Request) -> Reply:
    """Msg 1283: change the connection's current directory."""
    local = session.resolve(req, default=".")
    if isinstance(local, Reply):
        return local
    if not local.is_dir():
        return Reply(req.msg_id, -26)
    session.cwd = session.state.card.camera_path(local)
    return Reply(req.msg_id, 0, {"pwd": session.cwd})


async def pwd(session: ControlSession, req: Request) -> Reply:
    """Msg 1284: the current directory."""
    return Reply(req.msg_id, 0, {"pwd": session.cwd})


async def delete(session: ControlSession, req: Request) -> Reply:
    """Msg 1281: delete a file."""
    local = session.resolve(req)
    if isinstance(local, Reply):
        return local
    if not local.is_file():
        return Reply(req.msg_id, -26)
    local.unlink()
    return Reply(req.msg_id)


async def media_info(session: ControlSession, req: Request) -> Reply:
    """Msg 1026: size, date, resolution and type of a media file."""
    local = session.resolve(req)
    if isinstance(local, Reply):
        return local
    if not local.is_file():
        return Reply(req.msg_id, -26)
    suffix = local.suffix.lower()
    if suffix not in (".jpg", ".mp4"):
        return Reply(req.msg_id, -24)  # only media files have media info
    stat = local.stat()
    fields: dict[str, object] = {
        "size": stat.st_size,
        "date": datetime.fromtimestamp(stat.st_mtime).strftime("%Y-%m-%d %H:%M:%S"),
        "resolution": "4608x3456" if suffix == ".jpg" else "1920x1080",
        "media_type": "img" if suffix == ".jpg" else "mov",
    }
    if suffix == ".mp4":
        fields.update(duration=2, framerate="60", thumb_file=local.stem + "_thm.mp4")
    return Reply(req.msg_id, 0, fields)


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
    MsgId.STOP_RECORD: stop_record,
    MsgId.RECORD_TIME: record_time,
    MsgId.TAKE_PHOTO: take_photo,
    MsgId.GET_MEDIA_INFO: media_info,
    MsgId.DELETE: delete,
    MsgId.LIST: list_dir,
    MsgId.CD: change_dir,
    MsgId.PWD: pwd,
    MsgId.HEARTBEAT: heartbeat,
}
