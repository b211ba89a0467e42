"""Run as a script on an X display: waits for the app's window, then for a moving picture in
the part of it where the live view is.

    python xvfb_probe.py DEADLINE

DEADLINE is a `time.time()` value. Prints `moving` once three successive grabs 0.2 s apart
each differ from the one before in more than 2% of the live view's pixels, or `still` (or
`no window`) when the deadline passes first. It reads the X server's own pixels through Qt's
xcb platform, as a person looking at the screen sees them, and finds the window with xdotool.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time

import numpy as np
from PySide6.QtGui import QGuiApplication, QImage

CHANGES_NEEDED = 3
TITLE = "^yicam - "  # the main window's title once a camera is connected


def window_area() -> tuple[int, int, int, int] | None:
    """Where the live view is: the left half of the window, below its bars, above the
    buttons (x, y, width, height on the screen)."""
    found = subprocess.run(
        ["xdotool", "search", "--name", TITLE, "getwindowgeometry", "--shell"],
        capture_output=True, text=True, timeout=10,
    )  # fmt: skip
    values = dict(re.findall(r"^(X|Y|WIDTH|HEIGHT)=(\d+)$", found.stdout, re.MULTILINE))
    if len(values) < 4:
        return None
    x, y, width, height = (int(values[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
    return x + width // 20, y + height // 6, width // 2, height // 2


def grab(area: tuple[int, int, int, int]) -> np.ndarray:
    """The area's pixels as 32-bit values, every second row and column (enough to see
    motion, and cheap on a busy machine)."""
    screen = QGuiApplication.primaryScreen()
    image = screen.grabWindow(0, *area).toImage().convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), dtype=np.uint32)
    return pixels.reshape(image.height(), -1)[::2, : image.width() : 2].copy()


def main() -> None:
    deadline = float(sys.argv[1])
    app = QGuiApplication(sys.argv[:1])
    area = None
    while area is None:
        if time.time() > deadline:
            print("no window", flush=True)
            return
        area = window_area()
        time.sleep(0.05)
    before, changes = grab(area), 0
    while time.time() < deadline:
        time.sleep(0.2)
        now = grab(area)
        changed = np.count_nonzero(now != before)
        picture = len(np.unique(now)) > 16  # not a flat placeholder
        changes = changes + 1 if picture and changed > 0.02 * now.shape[0] * now.shape[1] else 0
        before = now
        if changes >= CHANGES_NEEDED:
            print("moving", flush=True)
            return
    print("still", flush=True)
    del app


if __name__ == "__main__":
    main()
