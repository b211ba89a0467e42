"""Station mode: the files each model needs land on its card byte for byte as the sources
publish them (rigs facts, docs/building-a-rig.md), the emulator then starts in station mode
at its station address, and access-point mode takes them away again."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from yicam import Camera, CameraError, StationSetup, UnsafeOperationError
from yicam.emulator import Emulator

Start = Callable[..., Any]

# The YI Open API's sdk/bin/en-us/sta.conf, exactly (190 bytes, no newline at the end).
SDK_STA_CONF = (
    b"##### Wifi configuration file ##########################################\n"
    b"# SSID\nSSID=PM2.5-5G\n# Password\nPASSWORD=1234567890\n"
    b"# Device Name\nDEVICE_NAME=xiaoyi-1\n# Country Code\nCOUNTRY_CODE=US"
)
# irungentoo/Xiaomi_Yi_4k_Camera 4k+/wifi/Wi-Fi.DEBUG/start.sh, exactly, but for WIFI_MAC.
IRUN_START_SH = (
    "#!/bin/sh\n"
    "#/usr/local/share/network/start.sh WIFI_MODE=ap AP_CHANNEL_5G=1 AP_SSID=YDXJ_7586748_5G "
    "AP_PASSWD=1234567890 AP_COUNTRY=CA CHIP_TYPE=43340 WIFI_MAC=58:70:C6:AA:AA:AA\n"
    "/usr/local/share/network/start.sh WIFI_MODE=sta STA_SSID=ssid STA_PASSWD=password "
    "STA_FREQ=1 STA_NAME=yi_cam_1 STA_SCAN=1 CHIP_TYPE=43340 WIFI_MAC={mac}\n"
)
# PJanisio/Xiaomi_Yi_autoexec wifi_client_mode, exactly.
PJAN_AUTOEXEC = (
    b"#wifi client mode\n#author: Andy_S\n\nsleep 30\nt pwm 1 enable\nsleep .5\n"
    b"t pwm 1 disable\nlu_util exec '/tmp/fuse_d/wifi/sta.sh'\nt pwm 1 enable\nsleep 1\n"
    b"t pwm 1 disable\n"
)
PJAN_WPA_SUPPLICANT = (
    b'ctrl_interface=/var/run/wpa_supplicant\nnetwork={\nssid="YourNetworkName"\n'
    b"key_mgmt=WPA-PSK\nproto=WPA2 WPA\npairwise=CCMP TKIP\n"
    b'psk="YourSuperSecretNetworkPassword"\n}\n'
)
PJAN_STA_SH_LINES = [
    "killall -9 hostapd hostapd_autochannel_retartchip dnsmasq udhcpc wpa_supplicant wpa_cli "
    "wpa_event.sh 2> /dev/null",
    "killall -9 hostapd hostapd_autochannel_retartchip dnsmasq udhcpc wpa_supplicant wpa_cli "
    "wpa_event.sh 2> /dev/null",
    "rmmod bcmdhd",
    "insmod /lib/modules/bcmdhd.ko firmware_path=/usr/local/bcmdhd/fw_apsta.bin "
    "nvram_path=/usr/local/bcmdhd/nvram.txt iface_name=wlan dhd_msg_level=0x00 op_mode=1 "
    "amba_initmac=${mac}",
    "/usr/bin/wpa_supplicant -Dnl80211 -iwlan0 -c/tmp/fuse_d/wifi/wpa_supplicant.conf -B",
    "sleep 5",
    "udhcpc -i wlan0 -A 2 -b -t 30",
]


def camera_for(emu: Emulator, host: str = "127.0.0.1") -> Camera:
    return Camera(
        host, emu.port, data_port=emu.data_port, http_port=emu.http_port, timeout=2.0,
        event_timeout=5.0,
    )  # fmt: skip


async def station(emu: Emulator, *args: Any, **kwargs: Any) -> StationSetup:
    async with camera_for(emu) as cam:
        return await cam.set_station_mode(*args, **kwargs)


async def test_yi4k_gets_the_sdks_sta_conf_at_the_card_root(start_emulator: Start) -> None:
    emu = await start_emulator(model="yi4k")
    setup = await station(emu, "PM2.5-5G", "1234567890", name="xiaoyi-1", country="US")
    assert (emu.sd / "sta.conf").read_bytes() == SDK_STA_CONF
    assert [f.path for f in setup.files] == ["sta.conf"]
    assert setup.model == "yi4k"
    assert sorted(p.name for p in emu.sd.iterdir()) == ["DCIM", "sta.conf"]


async def test_yi4k_plus_gets_wifi_debug_start_sh(start_emulator: Start) -> None:
    emu = await start_emulator(model="yi4kplus")
    setup = await station(emu, "ssid", "password", name="yi_cam_1", band="5")
    written = (emu.sd / "Wi-Fi.DEBUG" / "start.sh").read_text()
    mac = re.search(r"WIFI_MAC=(\S+)\n$", written)
    assert mac is not None
    assert re.fullmatch(r"58:70:C6(:[0-9A-F]{2}){3}", mac[1])
    assert mac[1] != "58:70:C6:AA:AA:AA"  # its own: two cameras on one network never clash
    assert written == IRUN_START_SH.format(mac=mac[1])
    assert setup.model == "yi4kplus"  # the camera named itself Z18


async def test_yi4k_plus_mac_is_the_same_each_time_and_differs_by_camera(
    start_emulator: Start,
) -> None:
    first, second = await start_emulator(model="yi4kplus"), await start_emulator(model="yi4kplus")
    second.state.settings["serial_number"] = "Z18L0000042"
    macs = []
    for emu in (first, first, second):
        setup = await station(emu, "net", "password1", name="cam", replace=True)
        macs.append(setup.files[0].shown.rsplit("WIFI_MAC=", 1)[1].strip())
    assert macs[0] == macs[1]
    assert macs[0] != macs[2]


async def test_yi1_gets_autoexec_and_the_wifi_folder(start_emulator: Start) -> None:
    emu = await start_emulator(model="yi1")
    setup = await station(emu, "YourNetworkName", "YourSuperSecretNetworkPassword")
    assert (emu.sd / "autoexec.ash").read_bytes() == PJAN_AUTOEXEC
    assert (emu.sd / "wifi" / "wpa_supplicant.conf").read_bytes() == PJAN_WPA_SUPPLICANT
    script = (emu.sd / "wifi" / "sta.sh").read_text().splitlines()
    positions = [script.index(line) for line in PJAN_STA_SH_LINES[1:]]
    assert positions == sorted(positions)  # the published working lines, in their order
    assert script.count(PJAN_STA_SH_LINES[0]) == 2
    assert "\r" not in (emu.sd / "wifi" / "sta.sh").read_text()
    assert [f.path for f in setup.files] == [
        "autoexec.ash",
        "wifi/sta.sh",
        "wifi/wpa_supplicant.conf",
    ]


async def test_the_password_is_masked_in_what_is_shown_and_never_logged(
    start_emulator: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "s3cret-Passw0rd"
    for model in ("yi4k", "yi4kplus", "yi1"):
        emu = await start_emulator(model=model)
        setup = await station(emu, "Home", secret, name="cam-1")
        assert secret.encode() in b"".join(f.content for f in setup.files)
        assert all(secret not in f.shown for f in setup.files)
        assert any("********" in f.shown for f in setup.files)
        assert secret not in repr(setup)
    assert secret not in caplog.text


async def test_a_camera_comes_up_in_station_mode_at_its_station_address(
    start_emulator: Start, tmp_path: Path
) -> None:
    first = await start_emulator(model="yi4k", sd=tmp_path)
    await station(first, "Home", "password1", name="left-cam", country="DE")
    await first.close()  # the camera is switched off, then on: it reads its card
    emu = await start_emulator(
        model="yi4k",
        sd=tmp_path,
        host="127.0.0.3",
        network_mode=True,
        discovery_port=0,
        rtsp_port=None,
    )
    assert emu.network.station
    assert (emu.network.ssid, emu.network.name) == ("Home", "left-cam")
    assert "station mode (joined 'Home' as left-cam)" in emu.network_note
    async with camera_for(emu, "127.0.0.3") as cam:
        assert cam.session.session_info["rtsp"] == "rtsp://192.168.42.1/live"  # as the firmware
        assert cam.rtsp_url == "rtsp://127.0.0.3/live"  # where it really is
        assert cam.model_name == "Yi 4K"


async def test_discovery_answers_with_the_station_name(
    start_emulator: Start, tmp_path: Path
) -> None:
    (tmp_path / "sta.conf").write_bytes(SDK_STA_CONF)
    emu = await start_emulator(model="yi4k", sd=tmp_path, network_mode=True, discovery_port=0)
    assert emu.discovery_port
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.setblocking(False)
        udp.sendto(b"amba discovery", ("127.0.0.1", emu.discovery_port))
        async with asyncio.timeout(5):
            data = await loop.sock_recv(udp, 512)
        udp.sendto(b"not a discovery", ("127.0.0.1", emu.discovery_port))
        udp.sendto(b"amba discoverywakeup", ("127.0.0.1", emu.discovery_port))
        async with asyncio.timeout(5):
            woken = await loop.sock_recv(udp, 512)
    assert data == b"name:xiaoyi-1"
    assert woken == b"name:xiaoyi-1"  # the other datagram got no answer


async def test_without_station_files_it_is_an_access_point(start_emulator: Start) -> None:
    emu = await start_emulator(model="yi4k", network_mode=True, discovery_port=0, rtsp_port=None)
    assert not emu.network.station
    assert emu.network.name == "amba-1"  # the firmware's own default name
    async with camera_for(emu) as cam:
        assert cam.session.session_info["rtsp"] == "rtsp://192.168.42.1/live"
    yi1 = await start_emulator(model="yi1", network_mode=True, discovery_port=0)
    assert yi1.discovery_port is None  # no discovery daemon known on a Yi 1


@pytest.mark.parametrize(
    ("model", "left"),
    [("yi4k", ["DCIM"]), ("yi4kplus", ["DCIM", "Wi-Fi.DEBUG"]), ("yi1", ["DCIM", "wifi"])],
)
async def test_access_point_mode_removes_the_files_and_the_camera_is_an_ap_again(
    start_emulator: Start, tmp_path: Path, model: str, left: list[str]
) -> None:
    emu = await start_emulator(model=model, sd=tmp_path)
    await station(emu, "Home", "password1", name="cam-1")
    async with camera_for(emu) as cam:
        removed = await cam.set_access_point_mode()
        assert removed
        assert await cam.set_access_point_mode() == ()  # nothing left to remove
    assert sorted(p.name for p in emu.sd.iterdir()) == left
    assert not [p for p in emu.sd.rglob("*") if p.is_file() and "DCIM" not in p.parts]
    await emu.close()
    again = await start_emulator(model=model, sd=tmp_path, network_mode=True, discovery_port=0)
    assert not again.network.station


async def test_a_yi1_with_another_autoexec_is_left_alone_unless_replaced(
    start_emulator: Start,
) -> None:
    emu = await start_emulator(model="yi1")
    own = b"t app key record\n"  # the owner's own script
    (emu.sd / "autoexec.ash").write_bytes(own)
    with pytest.raises(UnsafeOperationError, match=r"autoexec\.ash"):
        await station(emu, "Home", "password1")
    assert (emu.sd / "autoexec.ash").read_bytes() == own
    assert not (emu.sd / "wifi").exists()
    async with camera_for(emu) as cam:
        assert "autoexec.ash" not in await cam.set_access_point_mode()
    assert (emu.sd / "autoexec.ash").read_bytes() == own
    await station(emu, "Home", "password1", replace=True)
    assert (emu.sd / "autoexec.ash").read_bytes() == PJAN_AUTOEXEC


@pytest.mark.parametrize(
    ("model", "ssid", "password", "name", "problem"),
    [
        ("yi4k", "Home", "short", "cam", "8-63"),
        ("yi4k", "Home", "x" * 64, "cam", "8-63"),
        ("yi4k", "My PASSWORD net", "password1", "cam", "SSID containing PASSWORD"),
        ("yi4k", "Home", "mySSIDpass", "cam", "password containing SSID"),
        ("yi4k", "Home\nSSID=evil", "password1", "cam", "SSID must be"),
        ("yi4k", "Home", "password1", "cam; reboot", "name"),
        ("yi1", "Home", "", "cam", "give a password"),
    ],
)
async def test_values_the_scripts_would_mangle_are_refused_before_anything_is_written(
    start_emulator: Start, model: str, ssid: str, password: str, name: str, problem: str
) -> None:
    emu = await start_emulator(model=model)
    with pytest.raises(ValueError, match=problem) as refused:
        await station(emu, ssid, password, name=name)
    assert not password or password not in str(refused.value)
    assert sorted(p.name for p in emu.sd.iterdir()) == ["DCIM"]


async def test_a_4k_plus_ssid_with_spaces_is_one_shell_word(start_emulator: Start) -> None:
    emu = await start_emulator(model="yi4kplus")
    await station(emu, "Cafe Wi-Fi 'guest'", "pass word!", name="cam")
    line = (emu.sd / "Wi-Fi.DEBUG" / "start.sh").read_text().splitlines()[2]
    assert "STA_SSID='Cafe Wi-Fi '\\''guest'\\''' STA_PASSWD='pass word!' " in line


async def test_the_camera_makes_the_folder_and_refuses_an_existing_one(
    start_emulator: Start,
) -> None:
    emu = await start_emulator()
    async with camera_for(emu) as cam:
        await cam.call(1289, param="/tmp/fuse_d/new")
        assert (emu.sd / "new").is_dir()
        for path, rval in (("/tmp/fuse_d/new", -13), ("/tmp/fuse_d/a/b", -26), ("/etc/x", -26)):
            with pytest.raises(CameraError) as refused:
                await cam.call(1289, param=path)
            assert refused.value.rval == rval
