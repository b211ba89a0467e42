"""Send a byte range of a card file over a socket, with the drop-data and slow-data faults."""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Callable
from pathlib import Path

from .faults import Faults

__all__ = ["CHUNK", "DataCut", "send_file"]

CHUNK = 256 * 1024


class DataCut(Exception):
    """The drop-data fault cut the transfer after `sent` bytes."""

    def __init__(self, sent: int) -> None:
        super().__init__(f"transfer cut after {sent} bytes")
        self.sent = sent


async def send_file(
    writer: asyncio.StreamWriter,
    path: Path,
    offset: int,
    length: int,
    faults: Faults,
    rng: random.Random,
    on_sent: Callable[[int], None] | None = None,
    hasher: hashlib._Hash | None = None,
) -> int:
    """Write `length` bytes of `path` from `offset`; returns the count or raises `DataCut`.

    With `hasher`, every byte sent is also fed to it. A cut closes the writer first.
    """
    cut_at = length
    if length and faults.drop_data and rng.random() < faults.drop_data:
        cut_at = rng.randrange(length)
    rate = faults.slow_data * 1024
    chunk_size = max(1024, min(CHUNK, rate // 20)) if rate else CHUNK
    loop = asyncio.get_running_loop()
    sent = 0
    with path.open("rb") as file:
        file.seek(offset)
        started = loop.time()
        while sent < cut_at:
            data = file.read(min(chunk_size, cut_at - sent))
            if not data:
                break  # the file shrank under us; the client sees a short transfer
            writer.write(data)
            await writer.drain()
            if hasher is not None:
                hasher.update(data)
            sent += len(data)
            if on_sent is not None:
                on_sent(sent)
            if rate:
                # Sleep until the average rate falls back to the throttle.
                ahead = started + sent / rate - loop.time()
                if ahead > 0:
                    await asyncio.sleep(ahead)
    if sent < length:
        writer.close()
        raise DataCut(sent)
    return sent
