"""File commands on the camera's card: `ls` and `rm`."""

from __future__ import annotations

from posixpath import join

import click
from rich.table import Table
from rich.text import Text

from .._camera import Camera
from .base import run_camera
from .output import Result, human_size

__all__ = ["DCIM", "ls", "rm"]

DCIM = "/tmp/fuse_d/DCIM/"


@click.command()
@click.argument("path", default=DCIM)
def ls(path: str) -> Result:
    """List a directory on the camera (default /tmp/fuse_d/DCIM/)."""
    entries = run_camera(lambda cam: cam.list_dir(path))
    data = [
        {
            "name": e.name,
            "path": join(path, e.name) + ("/" if e.is_dir else ""),
            "size": e.size,
            "modified": e.modified,
            "is_dir": e.is_dir,
        }
        for e in entries
    ]
    table = Table(box=None, pad_edge=False)
    table.add_column("Name")
    table.add_column("Size", justify="right")
    table.add_column("Modified")
    for e in entries:
        table.add_row(
            Text(e.name + "/" if e.is_dir else e.name),  # Text: names are untrusted camera data
            "" if e.is_dir else human_size(e.size),
            f"{e.modified:%Y-%m-%d %H:%M:%S}" if e.modified else "",
        )
    view = table if entries else f"{path} is empty"
    return Result(data, view)


@click.command()
@click.argument("paths", metavar="PATH...", nargs=-1, required=True)
def rm(paths: tuple[str, ...]) -> Result:
    """Delete files on the camera."""

    async def job(cam: Camera) -> None:
        for path in paths:
            await cam.delete(path)

    run_camera(job)
    return Result({"deleted": list(paths)}, "\n".join(f"Deleted {p}" for p in paths))
