"""The media grid's layout: cells flow left to right and share out the width."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QStandardItem, QStandardItemModel

from yicam.gui.media_panel import MediaGrid


@pytest.mark.parametrize("height", [2000, 300])  # without and with a scroll bar
@pytest.mark.parametrize("width", [420, 540, 700, 1000])
def test_cells_fill_the_width(qtbot: Any, width: int, height: int) -> None:
    model = QStandardItemModel()
    for n in range(12):
        model.appendRow(QStandardItem(f"YDXJ{n:04d}.jpg"))
    grid = MediaGrid()
    qtbot.addWidget(grid)
    grid.setModel(model)
    grid.resize(width, height)
    grid.show()
    qtbot.waitExposed(grid)

    def columns() -> list[int]:
        return sorted({grid.visualRect(model.index(n, 0)).left() for n in range(12)})

    def fitting() -> int:
        return (grid.available_width() - 1) // MediaGrid.MIN_CELL_WIDTH

    # Qt lays the items out (and shows the scroll bar) a moment after a resize.
    qtbot.waitUntil(lambda: grid.verticalScrollBar().isVisible() == (height < 1000))
    qtbot.waitUntil(lambda: len(columns()) == fitting())
    lefts, available, cell = columns(), grid.available_width(), grid.gridSize().width()
    assert len(lefts) >= 2  # a thumbnail is 160 px wide: two fit in 420 px
    assert len(lefts) >= 3 or width < 540  # three in the 1280x800 window's media panel
    assert cell >= MediaGrid.MIN_CELL_WIDTH
    columns_ = len(lefts)
    assert columns_ * cell < available <= (cell + 1) * columns_  # no empty strip at the right
    first_row = [grid.visualRect(model.index(n, 0)).top() for n in range(columns_)]
    assert len(set(first_row)) == 1  # left to right, then the next row
