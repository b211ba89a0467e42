"""`yicam gui`: open the desktop app (Qt is imported only when the command runs)."""

from __future__ import annotations

import importlib.util

import click

from .base import global_options, model_option

__all__ = ["gui"]

_GUI_PACKAGES = ("PySide6", "shiboken6", "qasync", "av", "numpy")


@click.command()
@click.option("--demo", is_flag=True, help="Start an emulated camera in this process and use it.")
@click.option(
    "--install-shortcut",
    is_flag=True,
    help="Add the app to the application menu (Linux), Start menu (Windows) or "
    "~/Applications (macOS), print the files written, and exit.",
)
@click.option(
    "--remove-shortcut", is_flag=True, help="Remove what --install-shortcut added, and exit."
)
@model_option
@click.option(
    "--rig",
    is_flag=True,
    help="Open the rig view: NAMES (named cameras or HOST[:PORT]), the -c NAMEs, or every "
    "named camera; with --demo, four emulated cameras.",
)
@click.argument("names", nargs=-1, metavar="[NAMES]...")
@click.pass_context
def gui(
    ctx: click.Context,
    demo: bool,
    install_shortcut: bool,
    remove_shortcut: bool,
    model: str,
    rig: bool,
    names: tuple[str, ...],
) -> None:
    """Open the desktop app: live view, shutter, settings, media, downloads.

    Opens a window until it is closed. Fails (exit 1) without the gui extra, on Linux without
    a display, with --rig when a name is unknown or two name one camera, and with
    --install-shortcut when a file cannot be written.
    """
    if names and not rig:
        raise click.UsageError("camera NAMES are for the rig view: yicam gui --rig NAMES...")
    if remove_shortcut:
        from ..gui.shortcut import remove_shortcut as remove

        for path in remove():
            click.echo(f"removed {path}")
        return
    try:
        from ..gui.app import run
        from ..gui.rig_model import rig_members
        from ..gui.target import Target
    except ImportError:
        if not any(_missing(name) for name in _GUI_PACKAGES):
            raise
        raise click.ClickException(
            "the desktop app needs the gui extra: pip install 'yicam[gui]'"
        ) from None
    if install_shortcut:
        _install_shortcut()
        return
    chosen = global_options().camera_names + names
    # The rig view reads named cameras itself; the main window opens the one -c NAME.
    at = (global_options() if rig else global_options().resolved()).settings
    target = Target(at.host, at.port, at.data_port, at.http_port, at.rtsp_port, at.timeout)
    members = None  # the main window
    if rig:
        try:  # the demo's rig is its own four cameras
            members = [] if demo else rig_members(chosen, target)
        except ValueError as exc:  # ConfigError too
            raise click.ClickException(str(exc)) from None
    ctx.exit(run(target, demo=demo, model=model, rig=members))


def _missing(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is None
    except (ImportError, ValueError):  # ValueError: blocked in sys.modules
        return True


def _install_shortcut() -> None:
    from ..gui.shortcut import ShortcutError
    from ..gui.shortcut import install_shortcut as install

    try:
        written = install()
    except ShortcutError as exc:
        raise click.ClickException(str(exc)) from None
    for path in written:
        click.echo(f"wrote {path}")
