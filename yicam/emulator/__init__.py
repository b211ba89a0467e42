"""A faithful virtual camera for tests, demos and bug reports (`yicam emulate`).

    async with Emulator(port=0, data_port=0, http_port=0, rtsp_port=0) as emu:
        ...  # point a `Camera` at 127.0.0.1:emu.port

Hooks for tests and tools that play the person holding the camera (all run on the
emulator's event loop; from another thread use `loop.call_soon_threadsafe`):

- `emu.press_shutter()`: the shutter button. In `capture` mode (`system_mode`) it takes a
  photo in the current `capture_mode` (single, self-timer, burst, time-lapse); in `record`
  mode it starts or stops recording; during a time-lapse photo run it stops the run. The
  client holding the session gets exactly the notifications of its own 769 / 513 / 514
  (`photo_taken` with the path, `video_record_complete`, ...). Returns what it did.
- `emu.press_mode()`: the mode button, capture <-> record (`switch_to_*_mode` on a Yi 1,
  `setting_changed` on a Yi 4K).
- `emu.set_setting(name, value)`: the camera's own menu, e.g. `capture_mode` `burst quality`.
- `await emu.idle()`: wait until every capture and recording the camera runs has finished
  (a capture belongs to the camera and outlives the client that asked for it).
- `emu.state.reply_latency`: (lowest, highest) seconds each command takes to answer, as
  `Emulator(reply_latency=...)` set it; may be changed while it runs.
- `emu.sd`: the card folder; `emu.state`: everything else (settings, counters of msg ids).

`yicam emulate` presses the shutter on Enter (or any line on a piped stdin) and the mode
button on `m` + Enter; on POSIX also on SIGUSR1 / SIGUSR2.
"""

from __future__ import annotations

from .._wire.discovery import DISCOVERY_PORT
from .faults import Faults, parse_faults
from .server import CAPTURED_REPLY_LATENCY, Emulator

__all__ = ["CAPTURED_REPLY_LATENCY", "DISCOVERY_PORT", "Emulator", "Faults", "parse_faults"]
