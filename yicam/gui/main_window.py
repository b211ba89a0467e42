"""`MainWindow`: the panels around one camera; layout and geometry remembered in QSettings."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .camera_menu import CameraMenu
from .cameras_menu import CamerasMenu
from .capture_model import CaptureModel
from .capture_panel import CapturePanel
from .connection_bar import ConnectionBar, ProblemBanner
from .downloads_model import DownloadsModel
from .downloads_panel import DownloadsPanel
from .live_model import LiveModel
from .live_out_model import LiveOutModel
from .live_out_panel import LiveOutPanel
from .live_panel import LivePanel
from .log_dock import LogDock
from .log_model import LogModel
from .media_model import MediaModel
from .media_panel import MediaPanel
from .prefs import Prefs
from .session_model import SessionModel
from .settings_model import SettingsModel
from .settings_panel import SettingsPanel
from .shortcuts import shortcut_action, shortcut_lines
from .status_bar import StatusBar
from .target import Target

__all__ = ["MainWindow"]

DEFAULT_SIZE = (1200, 720)  # fits a 1280x800 screen with a title bar and a panel


class MainWindow(QMainWindow):
    """The app's one window; `closed` fires once it has been closed by the user."""

    closed = Signal()

    def __init__(self, target: Target, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        host = settings.value("host")
        if isinstance(host, str) and host and target.host == Target().host:
            target = target.with_address(host)  # the remembered one, unless one was given
        self.prefs = Prefs(settings, self)
        self.session = SessionModel(target, self)
        self.capture = CaptureModel(self.session, self)
        self.live = LiveModel(self.session, self.prefs, self)
        self.log = LogModel(self.session, self)
        self.media = MediaModel(self.session, self)
        self.downloads = DownloadsModel(self.session, self.prefs, self)
        self.media.transfer_busy = lambda: self.downloads.running
        self.camera_settings = SettingsModel(self.session, self)

        self.setWindowTitle(self.session.title)
        self.connection_bar = ConnectionBar(self.session)
        self.banner = ProblemBanner(self.session)
        self.capture_panel = CapturePanel(self.capture, self.session)
        self.live_panel = LivePanel(self.live)
        self.media_panel = MediaPanel(self.media, self.downloads)
        self.downloads_panel = DownloadsPanel(self.downloads, self.prefs)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.settings_panel = SettingsPanel(self.camera_settings)
        self.tabs.addTab(self.media_panel, "Media")
        self.tabs.addTab(self.downloads_panel, "Downloads")
        self.tabs.addTab(self.settings_panel, "Settings")
        self.live_out = LiveOutModel(self.session, self.live, self)
        self.live_out_panel = LiveOutPanel(self.live_out, self.prefs)
        self.tabs.addTab(self.live_out_panel, "Live out")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.live_panel, 1)
        left_layout.addWidget(self.capture_panel)
        self.left_layout = left_layout
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("splitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.connection_bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.log_dock = LogDock(self.log, self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.log_dock)
        self.setStatusBar(StatusBar(self.session, self))
        self.camera_menu = CameraMenu(
            self.session, self.camera_settings, self.media, self._report, self, self.live
        )
        self.cameras_menu = CamerasMenu(
            self.session, self.connection_bar.host, settings, self._report, self
        )
        self._full_screen_hidden: list[QWidget] | None = None
        self._build_menus()
        self._park_focus_in_fields()

        self.session.titleChanged.connect(self.setWindowTitle)
        self.session.sessionRequested.connect(self._session_requested)
        self.session.stateChanged.connect(self._remember_host)
        self.session.stateChanged.connect(self.live_panel.update_availability)
        self.session.stateChanged.connect(self.media_panel.update_availability)
        self.session.stateChanged.connect(self.settings_panel.update_availability)
        self.downloads.deletedOnCamera.connect(lambda _path: self.media.refresh())
        self._restore_layout()

    def _build_menus(self) -> None:
        def act(text: str, keys: list[str], slot: object) -> QAction:
            action = shortcut_action(self, text, keys, slot)  # type: ignore[arg-type]
            self.addAction(action)
            return action

        self.photo_action = act("Take a &photo", ["Space", "P"], self.capture.take_photo)
        self.record_action = act("Start or stop &recording", ["R"], self.capture.toggle_recording)
        self.full_screen_action = act(
            "&Full screen live view", ["F11"], self.toggle_live_full_screen
        )
        self.delete_action = act("&Delete the selected files…", ["Del"], self._delete)
        self.refresh_action = act("&Refresh", ["F5"], self.refresh)
        self.quit_action = act("&Quit", ["Ctrl+Q"], self.close)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        leave = QAction("Leave full screen", self)
        leave.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        leave.triggered.connect(self._leave_full_screen)
        leave.setEnabled(False)  # only in full screen: Escape elsewhere leaves a text field
        self.addAction(leave)
        self.leave_full_screen_action = leave

        file = self.menuBar().addMenu("&File")
        file.addAction(self.quit_action)
        self.menuBar().addMenu(self.camera_menu)
        self.menuBar().addMenu(self.cameras_menu)
        capture = self.menuBar().addMenu("C&apture")
        capture.addActions([self.photo_action, self.record_action])
        view = self.menuBar().addMenu("&View")
        self.live_on_connect_action = view.addAction("Start live view on connect")
        self.live_on_connect_action.setCheckable(True)
        self.live_on_connect_action.setChecked(self.prefs.live_on_connect)
        self.live_on_connect_action.toggled.connect(self.prefs.set_live_on_connect)
        view.addActions([self.full_screen_action, self.refresh_action])
        view.addAction(self.log_dock.toggleViewAction())
        media = self.menuBar().addMenu("&Media")
        media.addAction(self.delete_action)
        help_menu = self.menuBar().addMenu("&Help")
        self.shortcuts_action = help_menu.addAction("&Keyboard shortcuts")
        self.shortcuts_action.triggered.connect(self.show_shortcuts)

    @property
    def shortcut_actions(self) -> list[QAction]:
        """The window's keyboard shortcuts, as the Help menu lists them."""
        return [
            self.photo_action, self.record_action, self.full_screen_action,
            self.delete_action, self.refresh_action, self.cameras_menu.choose,
            self.quit_action,
        ]  # fmt: skip

    def show_shortcuts(self) -> None:
        """List the keyboard shortcuts (a box that does not block the window)."""
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Keyboard shortcuts",
            "\n".join(shortcut_lines(self.shortcut_actions))
            + "\n\nThey work anywhere in the window except while you type in a field "
            "(Escape leaves the field).",
            parent=self,
        )
        box.setObjectName("shortcuts")
        box.finished.connect(box.deleteLater)
        box.open()

    def refresh(self) -> None:
        """List the card and read battery, card and settings again."""
        self.media.refresh()
        self.session.refresh_status()
        self.camera_settings.reload()

    def toggle_live_full_screen(self) -> None:
        """Show only the live view, on the whole screen; again (or Escape) to come back."""
        if self._full_screen_hidden is None:
            around: list[QWidget] = [
                self.menuBar(), self.connection_bar, self.banner, self.tabs,
                self.capture_panel, self.live_panel.controls, self.log_dock, self.statusBar(),
            ]  # fmt: skip
            self._full_screen_hidden = [w for w in around if w.isVisible()]
            self._was_maximized = self.isMaximized()
            for widget in self._full_screen_hidden:
                widget.hide()
            self.showFullScreen()
        else:
            for widget in self._full_screen_hidden:
                widget.show()
            self._full_screen_hidden = None
            if self._was_maximized:
                self.showMaximized()
            else:
                self.showNormal()
        self.leave_full_screen_action.setEnabled(self.live_full_screen)
        self.live_panel.view.setFocus()

    @property
    def live_full_screen(self) -> bool:
        """True while only the live view shows."""
        return self._full_screen_hidden is not None

    def _leave_full_screen(self) -> None:
        if self.live_full_screen:
            self.toggle_live_full_screen()

    def _delete(self) -> None:
        self.tabs.setCurrentWidget(self.media_panel)  # the files asked about are in view
        self.media_panel.delete_selected()

    def _park_focus_in_fields(self) -> None:
        """Focus rests on the live view; a field holds it only while the user types there."""
        self.live_panel.view.setFocus()
        self.connection_bar.host.returnPressed.connect(self.live_panel.view.setFocus)
        for field in self.findChildren(QLineEdit):
            leave = QAction(field)
            leave.setShortcut(QKeySequence(Qt.Key.Key_Escape))
            leave.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            leave.triggered.connect(self.live_panel.view.setFocus)
            field.addAction(leave)

    async def shutdown(self) -> None:
        """Stop every job and close the camera."""
        await self.media_panel.aclose()
        await self.camera_menu.aclose()
        await self.cameras_menu.aclose()
        await self.live_out.aclose()  # before the live view it listens to
        models = (self.camera_settings, self.downloads, self.media, self.log, self.live)
        for model in (*models, self.capture):
            await model.aclose()
        await self.session.aclose()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Remember the layout, then let the app shut down."""
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.sync()
        super().closeEvent(event)
        self.closed.emit()

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(*DEFAULT_SIZE)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        else:  # first run: most of the height for the live view and the panels
            self.resizeDocks([self.log_dock], [140], Qt.Orientation.Vertical)
        splitter = self.settings.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        else:
            self.splitter.setSizes([720, 540])

    def _remember_host(self, state: str) -> None:
        if state == "connected":
            self.settings.setValue("host", self.session.target.address)

    def _session_requested(self, text: str) -> None:
        self.statusBar().showMessage(text, 15000)

    def _report(self, text: str) -> None:
        self.statusBar().showMessage(text, 15000)
        self.log.log(text)
