"""A faithful virtual camera for tests, demos and bug reports (`yicam emulate`)."""

from __future__ import annotations

from .faults import Faults, parse_faults
from .server import Emulator

__all__ = ["Emulator", "Faults", "parse_faults"]
