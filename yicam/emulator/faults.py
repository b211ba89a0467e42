"""Faults the emulator can inject, for tests and for reproducing bad cameras."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Faults", "parse_faults"]


@dataclass(frozen=True, slots=True)
class Faults:
    """What goes wrong on the emulated camera's sockets."""

    split: bool = False  # write each control message in random small segments
    glue: bool = False  # glue messages sent close together (replies and notifications) in one write
    delay: float = 0.0  # seconds before each control message is written
    drop: bool = False  # close each control connection at a random moment
    drop_data: float = 0.0  # probability that a data-port or HTTP transfer is cut short
    slow_data: int = 0  # throttle data-port and HTTP transfers to this many KiB/s (0: off)
    rtp_loss: float = 0.0  # probability that a live-view RTP packet is lost, as on busy Wi-Fi
    rtp_reorder: float = 0.0  # probability that a live-view RTP packet overtakes the one before
    stap_a: bool = False  # aggregate small NAL units in STAP-A packets, as some firmware does
    no_marker: bool = False  # never set the RTP marker bit, as some Ambarella firmware does
    seed: int | None = None

    def rng(self, stream: int = 0) -> random.Random:
        """A random source; seeded runs repeat exactly.

        `stream` numbers the sources drawn from one seed (the emulator's n-th control
        connection uses stream n): each differs from the others, so a seeded `drop` cuts each
        connection at another byte instead of cutting every reconnect at the same place.
        """
        if self.seed is None or stream == 0:
            return random.Random(self.seed)
        return random.Random(f"{self.seed}/{stream}")


def parse_faults(specs: list[str] | tuple[str, ...], seed: int | None = None) -> Faults:
    """Build `Faults` from `--fault` values such as `split`, `delay=200`, `rtp-loss=0.05`."""
    values: dict[str, object] = {"seed": seed}
    for spec in specs:
        name, _, arg = spec.partition("=")
        name = name.strip().replace("-", "_")
        try:
            if name in ("split", "glue", "drop", "stap_a", "no_marker") and not arg:
                values[name] = True
            elif name == "delay" and arg:
                values["delay"] = float(arg) / 1000
            elif name == "drop_data" and arg:
                values["drop_data"] = float(arg)
            elif name == "slow_data" and arg:
                values["slow_data"] = int(arg)
            elif name in ("rtp_loss", "rtp_reorder") and arg:
                values[name] = float(arg)
            else:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"unknown fault {spec!r}; use split, glue, drop, delay=MS, drop-data=P, "
                "slow-data=KBPS, rtp-loss=P, rtp-reorder=P, stap-a or no-marker"
            ) from None
    return Faults(**values)  # type: ignore[arg-type]
