"""Live view: low-latency RTSP frames, snapshots and recordings (needs the `live` extra)."""

from __future__ import annotations

from .frames import LiveFrame, LiveStats
from .recording import LiveRecording, Recording
from .view import LOW_LATENCY_OPTIONS, Engine, LiveView

__all__ = [
    "LOW_LATENCY_OPTIONS",
    "Engine",
    "LiveFrame",
    "LiveRecording",
    "LiveStats",
    "LiveView",
    "Recording",
]
