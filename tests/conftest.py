"""Test session guards: loopback only, no lingering asyncio tasks, offscreen Qt."""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import os
import socket
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from yicam import Camera
from yicam.emulator import Emulator

from .cli_helpers import LoopThread, enter_emulator, loop_thread
from .wifi_lab import lab_allows

# Shared two-core machines: generating inputs may be slow, and a deadline would measure the
# load, not the code. Every example still runs.
settings.register_profile("shared", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("shared")

# A forgotten --host must never reach a real camera (or anything else) from a test.
os.environ["YICAM_HOST"] = "127.0.0.1"
os.environ.pop("YICAM_CAMERA", None)  # nor a named camera from the developer's shell
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Agents started by tests register here, never where the developer's own agents are.
os.environ["YICAM_AGENT_DIR"] = tempfile.mkdtemp(prefix="yicam-agents-")

FAST = 0.05  # emulator time scale for tests: realistic ordering, 20x shorter delays


def pytest_report_header() -> str:
    """Which yicam the run tests: the source tree (make test) or an installed wheel (nox)."""
    import yicam

    return f"yicam: {os.path.dirname(yicam.__file__)}"


# `pytest --camera-host HOST` adds that one address, for the read-only hardware tests.
_ALLOWED: set[str] = set()


def _check_address(sock: socket.socket, address: Any) -> None:
    if not isinstance(address, tuple) or not address:
        return  # AF_UNIX and friends
    host = address[0]
    if host in _ALLOWED:
        return
    try:
        ip = ipaddress.ip_address(host.split("%")[0] if isinstance(host, str) else host)
    except ValueError:
        ip = None
    if ip is not None and (ip.is_loopback or lab_allows(sock, str(ip))):
        return  # loopback, or a Wi-Fi lab camera from inside that lab (tests/wifi_lab.py)
    raise RuntimeError(f"test tried to reach {host!r}: tests may only use 127.0.0.0/8")


def _guard(name: str) -> None:
    original = getattr(socket.socket, name)

    def guarded(self: socket.socket, address: Any, *args: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            # sendto(data, address) carries the address last.
            _check_address(self, args[-1] if name == "sendto" and args else address)
        return original(self, address, *args)

    setattr(socket.socket, name, guarded)


for _name in ("connect", "connect_ex", "sendto"):
    _guard(_name)


async def wait_until(condition: Callable[[], Any], timeout: float = 5.0) -> None:
    """Poll `condition` (sync or async) until it is true; fail after `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while True:
            result = condition()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            await asyncio.sleep(0.01)


@pytest.fixture(autouse=True)
def no_retry_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Transfers are retried at once in tests (the pauses are for real cameras)."""
    from yicam import RetryPolicy

    @functools.wraps(RetryPolicy.delay)  # still documented, for tests/test_docs.py
    def no_delay(_policy: RetryPolicy, _retry: int) -> float:
        return 0.0

    monkeypatch.setattr(RetryPolicy, "delay", no_delay)


@pytest.fixture
async def no_lingering_tasks() -> AsyncIterator[None]:
    """Fail an async test that leaves tasks running behind it."""
    yield
    current = asyncio.current_task()
    for _ in range(50):
        left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        if not left:
            return
        await asyncio.sleep(0.01)
    for task in left:
        task.cancel()
    pytest.fail(f"test left tasks running: {left}")


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--camera-host HOST`: run only the read-only `hardware` tests, against that camera."""
    parser.addoption(
        "--camera-host",
        default=None,
        help="IP address of a real camera: run only the read-only hardware tests against it",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the `hardware` marker; allow the one real camera the user named."""
    config.addinivalue_line(
        "markers", "hardware: read-only and safe on a real camera (see --camera-host)"
    )
    host = config.getoption("--camera-host")
    if host:
        _ALLOWED.add(socket.gethostbyname(host))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Apply the lingering-task guard to every async test; with --camera-host, skip the rest."""
    real = config.getoption("--camera-host")
    skip = pytest.mark.skip(reason="emulator-only test (running against a real camera)")
    for item in items:
        function = getattr(item, "function", None)
        if function is not None and asyncio.iscoroutinefunction(function):
            item.add_marker(pytest.mark.usefixtures("no_lingering_tasks"))
        if real and item.get_closest_marker("hardware") is None:
            item.add_marker(skip)


@pytest.fixture
async def server(viewfinder: Any) -> AsyncIterator[Any]:
    """An RTSP server that streams while the test module's `viewfinder` fixture is on."""
    from yicam.emulator.rtsp import RtspServer  # needs PyAV: imported only by live tests

    srv = RtspServer("127.0.0.1", 0, viewfinder=lambda: viewfinder.on)
    await srv.start()
    try:
        yield srv
    finally:
        await srv.close()


EmulatorFactory = Callable[..., AbstractAsyncContextManager[Emulator]]


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    """An event loop in a background thread, for tests that run the CLI synchronously."""
    with loop_thread() as thread:
        yield thread


@pytest.fixture
async def start_emulator() -> AsyncIterator[Callable[..., Any]]:
    """Start emulators on ephemeral loopback ports; all are closed after the test."""
    async with AsyncExitStack() as stack:

        async def start(**kwargs: Any) -> Emulator:
            kwargs.setdefault("port", 0)
            kwargs.setdefault("data_port", 0)
            kwargs.setdefault("http_port", 0)
            kwargs.setdefault("rtsp_port", 0)
            kwargs.setdefault("time_scale", FAST)
            return await enter_emulator(stack, kwargs)

        yield start


@pytest.fixture
async def emulator(start_emulator: Callable[..., Any]) -> Emulator:
    """One Yi 1 emulator."""
    emu: Emulator = await start_emulator()
    return emu


@pytest.fixture
async def target(request: pytest.FixtureRequest, start_emulator: Callable[..., Any]) -> Camera:
    """A closed Camera for the real camera of --camera-host, else for an emulated Yi 1."""
    host = request.config.getoption("--camera-host")
    if host:
        return Camera(socket.gethostbyname(host), timeout=5.0, event_timeout=10.0)
    emu: Emulator = await start_emulator()
    return Camera(
        "127.0.0.1",
        emu.port,
        data_port=emu.data_port,
        http_port=emu.http_port,
        timeout=2.0,
        event_timeout=5.0,
    )


@pytest.fixture
async def camera(emulator: Emulator) -> AsyncIterator[Camera]:
    """A connected client session with the emulator."""
    async with Camera(
        "127.0.0.1",
        emulator.port,
        data_port=emulator.data_port,
        http_port=emulator.http_port,
        rtsp_port=emulator.rtsp_port or 554,
        timeout=2.0,
        event_timeout=5.0,
    ) as cam:
        yield cam
