"""`yicam profile save|apply|diff`: settings that match on every camera."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Group, RenderableType
from rich.table import Table

from .. import Camera, CameraResult, FleetResult, Profile, ProfileReport, differing_settings
from .base import global_options, run_camera
from .fleet import finish, run_fleet, selection, selection_options
from .fleet_views import clean
from .output import Result, safe

__all__ = ["profile"]

_PROFILE_FILE = click.Path(dir_okay=False, path_type=Path)
_EXISTING = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def profile() -> None:
    """Settings profiles: save one camera's settings, apply them to others, compare."""


@profile.command()
@click.argument("file", type=_PROFILE_FILE)
def save(file: Path) -> Result:
    """Save the camera's settable settings to FILE (.toml, or .json).

    Prints the file written. Fails with `Error: ...` (exit 1) when the camera cannot be reached
    or refuses.
    """
    saved = run_camera(Profile.read)
    saved.save(file)
    data = {"file": str(file), "model": saved.model, "settings": dict(saved.settings)}
    text = f"Saved {len(saved.settings)} settings of a {saved.model} to {file}"
    return Result(data, safe(text))


@profile.command()
@click.argument("file", type=_EXISTING)
@selection_options
@click.pass_context
def apply(ctx: click.Context, file: Path, all_: bool, hosts: str | None) -> Result | None:
    """Apply FILE to the camera (or to --all, -c NAME..., --hosts): mode settings first.

    Prints each setting as applied, unchanged, refused, read-only or unsupported; exits 1 if any
    was refused.
    """
    wanted = Profile.load(file)
    chosen = selection(all_, hosts)
    if chosen is None:
        report = run_camera(wanted.apply)
        result = FleetResult((CameraResult(_camera_name(), report),))
    else:
        result = run_fleet(chosen, lambda fleet: fleet.apply_profile(wanted))
    checked = FleetResult(tuple(_refusals(r) for r in result))
    data = [
        {
            "name": r.name,
            "ok": r.ok and r.value is not None and r.value.ok,
            "error": r.reason or None,
            "settings": [] if r.value is None else _rows(r.value),
        }
        for r in result
    ]
    return finish(ctx, checked, Result(data, _apply_view(result, checked)))


@profile.command()
@click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False
)
@selection_options
@click.pass_context
def diff(ctx: click.Context, file: Path | None, all_: bool, hosts: str | None) -> Result | None:
    """Settings that differ across the cameras (--all, -c NAME..., --hosts), or from FILE.

    Prints the settings that differ, one row each. Fails with `Error: ...` (exit 1) when the
    camera cannot be reached or refuses.
    """
    chosen = selection(all_, hosts)
    if chosen is None and file is None:
        raise click.UsageError("give a FILE to compare the camera with, or choose cameras")
    wanted = None if file is None else Profile.load(file)  # a bad file fails before connecting

    async def read(_name: str, cam: Camera) -> dict[str, str]:
        return await cam.get_settings()

    if chosen is None:
        settings = run_camera(lambda cam: read("", cam))
        result = FleetResult((CameraResult(_camera_name(), settings),))
    else:
        result = run_fleet(chosen, lambda fleet: fleet.each(read))
    sources = dict(result.values())
    if file is not None and wanted is not None:
        sources[file.name] = dict(wanted.settings)
    differing = differing_settings(sources)
    if file is not None:  # against a file, only the settings the file holds
        differing = {k: v for k, v in differing.items() if v[file.name] is not None}
    table = Table()
    table.add_column("Setting")
    for source in sources:
        table.add_column(clean(source))
    for name, row in differing.items():
        table.add_row(clean(name), *(clean("-" if v is None else v) for v in row.values()))
    note = f"{len(differing)} setting(s) differ" if differing else "No differences."
    view = Group(table, clean(note)) if differing else clean(note)
    return finish(ctx, result, Result(differing, view))


def _camera_name() -> str:
    options = global_options()
    return options.camera_name or options.resolved().settings.host


def _rows(report: ProfileReport) -> list[dict[str, Any]]:
    return [
        {"name": o.name, "value": o.value, "status": o.status}
        | ({"accepted": list(o.accepted)} if o.status == "refused" else {})
        for o in report.outcomes
    ]


def _refusals(result: CameraResult[ProfileReport]) -> CameraResult[ProfileReport]:
    """A camera that refused settings counts as failed, naming them."""
    report = result.value
    if report is None or report.ok:
        return result
    refused = ", ".join(o.name for o in report.outcomes if o.status == "refused")
    return CameraResult(result.name, report, ValueError(f"refused {refused}"))


def _apply_view(
    result: FleetResult[ProfileReport], checked: FleetResult[ProfileReport]
) -> RenderableType:
    parts: list[RenderableType] = []
    for r in result:
        if r.value is None:
            parts.append(clean(f"{r.name}: error: {r.reason}"))
            continue
        table = Table(title=clean(r.name), title_justify="left")
        for column in ("Setting", "Value", "Result"):
            table.add_column(column)
        for o in r.value.outcomes:
            status: str = o.status
            if o.status == "refused" and o.accepted:
                status = "refused; accepts: " + ", ".join(o.accepted)
            table.add_row(clean(o.name), clean(o.value), clean(status))
        parts.append(table)
    parts.append(clean(checked.summary()))
    return Group(*parts)
