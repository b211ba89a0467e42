"""Render the window against an emulated camera to PNG files: `python -m yicam.gui.screenshots DIR`.

Everything shown is real: frames decoded from the emulator's RTSP stream, thumbnails fetched
from its card over the data port, settings and options read with msg 3 and 9. Run it with
`QT_QPA_PLATFORM=offscreen` where there is no display (`make screenshots` does).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from yicam.emulator import Emulator, Faults

from .app import GuiThreadGarbageCollector
from .main_window import MainWindow
from .target import Target

__all__ = ["render", "render_all"]

SIZE = (1280, 800)
PHOTOS = 5
BIG = 24 * 1024 * 1024  # bytes of the clip downloaded while the last screenshot is taken


async def _until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - widget state has no event to wait on
            await asyncio.sleep(0.05)


async def render(folder: Path) -> list[Path]:
    """Write main-window.png, settings.png, downloads.png, live-out.png and live-qr.png."""
    work = Path(tempfile.mkdtemp(prefix="yicam-shots-"))
    async with Emulator(
        "127.0.0.1", 0, data_port=0, http_port=0, rtsp_port=0, time_scale=0.2, sd=work / "sd",
        faults=Faults(slow_data=BIG // 1024 // 4),  # the big clip takes about 4 s
    ) as emu:  # fmt: skip
        target = Target(emu.host, emu.port, emu.data_port, emu.http_port, emu.rtsp_port or 554)
        settings = QSettings(str(work / "yicam.ini"), QSettings.Format.IniFormat)
        settings.setValue("downloads/folder", str(work / "downloads"))
        window = MainWindow(target, settings)
        window.resize(*SIZE)
        window.show()
        try:
            return await _shoot(window, folder, emu.sd / "DCIM/100MEDIA/YDXJ0007.mp4")
        finally:
            await window.shutdown()
            window.close()


async def _shoot(window: MainWindow, folder: Path, big_clip: Path) -> list[Path]:
    window.session.connect_to()
    status = window.statusBar()
    await _until(lambda: window.capture.available and status.battery.text() != "")  # type: ignore[attr-defined]
    for _ in range(PHOTOS):
        window.capture.take_photo()
        await _until(lambda: not window.capture.busy)
    window.capture.toggle_recording()
    await _until(lambda: window.capture.recording and not window.capture.busy)
    await asyncio.sleep(1.0)
    window.capture.toggle_recording()
    await _until(lambda: not window.capture.recording and not window.capture.busy)
    await asyncio.to_thread(big_clip.write_bytes, os.urandom(BIG))  # as if recorded at length
    window.media.refresh()
    media = window.media.items
    await _until(lambda: media.rowCount() == PHOTOS + 2)
    window.live.start()
    view = window.live_panel.view
    await _until(lambda: view.frames_painted > 45 and view.stats is not None)
    await _until(lambda: all(media.has_thumbnail(i.path) for i in media.items))
    window.log.log("screenshot: live view, media grid and settings from the emulator")

    shots = []
    window.tabs.setCurrentWidget(window.media_panel)
    window.media_panel.grid.selectionModel().select(
        window.media.filtered.index(0, 0),
        window.media_panel.grid.selectionModel().SelectionFlag.Select,
    )
    shots.append(await _save(window, folder / "main-window.png"))

    window.tabs.setCurrentWidget(window.settings_panel)
    await _until(lambda: "video_quality" in window.settings_panel.combos)
    shots.append(await _save(window, folder / "settings.png"))

    window.tabs.setCurrentWidget(window.downloads_panel)
    small = [item for item in reversed(media.items) if item.size < BIG]
    window.downloads.enqueue(small)
    await _until(lambda: all(job.state == "done" for job in window.downloads.jobs))
    window.downloads.enqueue([item for item in media.items if item.size == BIG])
    big = window.downloads.jobs[-1]
    await _until(lambda: big.fraction > 0.4 and big.speed > 0)
    shots.append(await _save(window, folder / "downloads.png"))
    return shots + await _shoot_live_out(window, folder)


async def _shoot_live_out(window: MainWindow, folder: Path) -> list[Path]:
    """Serving to one viewer (a second LiveView), restreaming to a server that is not there."""
    from yicam.live import LiveView

    panel = window.live_out_panel
    window.tabs.setCurrentWidget(panel)
    panel.port.setValue(0)
    window.live_out.start_serving("127.0.0.1", 0)
    await _until(lambda: panel.url.text() != "")
    with socket.socket() as probe:  # a free port: nothing answers there
        probe.bind(("127.0.0.1", 0))
        absent = probe.getsockname()[1]
    panel.rtmp_url.setText(f"rtmp://127.0.0.1:{absent}/live/STREAM-KEY")
    panel.restream_button.click()
    panel.ssid.setText("HomeWiFi")
    panel.wifi_password.setText("correct horse")
    panel.qr_url.setText("rtmp://a.rtmp.youtube.com/live2/STREAM-KEY")
    panel.resolution.setCurrentText("720p")
    panel.rate.setCurrentText("middle")
    async with LiveView(panel.url.text()) as viewer:
        await viewer.next_frame()
        await _until(lambda: "1 viewer" in panel.serve_status.text())
        await _until(lambda: "Connection refused" in panel.restream_status.text())
        shots = [await _save(window, folder / "live-out.png")]
    panel.show_qr()
    dialog = panel.qr_dialog
    assert dialog is not None
    await _until(dialog.isVisible)
    shots.append(await _save(dialog, folder / "live-qr.png"))
    dialog.close()
    return shots


async def _save(window: QWidget, path: Path) -> Path:
    await asyncio.sleep(0.3)  # let a few frames paint after the tab switch
    if not window.grab().save(str(path)):
        raise OSError(f"cannot write {path}")
    return path


async def render_all(folder: Path) -> list[Path]:
    """The main window's screenshots, then the rig view's and the camera picker's."""
    from .rig_screenshots import render_picker, render_rig

    return [*await render(folder), await render_rig(folder), await render_picker(folder)]


def main() -> None:
    """Render into the folder given as the only argument (default docs/screenshots)."""
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    QApplication.setQuitOnLastWindowClosed(False)
    collector = GuiThreadGarbageCollector()
    try:
        shots = qasync.run(render_all(folder))
    finally:
        collector.stop()
    del app
    for shot in shots:
        print(shot)


if __name__ == "__main__":
    main()
