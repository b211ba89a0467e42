"""`yicam emulate --count N`: N emulated cameras, each with its own address, serial and card."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..emulator import DISCOVERY_PORT, Emulator
from .base import options_for
from .emulate import settings_of

__all__ = ["EmulatedFleet", "plan_fleet", "reach_all_lines", "several"]


@dataclass(frozen=True, slots=True)
class Slot:
    """Where one of the N emulated cameras listens."""

    index: int  # 1..N
    host: str
    port: int
    data_port: int
    http_port: int
    rtsp_port: int | None


@dataclass(frozen=True, slots=True)
class EmulatedFleet:
    """The emulators' addresses, and whether they share one address (no 127.0.0.x aliases)."""

    slots: tuple[Slot, ...]
    shared_address: bool


def several(
    count: int,
    host: str,
    ports: tuple[int, int, int, int],
    sd: Path | None,
    **options: Any,
) -> tuple[list[Emulator], Callable[[], list[str]]]:
    """The emulators for `emulate --count`, and what prints the command reaching them all."""
    plan = plan_fleet(count, host, *ports)
    emulators = build_emulators(plan, sd, **options)
    return emulators, lambda: reach_all_lines(plan, emulators)


def plan_fleet(
    count: int,
    host: str,
    port: int,
    data_port: int,
    http_port: int,
    rtsp_port: int | None,
    *,
    can_bind: Callable[[str], bool] | None = None,
) -> EmulatedFleet:
    """Camera i on HOST+i-1 with the same ports, or, where those addresses cannot be bound
    (macOS has only 127.0.0.1 until aliases are added), on HOST with every port + i-1."""
    if count < 1:
        raise ValueError("--count must be at least 1")
    can_bind = can_bind or _can_bind
    try:
        first = ipaddress.IPv4Address(host)
        hosts = [str(first + i) for i in range(count)]
    except (ipaddress.AddressValueError, ipaddress.NetmaskValueError, ValueError):
        hosts = []
    if count > 1 and hosts and all(can_bind(h) for h in hosts[1:]):
        slots = [Slot(i + 1, h, port, data_port, http_port, rtsp_port) for i, h in enumerate(hosts)]
        return EmulatedFleet(tuple(slots), shared_address=False)

    def shifted(value: int, i: int) -> int:
        return value + i if value else 0  # 0: any free port

    slots = [
        Slot(
            i + 1,
            host,
            shifted(port, i),
            shifted(data_port, i),
            shifted(http_port, i),
            None if rtsp_port is None else shifted(rtsp_port, i),
        )
        for i in range(count)
    ]
    return EmulatedFleet(tuple(slots), shared_address=count > 1)


def build_emulators(plan: EmulatedFleet, sd: Path | None, **options: Any) -> list[Emulator]:
    """One emulator per slot, each with its own card (SD/camN with `--sd`) and serial."""
    emulators = []
    first = options.get("discovery_port", DISCOVERY_PORT)
    for slot in plan.slots:
        if options.get("network_mode") and plan.shared_address and first:  # one address
            options["discovery_port"] = first + slot.index - 1
        emulator = Emulator(
            slot.host,
            slot.port,
            data_port=slot.data_port,
            http_port=slot.http_port,
            rtsp_port=slot.rtsp_port,
            sd=None if sd is None else sd / f"cam{slot.index}",
            **options,
        )
        if sd is not None:
            emulator.sd.mkdir(parents=True, exist_ok=True)
        settings = emulator.state.settings
        serial = settings.get("serial_number", "YICAM0000000")
        settings["serial_number"] = f"{serial[: max(len(serial) - 4, 0)]}{slot.index:04d}"
        emulators.append(emulator)
    return emulators


def reach_all_lines(plan: EmulatedFleet, emulators: list[Emulator]) -> list[str]:
    """The command (or commands) that reach every emulated camera at once."""
    first = emulators[0]
    if not plan.shared_address:
        options = options_for(settings_of(first), omit=("host",), changed_only=True)
        hosts = ",".join(e.host for e in emulators)
        if all(e.port == first.port and e.data_port == first.data_port for e in emulators):
            command = " ".join(filter(None, ["yicam", options, "fleet --hosts", hosts, "status"]))
            return [f"reach them all: {command}"]
    lines = ["reach them all: name them once, then use `yicam fleet --all`:"]
    for i, e in enumerate(emulators, 1):
        omit = ("host", "rtsp_port") if e.rtsp_port is None else ("host",)
        lines.append(
            f"  yicam {options_for(settings_of(e), omit=omit)} cameras add emu{i} {e.host}"
        )
    names = " ".join(f"-c emu{i}" for i in range(1, len(emulators) + 1))
    lines.append(f"  yicam {names} fleet status")
    return lines


def _can_bind(host: str) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        try:
            sock.bind((host, 0))
        except OSError:
            return False
    return True
