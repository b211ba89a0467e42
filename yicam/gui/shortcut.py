"""`yicam gui --install-shortcut`: the desktop app in the system's application menu.

Standard library only (no Qt), one function per platform:
- Linux and other freedesktop systems: a `.desktop` entry and the icon under `$XDG_DATA_HOME`;
- Windows: a Start-menu `.lnk`, written by Windows' own shell object (WScript.Shell);
- macOS: a small `yicam.app` bundle in ~/Applications whose executable starts `yicam-gui`.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from importlib import metadata, resources
from pathlib import Path

__all__ = ["ShortcutError", "install_shortcut", "launcher", "remove_shortcut"]

NAME = "yicam"
SUMMARY = "Live view, shutter, settings and downloads for Xiaomi Yi action cameras"


class ShortcutError(Exception):
    """The shortcut could not be written (the message says why)."""


def launcher(platform: str = sys.platform) -> Path:
    """The `yicam-gui` program installed beside this Python (pip, pipx and venvs put it there).

    Raises:
        ShortcutError: it is not there.
    """
    name = "yicam-gui.exe" if platform == "win32" else "yicam-gui"
    path = Path(sysconfig.get_path("scripts")) / name
    if not path.is_file():
        raise ShortcutError(f"{path} is missing: reinstall yicam with pip or pipx")
    return path


def install_shortcut(platform: str = sys.platform, program: Path | None = None) -> list[Path]:
    """Add the desktop app to the application menu; returns the files written.

    Raises:
        ShortcutError: the launcher is missing or a file cannot be written.
    """
    program = program or launcher(platform)
    installer = _INSTALLERS.get(platform, _install_freedesktop)
    try:
        return installer(program)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ShortcutError(f"cannot write the shortcut: {exc}") from exc


def remove_shortcut(platform: str = sys.platform) -> list[Path]:
    """Take the desktop app out of the application menu; returns the files removed."""
    removed = []
    for path in _shortcut_files(platform):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        removed.append(path)
    return removed


def _icon(suffix: str) -> Path:
    """The packaged icon file (yicam/gui/icons), a real file in any pip install."""
    return Path(str(resources.files("yicam.gui").joinpath("icons", f"{NAME}{suffix}")))


def xdg_data_home() -> Path:
    """$XDG_DATA_HOME, or ~/.local/share when it is unset or not absolute (as the spec says)."""
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "share"


def start_menu() -> Path:
    """The user's Start-menu Programs folder on Windows."""
    appdata = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
    return Path(appdata) / "Microsoft" / "Windows" / "Start Menu" / "Programs"


def powershell() -> Path:
    """Windows PowerShell, from the system folder (not whatever PATH finds first)."""
    root = os.environ.get("SYSTEMROOT") or r"C:\Windows"
    return Path(root) / "System32" / "WindowsPowerShell" / "v1.0" / "powershell.exe"


def _shortcut_files(platform: str) -> list[Path]:
    if platform == "win32":
        return [start_menu() / f"{NAME}.lnk"]
    if platform == "darwin":
        return [Path.home() / "Applications" / f"{NAME}.app"]
    data = xdg_data_home()
    return [
        data / "applications" / f"{NAME}.desktop",
        data / "icons" / "hicolor" / "scalable" / "apps" / f"{NAME}.svg",
        data / "icons" / "hicolor" / "256x256" / "apps" / f"{NAME}.png",
    ]


def desktop_exec(program: Path) -> str:
    """`program` quoted for a desktop entry's Exec key (the spec's quoting, then its escapes)."""
    text = str(program)
    if any(ord(c) < 32 for c in text):
        raise ShortcutError(f"{text!r}: a control character cannot go into a desktop entry")
    if any(c in text for c in " \"'\\><~|&;$*?#()`"):
        text = '"' + "".join("\\" + c if c in '"`$\\' else c for c in text) + '"'
    return text.replace("\\", "\\\\").replace("%", "%%")


def _install_freedesktop(program: Path) -> list[Path]:
    entry, svg, png = _shortcut_files("linux")
    for path, source in ((svg, _icon(".svg")), (png, _icon(".png"))):
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={NAME}\n"
        "GenericName=Action camera remote\n"
        f"Comment={SUMMARY}\n"
        f"Exec={desktop_exec(program)}\n"
        f"Icon={NAME}\n"
        "Terminal=false\n"
        "Categories=Graphics;Photography;\n"
        "Keywords=camera;xiaomi;yi;action camera;live view;\n"
        f"StartupWMClass={NAME}\n",
        encoding="utf-8",
    )
    return [entry, svg, png]


# Paths reach PowerShell as environment variables, never inside the script text.
_LNK_SCRIPT = (
    "$s = (New-Object -ComObject WScript.Shell).CreateShortcut($env:YICAM_LNK); "
    "$s.TargetPath = $env:YICAM_TARGET; $s.IconLocation = $env:YICAM_ICON + ',0'; "
    "$s.WorkingDirectory = $env:USERPROFILE; $s.Description = $env:YICAM_SUMMARY; $s.Save()"
)


def _install_windows(program: Path) -> list[Path]:
    (lnk,) = _shortcut_files("win32")
    lnk.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "YICAM_LNK": str(lnk),
        "YICAM_TARGET": str(program),
        "YICAM_ICON": str(_icon(".ico")),
        "YICAM_SUMMARY": SUMMARY,
    }
    done = subprocess.run(  # noqa: S603 - a fixed script; the paths go in the environment
        [str(powershell()), "-NoProfile", "-NonInteractive", "-Command", _LNK_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise ShortcutError(f"PowerShell could not write {lnk}: {done.stderr.strip()}")
    return [lnk]


def _install_macos(program: Path) -> list[Path]:
    (app,) = _shortcut_files("darwin")
    contents = app / "Contents"
    (contents / "MacOS").mkdir(parents=True, exist_ok=True)
    (contents / "Resources").mkdir(exist_ok=True)
    shutil.copyfile(_icon(".icns"), contents / "Resources" / f"{NAME}.icns")
    executable = contents / "MacOS" / NAME
    executable.write_text(f'#!/bin/sh\nexec {shlex.quote(str(program))} "$@"\n')
    executable.chmod(0o755)
    info = {
        "CFBundleName": NAME,
        "CFBundleDisplayName": NAME,
        "CFBundleIdentifier": "local.yicam.desktop-app",
        "CFBundleExecutable": NAME,
        "CFBundleIconFile": f"{NAME}.icns",
        "CFBundlePackageType": "APPL",
        "CFBundleShortVersionString": metadata.version("yicam"),
        "NSHighResolutionCapable": True,
    }
    with (contents / "Info.plist").open("wb") as file:
        plistlib.dump(info, file)
    return [app]


_INSTALLERS: dict[str, Callable[[Path], list[Path]]] = {
    "win32": _install_windows,
    "darwin": _install_macos,
}
