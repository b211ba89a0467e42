"""The FFmpeg engine: FFmpeg's own RTSP client and demuxer read the stream (`engine="ffmpeg"`).

FFmpeg's demuxer runs the H.264 parser, which knows a frame is complete only when the next one
begins, so each frame reaches the decoder one frame interval late. Kept as the reference path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import av

from yicam._errors import ProtocolError

from .media import Source
from .sink import Sink

__all__ = ["LOW_LATENCY_OPTIONS", "run_ffmpeg"]

# FFmpeg options for low latency over RTP/UDP (the Yi refuses RTP over TCP). Not "fflags=nobuffer":
# it discards the packets read while probing, which include the first keyframe.
LOW_LATENCY_OPTIONS: Mapping[str, str] = {
    "rtsp_transport": "udp",
    "flags": "low_delay",  # also turns off the decoder's frame threading, which delays frames
    "max_delay": "0",  # don't hold packets to wait for reordering
    "reorder_queue_size": "0",
    "probesize": "32",  # the SDP already carries SPS/PPS: don't buffer a second of video
    "analyzeduration": "0",
}


def run_ffmpeg(
    url: str,
    sink: Sink,
    *,
    options: Mapping[str, str],
    open_timeout: float,
    stall_timeout: float,
) -> BaseException | None:
    """Open the stream and decode until it stalls, ends or the sink closes; return why it ended."""
    try:
        container: Any = av.open(url, options=dict(options), timeout=(open_timeout, stall_timeout))
    except (av.FFmpegError, OSError) as exc:
        return exc
    try:
        if not container.streams.video:
            return ProtocolError(f"{url} has no video stream")
        stream = container.streams.video[0]
        codec = stream.codec_context
        source = Source(stream.time_base, stream, (codec.width, codec.height))
        sink.opened()
        for packet in container.demux(stream):
            if sink.closing.is_set():
                return None
            sink.decoding(packet.pts, bytes(packet))
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                sink.rejected()
                frames = []
            for frame in frames:
                sink.frame(frame)
            sink.record(packet, source)
        return EOFError("the stream ended")
    except (av.FFmpegError, OSError) as exc:
        return exc
    finally:
        container.close()
        sink.end()
