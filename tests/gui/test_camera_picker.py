"""The camera picker: named cameras, HOST:PORT, saving a name, finding cameras, opening a rig."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTreeWidgetItem

from yicam import CameraConfig, ConnectionSettings, add_camera, load_cameras
from yicam.emulator import Emulator
from yicam.gui import picker_model
from yicam.gui.camera_picker import CameraPicker
from yicam.gui.main_window import MainWindow
from yicam.gui.rig_window import RigWindow
from yicam.gui.target import Target

from ..cli_helpers import LoopThread
from .conftest import WAIT, connect, target_of

NETWORK = "127.78.0.0/28"  # the emulators the search must find: 127.78.0.2..4
SERIALS = ["Z23LPICK0002", "Z23LPICK0003", "Z23LPICK0004"]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config file of our own (YICAM_CONFIG), never the user's."""
    path = tmp_path / "config.toml"
    monkeypatch.setenv("YICAM_CONFIG", str(path))
    return path


def _name(name: str, emu: Emulator) -> None:
    at = ConnectionSettings(
        "127.0.0.1", emu.port, emu.data_port, emu.http_port, emu.rtsp_port or 554, timeout=3.0
    )
    add_camera(CameraConfig(name, at, model="Yi 1"))


def _rows(picker: CameraPicker) -> list[list[str]]:
    items = [picker.list.topLevelItem(i) for i in range(picker.list.topLevelItemCount())]
    return [[item.text(c) for c in range(5)] for item in items if item is not None]


def _item(picker: CameraPicker, row: int) -> QTreeWidgetItem:
    item = picker.list.topLevelItem(row)
    assert item is not None
    return item


def _click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _picker(qtbot: Any, window: MainWindow) -> CameraPicker:
    """Open the picker as a user does: Ctrl+O, here while typing in the Camera field."""
    with qtbot.waitActive(window):
        window.activateWindow()
    field = window.connection_bar.host
    typed = field.text()
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.cameras_menu.picker is not None, timeout=WAIT)
    picker = window.cameras_menu.picker
    assert picker is not None
    qtbot.waitUntil(picker.isVisible, timeout=WAIT)
    assert field.text() == typed
    return picker


def test_named_cameras_are_listed_and_one_is_connected(
    qtbot: Any, make_window: Any, emu_thread: LoopThread, config: Path
) -> None:
    left, right = emu_thread.emulator(), emu_thread.emulator()
    _name("left", left)
    _name("right", right)
    window = make_window(Target("127.0.0.1", port=9))  # not where either camera is
    picker = _picker(qtbot, window)
    assert _rows(picker) == [
        ["left", f"127.0.0.1:{left.port}", "Yi 1", "", "named"],
        ["right", f"127.0.0.1:{right.port}", "Yi 1", "", "named"],
    ]
    picker.list.setCurrentItem(_item(picker, 1))
    assert picker.address.text() == "right"
    _click(qtbot, picker.connect_button)
    status: Any = window.statusBar()
    qtbot.waitUntil(lambda: status.connection.text() == "Connected", timeout=WAIT)
    assert window.session.target.port == right.port
    assert window.session.target.data_port == right.data_port
    assert window.connection_bar.host.text() == "right"
    assert window.cameras_menu.picker is None  # the picker closed
    assert right.state.holder is not None  # the session is the window's, on "right"
    assert left.state.holder is None


def test_host_and_port_in_the_camera_field(
    qtbot: Any, make_window: Any, emu: Emulator, config: Path
) -> None:
    window = make_window(Target("127.0.0.1", port=9))
    field = window.connection_bar.host
    field.setText(f"127.0.0.1:{emu.port}")
    connect(qtbot, window)
    assert window.session.target.port == emu.port
    assert window.session.target.host == "127.0.0.1"
    assert emu.state.holder is not None


@pytest.mark.parametrize(
    ("typed", "host", "port"),
    [
        ("10.0.0.5:37878", "10.0.0.5", 37878),
        ("  cam.local  ", "cam.local", 7878),
        ("[::1]:8000", "::1", 8000),
        ("::1", "::1", 7878),
        ("host:99999", "host:99999", 7878),  # no such port: taken as typed, connecting says why
        ("host:", "host:", 7878),
    ],
)
def test_addresses_as_typed(typed: str, host: str, port: int) -> None:
    target = Target(port=7878, data_port=1234).with_address(typed)
    assert (target.host, target.port, target.data_port) == (host, port, 1234)
    assert Target(port=7878).address == "192.168.42.1"
    assert Target("10.0.0.5", port=37878).address == "10.0.0.5:37878"


def test_save_as_named_writes_the_config(
    qtbot: Any, make_window: Any, emu: Emulator, config: Path
) -> None:
    window = make_window(target_of(emu))
    picker = _picker(qtbot, window)
    assert _rows(picker) == []
    picker.address.setText(f"127.0.0.1:{emu.port}")
    picker.name.setText("bench")
    _click(qtbot, picker.save)
    assert picker.message.text().startswith(f"Saved 127.0.0.1:{emu.port} as “bench” in")
    saved = load_cameras()["bench"].settings
    assert (saved.host, saved.port) == ("127.0.0.1", emu.port)
    assert (saved.data_port, saved.http_port) == (emu.data_port, emu.http_port)
    assert 'host = "127.0.0.1"' in config.read_text()
    assert _rows(picker)[0][:2] == ["bench", f"127.0.0.1:{emu.port}"]
    assert picker.address.text() == "bench"

    picker.address.setText("127.0.0.1:1")
    picker.name.setText("bench")  # taken
    _click(qtbot, picker.save)
    assert "exists already" in picker.message.text()
    picker.name.setText("no spaces")
    _click(qtbot, picker.save)
    assert "bad camera name" in picker.message.text()
    assert list(load_cameras()) == ["bench"]


def _needs_loopback_network(host: str) -> None:
    """Skip where only 127.0.0.1 can be bound (macOS until aliases are added)."""
    with contextlib.closing(socket.socket()) as probe:
        try:
            probe.bind((host, 0))
        except OSError:
            pytest.skip(f"{host} cannot be bound here: a loopback network needs 127.0.0.0/8")


@pytest.fixture
def lan(emu_thread: LoopThread) -> tuple[int, Emulator]:
    """Emulators on 127.78.0.2..4 sharing one control port, as cameras share 7878; and one
    outside the network searched, which must never be contacted."""
    _needs_loopback_network("127.78.0.2")
    first = emu_thread.emulator(host="127.78.0.2")
    others = [emu_thread.emulator(host=f"127.78.0.{i}", port=first.port) for i in (3, 4)]
    emulators = [first, *others]
    for emu, serial in zip(emulators, SERIALS, strict=True):
        emu.state.settings["serial_number"] = serial
    outside = emu_thread.emulator(host="127.79.0.5", port=first.port)
    return first.port, outside


def test_find_cameras_lists_the_emulators_of_the_network(
    qtbot: Any, qt_loop: asyncio.AbstractEventLoop, lan: tuple[int, Emulator], config: Path
) -> None:
    port, outside = lan
    picker = CameraPicker(Target("127.0.0.1", port=port))
    qtbot.addWidget(picker)
    picker.show()
    picker.networks.setText(NETWORK)
    _click(qtbot, picker.find_button)
    assert picker.find_button.text() == "Stop"  # the search runs; the window answers meanwhile
    qtbot.waitUntil(lambda: picker.find_button.text() == "Find cameras", timeout=30_000)
    assert picker.message.text() == f"3 cameras found in {NETWORK}"
    assert _rows(picker) == [
        ["", f"127.78.0.{i}:{port}", "Yi 1", serial, "found"]
        for i, serial in zip((2, 3, 4), SERIALS, strict=True)
    ]
    assert sum(outside.state.received.values()) == 0
    picker.list.setCurrentItem(_item(picker, 0))
    assert picker.address.text() == f"127.78.0.2:{port}"
    picker.name.setText("found1")
    _click(qtbot, picker.save)  # a found camera keeps its model and serial
    saved = load_cameras()["found1"]
    assert (saved.settings.host, saved.settings.port, saved.serial) == (
        "127.78.0.2",
        port,
        SERIALS[0],
    )
    assert _rows(picker)[0] == ["found1", f"127.78.0.2:{port}", "Yi 1", SERIALS[0], "named, found"]
    run_close(qtbot, picker)


def test_a_search_can_be_stopped(
    qtbot: Any,
    qt_loop: asyncio.AbstractEventLoop,
    emu_thread: LoopThread,
    config: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(picker_model, "PROBE_TIMEOUT", 60.0)  # a search that waits long
    _needs_loopback_network("127.78.1.2")
    silent = emu_thread.run(_silent_server("127.78.1.2"))  # accepts, never answers
    port = silent.sockets[0].getsockname()[1]
    picker = CameraPicker(Target("127.0.0.1", port=port))
    qtbot.addWidget(picker)
    picker.show()
    picker.networks.setText("127.78.1.0/29")
    _click(qtbot, picker.find_button)
    qtbot.waitUntil(lambda: picker.message.text().startswith("Searching 127.78.1.0/29"))
    _click(qtbot, picker.find_button)  # Stop
    qtbot.waitUntil(lambda: picker.find_button.text() == "Find cameras", timeout=WAIT)
    assert picker.message.text() == "Search stopped"
    assert _rows(picker) == []
    picker.networks.setText("127.0.0.0/8")  # too wide to search without asking
    _click(qtbot, picker.find_button)
    qtbot.waitUntil(lambda: "more than a /22" in picker.message.text(), timeout=WAIT)
    run_close(qtbot, picker)
    emu_thread.call(silent.close)


async def _silent_server(host: str) -> asyncio.Server:
    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client hangs up
        writer.close()

    return await asyncio.start_server(hold, host, 0)


def run_close(qtbot: Any, picker: CameraPicker) -> None:
    picker.close()
    task = asyncio.get_event_loop().create_task(picker.aclose())
    qtbot.waitUntil(task.done, timeout=WAIT)


def test_the_rig_view_of_the_chosen_named_cameras(
    qtbot: Any, make_window: Any, emu_thread: LoopThread, config: Path
) -> None:
    left, right, other = emu_thread.emulator(), emu_thread.emulator(), emu_thread.emulator()
    for name, emu in (("left", left), ("right", right), ("other", other)):
        _name(name, emu)
    window = make_window(target_of(left))
    connect(qtbot, window)  # the window holds left's session: the rig needs it
    picker = _picker(qtbot, window)
    for row in (0, 1):
        _item(picker, row).setSelected(True)
    _click(qtbot, picker.rig)
    rigs = window.cameras_menu.rigs
    qtbot.waitUntil(lambda: len(rigs) == 1, timeout=WAIT)
    rig = rigs[0]
    assert [t.title.text() for t in rig.tiles] == ["left", "right"]
    for tile in rig.tiles:
        qtbot.waitUntil(lambda tile=tile: "Connected" in tile.state.text(), timeout=WAIT)
    status: Any = window.statusBar()
    assert status.connection.text() == "Not connected"  # it let left go
    assert other.state.holder is None
    assert window.cameras_menu.open_rig([("again", target_of(right))]) is None
    assert len(rigs) == 1  # right is in the open rig already: no second one fights for it
    rig.close()
    qtbot.waitUntil(lambda: not rigs, timeout=WAIT)
    assert left.state.holder is None  # the rig's sessions ended
    shown = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    assert not any(isinstance(w, RigWindow) for w in shown)
