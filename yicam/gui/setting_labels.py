"""Names people read for the camera's settings (`warp_enable` is "Lens correction").

The key stays in the tooltip; a setting not listed here gets its key in words.
"""

from __future__ import annotations

__all__ = ["label_for"]

_LABELS = {
    "app_status": "Camera status",
    "auto_low_light": "Auto low light",
    "auto_power_off": "Auto power off",
    "burst_capture_number": "Burst photos",
    "buzzer_ring": "Locator beep",
    "buzzer_volume": "Beep volume",
    "camera_clock": "Camera clock",
    "capture_default_mode": "Photo mode at power-on",
    "capture_mode": "Photo mode",
    "dual_stream_status": "Dual stream",
    "fov": "Field of view",
    "hw_version": "Hardware version",
    "iq_eis_enable": "Image stabilisation",
    "iq_photo_ev": "Photo exposure compensation",
    "iq_photo_iso": "Photo ISO",
    "iq_photo_shutter": "Photo shutter speed",
    "iq_photo_wb": "Photo white balance",
    "iq_video_ev": "Video exposure compensation",
    "iq_video_iso": "Video ISO",
    "iq_video_wb": "Video white balance",
    "led_mode": "Status lights",
    "loop_rec_duration": "Loop segment length",
    "loop_record": "Loop recording",
    "meter_mode": "Metering",
    "photo_flat_color": "Photo colour profile",
    "photo_quality": "Photo quality",
    "photo_sharpness": "Photo sharpness",
    "photo_size": "Photo size",
    "photo_stamp": "Date stamp on photos",
    "piv_enable": "Photo while recording",
    "precise_cont_capturing": "Time-lapse photos running",
    "precise_cont_time": "Time-lapse photo interval",
    "precise_self_remain_time": "Self-timer remaining",
    "precise_self_running": "Self-timer running",
    "precise_selftime": "Self-timer delay",
    "preview_status": "Preview",
    "product_name": "Product",
    "quick_record_time": "Quick record time",
    "rec_mode": "Recording mode",
    "screen_auto_lock": "Screen lock",
    "sd_card_status": "SD card",
    "sdcard_need_format": "Card needs formatting",
    "serial_number": "Serial number",
    "start_wifi_while_booted": "Wi-Fi at power-on",
    "streaming_status": "Streaming",
    "support_auto_low_light": "Auto low light supported",
    "sw_version": "Firmware",
    "system_default_mode": "Mode at power-on",
    "system_mode": "Mode",
    "timelapse_photo": "Time-lapse photo",
    "timelapse_video": "Time-lapse video interval",
    "timelapse_video_duration": "Time-lapse video duration",
    "video_flat_color": "Video colour profile",
    "video_mute_set": "Mute sound",
    "video_output_dev_type": "Video output",
    "video_quality": "Video quality",
    "video_resolution": "Video resolution",
    "video_rotate": "Upside down",
    "video_sharpness": "Video sharpness",
    "video_stamp": "Date stamp on videos",
    "video_standard": "Video standard",
    "warp_enable": "Lens correction",
}


def label_for(name: str) -> str:
    """The label of setting `name`: its own words, else the key spelled out."""
    label = _LABELS.get(name)
    if label is not None:
        return label
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]
