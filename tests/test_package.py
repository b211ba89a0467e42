"""Package hygiene: the public API, import weight, and the loopback-only test guard."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import yicam


def test_public_api_is_pinned() -> None:
    assert sorted(yicam.__all__) == sorted(
        [
            "CameraState",
            "ConnectionSettings",
            "ConnectionState",
            "Expectation",
            "Quirks",
            "ReconnectPolicy",
            "RetryPolicy",
            "Session",
            "Intervalometer",
            "NewMedia",
            "Shot",
            "Tether",
            "TimelapseReport",
            "parse_duration",
            "Via",
            "Progress",
            "format_duration",
            "get_camera",
            "camera_folder",
            "cancel_and_wait",
            "differing_settings",
            "Battery",
            "Camera",
            "CameraBusyError",
            "CameraConfig",
            "CameraResult",
            "CameraStatus",
            "ClockSync",
            "CardFile",
            "StationSetup",
            "Fleet",
            "FoundCamera",
            "FleetResult",
            "ShotReport",
            "Trigger",
            "CameraConnectionError",
            "CameraError",
            "CameraTimeoutError",
            "CardError",
            "ConfigError",
            "DeviceInfo",
            "DirEntry",
            "Disconnected",
            "DataPortUnavailableError",
            "DownloadResult",
            "Event",
            "EventStream",
            "InvalidOperationError",
            "InvalidPathError",
            "InvalidTokenError",
            "LiveView",
            "LocalFileError",
            "MediaInfo",
            "MediaItem",
            "MsgId",
            "NotConnectedError",
            "Notification",
            "Notify",
            "Options",
            "OutcomeUnknownError",
            "Profile",
            "ProfileReport",
            "ProtocolError",
            "Reconnected",
            "Reconnecting",
            "RemoteFileNotFoundError",
            "SessionHeldError",
            "SessionRequested",
            "SettingOutcome",
            "SizeMismatchError",
            "Storage",
            "SyncEntry",
            "SyncReport",
            "TransferCancelledError",
            "TransferError",
            "UnsafeNameError",
            "UnsafeOperationError",
            "UnsupportedError",
            "YicamError",
            "add_camera",
            "config_path",
            "discover",
            "load_cameras",
            "remove_camera",
        ]
    )
    for name in yicam.__all__:
        assert getattr(yicam, name) is not None


def test_only_packages_and_private_modules_besides_init() -> None:
    package = Path(yicam.__file__).parent
    public = sorted(
        p.name for p in package.iterdir() if not p.name.startswith("_") and p.suffix == ".py"
    )
    assert public == []


def test_live_view_is_imported_on_first_use() -> None:
    code = (
        "import sys, yicam; before = 'av' in sys.modules; "
        "view = yicam.LiveView; print(before, 'av' in sys.modules, view.__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True", "LiveView"]
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = yicam.no_such_name


def test_local_conditions_are_not_camera_errors() -> None:
    for local in (
        yicam.NotConnectedError,
        yicam.OutcomeUnknownError,
        yicam.RemoteFileNotFoundError,
        yicam.TransferError,
        yicam.LocalFileError,
        yicam.UnsafeNameError,
    ):
        assert issubclass(local, yicam.YicamError)
        assert not issubclass(local, yicam.CameraError)
    assert issubclass(yicam.NotConnectedError, yicam.CameraConnectionError)
    assert issubclass(yicam.OutcomeUnknownError, yicam.CameraConnectionError)


def test_library_imports_only_the_standard_library() -> None:
    code = (
        "import sys, yicam, yicam.emulator; "
        "bad = [m for m in ('click', 'rich', 'av', 'numpy', 'PySide6', 'yicam.cli') "
        "if m in sys.modules]; print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_unknown_ids_and_codes_pass_through() -> None:
    assert yicam.MsgId.convert(257) is yicam.MsgId.START_SESSION
    assert yicam.MsgId.convert(123456) == 123456
    assert yicam.Notify.convert("new_thing") == "new_thing"
    error = yicam._errors.error_for_rval(-99, 42)
    assert type(error) is yicam.CameraError
    assert (error.rval, error.msg_id) == (-99, 42)


def test_error_tree() -> None:
    assert issubclass(yicam.CameraTimeoutError, TimeoutError)
    assert issubclass(yicam.CameraTimeoutError, yicam.CameraConnectionError)
    for rval, kind in [(-3, yicam.SessionHeldError), (-21, yicam.CameraBusyError)]:
        assert isinstance(yicam._errors.error_for_rval(rval, 1), kind)
    for base in (yicam.CameraError, yicam.ProtocolError, yicam.UnsafeOperationError):
        assert issubclass(base, yicam.YicamError)


@pytest.mark.parametrize("host", ["192.168.42.1", "10.0.0.1", "8.8.8.8"])
def test_tests_cannot_reach_the_network(host: str) -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(RuntimeError, match=r"127\.0\.0\.0/8"),
    ):
        sock.connect((host, 7878))
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
        pytest.raises(RuntimeError, match=r"127\.0\.0\.0/8"),
    ):
        sock.sendto(b"x", (host, 554))


async def test_a_forgotten_host_cannot_reach_the_camera() -> None:
    with pytest.raises(RuntimeError, match=r"127\.0\.0\.0/8"):
        async with yicam.Camera(timeout=1.0):  # default host: 192.168.42.1
            pass
    await asyncio.sleep(0)


def test_cli_defaults_to_loopback_in_tests() -> None:
    assert os.environ["YICAM_HOST"] == "127.0.0.1"


def test_exports_are_imported_on_first_use() -> None:
    assert sorted(yicam._EXPORTS) == sorted(yicam.__all__)
    code = (
        "import sys, yicam; before = 'asyncio' in sys.modules; "
        "camera = yicam.Camera; print(before, 'asyncio' in sys.modules, camera.__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True", "Camera"]
    assert "Camera" in dir(yicam)
