"""`LiveOutPanel`: Serve (RTSP for OBS/VLC), Restream (RTMP) and the Yi 4K Live-mode QR code."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtNetwork import QAbstractSocket, QNetworkInterface
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .live_out_model import LiveOutModel
from .prefs import Prefs
from .qr_dialog import QrDialog

if TYPE_CHECKING:
    from yicam.live import LiveRate, LiveResolution, RestreamStatus, ServerStatus

__all__ = ["LiveOutPanel", "serve_addresses"]

DEFAULT_PORT = 8554
_ERRNO = re.compile(r"^\[Errno -?\d+\] ")  # "[Errno 111] Connection refused"


def serve_addresses() -> list[tuple[str, str]]:
    """(label, address) to serve on: this computer only, then each IPv4 network it is on."""
    found = [("This computer only (127.0.0.1)", "127.0.0.1")]
    flags = QNetworkInterface.InterfaceFlag
    for interface in QNetworkInterface.allInterfaces():
        up = interface.flags() & flags.IsUp and interface.flags() & flags.IsRunning
        if not up or interface.flags() & flags.IsLoopBack:
            continue
        for entry in interface.addressEntries():
            ip = entry.ip()
            if ip.protocol() == QAbstractSocket.NetworkLayerProtocol.IPv4Protocol:
                text = ip.toString()
                found.append((f"Network {interface.humanReadableName()} ({text})", text))
    return found


def _label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)  # FFmpeg's messages are not markup
    label.setWordWrap(True)
    return label


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class LiveOutPanel(QScrollArea):
    """Three boxes: Serve, Restream, Live-mode QR code; each with its button and status.

    It scrolls rather than making the window taller than the user wants it.
    """

    def __init__(self, model: LiveOutModel, prefs: Prefs, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("liveOutPanel")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._model = model
        self._prefs = prefs
        self.qr_dialog: QrDialog | None = None
        content = QWidget()
        self.setWidget(content)
        layout = QVBoxLayout(content)
        layout.addWidget(self._serve_box())
        layout.addWidget(self._restream_box())
        layout.addWidget(self._qr_box())
        layout.addStretch(1)
        model.serveChanged.connect(self._show_serve)
        model.restreamChanged.connect(self._show_restream)
        model.availableChanged.connect(self._show_serve)
        model.availableChanged.connect(self._show_restream)
        self._show_serve()
        self._show_restream()

    # -- building --------------------------------------------------------------------------

    def _serve_box(self) -> QGroupBox:
        box = QGroupBox("Serve to OBS, VLC, ffplay (RTSP)")
        self.address = QComboBox()
        self.address.setObjectName("serveAddress")
        for label, address in serve_addresses():
            self.address.addItem(label, address)
        self.port = QSpinBox()
        self.port.setObjectName("servePort")
        self.port.setRange(0, 65535)
        self.port.setSpecialValueText("any free")
        self.port.setValue(DEFAULT_PORT)
        self.serve_button = QPushButton("Serve")
        self.serve_button.setObjectName("serve")
        self.serve_button.clicked.connect(self._toggle_serve)
        self.url = QLineEdit()
        self.url.setObjectName("serveUrl")
        self.url.setReadOnly(True)
        self.url.setPlaceholderText("The address to open in OBS or VLC shows here")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setObjectName("copyServeUrl")
        self.copy_button.clicked.connect(lambda: QApplication.clipboard().setText(self.url.text()))
        self.serve_status = _label()
        self.serve_status.setObjectName("serveStatus")
        row = QHBoxLayout()
        row.addWidget(self.address, 1)
        row.addWidget(QLabel("Port"))
        row.addWidget(self.port)
        row.addWidget(self.serve_button)
        url_row = QHBoxLayout()
        url_row.addWidget(self.url, 1)
        url_row.addWidget(self.copy_button)
        layout = QVBoxLayout(box)
        layout.addLayout(row)
        layout.addLayout(url_row)
        layout.addWidget(self.serve_status)
        return box

    def _restream_box(self) -> QGroupBox:
        box = QGroupBox("Restream to YouTube, Twitch, a server (RTMP)")
        self.rtmp_url = QLineEdit()
        self.rtmp_url.setObjectName("restreamUrl")
        # Readable while typed, dots afterwards: the path holds the stream key.
        self.rtmp_url.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.rtmp_url.setPlaceholderText("rtmp://a.rtmp.youtube.com/live2/STREAM-KEY")
        self.restream_button = QPushButton("Restream")
        self.restream_button.setObjectName("restream")
        self.restream_button.clicked.connect(self._toggle_restream)
        self.rtmp_url.returnPressed.connect(self._toggle_restream)
        self.restream_status = _label()
        self.restream_status.setObjectName("restreamStatus")
        row = QHBoxLayout()
        row.addWidget(self.rtmp_url, 1)
        row.addWidget(self.restream_button)
        layout = QVBoxLayout(box)
        layout.addLayout(row)
        layout.addWidget(self.restream_status)
        return box

    def _qr_box(self) -> QGroupBox:
        box = QGroupBox("Yi 4K Live mode: the camera streams by itself (QR code)")
        self.ssid = QLineEdit()
        self.ssid.setObjectName("qrSsid")
        self.wifi_password = QLineEdit()
        self.wifi_password.setObjectName("qrPassword")
        self.wifi_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.qr_url = QLineEdit()
        self.qr_url.setObjectName("qrUrl")
        self.qr_url.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.qr_url.setPlaceholderText("rtmp://HOST/APP/STREAM-KEY")
        self.resolution = QComboBox()
        self.resolution.setObjectName("qrResolution")
        self.resolution.addItems(["480p", "720p", "1080p"])
        self.resolution.setCurrentText("1080p")
        self.rate = QComboBox()
        self.rate.setObjectName("qrRate")
        self.rate.addItems(["auto", "low", "middle", "high"])
        self.rate.setToolTip("About 0.9, 1.1 and 1.4 Mbit/s at 1080p for low, middle, high")
        self.duration = QSpinBox()
        self.duration.setObjectName("qrDuration")
        self.duration.setRange(0, 24 * 60)
        self.duration.setSuffix(" min")
        self.duration.setSpecialValueText("until stopped")
        self.qr_button = QPushButton("Show QR code…")
        self.qr_button.setObjectName("showLiveQr")
        self.qr_button.clicked.connect(self.show_qr)
        self.qr_status = _label()
        self.qr_status.setObjectName("qrStatus")
        form = QFormLayout()
        form.addRow("Wi-Fi network", self.ssid)
        form.addRow("Wi-Fi password", self.wifi_password)
        form.addRow("RTMP URL", self.qr_url)
        settings = QHBoxLayout()
        settings.addWidget(self.resolution)
        settings.addWidget(self.rate)
        settings.addWidget(self.duration)
        settings.addStretch(1)
        form.addRow("Size, rate, length", settings)
        row = QHBoxLayout()
        row.addWidget(self.qr_status, 1)
        row.addWidget(self.qr_button)
        layout = QVBoxLayout(box)
        layout.addLayout(form)
        layout.addLayout(row)
        return box

    # -- actions ---------------------------------------------------------------------------

    def _toggle_serve(self) -> None:
        if self._model.serving.state == "off":
            self._model.start_serving(str(self.address.currentData()), self.port.value())
        else:
            self._model.stop_serving()

    def _toggle_restream(self) -> None:
        if self._model.restreaming.state == "off":
            # Entry is over: dots from now on, even if the field kept the focus.
            self.rtmp_url.setEchoMode(QLineEdit.EchoMode.Password)
            self.rtmp_url.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
            self._model.start_restreaming(self.rtmp_url.text())
        else:
            self._model.stop_restreaming()

    def show_qr(self) -> None:
        """Make the code from the fields and show it full size (or say what is wrong)."""
        from yicam.live import live_qr_payload, live_qr_png

        resolution: LiveResolution = self.resolution.currentText()  # type: ignore[assignment]
        rate: LiveRate = self.rate.currentText()  # type: ignore[assignment]
        seconds = self.duration.value() * 60
        try:
            payload = live_qr_payload(
                self.ssid.text(), self.wifi_password.text(), self.qr_url.text().strip(),
                resolution=resolution, rate=rate, duration=seconds,
            )  # fmt: skip
            png = live_qr_png(payload)
        except ValueError as exc:  # its text never holds the password or the URL
            self.qr_status.setText(f"Cannot make the code: {exc}")
            return
        self.qr_status.setText("")
        length = "until stopped" if seconds == 0 else f"for {seconds // 60} min"
        summary = (
            f"{resolution}, rate {rate}, {length}. On the Yi 4K, choose Live mode (after the "
            "shooting modes) and hold the camera in front of this code."
        )
        if self.qr_dialog is not None:
            self.qr_dialog.close()
        self.qr_dialog = QrDialog(png, summary, self._prefs.existing_folder(), self)
        self.qr_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.qr_dialog.destroyed.connect(self._forget_dialog)
        self.qr_dialog.open()

    def _forget_dialog(self, *_args: object) -> None:
        self.qr_dialog = None

    # -- showing ---------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        model = self._model
        serving = model.serving.state != "off"
        self.serve_button.setText("Stop serving" if serving else "Serve")
        self.serve_button.setEnabled(serving or model.available)
        self.address.setEnabled(not serving)
        self.port.setEnabled(not serving)
        restreaming = model.restreaming.state != "off"
        self.restream_button.setText("Stop restreaming" if restreaming else "Restream")
        self.restream_button.setEnabled(restreaming or model.available)
        self.rtmp_url.setReadOnly(restreaming)
        self.copy_button.setEnabled(bool(self.url.text()))

    def _show_serve(self, *_args: object) -> None:
        out = self._model.serving
        status: ServerStatus | None = out.status if out.state == "on" else None
        self.url.setText(status.url if status is not None else "")
        text = out.message
        if status is not None:
            camera = f"camera {status.fps:.0f} fps" if status.fps else "camera reconnecting"
            figures = f"{_plural(status.viewers, 'viewer')} · {camera}"
            figures += f" · {_plural(status.reconnects, 'reconnect')}"
            text = f"{figures} · {out.message}" if out.message else figures
        elif out.state == "off" and not text:
            text = "Not serving" if self._model.available else "Not connected"
        self.serve_status.setText(text)
        self._update_buttons()

    def _show_restream(self, *_args: object) -> None:
        out = self._model.restreaming
        status: RestreamStatus | None = out.status if out.state == "on" else None
        text = out.message
        if status is not None:
            text = _restream_line(status)
        elif out.state == "off" and not text:
            text = "Not restreaming" if self._model.available else "Not connected"
        self.restream_status.setText(text)
        self._update_buttons()


def _restream_line(status: Any) -> str:
    """`rtmp://host/… streaming · 1.21 Mbit/s · 0 dropped · 0 reconnects (why)`."""
    line = (
        f"{status.target} {status.state} · {status.bitrate / 1e6:.2f} Mbit/s"
        f" · {status.dropped} dropped · {_plural(status.reconnects, 'reconnect')}"
    )
    if status.error and status.state != "streaming":
        line += f" ({_ERRNO.sub('', status.error)})"
    return line
