"""The application icon: one picture that Qt reads in every format the platforms use."""

from __future__ import annotations

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from yicam.gui import app


def test_every_icon_format_reads_as_the_same_picture(qapp: QApplication) -> None:
    icons = app.ICON.parent
    png = QImage(str(app.ICON))
    assert (png.width(), png.height()) == (256, 256)
    for name in ("yicam.ico", "yicam.icns", "yicam.svg"):  # Windows, macOS, freedesktop
        image = QImage(str(icons / name)).convertToFormat(png.format())
        assert (image.width(), image.height()) == (256, 256), name
        if name != "yicam.svg":  # the PNG is the SVG rendered once; the others carry the PNG
            assert image == png, name
