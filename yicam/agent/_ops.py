"""The operations a broker user may ask of a camera: `Camera` methods, and nothing else.

Each is checked here (known name, expected arguments of the expected types) and then run by
the very `Camera` method, so the library's own safety rules apply unchanged: no setting
changed while recording, no file-like path listed, no wildcard deleted without saying so.
`capture` operations are never sent twice: a lost reply is `OutcomeUnknownError`. The
`destructive` ones (format, factory reset, reboot, raw messages) are refused unless the
agent was started with `--allow-destructive`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import yicam

__all__ = ["OPS", "Op", "check"]

Kind = Literal["read", "change", "capture", "destructive"]


@dataclass(frozen=True, slots=True)
class Op:
    """One operation: its kind, required and optional arguments (name: accepted types)."""

    kind: Kind
    required: dict[str, tuple[type, ...]] = field(default_factory=dict)
    optional: dict[str, tuple[type, ...]] = field(default_factory=dict)


_STR = (str,)
_INT = (int,)
_OPT_STR = (str, type(None))

OPS: dict[str, Op] = {
    # state and settings
    "refresh": Op("read"),
    "get_settings": Op("read"),
    "get_setting": Op("read", {"name": _STR}),
    "get_options": Op("read", {"name": _STR}),
    "get_battery": Op("read"),
    "get_storage": Op("read"),
    "sd_card_type": Op("read"),
    "device_info": Op("read"),
    "record_time": Op("read"),
    "get_zoom": Op("read"),
    "list_dir": Op("read", {"path": _STR}),
    "media_info": Op("read", {"path": _STR}),
    "list_media": Op("read"),
    "thumbnail": Op("read", {"camera_path": _STR}, {"size": _STR, "via": _STR}),
    "set_setting": Op("change", {"name": _STR, "value": _STR}),
    "sync_clock": Op("change"),
    "set_zoom": Op("change", {"level": _INT}),
    "start_viewfinder": Op("change"),
    "stop_viewfinder": Op("change"),
    "stop_capture": Op("change"),
    # captures: never resent
    "take_photo": Op("capture", {}, {"mode": _OPT_STR}),
    "start_recording": Op("capture"),
    "stop_recording": Op("capture"),
    "delete": Op("capture", {"path": _STR}, {"allow_wildcards": (bool,)}),
    # maintenance
    "format_card": Op("destructive"),
    "reboot": Op("destructive"),
    "factory_reset": Op("destructive"),
    "call": Op("destructive", {"msg_id": _INT}, {"fields": (dict,)}),
}


def check(name: Any, args: Any, *, allow_destructive: bool) -> tuple[Op, dict[str, Any]]:
    """The operation and its arguments, checked.

    Raises `UnsafeOperationError` for a destructive operation the agent does not allow,
    `ValueError` for an unknown operation or wrong arguments.
    """
    if not isinstance(name, str) or name not in OPS:
        raise ValueError(f"unknown operation {name!r}")
    op = OPS[name]
    if not isinstance(args, dict):
        raise ValueError(f"{name}: arguments must be an object")
    for arg, value in args.items():
        accepted = op.required.get(arg) or op.optional.get(arg)
        if accepted is None:
            raise ValueError(f"{name}: unexpected argument {arg!r}")
        if not isinstance(value, accepted) or (isinstance(value, bool) and bool not in accepted):
            raise ValueError(f"{name}: argument {arg!r} has the wrong type")
    missing = [arg for arg in op.required if arg not in args]
    if missing:
        raise ValueError(f"{name}: missing argument {missing[0]!r}")
    if op.kind == "destructive" and not allow_destructive:
        raise yicam.UnsafeOperationError(
            f"the agent refuses {name}: start it with --allow-destructive to allow format, "
            "factory reset, reboot and raw messages from broker users"
        )
    return op, args


async def run(cam: yicam.Camera, name: str, args: dict[str, Any]) -> Any:
    """Run a checked operation on `cam`; returns what the `Camera` method returns."""
    if name == "call":
        return await cam.call(args["msg_id"], **args.get("fields", {}))
    method = getattr(cam, name)
    return await method(**args)
