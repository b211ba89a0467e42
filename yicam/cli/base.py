"""The global options, and the helper every camera command uses to talk to the camera."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from .._camera import Camera
from ..emulator.profiles import PROFILES

__all__ = ["DEFAULT_HOST", "GlobalOptions", "global_options", "model_option", "run_camera"]

DEFAULT_HOST = "192.168.42.1"  # the camera's own Wi-Fi access point

T = TypeVar("T")

# `--model` of the commands that start an emulated camera.
model_option = click.option(
    "--model",
    type=click.Choice(sorted(PROFILES)),
    default="yi1",
    show_default=True,
    help="Camera to emulate.",
)


@dataclass(frozen=True, slots=True)
class GlobalOptions:
    """What `yicam [OPTIONS] COMMAND` was given before the command."""

    host: str = field(default_factory=lambda: os.environ.get("YICAM_HOST", DEFAULT_HOST))
    port: int = 7878
    data_port: int = 8787
    http_port: int = 80
    rtsp_port: int = 554
    timeout: float = 5.0
    json: bool = False
    debug: bool = False
    camera_name: str | None = None  # `--camera NAME` / YICAM_CAMERA: a named camera
    explicit: frozenset[str] = frozenset()  # options given on the command line: they win

    def camera(self, **overrides: Any) -> Camera:
        """A `Camera` for these options; `overrides` go to its constructor."""
        options = self.resolved()
        kwargs: dict[str, Any] = {
            "data_port": options.data_port,
            "http_port": options.http_port,
            "rtsp_port": options.rtsp_port,
            "timeout": options.timeout,
        }
        kwargs.update(overrides)
        return Camera(options.host, options.port, **kwargs)

    def resolved(self) -> GlobalOptions:
        """These options with the named camera's address and ports filled in (from the config)."""
        if self.camera_name is None:
            return self
        from .._config import get_camera  # only commands that talk to a camera read the file

        entry = get_camera(self.camera_name)
        names = ("host", "port", "data_port", "http_port", "rtsp_port", "timeout")
        values = {n: getattr(entry, n) for n in names if n not in self.explicit}
        return dataclasses.replace(self, camera_name=None, **values)


def global_options() -> GlobalOptions:
    """The options of the running `yicam` invocation (defaults outside one)."""
    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(GlobalOptions) if ctx is not None else None
    return found if found is not None else GlobalOptions()


def run_camera(job: Callable[[Camera], Awaitable[T]], **camera_kwargs: Any) -> T:
    """Open the camera from the global options, run `job(cam)` in `asyncio.run`, return its result.

    This is how a subcommand module talks to the camera::

        @click.command()
        @click.argument("path")
        def thumb(path: str) -> Result:
            \"\"\"Fetch a thumbnail.\"\"\"
            data = run_camera(lambda cam: cam.get_thumbnail(path))
            return Result({"path": path, "size": len(data)}, f"{len(data)} bytes")

        # yicam/cli/main.py:  cli.add_command(thumb)

    The session opens before `job` and closes after it, also on errors. Errors are not
    caught here: a `YicamError`, `OSError` or `ValueError` raised by `job` reaches the
    `yicam` group's one handler, which prints `Error: ...` with a hint and exits non-zero
    (a traceback only with `--debug`). Return a `Result` (or a plain value) from the command
    and the group prints it, as JSON under `--json`; use `output.emit` to print as you go.
    `camera_kwargs` override `Camera` arguments, e.g. `event_timeout=120`.
    """
    options = global_options()

    async def session() -> T:
        async with options.camera(**camera_kwargs) as cam:
            return await job(cam)

    return asyncio.run(session())
