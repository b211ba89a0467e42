"""Live view: low-latency RTSP frames, snapshots and recordings (needs the `live` extra)."""

from __future__ import annotations

from .frames import LiveFrame, LiveStats
from .media import Recording
from .view import LOW_LATENCY_OPTIONS, Engine, LiveView

__all__ = ["LOW_LATENCY_OPTIONS", "Engine", "LiveFrame", "LiveStats", "LiveView", "Recording"]
