"""Station (client) mode: the files each model reads from its card to join a Wi-Fi network.

Sans-I/O: `station_files` builds the files, `Camera.set_station_mode` writes them over the
data port. The formats are the ones in docs/building-a-rig.md, with their sources:
- Yi 4K: `sta.conf` at the card root, the YI Open API's file (read at boot by the stock
  `wifi_xy_start.sh` with grep and fixed `cut` columns, so values are checked against what
  that parsing survives);
- Yi 4K+ (model id Z18): `Wi-Fi.DEBUG/start.sh`, run instead of the stock network start;
- Yi 1: `autoexec.ash` and `wifi/` (the community client-mode scripts).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "MASK",
    "STATION_MODELS",
    "CardFile",
    "StationModel",
    "StationSettings",
    "access_point_paths",
    "station_files",
    "station_folders",
    "station_model",
]

StationModel = Literal["yi4k", "yi4kplus", "yi1"]
STATION_MODELS: tuple[StationModel, ...] = ("yi4k", "yi4kplus", "yi1")
MASK = "********"  # what is shown instead of a password

# Model ids (257's `model`) -> the station files that model reads. Z18 is the 4K+: its
# firmware files are named Z18V13L_... (irungentoo/Xiaomi_Yi_4k_Camera issue #33) [C].
_BY_MODEL_ID: dict[str, StationModel] = {"Z13": "yi1", "Z16": "yi4k", "Z18": "yi4kplus"}
_BY_NAME: dict[str, StationModel] = {"Yi 1": "yi1", "Yi 4K": "yi4k", "Yi Z18": "yi4kplus"}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")  # a host name, as the scripts take it
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_PLAIN = re.compile(r"^[A-Za-z0-9._:-]+$")  # needs no quoting in a shell command line

STA_CONF = (
    "##### Wifi configuration file ##########################################\n"
    "# SSID\n"
    "SSID={ssid}\n"
    "# Password\n"
    "PASSWORD={password}\n"
    "# Device Name\n"
    "DEVICE_NAME={name}\n"
    "# Country Code\n"
    "COUNTRY_CODE={country}"  # no newline after the last line, as the SDK's file
)
START_SH = (
    "#!/bin/sh\n"
    "#/usr/local/share/network/start.sh WIFI_MODE=ap AP_CHANNEL_5G=1 AP_SSID=YDXJ_7586748_5G"
    " AP_PASSWD=1234567890 AP_COUNTRY=CA CHIP_TYPE=43340 WIFI_MAC=58:70:C6:AA:AA:AA\n"
    "/usr/local/share/network/start.sh WIFI_MODE=sta STA_SSID={ssid} STA_PASSWD={password}"
    " STA_FREQ={freq} STA_NAME={name} STA_SCAN=1 CHIP_TYPE=43340 WIFI_MAC={mac}\n"
)
AUTOEXEC_ASH = (
    "#wifi client mode\n"
    "#author: Andy_S\n"
    "\n"
    "sleep 30\n"
    "t pwm 1 enable\n"
    "sleep .5\n"
    "t pwm 1 disable\n"
    "lu_util exec '/tmp/fuse_d/wifi/sta.sh'\n"
    "t pwm 1 enable\n"
    "sleep 1\n"
    "t pwm 1 disable\n"
)
WPA_SUPPLICANT_CONF = (
    "ctrl_interface=/var/run/wpa_supplicant\n"
    "network={{\n"
    'ssid="{ssid}"\n'
    "key_mgmt=WPA-PSK\n"
    "proto=WPA2 WPA\n"
    "pairwise=CCMP TKIP\n"
    'psk="{password}"\n'
    "}}\n"
)
_KILL = (
    "killall -9 hostapd hostapd_autochannel_retartchip dnsmasq udhcpc wpa_supplicant wpa_cli"
    " wpa_event.sh 2> /dev/null\n"
)
STA_SH = (
    "#!/bin/sh\n"
    "# Yi 1 Wi-Fi station mode: join the network of wpa_supplicant.conf, address by DHCP.\n"
    "# After PJanisio/Xiaomi_Yi_autoexec wifi_client_mode (Andy_S); written by yicam.\n"
    "mac=`cat /tmp/wifi0_mac`\n" + _KILL + _KILL + "rmmod bcmdhd\n"
    "insmod /lib/modules/bcmdhd.ko firmware_path=/usr/local/bcmdhd/fw_apsta.bin"
    " nvram_path=/usr/local/bcmdhd/nvram.txt iface_name=wlan dhd_msg_level=0x00 op_mode=1"
    " amba_initmac=${mac}\n"
    "# wait up to 6 s for wlan0\n"
    "n=0\n"
    "while ! ifconfig wlan0 > /dev/null 2>&1 && [ $n -lt 6 ]; do sleep 1; n=$((n + 1)); done\n"
    "/usr/bin/wpa_supplicant -Dnl80211 -iwlan0 -c/tmp/fuse_d/wifi/wpa_supplicant.conf -B\n"
    "sleep 5\n"
    "udhcpc -i wlan0 -A 2 -b -t 30\n"
)


@dataclass(frozen=True, slots=True)
class StationSettings:
    """The network to join; `password` is never shown (`repr` leaves it out).

    `name` is the camera's DHCP host name (Yi 4K, 4K+), `country` its Wi-Fi regulatory
    country (Yi 4K; empty keeps the camera's own), `band` the network's band (4K+).
    """

    ssid: str
    password: str = field(repr=False)
    name: str = "xiaoyi-1"
    country: str = ""
    band: Literal["2.4", "5"] = "2.4"


@dataclass(frozen=True, slots=True)
class CardFile:
    """A file for the card: its path below the card root and its bytes.

    `shown` is the same text with the password masked: what may be printed or logged.
    """

    path: str
    content: bytes = field(repr=False)
    shown: str


def station_model(model_id: str | None, model_name: str) -> StationModel | None:
    """The station-file kind for a camera's model id (or model name), None when unknown."""
    if model_id is not None:
        for known, kind in _BY_MODEL_ID.items():
            if model_id.startswith(known):
                return kind
    return _BY_NAME.get(model_name)


def station_folders(model: StationModel) -> tuple[str, ...]:
    """The folders below the card root that `station_files(model, ...)` needs."""
    return {"yi4k": (), "yi4kplus": ("Wi-Fi.DEBUG",), "yi1": ("wifi",)}[model]


def access_point_paths(model: StationModel) -> tuple[str, ...]:
    """The files whose removal puts `model` back in access-point mode at its next start."""
    return {
        "yi4k": ("sta.conf",),
        "yi4kplus": ("Wi-Fi.DEBUG/start.sh",),
        "yi1": ("autoexec.ash", "wifi/sta.sh", "wifi/wpa_supplicant.conf"),
    }[model]


def station_files(
    model: StationModel, settings: StationSettings, *, serial: str = ""
) -> tuple[CardFile, ...]:
    """The files that make `model` join `settings.ssid` at its next start.

    `serial` (the camera's serial number) makes the 4K+'s Wi-Fi MAC address its own.
    Raises `ValueError` for a value the model's scripts would mangle (the message never
    contains the password).
    """
    _check(model, settings)
    if model == "yi4k":

        def sta_conf(password: str) -> str:
            return STA_CONF.format(
                ssid=settings.ssid, password=password, name=settings.name, country=settings.country
            )

        return (_file("sta.conf", sta_conf, settings.password),)
    if model == "yi4kplus":

        def start_sh(password: str) -> str:
            return START_SH.format(
                ssid=_shell_word(settings.ssid),
                password=password,
                freq="1" if settings.band == "5" else "0",
                name=_shell_word(settings.name),
                mac=_mac(serial or settings.name),
            )

        return (_file("Wi-Fi.DEBUG/start.sh", start_sh, _shell_word(settings.password)),)

    def wpa_conf(password: str) -> str:
        return WPA_SUPPLICANT_CONF.format(ssid=settings.ssid, password=password)

    return (
        _file("autoexec.ash", lambda _: AUTOEXEC_ASH, ""),
        _file("wifi/sta.sh", lambda _: STA_SH, ""),
        _file("wifi/wpa_supplicant.conf", wpa_conf, settings.password),
    )


def _file(path: str, render: Callable[[str], str], password: str) -> CardFile:
    """The file `render(password)`; shown as `render` of the mask."""
    return CardFile(path, render(password).encode(), render(MASK if password else ""))


def _check(model: StationModel, settings: StationSettings) -> None:
    ssid, password = settings.ssid, settings.password
    if not 1 <= len(ssid.encode()) <= 32 or not ssid.isprintable():
        raise ValueError("the SSID must be 1-32 bytes of printable characters")
    if password and not (
        8 <= len(password) <= 63 and password.isascii() and password.isprintable()
    ):
        raise ValueError("the password must be 8-63 printable ASCII characters (WPA/WPA2)")
    if not password and model == "yi1":
        raise ValueError("the Yi 1 station scripts join WPA/WPA2 networks only: give a password")
    if not _NAME.match(settings.name):
        raise ValueError(
            f"name {settings.name!r}: use 1-32 letters, digits, hyphens and underscores"
        )
    if settings.country and not _COUNTRY.match(settings.country):
        raise ValueError(f"country {settings.country!r}: use a two-letter code such as US")
    if model == "yi4k":
        # The stock script greps for these words: one in the wrong value feeds another key.
        if "PASSWORD" in ssid or "DEVICE_NAME" in ssid or "COUNTRY_CODE" in ssid:
            raise ValueError("the Yi 4K cannot read an SSID containing PASSWORD, DEVICE_NAME "
                             "or COUNTRY_CODE from sta.conf")  # fmt: skip
        if "SSID" in password or "PASSW" in password or "COUNTRY_CODE" in password:
            raise ValueError("the Yi 4K cannot read a password containing SSID, PASSW or "
                             "COUNTRY_CODE from sta.conf")  # fmt: skip


def _shell_word(value: str) -> str:
    """`value` as one word of a shell command line: as is when plain, else single-quoted."""
    if _PLAIN.match(value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


def _mac(seed: str) -> str:
    """A Wi-Fi MAC address in Xiaomi's block (58:70:C6), the same for the same camera.

    The 4K+ script takes WIFI_MAC on its command line; the published file gives every
    camera 58:70:C6:AA:AA:AA, which would clash with two of them on one network.
    """
    digest = hashlib.sha256(seed.encode()).digest()
    return "58:70:C6:" + ":".join(f"{b:02X}" for b in digest[:3])
