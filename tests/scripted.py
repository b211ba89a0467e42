"""A scripted fake camera for wire variants the emulator does not produce."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

Script = Callable[[dict[str, object]], bytes | None]


class Hangup(bytes):
    """Bytes to write just before the fake camera closes the connection."""


@asynccontextmanager
async def scripted_camera(script: Script, greeting: bytes = b"") -> AsyncIterator[int]:
    """Serve on a loopback port; `script` maps each request to the raw bytes sent back."""
    tasks: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks[task] = writer
        decoder = json.JSONDecoder()
        buffer = ""
        try:
            writer.write(greeting)
            while data := await reader.read(65536):
                buffer += data.decode()
                while buffer.strip():
                    try:
                        request, end = decoder.raw_decode(buffer.lstrip())
                    except ValueError:
                        break
                    buffer = buffer.lstrip()[end:]
                    answer = script(request)
                    if answer is None:
                        writer.close()
                        return
                    writer.write(answer)
                    await writer.drain()
                    if isinstance(answer, Hangup):
                        return
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            tasks.pop(task, None)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for writer in tasks.values():
            writer.close()  # the handler reads end of stream and returns
        if tasks:
            _done, hanging = await asyncio.wait(set(tasks), timeout=2.0)
            for task in hanging:
                task.cancel()
            await asyncio.gather(*hanging, return_exceptions=True)
        await server.wait_closed()


def session_then(handler: Callable[[dict[str, object]], bytes | None]) -> Script:
    """A script that grants token 1 to msg 257, acks 258, and defers the rest."""

    def script(request: dict[str, object]) -> bytes | None:
        if request.get("msg_id") == 257:
            return b'{"rval":0,"msg_id":257,"param":1}'
        if request.get("msg_id") == 258:
            return b'{"rval":0,"msg_id":258}'
        return handler(request)

    return script
