"""`BrokerURL`: where the MQTT broker is, from `mqtt://[USER[:PASSWORD]@]HOST[:PORT]`.

Standard library only: the CLI parses `--broker` without loading the MQTT client.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

__all__ = ["DEFAULT_PORT", "TLS_PORT", "BrokerURL"]

DEFAULT_PORT = 1883
TLS_PORT = 8883


@dataclass(frozen=True, slots=True)
class BrokerURL:
    """A broker address: `mqtt://` (plain TCP) or `mqtts://` (TLS), with optional credentials.

    The password may also come from the environment (`YICAM_BROKER_PASSWORD`), so it need
    not appear on a command line that other users of the computer can see.
    """

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    tls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, text: str) -> BrokerURL:
        """Returns the broker of `text` (`HOST[:PORT]` alone means `mqtt://`).

        Raises `ValueError` for another scheme, a missing host or a bad port.
        """
        if "://" not in text:
            text = f"mqtt://{text}"
        parts = urlsplit(text)
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise ValueError(f"broker URL {text!r}: use mqtt://HOST[:PORT] or mqtts://HOST[:PORT]")
        tls = parts.scheme in ("mqtts", "ssl")
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"broker URL {text!r}: {exc}") from None
        if not parts.hostname:
            raise ValueError(f"broker URL {text!r} has no host")
        if parts.path not in ("", "/"):
            raise ValueError(f"broker URL {text!r}: no path expected after the port")
        password = unquote(parts.password) if parts.password is not None else None
        if password is None and parts.username is not None:
            password = os.environ.get("YICAM_BROKER_PASSWORD")
        return cls(
            host=parts.hostname,
            port=port or (TLS_PORT if tls else DEFAULT_PORT),
            tls=tls,
            username=unquote(parts.username) if parts.username is not None else None,
            password=password,
        )

    def __str__(self) -> str:
        """The URL without the password."""
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{host}:{self.port}"
