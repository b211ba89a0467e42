"""`yicam wifi`: station mode (the camera joins a network) and back to access point.

The password is never printed or logged: the files are shown with it masked, and it can come
from a hidden prompt or YICAM_WIFI_PASSWORD instead of the command line (where other users
of the computer could see it in the process list).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, cast

import click

from .base import run_camera
from .output import Result, safe

if TYPE_CHECKING:
    from .. import StationSetup

__all__ = ["wifi"]

_MODELS = ("yi4k", "yi4kplus", "yi1")
_model_option = click.option(
    "--model",
    type=click.Choice(_MODELS),
    help="The camera's kind of station files, when it does not name its model (4K+: yi4kplus).",
)


@click.group()
def wifi() -> None:
    """Station mode: the camera joins your network, or is its own access point again."""


@wifi.command("station")
@click.option("--ssid", required=True, help="The network to join.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    envvar="YICAM_WIFI_PASSWORD",
    help="Its WPA/WPA2 password (asked for when not given; env YICAM_WIFI_PASSWORD).",
)
@click.option("--name", help="The camera's host name on the network (default: from its serial).")
@click.option("--country", default="", help="Wi-Fi country code, e.g. US (Yi 4K).")
@click.option(
    "--band",
    type=click.Choice(["2.4", "5"]),
    default="2.4",
    show_default=True,
    help="The network's band in GHz (Yi 4K+; others choose it in the camera's menu).",
)
@_model_option
@click.option("--replace", is_flag=True, help="Replace an autoexec.ash that is not yicam's (Yi 1).")
def station(
    ssid: str,
    password: str,
    name: str | None,
    country: str,
    band: str,
    model: str | None,
    replace: bool,
) -> Result:
    """Write the files that make the camera join a network when it next starts.

    Yi 4K: `sta.conf` at the card root; Yi 4K+: `Wi-Fi.DEBUG/start.sh`; Yi 1: `autoexec.ash`
    and `wifi/`. Then restart the camera: it joins the network and `yicam discover` finds it
    at the address the router gave it.

    Prints each file written, with the password masked, and what to do next. Fails (exit 1)
    for a value the camera's scripts would mangle, or an autoexec.ash of someone else's.
    """
    setup = run_camera(
        lambda cam: cam.set_station_mode(
            ssid, password, name=name, country=country.upper(),
            band=cast(Literal["2.4", "5"], band),
            model=cast(Any, model), replace=replace,
        )
    )  # fmt: skip
    return _shown(setup)


@wifi.command("access-point")
@_model_option
def access_point(model: str | None) -> Result:
    """Remove the station-mode files: the camera is its own access point when it next starts.

    Prints the files removed. An autoexec.ash that is not the station script is left alone.
    Fails (exit 1) when the camera refuses a delete.
    """
    removed = run_camera(lambda cam: cam.set_access_point_mode(model=cast(Any, model)))
    lines = [f"removed {safe(path)}" for path in removed] or ["no station-mode files on the card"]
    lines.append("restart the camera: it is then its own access point (192.168.42.1)")
    return Result({"removed": list(removed)}, "\n".join(lines))


def _shown(setup: StationSetup) -> Result:
    """The files as written, the password masked; never the files' own bytes."""
    lines = [f"{setup.model}: joins {safe(setup.ssid)!s} as {safe(setup.name)}"]
    for file in setup.files:
        lines.append(f"--- {safe(file.path)}")
        lines.extend(safe(line) for line in file.shown.splitlines())
    lines.extend(f"note: {safe(note)}" for note in setup.notes)
    data = {
        "model": setup.model,
        "ssid": setup.ssid,
        "name": setup.name,
        "files": [{"path": f.path, "shown": f.shown} for f in setup.files],
        "notes": list(setup.notes),
    }
    return Result(data, "\n".join(lines))
