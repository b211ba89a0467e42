"""`CameraPicker`: choose a camera (named, found, or typed as HOST:PORT), name it, open a rig.

The dialog emits what was chosen; `CamerasMenu` connects the main window to it and owns the
rig windows opened from there.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .jobs import Jobs
from .picker_model import PickerEntry, PickerModel, parse_networks
from .rig_model import Member
from .target import Target

__all__ = ["CameraPicker"]

_COLUMNS = ("Name", "Address", "Model", "Serial", "")


class CameraPicker(QDialog):
    """The camera list with Find cameras, the Camera field, Save as, Connect and Open rig view.

    `connectTo(text)` asks the window to connect to a name or HOST[:PORT];
    `openRig(members)` to open the rig view of the chosen cameras.
    """

    connectTo = Signal(str)
    openRig = Signal(object)  # list[Member]

    def __init__(self, base: Target, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Cameras")
        self.model = PickerModel(base, self)
        self._jobs = Jobs()

        self.list = QTreeWidget()
        self.list.setObjectName("cameraList")
        self.list.setHeaderLabels(list(_COLUMNS))
        self.list.setRootIsDecorated(False)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.list.header().setStretchLastSection(True)
        self.find_button = QPushButton("Find cameras")
        self.find_button.setObjectName("findCameras")
        self.find_button.setToolTip(
            "Look for cameras in this computer's networks (or those typed): a TCP probe of the "
            "control port, then the camera's identity"
        )
        self.networks = QLineEdit()
        self.networks.setObjectName("networks")
        self.networks.setPlaceholderText("this computer's networks, or e.g. 192.168.1.0/24")
        self.address = QLineEdit()
        self.address.setObjectName("pickerAddress")
        self.address.setPlaceholderText("a name, 192.168.42.1 or HOST:PORT")
        self.name = QLineEdit()
        self.name.setObjectName("saveName")
        self.name.setPlaceholderText("e.g. left")
        self.save = QPushButton("Save")
        self.save.setObjectName("saveCamera")
        self.save.setToolTip("Add the camera to the named cameras (`yicam cameras`)")
        self.message = QLabel()
        self.message.setObjectName("pickerMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.rig = QPushButton("Open rig view")
        self.rig.setObjectName("openRig")
        self.rig.setToolTip("Every selected camera (or every one listed) in one window")
        self.connect_button = QPushButton("Connect")
        self.connect_button.setObjectName("pickerConnect")
        self.connect_button.setDefault(True)
        close = QPushButton("Close")

        search = QHBoxLayout()
        search.addWidget(self.find_button)
        search.addWidget(QLabel("in"))
        search.addWidget(self.networks, 1)
        form = QGridLayout()
        form.addWidget(QLabel("Camera:"), 0, 0)
        form.addWidget(self.address, 0, 1)
        form.addWidget(QLabel("Save as:"), 0, 2)
        form.addWidget(self.name, 0, 3)
        form.addWidget(self.save, 0, 4)
        form.setColumnStretch(1, 2)
        form.setColumnStretch(3, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.rig, self.connect_button, close):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(search)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

        self.find_button.clicked.connect(self._find_or_stop)
        self.networks.returnPressed.connect(self._find_or_stop)
        self.save.clicked.connect(self._save)
        self.name.returnPressed.connect(self._save)
        self.connect_button.clicked.connect(self._connect)
        self.rig.clicked.connect(self._open_rig)
        close.clicked.connect(self.close)
        self.list.itemSelectionChanged.connect(self._selected)
        self.list.itemDoubleClicked.connect(lambda *_: self._connect())
        self.model.entriesChanged.connect(self._show_entries)
        self.model.searchingChanged.connect(self._show_searching)
        self.model.message.connect(self.message.setText)
        self.resize(720, 420)
        self.model.reload()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing stops a search."""
        self.model.cancel_find()
        super().closeEvent(event)

    async def aclose(self) -> None:
        """Stop the search."""
        await self.model.aclose()

    # -- slots -----------------------------------------------------------------------------

    def _find_or_stop(self) -> None:
        if self.model.searching:
            self.model.cancel_find()
        else:
            self.model.find(parse_networks(self.networks.text()))

    def _save(self) -> None:
        text = self.address.text().strip()
        entry = self._entry_for(text)
        if not text or not self.name.text().strip():
            self.message.setText("Type the camera's address (or pick one) and a name first")
            return
        target = entry.target if entry else self.model.target_for(text)
        if self.model.save(self.name.text(), target, entry):
            self.address.setText(self.name.text().strip())
            self.name.clear()

    def _connect(self) -> None:
        text = self.address.text().strip()
        if not text:
            self.message.setText("Pick a camera, or type its address")
            return
        self.connectTo.emit(text)
        self.accept()

    def _open_rig(self) -> None:
        entries = self._selected_entries() or self.model.entries
        if not entries:
            self.message.setText("No cameras to show: find some, or save one under a name")
            return
        members: list[Member] = [(e.label, e.target) for e in entries]
        self.openRig.emit(members)
        self.accept()

    def _selected(self) -> None:
        chosen = self._selected_entries()
        if len(chosen) == 1:
            self.address.setText(chosen[0].label)

    # -- views -----------------------------------------------------------------------------

    def _show_entries(self) -> None:
        self.list.clear()
        for entry in self.model.entries:
            seen = "named" if entry.name else ""
            if entry.found:
                seen = f"{seen}, found" if seen else "found"
            cells = [entry.name or "", entry.target.address, entry.model, entry.serial, seen]
            item = QTreeWidgetItem(cells)
            item.setData(0, Qt.ItemDataRole.UserRole, entry)
            self.list.addTopLevelItem(item)

    def _show_searching(self, searching: bool) -> None:
        self.find_button.setText("Stop" if searching else "Find cameras")
        self.networks.setEnabled(not searching)

    def _selected_entries(self) -> list[PickerEntry]:
        return [item.data(0, Qt.ItemDataRole.UserRole) for item in self.list.selectedItems()]

    def _entry_for(self, text: str) -> PickerEntry | None:
        return next((e for e in self.model.entries if text in (e.label, e.target.address)), None)
