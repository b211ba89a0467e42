"""The settings panel: every setting, grouped, a drop-down per editable one."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from .setting_labels import label_for
from .settings_model import GROUPS, SettingRow, SettingsModel

__all__ = ["SettingsPanel"]


class SettingsPanel(QWidget):
    """Groups of settings; a refused change reverts its drop-down and says why."""

    def __init__(self, settings: SettingsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = settings
        self.combos: dict[str, QComboBox] = {}
        self.labels: dict[str, QLabel] = {}
        self.reload = QPushButton("Reload")
        self.reload.setObjectName("reloadSettings")
        self.message = QLabel("")
        self.message.setObjectName("settingsMessage")
        self.message.setWordWrap(True)
        self._body = QWidget()
        self._form = QVBoxLayout(self._body)
        self._form.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self._body)
        top = QHBoxLayout()
        top.addWidget(self.reload)
        top.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        self.reload.clicked.connect(settings.reload)
        settings.loaded.connect(self._show)
        settings.applied.connect(self._applied)
        settings.refused.connect(self._refused)
        settings.message.connect(self.message.setText)
        settings.busyChanged.connect(lambda busy: self.reload.setEnabled(not busy))

    def update_availability(self) -> None:
        """Disable the controls without a camera."""
        self._body.setEnabled(self._model.available)
        self.reload.setEnabled(self._model.available)

    def _show(self, rows: list[SettingRow]) -> None:
        while self._form.count():
            item = self._form.takeAt(0)
            if item is not None and (widget := item.widget()) is not None:
                widget.deleteLater()
        self.combos.clear()
        self.labels.clear()
        for group in GROUPS:
            members = [row for row in rows if row.group == group]
            if not members:
                continue
            box = QGroupBox(group)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            for row in members:
                form.addRow(label_for(row.name), self._editor(row))
            self._form.addWidget(box)
        self._form.addStretch(1)
        self.update_availability()

    def _editor(self, row: SettingRow) -> QWidget:
        if not row.editable:
            label = QLabel(row.value)
            label.setObjectName(row.name)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setToolTip(f"{label_for(row.name)} ({row.name}, read-only)")
            self.labels[row.name] = label
            return label
        combo = QComboBox()
        combo.setObjectName(row.name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(12)
        combo.setToolTip(f"{label_for(row.name)} ({row.name})")
        options = list(row.options)
        if row.value not in options:
            options.insert(0, row.value)
        combo.addItems(options)
        combo.setCurrentText(row.value)
        combo.setProperty("value", row.value)
        combo.currentTextChanged.connect(lambda text, name=row.name: self._changed(name, text))
        self.combos[row.name] = combo
        return combo

    def _changed(self, name: str, value: str) -> None:
        combo = self.combos[name]
        if value == combo.property("value"):
            return
        combo.setEnabled(False)
        self.message.setText(f"Setting {label_for(name)}…")
        self._model.apply(name, value)

    def _applied(self, name: str, value: str) -> None:
        combo = self.combos.get(name)
        if combo is not None:
            combo.setProperty("value", value)
            combo.setEnabled(True)

    def _refused(self, name: str, kept: str, reason: str) -> None:
        combo = self.combos.get(name)
        if combo is not None:
            combo.blockSignals(True)
            if combo.findText(kept) < 0:
                combo.addItem(kept)
            combo.setCurrentText(kept)
            combo.setProperty("value", kept)
            combo.blockSignals(False)
            combo.setEnabled(True)
        self.message.setText(f"{label_for(name)} not changed: {reason}")
