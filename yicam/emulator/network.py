"""The camera's network side (`Emulator(network_mode=True)`, `yicam emulate --network-mode`).

At start the camera reads its card as the firmware does: a Yi 4K with `sta.conf` at the card
root, a Yi 4K+ with `Wi-Fi.DEBUG/start.sh`, a Yi 1 with the client-mode `autoexec.ash` and
`wifi/` files joins a network (station mode); otherwise it is its own access point. An
emulator cannot join a Wi-Fi network: it serves at the address it is given (the address the
network's DHCP would have given the camera), and, like the firmware (YIOpenAPI issue #21),
still announces `rtsp://192.168.42.1/live` in its 257 reply.

The Yi 4K's firmware also runs a discovery daemon on UDP 7877 (`remoteapi_disc_daemon`,
read from the stock firmware, never tested on hardware): a datagram `amba discovery` (or
`amba discoverywakeup`) gets `name:<name>` back. The real daemon reads the name from
/pref/wifi.conf, which nothing fills from sta.conf (so probably `amba-1`, an inference);
the emulator answers with the station name the card gives, `amba-1` without one.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import shlex
from dataclasses import dataclass
from typing import cast

from .._wire.discovery import DEFAULT_NAME, answer
from .card import Card, CardPathError

__all__ = ["AP_ADDRESS", "DiscoveryResponder", "NetworkMode", "read_network_mode"]

AP_ADDRESS = "192.168.42.1"  # the camera's own address as an access point
_MAX_FILE = 64 * 1024  # a station file larger than this is not one
_DAEMON_MODELS = frozenset({"yi4k", "yi4kplus"})  # the firmware with remoteapi_disc_daemon


@dataclass(frozen=True, slots=True)
class NetworkMode:
    """How the camera came up: station (joined `ssid`) or its own access point."""

    station: bool = False
    ssid: str | None = None
    name: str = DEFAULT_NAME  # what the discovery daemon answers
    discovery: bool = False  # the model runs the UDP 7877 daemon

    def describe(self) -> str:
        """One line for the emulator's ready line."""
        if not self.station:
            return "access point mode"
        return f"station mode (joined {self.ssid!r} as {self.name})"


def read_network_mode(card: Card, model: str) -> NetworkMode:
    """The mode the camera's firmware would choose at start, from the card's files."""
    discovery = model in _DAEMON_MODELS
    if not card.inserted:
        return NetworkMode(discovery=discovery)
    if model == "yi4k":
        found = _sta_conf(_read(card, "sta.conf"))
    elif model == "yi4kplus":
        found = _start_sh(_read(card, "Wi-Fi.DEBUG/start.sh"))
    else:
        found = _yi1(card)
    if found is None:
        return NetworkMode(discovery=discovery)
    ssid, name = found
    return NetworkMode(True, ssid, name or DEFAULT_NAME, discovery)


def _read(card: Card, path: str) -> str | None:
    try:
        local = card.local_path(path)
        if not local.is_file() or local.stat().st_size > _MAX_FILE:
            return None
        return local.read_bytes().decode("utf-8", "replace")
    except (CardPathError, OSError):
        return None


def _sta_conf(text: str | None) -> tuple[str, str | None] | None:
    """sta.conf as the stock wifi_xy_start.sh reads it: grep, then fixed `cut` columns."""
    if text is None:
        return None
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if not line.startswith("#")]
    ssid = "\n".join(line[5:] for line in lines if "SSID" in line)  # grep SSID | cut -c 6-
    names = [line[12:] for line in lines if "DEVICE_NAME" in line]  # cut -c 13-
    return (ssid, names[0] if names else None) if ssid else None


def _start_sh(text: str | None) -> tuple[str, str | None] | None:
    """The 4K+ start.sh: the arguments of its station line."""
    for line in (text or "").splitlines():
        if line.startswith("#") or "WIFI_MODE=sta" not in line:
            continue
        with contextlib.suppress(ValueError):
            words = dict(w.split("=", 1) for w in shlex.split(line)[1:] if "=" in w)
            if words.get("STA_SSID"):
                return words["STA_SSID"], words.get("STA_NAME")
    return None


def _yi1(card: Card) -> tuple[str, str | None] | None:
    """autoexec.ash running wifi/sta.sh, which joins the network of wpa_supplicant.conf."""
    autoexec = _read(card, "autoexec.ash") or ""
    if "/tmp/fuse_d/wifi/sta.sh" not in autoexec or _read(card, "wifi/sta.sh") is None:
        return None
    for line in (_read(card, "wifi/wpa_supplicant.conf") or "").splitlines():
        line = line.strip()
        if line.startswith('ssid="') and line.endswith('"') and len(line) > 7:
            return line[6:-1], None  # no name: the Yi 1 scripts send none
    return None


class DiscoveryResponder:
    """The UDP 7877 daemon: answers `amba discovery` with `name:<name>`, to the sender."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.port = 0
        self._transports: list[asyncio.DatagramTransport] = []

    async def start(self, host: str, port: int) -> int:
        """Listen on `host` (and, off loopback, on its /24's broadcast address)."""
        loop = asyncio.get_running_loop()
        unicast, _ = await loop.create_datagram_endpoint(
            lambda: _Daemon(self, None), local_addr=(host, port)
        )
        self._transports.append(unicast)
        self.port = unicast.get_extra_info("sockname")[1]
        address = ipaddress.ip_address(host)
        if isinstance(address, ipaddress.IPv4Address) and not address.is_loopback:
            broadcast = ipaddress.ip_network(f"{host}/24", strict=False).broadcast_address
            with contextlib.suppress(OSError):  # not every OS lets a socket bind a broadcast
                extra, _ = await loop.create_datagram_endpoint(
                    lambda: _Daemon(self, unicast),
                    local_addr=(str(broadcast), self.port),
                )
                self._transports.append(extra)
        return self.port

    def close(self) -> None:
        """Stop listening."""
        for transport in self._transports:
            transport.close()
        self._transports.clear()


class _Daemon(asyncio.DatagramProtocol):
    def __init__(self, owner: DiscoveryResponder, reply_from: asyncio.DatagramTransport | None):
        self.owner = owner
        self.reply_from = reply_from
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | bytes, int]) -> None:
        reply = answer(data, self.owner.name)
        sender = self.reply_from or self.transport
        if reply is not None and sender is not None:
            sender.sendto(reply, addr)
