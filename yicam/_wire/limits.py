"""How long a setting's name and value can be: what real cameras send, with room to spare.

The longest values seen from real cameras (protocol.md sections 5.2 to 5.4) are the Yi 1's
`sw_version` (50 characters, read-only) and, among the settable ones, the Yi 4K's
`12MP (4000x3000 4:3) fov:w` (26); names are at most 24 (`precise_self_remain_time`). A WPA2
passphrase (`wifi_password`) is at most 63 characters, and an Ambarella camera keeps a whole
request in 1 KiB. 64 characters covers them all; anything longer is refused before it is sent.
"""

from __future__ import annotations

__all__ = ["MAX_SETTING_TEXT", "check_setting"]

MAX_SETTING_TEXT = 64  # characters, for a setting's name and for its value


def check_setting(name: str, value: str) -> None:
    """Raises `ValueError` when `name` or `value` is longer than `MAX_SETTING_TEXT`."""
    for what, text in (("name", name), ("value", value)):
        if len(text) > MAX_SETTING_TEXT:
            raise ValueError(
                f"setting {what} of {len(text)} characters ({text[:24]!r}...): real cameras use"
                f" at most {MAX_SETTING_TEXT}"
            )
