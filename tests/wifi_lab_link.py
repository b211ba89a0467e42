"""One shaped Wi-Fi link of the lab, in user space: for kernels built without `sch_netem`.

Run in a namespace between the two halves of a link (`wifi_lab.py` starts it): it forwards
every Ethernet frame between interfaces A and B with what netem would add, per direction:
serialisation at `--rate` bit/s, `--delay` seconds plus a uniform `--jitter`, a `--loss`
fraction dropped at random, a tail-drop queue of `--limit` frames. Frames leave in the order
they came (a Wi-Fi link delivers in order; netem with jitter would reorder). Checksum-offload
metadata travels with each frame (PACKET_VNET_HDR), so the far end accepts it as the near
end sent it. Prints "ready" once both sockets are bound; exits when stdin closes.

    python wifi_lab_link.py A B --delay 0.005 --jitter 0.003 --loss 0.01 --rate 20e6
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import itertools
import os
import random
import select
import socket
import sys
import time

if sys.platform != "linux":  # packet sockets: the lab's links are Linux's
    raise SystemExit("wifi_lab_link.py runs on Linux only")

SOL_PACKET = 263
PACKET_VNET_HDR = 15
PACKET_OUTGOING = 4  # sll_pkttype of a frame this host sent: not ours to forward
ETH_P_ALL = 0x0003
VNET_HDR = 10  # bytes of struct virtio_net_hdr in front of each frame
FRAME = 65536 + VNET_HDR
_ORDER = itertools.count()  # ties in the queue: first come, first out


class Direction:
    """Frames from one interface to the other: the link's queue in that direction."""

    def __init__(self, out: socket.socket, args: argparse.Namespace, rng: random.Random) -> None:
        self.out = out
        self.delay, self.jitter, self.loss = args.delay, args.jitter, args.loss
        self.rate, self.limit = args.rate, args.limit
        self.rng = rng
        self.busy_until = 0.0  # the sender is serialising until then
        self.last_due = 0.0  # in order: no frame leaves before the one ahead of it
        self.queued = 0

    def admit(
        self, now: float, frame: bytes, queue: list[tuple[float, int, Direction, bytes]]
    ) -> None:
        """Schedule `frame` (or drop it, as the link would)."""
        if self.queued >= self.limit or self.rng.random() < self.loss:
            return
        start = max(now, self.busy_until)
        if self.rate:
            self.busy_until = start + (len(frame) - VNET_HDR) * 8 / self.rate
        else:
            self.busy_until = start
        due = self.busy_until + self.delay + self.rng.uniform(-self.jitter, self.jitter)
        self.last_due = due = max(due, self.last_due, self.busy_until)
        self.queued += 1
        heapq.heappush(queue, (due, next(_ORDER), self, frame))


def packet_socket(interface: str) -> socket.socket:
    """A raw socket on `interface` that sees every frame, with its virtio header."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sock.bind((interface, 0))
    sock.setblocking(False)
    return sock


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--jitter", type=float, default=0.0)
    parser.add_argument("--loss", type=float, default=0.0)
    parser.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    a, b = packet_socket(args.a), packet_socket(args.b)
    towards = {a: Direction(b, args, rng), b: Direction(a, args, rng)}
    queue: list[tuple[float, int, Direction, bytes]] = []
    print("ready", flush=True)
    watched = [a, b, sys.stdin]
    while True:
        timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else None
        readable, _, _ = select.select(watched, [], [], timeout)
        if sys.stdin in readable and not os.read(sys.stdin.fileno(), 4096):
            return  # the lab is gone
        now = time.monotonic()
        for sock in (a, b):
            if sock not in readable:
                continue
            direction = towards[sock]
            for _ in range(64):  # drain a burst, then send what is due
                try:
                    frame, address = sock.recvfrom(FRAME)
                except BlockingIOError:
                    break
                if address[2] != PACKET_OUTGOING:
                    direction.admit(now, frame, queue)
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _due, _key, direction, frame = heapq.heappop(queue)
            direction.queued -= 1
            with contextlib.suppress(OSError):  # that side is down: lost, as on the air
                direction.out.send(frame)


if __name__ == "__main__":
    main()
