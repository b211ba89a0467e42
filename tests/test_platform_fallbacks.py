"""What replaces a POSIX-only call on Windows, run here with the POSIX parts taken away:
`yicam emulate` without SIGUSR1/SIGUSR2 and without loop signal handlers (Windows'
proactor loop raises NotImplementedError), and the emulator's stdin check without job control.
tests/test_shortcut.py covers the shortcut's Windows and macOS branches."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from yicam.cli import emulate

# `yicam emulate` as it starts on Windows: no SIGUSR1/SIGUSR2, and asking the loop for a
# signal handler raises NotImplementedError.
AS_ON_WINDOWS = textwrap.dedent(
    """
    import asyncio, signal, sys

    del signal.SIGUSR1, signal.SIGUSR2

    def refuse(self, *args, **kwargs):
        raise NotImplementedError

    asyncio.SelectorEventLoop.add_signal_handler = refuse
    from yicam.cli.main import main

    sys.argv = ["yicam", "--port", "0", "--data-port", "0", "--http-port", "0",
                "--rtsp-port", "0", "emulate", "--sd", sys.argv[1]]
    main()
    """
)


def _photos(card: Path) -> list[str]:
    return sorted(p.name for p in card.rglob("YDXJ*.jpg"))


def test_emulator_buttons_work_from_stdin_without_posix_signals(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", AS_ON_WINDOWS, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdin is not None
        assert "ready" in proc.stdout.readline()
        proc.stdin.write("m\n")  # mode button: record
        proc.stdin.write("m\n")  # ... and back to capture
        proc.stdin.write("\n")  # shutter: a photo
        proc.stdin.flush()
        deadline = time.monotonic() + 20
        while not _photos(tmp_path):
            assert time.monotonic() < deadline, "no photo from the shutter line"
            time.sleep(0.02)
    finally:
        proc.kill()  # TerminateProcess on Windows: no handler there to stop it cleanly either
        _out, err = proc.communicate(timeout=10)
    assert _photos(tmp_path) == ["YDXJ0001.jpg"]
    assert "Traceback" not in err
    assert err.splitlines()[:3] == [
        "mode button: record",
        "mode button: capture",
        "shutter button: photo",
    ]


class _Console(io.StringIO):
    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return 0


def test_stdin_is_read_on_a_console_without_job_control(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(sys, "stdin", _Console())
    for name in ("tcgetpgrp", "getpgrp"):  # missing from Windows' os module
        monkeypatch.delattr(os, name, raising=False)
    assert emulate._stdin_is_ours() is True
