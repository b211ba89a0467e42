"""Writing the station-mode files onto a camera's card, and removing them again.

Everything goes over the control and data ports (list, mkdir 1289, delete 1281, put 1286,
get 1285); nothing is read or written outside the few paths `station.py` names.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .._errors import CameraError, InvalidPathError, UnsafeOperationError, error_for_rval
from .._wire.ids import MsgId
from .station import (
    AUTOEXEC_ASH,
    STATION_MODELS,
    CardFile,
    StationModel,
    StationSettings,
    access_point_paths,
    station_files,
    station_folders,
    station_model,
)

if TYPE_CHECKING:
    from .._camera import Camera

__all__ = ["StationSetup", "remove_station_files", "write_station_files"]


@dataclass(frozen=True, slots=True)
class StationSetup:
    """What `Camera.set_station_mode` wrote: the model's files, passwords masked in `shown`."""

    model: StationModel
    ssid: str
    name: str
    files: tuple[CardFile, ...]
    notes: tuple[str, ...]


async def write_station_files(
    cam: Camera,
    ssid: str,
    password: str,
    *,
    name: str | None,
    country: str,
    band: Literal["2.4", "5"],
    model: StationModel | None,
    replace: bool,
) -> StationSetup:
    """See `Camera.set_station_mode`."""
    kind = model or await _model(cam)
    serial = ""
    if name is None or kind == "yi4kplus":
        serial = (await cam.device_info()).serial or ""
    settings = StationSettings(ssid, password, name or _default_name(serial), country, band)
    files = station_files(kind, settings, serial=serial)  # ValueError before anything is sent
    root = cam.quirks.card_root
    present = {entry.name.rstrip("/") for entry in await cam.list_dir(root)}
    if kind == "yi1" and "autoexec.ash" in present and not replace:
        await _refuse_foreign_autoexec(cam, f"{root}/autoexec.ash")
    for folder in station_folders(kind):
        if folder not in present:
            await _mkdir(cam, f"{root}/{folder}")
    with tempfile.TemporaryDirectory(prefix="yicam-station-") as scratch:
        for file in files:
            target = f"{root}/{file.path}"
            await _remove_if_there(cam, target)
            local = Path(scratch) / file.path.replace("/", "_")
            local.write_bytes(file.content)
            await cam.upload(local, target)
    return StationSetup(kind, ssid, settings.name, files, _notes(kind, name, country, band))


async def remove_station_files(cam: Camera, *, model: StationModel | None) -> tuple[str, ...]:
    """See `Camera.set_access_point_mode`."""
    kind = model or await _model(cam)
    root = cam.quirks.card_root
    removed = []
    for path in access_point_paths(kind):
        target = f"{root}/{path}"
        if path == "autoexec.ash":
            try:
                await _refuse_foreign_autoexec(cam, target)
            except UnsafeOperationError:
                continue  # not ours: left alone (it may do other things)
            except InvalidPathError:
                continue
        if await _remove_if_there(cam, target):
            removed.append(path)
    return tuple(removed)


async def _model(cam: Camera) -> StationModel:
    kind = station_model(cam.model, cam.model_name)
    if kind is None:
        info = await cam.device_info()  # also names a model the 257 reply did not
        kind = station_model(info.model, cam.model_name)
    if kind is None:
        raise ValueError(
            f"no station-mode files are known for this camera ({cam.model_name}); "
            f"give the model: {', '.join(STATION_MODELS)}"
        )
    return kind


def _default_name(serial: str) -> str:
    tail = "".join(c for c in serial if c.isalnum())[-6:]
    return f"yi-{tail}" if tail else "xiaoyi-1"


async def _mkdir(cam: Camera, path: str) -> None:
    """Make a folder on the card (msg 1289; its parameter is nowhere documented [C])."""
    try:
        await cam.call(MsgId.MKDIR, param=path)
    except CameraError as exc:
        folder = path.rsplit("/", 1)[-1]
        raise error_for_rval(
            exc.rval,
            exc.msg_id,
            f"the camera cannot make the folder {folder}; make it on the card with a card "
            "reader, then run this again",
        ) from exc


async def _remove_if_there(cam: Camera, path: str) -> bool:
    try:
        await cam.delete(path)
    except InvalidPathError:
        return False
    return True


async def _refuse_foreign_autoexec(cam: Camera, path: str) -> None:
    """Raise unless the card's autoexec.ash is the station script (or there is none)."""
    with tempfile.TemporaryDirectory(prefix="yicam-station-") as scratch:
        local = Path(scratch) / "autoexec.ash"
        await cam.download(path, local, resume=False, via="data")
        if local.read_bytes() != AUTOEXEC_ASH.encode():
            raise UnsafeOperationError(
                "the card holds an autoexec.ash that is not the station-mode script; "
                "move it away first, or replace it (replace=True, --replace)"
            )


def _notes(kind: StationModel, name: str | None, country: str, band: str) -> tuple[str, ...]:
    notes = ["restart the camera: it reads these files when it starts"]
    if kind == "yi1":
        notes.append("the Yi 1 scripts send no device name: the router names the camera")
        if country:
            notes.append("the Yi 1 scripts set no country: --country is not used")
    if kind == "yi4kplus" and country:
        notes.append("the Yi 4K+ script takes no country: --country is not used")
    if kind != "yi4kplus" and band == "5":
        notes.append("the band is chosen in the camera's Wi-Fi menu on this model")
    if kind == "yi4k":
        notes.append("Yi 4K: turn Wi-Fi on in the camera's menu, on the network's band")
    if name is None and kind != "yi1":
        notes.append("no --name given: the camera's name comes from its serial number")
    return tuple(notes)
