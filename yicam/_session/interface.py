"""Reaching a camera through one local network interface (`ConnectionSettings.interface`).

Every Yi is its own access point at 192.168.42.1: a computer with one Wi-Fi adapter per
camera has several networks with the same address, and the system's routing picks one of
them. Each socket to such a camera (control, data, HTTP, RTSP and its RTP/RTCP ports) is
therefore tied to the camera's interface before it connects:

- Linux: `SO_BINDTODEVICE`. Since Linux 5.7 any process may bind a socket that is not bound
  yet; older kernels want CAP_NET_RAW (root, or `setcap cap_net_raw+ep` on the Python
  binary). Without it the socket is bound to the interface's address instead (a warning is
  logged once), which picks the interface only where the adapters have different addresses
  and source-based routes (`ip rule add from ADDRESS table N`) send each address out of its
  own adapter.
- macOS: `IP_BOUND_IF` with the interface's index; the address binding where that fails.
- Windows and others: bound to the interface's own address; the strong host model then sends
  through the adapter that owns it. Two adapters with the same address (each camera's DHCP
  gives its first client 192.168.42.2) cannot be told apart this way.

`interface` is a name (`wlan1`, `en1`, `Wi-Fi 2`) or the interface's IPv4 address, which
always means the address binding. Tried: Linux, in the Wi-Fi lab (tests/wifi_lab.py);
macOS and Windows are written from their documentation and not tried.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import logging
import re
import socket
import struct
import subprocess
import sys
from functools import cache

from .._errors import CameraConnectionError

__all__ = [
    "bind_device",
    "bind_to_interface",
    "connect",
    "connect_blocking",
    "interface_address",
    "resend_sooner",
]

_LOG = logging.getLogger(__name__)
IP_BOUND_IF = 25  # macOS <netinet/in.h>
TCP_RTO_MIN_US = 45  # Linux 6.15+ <linux/tcp.h>
CONTROL_RTO_MIN = 10_000  # microseconds: a lost request is sent again after ~10-20 ms, not 200
_SIOCGIFADDR = {"linux": 0x8915, "darwin": 0xC0206921}  # read an interface's IPv4 address
_warned: set[str] = set()


def bind_to_interface(sock: socket.socket, interface: str) -> None:
    """Tie `sock` (not yet bound or connected) to `interface`; see the module text for how.

    Raises `CameraConnectionError` when there is no such interface, or it has no IPv4
    address where the address binding is the only way.
    """
    if not bind_device(sock, interface):
        _bind_address(sock, interface_address(interface), interface)


def bind_device(sock: socket.socket, interface: str) -> bool:
    """Tie `sock` to the device `interface` (Linux SO_BINDTODEVICE, macOS IP_BOUND_IF), not
    to an address: False where that cannot be done (the caller binds the address).

    Raises `CameraConnectionError` when there is no such interface.
    """
    if _is_address(interface):
        return False
    if sys.platform.startswith("linux"):
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        except OSError as exc:
            if exc.errno == errno.ENODEV:
                raise _no_interface(interface) from exc
            if exc.errno != errno.EPERM:
                raise
            _warn_once(interface, "SO_BINDTODEVICE needs CAP_NET_RAW on Linux before 5.7")
            return False
        return True
    if sys.platform == "darwin":
        try:
            index = socket.if_nametoindex(interface)
        except OSError as exc:
            raise _no_interface(interface) from exc
        try:
            sock.setsockopt(socket.IPPROTO_IP, IP_BOUND_IF, index)
        except OSError:
            _warn_once(interface, "IP_BOUND_IF was refused")
            return False
        return True
    return False


async def connect(host: str, port: int, interface: str | None) -> socket.socket:
    """A non-blocking TCP socket connected to `host:port` through `interface` (None: the
    system's route), without blocking the loop. Raises `OSError` (`CameraConnectionError`
    for an interface that is not there); a cancelled connect leaves no socket behind."""
    loop = asyncio.get_running_loop()
    error: OSError | None = None
    for family, kind, proto, _, address in await loop.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        if interface is not None and family != socket.AF_INET:
            continue  # the binding is IPv4's
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            if interface is not None:
                bind_to_interface(sock, interface)
            await loop.sock_connect(sock, address)
        except OSError as exc:
            sock.close()
            error = exc
        except BaseException:  # CameraConnectionError for the interface, cancellation
            sock.close()
            raise
        else:
            return sock
    raise error or OSError(f"cannot resolve {host}")


def connect_blocking(
    address: tuple[str, int], timeout: float | None, interface: str | None
) -> socket.socket:
    """`socket.create_connection` through `interface` (for code in worker threads)."""
    if interface is None:
        return socket.create_connection(address, timeout)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        bind_to_interface(sock, interface)
        sock.settimeout(timeout)
        sock.connect(address)
    except BaseException:
        sock.close()
        raise
    return sock


def resend_sooner(sock: socket.socket) -> None:
    """Ask the kernel to retransmit a lost request after tens of milliseconds, not 200.

    A request is one small segment, alone on the wire: when Wi-Fi loses it, only the
    retransmission timer brings it back, and its floor (200 ms) would delay that camera's
    shot by as much. Linux 6.15 and later take a floor per socket (TCP_RTO_MIN_US, no
    privilege needed); elsewhere, and on older kernels, nothing changes.
    """
    if sys.platform.startswith("linux") and sock.type == socket.SOCK_STREAM:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, TCP_RTO_MIN_US, CONTROL_RTO_MIN)


@cache
def interface_address(interface: str) -> str:
    """The IPv4 address of `interface` (a name, or an address given as is).

    Raises `CameraConnectionError` when there is no such interface or it has no address.
    """
    if _is_address(interface):
        return interface
    if sys.platform == "win32":
        return _windows_address(interface)
    request = _SIOCGIFADDR.get("linux" if sys.platform.startswith("linux") else sys.platform)
    if request is None:
        raise CameraConnectionError(
            f"cannot find the address of interface {interface!r} here: give the address itself"
        )
    import fcntl  # POSIX only

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        name = struct.pack("256s", interface.encode()[:15])
        try:
            answer = fcntl.ioctl(probe.fileno(), request, name)
        except OSError as exc:
            raise _no_interface(interface) from exc
    return socket.inet_ntoa(answer[20:24])


def _windows_address(interface: str) -> str:
    """The adapter's IPv4 address, as `netsh` shows it (Windows has no call for it in
    Python's standard library)."""
    try:
        command = ["netsh", "interface", "ipv4", "show", "addresses", f"name={interface}"]
        shown = subprocess.run(  # noqa: S603  # netsh from System32; the name is one argument
            command,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise _no_interface(interface) from exc
    found = re.search(r"IP Address:\s*(\d{1,3}(?:\.\d{1,3}){3})", shown)
    if found is None:
        raise _no_interface(interface)
    return found[1]


def _bind_address(sock: socket.socket, address: str, interface: str) -> None:
    try:
        sock.bind((address, 0))
    except OSError as exc:
        raise CameraConnectionError(
            f"cannot use interface {interface!r}: its address {address} cannot be bound ({exc})"
        ) from exc


def _is_address(text: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(text), ipaddress.IPv4Address)
    except ValueError:
        return False


def _no_interface(interface: str) -> CameraConnectionError:
    return CameraConnectionError(
        f"no network interface {interface!r} with an IPv4 address on this computer"
    )


def _warn_once(interface: str, why: str) -> None:
    if interface not in _warned:
        _warned.add(interface)
        _LOG.warning(
            "%s: bound to the address of %s instead, which reaches the right camera only "
            "where each adapter has its own address and routes follow it",
            why,
            interface,
        )
