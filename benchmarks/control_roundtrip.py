"""Request round-trip through `Camera` against a bare asyncio socket loop.

Both clients talk to the same emulator, run in its own process so that the client's
cost is not diluted by the server's. Both send msg 13 (battery) with a valid token and
wait for the complete reply object. Prints the median time per request of each, in
interleaved rounds, and the ratio Camera / bare (goal: at most 1.5).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time

from emulator_process import emulator_process

from yicam import Camera

HOST = "127.0.0.1"
ROUNDS = 7
REQUESTS = 400


async def bare_loop(port: int) -> float:
    """The same exchange with nothing but a socket and json.raw_decode."""
    reader, writer = await asyncio.open_connection(HOST, port)
    decoder = json.JSONDecoder()
    buffer = ""

    async def exchange(request: dict[str, object]) -> dict[str, object]:
        nonlocal buffer
        writer.write(json.dumps(request, separators=(",", ":")).encode())
        while True:
            text = buffer.lstrip()
            if text:
                try:
                    obj, end = decoder.raw_decode(text)
                except ValueError:
                    pass
                else:
                    buffer = text[end:]
                    if "rval" in obj and obj.get("msg_id") == request["msg_id"]:
                        return dict(obj)
                    continue
            buffer += (await reader.read(65536)).decode()

    token = (await exchange({"msg_id": 257, "token": 0}))["param"]
    start = time.perf_counter()
    for _ in range(REQUESTS):
        await exchange({"msg_id": 13, "token": token})
    elapsed = time.perf_counter() - start
    await exchange({"msg_id": 258, "token": token})
    writer.close()
    await writer.wait_closed()
    return elapsed / REQUESTS


async def camera_loop(port: int) -> float:
    """The same exchange through `Camera.call`."""
    async with Camera(HOST, port) as cam:
        start = time.perf_counter()
        for _ in range(REQUESTS):
            await cam.call(13)
        return (time.perf_counter() - start) / REQUESTS


async def measure(port: int) -> tuple[list[float], list[float]]:
    """Interleaved rounds of both clients, after one warm-up each."""
    await camera_loop(port)
    await bare_loop(port)
    bare, cam = [], []
    for _ in range(ROUNDS):
        bare.append(await bare_loop(port))
        cam.append(await camera_loop(port))
    return bare, cam


def main() -> None:
    with emulator_process() as ports:
        bare, cam = asyncio.run(measure(ports.port))
    bare_median, cam_median = statistics.median(bare), statistics.median(cam)
    print(f"bare asyncio socket: {bare_median * 1e6:8.1f} us per request (median of {ROUNDS})")
    print(f"yicam Camera.call:   {cam_median * 1e6:8.1f} us per request (median of {ROUNDS})")
    print(f"ratio Camera/bare:   {cam_median / bare_median:.2f}  (goal <= 1.5)")


if __name__ == "__main__":
    main()
