"""The Live out tab: Serve to an FFmpeg viewer, Restream over RTMP, the Yi 4K Live-mode QR code."""

from __future__ import annotations

import io
import socket
import threading
from pathlib import Path
from typing import Any

import av
import zxingcpp
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit

from yicam.emulator import Emulator
from yicam.gui.main_window import MainWindow

from ..agent_helpers import free_port
from ..test_live_out import Viewer, read_rtmp, rtmp_server  # noqa: F401
from .conftest import WAIT, connect, run

LEFT = Qt.MouseButton.LeftButton


def _open_tab(qtbot: Any, window: MainWindow) -> Any:
    connect(qtbot, window)
    window.tabs.setCurrentWidget(window.live_out_panel)
    return window.live_out_panel


def _serve(qtbot: Any, panel: Any) -> int:
    """Click Serve on any free port; the port of the URL shown."""
    panel.port.setValue(0)  # "any free"
    qtbot.mouseClick(panel.serve_button, LEFT)
    ended = ("Stopped", "Cannot")
    qtbot.waitUntil(
        lambda: panel.url.text() != "" or panel.serve_status.text().startswith(ended),
        timeout=WAIT,
    )
    assert panel.url.text().startswith("rtsp://127.0.0.1:"), panel.serve_status.text()
    return int(panel.url.text().rsplit(":", 1)[1].split("/")[0])


def _port_closed(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 2).close()
    except ConnectionRefusedError:
        return True
    return False


def _restream_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "yicam-restream"]


def test_serve_to_a_viewer_then_stop(qtbot: Any, window: MainWindow, emu: Emulator) -> None:
    panel = _open_tab(qtbot, window)
    assert panel.serve_status.text() == "Not serving"
    assert panel.address.currentData() == "127.0.0.1"  # this computer only, unless chosen
    port = _serve(qtbot, panel)
    assert panel.serve_button.text() == "Stop serving"
    assert window.live_panel.toggle.text() == "Stop live view"  # serving started it if off
    assert emu.state.viewfinder
    url = panel.url.text()

    qtbot.mouseClick(panel.copy_button, LEFT)
    assert QApplication.clipboard().text() == url

    viewer = Viewer(url).start()  # as OBS or VLC would open it
    try:
        qtbot.waitUntil(lambda: viewer.count() >= 15, timeout=WAIT)
        qtbot.waitUntil(lambda: panel.serve_status.text().startswith("1 viewer ·"), timeout=WAIT)
        assert "camera" in panel.serve_status.text()
        _key, width, height, _sei = viewer.frames[-1]
        assert (width, height) == (432, 240)

        qtbot.mouseClick(panel.serve_button, LEFT)  # Stop serving
        qtbot.waitUntil(lambda: panel.serve_button.text() == "Serve", timeout=WAIT)
        assert panel.serve_status.text() == "Stopped"
        assert panel.url.text() == ""
        assert not panel.copy_button.isEnabled()
        assert _port_closed(port)
        assert viewer.thread is not None
        viewer.thread.join(WAIT / 1000)  # the viewer saw its stream end
        assert not viewer.thread.is_alive()
    finally:
        viewer.close()
    assert window.live_panel.toggle.text() == "Stop live view"  # the window's own view goes on


def test_restream_to_an_absent_server_reconnects_and_stops(qtbot: Any, window: MainWindow) -> None:
    panel = _open_tab(qtbot, window)
    port = free_port()  # nothing listens there
    qtbot.keyClicks(panel.rtmp_url, f"rtmp://127.0.0.1:{port}/live/SECRET-KEY")
    panel.rtmp_url.clearFocus()
    qtbot.mouseClick(panel.restream_button, LEFT)
    status = panel.restream_status
    qtbot.waitUntil(lambda: "reconnecting" in status.text(), timeout=WAIT)
    qtbot.waitUntil(lambda: "1 reconnect" in status.text(), timeout=WAIT)
    assert status.text().startswith(f"rtmp://127.0.0.1:{port}/… reconnecting")
    assert status.text().endswith("(Connection refused)")
    assert "SECRET" not in status.text()
    assert "SECRET" not in panel.rtmp_url.displayText()  # dots once typed
    assert panel.restream_button.text() == "Stop restreaming"

    qtbot.mouseClick(panel.restream_button, LEFT)  # Stop, while it waits to try again
    qtbot.waitUntil(lambda: panel.restream_button.text() == "Restream", timeout=WAIT)
    assert status.text() == "Stopped"
    assert _restream_threads() == []


def test_a_port_in_use_is_named(qtbot: Any, window: MainWindow) -> None:
    panel = _open_tab(qtbot, window)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        panel.port.setValue(port)
        qtbot.mouseClick(panel.serve_button, LEFT)
        qtbot.waitUntil(lambda: panel.serve_status.text().startswith("Cannot"), timeout=WAIT)
    assert panel.serve_status.text() == f"Cannot serve on port {port}: Address already in use"
    assert panel.serve_button.text() == "Serve"
    assert panel.url.text() == ""


def test_a_url_that_is_not_rtmp_is_refused(qtbot: Any, window: MainWindow) -> None:
    panel = _open_tab(qtbot, window)
    qtbot.keyClicks(panel.rtmp_url, "http://127.0.0.1:1/key")
    qtbot.mouseClick(panel.restream_button, LEFT)
    assert panel.restream_status.text() == "Enter an rtmp:// or rtmps:// URL"
    assert panel.restream_button.text() == "Restream"
    assert window.live_out.restreaming.task is None  # nothing was started


def test_disconnecting_stops_serve_and_restream(
    qtbot: Any,
    window: MainWindow,
    rtmp_server: str,  # noqa: F811 - the fixture imported above
) -> None:
    panel = _open_tab(qtbot, window)
    port = _serve(qtbot, panel)
    url = f"{rtmp_server}/key"
    qtbot.keyClicks(panel.rtmp_url, url)
    qtbot.mouseClick(panel.restream_button, LEFT)
    qtbot.waitUntil(lambda: "streaming ·" in panel.restream_status.text(), timeout=WAIT)
    assert panel.restream_status.text().startswith(f"{rtmp_server.rsplit('/', 1)[0]}/… streaming")
    got = read_rtmp(url, 10)  # what the server passes on: the camera's H.264
    assert got[-1] == ("h264", 432, 240)
    qtbot.waitUntil(lambda: " 0.00 Mbit/s" not in panel.restream_status.text(), timeout=WAIT)
    assert panel.url.text() != ""  # still serving

    qtbot.mouseClick(window.connection_bar.disconnect_button, LEFT)
    qtbot.waitUntil(lambda: panel.serve_button.text() == "Serve", timeout=WAIT)
    qtbot.waitUntil(lambda: panel.restream_button.text() == "Restream", timeout=WAIT)
    assert panel.serve_status.text() == "Stopped: the camera disconnected"
    assert panel.restream_status.text() == "Stopped: the camera disconnected"
    assert not panel.serve_button.isEnabled()  # no camera, nothing to serve
    assert _port_closed(port)
    assert _restream_threads() == []


def test_closing_the_window_stops_serving(qtbot: Any, window: MainWindow) -> None:
    panel = _open_tab(qtbot, window)
    port = _serve(qtbot, panel)
    qtbot.keyClicks(panel.rtmp_url, f"rtmp://127.0.0.1:{free_port()}/live/key")
    qtbot.mouseClick(panel.restream_button, LEFT)
    qtbot.waitUntil(lambda: "reconnecting" in panel.restream_status.text(), timeout=WAIT)

    run(qtbot, window.shutdown())  # what closing the window runs
    assert _port_closed(port)
    assert _restream_threads() == []


# -- the Yi 4K Live-mode QR code ---------------------------------------------------------------


def _read_qr(png: bytes) -> Any:
    container: Any = av.open(io.BytesIO(png))
    with container:
        image = next(container.decode(video=0)).to_ndarray(format="gray")
    (code,) = zxingcpp.read_barcodes(image)
    return code


def test_qr_dialog_shows_and_saves_the_sdks_code(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    panel = window.live_out_panel  # no camera needed: the code is for a Yi 4K elsewhere
    window.tabs.setCurrentWidget(panel)
    qtbot.keyClicks(panel.ssid, "My/Net")
    qtbot.keyClicks(panel.wifi_password, 'se"cret')
    qtbot.keyClicks(panel.qr_url, "rtmp://host/app/key")
    panel.qr_url.clearFocus()
    panel.resolution.setCurrentText("720p")
    panel.rate.setCurrentText("middle")
    panel.duration.setValue(90)  # minutes
    assert panel.wifi_password.echoMode() == QLineEdit.EchoMode.Password
    assert "cret" not in panel.wifi_password.displayText()

    qtbot.mouseClick(panel.qr_button, LEFT)
    dialog = panel.qr_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    shown = dialog.code.pixmap()
    assert shown.width() >= 480
    assert dialog.code.size() == shown.size()  # full size, not scaled
    assert "cret" not in dialog.summary.text()
    assert "key" not in dialog.summary.text()
    assert "720p, rate middle, for 90 min" in dialog.summary.text()

    qtbot.mouseClick(dialog.save_button, LEFT)
    (chooser,) = dialog.findChildren(QFileDialog)
    qtbot.waitUntil(chooser.isVisible, timeout=WAIT)
    assert Path(chooser.directory().absolutePath()) == tmp_path / "downloads"  # the app's folder
    saved = tmp_path / "codes" / "stream"
    saved.parent.mkdir()
    chooser.selectFile(str(saved))  # no suffix typed: .png is added
    chooser.accept()
    path = saved.with_name("stream.png")
    assert dialog.message.text() == f"Saved {path}"
    assert list(saved.parent.iterdir()) == [path]
    code = _read_qr(path.read_bytes())
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    # The SDK's form (rigs.md 3.1): its key order, Android's escaping of `"` and `/`, rate "2".
    assert code.bytes == (
        b'{"ssid":"My\\/Net","pwd":"se\\"cret","res":"720p","rate":"2","dur":"5400",'
        b'"url":"rtmp://host/app/key"}'
    )
    # What is shown is what is saved.
    assert _read_qr(dialog.png).bytes == code.bytes

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: panel.qr_dialog is None, timeout=WAIT)


def test_qr_values_the_camera_cannot_use_are_named(qtbot: Any, window: MainWindow) -> None:
    panel = window.live_out_panel
    qtbot.keyClicks(panel.wifi_password, "secret")
    qtbot.keyClicks(panel.qr_url, "rtmp://host/app/key")
    qtbot.mouseClick(panel.qr_button, LEFT)  # no network name
    assert (
        panel.qr_status.text() == "Cannot make the code: the network name must have 1 to 32 bytes"
    )
    assert panel.qr_dialog is None
    qtbot.keyClicks(panel.ssid, "Net")
    panel.qr_url.setText("http://host/app/key")
    qtbot.mouseClick(panel.qr_button, LEFT)
    assert "rtmp://" in panel.qr_status.text()
    assert "key" not in panel.qr_status.text().replace("rtmp://", "")
    assert panel.qr_dialog is None
