"""The media and download item models on their own, without a window or a camera."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from yicam import MediaItem
from yicam.gui.downloads_table import DownloadJob, DownloadsTable, JobState, format_duration
from yicam.gui.media_model import ItemRole, MediaFilter, MediaListModel, kind_of


def _item(folder: str, name: str, day: int) -> MediaItem:
    return MediaItem(folder, name, 1500 * day, datetime(2026, 1, day, 12, 0))


def test_media_rows_newest_first_with_kinds_and_lazy_thumbnails(qapp: Any) -> None:
    model = MediaListModel()
    asked: list[str] = []
    model.on_wanted = lambda: asked.append(model.wanted[-1])
    model.set_items(
        [
            _item("100MEDIA", "YDXJ0001.jpg", 1),
            _item("101MEDIA", "YDXJ0002.mp4", 3),
            _item("100MEDIA", "YD\x1b[2JXJ0003.jpg", 2),
        ]
    )
    names = [model.index(r).data(ItemRole).name for r in range(model.rowCount())]
    assert names == ["YDXJ0002.mp4", "YD\x1b[2JXJ0003.jpg", "YDXJ0001.jpg"]
    assert model.index(0).data() == "▶ YDXJ0002.mp4\n4.5 KB\n2026-01-03 12:00"
    assert "\x1b" not in model.index(1).data()  # camera text is never shown raw
    assert asked == []  # nothing fetched until a view paints a row
    placeholder = model.index(0).data(Qt.ItemDataRole.DecorationRole)
    model.index(0).data(Qt.ItemDataRole.DecorationRole)
    assert asked == ["/tmp/fuse_d/DCIM/101MEDIA/YDXJ0002.mp4"]  # asked once
    thumb = QImage(16, 9, QImage.Format.Format_RGB32)
    model.set_thumbnail(asked[0], thumb)
    assert model.index(0).data(Qt.ItemDataRole.DecorationRole) is not placeholder

    only = MediaFilter()
    only.setSourceModel(model)
    only.set_kind("video")
    assert only.rowCount() == 1
    only.set_kind("photo")
    assert only.rowCount() == 2
    assert [kind_of(i) for i in model.items] == ["video", "photo", "photo"]


def test_download_rows_show_progress_speed_and_time_left(qapp: Any) -> None:
    job = DownloadJob("/tmp/fuse_d/DCIM/100MEDIA/YDXJ0001.mp4", "100MEDIA", "YDXJ0001.mp4", 10_000)
    table = DownloadsTable([job])
    job.state, job.done, job.speed = JobState.RUNNING, 2_500, 1_000.0
    cells = [table.index(0, c).data() for c in range(table.columnCount())]
    assert cells == ["YDXJ0001.mp4", "10.0 KB", "25%", "1.0 KB/s", "0:08", "downloading"]
    job.state, job.verified, job.deleted = JobState.DONE, True, True
    assert table.index(0, 5).data() == "verified, deleted on camera"
    assert table.index(0, 2).data() == "100%"
    assert format_duration(None) == ""
    assert format_duration(125.4) == "2:05"
