"""`RigTile`: one camera of the rig view: its picture, figures, and what went wrong on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from .live_panel import LiveWidget, clock
from .rig_camera import RigCamera, TileState, TileStatus
from .status_bar import human_size

if TYPE_CHECKING:
    from yicam.live import LiveStats

__all__ = ["RigTile", "figures"]

_STATE = {
    TileState.CONNECTING: ("Connecting…", "#8a8a8a"),
    TileState.CONNECTED: ("Connected", "#2e7d32"),
    TileState.AWAY: ("Not reachable", "#c62828"),
}


def figures(status: TileStatus) -> str:
    """Battery, card, and the mode or the recording time, in one line."""
    parts = []
    if status.battery is not None:
        power = " (charging)" if status.battery.on_adapter and status.battery.level < 100 else ""
        parts.append(f"Battery {status.battery.level}%{power}")
    if status.storage is not None:
        parts.append(f"Card {human_size(status.storage.free)} free")
    elif status.card_problem:
        parts.append(status.card_problem)
    if status.recording:  # the mode matters again once it stops
        parts.append(f"● REC {clock(status.record_seconds or 0)}")
    elif status.mode:
        parts.append(status.mode)
    return "  ·  ".join(parts)


class RigTile(QFrame):
    """A camera's tile: name and state, live picture, figures, a red line for a failure."""

    def __init__(self, camera: RigCamera, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.camera = camera
        self.setObjectName(f"tile-{camera.name}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(camera.name)
        self.title.setObjectName("tileName")
        self.title.setStyleSheet("font-weight: bold;")
        self.address = QLabel(camera.address)
        self.address.setStyleSheet("color: #777;")
        self.state = QLabel()
        self.state.setObjectName("tileState")
        self.view = LiveWidget()
        self.view.setMinimumSize(240, 135)
        self.figures = QLabel()
        self.figures.setObjectName("tileFigures")
        self.problem = QLabel()
        self.problem.setObjectName("tileProblem")
        self.problem.setStyleSheet("color: #c62828;")
        self.problem.setWordWrap(True)
        self.note = QLabel()
        self.note.setObjectName("tileNote")
        self.note.setStyleSheet("color: #555;")
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addWidget(self.address)
        header.addStretch(1)
        header.addWidget(self.state)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(3)
        layout.addLayout(header)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.figures)
        layout.addWidget(self.problem)
        layout.addWidget(self.note)
        self._away: bool | None = None
        camera.frameReady.connect(self.view.show_frame)
        camera.statsChanged.connect(self._show_stats)
        camera.statusChanged.connect(self.show_status)
        self.show_status(camera.status)

    def show_status(self, status: TileStatus) -> None:
        """Show the camera's figures and problems."""
        text, colour = _STATE[status.state]
        if status.model and status.state == TileState.CONNECTED:
            text = f"{status.model} · {text}"
        self.state.setText(f"<span style='color:{colour}'>●</span> {text}")
        self.figures.setText(figures(status))
        self.figures.setEnabled(status.state == TileState.CONNECTED)
        problems = [p for p in (status.connection, status.problem) if p]
        self.problem.setText("\n".join(problems))
        self.problem.setVisible(bool(problems))
        self.problem.setToolTip(status.detail)
        self.note.setText(status.note)
        self.note.setToolTip(status.note)
        away = status.state != TileState.CONNECTED
        if away != self._away:  # a new style sheet re-polishes the whole tile: only on change
            self._away = away
            self.setStyleSheet(
                f"#{self.objectName()} {{ border: 2px solid {'#c62828' if away else '#bbb'}; "
                "border-radius: 4px; }"
            )
        if away or status.live:
            self.view.clear()
            self.view.placeholder = (
                status.connection or "Connecting…" if away else status.live or "Starting…"
            )

    def _show_stats(self, stats: LiveStats) -> None:
        self.view.stats = stats
        self.view.update()  # twice a second even when no frame comes: a frozen picture shows
