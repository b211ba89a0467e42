"""`yicam gui`: open the desktop app (Qt is imported only when the command runs)."""

from __future__ import annotations

import importlib.util

import click

from .base import global_options, model_option

__all__ = ["gui"]

_GUI_PACKAGES = ("PySide6", "shiboken6", "qasync", "av", "numpy")


@click.command()
@click.option("--demo", is_flag=True, help="Start an emulated camera in this process and use it.")
@model_option
@click.pass_context
def gui(ctx: click.Context, demo: bool, model: str) -> None:
    """Open the desktop app: live view, shutter, settings, media, downloads.

    Opens a window until it is closed. Fails (exit 1) without the gui extra or, on Linux,
    without a display.
    """
    try:
        from ..gui.app import run
        from ..gui.target import Target
    except ImportError:
        if not any(_missing(name) for name in _GUI_PACKAGES):
            raise
        raise click.ClickException(
            "the desktop app needs the gui extra: pip install 'yicam[gui]'"
        ) from None
    at = global_options().resolved().settings
    target = Target(at.host, at.port, at.data_port, at.http_port, at.rtsp_port, at.timeout)
    ctx.exit(run(target, demo=demo, model=model))


def _missing(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is None
    except (ImportError, ValueError):  # ValueError: blocked in sys.modules
        return True
