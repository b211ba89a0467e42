"""Agents against direct control: "fire at T" spread, and the latency an agent adds.

Eight emulators run in their own processes on 127.0.0.2..9 and note the kernel's receive
time of each record-start request (SO_TIMESTAMPNS; the emulator script of
benchmarks/fleet_trigger.py). In one run, alternating blocks:
- **direct**: this process drives all eight with `Fleet.start_recording` (one-pass write);
- **agents**: two `yicam agent` processes, four cameras each, on the embedded broker; this
  process sends "fire at T" (`AgentFleet`, T 300 ms ahead, each agent's clock measured).
The spread is first-to-last kernel arrival per record start (goal: agents' p95 within 2 ms of
the direct fleet's), split for the agents into the spread within one agent's cameras and the
gap between the two agents' first requests, with how late after T the agents wrote. Then
the round trip of `get_battery` on one camera, direct against through an agent (goal: the
agent adds under 5 ms, median, on loopback), with two baselines for where the time goes: the
agent's `ping` (a request and reply through the broker, no camera), and a bare MQTT echo
(aiomqtt alone, QoS 1 both ways, TCP_NODELAY, through the same broker: no yicam at all).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import aiomqtt
from fleet_trigger import _SERVER, percentile, spread

from yicam import Camera, CameraConfig, ConnectionSettings, Fleet, add_camera
from yicam.agent import AgentClient, AgentFleet, EmbeddedBroker, RemoteCamera

CAMERAS = 8
# The emulators stand in for cameras, which have processors of their own. Here they share two
# cores with the writers, and each request wakes one, which can preempt the writer between two
# cameras (both agents write at T, so they are hit hardest). EMULATOR_NICE=10 runs them at a
# lower priority, so they wait for the writers (in both kinds of block alike): the difference
# shows how much of the spread is that. Default: the same priority.
EMULATOR_NICE = int(os.environ.get("EMULATOR_NICE", "0"))
ROUNDS = 20  # record starts per block and kind
BLOCKS = 2
PINGS = 50
TIME_SCALE = 0.1
SETTLE = 0.05


async def direct_block(ports: dict[str, int], latencies: list[float]) -> int:
    cameras = {host: Camera(host, port, timeout=5.0) for host, port in ports.items()}
    async with Fleet(cameras) as fleet:
        for _ in range(ROUNDS):
            if not (await fleet.start_recording()).ok or not (await fleet.stop_recording()).ok:
                raise SystemExit("direct fleet failed")
            await asyncio.sleep(SETTLE)
        cam = next(iter(cameras.values()))
        for _ in range(PINGS):
            start = time.perf_counter()
            await cam.get_battery()
            latencies.append((time.perf_counter() - start) * 1000)
    return ROUNDS


# The bare baseline's other end: a process that sends every request back, as an agent would.
_ECHO = """
import asyncio, socket, sys
import aiomqtt

async def main(port):
    async with aiomqtt.Client("127.0.0.1", port, protocol=aiomqtt.ProtocolVersion.V5,
                              socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]) as c:
        await c.subscribe("bench/echo/request", qos=1)
        print("ready", flush=True)
        async for message in c.messages:
            await c.publish("bench/echo/reply", message.payload, qos=1)

asyncio.run(main(int(sys.argv[1])))
"""


def start_echo(port: int) -> subprocess.Popen[str]:
    echo = subprocess.Popen(
        [sys.executable, "-c", _ECHO, str(port)], stdout=subprocess.PIPE, text=True
    )
    assert echo.stdout is not None
    echo.stdout.readline()  # subscribed
    return echo


async def bare_block(port: int, latencies: list[float]) -> None:
    echo = start_echo(port)
    try:
        options = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        async with aiomqtt.Client(
            "127.0.0.1", port, protocol=aiomqtt.ProtocolVersion.V5, socket_options=options
        ) as client:
            await client.subscribe("bench/echo/reply", qos=1)
            replies = client.messages
            request = json.dumps({"id": "0" * 32, "op": "get_battery", "args": {}})
            for _ in range(PINGS):
                start = time.perf_counter()
                await client.publish("bench/echo/request", request, qos=1)
                await anext(replies)
                latencies.append((time.perf_counter() - start) * 1000)
    finally:
        echo.terminate()
        echo.wait(20)


async def agent_block(
    url: str, latency: dict[str, list[float]], offsets: list[float], late: list[float]
) -> int:
    async with AgentClient(url) as client:
        ready = await client.wait_for(
            lambda: (
                sum(i.state.get("connection") == "connected" for i in client.online_cameras())
                == CAMERAS
            ),
            60,
        )
        if not ready:
            raise SystemExit("the agents did not serve all cameras")
        fleet = AgentFleet(client)
        for _ in range(ROUNDS):
            started = await fleet.fire("start_recording")
            stopped = await fleet.fire("stop_recording")
            if not started.ok or not stopped.ok:
                raise SystemExit(f"agent fleet failed: {started} {stopped}")
            offsets += [c.offset * 1000 for c in started.clocks]
            late += [c.late * 1000 for c in started.cameras if c.late is not None]
            await asyncio.sleep(SETTLE)
        info = client.online_cameras()[0]
        cam = RemoteCamera(client, info, timeout=5.0)
        for _ in range(PINGS):
            start = time.perf_counter()
            await cam.get_battery()
            latency["agent"].append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            await client.request(info.agent, None, "ping", {}, timeout=5.0)
            latency["ping"].append((time.perf_counter() - start) * 1000)
    return ROUNDS


def split_spreads(stamps: list[float]) -> tuple[float, float]:
    """Within one agent (the wider of the two), and between the agents' first requests (ms)."""
    first, second = stamps[:4], stamps[4:]
    return max(spread(first), spread(second)), abs(min(first) - min(second)) * 1000


def start_agents(url: str, names: list[str], env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    agents = []
    for index in range(2):
        argv = [sys.executable, "-m", "yicam.cli.main", "--broker", url]
        for name in names[index * 4 : index * 4 + 4]:
            argv += ["-c", name]
        argv += ["agent", "--name", f"pi{index + 1}", "--folder", env["AGENT_FOLDER"]]
        agents.append(subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL))
    return agents


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(20)


async def run_blocks(
    ports: dict[str, int], env: dict[str, str]
) -> tuple[list[str], dict[str, list[float]], list[float], list[float]]:
    order: list[str] = []
    latency: dict[str, list[float]] = {"direct": [], "agent": [], "ping": [], "bare": []}
    offsets: list[float] = []
    late: list[float] = []
    names = [f"cam{i}" for i in range(len(ports))]
    async with EmbeddedBroker("127.0.0.1", 18830 + os.getpid() % 1000) as broker:
        for _ in range(BLOCKS):
            order += ["direct"] * await direct_block(ports, latency["direct"])
            agents = start_agents(broker.url, names, env)
            try:
                rounds = await agent_block(broker.url, latency, offsets, late)
                order += ["agents"] * rounds
            finally:
                stop(agents)
            await bare_block(broker.port, latency["bare"])
    return order, latency, offsets, late


def lowered(nice: int) -> Callable[[], None] | None:
    """What a child runs first to lower its priority by `nice` (None: nothing to do)."""
    if sys.platform == "win32" or not nice:
        return None

    def lower() -> None:
        os.nice(nice)

    return lower


def main() -> None:
    hosts = [f"127.0.0.{i}" for i in range(2, 2 + CAMERAS)]
    nice = EMULATOR_NICE if sys.platform != "win32" else 0  # no nice on Windows
    servers = [
        subprocess.Popen(
            [sys.executable, "-c", _SERVER, host, str(TIME_SCALE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=lowered(nice),
        )
        for host in hosts
    ]
    folder = Path(tempfile.mkdtemp(prefix="yicam-bench-"))
    env = {
        **os.environ,
        "YICAM_CONFIG": str(folder / "config.toml"),
        "YICAM_AGENT_DIR": str(folder / "agents"),
        "AGENT_FOLDER": str(folder / "files"),
    }
    os.environ.update({k: env[k] for k in ("YICAM_CONFIG", "YICAM_AGENT_DIR")})
    try:
        ports = {}
        for index, (host, server) in enumerate(zip(hosts, servers, strict=True)):
            assert server.stdout is not None
            ports[host] = int(server.stdout.readline())
            add_camera(CameraConfig(f"cam{index}", ConnectionSettings(host, ports[host])))
        order, latency, offsets, late = asyncio.run(run_blocks(ports, env))
    finally:
        outputs = [server.communicate("\n")[0] for server in servers]
    arrivals = [json.loads(out.strip().splitlines()[-1]) for out in outputs]
    kernel: dict[str, list[float]] = {"direct": [], "agents": []}
    wake: dict[str, list[float]] = {"direct": [], "agents": []}
    within: list[float] = []
    between: list[float] = []
    for index, kind in enumerate(order):
        stamps = [camera[index] for camera in arrivals]
        wake[kind].append(spread([s[0] for s in stamps]))
        if all(s[1] is not None for s in stamps):
            kernel[kind].append(spread([s[1] for s in stamps]))
            if kind == "agents":
                one, two = split_spreads([s[1] for s in stamps])
                within.append(one)
                between.append(two)
    load = "n/a"
    if sys.platform != "win32":  # no load average on Windows
        load = f"{os.getloadavg()[0]:.2f}"
    print(f"{CAMERAS} emulators (nice +{nice}), {BLOCKS} blocks of {ROUNDS} record starts "
          f"per kind; load {load}")  # fmt: skip
    table = kernel if kernel["direct"] else wake
    name = "kernel arrival" if table is kernel else "wake-up (no kernel stamps on this OS)"
    print(f"{name} spread (ms)        p50      p95      max")
    for kind, label in (("direct", "direct Fleet (one pass)"), ("agents", "2 agents, fire at T")):
        values = table[kind]
        print(f"  {label:<26}{statistics.median(values):8.3f} {percentile(values, 0.95):8.3f} "
              f"{max(values):8.3f}")  # fmt: skip
    if within:
        print(f"  of which: within one agent  {statistics.median(within):8.3f} "
              f"{percentile(within, 0.95):8.3f} {max(within):8.3f}")  # fmt: skip
        print(f"            between agents    {statistics.median(between):8.3f} "
              f"{percentile(between, 0.95):8.3f} {max(between):8.3f}")  # fmt: skip
    print(f"  agents wrote after T (ms)   {statistics.median(late):8.3f} "
          f"{percentile(late, 0.95):8.3f} {max(late):8.3f}")  # fmt: skip
    gap = percentile(table["agents"], 0.95) - percentile(table["direct"], 0.95)
    print(f"  agents' clock offsets measured: max |offset| {max(abs(o) for o in offsets):.3f} ms")
    print(f"goal: agents' p95 within 2 ms of the direct fleet's: {gap:+.3f} ms "
          f"({'met' if gap <= 2 else 'NOT met'})")  # fmt: skip
    direct_ms = statistics.median(latency["direct"])
    agent_ms = statistics.median(latency["agent"])
    print(f"get_battery round trip (ms, median of {len(latency['direct'])}): direct "
          f"{direct_ms:.3f}, through an agent {agent_ms:.3f}")  # fmt: skip
    ping_ms = statistics.median(latency["ping"])
    bare_ms = statistics.median(latency["bare"])
    print(f"  of which the broker and the agent (its ping) {ping_ms:.3f}; a bare MQTT echo "
          f"through the same broker {bare_ms:.3f}")  # fmt: skip
    added = agent_ms - direct_ms
    print(f"goal: the agent adds under 5 ms (median): {added:.3f} ms "
          f"({'met' if added < 5 else 'NOT met'}); ratio {agent_ms / direct_ms:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
