"""The `yicam` command line (click and rich, installed with yicam itself).

Helpers for subcommand modules: `run_camera` opens the camera from the global options and
runs a coroutine; commands return a `Result` (or plain data) and the group prints it, as JSON
under `--json`; `emit` prints as you go. Register a command with one line in `main.py`:
`cli.add_command(my_command)`.
"""

from __future__ import annotations

from .base import GlobalOptions, global_options, run_camera
from .output import Result, console, emit

__all__ = ["GlobalOptions", "Result", "console", "emit", "global_options", "run_camera"]
