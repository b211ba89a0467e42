"""The global options, and the helper every camera command uses to talk to the camera.

Nothing here imports asyncio, rich or the library at import time: `yicam --help` stays fast.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from .. import Camera, ConnectionSettings

__all__ = [
    "DEFAULT_HOST",
    "GlobalOptions",
    "global_options",
    "model_option",
    "options_for",
    "run_camera",
]

DEFAULT_HOST = "192.168.42.1"  # the camera's own Wi-Fi access point
_ADDRESS = ("host", "port", "data_port", "http_port", "rtsp_port")
_TIMEOUTS = ("timeout", "event_timeout")

T = TypeVar("T")


class _ModelChoice(click.Choice[str]):
    """The emulated models; read from the emulator only when a command needs them."""

    def __init__(self) -> None:
        super().__init__(())

    @property  # type: ignore[override]
    def choices(self) -> Sequence[str]:
        """The model names, sorted."""
        from ..emulator.profiles import PROFILES

        return sorted(PROFILES)

    @choices.setter
    def choices(self, _value: Sequence[str]) -> None:
        pass  # click.Choice.__init__ assigns; the names always come from the profiles


# `--model` of the commands that start an emulated camera.
model_option = click.option(
    "--model",
    type=_ModelChoice(),
    default="yi1",
    show_default=True,
    help="Camera to emulate.",
)


def _default_settings() -> ConnectionSettings:
    from .. import ConnectionSettings

    return ConnectionSettings(os.environ.get("YICAM_HOST") or DEFAULT_HOST)


@dataclass(frozen=True, slots=True)
class GlobalOptions:
    """What `yicam [OPTIONS] COMMAND` was given before the command."""

    settings: ConnectionSettings = field(default_factory=_default_settings)  # --host, --port...
    json: bool = False
    debug: bool = False
    camera_name: str | None = None  # `--camera NAME` / YICAM_CAMERA: a named camera
    camera_names: tuple[str, ...] = ()  # every --camera given (several for `yicam fleet`)
    explicit: frozenset[str] = frozenset()  # settings given on the command line: they win
    broker: str | None = None  # `--broker URL`: commands go through the agent there
    prefix: str = field(default_factory=lambda: os.environ.get("YICAM_TOPIC_PREFIX", "yicam/"))
    no_agent: bool = False  # `--no-agent`: never through a local agent

    def camera(self, **overrides: Any) -> Camera:
        """A `Camera` for these options; `overrides` go to its constructor."""
        from .. import Camera

        return Camera(settings=self.resolved().settings, **overrides)

    def typed_timeouts(self) -> dict[str, float]:
        """The timeouts typed on the command line: they win over every named camera's."""
        return {n: getattr(self.settings, n) for n in _TIMEOUTS if n in self.explicit}

    def resolved(self) -> GlobalOptions:
        """These options with the named camera's settings filled in (from the config)."""
        if self.camera_name is None:
            return self
        from .. import get_camera  # only commands that talk to a camera read the file

        given = {name: getattr(self.settings, name) for name in self.explicit}
        settings = dataclasses.replace(get_camera(self.camera_name).settings, **given)
        return dataclasses.replace(self, settings=settings, camera_name=None, camera_names=())


def options_for(
    settings: ConnectionSettings, *, omit: Collection[str] = (), changed_only: bool = False
) -> str:
    """The global options that reach the camera of `settings`: `--host H --port P ...`.

    The host and ports always (with `changed_only`, only where not the default); the other
    settings (timeouts, interface) only where not the default; none of `omit`.
    """
    from .. import ConnectionSettings

    defaults, parts = ConnectionSettings(), []
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        default = value == getattr(defaults, f.name)
        if (
            f.name in omit
            or value is None
            or (default and (changed_only or f.name not in _ADDRESS))
        ):
            continue
        parts.append(f"--{f.name.replace('_', '-')} {value}")
    return " ".join(parts)


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
            data = run_camera(lambda cam: cam.thumbnail(path))
            return Result({"path": path, "size": len(data)}, f"{len(data)} bytes")

        # yicam/cli/main.py:  cli.add_command(thumb)

    When an agent owns the camera (`--broker`, or a local agent), `job` gets a
    `yicam.agent.RemoteCamera` instead, whose methods the agent runs on its own session.
    The session opens before `job` and closes after it, also on errors. Errors are not
    caught here: a `YicamError`, `OSError` or `ValueError` raised by `job` reaches the
    `yicam` group's one handler, which prints `Error: ...` with a hint (a JSON object under
    `--json`) and exits non-zero (a traceback only with `--debug`). Return a `Result` (or a
    plain value) from the command and the group prints it, as JSON under `--json`; use
    `output.emit` to print as you go. Timeouts come from the global options; `camera_kwargs`
    override other `Camera` arguments. Import what the job needs inside the command, so
    `yicam --help` does not load it.
    """
    import asyncio

    options = global_options()
    from .agent_route import Unavailable, route

    through = route(options)
    if through is not None:
        try:
            return through.run(job, options)
        except Unavailable:
            pass  # the local agent is gone or does not serve it: open a session here

    async def session() -> T:
        async with options.camera(**camera_kwargs) as cam:
            return await job(cam)

    return asyncio.run(session())
