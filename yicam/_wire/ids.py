"""Message ids and notification types of the Ambarella JSON protocol (docs/protocol.md)."""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = ["MsgId", "Notify"]


class MsgId(IntEnum):
    """Known message ids; unknown ids stay plain ints (see `MsgId.convert`)."""

    GET_SETTING = 1
    SET_SETTING = 2
    GET_ALL_SETTINGS = 3
    FORMAT = 4
    GET_SPACE = 5
    GET_NUMB_FILES = 6
    NOTIFICATION = 7
    BURNIN_FW = 8
    GET_OPTIONS = 9
    PUT_GPS_INFO = 10
    GET_DEVICE_INFO = 11
    POWER_OFF = 12
    GET_BATTERY = 13
    DIGITAL_ZOOM = 14
    DIGITAL_ZOOM_INFO = 15
    CHANGE_BITRATE = 16
    START_SESSION = 257
    STOP_SESSION = 258
    START_VIEWFINDER = 259
    STOP_VIEWFINDER = 260
    SET_CLIENT_INFO = 261
    SET_PASSWORD = 263
    START_RECORD = 513
    STOP_RECORD = 514
    RECORD_TIME = 515
    FORCE_SPLIT = 516
    TAKE_PHOTO = 769
    STOP_CONTINUOUS_CAPTURE = 770
    FOCUS = 771
    GET_THUMB = 1025
    GET_MEDIA_INFO = 1026
    SET_MEDIA_ATTRIBUTE = 1027
    DELETE = 1281
    LIST = 1282
    CD = 1283
    PWD = 1284
    GET_FILE = 1285
    PUT_FILE = 1286
    CANCEL_TRANSFER = 1287
    SET_FILE_ATTRIBUTE = 1288
    MKDIR = 1289
    WIFI_RESTART = 1537
    SET_WIFI_SETTING = 1538
    GET_WIFI_SETTING = 1539
    WIFI_STOP = 1540
    WIFI_START = 1541
    GET_WIFI_STATUS = 1542
    QUERY_SESSION_HOLDER = 1793
    GET_CURRENT_MODE_SETTINGS = 2053
    SD_TYPE = 0x1000001
    SD_SPEED = 0x1000002
    FIRMWARE_UPGRADE = 0x1000003
    TAKE_PHOTO_WITH_MODE = 0x1000004
    QUICK_RECORD_START = 0x1000005
    QUICK_RECORD_PAUSE = 0x1000006
    QUICK_RECORD_RESUME = 0x1000007
    RESTART_WIFI_ALT = 0x1000008
    RESTART_WIFI = 0x1000009
    TAKE_PIV = 0x100000B
    SET_CAPTURE_MODE = 0x100000C
    INTO_IDLE_MODE = 0x100000D
    OUT_IDLE_MODE = 0x100000E
    IS_BOUND_BLUETOOTH = 0x100000F
    UNBIND_BLUETOOTH = 0x1000010
    LAST_PHOTO = 0x1000014
    STOP_TIMED_CAPTURE = 0x1000016
    GET_TIMELAPSE_RECORD_TIME = 0x1000019
    DUMP_CAMERA_LOG = 0x100001A
    SD_CAPACITY_COUNT = 0x100001B
    HEARTBEAT = 0x100001C
    START_RECORD_SYNCED = 0x100001F

    @classmethod
    def convert(cls, value: int) -> MsgId | int:
        """Returns the enum member for `value`, or `value` itself when unknown; raises nothing."""
        try:
            return cls(value)
        except ValueError:
            return value


class Notify(StrEnum):
    """Known notification (msg 7) types; unknown types stay plain strings."""

    VF_START = "vf_start"
    VF_STOP = "vf_stop"
    START_VIDEO_RECORD = "start_video_record"
    VIDEO_RECORD_COMPLETE = "video_record_complete"
    VIDEO_RECORD_SPLIT = "video_record_split"
    START_PHOTO_CAPTURE = "start_photo_capture"
    PRECISE_CAPTURE_DATA_READY = "precise_capture_data_ready"
    PHOTO_TAKEN = "photo_taken"
    PRECISE_CONT_COMPLETE = "precise_cont_complete"
    BURST_COMPLETE = "burst_complete"
    SELF_CAPTURE_STOP = "self_capture_stop"
    PIV_COMPLETE = "piv_complete"
    START_QUICK_RECORD = "start_quick_record"
    SWITCH_TO_REC_MODE = "switch_to_rec_mode"
    SWITCH_TO_CAP_MODE = "switch_to_cap_mode"
    BATTERY = "battery"
    ADAPTER = "adapter"
    ADAPTER_STATUS = "adapter_status"
    BATTERY_STATUS = "battery_status"
    SD_CARD_STATUS = "sd_card_status"
    SETTING_CHANGED = "setting_changed"
    SDCARD_FORMAT_DONE = "sdcard_format_done"
    GET_FILE_COMPLETE = "get_file_complete"
    GET_FILE_FAIL = "get_file_fail"
    PUT_FILE_COMPLETE = "put_file_complete"
    PUT_FILE_FAIL = "put_file_fail"
    WIFI_WILL_SHUTDOWN = "wifi_will_shutdown"
    CARD_REMOVED = "CARD_REMOVED"
    STORAGE_IO_ERROR = "STORAGE_IO_ERROR"

    @classmethod
    def convert(cls, value: str) -> Notify | str:
        """Returns the enum member for `value`, or `value` itself when unknown; raises nothing."""
        try:
            return cls(value)
        except ValueError:
            return value
