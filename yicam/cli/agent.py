"""`yicam agent`: own cameras' sessions and serve them through an MQTT broker until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .base import global_options
from .output import Result, emit, safe

if TYPE_CHECKING:
    import yicam

__all__ = ["agent"]


@click.command()
@click.option("--name", help="The agent's name in topics (default: this computer's name).")
@click.option(
    "--all", "all_named", is_flag=True, help="Serve every named camera (`yicam cameras`)."
)
@click.option("--discover", "discover_", is_flag=True, help="Serve every camera discovery finds.")
@click.option(
    "--listen",
    default="127.0.0.1:1883",
    show_default=True,
    metavar="HOST:PORT",
    help="Without --broker: where the embedded broker listens (loopback unless told otherwise).",
)
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where jobs and downloads keep their files (default: the user's data folder).",
)
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Let broker users format, factory-reset, reboot and send raw messages.",
)
@click.option("--tls-ca", type=click.Path(dir_okay=False), help="CA file for an mqtts:// broker.")
@click.option("--tls-cert", type=click.Path(dir_okay=False), help="Client certificate (mqtts://).")
@click.option("--tls-key", type=click.Path(dir_okay=False), help="Client certificate's key.")
@click.option("--prefix", default="yicam/", show_default=True, help="Topic prefix.")
@click.option("--refresh", default=30.0, show_default=True, help="Seconds between state reads.")
@click.option(
    "--homeassistant",
    is_flag=True,
    help="Publish Home Assistant MQTT discovery: each camera a device with sensors and buttons.",
)
def agent(
    name: str | None,
    all_named: bool,
    discover_: bool,
    listen: str,
    folder: Path | None,
    allow_destructive: bool,
    tls_ca: str | None,
    tls_cert: str | None,
    tls_key: str | None,
    prefix: str,
    refresh: float,
    homeassistant: bool,
) -> None:
    """Own cameras' sessions and serve them to every tool, here or on other computers (MQTT).

    Serves the cameras named with -c (several allowed), --all named cameras, what --discover
    finds, or else the one --host; reconnects after drops. Without --broker it starts an
    embedded MQTT broker on --listen (loopback by default), so `yicam agent` alone lets
    `yicam photo` work from another terminal while the agent holds the session. With
    --broker mqtt://HOST[:PORT] (user:password@ and mqtts:// accepted) it joins that broker, for
    rigs across computers, and keeps trying while that broker is unreachable.

    Prints the broker, the agent's name and its cameras, then runs until Ctrl-C or SIGTERM.
    Fails (exit 1) when the embedded broker's port is taken or a named camera is unknown.
    """
    from yicam.agent import run

    options = global_options()
    if not options.debug:
        logging.getLogger("yicam.agent").setLevel(logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        run(_serve(options, name, all_named, discover_, listen, folder, allow_destructive,
                   (tls_ca, tls_cert, tls_key), prefix, refresh, homeassistant))  # fmt: skip


async def _serve(
    options: Any,
    name: str | None,
    all_named: bool,
    discover_: bool,
    listen: str,
    folder: Path | None,
    allow_destructive: bool,
    tls_files: tuple[str | None, str | None, str | None],
    prefix: str,
    refresh: float,
    homeassistant: bool = False,
) -> None:
    # First thing: a SIGTERM during startup (discovery, the embedded broker) stops it too.
    terminated: list[int] = []
    if sys.platform != "win32":
        main = asyncio.current_task()
        assert main is not None

        def terminate() -> None:
            terminated.append(signal.SIGTERM)
            main.cancel()  # a second SIGTERM cuts the goodbye short

        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, terminate)
    try:
        await _serve_cameras(
            options, name, all_named, discover_, listen, folder, allow_destructive, tls_files,
            prefix, refresh, homeassistant,
        )  # fmt: skip
    except asyncio.CancelledError:
        if not terminated:
            raise  # Ctrl-C: asyncio.run turns it into KeyboardInterrupt


async def _serve_cameras(
    options: Any,
    name: str | None,
    all_named: bool,
    discover_: bool,
    listen: str,
    folder: Path | None,
    allow_destructive: bool,
    tls_files: tuple[str | None, str | None, str | None],
    prefix: str,
    refresh: float,
    homeassistant: bool,
) -> None:
    from yicam.agent import Agent, BrokerURL, EmbeddedBroker, TLSOptions

    cameras = await _cameras(options, all_named, discover_)
    if folder is None:
        import platformdirs

        folder = platformdirs.user_data_path("yicam") / "agent"
    async with contextlib.AsyncExitStack() as stack:
        if options.broker is None:
            host, _, port = listen.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"--listen {listen!r}: expected HOST:PORT")
            broker = await stack.enter_async_context(EmbeddedBroker(host.strip("[]"), int(port)))
            url = BrokerURL.parse(broker.url)
            emit(Result(None, f"Embedded MQTT broker on {url}"))
        else:
            url = BrokerURL.parse(options.broker)
        ca, cert, key = tls_files
        server = Agent(
            cameras, url, name=name, prefix=prefix, folder=folder,
            allow_destructive=allow_destructive, refresh_every=refresh,
            homeassistant=homeassistant,
            tls=TLSOptions(ca_file=ca, cert_file=cert, key_file=key),
        )  # fmt: skip
        names = ", ".join(f"{n} ({c.host}:{c.settings.port})" for n, c in cameras.items())
        emit(Result(None, safe(f"Agent {server.name} on {url}, prefix {prefix}: {names}")))
        emit(Result(None, f"Files in {folder}; Ctrl-C to stop"))
        await server.run()


async def _cameras(options: Any, all_named: bool, discover_: bool) -> dict[str, yicam.Camera]:
    import yicam

    def build(config: yicam.CameraConfig) -> yicam.Camera:
        return config.camera(reconnect=True, **options.typed_timeouts())

    cameras: dict[str, yicam.Camera] = {}
    if all_named or options.camera_names:
        named = yicam.load_cameras()
        wanted = list(named) if all_named else list(options.camera_names)
        for camera in wanted:
            if camera not in named:
                raise ValueError(f"no named camera {camera!r}; `yicam cameras` lists them")
            cameras[camera] = build(named[camera])
    if discover_:
        for found in await yicam.discover():
            cameras.setdefault(found.host, yicam.Camera(found.host, found.port, reconnect=True))
    if not cameras:
        from yicam.agent import camera_name

        cam = yicam.Camera(settings=options.settings, reconnect=True)
        cameras[camera_name(cam)] = cam
    return cameras
