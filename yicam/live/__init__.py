"""Live view: low-latency RTSP frames, snapshots and recordings (needs the `live` extra)."""

from __future__ import annotations

from .frames import LiveFrame, LiveStats
from .qr import LiveRate, LiveResolution, live_qr_payload, live_qr_png
from .recording import LiveRecording, Recording
from .view import LOW_LATENCY_OPTIONS, Engine, LiveView

__all__ = [
    "LOW_LATENCY_OPTIONS",
    "Engine",
    "LiveFrame",
    "LiveRate",
    "LiveRecording",
    "LiveResolution",
    "LiveStats",
    "LiveView",
    "Recording",
    "live_qr_payload",
    "live_qr_png",
]
