"""The live view as a virtual webcam for video calls, through pyvirtualcam (the `webcam` extra).

pyvirtualcam needs a backend: v4l2loopback on Linux, the OBS Virtual Camera on Windows and
macOS. Where none is installed, `run_webcam` says what to install instead of failing obscurely.
"""

from __future__ import annotations

import sys
from typing import Any

from yicam._errors import YicamError

from .view import LiveView

__all__ = ["VirtualCameraError", "run_webcam", "webcam_backend_hint"]


class VirtualCameraError(YicamError):
    """No virtual camera to send frames to (pyvirtualcam or its backend is missing)."""


def webcam_backend_hint(platform: str = sys.platform) -> str:
    """Returns what to install for a virtual camera on `platform` (a `sys.platform` value).

    Raises nothing.
    """
    if platform.startswith("linux"):
        return (
            "install v4l2loopback (Debian/Ubuntu: `sudo apt install v4l2loopback-dkms`) and load"
            " it with `sudo modprobe v4l2loopback exclusive_caps=1 card_label=yicam`"
        )
    return "install OBS Studio (30 or newer) and start its Virtual Camera once"


async def run_webcam(live: LiveView, *, fps: float = 30.0, device: str | None = None) -> None:
    """Send every frame of `live` to a virtual camera until cancelled or the stream stops.

    Raises `VirtualCameraError` (saying what to install) when pyvirtualcam or its backend is
    missing, and what `LiveView.frames` raises when the stream stops for good.
    """
    try:
        import pyvirtualcam  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise VirtualCameraError(
            "the virtual webcam needs pyvirtualcam: pip install 'yicam[webcam]'; then "
            + webcam_backend_hint()
        ) from None
    first = await live.next_frame()
    try:
        camera: Any = pyvirtualcam.Camera(first.width, first.height, fps, device=device)
    except RuntimeError as exc:  # pyvirtualcam's word for "no backend here"
        raise VirtualCameraError(f"no virtual camera ({exc}); {webcam_backend_hint()}") from None
    with camera:
        async for frame in live.frames():
            if (frame.width, frame.height) == (first.width, first.height):
                camera.send(frame.image)
