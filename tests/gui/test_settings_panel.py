"""The settings panel and the Camera menu against the emulator."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QMessageBox

from yicam.emulator import Emulator
from yicam.gui.main_window import MainWindow

from .conftest import WAIT, connect
from .test_capture_media import _question


def _loaded(qtbot: Any, window: MainWindow) -> None:
    connect(qtbot, window)
    panel = window.settings_panel
    qtbot.waitUntil(lambda: "video_quality" in panel.combos, timeout=WAIT)


def test_settings_are_grouped_with_read_only_ones_shown(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    _loaded(qtbot, window)
    panel = window.settings_panel
    groups = [box.title() for box in panel.findChildren(QGroupBox)]
    assert groups == ["Video", "Photo", "System", "Information"]
    assert panel.labels["sw_version"].text().startswith("YDXJv22")
    assert "sw_version" not in panel.combos
    combo = panel.combos["video_resolution"]
    options = [combo.itemText(i) for i in range(combo.count())]
    assert options == list(emu.state.profile.options["video_resolution"])  # from msg 9
    assert "dev_reboot" not in panel.combos  # an action, in the Camera menu


def _row_labels(panel: Any) -> dict[str, str]:
    """Each editor's object name (the setting's key) and the label a person reads beside it."""
    labels = {}
    for box in panel.findChildren(QGroupBox):
        form = box.layout()
        assert isinstance(form, QFormLayout)
        for row in range(form.rowCount()):
            label_item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field_item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            assert label_item is not None
            assert field_item is not None
            label, field = label_item.widget(), field_item.widget()
            assert isinstance(label, QLabel)
            assert field is not None
            labels[field.objectName()] = label.text()
    return labels


def test_settings_are_labelled_for_people(qtbot: Any, window: MainWindow, emu: Emulator) -> None:
    _loaded(qtbot, window)
    labels = _row_labels(window.settings_panel)
    assert labels["warp_enable"] == "Lens correction"
    assert labels["video_standard"] == "Video standard"
    assert labels["sw_version"] == "Firmware"
    assert not [text for text in labels.values() if "_" in text or text != text.strip()]
    assert "warp_enable" in window.settings_panel.combos["warp_enable"].toolTip()


def test_a_change_reaches_the_camera(qtbot: Any, window: MainWindow, emu: Emulator) -> None:
    _loaded(qtbot, window)
    combo = window.settings_panel.combos["video_quality"]
    combo.setCurrentText("Normal")
    qtbot.waitUntil(lambda: emu.state.settings["video_quality"] == "Normal", timeout=WAIT)
    qtbot.waitUntil(combo.isEnabled, timeout=WAIT)
    assert window.settings_panel.message.text() == "Video quality: Normal"


def test_a_refused_change_reverts_and_says_why(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    _loaded(qtbot, window)
    qtbot.mouseClick(window.capture_panel.record, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: emu.state.recording_since is not None, timeout=WAIT)
    combo = window.settings_panel.combos["video_quality"]
    before = combo.currentText()
    combo.setCurrentText("Fine" if before != "Fine" else "Normal")
    message = window.settings_panel.message
    qtbot.waitUntil(lambda: "not changed" in message.text(), timeout=WAIT)
    assert "recording" in message.text()
    assert combo.currentText() == before
    assert emu.state.settings["video_quality"] == before
    assert combo.isEnabled()


def test_format_asks_naming_the_card_then_erases_it(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    _loaded(qtbot, window)
    (emu.sd / "DCIM/100MEDIA/YDXJ0001.jpg").write_bytes(b"x" * 5000)
    window.media.refresh()
    qtbot.waitUntil(lambda: window.media.items.rowCount() == 1, timeout=WAIT)
    window.camera_menu.format.trigger()
    box = _question(qtbot, window)
    assert "Erase every file on the SD card in Yi 1 at 127.0.0.1" in box.text()
    assert "1 file listed will be lost" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=WAIT)
    assert (emu.sd / "DCIM/100MEDIA/YDXJ0001.jpg").exists()

    window.camera_menu.format.trigger()
    box = _question(qtbot, window)
    (format_button,) = [b for b in box.buttons() if b.text() == "Format"]
    format_button.click()
    qtbot.waitUntil(lambda: window.media.items.rowCount() == 0, timeout=WAIT)
    assert not (emu.sd / "DCIM/100MEDIA/YDXJ0001.jpg").exists()


def test_clock_sync_and_factory_reset_from_the_menu(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    _loaded(qtbot, window)
    emu.state.clock_offset = timedelta(days=-3000)
    window.camera_menu.sync_clock.trigger()
    qtbot.waitUntil(
        lambda: abs(emu.state.now() - datetime.now()) < timedelta(seconds=5), timeout=WAIT
    )

    window.settings_panel.combos["video_quality"].setCurrentText("Normal")
    qtbot.waitUntil(lambda: emu.state.settings["video_quality"] == "Normal", timeout=WAIT)
    window.camera_menu.factory.trigger()
    box = _question(qtbot, window)
    assert "factory settings of Yi 1" in box.text()
    (reset,) = [b for b in box.buttons() if b.text() == "Reset"]
    reset.click()
    qtbot.waitUntil(lambda: emu.state.settings["video_quality"] == "S.Fine", timeout=WAIT)
