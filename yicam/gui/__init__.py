"""The desktop app: `yicam gui` (needs the `gui` extra: PySide6-Essentials and qasync).

Layers, top to bottom:
- widgets (`*_panel.py`, `main_window.py`): views only; they never touch a `Camera`;
- view-models (`*_model.py`): QObjects with signals and plain slots that start asyncio jobs;
  only they call the public `yicam` API;
- `yicam.Camera` and `yicam.live.LiveView`, on the asyncio loop that qasync runs on Qt's.

Blocking work stays off the GUI thread: `LiveView` decodes in its own thread, downloads hash
and write in the library's worker thread, and thumbnails are decoded with `asyncio.to_thread`.
"""
