"""The embedded live view: the newest frame, an overlay with fps/dropped/latency, controls."""

from __future__ import annotations

import statistics
import time
from collections import deque
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from .live_model import LiveImage, LiveModel

if TYPE_CHECKING:
    from yicam.live import LiveStats

__all__ = ["LivePanel", "LiveWidget"]

STALL_AFTER = 1.5  # seconds without a new frame before the picture is called frozen
FPS_WINDOW = 2.0  # seconds of painted frames the fps figure counts


def clock(seconds: float) -> str:
    """Seconds as `MM:SS`."""
    whole = int(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"


class LiveWidget(QWidget):
    """Paints the newest frame, scaled to fit; frames that arrive between paints are skipped."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("liveView")
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # where the window's focus rests
        self._latest: LiveImage | None = None
        self._painted_index = -1
        self.frames_painted = 0
        # Capture-to-paint latency (seconds) of painted frames that carry a capture time.
        self.paint_latencies: deque[float] = deque(maxlen=600)
        self._painted_at: deque[float] = deque(maxlen=600)  # when each new frame was painted
        self._last_new = time.monotonic()  # when the newest frame arrived
        self.stats: LiveStats | None = None
        self.placeholder = "Live view off"
        self.recording_clip = False
        self.clip_seconds = 0.0

    def sizeHint(self) -> QSize:
        """16:9 at a comfortable size."""
        return QSize(768, 432)

    def show_frame(self, live: LiveImage) -> None:
        """Keep `live` as the frame to paint next."""
        self._latest = live
        self._last_new = time.monotonic()
        self.update()

    def clear(self) -> None:
        """Forget the last frame (the live view stopped)."""
        self._latest = None
        self.stats = None
        self._painted_at.clear()
        self.update()

    @property
    def painted_fps(self) -> float:
        """New frames painted per second over the last `FPS_WINDOW` seconds."""
        now = time.monotonic()
        while self._painted_at and now - self._painted_at[0] > FPS_WINDOW:
            self._painted_at.popleft()
        return len(self._painted_at) / FPS_WINDOW

    @property
    def stalled_for(self) -> float:
        """Seconds since the last new frame, once past `STALL_AFTER` while showing one (else 0)."""
        if self._latest is None:
            return 0.0
        quiet = time.monotonic() - self._last_new
        return quiet if quiet >= STALL_AFTER else 0.0

    def overlay_text(self) -> str:
        """What the corner of the picture says."""
        stats = self.stats
        parts = []
        if stats is not None:
            parts.append(f"{self.painted_fps:.1f} fps")
            parts.append(f"{stats.dropped} dropped")
            if stats.latency_median is not None and not self.stalled_for:
                parts.append(f"{stats.latency_median * 1000:.0f} ms")
        if self.recording_clip:
            parts.append(f"● REC {clock(self.clip_seconds)}")
        return "  ·  ".join(parts)

    def paint_latency_median(self) -> float | None:
        """Median capture-to-paint latency in seconds, when the stream carries capture times."""
        return statistics.median(self.paint_latencies) if self.paint_latencies else None

    def paintEvent(self, event: QPaintEvent) -> None:
        """Frame, then overlay."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(16, 16, 16))
        latest = self._latest
        if latest is None:
            painter.setPen(QColor(170, 170, 170))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
            painter.end()
            return
        image = latest.image
        target = _fit(image.width(), image.height(), self.rect())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, image)
        self._overlay(painter)
        if stalled := self.stalled_for:
            self._stall_notice(painter, target, stalled)
        painter.end()
        frame = latest.frame
        if frame.index != self._painted_index:
            self._painted_index = frame.index
            self.frames_painted += 1
            self._painted_at.append(time.monotonic())
            if frame.captured_at is not None:
                self.paint_latencies.append(time.time() - frame.captured_at)

    def _stall_notice(self, painter: QPainter, area: QRect, seconds: float) -> None:
        painter.fillRect(area, QColor(0, 0, 0, 110))  # the picture greyed: it is an old one
        painter.setFont(QFont(self.font().family(), 16, QFont.Weight.Bold))
        painter.setPen(QColor(255, 210, 80))
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter, f"No picture for {seconds:.0f} s")

    def _overlay(self, painter: QPainter) -> None:
        text = self.overlay_text()
        if not text:
            return
        painter.setFont(QFont(self.font().family(), 9))
        metrics = painter.fontMetrics()
        box = QRectF(8, 8, metrics.horizontalAdvance(text) + 16, metrics.height() + 8)
        painter.fillRect(box, QColor(0, 0, 0, 150))
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


def _fit(width: int, height: int, area: QRect) -> QRect:
    """The largest rectangle of the image's aspect ratio centred in `area`."""
    if width <= 0 or height <= 0:
        return area
    scale = min(area.width() / width, area.height() / height)
    w, h = int(width * scale), int(height * scale)
    return QRect(area.x() + (area.width() - w) // 2, area.y() + (area.height() - h) // 2, w, h)


class LivePanel(QWidget):
    """Live view plus Start/Stop, Snapshot and Record clip."""

    def __init__(self, live: LiveModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._live = live
        self.view = LiveWidget()
        self.toggle = QPushButton("Start live view")
        self.toggle.setObjectName("liveToggle")
        self.snapshot = QPushButton("Snapshot")
        self.snapshot.setObjectName("snapshot")
        self.snapshot.setToolTip("Save the current frame as a JPEG in the download folder")
        self.clip = QPushButton("Record clip")
        self.clip.setObjectName("recordClip")
        self.clip.setToolTip("Record the stream to an MP4 in the download folder until Stop")
        self.message = QLabel("")
        self.message.setObjectName("liveMessage")
        self.message.setWordWrap(True)
        self.controls = QWidget()  # everything but the picture (hidden in full screen)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.toggle)
        row.addWidget(self.snapshot)
        row.addWidget(self.clip)
        row.addStretch(1)
        controls = QVBoxLayout(self.controls)
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addLayout(row)
        controls.addWidget(self.message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.controls)
        self.toggle.clicked.connect(live.toggle)
        self.snapshot.clicked.connect(live.snapshot)
        self.clip.clicked.connect(live.toggle_clip)
        live.frameReady.connect(self.view.show_frame)
        live.statsChanged.connect(self._show_stats)
        live.runningChanged.connect(self._update)
        live.recordingChanged.connect(self._update)
        live.clipElapsed.connect(self._show_clip_time)
        live.message.connect(self.message.setText)
        self._ticker = QTimer(self)
        self._ticker.timeout.connect(self.view.update)
        self._update()

    def update_availability(self) -> None:
        """Re-read whether a camera is there."""
        self._update()

    def _show_stats(self, stats: LiveStats) -> None:
        self.view.stats = stats

    def _show_clip_time(self, seconds: float) -> None:
        self.view.clip_seconds = seconds
        self.clip.setText(f"Stop clip ({clock(seconds)})")

    def _update(self, *_args: object) -> None:
        live = self._live
        self.toggle.setEnabled(live.available or live.running)
        self.toggle.setToolTip(live.unavailable)
        self.toggle.setText("Stop live view" if live.running else "Start live view")
        self.snapshot.setEnabled(live.running)
        self.clip.setEnabled(live.running or live.clip_recording)
        if live.clip_recording != self.view.recording_clip:
            self.view.recording_clip = live.clip_recording
            self.view.clip_seconds = 0.0
            self.clip.setText("Stop clip (00:00)" if live.clip_recording else "Record clip")
        if live.running:
            self._ticker.start(500)  # the overlay's figures change with no frame coming in
        else:
            self._ticker.stop()
            self.view.clear()
            self.view.placeholder = (
                "Live view off: press Start live view"
                if live.available
                else live.unavailable or "Not connected"
            )
