"""Servers for CLI tests: click's CliRunner is synchronous and each command runs its own
`asyncio.run`, so emulators (and fake cameras) live on a loop in a background thread."""

from __future__ import annotations

import asyncio
import errno
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, contextmanager
from typing import Any, TypeVar

from click.testing import CliRunner, Result

from yicam.cli.main import cli
from yicam.emulator import Emulator

T = TypeVar("T")

FAST = 0.05  # emulator time scale, as in conftest


class LoopThread:
    """An asyncio loop running in a daemon thread; `enter` keeps async contexts open on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._stack = AsyncExitStack()
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run a coroutine on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[[], T]) -> T:
        """Run a plain function on the loop's thread and return its result."""

        async def wrapper() -> T:
            return fn()

        return self.run(wrapper())

    def enter(self, context: AbstractAsyncContextManager[T]) -> T:
        """Enter an async context manager on the loop; it exits in `close`."""
        return self.run(self._stack.enter_async_context(context))

    def emulator(self, **kwargs: Any) -> Emulator:
        """Start an emulator on an ephemeral loopback port."""
        kwargs.setdefault("port", 0)
        kwargs.setdefault("data_port", 0)
        kwargs.setdefault("http_port", 0)
        kwargs.setdefault("rtsp_port", 0)
        kwargs.setdefault("time_scale", FAST)
        return self.run(enter_emulator(self._stack, kwargs), timeout=BACK_WITHIN + 10)

    def close(self) -> None:
        """Exit every context, cancel what is left, stop the loop and join the thread."""
        try:
            self.run(self._stack.aclose())
            self.run(_cancel_others())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()


BACK_WITHIN = 15.0  # seconds a camera started again waits for its old ports


async def enter_emulator(stack: AsyncExitStack, kwargs: dict[str, Any]) -> Emulator:
    """Start an emulator on `stack`; one started again on its old ports waits until they are free.

    While a camera is off, any socket on this busy loopback may be given one of its ports for a
    while (a client's ephemeral port: "address already in use" when it comes back).
    """
    ports = ("port", "data_port", "http_port", "rtsp_port")
    again = any(kwargs.get(name) for name in ports)
    deadline = asyncio.get_running_loop().time() + BACK_WITHIN
    while True:
        try:
            return await stack.enter_async_context(Emulator(**kwargs))
        except OSError as exc:
            late = asyncio.get_running_loop().time() > deadline
            if not again or exc.errno != errno.EADDRINUSE or late:
                raise
        await asyncio.sleep(0.05)  # poll the port until its holder lets go


async def _cancel_others() -> None:
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@contextmanager
def loop_thread() -> Iterator[LoopThread]:
    """A `LoopThread` that is closed afterwards."""
    thread = LoopThread()
    try:
        yield thread
    finally:
        thread.close()


def yicam(port: int, *args: str, host: str = "127.0.0.1", timeout: float = 2.0) -> Result:
    """Run `yicam --host HOST --port PORT ARGS...` in-process."""
    argv = ["--host", host, "--port", str(port), "--timeout", str(timeout), *args]
    return CliRunner().invoke(cli, argv)
