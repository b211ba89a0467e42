"""Cameras in station mode in the Wi-Fi lab: set up over their own access points first, then
joined to one network, where discovery finds them by their broadcast answers and each is
reached at its station address."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from yicam import Camera, discover
from yicam._fleet.discovery import _accepts

from .wifi_lab import CAMERA_ADDRESS, LinkShape, WifiLab, lab_unavailable

pytestmark = pytest.mark.skipif(lab_unavailable() is not None, reason=str(lab_unavailable()))

QUICK = LinkShape(delay=0.001, jitter=0.0005)
NAMES = ["left", "middle", "right"]


@pytest.fixture
def cards(tmp_path: Path) -> Iterator[list[Path]]:
    """Three Yi 4K cards with station files, written through each camera's access point."""
    with WifiLab(3, QUICK, workdir=tmp_path / "ap") as lab:
        lab.start_emulators(model="yi4k", rtsp_port=None, time_scale=0.05)
        with lab.inside():
            import asyncio

            async def write_all() -> None:
                for camera, name in zip(lab.camera_list, NAMES, strict=True):
                    # Each camera at 192.168.42.1, through the interface that leads to it.
                    async with Camera(CAMERA_ADDRESS, interface=camera.interface) as cam:
                        await cam.set_station_mode("RigNet", "rig-password", name=name)

            asyncio.run(write_all())
        for camera in lab.camera_list:
            lab.stop_emulator(camera.index)
        yield [camera.sd for camera in lab.camera_list]


@pytest.fixture
def station(cards: list[Path], tmp_path: Path) -> Iterator[WifiLab]:
    """The same cards in cameras that joined one network (the lab's bridge)."""
    with WifiLab(3, QUICK, station=True, workdir=tmp_path / "sta") as lab:
        for camera, card in zip(lab.camera_list, cards, strict=True):
            lab.start_emulator(
                camera.index, sd=str(card), model="yi4k", rtsp_port=None, network_mode=True
            )
        yield lab


async def test_discovery_finds_station_cameras_by_their_answers(station: WifiLab) -> None:
    with station.inside():
        found = await discover(["192.168.42.0/24"], timeout=2.0, seeds=[])  # a loaded machine
    assert [f.host for f in found] == ["192.168.42.101", "192.168.42.102", "192.168.42.103"]
    assert [f.discovery_name for f in found] == NAMES
    assert all(f.model == "Yi 4K" for f in found)


async def test_discovery_stays_inside_the_networks_given(station: WifiLab) -> None:
    with station.inside():
        found = await discover(["192.168.42.100/30"], timeout=2.0, seeds=[])
    # .103 is that network's broadcast address: the camera there answers the datagram
    # sent to it, and is still not taken (nor probed): it is not a host of the network.
    assert [f.host for f in found] == ["192.168.42.101", "192.168.42.102"]


async def test_each_station_camera_is_reached_at_its_station_address(station: WifiLab) -> None:
    with station.inside():
        for camera in station.camera_list:
            async with Camera(camera.address, timeout=5.0) as cam:
                assert cam.session.session_info["rtsp"] == "rtsp://192.168.42.1/live"
                assert cam.rtsp_url == f"rtsp://{camera.address}/live"
                assert (await cam.device_info()).model == "Z16"


async def test_probe_keeps_a_camera_that_answered_while_this_process_stalled(
    tmp_path: Path,
) -> None:
    # The handshake takes two slow round trips (ARP, then SYN); the whole process stalls
    # past the probe's timeout meanwhile (load, a long garbage collection), as in a full
    # make test where all three station cameras were missed at once. The camera answered
    # in time: the probe must not count our own stall as its silence.
    with WifiLab(1, LinkShape(delay=0.1, jitter=0.0), workdir=tmp_path) as lab:
        camera = lab.start_emulators(model="yi4k", rtsp_port=None, time_scale=0.05)[0]
        with lab.inside():
            asyncio.get_running_loop().call_later(0.05, time.sleep, 1.0)
            assert await _accepts(camera.address, camera.ports[0], timeout=0.6)
