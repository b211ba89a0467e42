"""Servers for CLI tests: click's CliRunner is synchronous and each command runs its own
`asyncio.run`, so emulators (and fake cameras) live on a loop in a background thread."""

from __future__ import annotations

import asyncio
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
        return self.enter(Emulator(**kwargs))

    def close(self) -> None:
        """Exit every context, cancel what is left, stop the loop and join the thread."""
        try:
            self.run(self._stack.aclose())
            self.run(_cancel_others())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()


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
