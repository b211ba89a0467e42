"""Finding cameras on the local networks: seeds, a bounded TCP probe of 7878, a session.

Seeds are probed first: the cameras that answer the vendor discovery datagram (`amba
discovery`, broadcast on UDP 7877 to each network scanned; read from the Yi 4K's firmware,
never tested on hardware), then the hosts in the OS's ARP table. Only addresses inside the
networks being scanned are ever contacted (seeds outside them are ignored), only on the
control port and UDP 7877, and a host that accepts the connection gets nothing but a session
start, the identity reads of `Camera.device_info` and a session end.
The ARP table comes from /proc/net/arp on Linux, else from `arp -an` (macOS, BSD) or
`arp -a` (Windows); without either, every address of the networks is probed all the same.
The host's own networks are the /24 around each of its IPv4 addresses (the usual Wi-Fi mask).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
import socket
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, replace
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from .._camera import Camera
from .._wire.discovery import DISCOVERY_PORT, REQUEST, parse_answer

__all__ = [
    "FoundCamera",
    "arp_seeds",
    "discover",
    "host_networks",
    "scan_networks",
]

WIDEST_PREFIX = 22  # 1022 addresses: anything wider needs force=True (`--force`)
CONCURRENCY = 64
HEAD_START = 0.2  # seconds the discovery answers get before the probe starts
PROC_ARP = Path("/proc/net/arp")  # Linux's ARP table
_LOG = logging.getLogger(__name__)
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")


@dataclass(frozen=True, slots=True)
class FoundCamera:
    """A camera that answered: its address and identity (untrusted camera strings)."""

    host: str
    port: int
    model: str | None
    firmware: str | None
    serial: str | None
    discovery_name: str | None = None  # its answer to UDP discovery (station name), if any


def scan_networks(networks: Iterable[str], *, force: bool = False) -> list[IPv4Network]:
    """Parse CIDRs; refuses IPv6 and anything wider than a /22 unless `force`."""
    parsed = []
    for text in networks:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a network such as 192.168.1.0/24") from exc
        if not isinstance(network, IPv4Network):
            raise ValueError(f"{text}: only IPv4 networks can be scanned")
        if network.prefixlen < WIDEST_PREFIX and not force:
            raise ValueError(
                f"{network} has {network.num_addresses} addresses, more than a "
                f"/{WIDEST_PREFIX}; narrow it, or scan it anyway with --force"
            )
        parsed.append(network)
    return parsed


def host_networks() -> list[IPv4Network]:
    """The /24 around each of this computer's IPv4 addresses (not loopback or link-local)."""
    addresses: set[str] = set()
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            addresses.add(str(info[4][0]))
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.connect(("192.0.2.1", 9))  # TEST-NET: no packet is sent; picks the default route
        addresses.add(udp.getsockname()[0])
    networks = {
        ipaddress.ip_network(f"{address}/24", strict=False)
        for address in addresses
        if not (IPv4Address(address).is_loopback or IPv4Address(address).is_link_local)
    }
    return sorted(n for n in networks if isinstance(n, IPv4Network))


def arp_seeds() -> list[IPv4Address]:
    """Addresses in the OS's ARP table: hosts seen lately, probed first."""
    if PROC_ARP.exists():
        with contextlib.suppress(OSError):
            return parse_arp(PROC_ARP.read_text())
    try:
        # -n: numeric, no name lookups (macOS, BSD); Windows' arp is numeric already.
        command = ["arp", "-a"] if sys.platform == "win32" else ["arp", "-an"]
        output = subprocess.run(  # noqa: S603  # a fixed command line, no input in it
            command,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_arp(output)


def parse_arp(text: str) -> list[IPv4Address]:
    """Every IPv4 address in /proc/net/arp or `arp -a` output (incomplete entries skipped)."""
    seeds: list[IPv4Address] = []
    for line in text.splitlines():
        if "incomplete" in line or " 0x0 " in line:
            continue  # no answer from that host
        for match in _IPV4.findall(line):
            with contextlib.suppress(ValueError):
                address = IPv4Address(match)
                if address not in seeds and not address.is_multicast:
                    seeds.append(address)
    return seeds


async def discover(
    networks: Iterable[str] | None = None,
    *,
    port: int = 7878,
    timeout: float = 1.0,
    force: bool = False,
    seeds: Iterable[IPv4Address] | None = None,
    concurrency: int = CONCURRENCY,
    discovery_port: int | None = DISCOVERY_PORT,
) -> list[FoundCamera]:
    """Cameras in `networks` (default: the host's own), sorted by address.

    `discovery_port` is where the vendor discovery datagram is broadcast (None: not sent).
    Returns a `FoundCamera` per address that answered like a camera (silent addresses are
    skipped, never an error); raises `ValueError` for a network that is not IPv4 CIDR text or
    is wider than a /22 without `force`.
    """
    nets = scan_networks(networks, force=force) if networks is not None else host_networks()
    names: dict[IPv4Address, str] = {}  # filled as answers come, until the probe ends
    broadcast = await _broadcast(nets, discovery_port, names) if discovery_port else None
    try:
        found = await _probe(nets, names, seeds, port, timeout, concurrency, broadcast is not None)
    finally:
        if broadcast is not None:
            broadcast.close()
    named = [
        replace(f, discovery_name=names.get(IPv4Address(f.host))) for f in found if f is not None
    ]
    return sorted(named, key=lambda f: IPv4Address(f.host))


async def _probe(
    nets: list[IPv4Network],
    names: dict[IPv4Address, str],
    seeds: Iterable[IPv4Address] | None,
    port: int,
    timeout: float,
    concurrency: int,
    broadcast: bool,
) -> list[FoundCamera | None]:
    """The bounded probe: seeds first (discovery answers, then the ARP table), then every
    host of the networks; a camera for each address that answers like one."""
    if broadcast:
        await asyncio.sleep(min(HEAD_START, timeout))  # the quick answers become seeds
    if seeds is None:
        seeds = await asyncio.to_thread(arp_seeds)
    candidates: dict[IPv4Address, None] = {}
    for address in [*names, *seeds]:  # answered, or seen lately: probed first
        if any(_host_of(address, net) for net in nets):  # never outside the networks
            candidates[address] = None
    for net in nets:
        for address in net.hosts() if net.num_addresses > 2 else net:
            candidates.setdefault(address, None)
    limit = asyncio.Semaphore(concurrency)

    async def check(address: IPv4Address) -> FoundCamera | None:
        async with limit:
            if not await _accepts(str(address), port, timeout):
                return None
            return await _identify(str(address), port, timeout)

    return await asyncio.gather(*(check(a) for a in candidates))


def _host_of(address: IPv4Address, net: IPv4Network) -> bool:
    """True when `address` is a host of `net` (not its network or broadcast address)."""
    if address not in net:
        return False
    return net.num_addresses <= 2 or address not in (net.network_address, net.broadcast_address)


async def _broadcast(
    nets: list[IPv4Network], port: int, names: dict[IPv4Address, str]
) -> asyncio.DatagramTransport | None:
    """Broadcast `amba discovery` to each network; answers go into `names` by address.

    Answers from outside the networks are ignored. None when the OS gives no UDP socket;
    a broadcast it refuses (no route, no permission) is skipped: the TCP probe still runs.
    """
    targets = [n for n in nets if n.prefixlen <= 30]
    if not targets:
        return None
    try:
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: _Answers(targets, names), family=socket.AF_INET, allow_broadcast=True
        )
    except OSError:
        return None
    for net in targets:
        with contextlib.suppress(OSError):
            transport.sendto(REQUEST, (str(net.broadcast_address), port))
    return transport


class _Answers(asyncio.DatagramProtocol):
    def __init__(self, nets: list[IPv4Network], names: dict[IPv4Address, str]) -> None:
        self.nets, self.names = nets, names

    def datagram_received(self, data: bytes, addr: tuple[str | bytes, int]) -> None:
        name = parse_answer(data)
        with contextlib.suppress(ValueError):
            sender = IPv4Address(str(addr[0]))
            if name is not None and any(_host_of(sender, net) for net in self.nets):
                self.names.setdefault(sender, name)

    def error_received(self, exc: Exception) -> None:
        pass  # an ICMP error for a broadcast: nobody there


async def _accepts(host: str, port: int, timeout: float) -> bool:
    """True when the host accepts a TCP connection on `port` within `timeout` (nothing is sent).

    The kernel says whether the handshake finished, not the timer alone: when this process
    stalls (a loaded machine, a long garbage collection), the timer and the finished
    connection come due in the same turn of the loop, and the timer would win for every
    camera of the stalled batch.
    """
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setblocking(False)
        try:
            async with asyncio.timeout(timeout):
                await loop.sock_connect(sock, (host, port))
        except TimeoutError:
            return _connected(sock)
        except OSError:
            return False
    return True


def _connected(sock: socket.socket) -> bool:
    """True when `sock`'s handshake has finished (it has a peer)."""
    try:
        sock.getpeername()
    except OSError:
        return False
    return True


async def _identify(host: str, port: int, timeout: float) -> FoundCamera | None:
    """Start a session, read the identity, end the session; None if it is no camera."""
    try:
        async with asyncio.timeout(timeout * 4), Camera(host, port, timeout=timeout) as cam:
            info = await cam.device_info()
    except Exception as exc:  # anything else on the port is simply not a camera
        _LOG.debug("%s:%d answered but not as a camera: %r", host, port, exc)
        return None
    model = cam.model_name if cam.model_name != "unknown model" else info.model
    return FoundCamera(host, port, model, info.firmware, info.serial)
