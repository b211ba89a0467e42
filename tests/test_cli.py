"""Every `yicam` command, plain and --json, against emulators on loopback; and every error path."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import pytest
from click.testing import CliRunner, Result

from yicam import Camera, MsgId, SessionHeldError
from yicam.cli.main import cli
from yicam.emulator import Emulator, parse_faults

from .agent_helpers import free_port
from .cli_helpers import LoopThread, yicam
from .conftest import wait_until
from .scripted import scripted_camera, session_then

MEDIA = "/tmp/fuse_d/DCIM/100MEDIA"


@pytest.fixture
def emu(loop: LoopThread) -> Emulator:
    return loop.emulator()


def ok(result: Result) -> str:
    """The stdout of a successful run."""
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result.stdout


def as_json(result: Result) -> Any:
    return json.loads(ok(result))


def failed(result: Result) -> str:
    """The one error line of a failed run: non-zero exit, no traceback, nothing on stdout."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def take_photo(emu: Emulator) -> str:
    return as_json(yicam(emu.port, "--json", "photo"))["path"]  # type: ignore[no-any-return]


# -- status --------------------------------------------------------------------------------


def test_info(emu: Emulator) -> None:
    out = ok(yicam(emu.port, "info"))
    assert "Yi 1" in out  # recognised from hw_version: the Yi 1's 257 names no model
    assert "YDXJv22_1.0.7" in out
    assert "rtsp://127.0.0.1/live" in out
    assert "GB free of" in out


def test_info_json(emu: Emulator) -> None:
    data = as_json(yicam(emu.port, "--json", "info"))
    assert data["firmware"].startswith("YDXJv22_1.0.7")
    assert data["storage"]["total"] == emu.state.card.capacity
    assert data["rtsp_url"] == "rtsp://127.0.0.1/live"


def test_info_without_card(loop: LoopThread) -> None:
    emu = loop.emulator(card_inserted=False)
    assert as_json(yicam(emu.port, "--json", "info"))["storage"] is None
    assert "no card" in ok(yicam(emu.port, "info"))


def test_info_yi4k_reports_model(loop: LoopThread) -> None:
    emu = loop.emulator(model="yi4k")
    data = as_json(yicam(emu.port, "--json", "info"))
    assert (data["model"], data["name"]) == ("Z16", "Yi 4K")
    assert "Yi 4K (Z16)" in ok(yicam(emu.port, "info"))


def test_battery(emu: Emulator) -> None:
    assert ok(yicam(emu.port, "battery")) == "Battery: 86% (on battery)\n"
    assert as_json(yicam(emu.port, "--json", "battery")) == {"level": 86, "on_adapter": False}


def test_battery_on_adapter(emu: Emulator, loop: LoopThread) -> None:
    loop.call(lambda: setattr(emu.state, "on_adapter", True))
    assert "on USB power" in ok(yicam(emu.port, "battery"))


# -- settings ------------------------------------------------------------------------------


def test_settings_table(emu: Emulator) -> None:
    out = ok(yicam(emu.port, "settings"))
    assert "video_resolution" in out
    assert "1920x1080 60P 16:9" in out


def test_settings_json_keeps_camera_order(emu: Emulator) -> None:
    data = as_json(yicam(emu.port, "--json", "settings"))
    assert len(data) == 45
    assert list(data)[:2] == ["camera_clock", "video_standard"]


def test_get(emu: Emulator) -> None:
    assert ok(yicam(emu.port, "get", "video_quality")) == "S.Fine\n"
    data = as_json(yicam(emu.port, "--json", "get", "video_quality"))
    assert data == {"name": "video_quality", "value": "S.Fine"}


def test_set(emu: Emulator) -> None:
    assert ok(yicam(emu.port, "set", "video_quality", "Fine")) == "video_quality = Fine\n"
    assert emu.state.settings["video_quality"] == "Fine"
    data = as_json(yicam(emu.port, "--json", "set", "video_quality", "Normal"))
    assert data == {"name": "video_quality", "value": "Normal"}
    assert emu.state.settings["video_quality"] == "Normal"


def test_set_invalid_value_lists_the_accepted_ones_before_sending(emu: Emulator) -> None:
    line = failed(yicam(emu.port, "set", "video_quality", "Ultra"))
    assert line == (
        "Error: video_quality cannot be 'Ultra'; the camera accepts: S.Fine, Fine, Normal"
    )
    assert emu.state.received[MsgId.SET_SETTING] == 0
    assert emu.state.settings["video_quality"] == "S.Fine"


def test_set_free_form_value_goes_to_the_camera(emu: Emulator) -> None:
    # camera_clock offers its current value as its only option: the camera judges the value.
    line = failed(yicam(emu.port, "set", "camera_clock", "yesterday"))
    assert "rval -13" in line
    assert "yicam options NAME" in line
    assert emu.state.received[MsgId.SET_SETTING] == 1


def test_set_refused_while_recording(emu: Emulator) -> None:
    ok(yicam(emu.port, "record", "start"))
    line = failed(yicam(emu.port, "set", "video_quality", "Fine"))
    assert "while the camera is recording" in line
    ok(yicam(emu.port, "record", "stop"))


def test_options(emu: Emulator) -> None:
    out = ok(yicam(emu.port, "options", "video_quality"))
    assert out.splitlines() == ["video_quality (settable):", "  S.Fine", "  Fine", "  Normal"]
    data = as_json(yicam(emu.port, "--json", "options", "video_quality"))
    assert data == {
        "name": "video_quality",
        "permission": "settable",
        "options": ["S.Fine", "Fine", "Normal"],
    }


def test_clock_show_and_sync(emu: Emulator) -> None:
    assert ok(yicam(emu.port, "clock")).startswith("Camera clock: 20")
    assert ok(yicam(emu.port, "clock", "sync")).startswith("Camera clock set to 20")
    synced = as_json(yicam(emu.port, "--json", "clock", "sync"))["clock"]
    assert synced[4] == "-"
    assert "T" in synced
    shown = as_json(yicam(emu.port, "--json", "clock", "show"))["clock"]
    assert shown[:10] == synced[:10]


# -- capture -------------------------------------------------------------------------------


def test_photo(emu: Emulator) -> None:
    out = ok(yicam(emu.port, "photo"))
    assert out == f"{MEDIA}/YDXJ0001.jpg\n"
    assert take_photo(emu) == f"{MEDIA}/YDXJ0002.jpg"
    assert (emu.sd / "DCIM" / "100MEDIA" / "YDXJ0002.jpg").is_file()


def test_record(emu: Emulator) -> None:
    assert ok(yicam(emu.port, "record", "start")) == "Recording started\n"
    assert ok(yicam(emu.port, "record", "time")).startswith("Recording for ")
    assert ok(yicam(emu.port, "record", "stop")) == f"{MEDIA}/YDXJ0001.mp4\n"


def test_record_json(emu: Emulator) -> None:
    assert as_json(yicam(emu.port, "--json", "record", "start")) == {"recording": True}
    seconds = as_json(yicam(emu.port, "--json", "record", "time"))["seconds"]
    assert isinstance(seconds, int)
    assert as_json(yicam(emu.port, "--json", "record", "stop")) == {"path": f"{MEDIA}/YDXJ0001.mp4"}


def test_record_stop_when_not_recording(emu: Emulator) -> None:
    assert "rval -14" in failed(yicam(emu.port, "record", "stop"))


def test_photo_without_card(loop: LoopThread) -> None:
    emu = loop.emulator(card_inserted=False)
    line = failed(yicam(emu.port, "photo"))
    assert "rval -27" in line
    assert "SD card" in line


# -- files ---------------------------------------------------------------------------------


def test_ls_default_is_dcim(emu: Emulator) -> None:
    assert "100MEDIA/" in ok(yicam(emu.port, "ls"))
    data = as_json(yicam(emu.port, "--json", "ls"))
    assert data[0]["name"] == "100MEDIA"
    assert data[0]["is_dir"] is True
    assert data[0]["path"] == "/tmp/fuse_d/DCIM/100MEDIA/"


def test_ls_media(emu: Emulator) -> None:
    take_photo(emu)
    out = ok(yicam(emu.port, "ls", MEDIA))
    assert "YDXJ0001.jpg" in out
    assert "KB" in out
    entries = {e["name"]: e for e in as_json(yicam(emu.port, "--json", "ls", MEDIA + "/"))}
    photo = entries["YDXJ0001.jpg"]
    assert photo["path"] == f"{MEDIA}/YDXJ0001.jpg"
    assert photo["size"] == (emu.sd / "DCIM/100MEDIA/YDXJ0001.jpg").stat().st_size
    assert photo["modified"][10] == "T"
    assert photo["is_dir"] is False


def test_ls_empty_directory(emu: Emulator) -> None:
    assert ok(yicam(emu.port, "ls", MEDIA)) == f"{MEDIA} is empty\n"


def test_ls_refuses_a_file_path(emu: Emulator) -> None:
    path = take_photo(emu)
    assert "looks like a file" in failed(yicam(emu.port, "ls", path))
    ok(yicam(emu.port, "battery"))  # the camera is still alive


def test_ls_missing_directory(emu: Emulator) -> None:
    assert "rval -26" in failed(yicam(emu.port, "ls", "/tmp/fuse_d/NOPE/"))


def test_rm(emu: Emulator) -> None:
    first, second = take_photo(emu), take_photo(emu)
    assert ok(yicam(emu.port, "rm", first)) == f"Deleted {first}\n"
    assert as_json(yicam(emu.port, "--json", "rm", second)) == {"deleted": [second]}
    assert not (emu.sd / "DCIM/100MEDIA/YDXJ0001.jpg").exists()
    assert not (emu.sd / "DCIM/100MEDIA/YDXJ0002.jpg").exists()


def test_rm_missing_file(emu: Emulator) -> None:
    line = failed(yicam(emu.port, "rm", f"{MEDIA}/YDXJ9999.jpg"))
    assert "no such file" in line
    assert "yicam ls" in line


# -- notifications -------------------------------------------------------------------------


def push_notifications(loop: LoopThread, emu: Emulator, kind: str = "battery") -> None:
    """Make the camera send `kind` notifications to its session holder every 50 ms."""

    def tick() -> None:
        for session in list(emu.state.sessions):
            if emu.state.holder is session:
                session.notify(kind, "75")
        loop.loop.call_later(0.05, tick)

    loop.loop.call_soon_threadsafe(tick)


def test_watch(emu: Emulator, loop: LoopThread) -> None:
    push_notifications(loop, emu)
    lines = ok(yicam(emu.port, "watch", "--count", "2")).splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("  battery  75")


def test_watch_json_one_object_per_line(emu: Emulator, loop: LoopThread) -> None:
    push_notifications(loop, emu)
    lines = ok(yicam(emu.port, "--json", "watch", "--count", "3")).splitlines()
    events = [json.loads(line) for line in lines]
    assert len(events) == 3
    assert events[0]["type"] == "battery"
    assert events[0]["param"] == "75"
    assert "T" in events[0]["time"]


def test_watch_shows_another_client_asking_for_the_session(emu: Emulator, loop: LoopThread) -> None:
    async def intrude() -> None:
        while True:
            await asyncio.sleep(0.05)
            if emu.state.holder is not None:  # watch holds the session: knock
                with contextlib.suppress(SessionHeldError):
                    async with Camera("127.0.0.1", emu.port, timeout=2.0):
                        pass

    asyncio.run_coroutine_threadsafe(intrude(), loop.loop)
    event = as_json(yicam(emu.port, "--json", "watch", "--count", "1"))
    assert event["type"] == "session_requested"
    assert event["kept"] is True


def test_watch_reports_a_lost_camera(emu: Emulator, loop: LoopThread) -> None:
    def drop_all() -> None:
        for session in list(emu.state.sessions):
            if emu.state.holder is session:
                session.close()
        loop.loop.call_later(0.05, drop_all)

    loop.loop.call_soon_threadsafe(drop_all)
    assert "closed the connection" in failed(yicam(emu.port, "watch", "--no-reconnect"))


def test_watch_rides_out_a_camera_that_goes_away(loop: LoopThread) -> None:
    first = loop.emulator(rtsp_port=None)
    port = first.port

    async def outage() -> Emulator:  # on the emulators' loop, while watch runs in this thread
        await wait_until(lambda: first.state.holder is not None)  # watch holds the session
        await first.close()
        refused = asyncio.Event()
        attempts = 0

        def refuse(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal attempts
            attempts += 1
            writer.close()  # the address answers, the camera does not
            if attempts >= 2:
                refused.set()

        gone = await asyncio.start_server(refuse, "127.0.0.1", port)
        async with gone:
            await refused.wait()  # watch kept trying while the camera was away
        gone.close()
        await gone.wait_closed()
        back = Emulator("127.0.0.1", port, data_port=0, http_port=0, rtsp_port=None)
        await back.start()
        push_notifications(loop, back)
        return back

    story = asyncio.run_coroutine_threadsafe(outage(), loop.loop)
    lines = ok(yicam(port, "--json", "watch", "--count", "2")).splitlines()
    loop.run(story.result(5).close())
    kinds = [json.loads(line)["type"] for line in lines]
    assert kinds[0] == "disconnected"
    assert kinds.count("reconnecting") >= 2
    assert "reconnected" in kinds
    assert kinds[-1] == "battery"  # from the camera that came back


def test_watch_survives_a_drop(emu: Emulator, loop: LoopThread) -> None:
    def drop_once() -> None:
        holder = emu.state.holder
        if holder is None:
            loop.loop.call_later(0.02, drop_once)
            return
        holder.close()
        push_notifications(loop, emu)  # heard only once watch has reconnected

    loop.loop.call_soon_threadsafe(drop_once)
    lines = ok(yicam(emu.port, "--json", "watch", "--count", "2")).splitlines()
    kinds = [json.loads(line)["type"] for line in lines]
    assert kinds[0] == "disconnected"
    assert "reconnecting" in kinds
    assert "reconnected" in kinds
    assert kinds[-1] == "battery"  # vf_stop (Yi 1, on connect) may come before reconnected


# -- raw -----------------------------------------------------------------------------------


def test_raw(emu: Emulator) -> None:
    out = ok(yicam(emu.port, "raw", "13"))
    assert json.loads(out) == {"rval": 0, "msg_id": 13, "type": "battery", "param": "86"}
    reply = as_json(yicam(emu.port, "--json", "raw", "GET_SETTING", '{"type": "app_status"}'))
    assert reply == {"rval": 0, "msg_id": 1, "type": "app_status", "param": "idle"}
    assert as_json(yicam(emu.port, "--json", "raw", "0x5", '{"type":"total"}'))["msg_id"] == 5


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("{bad", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"token": 9}', "must not contain"),
    ],
)
def test_raw_bad_fields(emu: Emulator, fields: str, message: str) -> None:
    assert message in failed(yicam(emu.port, "raw", "1", fields))
    assert emu.state.received[MsgId.GET_SETTING] == 0


def test_raw_unknown_name_is_a_usage_error(emu: Emulator) -> None:
    result = yicam(emu.port, "raw", "NO_SUCH_MESSAGE")
    assert result.exit_code == 2
    assert "neither a number nor a known message name" in result.stderr


def test_raw_unknown_id(emu: Emulator) -> None:
    line = failed(yicam(emu.port, "raw", "4242"))
    assert "rval -23" in line
    assert "does not know that command" in line


# -- maintenance ---------------------------------------------------------------------------


def test_reboot(emu: Emulator) -> None:
    assert "rebooting" in ok(yicam(emu.port, "reboot"))
    assert as_json(yicam(emu.port, "--json", "reboot")) == {"rebooting": True}


def test_format_refused_without_yes(emu: Emulator) -> None:
    path = take_photo(emu)
    line = failed(yicam(emu.port, "format"))
    assert "--yes" in line
    assert emu.state.received[MsgId.FORMAT] == 0
    assert (emu.sd / path.removeprefix("/tmp/fuse_d/")).is_file()


def test_format(emu: Emulator) -> None:
    take_photo(emu)
    assert ok(yicam(emu.port, "format", "--yes")) == "SD card formatted\n"
    assert not list((emu.sd / "DCIM/100MEDIA").iterdir())
    emu.state.card_busy_until = 0.0
    assert as_json(yicam(emu.port, "--json", "format", "--yes")) == {"formatted": True}


# -- errors --------------------------------------------------------------------------------


def test_unreachable_camera() -> None:
    result = yicam(free_port(), "battery")
    line = failed(result)
    assert "cannot connect to 127.0.0.1" in line
    assert "is this computer on the camera's Wi-Fi?" in line
    assert result.stdout == ""


def test_unreachable_camera_json_mode_error_is_json() -> None:
    result = yicam(free_port(), "--json", "battery")
    assert result.exit_code == 1
    assert result.stdout == ""
    error = json.loads(result.stderr)
    assert "cannot connect to 127.0.0.1" in error["error"]
    assert "rval" not in error  # no camera answered


def test_debug_shows_the_traceback() -> None:
    result = yicam(free_port(), "--debug", "battery")
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: cannot connect")


def test_another_client_holds_the_session(emu: Emulator, loop: LoopThread) -> None:
    loop.enter(Camera("127.0.0.1", emu.port, timeout=2.0, keep_session=True))
    line = failed(yicam(emu.port, "battery"))
    assert "rval -3" in line
    assert "another client holds the camera session" in line
    assert "the phone app, or another yicam" in line


@pytest.mark.parametrize("seed", [1, 3, 7])
def test_dropping_camera_gives_an_error_line(loop: LoopThread, seed: int) -> None:
    emu = loop.emulator(faults=parse_faults(["drop"], seed=seed))
    # These seeds cut the first connection before the end of the settings reply.
    line = failed(yicam(emu.port, "settings"))
    assert "connection" in line


def test_faulty_but_working_camera(loop: LoopThread) -> None:
    emu = loop.emulator(faults=parse_faults(["split", "glue", "delay=5"], seed=2))
    assert len(as_json(yicam(emu.port, "--json", "settings"))) == 45
    assert take_photo(emu).endswith(".jpg")


def test_garbage_from_the_camera(loop: LoopThread) -> None:
    port = loop.enter(scripted_camera(lambda _req: b"", greeting=b"\x00\xffHELLO garbage"))
    assert "garbage from the camera" in failed(yicam(port, "battery"))


def test_garbage_after_the_session_starts(loop: LoopThread) -> None:
    port = loop.enter(scripted_camera(session_then(lambda _req: b"}}not json{{")))
    assert "garbage from the camera" in failed(yicam(port, "battery"))


def test_camera_hangs_up(loop: LoopThread) -> None:
    port = loop.enter(scripted_camera(lambda _req: None))
    assert "closed the connection" in failed(yicam(port, "info"))


def test_silent_camera_times_out(loop: LoopThread) -> None:
    port = loop.enter(scripted_camera(lambda _req: b""))
    line = failed(yicam(port, "battery", timeout=0.3))
    assert "did not answer msg 257" in line


# -- global options ------------------------------------------------------------------------


def test_host_comes_from_the_environment(emu: Emulator) -> None:
    runner = CliRunner(env={"YICAM_HOST": "127.0.0.1"})
    assert runner.invoke(cli, ["--port", str(emu.port), "battery"]).exit_code == 0


def test_default_host_is_the_camera_access_point() -> None:
    out = CliRunner(env={"YICAM_HOST": None}).invoke(cli, ["--help"]).output
    assert "192.168.42.1" in out


def test_every_command_is_registered() -> None:
    expected = {"info", "battery", "settings", "get", "set", "options", "photo", "record"}
    expected |= {"ls", "rm", "clock", "watch", "raw", "reboot", "format", "emulate", "demo"}
    assert expected <= set(cli.list_commands(None))  # type: ignore[arg-type]


# -- demo ----------------------------------------------------------------------------------


def test_demo() -> None:
    out = ok(CliRunner().invoke(cli, ["demo", "--time-scale", "0.05"]))
    for step in ("Start emulator", "Connect", "Device info", "Battery", "Settings"):
        assert step in out
    for step in ("Take a photo", "Record a video", "List files", "Download", "Live view"):
        assert step in out
    assert "YDXJ0001.jpg" in out
    assert "YDXJ0002.mp4" in out
    assert "Device info       Yi 1, firmware" in out  # recognised from its versions


def test_demo_json() -> None:
    lines = ok(CliRunner().invoke(cli, ["--json", "demo", "--time-scale", "0.05"])).splitlines()
    steps = [json.loads(line)["step"] for line in lines]
    assert steps == [
        "emulator",
        "connect",
        "device_info",
        "battery",
        "settings",
        "set_setting",
        "photo",
        "record",
        "listing",
        "download",
        "live_view",
        "disconnect",
        "done",
    ]
    assert json.loads(lines[2])["model_name"] == "Yi 1"
    live = json.loads(lines[-3])
    assert (live["width"], live["height"]) == (432, 240)
    assert live["frames"] >= 16
