"""What each emulated model reports: settings in camera order, option lists, identity.

Yi 1 values are the 45 keys of a real msg 3 reply (protocol.md section 5.2); Yi 4K keys and
values come from the official YI SDK (section 5.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

# Facts the client needs too (JSON style, locked settings, model ids) live in one table.
from .._wire.quirks import UNKNOWN, YI_1, YI_4K, YI_Z18, Quirks

__all__ = ["PROFILES", "Profile"]

_ON_OFF = ("on", "off")
_STAMP = ("off", "date", "time", "date/time")
_QUALITY = ("S.Fine", "Fine", "Normal")
_POWER_OFF = ("off", "3 minutes", "5 minutes", "10 minutes")
_LED = ("all enable", "all disable", "status enable")
_BUZZER = ("high", "low", "mute")
_METER = ("center", "average", "spot")


@dataclass(frozen=True)
class Profile:
    """Everything model-specific about an emulated camera."""

    name: str
    model_id: str  # the `model` a 257 reply would carry
    settings: tuple[tuple[str, str], ...]
    options: dict[str, tuple[str, ...]]
    readonly: frozenset[str]
    actions: frozenset[str] = frozenset({"dev_reboot", "restore_factory_settings"})
    spaced_json: bool = False  # Yi 1 firmware writes `{ "rval": 0, ... }` with \/ escapes
    vf_stop_on_connect: bool = False
    model_in_257: bool = False  # newer firmware adds `model` and `rtsp` to the 257 reply
    battery_as_string: bool = False
    settings_locked_in_vf: bool = False  # Yi 1: every setting read-only while streaming
    extra_ids: frozenset[int] = field(default_factory=frozenset)
    quirks: Quirks = UNKNOWN  # the client's record for this model (yicam._wire.quirks)
    later_settings: tuple[tuple[str, str], ...] = ()  # keys firmware newer than 2015 adds
    free_text: frozenset[str] = frozenset()  # settings that take any short text (Wi-Fi)
    vf_wedges: bool = False  # Yi 1: 259 answers -21 after a photo + record sequence
    digital_zoom: bool = False  # msgs 14 and 15
    photo_with_mode: bool = False  # msg 16777220, the YI SDK's photo command
    wildcard_delete: bool = False  # 1281 accepts `*` and `?` in the file name
    record_msize: bool = False  # `msize` in video_record_complete


_YI1_SETTINGS = (
    ("camera_clock", "2015-04-07 02:32:29"),
    ("video_standard", "NTSC"),
    ("app_status", "idle"),
    ("video_resolution", "1920x1080 60P 16:9"),
    ("video_stamp", "off"),
    ("video_quality", "S.Fine"),
    ("timelapse_video", "off"),
    ("capture_mode", "precise quality"),
    ("photo_size", "16M (4608x3456 4:3)"),
    ("photo_stamp", "off"),
    ("photo_quality", "S.Fine"),
    ("timelapse_photo", "60"),
    ("preview_status", "on"),
    ("buzzer_volume", "mute"),
    ("buzzer_ring", "off"),
    ("capture_default_mode", "precise quality"),
    ("precise_cont_time", "60.0 sec"),
    ("burst_capture_number", "7 p / s"),
    ("restore_factory_settings", "on"),
    ("led_mode", "all enable"),
    ("dev_reboot", "on"),
    ("meter_mode", "center"),
    ("sd_card_status", "insert"),
    ("video_output_dev_type", "tv"),
    ("sw_version", "YDXJv22_1.0.7_build-20150330113749_b690_i446_s699"),
    ("hw_version", "YDXJ_v22"),
    ("dual_stream_status", "on"),
    ("streaming_status", "off"),
    ("precise_cont_capturing", "off"),
    ("piv_enable", "off"),
    ("auto_low_light", "on"),
    ("loop_record", "off"),
    ("warp_enable", "off"),
    ("support_auto_low_light", "on"),
    ("precise_selftime", "5s"),
    ("precise_self_running", "off"),
    ("auto_power_off", "5 minutes"),
    ("serial_number", "Z23L0000000"),
    ("system_mode", "capture"),
    ("system_default_mode", "capture"),
    ("start_wifi_while_booted", "off"),
    ("quick_record_time", "0"),
    ("precise_self_remain_time", "0"),
    ("sdcard_need_format", "no-need"),
    ("video_rotate", "off"),
)

_CAPTURE_MODES = (
    "precise quality",
    "precise quality cont.",
    "burst quality",
    "precise self quality",
)

_YI1_OPTIONS: dict[str, tuple[str, ...]] = {
    "video_standard": ("NTSC", "PAL"),
    "video_resolution": (
        "1920x1080 60P 16:9",
        "1920x1080 30P 16:9",
        "1280x960 60P 4:3",
        "1280x720 60P 16:9",
        "1280x720 120P 16:9",
        "848x480 240P 16:9",
        "1920x1080 48P 16:9",
        "1920x1080 24P 16:9",
        "1280x960 48P 4:3",
        "1280x720 48P 16:9",
    ),
    "video_stamp": _STAMP,
    "video_quality": _QUALITY,
    "timelapse_video": ("off", "2"),
    "capture_mode": _CAPTURE_MODES,
    "photo_size": (
        "16M (4608x3456 4:3)",
        "13M (4128x3096 4:3)",
        "8M (3264x2448 4:3)",
        "5M (2560x1920 4:3)",
    ),
    "photo_stamp": _STAMP,
    "photo_quality": _QUALITY,
    "timelapse_photo": ("off", "0.5", "1", "2", "5", "10", "30", "60"),
    "preview_status": _ON_OFF,
    "buzzer_volume": _BUZZER,
    "buzzer_ring": _ON_OFF,
    "capture_default_mode": _CAPTURE_MODES,
    "precise_cont_time": (
        "0.5 sec",
        "1.0 sec",
        "2.0 sec",
        "5.0 sec",
        "10.0 sec",
        "30.0 sec",
        "60.0 sec",
    ),
    "burst_capture_number": ("3 p / s", "5 p / s", "7 p / s", "7 p / 2s"),
    "restore_factory_settings": ("on",),
    "led_mode": _LED,
    "dev_reboot": ("on",),
    "meter_mode": _METER,
    "video_output_dev_type": ("hdmi", "tv", "off"),
    "auto_low_light": _ON_OFF,
    "loop_record": _ON_OFF,
    "warp_enable": _ON_OFF,
    "precise_selftime": ("3s", "5s", "10s", "15s"),
    "precise_self_running": _ON_OFF,
    "auto_power_off": _POWER_OFF,
    "system_mode": ("capture", "record"),
    "system_default_mode": ("capture", "record"),
    "start_wifi_while_booted": _ON_OFF,
    "video_rotate": _ON_OFF,
    "osd_enable": _ON_OFF,
    "emergency_file_backup": _ON_OFF,
}

# Yi 1 keys clients use that the 2015 capture lacks (protocol.md section 5.2): AMBARPC's log
# sets osd_enable; emergency_file_backup is a GOINK Z13 key; DELTA writes wifi_ssid and
# wifi_password (applied at the next boot). The Z16-only GOINK keys are not Yi 1 settings.
_YI1_LATER_SETTINGS = (
    ("osd_enable", "off"),
    ("emergency_file_backup", "off"),
    ("wifi_ssid", "YDXJ_0000000"),
    ("wifi_password", "1234567890"),
)

_YI1_READONLY = frozenset(
    {
        "app_status",
        "sd_card_status",
        "sw_version",
        "hw_version",
        "dual_stream_status",
        "streaming_status",
        "precise_cont_capturing",
        "piv_enable",
        "support_auto_low_light",
        "serial_number",
        "quick_record_time",
        "precise_self_remain_time",
        "sdcard_need_format",
    }
)

_YI4K_OPTIONS: dict[str, tuple[str, ...]] = {
    "system_mode": ("record", "capture"),
    "video_standard": ("NTSC", "PAL"),
    "video_resolution": (
        "3840x2160 30P 16:9",
        "3840x2160 30P 16:9 super",
        "2560x1920 30P 4:3",
        "1920x1440 60P 4:3",
        "1920x1440 30P 4:3",
        "1920x1080 120P 16:9",
        "1920x1080 120P 16:9 super",
        "1920x1080 60P 16:9",
        "1920x1080 60P 16:9 super",
        "1920x1080 30P 16:9",
        "1920x1080 30P 16:9 super",
        "1280x960 120P 4:3",
        "1280x960 60P 4:3",
        "1280x720 240P 16:9",
        "1280x720 120P 16:9 super",
        "1280x720 60P 16:9 super",
        "840x480 240P 16:9",
    ),
    "video_quality": _QUALITY,
    "photo_quality": _QUALITY,
    "photo_size": (
        "12MP (4000x3000 4:3) fov:w",
        "7MP (3008x2256 4:3) fov:w",
        "7MP (3008x2256 4:3) fov:m",
        "5MP (2560x1920 4:3) fov:m",
        "8MP (3840x2160 16:9) fov:w",
    ),
    "iq_photo_wb": ("auto", "native", "3000k", "5500k", "6500k"),
    "iq_video_wb": ("auto", "native", "3000k", "5500k", "6500k"),
    "iq_photo_iso": ("auto", "100", "200", "400", "800", "1600", "6400"),
    "iq_video_iso": ("auto", "100", "200", "400", "800", "1600", "6400"),
    "iq_photo_ev": ("-2.0", "-1.5", "-1.0", "-0.5", "0", "+0.5", "+1.0", "+1.5", "+2.0"),
    "iq_video_ev": ("-2.0", "-1.5", "-1.0", "-0.5", "0", "+0.5", "+1.0", "+1.5", "+2.0"),
    "iq_photo_shutter": ("auto", "2s", "5s", "10s", "20s", "30s"),
    "video_sharpness": ("low", "medium", "high"),
    "photo_sharpness": ("low", "medium", "high"),
    "fov": ("wide", "medium", "narrow"),
    "meter_mode": ("center", "spot"),
    "video_flat_color": ("yi", "flat"),
    "photo_flat_color": ("yi", "flat"),
    "iq_eis_enable": _ON_OFF,
    "video_stamp": _STAMP,
    "photo_stamp": _STAMP,
    "video_mute_set": _ON_OFF,
    "led_mode": _LED,
    "screen_auto_lock": ("never", "30s", "60s", "120s"),
    "auto_power_off": _POWER_OFF,
    "video_rotate": ("off", "on", "auto"),
    "buzzer_volume": _BUZZER,
    # The SDK's two modes, plus what GOINK and Yi4kAPI set.
    "rec_mode": ("record", "record_timelapse", "record_slow_motion", "record_loop", "record_photo"),
    "capture_mode": _CAPTURE_MODES,
    "loop_rec_duration": ("5 minutes", "20 minutes", "60 minutes", "120 minutes", "max"),
    "timelapse_video": ("0.5", "1", "2", "5", "10", "30", "60"),
    "precise_cont_time": (
        "continue",
        "0.5 sec",
        "1.0 sec",
        "2.0 sec",
        "5.0 sec",
        "10.0 sec",
        "30.0 sec",
        "60.0 sec",
        "2.0 min",
        "5.0 min",
        "10.0 min",
        "30.0 min",
        "60.0 min",
    ),
    "timelapse_video_duration": ("off", "6s", "8s", "10s", "20s", "30s", "60s", "120s"),
    "warp_enable": _ON_OFF,
    "dev_reboot": ("on",),
    "restore_factory_settings": ("on",),
}

_YI4K_SETTINGS = (
    ("app_status", "idle"),
    ("camera_clock", "2017-06-01 12:00:00"),
    ("sw_version", "Z16V13L_1.10.9_build-20170726222519_b2315"),
    ("hw_version", "Z16_V13"),
    ("serial_number", "Z16L0000000"),
    ("product_name", "YDXJ2"),
    ("system_mode", "record"),
    ("video_standard", "NTSC"),
    ("video_resolution", "1920x1080 60P 16:9"),
    ("video_quality", "S.Fine"),
    ("photo_quality", "S.Fine"),
    ("photo_size", "12MP (4000x3000 4:3) fov:w"),
    ("iq_photo_wb", "auto"),
    ("iq_video_wb", "auto"),
    ("iq_photo_iso", "auto"),
    ("iq_video_iso", "auto"),
    ("iq_photo_ev", "0"),
    ("iq_video_ev", "0"),
    ("iq_photo_shutter", "auto"),
    ("video_sharpness", "medium"),
    ("photo_sharpness", "medium"),
    ("fov", "wide"),
    ("meter_mode", "center"),
    ("video_flat_color", "yi"),
    ("photo_flat_color", "yi"),
    ("iq_eis_enable", "off"),
    ("video_stamp", "off"),
    ("photo_stamp", "off"),
    ("video_mute_set", "off"),
    ("led_mode", "all enable"),
    ("screen_auto_lock", "60s"),
    ("auto_power_off", "5 minutes"),
    ("video_rotate", "off"),
    ("buzzer_volume", "low"),
    ("rec_mode", "record"),
    ("capture_mode", "precise quality"),
    ("timelapse_video", "1"),
    ("precise_cont_time", "1.0 sec"),
    ("timelapse_video_duration", "off"),
    ("warp_enable", "off"),
    ("loop_rec_duration", "5 minutes"),
)

PROFILES: dict[str, Profile] = {
    "yi1": Profile(
        name="yi1",
        model_id=min(YI_1.model_ids),
        settings=_YI1_SETTINGS,
        options=_YI1_OPTIONS,
        readonly=_YI1_READONLY,
        spaced_json=YI_1.spaced_json,
        vf_stop_on_connect=YI_1.vf_stop_on_connect,
        battery_as_string=True,
        settings_locked_in_vf=YI_1.settings_locked_in_viewfinder,
        quirks=YI_1,
        later_settings=_YI1_LATER_SETTINGS,
        free_text=frozenset({"wifi_ssid", "wifi_password"}),
        vf_wedges=True,
        digital_zoom=True,
        wildcard_delete=True,
    ),
    "yi4k": Profile(
        name="yi4k",
        model_id=min(YI_4K.model_ids),
        settings=_YI4K_SETTINGS,
        options=_YI4K_OPTIONS,
        readonly=frozenset({"app_status", "sw_version", "hw_version", "serial_number"})
        | frozenset({"product_name"}),
        model_in_257=True,
        extra_ids=frozenset({0x100001C, 0x100001F}),  # heartbeat; start at a clock time
        quirks=YI_4K,
        photo_with_mode=True,
        record_msize=True,
    ),
}
# The Yi 4K+ names itself Z18 (its firmware files are Z18V13L_..., irungentoo issue #33) [C].
# No source gives its settings: it is the Yi 4K's profile under its own id, and differs where
# the sources do, in its station-mode file (`network.py`).
PROFILES["yi4kplus"] = replace(
    PROFILES["yi4k"], name="yi4kplus", model_id=min(YI_Z18.model_ids), quirks=YI_Z18
)
