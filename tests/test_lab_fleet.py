"""One computer, four access-point cameras: each at 192.168.42.1 in its own network, reached
through its own interface (wlan0..wlan3 of the Wi-Fi lab) by one `Fleet`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from yicam import Camera, Fleet, ReconnectPolicy, ShotReport, YicamError, camera_folder
from yicam.cli.main import cli

from .conftest import wait_until
from .wifi_lab import LabCamera, LinkShape, WifiLab, lab_unavailable

pytestmark = [
    pytest.mark.skipif(lab_unavailable() is not None, reason=str(lab_unavailable())),
    pytest.mark.xdist_group("lab_fleet"),  # one lab for the module, in one worker
]

MODELS = ["yi4k", "yi4k", "yi1", "yi1"]  # two start themselves at a time, two are started
QUICK_RECONNECT = ReconnectPolicy(initial_delay=0.05, max_delay=0.2, probe_interval=None)


def own_file(index: int) -> str:
    """A photo only camera `index`'s card holds."""
    return f"YDXJ09{index}0.jpg"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WifiLab]:
    with WifiLab(
        4, LinkShape(delay=0.002, jitter=0.001), workdir=tmp_path_factory.mktemp("lab")
    ) as lab:
        for camera, model in zip(lab.camera_list, MODELS, strict=True):
            own = camera.sd / "DCIM" / "100MEDIA" / own_file(camera.index)
            own.parent.mkdir(parents=True, exist_ok=True)
            own.write_bytes(b"\xff\xd8camera %d\xff\xd9" % camera.index)  # this card only
            lab.start_emulator(
                camera.index, model=model, rtsp_port=None, time_scale=0.05,
                serial=f"LABCAM{camera.index}",
            )  # fmt: skip
        yield lab


@pytest.fixture
async def fleet(lab: WifiLab) -> AsyncIterator[Fleet]:
    with lab.inside():
        cameras = {
            f"cam{c.index}": Camera(interface=c.interface, timeout=3.0, event_timeout=10.0,
                                    reconnect=QUICK_RECONNECT)
            for c in lab.camera_list
        }  # fmt: skip
        async with Fleet(cameras) as fleet:
            yield fleet


def _card_files(camera: LabCamera, suffix: str) -> set[str]:
    return {p.name for p in (camera.sd / "DCIM").rglob(f"*{suffix}")}


async def test_each_camera_is_reached_through_its_own_interface(lab: WifiLab, fleet: Fleet) -> None:
    info = await fleet.each(lambda _name, cam: cam.device_info())
    assert info.ok, info.summary()
    assert [info[f"cam{i}"].value.serial for i in range(4)] == [  # type: ignore[union-attr]
        f"LABCAM{i}" for i in range(4)
    ]
    assert all(c.host == "192.168.42.1" for c in fleet.cameras.values())


async def test_photo_on_all_four(lab: WifiLab, fleet: Fleet) -> None:
    before = [_card_files(c, ".jpg") for c in lab.camera_list]
    shot = await fleet.take_photo()
    assert shot.ok, shot.summary()
    for camera, had in zip(lab.camera_list, before, strict=True):
        path = shot.values()[f"cam{camera.index}"].path
        assert path is not None
        assert path.rsplit("/", 1)[1] in _card_files(camera, ".jpg") - had


async def test_record_and_sync_each_camera_into_its_own_folder(
    lab: WifiLab, fleet: Fleet, tmp_path: Path
) -> None:
    assert (await fleet.start_recording()).ok
    stopped = await fleet.stop_recording()
    assert stopped.ok, stopped.summary()
    synced = await fleet.sync(tmp_path)
    assert synced.ok, synced.summary()
    for camera in lab.camera_list:
        video = stopped.values()[f"cam{camera.index}"].path
        assert video is not None
        name = video.rsplit("/", 1)[1]
        local = list((tmp_path / camera_folder(f"cam{camera.index}")).rglob(name))
        assert len(local) == 1
        on_card = next((camera.sd / "DCIM").rglob(name))
        assert local[0].read_bytes() == on_card.read_bytes()
        folder = tmp_path / camera_folder(f"cam{camera.index}")
        owned = {p.name for p in folder.rglob("YDXJ09?0.jpg")}
        assert owned == {own_file(camera.index)}  # its own card, through its own interface


async def test_clock_alignment_sets_all_four(fleet: Fleet) -> None:
    aligned = await fleet.sync_clock()
    assert aligned.ok, aligned.summary()
    clocks = await fleet.each(lambda _name, cam: cam.get_setting("camera_clock"))
    readings = [datetime.strptime(v, "%Y-%m-%d %H:%M:%S") for v in clocks.values().values()]
    assert max(readings) - min(readings) <= timedelta(seconds=1)
    assert abs(readings[0] - datetime.now()) < timedelta(seconds=5)


async def test_a_scheduled_start_on_all_four(lab: WifiLab, fleet: Fleet) -> None:
    # Lead enough that a loaded machine still tells the Yi 4Ks after the clock alignment
    # (with under a second left, this computer starts them all).
    at = (datetime.now() + timedelta(seconds=6)).replace(microsecond=0)
    shot = await fleet.start_recording(at=at)
    assert shot.ok, shot.summary()
    triggers = [shot.values()[f"cam{i}"] for i in range(4)]
    assert [t.scheduled for t in triggers] == [True, True, False, False]
    assert all(t.started is not None for t in triggers)
    assert datetime.now() >= at
    assert (await fleet.stop_recording()).ok


async def test_a_camera_whose_link_drops_is_reported_and_comes_back(
    lab: WifiLab, fleet: Fleet
) -> None:
    lab.link_down(2)
    try:
        shot = await fleet.take_photo()
        assert shot.failed == ("cam2",)
        assert shot.succeeded == ("cam0", "cam1", "cam3")
    finally:
        lab.link_up(2)
    shots: list[ShotReport] = []

    async def all_four_shoot() -> bool:  # the reconnect backs off; the link needs a moment
        shots.append(await fleet.take_photo())
        return shots[-1].ok

    await wait_until(all_four_shoot, timeout=30)
    assert shots[-1].values()["cam2"].path is not None


def test_the_cli_reaches_a_camera_through_an_interface(lab: WifiLab) -> None:
    with lab.inside():
        result = CliRunner().invoke(
            cli, ["--json", "--host", "192.168.42.1", "--interface", "wlan3", "info"]
        )
    assert result.exit_code == 0, result.output
    assert '"LABCAM3"' in result.stdout
    with lab.inside():
        missing = CliRunner().invoke(
            cli, ["--host", "192.168.42.1", "--interface", "wlan9", "info"]
        )
    assert missing.exit_code == 1
    assert "no network interface 'wlan9'" in missing.stderr


@pytest.mark.xdist_group("lab_live")
async def test_the_live_view_goes_through_the_cameras_interface(tmp_path: Path) -> None:
    with WifiLab(2, LinkShape(delay=0.001, jitter=0.0), workdir=tmp_path) as lab:
        lab.start_emulator(0, rtsp_port=None)  # no live stream on the first network
        lab.start_emulator(1, rtsp_port=554, time_scale=0.05)
        with lab.inside():
            async with (
                Camera(interface="wlan1", timeout=3.0) as cam,
                cam.live_view(open_timeout=10.0) as live,
            ):
                frame = await anext(live.frames())
            assert frame.width > 0
            async with Camera(interface="wlan0", timeout=3.0) as cam:
                with pytest.raises(YicamError):
                    async with cam.live_view(open_timeout=3.0, retries=0):
                        pass
