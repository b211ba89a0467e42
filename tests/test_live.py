"""LiveView against the emulator's RTSP server: frames, latency, snapshot, recording, reconnect."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import av
import pytest

from yicam import Camera, CameraConnectionError, CameraTimeoutError, ProtocolError
from yicam.emulator import Emulator, Faults
from yicam.emulator.faults import parse_faults
from yicam.emulator.rtsp import RtspServer
from yicam.live import Engine, LiveView

from .cli_helpers import loop_thread, yicam


class Viewfinder:
    """Stands in for the camera: start/stop flip the flag the server streams on."""

    def __init__(self) -> None:
        self.on = False
        self.starts = 0
        self.stops = 0

    async def start(self) -> None:
        self.starts += 1
        self.on = True

    async def stop(self) -> None:
        self.stops += 1
        self.on = False


@pytest.fixture
def viewfinder() -> Viewfinder:
    return Viewfinder()


def live_view(server: RtspServer, viewfinder: Viewfinder, **kwargs: float) -> LiveView:
    return LiveView(server.url, start=viewfinder.start, stop=viewfinder.stop, **kwargs)  # type: ignore[arg-type]


async def test_frames_are_rgb_at_the_preview_size(
    server: RtspServer, viewfinder: Viewfinder
) -> None:
    async with live_view(server, viewfinder) as live:
        assert viewfinder.on
        frames = []
        async for frame in live.frames():
            frames.append(frame)
            if len(frames) == 10:
                break
    assert (viewfinder.starts, viewfinder.stops, viewfinder.on) == (1, 1, False)
    for frame in frames:
        assert frame.image.shape == (240, 432, 3)
        assert frame.image.dtype.name == "uint8"
    assert [f.index for f in frames] == sorted(f.index for f in frames)


async def test_latency_comes_from_the_sei(server: RtspServer, viewfinder: Viewfinder) -> None:
    async with live_view(server, viewfinder) as live:
        frame = await live.next_frame()
        for _ in range(30):
            await live.next_frame()
        stats = live.stats()
    assert frame.captured_at is not None
    assert frame.latency is not None
    assert 0 < frame.latency < 2.0
    assert abs(frame.captured_at - time.time()) < 10
    assert stats.frames >= 31
    assert stats.latency_median is not None
    assert stats.latency_p95 is not None
    assert 0 < stats.latency_median <= stats.latency_p95 < 2.0
    assert stats.fps > 0
    assert stats.dropped == 0


@pytest.mark.parametrize("name", ["shot.jpg", "shot.png"])
async def test_snapshot_decodes_at_the_right_size(
    server: RtspServer, viewfinder: Viewfinder, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    async with live_view(server, viewfinder) as live:
        await live.snapshot(path)
    with av.open(str(path)) as container:
        image = next(container.decode(video=0))
    assert (image.width, image.height) == (432, 240)


async def test_snapshot_rejects_unknown_suffix(
    server: RtspServer, viewfinder: Viewfinder, tmp_path: Path
) -> None:
    async with live_view(server, viewfinder) as live:
        with pytest.raises(ValueError, match="jpg"):
            await live.snapshot(tmp_path / "shot.gif")


async def test_recording_is_a_playable_mp4_of_the_requested_duration(
    server: RtspServer, viewfinder: Viewfinder, tmp_path: Path
) -> None:
    path = tmp_path / "clip.mp4"
    async with live_view(server, viewfinder) as live:
        result = await live.record(path, 2.0)
    assert result.path == path
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert container.duration is not None
        duration = container.duration / 1_000_000
        frames = list(container.decode(stream))
    assert abs(duration - 2.0) <= 1.0
    assert abs(len(frames) - 60) <= 30
    assert len(frames) == result.frames
    assert frames[0].key_frame
    assert frames[0].time == pytest.approx(0.0, abs=0.05)
    assert (frames[0].width, frames[0].height) == (432, 240)


async def test_reconnects_after_the_camera_drops_the_viewfinder(
    server: RtspServer, viewfinder: Viewfinder
) -> None:
    async with live_view(server, viewfinder, stall_timeout=2.0) as live:
        await live.next_frame()
        viewfinder.on = False  # the camera stops streaming on its own
        async with asyncio.timeout(20):
            while viewfinder.starts < 2:
                await live.next_frame()
        resumed = await live.next_frame()
        assert resumed.captured_at is not None
        assert resumed.captured_at > time.time() - 2
        assert live.stats().reconnects >= 1


async def test_no_stream_means_an_error_not_a_hang(server: RtspServer) -> None:
    # Nobody starts the viewfinder: the server answers 404.
    live = LiveView(server.url, retries=0, open_timeout=3.0)
    with pytest.raises(CameraConnectionError, match="viewfinder"):
        await live.open()


async def test_unreachable_server_is_a_connection_error() -> None:
    probe = RtspServer("127.0.0.1", 0, viewfinder=lambda: True)
    await probe.start()
    url = probe.url
    await probe.close()
    with pytest.raises(CameraConnectionError):
        async with LiveView(url, retries=0, open_timeout=2.0):
            pass


async def test_frames_fail_once_the_stream_is_gone_for_good(viewfinder: Viewfinder) -> None:
    srv = RtspServer("127.0.0.1", 0, viewfinder=lambda: viewfinder.on)
    await srv.start()
    try:
        async with LiveView(srv.url, start=viewfinder.start, retries=1, stall_timeout=1.0) as live:
            await live.next_frame()
            await srv.close()  # the camera disappears
            with pytest.raises(CameraConnectionError):
                await drain(live)
    finally:
        await srv.close()


async def drain(live: LiveView) -> None:
    async with asyncio.timeout(30):
        async for _ in live.frames():
            pass


async def test_two_live_views_share_one_server(server: RtspServer, viewfinder: Viewfinder) -> None:
    viewfinder.on = True
    async with LiveView(server.url) as first, LiveView(server.url) as second:
        a, b = await asyncio.gather(first.next_frame(), second.next_frame())
    assert a.image.shape == b.image.shape == (240, 432, 3)


# -- through the emulated camera: msg 259 starts the stream, 260 ends it --------------------


async def test_camera_viewfinder_drives_the_stream(camera: Camera, emulator: Emulator) -> None:
    assert emulator.rtsp_port
    assert camera.rtsp_url == f"rtsp://127.0.0.1:{emulator.rtsp_port}/live"
    with pytest.raises(CameraConnectionError):  # before 259 there is no stream
        await LiveView(camera.rtsp_url, retries=0).open()
    async with camera.live_view() as live:
        assert emulator.state.viewfinder
        frame = await live.next_frame()
        assert frame.image.shape == (240, 432, 3)
        await camera.stop_viewfinder()  # 260 ends the stream; the view restarts it with 259
        async with asyncio.timeout(20):
            while live.stats().reconnects == 0:
                await live.next_frame()
        assert (await live.next_frame()).latency is not None
    assert not emulator.state.viewfinder


async def test_yi4k_announces_the_emulators_stream(start_emulator: Any) -> None:
    emu = await start_emulator(model="yi4k", preview_size=(320, 176))
    async with Camera("127.0.0.1", emu.port) as cam:  # no rtsp_port: the 257 reply has the URL
        assert cam.rtsp_url == f"rtsp://127.0.0.1:{emu.rtsp_port}/live"
        async with cam.live_view() as live:
            assert (await live.next_frame()).image.shape == (176, 320, 3)


async def test_live_view_uses_the_connected_host_not_the_announced_one(
    start_emulator: Any,
) -> None:
    # As a Yi 4K in station mode does (YIOpenAPI #21): the 257 reply names 192.168.42.1.
    emu = await start_emulator(model="yi4k", preview_size=(320, 176))
    emu.state.rtsp_url = lambda host: f"rtsp://192.168.42.1:{emu.rtsp_port}/live"
    async with Camera("127.0.0.1", emu.port, rtsp_port=emu.rtsp_port) as cam:
        assert cam.session_info["rtsp"].startswith("rtsp://192.168.42.1:")
        assert cam.rtsp_url == f"rtsp://127.0.0.1:{emu.rtsp_port}/live"
        async with cam.live_view() as live:
            assert (await live.next_frame()).image.shape == (176, 320, 3)


def test_cli_live_commands(tmp_path: Path) -> None:
    with loop_thread() as loop:
        emu = loop.emulator()
        ports = ("--rtsp-port", str(emu.rtsp_port))

        def run(*args: str) -> Any:
            result = yicam(emu.port, *ports, "--json", "live", *args)
            assert result.exit_code == 0, result.output
            return json.loads(result.output)

        shot = tmp_path / "shot.png"
        assert run("--snapshot", str(shot)) == {"path": str(shot), "width": 432, "height": 240}
        assert shot.stat().st_size > 0
        clip = run("--record", str(tmp_path / "clip.mp4"), "--duration", "1")
        assert abs(clip["duration"] - 1.0) <= 1.0
        stats = run("--stats", "--duration", "1")
        assert stats["frames"] > 0
        assert stats["latency_median_ms"] > 0
        assert stats["packets_lost"] == stats["packets_late"] == 0
        stats = run("--stats", "--duration", "1", "--engine", "ffmpeg")
        assert stats["frames"] > 0
        assert not emu.state.viewfinder
        bad = yicam(emu.port, *ports, "live", "--stats", "--url")
        assert bad.exit_code != 0
        assert "choose one of" in bad.output


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is how a POSIX terminal sends Ctrl-C")
def test_cli_records_until_ctrl_c_and_keeps_the_clip(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    part = tmp_path / "clip.mp4.part"
    with loop_thread() as loop:
        emu = loop.emulator()
        proc = subprocess.Popen(
            [sys.executable, "-m", "yicam.cli.main", "--host", "127.0.0.1", "--port",
             str(emu.port), "--rtsp-port", str(emu.rtsp_port), "--json", "live", "--record",
             str(clip)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while not (part.exists() and part.stat().st_size > 10_000):  # frames are coming
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "no recording started"
                time.sleep(0.01)
            assert not clip.exists()  # only the .part until it is finished
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    saved = json.loads(out)
    assert saved["path"] == str(clip)
    assert not part.exists()
    with av.open(str(clip)) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    assert decoded == saved["frames"] > 0


async def test_live_view_rides_out_packet_loss(start_emulator: Any) -> None:
    emu = await start_emulator(faults=Faults(rtp_loss=0.05, seed=3))
    async with (
        Camera("127.0.0.1", emu.port, rtsp_port=emu.rtsp_port) as cam,
        cam.live_view() as live,
    ):
        async with asyncio.timeout(30):
            for _ in range(90):
                frame = await live.next_frame()
                assert frame.image.shape == (240, 432, 3)
        stats = live.stats()
    assert stats.frames >= 90
    assert stats.dropped > 0  # lost packets show up as dropped frames, not as a dead stream


# -- the "rtp" engine against each stream shape and fault ----------------------------------


async def started(**options: Any) -> RtspServer:
    srv = RtspServer("127.0.0.1", 0, viewfinder=lambda: True, **options)
    await srv.start()
    return srv


async def take(live: LiveView, count: int) -> list[Any]:
    frames = []
    async with asyncio.timeout(30):
        async for frame in live.frames():
            frames.append(frame)
            if len(frames) == count:
                return frames
    return frames


@pytest.mark.parametrize(
    "shape",
    [
        {"stap_a": True},
        {"marker": False},
        {"stap_a": True, "marker": False},
        {"width": 1280, "height": 720, "profile": "main"},  # like an SJ8 Pro
    ],
    ids=["stap-a", "no-marker", "stap-a-no-marker", "720p-main"],
)
async def test_every_stream_shape_decodes_whole(shape: dict[str, Any]) -> None:
    srv = await started(**shape)
    try:
        async with LiveView(srv.url) as live:
            frames = await take(live, 20)
            stats = live.stats()
    finally:
        await srv.close()
    size = (shape.get("height", 240), shape.get("width", 432), 3)
    assert all(frame.image.shape == size for frame in frames)
    assert all(frame.latency is not None for frame in frames)
    assert (stats.dropped, stats.packets_lost, stats.packets_late) == (0, 0, 0)
    times = [frame.pts for frame in frames]
    assert times == sorted(times)


async def test_the_sj8_pro_shape_is_main_profile(tmp_path: Path) -> None:
    srv = await started(width=1280, height=720, profile="main")
    try:
        async with LiveView(srv.url) as live:
            await live.record(tmp_path / "sj8.mp4", 0.5)
    finally:
        await srv.close()
    with av.open(str(tmp_path / "sj8.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.profile == "Main"
        assert (stream.width, stream.height) == (1280, 720)


@pytest.fixture
def patient_holes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A hole waits 0.5 s for its packet, not 20 ms: the emulator sends from this process, and
    on a loaded machine the second packet of a swapped pair can come that late."""
    from yicam.live.rtp import H264Depacketizer

    patient = functools.partial(H264Depacketizer, max_wait=0.5)
    monkeypatch.setattr("yicam.live.rtp_engine.H264Depacketizer", patient)


@pytest.mark.usefixtures("patient_holes")
async def test_reordered_packets_are_put_back_in_order() -> None:
    srv = await started(reorder=0.2, seed=4)
    try:
        async with LiveView(srv.url) as live:
            frames = await take(live, 30)
            stats = live.stats()
    finally:
        await srv.close()
    assert all(frame.image.shape == (240, 432, 3) for frame in frames)
    assert (stats.dropped, stats.packets_lost, stats.packets_late) == (0, 0, 0)


async def test_closing_tears_the_session_down(server: RtspServer, viewfinder: Viewfinder) -> None:
    viewfinder.on = True
    async with LiveView(server.url) as live:
        await live.next_frame()
        assert len(server._playing()) == 1
    assert server._playing() == []  # closing waited for the answer to TEARDOWN


async def test_a_viewfinder_stop_without_answer_is_a_camera_timeout(
    server: RtspServer, viewfinder: Viewfinder
) -> None:
    """A yicam exception, not asyncio's bare TimeoutError, which the desktop app did not expect."""

    async def never_answered() -> None:
        await asyncio.Event().wait()

    live = LiveView(server.url, start=viewfinder.start, stop=never_answered, open_timeout=5.0)
    await live.open()
    await live.next_frame()
    with pytest.raises(CameraTimeoutError, match="did not stop within 5 s"):
        await live.close()
    assert server._playing() == []  # the stream is stopped all the same


async def test_a_new_picture_size_mid_stream_is_followed(tmp_path: Path) -> None:
    srv = await started()
    try:
        async with LiveView(srv.url) as live:
            await take(live, 5)
            recording = asyncio.ensure_future(live.record(tmp_path / "clip.mp4", 30.0))
            await take(live, 20)
            srv.resize(320, 176)  # new SPS and PPS in-band; the SDP said 432x240
            async with asyncio.timeout(30):
                while (await live.next_frame()).image.shape != (176, 320, 3):
                    pass
            after = await take(live, 10)
            result = await recording  # ends where the size changed
    finally:
        await srv.close()
    assert all(frame.image.shape == (176, 320, 3) for frame in after)
    assert result.frames > 0
    assert result.duration < 30
    with av.open(str(result.path)) as container:
        decoded = list(container.decode(video=0))
    assert len(decoded) == result.frames
    assert {(f.width, f.height) for f in decoded} == {(432, 240)}


async def test_rtp_loss_drops_damaged_frames_and_counts_lost_packets(start_emulator: Any) -> None:
    emu = await start_emulator(faults=Faults(rtp_loss=0.05, seed=5))
    async with (
        Camera("127.0.0.1", emu.port, rtsp_port=emu.rtsp_port) as cam,
        cam.live_view() as live,
    ):
        frames = await take(live, 60)
        stats = live.stats()
    assert all(frame.image.shape == (240, 432, 3) for frame in frames)
    assert stats.packets_lost > 0
    assert stats.dropped > 0
    assert stats.packets_late == 0


def test_stream_shape_faults_parse() -> None:
    faults = parse_faults(["stap-a", "no-marker", "rtp-reorder=0.1"])
    assert (faults.stap_a, faults.no_marker, faults.rtp_reorder) == (True, True, 0.1)


@pytest.mark.usefixtures("patient_holes")
async def test_an_emulated_camera_with_every_rtp_quirk(start_emulator: Any) -> None:
    faults = Faults(stap_a=True, no_marker=True, rtp_reorder=0.2, seed=2)
    emu = await start_emulator(faults=faults)
    async with (
        Camera("127.0.0.1", emu.port, rtsp_port=emu.rtsp_port) as cam,
        cam.live_view() as live,
    ):
        frames = await take(live, 30)
        stats = live.stats()
    assert all(frame.image.shape == (240, 432, 3) for frame in frames)
    assert (stats.dropped, stats.packets_lost, stats.packets_late) == (0, 0, 0)


async def test_conceal_shows_damaged_frames_and_counts_them_dropped(start_emulator: Any) -> None:
    emu = await start_emulator(faults=Faults(rtp_loss=0.1, seed=9))
    async with (
        Camera("127.0.0.1", emu.port, rtsp_port=emu.rtsp_port) as cam,
        cam.live_view(conceal=True) as live,
    ):
        await take(live, 60)
        stats = live.stats()
    assert stats.packets_lost > 0
    assert stats.dropped > 0


@pytest.mark.parametrize("engine", ["rtp", "ffmpeg"])
async def test_split_and_late_answers_from_the_camera(start_emulator: Any, engine: Engine) -> None:
    emu = await start_emulator(faults=Faults(split=True, delay=0.02, seed=1))
    async with (
        Camera("127.0.0.1", emu.port, rtsp_port=emu.rtsp_port, timeout=5.0) as cam,
        cam.live_view(engine=engine) as live,
    ):
        frames = await take(live, 10)
    assert all(frame.image.shape == (240, 432, 3) for frame in frames)


async def test_keep_alive_holds_a_session_past_the_cameras_idle_timeout() -> None:
    srv = await started(idle_timeout=2.0)  # Session: ...;timeout=2: keep-alive every second
    try:
        async with LiveView(srv.url, stall_timeout=1.5, retries=0) as live:
            first = await live.next_frame()
            assert first.captured_at is not None
            async with asyncio.timeout(30):
                while True:
                    frame = await live.next_frame()
                    assert frame.captured_at is not None
                    if frame.captured_at - first.captured_at > 4.5:
                        break
            assert live.stats().reconnects == 0
    finally:
        await srv.close()
    assert frame.index > first.index


async def test_the_ffmpeg_engine_is_still_there(
    server: RtspServer, viewfinder: Viewfinder, tmp_path: Path
) -> None:
    async with live_view(server, viewfinder, engine="ffmpeg") as live:  # type: ignore[arg-type]
        frames = await take(live, 5)
        result = await live.record(tmp_path / "ffmpeg.mp4", 1.0)
    assert all(frame.image.shape == (240, 432, 3) for frame in frames)
    with av.open(str(result.path)) as container:
        assert len(list(container.decode(video=0))) == result.frames


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="engine"):
        LiveView("rtsp://127.0.0.1/live", engine="vlc")  # type: ignore[arg-type]


async def test_snapshot_is_the_decoded_frame(
    server: RtspServer, viewfinder: Viewfinder, tmp_path: Path
) -> None:
    async with live_view(server, viewfinder) as live:
        frame = await live.snapshot(tmp_path / "shot.png")
    with av.open(str(tmp_path / "shot.png")) as container:
        image = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert (image == frame.image).all()


# -- a camera that answers nonsense ----------------------------------------------------------


async def test_nonsense_from_the_camera_is_a_clear_error() -> None:
    answers = {
        "OPTIONS": b"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nPublic: DESCRIBE\r\n\r\n",
        "DESCRIBE": b"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nContent-Length: 23\r\n\r\n"
        b"v=0\r\nm=audio 0 RTP/AVP 0",
    }

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while head := await reader.readuntil(b"\r\n\r\n"):
                method = head.split()[0].decode()
                cseq = head.split(b"CSeq: ")[1].split(b"\r\n")[0]
                answer = answers.get(method, b"HTTP/1.1 500 ?\r\n\r\n")
                writer.write(answer.replace(b"{cseq}", cseq))
        writer.close()

    fake = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = fake.sockets[0].getsockname()[1]
    try:
        with pytest.raises(ProtocolError, match=r"no H\.264 video"):
            await LiveView(f"rtsp://127.0.0.1:{port}/live", retries=0, open_timeout=3).open()
        answers["DESCRIBE"] = b"garbage\r\n\r\n"
        with pytest.raises(ProtocolError, match="bad status line"):
            await LiveView(f"rtsp://127.0.0.1:{port}/live", retries=0, open_timeout=3).open()
    finally:
        fake.close()
        await fake.wait_closed()


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="needs FFmpeg's ffprobe command")
async def test_ffprobe_reads_the_recording(
    server: RtspServer, viewfinder: Viewfinder, tmp_path: Path
) -> None:
    async with live_view(server, viewfinder) as live:
        result = await live.record(tmp_path / "clip.mp4", 1.0)
    probe = await asyncio.to_thread(
        subprocess.run,
        [
            "ffprobe",
            "-v",
            "error",
            "-count_frames",
            "-of",
            "json",
            "-show_streams",
            str(result.path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    (stream,) = json.loads(probe.stdout)["streams"]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", 432, 240)
    assert int(stream["nb_read_frames"]) == result.frames
    assert float(stream["duration"]) == pytest.approx(result.duration, abs=0.05)
    assert not (tmp_path / "clip.mp4.part").exists()


async def test_a_recording_cut_short_leaves_no_file(
    server: RtspServer, viewfinder: Viewfinder, tmp_path: Path
) -> None:
    path = tmp_path / "clip.mp4"
    live = live_view(server, viewfinder)
    await live.open()
    recording = asyncio.ensure_future(live.record(path, 30.0))
    await take(live, 20)  # more than a GOP: the recording has started at a keyframe
    assert await asyncio.to_thread(os.listdir, tmp_path) == ["clip.mp4.part"]
    await live.close()  # mid-recording
    with pytest.raises(CameraConnectionError, match="closed while recording"):
        await recording
    assert await asyncio.to_thread(os.listdir, tmp_path) == []


async def _decoded_per_sent(junk: int, sent: int = 150) -> float:
    """Frames the live view decodes for each frame the server sends, over `sent` frames."""
    viewfinder = Viewfinder()
    srv = RtspServer("127.0.0.1", 0, viewfinder=lambda: viewfinder.on, junk=junk, seed=5)
    await srv.start()
    try:
        async with live_view(srv, viewfinder) as live:
            await live.next_frame()
            first_sent, first_decoded = srv.frames_sent, live.stats().frames
            async for _ in live.frames():
                if srv.frames_sent - first_sent >= sent:
                    break
            decoded = live.stats().frames - first_decoded
            return decoded / (srv.frames_sent - first_sent)
    finally:
        await srv.close()


@pytest.mark.parametrize("every", [1, 3])
async def test_a_junk_packet_between_frames_costs_no_frame(every: int) -> None:
    clean = await _decoded_per_sent(junk=0)
    assert clean > 0.9
    with_junk = await _decoded_per_sent(junk=every)
    assert with_junk >= 0.9 * clean, (with_junk, clean)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="threads are listed by /proc")
async def test_thread_count_stays_flat_over_300_frames(
    server: RtspServer, viewfinder: Viewfinder
) -> None:
    """No thread is started per frame: every thread alive during 300 frames was there before."""
    import threading

    def threads() -> set[str]:
        return set(os.listdir("/proc/self/task"))

    seen: set[str] = set()
    done = threading.Event()

    def watch() -> None:  # samples far more often than frames come: a thread per frame shows
        while not done.wait(0.0005):
            seen.update(threads())

    async with live_view(server, viewfinder) as live:
        for _ in range(10):  # warm up: the decoding thread and the scaler exist from here on
            await live.next_frame()
        before = threads()
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            first = live.stats().frames
            counts = []
            async for _ in live.frames():
                counts.append(len(threads()))
                if live.stats().frames - first >= 300:
                    break
        finally:
            done.set()
            watcher.join()
    assert max(counts) == min(counts) == len(before) + 1  # the watcher
    assert seen - before == {str(watcher.native_id)}


# -- a stream that fails: one line, within --timeout ---------------------------------------


def one_error_line(result: Any) -> str:
    """The one `Error:` line of a failed command, with no traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return str(lines[0])


@pytest.mark.parametrize("engine", ["rtp", "ffmpeg"])
def test_cli_stats_on_a_dead_stream_fails_with_the_reason(engine: str) -> None:
    with loop_thread() as loop:
        emu = loop.emulator(faults=parse_faults(["rtp-loss=1.0"]))
        ports = ("--rtsp-port", str(emu.rtsp_port))
        args = ("live", "--stats", "--duration", "2", "--engine", engine)
        result = yicam(emu.port, *ports, *args, timeout=1.0)
        line = one_error_line(result)
        assert "no frame" in line or "no video" in line
        assert result.stdout == ""
        assert not loop.call(lambda: emu.state.viewfinder)  # stopped again


@pytest.mark.parametrize("method", ["DESCRIBE", "SETUP", "PLAY"])
def test_cli_a_step_without_answer_fails_after_one_timeout(method: str) -> None:
    with loop_thread() as loop:
        emu = loop.emulator(faults=parse_faults([f"rtsp-silent={method}"]))
        ports = ("--rtsp-port", str(emu.rtsp_port))
        for args in (("--stats",), ("--snapshot", "x.png")):
            result = yicam(emu.port, *ports, "live", *args, timeout=1.0)
            line = one_error_line(result)
            assert f"no answer to {method} within 1 s" in line
        # Asked once per command: a camera that does not answer is not asked again and again.
        assert loop.call(lambda: emu._rtsp.requests[method]) == 2  # type: ignore[union-attr]


async def test_an_unanswered_keepalive_ends_the_session_and_it_reopens(
    viewfinder: Viewfinder,
) -> None:
    srv = RtspServer(
        "127.0.0.1", 0, viewfinder=lambda: viewfinder.on, idle_timeout=2, silent=("GET_PARAMETER",)
    )
    await srv.start()  # sessions time out after 2 s: a keep-alive every second
    try:
        async with live_view(srv, viewfinder, open_timeout=1.0) as live:
            async for _ in live.frames():
                if live.stats().reconnects:
                    break
            assert srv.requests["GET_PARAMETER"] >= 1
            assert srv.requests["PLAY"] >= 2
            await live.next_frame()  # and it plays again
    finally:
        await srv.close()
