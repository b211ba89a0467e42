"""Discovery over 127.77.0.0/28 only: emulators on 127.77.0.2..4, and things that are not."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from yicam import discover, load_cameras
from yicam._fleet import discovery as _discovery
from yicam._fleet.discovery import parse_arp, scan_networks
from yicam.cli.main import cli
from yicam.emulator import Emulator

from .cli_helpers import LoopThread

NETWORK = "127.77.0.0/28"
SERIALS = ["Z23LDISC0002", "Z23LDISC0003", "Z23LDISC0004"]


async def not_a_camera(host: str, port: int) -> asyncio.Server:
    """Something else listening on the control port: it answers garbage and hangs up."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.0 400 Bad Request\r\n\r\n")
        await writer.drain()
        writer.close()

    return await asyncio.start_server(answer, host, port)


async def start_fleet(start: Callable[..., Any]) -> tuple[int, list[Emulator]]:
    """Emulators on 127.77.0.2..4 sharing one port, as cameras share 7878."""
    first: Emulator = await start(host="127.77.0.2")
    emulators = [first] + [await start(host=f"127.77.0.{i}", port=first.port) for i in (3, 4)]
    for emu, serial in zip(emulators, SERIALS, strict=True):
        emu.state.settings["serial_number"] = serial
    return first.port, emulators


@pytest.fixture
async def others(start_emulator: Callable[..., Any]) -> AsyncIterator[tuple[int, Emulator]]:
    """The port, and an emulator OUTSIDE the scanned network (127.88.0.5)."""
    port, _emulators = await start_fleet(start_emulator)
    outside: Emulator = await start_emulator(host="127.88.0.5", port=port)
    server = await not_a_camera("127.77.0.9", port)
    try:
        yield port, outside
    finally:
        server.close()
        await server.wait_closed()


async def test_finds_exactly_the_emulators(others: tuple[int, Emulator]) -> None:
    port, outside = others
    seeds = [IPv4Address("127.88.0.5"), IPv4Address("127.77.0.3")]  # one ARP seed outside
    found = await discover([NETWORK], port=port, timeout=1.0, seeds=seeds)
    assert [(f.host, f.serial) for f in found] == list(
        zip(["127.77.0.2", "127.77.0.3", "127.77.0.4"], SERIALS, strict=True)
    )
    assert all(f.port == port and f.firmware and f.firmware.startswith("YDXJ") for f in found)
    assert sum(outside.state.received.values()) == 0  # the seed outside was never contacted


async def test_sessions_are_ended(start_emulator: Callable[..., Any]) -> None:
    port, emulators = await start_fleet(start_emulator)
    await discover(["127.77.0.2/31"], port=port, timeout=1.0, seeds=[])
    first = emulators[0]
    assert first.state.received[257] == 1
    assert first.state.received[258] == 1
    assert first.state.holder is None  # the camera is free for the next client


async def test_empty_network(start_emulator: Callable[..., Any]) -> None:
    assert await discover(["127.77.1.0/29"], port=1, timeout=0.5, seeds=[]) == []


def test_wide_networks_need_force() -> None:
    for wide in ("10.0.0.0/16", "127.0.0.0/21"):
        with pytest.raises(ValueError, match="--force"):
            scan_networks([wide])
    assert [str(n) for n in scan_networks(["127.0.0.0/21"], force=True)] == ["127.0.0.0/21"]
    assert [str(n) for n in scan_networks(["192.168.1.7/22"])] == ["192.168.0.0/22"]
    with pytest.raises(ValueError, match="only IPv4"):
        scan_networks(["fe80::/120"])
    with pytest.raises(ValueError, match="not a network"):
        scan_networks(["camera"])


def test_arp_tables() -> None:
    linux = (
        "IP address       HW type     Flags       HW address            Mask     Device\n"
        "192.168.1.51     0x1         0x2         04:e6:76:aa:bb:01     *        wlan0\n"
        "192.168.1.99     0x1         0x0         00:00:00:00:00:00     *        wlan0\n"
        "192.168.1.52     0x1         0x2         04:e6:76:aa:bb:02     *        wlan0\n"
    )
    assert parse_arp(linux) == [IPv4Address("192.168.1.51"), IPv4Address("192.168.1.52")]
    macos = (
        "? (192.168.1.1) at 0:11:22:33:44:55 on en0 ifscope [ethernet]\n"
        "? (192.168.1.60) at (incomplete) on en0 ifscope [ethernet]\n"
        "? (224.0.0.251) at 1:0:5e:0:0:fb on en0 ifscope permanent [ethernet]\n"
    )
    assert parse_arp(macos) == [IPv4Address("192.168.1.1")]
    windows = (
        "Interface: 192.168.1.10 --- 0x5\n"
        "  Internet Address      Physical Address      Type\n"
        "  192.168.1.51          04-e6-76-aa-bb-01     dynamic\n"
    )
    assert IPv4Address("192.168.1.51") in parse_arp(windows)


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for arp")
def test_arp_command_where_there_is_no_proc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "arp"
    fake.write_text('#!/bin/sh\necho "? (10.9.8.7) at 0:11:22:33:44:55 on en0 [$*]"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(_discovery, "PROC_ARP", tmp_path / "no-proc-arp")
    assert _discovery.arp_seeds() == [IPv4Address("10.9.8.7")]
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no arp at all: no seeds, no error
    assert _discovery.arp_seeds() == []


# -- the command ---------------------------------------------------------------------------


@pytest.fixture
def port(loop: LoopThread) -> int:
    first = loop.emulator(host="127.77.0.2")
    first.state.settings["serial_number"] = SERIALS[0]
    for i, serial in zip((3, 4), SERIALS[1:], strict=True):
        loop.emulator(host=f"127.77.0.{i}", port=first.port).state.settings["serial_number"] = (
            serial
        )
    return first.port


def test_discover_json_and_save(port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YICAM_CONFIG", str(tmp_path / "config.toml"))
    runner = CliRunner()
    args = ["--port", str(port), "--json", "discover", "--network", NETWORK, "--probe-timeout", "1"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["host"], r["serial"]) for r in rows] == list(
        zip(["127.77.0.2", "127.77.0.3", "127.77.0.4"], SERIALS, strict=True)
    )
    assert {r["model"] for r in rows} == {"Yi 1"}
    assert load_cameras() == {}

    result = runner.invoke(cli, [*args, "--save", "--name", "left"])
    assert result.exit_code == 0, result.output
    cameras = load_cameras()
    assert list(cameras) == ["left", SERIALS[1], SERIALS[2]]
    assert (cameras["left"].settings.host, cameras["left"].settings.port) == ("127.77.0.2", port)
    assert cameras[SERIALS[1]].serial == SERIALS[1]

    status = runner.invoke(cli, ["--json", "fleet", "--all", "status"])
    assert status.exit_code == 0, status.output
    assert [r["name"] for r in json.loads(status.stdout)] == list(cameras)


def test_discover_table_and_refusal(port: int) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--port", str(port), "discover", "--network", NETWORK])
    assert result.exit_code == 0, result.output
    assert "3 camera(s) found" in result.stdout
    assert SERIALS[2] in result.stdout
    refused = runner.invoke(cli, ["discover", "--network", "10.0.0.0/8"])
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: 10.0.0.0/8 has 16777216 addresses")


def test_camera_strings_never_reach_the_terminal_raw(loop: LoopThread) -> None:
    emu = loop.emulator(host="127.77.2.2")
    emu.state.settings["serial_number"] = "Z23L\x1b[2J\x07evil"
    result = CliRunner().invoke(
        cli, ["--port", str(emu.port), "discover", "--network", "127.77.2.0/30"]
    )
    assert result.exit_code == 0, result.output
    assert "Z23L\\x1b[2J\\x07evil" in result.stdout  # shown escaped
    assert "\x1b" not in result.stdout
