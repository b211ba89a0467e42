"""`yicam gui --install-shortcut`: the files each platform's menu reads, and that they start
the app. Linux's entry is launched by GLib's own launcher (`gio launch`) here; the macOS
bundle's executable runs under /bin/sh here as it would on a Mac; the Windows branch runs
PowerShell for real on Windows (CI) and a recording stand-in at the same path elsewhere."""

from __future__ import annotations

import configparser
import os
import plistlib
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import wait_until
from yicam.cli.main import cli
from yicam.gui import shortcut

POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="runs a /bin/sh program")
FREEDESKTOP = pytest.mark.skipif(
    sys.platform in ("win32", "darwin"), reason="the CLI writes this platform's shortcut"
)


def _packaged(name: str) -> bytes:
    return resources.files("yicam.gui").joinpath("icons", name).read_bytes()


def _fake_program(folder: Path, out: Path) -> Path:
    """A stand-in for yicam-gui that writes its arguments to `out` (a real program)."""
    folder.mkdir(parents=True)
    program = folder / "yicam-gui"
    program.write_text(f'#!/bin/sh\necho "launched $*" > "{out}"\n')
    program.chmod(0o755)
    return program


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


@FREEDESKTOP
def test_cli_installs_the_menu_entry_and_icons_then_removes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    result = CliRunner().invoke(cli, ["gui", "--install-shortcut"])
    assert result.exit_code == 0, result.output
    apps = tmp_path / "data" / "applications"
    icons = tmp_path / "data" / "icons" / "hicolor"
    written = [
        apps / "yicam.desktop",
        icons / "scalable" / "apps" / "yicam.svg",
        icons / "256x256" / "apps" / "yicam.png",
    ]
    assert result.output.splitlines() == [f"wrote {p}" for p in written]
    entry = _entry(written[0])
    assert entry["Type"] == "Application"
    assert entry["Icon"] == "yicam"  # found by name in the icon theme folders above
    assert entry["Exec"] == str(shortcut.launcher())  # this venv's yicam-gui
    assert Path(entry["Exec"]).is_file()
    assert written[1].read_bytes() == _packaged("yicam.svg")
    assert written[2].read_bytes() == _packaged("yicam.png")

    result = CliRunner().invoke(cli, ["gui", "--remove-shortcut"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"removed {p}" for p in written]
    assert not any(p.exists() for p in written)


@POSIX_ONLY
def test_the_entry_starts_the_app_from_an_awkward_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "launched.txt"
    program = _fake_program(tmp_path / "my apps $HOME" / 'yi "cam" `x` (1)', out)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    (desktop, *_) = shortcut.install_shortcut("linux", program)
    gio = shutil.which("gio")
    if gio:  # GLib's launcher, as GNOME and most menus start an entry
        command = [gio, "launch", str(desktop)]
    else:  # the spec's rules: string escapes, then shell-like double quotes
        exec_line = _entry(desktop)["Exec"].replace("%%", "%")
        command = ["/bin/sh", "-c", exec_line]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    _wait_for_file(out)
    assert out.read_text().strip() == "launched"


def _wait_for_file(path: Path) -> None:
    import asyncio

    asyncio.run(wait_until(lambda: path.is_file() and path.read_text().endswith("\n")))


def test_exec_quoting_follows_the_desktop_entry_spec() -> None:
    assert shortcut.desktop_exec(Path("/opt/yicam/bin/yicam-gui")) == "/opt/yicam/bin/yicam-gui"
    # reserved characters: double quotes, with \ before " ` $ \ ; then \ doubled, % doubled
    assert shortcut.desktop_exec(Path('/a b/1$"%/x')) == '"/a b/1\\\\$\\\\"%%/x"'
    with pytest.raises(shortcut.ShortcutError, match="control character"):
        shortcut.desktop_exec(Path("/a\nb/yicam-gui"))


def test_xdg_data_home_falls_back_as_the_spec_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    for value in ("", "relative/data"):
        monkeypatch.setenv("XDG_DATA_HOME", value)
        assert shortcut.xdg_data_home() == tmp_path / ".local" / "share"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert shortcut.xdg_data_home() == tmp_path / ".local" / "share"


@FREEDESKTOP
def test_a_folder_that_cannot_be_written_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "applications").write_text("a file where the folder goes")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    result = CliRunner().invoke(cli, ["gui", "--install-shortcut"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot write the shortcut: ")
    assert len(result.output.splitlines()) == 1


def test_a_missing_launcher_says_to_reinstall() -> None:
    other = "linux" if sys.platform == "win32" else "win32"  # the other platform's file name
    with pytest.raises(shortcut.ShortcutError, match="reinstall yicam"):
        shortcut.launcher(other)


@POSIX_ONLY
def test_macos_bundle_starts_the_app_with_its_icon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "launched.txt"
    program = _fake_program(tmp_path / "venv's bin", out)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert shortcut.install_shortcut("darwin", program) == [
        tmp_path / "home" / "Applications" / "yicam.app"
    ]
    contents = tmp_path / "home" / "Applications" / "yicam.app" / "Contents"
    with (contents / "Info.plist").open("rb") as file:
        info = plistlib.load(file)
    assert info["CFBundlePackageType"] == "APPL"
    executable = contents / "MacOS" / info["CFBundleExecutable"]
    assert os.access(executable, os.X_OK)
    icns = (contents / "Resources" / info["CFBundleIconFile"]).read_bytes()
    assert icns == _packaged("yicam.icns")
    assert icns[:4] == b"icns"
    assert b"\x89PNG" in icns  # a 256x256 PNG inside (ic08)
    # What Finder does when the app is opened: run the bundle's executable.
    subprocess.run([str(executable), "--demo"], check=True, timeout=30)
    assert out.read_text().strip() == "launched --demo"
    assert shortcut.remove_shortcut("darwin") == [contents.parent]


def test_windows_start_menu_shortcut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPDATA", str(tmp_path / "appdata"))
    programs = tmp_path / "appdata" / "Microsoft" / "Windows" / "Start Menu" / "Programs"
    if sys.platform == "win32":  # the real thing: WScript.Shell writes the .lnk
        program = Path(sys.executable)
        record = None
    else:  # a stand-in at PowerShell's place that records what it was given
        record = tmp_path / "powershell.txt"
        monkeypatch.setenv("SYSTEMROOT", str(tmp_path / "Windows"))
        fake = shortcut.powershell()
        fake.parent.mkdir(parents=True)
        fake.write_text(
            "#!/bin/sh\n"
            f'printf "%s\\n" "$@" "$YICAM_LNK" "$YICAM_TARGET" "$YICAM_ICON" > "{record}"\n'
            'printf "L\\0\\0\\0" > "$YICAM_LNK"\n'
        )
        fake.chmod(0o755)
        program = tmp_path / "Python" / "Scripts" / "yicam-gui.exe"
    assert shortcut.install_shortcut("win32", program) == [programs / "yicam.lnk"]
    assert (programs / "yicam.lnk").read_bytes()[:4] == b"L\x00\x00\x00"  # a shell link
    if record is not None:
        *argv, lnk, target, icon = record.read_text().splitlines()
        assert argv[:3] == ["-NoProfile", "-NonInteractive", "-Command"]
        assert "CreateShortcut($env:YICAM_LNK)" in argv[3]
        assert str(program) not in argv[3]  # paths go in the environment, not the script
        assert (lnk, target) == (str(programs / "yicam.lnk"), str(program))
        assert Path(icon).read_bytes() == _packaged("yicam.ico")
    assert shortcut.remove_shortcut("win32") == [programs / "yicam.lnk"]


@POSIX_ONLY
def test_windows_powershell_failure_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPDATA", str(tmp_path / "appdata"))
    monkeypatch.setenv("SYSTEMROOT", str(tmp_path / "Windows"))
    fake = shortcut.powershell()
    fake.parent.mkdir(parents=True)
    fake.write_text("#!/bin/sh\necho 'Access is denied.' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(shortcut.ShortcutError, match=r"could not write .*Access is denied\."):
        shortcut.install_shortcut("win32", tmp_path / "yicam-gui.exe")


def test_icons_are_one_picture_in_each_format() -> None:
    png = _packaged("yicam.png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert _packaged("yicam.ico")[:4] == b"\x00\x00\x01\x00"  # an icon directory
    assert _packaged("yicam.ico").endswith(png)  # the PNG itself, as Windows Vista+ reads
    assert _packaged("yicam.icns").endswith(png)
    assert b"<svg" in _packaged("yicam.svg")
