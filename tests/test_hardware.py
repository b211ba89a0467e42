"""Read-only checks that are safe on a real camera: `pytest --camera-host 192.168.42.1`.

Without the option they run against the emulator like every other test; with it, only
these run (nothing is written, deleted, recorded or changed on the camera).
"""

from __future__ import annotations

import pytest

from yicam import Camera, Notification, Notify

pytestmark = pytest.mark.hardware

DCIM = "DCIM"


async def test_session_opens_twice_and_names_the_model(target: Camera) -> None:
    async with target as cam:
        info = await cam.device_info()
        assert cam.model_name == info.name
        assert cam.model_name != ""
    async with target as cam:  # a closed Camera opens again
        assert cam.connected


async def test_status_reads(target: Camera) -> None:
    async with target as cam:
        state = await cam.refresh()
        assert state.battery is not None
        assert 0 <= state.battery.level <= 100
        assert state.settings
        if state.storage is not None:
            assert 0 <= state.storage.free <= state.storage.total


async def test_options_of_a_setting(target: Camera) -> None:
    async with target as cam:
        settings = await cam.get_settings()
        name = next(n for n in ("video_resolution", "Resolution") if n in settings)
        options = await cam.get_options(name)
        assert settings[name] in options.options or not options.options


async def test_media_listing(target: Camera) -> None:
    async with target as cam:
        root = f"{cam.quirks.card_root}/{DCIM}"
        folders = [entry for entry in await cam.list_dir(root) if entry.is_dir]
        for item in await cam.list_media():
            assert item.path.startswith(root)
        assert all(folder.name for folder in folders)


async def test_events_arrive_after_the_viewfinder_starts(target: Camera) -> None:
    async with target as cam:
        with cam.session.expect(Notify.VF_START) as started:
            await cam.start_viewfinder()
            note = await started.wait()
        assert isinstance(note, Notification)
        await cam.stop_viewfinder()
