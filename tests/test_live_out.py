"""Live view out: `LiveServer` to FFmpeg viewers (UDP and TCP), `Restreamer` into nginx-rtmp."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import pytest
from av.sidedata.sidedata import Type as SideDataType

from yicam import Camera, ReconnectPolicy
from yicam.emulator import Emulator
from yicam.live import LiveServer, LiveView, Restreamer, VirtualCameraError, run_webcam

from .agent_helpers import free_port
from .conftest import wait_until

QUICK = ReconnectPolicy(initial_delay=0.05, max_delay=0.2, jitter=0.5)
NGINX_RTMP = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")


@dataclass
class Viewer:
    """An FFmpeg RTSP client (PyAV) decoding in its own thread, as VLC or OBS would."""

    url: str
    transport: str = "udp"
    frames: list[Any] = field(default_factory=list)  # (key_frame, width, height, has_sei)
    error: BaseException | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> Viewer:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        options = {"rtsp_transport": self.transport, "timeout": "20000000"}
        try:
            container: Any = av.open(self.url, options=options, timeout=20)
            with container:
                for frame in container.decode(video=0):
                    sei = SideDataType.SEI_UNREGISTERED in frame.side_data  # PyAV 18 and 19
                    self.frames.append((frame.key_frame, frame.width, frame.height, sei))
                    if self.stop.is_set():
                        return
        except BaseException as exc:
            self.error = exc

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(20)

    def count(self) -> int:
        assert self.error is None, self.error
        return len(self.frames)


@contextlib.contextmanager
def viewers(*items: Viewer) -> Iterator[None]:
    try:
        yield
    finally:
        for item in items:
            item.close()


def camera_for(emu: Emulator, **kwargs: Any) -> Camera:
    assert emu.rtsp_port is not None
    return Camera("127.0.0.1", emu.port, rtsp_port=emu.rtsp_port, timeout=2.0, **kwargs)


async def test_two_viewers_one_late_one_over_tcp(emulator: Emulator) -> None:
    async with (
        camera_for(emulator) as cam,
        cam.live_view(retries=None) as live,
        LiveServer(live, port=0) as server,
    ):
        first = Viewer(server.url).start()
        late = Viewer(server.url, "tcp")
        with viewers(first, late):
            await wait_until(lambda: first.count() >= 20, timeout=20)
            late.start()  # mid-stream, between keyframes as often as not
            await wait_until(lambda: late.count() >= 20 and server.status().viewers == 2, 20)
            await wait_until(lambda: first.count() >= 60, timeout=20)
        status = server.status()
    assert status.frames > 0
    # The late viewer decodes from its first keyframe: its first frame is one, whole.
    assert late.frames[0][0] is True
    for _key, width, height, sei in first.frames + late.frames:
        assert (width, height) == (432, 240)
        assert sei  # the camera's own access units, capture-time SEI and all: no re-encoding


async def test_viewers_stay_connected_while_the_camera_restarts(
    start_emulator: Any,
) -> None:
    emu = await start_emulator()
    ports = {
        "port": emu.port,
        "data_port": emu.data_port,
        "http_port": emu.http_port,
        "rtsp_port": emu.rtsp_port,
    }
    async with (
        camera_for(emu, reconnect=QUICK) as cam,
        cam.live_view(retries=None, stall_timeout=1.0) as live,
        LiveServer(live, port=0) as server,
    ):
        udp = Viewer(server.url).start()
        tcp = Viewer(server.url, "tcp").start()
        with viewers(udp, tcp):
            await wait_until(lambda: udp.count() >= 10 and tcp.count() >= 10, timeout=20)
            await emu.close()  # the camera goes away mid-stream
            await wait_until(lambda: server.status().fps == 0, timeout=10)
            before = (udp.count(), tcp.count())
            await start_emulator(**ports)  # and comes back on the same address
            await wait_until(
                lambda: udp.count() > before[0] + 20 and tcp.count() > before[1] + 20,
                timeout=30,
            )
            assert server.status().viewers == 2
            assert live.stats().reconnects >= 1


def test_the_server_says_whether_only_this_computer_can_watch() -> None:
    live = LiveView("rtsp://127.0.0.1:1/live")  # not opened: nothing is bound or sent
    for host, loopback in (
        ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("localhost", True),
        ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("camera.lan", False),
    ):  # fmt: skip
        assert LiveServer(live, host=host).loopback is loopback, host


@pytest.fixture
def rtmp_server(tmp_path: Path) -> Iterator[str]:
    """nginx with its RTMP module on a loopback port: rtmp://127.0.0.1:PORT/live."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not NGINX_RTMP.exists() or not Path(nginx).exists():
        pytest.skip("nginx with libnginx-mod-rtmp is not installed (.ci/run installs it)")
    port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"load_module {NGINX_RTMP};\n"
        f"daemon off;\nmaster_process off;\npid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log info;\n"
        "events { worker_connections 64; }\n"
        f"rtmp {{ server {{ listen 127.0.0.1:{port}; application live {{ live on; }} }} }}\n"
    )
    proc = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(500):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if proc.poll() is not None:
                pytest.skip(f"nginx did not start: {(tmp_path / 'error.log').read_text()[-300:]}")
            threading.Event().wait(0.01)
        yield f"rtmp://127.0.0.1:{port}/live"
    finally:
        proc.kill()
        proc.wait()


def read_rtmp(url: str, frames: int) -> list[Any]:
    container: Any = av.open(url, timeout=20)
    with container:
        stream = container.streams.video[0]
        got = []
        for frame in container.decode(stream):
            got.append((stream.codec_context.name, frame.width, frame.height))
            if len(got) >= frames:
                return got
    return got


async def test_restream_into_an_rtmp_server(emulator: Emulator, rtmp_server: str) -> None:
    url = f"{rtmp_server}/secret-key"
    async with (
        camera_for(emulator) as cam,
        cam.live_view(retries=None) as live,
        Restreamer(live, url) as restreamer,
    ):
        await wait_until(lambda: restreamer.status().state == "streaming", timeout=20)
        got = await asyncio.to_thread(read_rtmp, url, 30)
        status = restreamer.status()
    assert got[0] == ("h264", 432, 240)
    assert len(got) == 30
    assert status.frames >= 30
    assert status.bitrate > 0
    assert "secret-key" not in status.target
    assert status.target == rtmp_server.rsplit("/", 1)[0] + "/…"


async def test_restream_reconnects_when_the_server_comes_late(
    emulator: Emulator, tmp_path: Path
) -> None:
    port = free_port()
    async with (
        camera_for(emulator) as cam,
        cam.live_view(retries=None) as live,
        Restreamer(live, f"rtmp://127.0.0.1:{port}/live/k") as restreamer,
    ):
        await wait_until(lambda: restreamer.status().reconnects >= 1, timeout=20)
        status = restreamer.status()
    assert status.state == "closed" or status.frames == 0
    assert status.error  # why: the connection was refused


def test_ffmpeg_engine_views_cannot_be_served() -> None:
    live = LiveView("rtsp://127.0.0.1:1/live", engine="ffmpeg")
    with pytest.raises(ValueError, match="'rtp' engine"):
        LiveServer(live)
    with pytest.raises(ValueError, match="'rtp' engine"):
        Restreamer(live, "rtmp://127.0.0.1/live/x")


@pytest.mark.skipif(
    any(Path("/dev").glob("video*")), reason="a video device exists: it may be a virtual camera"
)
async def test_webcam_without_a_backend_says_what_to_install(emulator: Emulator) -> None:
    async with camera_for(emulator) as cam, cam.live_view() as live:
        with pytest.raises(VirtualCameraError, match=r"v4l2loopback|OBS"):
            await run_webcam(live)


FFPROBE = shutil.which("ffprobe")
needs_ffprobe = pytest.mark.skipif(
    FFPROBE is None, reason="needs FFmpeg's ffprobe (.ci/run installs Debian's ffmpeg)"
)


async def ffprobe(url: str, *options: str, packets: int = 60) -> dict[str, Any]:
    """What FFmpeg's own ffprobe reads of the first `packets` of `url`: streams and frames."""
    assert FFPROBE is not None
    proc = await asyncio.create_subprocess_exec(
        FFPROBE, "-v", "error", *options, "-select_streams", "v:0",
        "-show_entries", "format=format_name:stream=codec_name,width,height:frame=key_frame",
        "-read_intervals", f"%+#{packets}", "-of", "json", url,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        async with asyncio.timeout(60):
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode(errors="replace")
    result: dict[str, Any] = json.loads(out)
    return result


@needs_ffprobe
async def test_ffprobe_viewers_of_the_cli_server_over_udp_and_tcp(emulator: Emulator) -> None:
    assert emulator.rtsp_port is not None
    cli = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "yicam.cli.main", "--host", "127.0.0.1",
        "--port", str(emulator.port), "--rtsp-port", str(emulator.rtsp_port),
        "live", "--serve", "127.0.0.1:0",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert cli.stdout is not None
        async with asyncio.timeout(60):
            url = (await cli.stdout.readline()).decode().strip()
        assert url.startswith("rtsp://127.0.0.1:"), url
        # Two at once, both joining a stream the server has been passing on for a while.
        timeout = ("-timeout", "20000000")  # microseconds: never wait for ever
        udp, tcp = await asyncio.gather(
            ffprobe(url, *timeout, "-rtsp_transport", "udp"),
            ffprobe(url, *timeout, "-rtsp_transport", "tcp"),
        )
    finally:
        cli.terminate()
        await cli.communicate()
    for probe in (udp, tcp):
        assert probe["format"]["format_name"] == "rtsp"
        (stream,) = probe["streams"]
        assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", 432, 240)
        frames = probe["frames"]
        assert len(frames) >= 30
        assert frames[0]["key_frame"] == 1  # from a keyframe, not a broken picture


@needs_ffprobe
async def test_ffprobe_reads_the_restream(emulator: Emulator, rtmp_server: str) -> None:
    url = f"{rtmp_server}/key"
    async with (
        camera_for(emulator) as cam,
        cam.live_view(retries=None) as live,
        Restreamer(live, url) as restreamer,
    ):
        await wait_until(lambda: restreamer.status().state == "streaming", timeout=20)
        probe = await ffprobe(url, "-rw_timeout", "20000000", packets=30)
    assert probe["format"]["format_name"] == "flv"
    (stream,) = probe["streams"]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", 432, 240)
    assert len(probe["frames"]) >= 20
