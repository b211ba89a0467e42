"""The Wi-Fi lab itself (tests/wifi_lab.py): cameras at 192.168.42.1 behind their own links,
reachable only from the lab's namespace, through the interface that leads to each, and gone
afterwards."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from yicam import Camera

from .raw_client import RawClient
from .wifi_lab import CAMERA_ADDRESS, PREFIX, SO_BINDTODEVICE, LinkShape, WifiLab, lab_unavailable

pytestmark = pytest.mark.skipif(lab_unavailable() is not None, reason=str(lab_unavailable()))

QUICK = LinkShape(delay=0.001, jitter=0.0005)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[WifiLab]:
    with WifiLab(2, QUICK, workdir=tmp_path) as lab:
        for camera in lab.camera_list:  # tell the cards apart
            (camera.sd / f"CARD{camera.index}").mkdir()
        lab.start_emulators(rtsp_port=None, time_scale=0.05)
        yield lab


async def _card_root(interface: str | None) -> list[str]:
    """The card's top folder, read over a control connection bound to `interface`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if interface is not None:
        sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, interface.encode())
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, (CAMERA_ADDRESS, 7878))
    except BaseException:
        sock.close()
        raise
    client = RawClient(7878, CAMERA_ADDRESS)
    client._reader, client._writer = await asyncio.open_connection(sock=sock)
    client.token = int((await client.call(257, token=0)).param)
    listing = await client.call(1282, param="/tmp/fuse_d/")
    client.hang_up()
    return [next(iter(entry)).rstrip("/") for entry in listing.fields["listing"]]


async def test_each_interface_reaches_its_own_camera_at_the_same_address(lab: WifiLab) -> None:
    with lab.inside():
        first = await _card_root("wlan0")
        second = await _card_root("wlan1")
    assert "CARD0" in first
    assert "CARD1" not in first
    assert "CARD1" in second
    assert "CARD0" not in second


async def test_the_library_reaches_a_lab_camera_from_inside(lab: WifiLab) -> None:
    with lab.inside():
        async with Camera(timeout=5.0) as cam:  # the default 192.168.42.1, as a user would
            names = [entry.name for entry in await cam.list_dir("/tmp/fuse_d/")]
    assert "CARD0" in names  # the system's route: the first interface


def test_the_guard_refuses_the_lab_address_outside_the_lab_and_through_other_interfaces(
    lab: WifiLab,
) -> None:
    with socket.socket() as sock, pytest.raises(RuntimeError, match=r"127\.0\.0\.0/8"):
        sock.connect((CAMERA_ADDRESS, 7878))  # from the worker's own namespace
    with lab.inside(), socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, b"lo")
        with pytest.raises(RuntimeError, match=r"127\.0\.0\.0/8"):
            sock.connect((CAMERA_ADDRESS, 7878))
    with lab.inside(), socket.socket() as sock, pytest.raises(RuntimeError):
        sock.connect(("192.168.43.1", 7878))  # only the lab's own network


async def test_a_link_that_loses_everything_reaches_nothing(tmp_path: Path) -> None:
    shapes = [QUICK, LinkShape(delay=0.001, jitter=0.0, loss=1.0)]
    with WifiLab(2, shapes=shapes, workdir=tmp_path) as lab:
        lab.start_emulators(rtsp_port=None)
        with lab.inside():
            assert await _card_root("wlan0")
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(1.0):
                    await _card_root("wlan1")


def test_everything_is_removed_afterwards_also_after_a_failure(tmp_path: Path) -> None:
    made: list[str] = []
    processes: list[subprocess.Popen[str] | None] = []

    def failing_test() -> None:
        with WifiLab(2, QUICK, workdir=tmp_path) as lab:
            cameras = lab.start_emulators(rtsp_port=None)
            made.extend(lab.namespaces)
            processes.extend(camera.process for camera in cameras)
            raise ZeroDivisionError  # the test fails inside the lab

    with pytest.raises(ZeroDivisionError):
        failing_test()
    assert len(made) >= 3  # the test's own and one per camera
    assert all(name.startswith(PREFIX) for name in made)
    assert not [name for name in made if (Path("/run/netns") / name).exists()]
    assert all(p is not None and p.poll() is not None for p in processes)
    with socket.socket() as sock, pytest.raises(RuntimeError):
        sock.connect((CAMERA_ADDRESS, 7878))  # the guard no longer lets it through
