"""Live view: low-latency RTSP frames, snapshots and recordings (needs the `live` extra)."""

from __future__ import annotations

from .frames import LiveFrame, LiveStats
from .qr import LiveRate, LiveResolution, live_qr_payload, live_qr_png
from .recording import LiveRecording, Recording
from .restream import Restreamer, RestreamStatus, redact_url
from .rtp import AccessUnit
from .serve import LiveServer, ServerStatus
from .view import LOW_LATENCY_OPTIONS, Engine, LiveView
from .webcam import VirtualCameraError, run_webcam, webcam_backend_hint

__all__ = [
    "LOW_LATENCY_OPTIONS",
    "AccessUnit",
    "Engine",
    "LiveFrame",
    "LiveRate",
    "LiveRecording",
    "LiveResolution",
    "LiveServer",
    "LiveStats",
    "LiveView",
    "Recording",
    "RestreamStatus",
    "Restreamer",
    "ServerStatus",
    "VirtualCameraError",
    "live_qr_payload",
    "live_qr_png",
    "redact_url",
    "run_webcam",
    "webcam_backend_hint",
]
