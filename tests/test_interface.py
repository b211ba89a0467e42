"""Tying a camera's sockets to one local interface (`ConnectionSettings.interface`), on
loopback: the Linux device binding, the address binding it falls back to, and the errors.
The lab tests (test_lab_fleet.py) show it choosing between cameras at one address."""

from __future__ import annotations

import errno
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from yicam import Camera, CameraConnectionError
from yicam._session import interface as iface
from yicam.emulator import Emulator

from .wifi_lab import SO_BINDTODEVICE

Start = Callable[..., Any]
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux device names")


def camera_for(emu: Emulator, interface: str) -> Camera:
    return Camera(
        "127.0.0.1", emu.port, data_port=emu.data_port, http_port=emu.http_port, timeout=2.0,
        interface=interface,
    )  # fmt: skip


@linux
async def test_every_transfer_works_through_the_loopback_device(
    start_emulator: Start, tmp_path: Path
) -> None:
    emu = await start_emulator()
    async with camera_for(emu, "lo") as cam:
        photo = await cam.take_photo()
        by_data = await cam.download(photo, tmp_path / "data.jpg", via="data")
        by_http = await cam.download(photo, tmp_path / "http.jpg", via="http")
        thumb = await cam.thumbnail(photo, via="http")
    on_card = (emu.sd / photo.removeprefix("/tmp/fuse_d/")).read_bytes()
    assert by_data.path.read_bytes() == on_card
    assert by_http.path.read_bytes() == on_card
    assert thumb.startswith(b"\xff\xd8")


async def test_an_address_binds_the_socket_to_it(start_emulator: Start) -> None:
    emu = await start_emulator()
    async with camera_for(emu, "127.0.0.1") as cam:
        assert cam.session.local_address == "127.0.0.1"
        assert await cam.get_battery()


@linux
async def test_without_the_privilege_the_address_of_the_interface_is_bound(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = socket.socket.setsockopt

    def refused(self: socket.socket, level: int, option: int, *value: Any) -> None:
        if option == SO_BINDTODEVICE:
            raise OSError(errno.EPERM, "Operation not permitted")
        real(self, level, option, *value)

    monkeypatch.setattr(socket.socket, "setsockopt", refused)
    monkeypatch.setattr(iface, "_warned", set())
    with socket.socket() as sock:
        iface.bind_to_interface(sock, "lo")
        assert sock.getsockname()[0] == "127.0.0.1"
    with socket.socket() as sock:
        iface.bind_to_interface(sock, "lo")
    warnings = [r for r in caplog.records if "CAP_NET_RAW" in r.getMessage()]
    assert len(warnings) == 1  # once per interface


async def test_an_interface_that_is_not_there_is_one_clear_error(start_emulator: Start) -> None:
    emu = await start_emulator()
    with pytest.raises(CameraConnectionError, match="no network interface 'nowhere0'"):
        async with camera_for(emu, "nowhere0"):
            pass
    assert emu.state.received[257] == 0


def test_an_interface_name_is_checked() -> None:
    with pytest.raises(ValueError, match="interface"):
        Camera(interface="")


@linux
def test_a_lost_request_is_sent_again_sooner_where_the_kernel_allows() -> None:
    with socket.socket() as sock:
        iface.resend_sooner(sock)
        try:
            floor = sock.getsockopt(socket.IPPROTO_TCP, iface.TCP_RTO_MIN_US)
        except OSError:
            pytest.skip("this kernel has no TCP_RTO_MIN_US (Linux 6.15+)")
    assert floor <= 2 * iface.CONTROL_RTO_MIN  # in the kernel's ticks; the default is 200 ms
