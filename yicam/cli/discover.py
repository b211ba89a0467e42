"""`yicam discover`: find cameras on the local networks, and optionally name them."""

from __future__ import annotations

import asyncio
import re
from dataclasses import asdict, replace
from typing import Any

import click
from rich.console import Group
from rich.table import Table

from .. import CameraConfig, FoundCamera, add_camera
from .. import discover as find_cameras
from .base import global_options
from .fleet_views import clean
from .output import Result

__all__ = ["discover"]

_NOT_NAME = re.compile(r"[^A-Za-z0-9_-]")


@click.command()
@click.option(
    "--network",
    "networks",
    multiple=True,
    metavar="CIDR",
    help="Network to scan, e.g. 192.168.1.0/24 (repeatable; default: this host's).",
)
@click.option(
    "--probe-timeout",
    "timeout",
    default=1.0,
    show_default=True,
    help="Seconds an address gets to accept the probe, and its session to answer (not the "
    "global --timeout: a silent address costs this much of the scan).",
)
@click.option("--force", is_flag=True, help="Scan networks wider than a /22.")
@click.option("--save", is_flag=True, help="Add what was found as named cameras.")
@click.option(
    "--name",
    "names",
    multiple=True,
    metavar="NAME",
    help="With --save: names in address order (default: each camera's serial).",
)
def discover(
    networks: tuple[str, ...], timeout: float, force: bool, save: bool, names: tuple[str, ...]
) -> Result:
    """Find cameras: discovery broadcast and ARP first, then a TCP probe, then a session.

    Broadcasts the vendor discovery datagram (UDP 7877: cameras in station mode answer with
    their name; never tested on hardware), contacts only addresses inside the networks
    scanned, only on the control port (--port), and sends nothing but a session start, the
    identity reads and a session end.

    Prints a table of the cameras found (and saves them with --save). Fails (exit 1) on a
    network wider than a /22 without --force.
    """
    settings = global_options().settings
    port = settings.port
    found = asyncio.run(find_cameras(networks or None, port=port, timeout=timeout, force=force))
    saved: dict[str, str] = {}
    if save:
        announced = [c.discovery_name for c in found]
        for index, camera in enumerate(found):
            unique = camera.discovery_name and announced.count(camera.discovery_name) == 1
            default = _default_name(camera, use_discovery_name=bool(unique))
            name = names[index] if index < len(names) else default
            at = replace(settings, host=camera.host)
            entry = CameraConfig(name, at, model=camera.model, serial=camera.serial)
            add_camera(entry, replace=True)
            saved[camera.host] = name
    rows: list[dict[str, Any]] = [
        {**asdict(camera), **({"name": saved[camera.host]} if camera.host in saved else {})}
        for camera in found
    ]
    return Result(rows, _view(found, saved))


def _default_name(camera: FoundCamera, *, use_discovery_name: bool = False) -> str:
    """The camera's own station name when it is unique, else its serial, made a safe name
    (the same serial again updates that camera's entry)."""
    own = camera.discovery_name if use_discovery_name else None
    base = _NOT_NAME.sub("-", own or camera.serial or "")[:64].strip("-")
    if not base:
        base = "cam-" + camera.host.replace(".", "-")
    return base


def _view(found: list[FoundCamera], saved: dict[str, str]) -> Any:
    if not found:
        return "No cameras found."
    table = Table()
    named = any(c.discovery_name for c in found)
    columns = ("Host", "Port", "Model", "Firmware", "Serial", *(["Name"] if named else []))
    for column in (*columns, *(["Saved as"] if saved else [])):
        table.add_column(column)
    for c in found:
        cells = [c.host, c.port, c.model or "-", c.firmware or "-", c.serial or "-"]
        if named:
            cells.append(c.discovery_name or "-")
        if saved:
            cells.append(saved.get(c.host, ""))
        table.add_row(*(clean(cell) for cell in cells))
    return Group(table, clean(f"{len(found)} camera(s) found"))
