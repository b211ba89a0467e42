"""The Wi-Fi lab: cameras at 192.168.42.1, each in a network namespace of its own, reached
from the test's own namespace through one interface per camera (Linux, as root).

    test namespace                          camera namespace k
    wlan<k> 192.168.42.2/24  ── link k ──  wlan0 192.168.42.1/24, an emulator process

Each link is a veth pair shaped like camera Wi-Fi, in both directions: `delay` plus a uniform
`jitter`, a `loss` fraction and a `rate` (`LinkShape`). A kernel with `sch_netem` gets
`tc qdisc ... netem` on both ends; one built without it (CONFIG_NET_SCH_NETEM unset, as on
the VM this was written on) gets the same shaping from `wifi_lab_link.py`, a forwarder in a
namespace between the two halves of the veth link (`WifiLab.shaper` says which).

The test enters its namespace with `with lab.inside():` (its own thread only). That
namespace holds loopback and the lab's interfaces and nothing else, so nothing can leave
through a real route, and the socket guard in conftest.py lets a socket reach
192.168.42.0/24 only from there (`lab_allows`). Everything is removed on close, also when
the test fails; namespaces a killed run left behind are removed by the next lab.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any

__all__ = [
    "CAMERA_ADDRESS",
    "SO_BINDTODEVICE",
    "LabCamera",
    "LinkShape",
    "WifiLab",
    "lab_allows",
    "lab_unavailable",
]

SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)  # Linux's; the lab runs nowhere else
CAMERA_ADDRESS = "192.168.42.1"
HOST_ADDRESS = "192.168.42.2"  # what a camera's DHCP gives its first client
NETWORK_PREFIX = "192.168.42."
CLONE_NEWNET = 0x40000000
NETNS_DIR = Path("/run/netns")
PREFIX = "yicam-lab-"
LINK_SCRIPT = Path(__file__).with_name("wifi_lab_link.py")
CAMERA_NICE = -10  # the emulators' nice value where root may set it
LINK_PRIORITY = 10  # SCHED_FIFO priority of a user-space link (root may set it)
START_TIMEOUT = 30.0  # seconds for a process in the lab to say it is ready (a loaded machine)

_SEQUENCE = itertools.count()
# Namespaces a test may reach 192.168.42.0/24 from, by inode: the interfaces it may use there.
_INSIDE: dict[int, frozenset[str]] = {}

_EMULATOR = """
import asyncio, json, sys
from yicam.emulator import Emulator
async def main():
    options = json.loads(sys.argv[1])
    serial = options.pop("serial", None)
    async with Emulator(sys.argv[2], **options) as emu:
        if serial:
            emu.state.settings["serial_number"] = serial
        print("ready", emu.port, emu.data_port, emu.http_port, emu.rtsp_port or 0, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
asyncio.run(main())
"""


@dataclass(frozen=True, slots=True)
class LinkShape:
    """How one link behaves, the same in each direction.

    The defaults follow the only timed captures (docs/protocol.md, "Reply latency"): the
    fastest replies came 10 ms after their requests, air both ways included, so the air is
    taken as 5 ms each way with 3 ms of jitter; the captures show no loss and give no rate.
    """

    delay: float = 0.005  # seconds, each way
    jitter: float = 0.003  # seconds, uniform +-, each way
    loss: float = 0.0  # fraction of frames lost, each way
    rate: float | None = None  # bits per second, each way; None: as fast as the host goes


@dataclass(slots=True)
class LabCamera:
    """One camera of the lab: the interface that reaches it and its card folder."""

    index: int
    interface: str  # in the test's namespace
    namespace: str
    sd: Path
    address: str = CAMERA_ADDRESS
    process: subprocess.Popen[str] | None = None
    ports: tuple[int, int, int, int] = (7878, 8787, 80, 554)


def current_netns() -> int:
    """The inode of the calling thread's network namespace."""
    return os.stat("/proc/thread-self/ns/net").st_ino


def lab_allows(sock: socket.socket, host: str) -> bool:
    """True when `sock` may reach `host`: a lab address, from a lab's test namespace, bound
    to no interface or to one of that lab's."""
    if not host.startswith(NETWORK_PREFIX) or not _INSIDE:
        return False
    interfaces = _INSIDE.get(current_netns())
    if interfaces is None:
        return False
    try:
        bound = sock.getsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, 16)
    except OSError:
        return False
    device = bound.split(b"\0", 1)[0].decode()
    return not device or device in interfaces


@cache
def lab_unavailable() -> str | None:
    """Why the lab cannot run here, or None when it can."""
    if sys.platform != "linux":
        return "the Wi-Fi lab needs Linux network namespaces"
    if os.geteuid() != 0:
        return "the Wi-Fi lab needs root (network namespaces, veth links, tc)"
    for tool in ("ip", "tc"):
        if shutil.which(tool) is None:
            return f"the Wi-Fi lab needs `{tool}` (iproute2)"
    name = f"{PREFIX}{os.getpid()}-probe"
    made = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if made.returncode != 0:
        return f"cannot make a network namespace here: {made.stderr.strip()}"
    try:  # a container may allow namespaces but no veth links
        link = ["ip", "-n", name, "link", "add", "probe0", "type", "veth", "peer", "name", "probe1"]
        linked = subprocess.run(link, capture_output=True, text=True)
        if linked.returncode != 0:
            return f"cannot make a veth link here: {linked.stderr.strip()}"
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


@cache
def netem_available() -> bool:
    """True when the kernel has `sch_netem` (tried on a veth in a scratch namespace)."""
    name = f"{PREFIX}{os.getpid()}-netem"
    try:
        _ip("netns", "add", name)
        _ip("-n", name, "link", "add", "probe0", "type", "veth", "peer", "name", "probe1")
        tried = subprocess.run(
            ["tc", "-n", name, "qdisc", "add", "dev", "probe0", "root", "netem", "delay", "1ms"],
            capture_output=True,
        )
        return tried.returncode == 0
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


def _tc(*args: str) -> None:
    done = subprocess.run(["tc", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"tc {' '.join(args)}: {done.stderr.strip()}")


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"setns: {os.strerror(error)}")


def _sweep() -> None:
    """Remove the namespaces of lab runs whose process is gone."""
    if not NETNS_DIR.is_dir():
        return
    for path in NETNS_DIR.glob(f"{PREFIX}*"):
        pid = path.name[len(PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            subprocess.run(["ip", "netns", "del", path.name], capture_output=True)


def _wait_ready(process: subprocess.Popen[str], what: str, log: Path) -> str:
    """The process's first stdout line once it says "ready"; raises when it does not."""
    assert process.stdout is not None
    readable, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
    line = process.stdout.readline() if readable else ""
    if not line.startswith("ready"):
        process.kill()
        process.wait()
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"{what} did not start: {line!r} {detail}")
    return line


@dataclass
class WifiLab:
    """`with WifiLab(4) as lab:` N links and camera namespaces, removed on exit.

    `shapes` gives each link its own `LinkShape` (one for all by default);
    `distinct_addresses` gives the test's interfaces 192.168.42.10, .11, ... instead of
    192.168.42.2 on each (as when every camera's DHCP hands out its first address).
    `station` wires the cameras in station mode instead: every link ends on one bridge,
    `wlan0` (192.168.42.2, the network the cameras joined), camera k is at 192.168.42.(101+k).
    """

    cameras: int
    shape: LinkShape = field(default_factory=LinkShape)
    shapes: Sequence[LinkShape] | None = None
    distinct_addresses: bool = False
    station: bool = False
    workdir: Path | None = None
    seed: int | None = None
    shaper: str = ""  # "netem" or "user space", once started
    namespace: str = ""  # the test's own
    interfaces: list[str] = field(default_factory=list)
    camera_list: list[LabCamera] = field(default_factory=list)
    _names: list[str] = field(default_factory=list)
    _links: list[subprocess.Popen[str]] = field(default_factory=list)
    _logs: list[IO[str]] = field(default_factory=list)
    _tempdir: str | None = None
    _inode: int = 0

    def __enter__(self) -> WifiLab:
        reason = lab_unavailable()
        if reason is not None:
            raise RuntimeError(reason)
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- building --------------------------------------------------------------------------

    def _namespace(self, role: str) -> str:
        name = f"{PREFIX}{os.getpid()}-{self._serial}-{role}"
        _ip("netns", "add", name)
        self._names.append(name)
        self._sysctl(name, "net/ipv6/conf/all/disable_ipv6", "1")
        self._sysctl(name, "net/ipv6/conf/default/disable_ipv6", "1")
        _ip("-n", name, "link", "set", "lo", "up")
        return name

    def _sysctl(self, namespace: str, key: str, value: str) -> None:
        with self.entered(namespace):
            Path("/proc/sys", key).write_text(value)

    @contextlib.contextmanager
    def entered(self, namespace: str) -> Iterator[None]:
        """The calling thread inside `namespace` for the block."""
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(NETNS_DIR / namespace, os.O_RDONLY)
        try:
            _setns(target)
            try:
                yield
            finally:
                _setns(home)
        finally:
            os.close(target)
            os.close(home)

    def _build(self) -> None:
        _sweep()
        self._serial = next(_SEQUENCE)
        if self.workdir is None:
            self._tempdir = tempfile.mkdtemp(prefix="yicam-lab-")
            self.workdir = Path(self._tempdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.shaper = "netem" if netem_available() else "user space"
        self.namespace = self._namespace("test")
        # No reverse-path check: replies from 192.168.42.1 come in on every interface.
        self._sysctl(self.namespace, "net/ipv4/conf/all/rp_filter", "0")
        self._sysctl(self.namespace, "net/ipv4/conf/default/rp_filter", "0")
        shapes = list(self.shapes) if self.shapes is not None else [self.shape] * self.cameras
        if len(shapes) != self.cameras:
            raise ValueError(f"{len(shapes)} link shapes for {self.cameras} cameras")
        if self.station:
            _ip("-n", self.namespace, "link", "add", "wlan0", "type", "bridge")
            _ip("-n", self.namespace, "addr", "add", f"{HOST_ADDRESS}/24", "dev", "wlan0")
            _ip("-n", self.namespace, "link", "set", "wlan0", "up")
            self.interfaces.append("wlan0")
        for index, shape in enumerate(shapes):
            self._add_camera(index, shape)
        with self.entered(self.namespace):
            self._inode = current_netns()

    def _add_camera(self, index: int, shape: LinkShape) -> None:
        interface = f"port{index}" if self.station else f"wlan{index}"
        camera_ns = self._namespace(f"cam{index}")
        if self.shaper == "netem":
            _ip("-n", self.namespace, "link", "add", interface, "type", "veth",
                "peer", "name", "wlan0", "netns", camera_ns)  # fmt: skip
            self._netem(self.namespace, interface, shape)
            self._netem(camera_ns, "wlan0", shape)
        else:
            air = self._namespace(f"air{index}")
            _ip("-n", self.namespace, "link", "add", interface, "type", "veth",
                "peer", "name", "near", "netns", air)  # fmt: skip
            _ip("-n", air, "link", "add", "far", "type", "veth",
                "peer", "name", "wlan0", "netns", camera_ns)  # fmt: skip
            for end in ("near", "far"):
                _ip("-n", air, "link", "set", end, "up")
            self._links.append(self._forwarder(air, shape, index))
        # One frame per skb, as on the air: loss and rate then act on real packet sizes.
        for namespace, device in ((self.namespace, interface), (camera_ns, "wlan0")):
            _ip("-n", namespace, "link", "set", device, "gso_max_segs", "1", "up")
        address = CAMERA_ADDRESS
        if self.station:  # a port of the network's bridge; the camera has a DHCP address
            _ip("-n", self.namespace, "link", "set", interface, "master", "wlan0")
            address = f"{NETWORK_PREFIX}{101 + index}"
        else:
            host = f"{NETWORK_PREFIX}{10 + index}" if self.distinct_addresses else HOST_ADDRESS
            _ip("-n", self.namespace, "addr", "add", f"{host}/24", "dev", interface)
            self.interfaces.append(interface)
        _ip("-n", camera_ns, "addr", "add", f"{address}/24", "dev", "wlan0")
        assert self.workdir is not None
        sd = self.workdir / f"card{index}"
        sd.mkdir(parents=True, exist_ok=True)
        self.camera_list.append(LabCamera(index, interface, camera_ns, sd, address))

    def _netem(self, namespace: str, device: str, shape: LinkShape) -> None:
        spec = ["delay", f"{shape.delay * 1000:g}ms", f"{shape.jitter * 1000:g}ms"]
        if shape.loss:
            spec += ["loss", f"{shape.loss * 100:g}%"]
        if shape.rate:
            spec += ["rate", f"{shape.rate:.0f}bit"]
        _tc("-n", namespace, "qdisc", "add", "dev", device, "root", "netem", *spec,
            "limit", "1000")  # fmt: skip

    def _forwarder(self, air: str, shape: LinkShape, index: int) -> subprocess.Popen[str]:
        command = [
            "ip", "netns", "exec", air, sys.executable, str(LINK_SCRIPT), "near", "far",
            "--delay", str(shape.delay), "--jitter", str(shape.jitter),
            "--loss", str(shape.loss), "--rate", str(shape.rate or 0),
        ]  # fmt: skip
        if self.seed is not None:
            command += ["--seed", str(self.seed + index)]
        assert self.workdir is not None
        log_path = self.workdir / f"link{index}.log"
        log = log_path.open("w")
        self._logs.append(log)
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True
        )
        _wait_ready(process, f"the shaper of link {index}", log_path)
        # A link is the kernel's work with netem: ahead of the load, as softirqs are.
        if sys.platform == "linux":
            with contextlib.suppress(OSError):
                policy = os.SCHED_FIFO
                os.sched_setscheduler(process.pid, policy, os.sched_param(LINK_PRIORITY))
        return process

    # -- using -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def inside(self) -> Iterator[WifiLab]:
        """The calling thread in the test's namespace for the block, allowed to reach the
        lab's cameras (threads it starts meanwhile are in there too)."""
        self._check_open()
        _INSIDE[self._inode] = frozenset(self.interfaces)
        try:
            with self.entered(self.namespace):
                yield self
        finally:
            _INSIDE.pop(self._inode, None)

    def start_emulators(self, **options: Any) -> list[LabCamera]:
        """Start an emulator in every camera namespace, at the camera's address (`Emulator`
        options as JSON values, `serial` its serial number; the card is the camera's `sd`
        folder unless `sd` is given). Camera k's serial ends in k unless given."""
        for camera in self.camera_list:
            serial = options.get("serial", f"LAB{camera.index:09d}")
            self.start_emulator(camera.index, **{**options, "serial": serial})
        return self.camera_list

    def start_emulator(self, index: int, *, address: str = "", **options: Any) -> LabCamera:
        """(Re)start camera `index`'s emulator, serving at `address` (default: the camera's)."""
        self._check_open()
        camera = self.camera_list[index]
        address = address or camera.address
        self.stop_emulator(index)
        options.setdefault("sd", str(camera.sd))
        assert self.workdir is not None
        log_path = self.workdir / f"emulator{index}.log"
        log = log_path.open("a")
        self._logs.append(log)
        process = subprocess.Popen(
            ["ip", "netns", "exec", camera.namespace, sys.executable, "-c", _EMULATOR,
             json.dumps(options), address],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
        )  # fmt: skip
        camera.process = process
        ready = _wait_ready(process, f"the emulator of camera {index}", log_path)
        if sys.platform == "linux":  # a camera has its own CPU: ahead of the host's load
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, process.pid, CAMERA_NICE)
        port, data_port, http_port, rtsp_port = (int(p) for p in ready.split()[1:5])
        camera.ports = (port, data_port, http_port, rtsp_port)
        camera.address = address
        return camera

    def stop_emulator(self, index: int) -> None:
        """Switch camera `index` off (its emulator process ends)."""
        camera = self.camera_list[index]
        process, camera.process = camera.process, None
        if process is not None:
            _end(process)

    def run_in(self, namespace: str, *command: str) -> subprocess.CompletedProcess[str]:
        """Run a command in one of the lab's namespaces."""
        return subprocess.run(
            ["ip", "netns", "exec", namespace, *command], capture_output=True, text=True
        )

    def link_down(self, index: int) -> None:
        """Take the test's interface to camera `index` down (an adapter unplugged)."""
        _ip("-n", self.namespace, "link", "set", self.interfaces[index], "down")

    def link_up(self, index: int) -> None:
        """Bring the test's interface to camera `index` back up."""
        _ip("-n", self.namespace, "link", "set", self.interfaces[index], "up")

    @property
    def namespaces(self) -> list[str]:
        """Every namespace the lab made (the test's own, the cameras', the links')."""
        return list(self._names)

    def _check_open(self) -> None:
        if not self.namespace:
            raise RuntimeError("the lab is not running: use `with WifiLab(...) as lab:`")

    # -- tearing down ----------------------------------------------------------------------

    def close(self) -> None:
        """Stop every process and remove every namespace (their links go with them)."""
        _INSIDE.pop(self._inode, None)
        for camera in self.camera_list:
            if camera.process is not None:
                _end(camera.process)
                camera.process = None
        for process in self._links:
            _end(process)
        self._links.clear()
        for name in reversed(self._names):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        self._names.clear()
        for log in self._logs:
            log.close()
        self._logs.clear()
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None
        self.namespace = ""


def _end(process: subprocess.Popen[str]) -> None:
    """Close the process's stdin (its signal to stop), then make sure it is gone."""
    with contextlib.suppress(OSError):
        if process.stdin is not None:
            process.stdin.close()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()
