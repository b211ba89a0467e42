"""What differs between camera models, in one table (docs/protocol.md, "Models").

The client reads a `Quirks` record instead of testing model names; the emulator's profiles
take the facts they share with the client (JSON style, locked settings...) from here too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

__all__ = ["QUIRKS", "SJ8", "UNKNOWN", "YI_1", "YI_4K", "YI_Z18", "Quirks", "identify"]


@dataclass(frozen=True, slots=True)
class Quirks:
    """Model-specific behaviour the client must respect; `name` is for people."""

    name: str
    model_ids: frozenset[str] = frozenset()  # the `model` of a 257 reply, or of msg 11
    version_pattern: str = ""  # regex on sw_version / hw_version when 257 names no model
    settings_locked_in_viewfinder: bool = False  # every setting read-only while streaming
    http_needs_viewfinder: bool = False  # the web server answers only after 259
    heartbeat: bool = False  # drops the session without msg 16777244 every 5 s
    unchanged_setting_is_refused: bool = False  # 2 answers -14 when the value is already so
    listing_a_file_crashes: bool = True  # 1282 on a file path kills the server
    spaced_json: bool = False  # writes `{ "rval": 0, ... }` with \/ escapes
    vf_stop_on_connect: bool = False  # sends vf_stop right after the connection opens
    card_root: str = "/tmp/fuse_d"  # the SD card's mount point in camera paths
    stream_url: str = "rtsp://{host}/live"  # when 257 carries no `rtsp`
    client_info: bool = False  # the official app sends msg 261 (its address) after 257
    scheduled_record: bool = False  # msg 16777247: starts recording at a clock time by itself

    def rtsp_url(self, host: str, port: int = 554, announced: str | None = None) -> str:
        """The live stream's URL at `host` and `port` (omitted when it is RTSP's 554).

        `announced` is the 257 reply's `rtsp` field. Its host is never used: a Yi 4K in
        station mode announces `rtsp://192.168.42.1/live` wherever it really is (rigs.md
        section 4). Its path is kept, and its port when `port` is left at 554. An odd path
        falls back to the model's.
        """
        announced_port, path = _announced(announced)
        if port == 554 and announced_port is not None:
            port = announced_port
        where = f"[{host}]" if ":" in host else host
        where = where if port == 554 else f"{where}:{port}"
        if path is None:
            return self.stream_url.format(host=where)
        return f"rtsp://{where}{path}"


YI_1 = Quirks(
    name="Yi 1",
    model_ids=frozenset({"Z13"}),
    # hw YDXJ_v22 / YDXJ_v23L, sw YDXJv22_1.0.7... / YDXJv25L_1.5.12 (protocol.md section 9)
    version_pattern=r"^YDXJ_?v2\d",
    settings_locked_in_viewfinder=True,
    http_needs_viewfinder=True,
    unchanged_setting_is_refused=True,
    spaced_json=True,
    vf_stop_on_connect=True,
)
YI_4K = Quirks(
    name="Yi 4K",
    model_ids=frozenset({"Z16"}),
    version_pattern=r"^Z16",
    heartbeat=True,
    client_info=True,  # GOINK sends 261 to the Z16 only
    scheduled_record=True,  # the YI SDK's startRecording(hour, minute, second)
)
# Which YI model reports "Z18" is not known (4K+ or Lite); it names itself and its stream.
YI_Z18 = Quirks(name="Yi Z18", model_ids=frozenset({"Z18"}), heartbeat=True)
SJ8 = Quirks(
    name="SJCAM SJ8",
    model_ids=frozenset({"SJ8"}),  # msg 11 says "SJ8PRO_TAIWAN": ids match as prefixes
    card_root="/tmp/SD0",
)
# 257 named no model and nothing else told: be as careful as with a Yi 1, which is what the
# official app assumes (`model` defaults to Z13), but do not claim to know the name.
UNKNOWN = Quirks(
    name="unknown model",
    settings_locked_in_viewfinder=True,
    http_needs_viewfinder=True,
    unchanged_setting_is_refused=True,
)

QUIRKS: tuple[Quirks, ...] = (YI_1, YI_4K, YI_Z18, SJ8)


def identify(model: object = None, versions: Mapping[str, object] | None = None) -> Quirks:
    """The record for a `model` id, else for `sw_version`/`hw_version`, else `UNKNOWN`.

    An unknown model id gets a record of its own, named after the id, with the careful
    defaults of `UNKNOWN`.
    """
    if isinstance(model, str) and model:
        for quirks in QUIRKS:
            if model in quirks.model_ids or any(model.startswith(m) for m in quirks.model_ids):
                return quirks
    for key in ("hw_version", "sw_version"):
        value = (versions or {}).get(key)
        if isinstance(value, str):
            for quirks in QUIRKS:
                if quirks.version_pattern and re.match(quirks.version_pattern, value):
                    return quirks
    if isinstance(model, str) and model:
        return replace(UNKNOWN, name=model, model_ids=frozenset({model}))
    return UNKNOWN


_URL_PATH = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,200}")


def _announced(url: str | None) -> tuple[int | None, str | None]:
    """The port and path of a camera-announced `rtsp://` URL; None for what is missing or odd."""
    if not isinstance(url, str) or not url.startswith("rtsp://"):
        return None, None
    rest = url[len("rtsp://") :]
    slash = rest.find("/")
    authority, path = (rest[:slash], rest[slash:]) if slash >= 0 else (rest, "/")
    _, colon, digits = authority.rpartition(":")
    port = int(digits) if colon and digits.isdigit() and 0 < int(digits) < 65536 else None
    return port, (path if _URL_PATH.fullmatch(path) else None)
