"""The client against an emulated camera that splits, glues, delays and drops."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from yicam import Camera, CameraConnectionError, Disconnected
from yicam.emulator import Faults, parse_faults


async def workflow(cam: Camera) -> tuple[object, ...]:
    """A session that touches every kind of reply and notification."""
    settings = await cam.get_settings()
    options = await cam.get_options("video_resolution")
    battery = await cam.get_battery()
    photo = await cam.take_photo()
    await cam.start_recording()
    video = await cam.stop_recording()
    await cam.start_viewfinder()  # -21 recovery after recording on a Yi 1
    listing = await cam.list_dir("/tmp/fuse_d/DCIM/100MEDIA")
    names = sorted(entry.name for entry in listing)
    return len(settings), options.options, battery, photo, video, names


@pytest.mark.parametrize(
    "faults",
    [
        Faults(split=True, seed=1),
        Faults(split=True, seed=2),
        Faults(glue=True),
        Faults(split=True, glue=True, seed=3),
        Faults(delay=0.05),
    ],
    ids=["split-1", "split-2", "glue", "split+glue", "delay"],
)
async def test_faults_that_a_client_must_absorb(
    start_emulator: Callable[..., Any], faults: Faults
) -> None:
    clean = await start_emulator()
    faulty = await start_emulator(faults=faults)
    async with Camera("127.0.0.1", clean.port, timeout=3.0) as cam:
        expected = await workflow(cam)
    async with Camera("127.0.0.1", faulty.port, timeout=3.0) as cam:
        assert await workflow(cam) == expected


async def hammer(cam: Camera) -> None:
    """Connect and keep asking until the connection fails."""
    await cam.connect()
    for _ in range(200):
        await cam.get_settings()


@pytest.mark.parametrize("seed", range(8))
async def test_dropped_connection_fails_cleanly(
    start_emulator: Callable[..., Any], seed: int
) -> None:
    emu = await start_emulator(faults=Faults(drop=True, seed=seed))
    events: list[object] = []
    cam = Camera("127.0.0.1", emu.port, timeout=3.0)
    cam.subscribe(events.append)
    try:
        with pytest.raises(CameraConnectionError):
            await hammer(cam)
    finally:
        await cam.close()
    assert isinstance(events[-1], Disconnected)
    assert not cam.connected


async def bytes_before_the_drop(port: int) -> int:
    """Open a control connection, ask far more than 4000 bytes of replies, count what comes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    asks = [{"msg_id": 257, "token": 0}] + [{"msg_id": 1, "token": 0}] * 400
    writer.write(b"".join(json.dumps(ask).encode() for ask in asks))
    async with asyncio.timeout(10):
        received = len(await reader.read())  # until the camera hangs up
    writer.close()
    await writer.wait_closed()
    return received


async def test_a_seeded_drop_cuts_each_connection_elsewhere_and_repeats(
    start_emulator: Callable[..., Any],
) -> None:
    """Reconnecting to a seeded `drop` gets further than the last cut, and the run repeats."""
    runs = []
    for _ in range(2):
        emu = await start_emulator(faults=Faults(drop=True, seed=4))
        runs.append([await bytes_before_the_drop(emu.port) for _ in range(4)])
    assert runs[0] == runs[1]
    assert len(set(runs[0])) == 4


def test_parse_faults() -> None:
    specs = ["split", "glue", "delay=250", "drop", "drop-data=0.5", "slow-data=64", "rtp-loss=0.1"]
    assert parse_faults(specs, 7) == Faults(
        split=True,
        glue=True,
        delay=0.25,
        drop=True,
        drop_data=0.5,
        slow_data=64,
        rtp_loss=0.1,
        seed=7,
    )


@pytest.mark.parametrize("spec", ["explode", "delay", "delay=soon", "split=1", "drop-data=x"])
def test_parse_faults_rejects_nonsense(spec: str) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        parse_faults([spec])


def test_seeded_faults_repeat() -> None:
    first, second = Faults(seed=5).rng(), Faults(seed=5).rng()
    assert [first.random() for _ in range(5)] == [second.random() for _ in range(5)]
