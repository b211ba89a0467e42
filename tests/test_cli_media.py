"""`yicam download`, `sync`, `upload` and `thumb` against an emulator on loopback."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from yicam import CameraConnectionError
from yicam._transfers.partial import Partial
from yicam.cli.main import cli
from yicam.emulator import Emulator

from .cli_helpers import LoopThread
from .hostile import CardFile, HostileCamera

MEDIA = "/tmp/fuse_d/DCIM/100MEDIA"


@pytest.fixture
def emu(loop: LoopThread) -> Emulator:
    emu = loop.emulator()
    folder = emu.sd / "DCIM" / "100MEDIA"
    (folder / "YDXJ0001.mp4").write_bytes(os.urandom(300_000))
    (folder / "YDXJ0001_thm.mp4").write_bytes(b"sidecar clip")
    (folder / "YDXJ0002.jpg").write_bytes(os.urandom(50_000))
    (folder / "YDXJ0002.THM").write_bytes(b"\xff\xd8 sidecar jpeg")
    return emu


def yicam(emu: Emulator, *args: str) -> Result:
    argv = ["--host", "127.0.0.1", "--port", str(emu.port), "--data-port", str(emu.data_port)]
    argv += ["--http-port", str(emu.http_port), "--timeout", "2", *args]
    return CliRunner().invoke(cli, argv)


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def card(emu: Emulator, name: str) -> bytes:
    return (emu.sd / "DCIM" / "100MEDIA" / name).read_bytes()


@pytest.mark.parametrize("via", ["data", "http"])
def test_download(emu: Emulator, tmp_path: Path, via: str) -> None:
    files = as_json(
        yicam(emu, "--json", "download", f"{MEDIA}/YDXJ0001.mp4", f"{MEDIA}/YDXJ0002.jpg",
              "-o", str(tmp_path), "--via", via)
    )  # fmt: skip
    assert [f["via"] for f in files] == [via, via]
    assert (tmp_path / "YDXJ0001.mp4").read_bytes() == card(emu, "YDXJ0001.mp4")
    assert (tmp_path / "YDXJ0002.jpg").read_bytes() == card(emu, "YDXJ0002.jpg")


def test_download_shows_progress(emu: Emulator, tmp_path: Path) -> None:
    result = yicam(emu, "download", f"{MEDIA}/YDXJ0001.mp4", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "YDXJ0001.mp4" in result.stderr
    assert "1 file(s)" in result.stdout


def test_sync_twice_downloads_nothing_the_second_time(emu: Emulator, tmp_path: Path) -> None:
    first = as_json(yicam(emu, "--json", "sync", str(tmp_path), "--include-sidecars"))
    assert first["downloaded"] == 4
    assert (tmp_path / "100MEDIA" / "YDXJ0001_thm.mp4").read_bytes() == b"sidecar clip"
    second = as_json(yicam(emu, "--json", "sync", str(tmp_path), "--include-sidecars"))
    assert second["downloaded"] == 0
    assert second["present"] == 4


def test_sync_resumes_a_partial_file(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yicam._transfers.download as download_module

    data = card(emu, "YDXJ0001.mp4")
    real_write = download_module._write
    written: list[int] = []

    def cut(file: Any, chunk: memoryview, part: Any) -> None:
        real_write(file, chunk, part)
        written.append(len(chunk))
        raise CameraConnectionError("cut")  # after the first block

    with monkeypatch.context() as patch:
        patch.setattr(download_module, "_write", cut)
        first = yicam(emu, "--json", "sync", str(tmp_path), "--via", "http", "--retries", "0")
    assert first.exit_code == 1
    summary = as_json(yicam(emu, "--json", "sync", str(tmp_path), "--via", "http"))
    assert summary["downloaded"] == 2
    resumed = next(f for f in summary["files"] if f["path"].endswith("YDXJ0001.mp4"))
    assert resumed["resumed_from"] == written[0]
    assert (tmp_path / "100MEDIA" / "YDXJ0001.mp4").read_bytes() == data


def test_sync_delete_after_deletes_only_verified_files(emu: Emulator, tmp_path: Path) -> None:
    summary = as_json(yicam(emu, "--json", "sync", str(tmp_path), "--delete-after"))
    assert summary["deleted"] == 2
    left = sorted(p.name for p in (emu.sd / "DCIM" / "100MEDIA").iterdir())
    assert left == ["YDXJ0001_thm.mp4", "YDXJ0002.THM"]  # not downloaded, so kept


def test_unwritable_destination_is_a_clear_error(emu: Emulator, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"  # a file where a folder must go: refused on every system,
    blocker.write_text("")  # even for root, who ignores permissions
    target = str(blocker / "sub")
    result = yicam(emu, "sync", target, "--delete-after")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output
    assert len(list((emu.sd / "DCIM" / "100MEDIA").iterdir())) == 4  # nothing deleted


def test_full_disk_keeps_the_part(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    import yicam._transfers.download as download_module

    def full(file: Any, chunk: bytes, part: Any) -> None:
        file.write(chunk[: max(0, 1000 - file.tell())])  # the disk fills up at 1000 bytes
        file.flush()
        raise download_module._local_error(OSError(errno.ENOSPC, "No space"), part)

    monkeypatch.setattr(download_module, "_write", full)
    result = yicam(emu, "sync", str(tmp_path), "--delete-after")
    assert result.exit_code == 1
    assert "failed: /tmp/fuse_d/DCIM/100MEDIA/YDXJ0001.mp4: no space left" in result.stdout
    assert "skipped: /tmp/fuse_d/DCIM/100MEDIA/YDXJ0002.jpg: not tried: no space" in result.stdout
    assert Partial(tmp_path / "100MEDIA" / "YDXJ0001.mp4").path.stat().st_size == 1000
    assert not (tmp_path / "100MEDIA" / "YDXJ0001.mp4").exists()
    assert len(list((emu.sd / "DCIM" / "100MEDIA").iterdir())) == 4


def test_upload_and_thumb(emu: Emulator, tmp_path: Path) -> None:
    src = tmp_path / "note.txt"
    src.write_bytes(b"hello camera")
    up = as_json(yicam(emu, "--json", "upload", str(src), "/tmp/fuse_d/"))
    assert up["path"] == "/tmp/fuse_d/note.txt"
    assert (emu.sd / "note.txt").read_bytes() == b"hello camera"
    again = yicam(emu, "upload", str(src), "/tmp/fuse_d/note.txt")
    assert again.exit_code == 1
    assert "exists" in again.stderr
    out = tmp_path / "t.jpg"
    thumb = as_json(yicam(emu, "--json", "thumb", f"{MEDIA}/YDXJ0002.jpg", "-o", str(out)))
    assert out.read_bytes() == b"\xff\xd8 sidecar jpeg"
    assert thumb["size"] == len(b"\xff\xd8 sidecar jpeg")


@pytest.mark.parametrize("json_mode", [False, True])
def test_sync_of_a_hostile_card_reports_each_file_and_exits_1(
    loop: LoopThread, tmp_path: Path, json_mode: bool
) -> None:
    good = os.urandom(3000)
    fake = loop.enter(
        HostileCamera(
            {
                "100MEDIA": {
                    "A.jpg": CardFile(good),
                    "x" * 300 + ".jpg": CardFile(b"name too long"),
                    ".yicam-0123.partial": CardFile(b"reserved"),
                    "\udc80bad.jpg": CardFile(b"lone surrogate"),
                    "\x1b[2Jevil.jpg": CardFile(b"terminal escape"),
                    "LIE.mp4": CardFile(b"0123456789", rem_size=1 << 30),
                    "Z.jpg": CardFile(good[::-1]),
                }
            }
        )
    )
    argv = ["--host", "127.0.0.1", "--port", str(fake.port), "--data-port", str(fake.data_port)]
    argv += ["--http-port", str(fake.http_port), "--timeout", "2"]
    argv += ["--json"] if json_mode else []
    result = CliRunner().invoke(cli, [*argv, "sync", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "out" / "100MEDIA" / "A.jpg").read_bytes() == good
    assert (tmp_path / "out" / "100MEDIA" / "Z.jpg").read_bytes() == good[::-1]
    if json_mode:
        summary = json.loads(result.stdout)
        assert (summary["downloaded"], summary["skipped"], summary["failed"]) == (2, 4, 1)
    else:
        assert "2 downloaded, 0 already present, 4 skipped, 1 failed" in result.stdout
        assert "\x1b" not in result.output  # shown escaped
        assert "nothing written" in result.stdout
