"""`cancel_and_wait`: the one way yicam ends its background tasks."""

from __future__ import annotations

import asyncio

import pytest

from yicam import cancel_and_wait


async def test_cancels_and_waits_for_every_task() -> None:
    cleaned: list[str] = []

    async def worker(name: str) -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0)  # cleanup that itself awaits
            cleaned.append(name)

    tasks = [asyncio.create_task(worker(n)) for n in "ab"]
    await asyncio.sleep(0)
    await cancel_and_wait(*tasks, None)
    assert sorted(cleaned) == ["a", "b"]
    assert all(t.cancelled() for t in tasks)


async def test_a_tasks_own_error_is_not_raised_again() -> None:
    async def fails() -> None:
        raise OSError("disk full")

    task = asyncio.create_task(fails())
    await asyncio.sleep(0)
    await cancel_and_wait(task)  # the owner has reported it already
    assert isinstance(task.exception(), OSError)


async def test_the_callers_cancellation_is_not_swallowed() -> None:
    async def stubborn() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await asyncio.sleep(3600)  # ignores the first cancellation

    inner = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    outer = asyncio.create_task(cancel_and_wait(inner))
    await asyncio.sleep(0.01)
    outer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await outer
    inner.cancel()
    await asyncio.gather(inner, return_exceptions=True)


async def test_grace_lets_tasks_finish_on_their_own() -> None:
    finished = asyncio.Event()

    async def closing() -> str:
        await finished.wait()
        return "closed"

    task = asyncio.create_task(closing())
    asyncio.get_running_loop().call_soon(finished.set)
    await cancel_and_wait(task, grace=5.0)
    assert task.result() == "closed"  # finished, not cancelled


async def test_timeout_leaves_a_stuck_task_behind() -> None:
    release = asyncio.Event()

    async def stuck() -> None:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue  # as a task blocked in an uninterruptible thread would

    task = asyncio.create_task(stuck())
    await asyncio.sleep(0)
    await cancel_and_wait(task, timeout=0.05)
    assert not task.done()
    release.set()
    await task
