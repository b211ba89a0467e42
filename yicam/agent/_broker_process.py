"""The embedded broker's child process: rumqttd (iotcore), with Nagle's algorithm turned off.

rumqttd leaves Nagle's algorithm on for its connections and has no setting for it, so a small
reply written while the previous small packet (an acknowledgement) is unacknowledged waits
for the receiver's delayed ACK: about 40 ms per request on Linux. Accepted sockets inherit
TCP_NODELAY from their listening socket (Linux, BSD and macOS do so), so this process finds
rumqttd's listening socket among its own file descriptors once it is bound, sets the option
there, and only then tells the parent it is ready. Where descriptors cannot be looked at
(Windows), it reports ready without the option.

Run as `python -c ...` by `EmbeddedBroker`; arguments: the config path, the host and the port
(0: rumqttd binds a free one, found among the descriptors). One line on standard output says how
it went: `ready nodelay PORT` or `ready PORT`; or `in-use MESSAGE` when the port is taken, or
`failed MESSAGE` when rumqttd cannot listen otherwise, and the process exits. It also exits when
its standard input closes (the parent stopped or died, even by kill -9).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
import sys
import threading
import time
from pathlib import Path

__all__ = ["BOOTSTRAP", "main", "set_nodelay_on_listener"]

# `python -c` puts the working folder first on sys.path: drop it, so that a folder named like
# a package there cannot shadow the installed one.
BOOTSTRAP = (
    "import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; "
    "from yicam.agent._broker_process import main; main()"
)


def _descriptors() -> list[int]:
    for folder in ("/proc/self/fd", "/dev/fd"):
        with contextlib.suppress(OSError):
            return sorted(int(name) for name in os.listdir(folder) if name.isdigit())
    return list(range(3, 1024))


def set_nodelay_on_listener(port: int) -> int | None:
    """Set TCP_NODELAY on this process's listening TCP socket(s) on `port` (0: any port).

    Returns the port of the listener found, or None.
    """
    found: int | None = None
    for fd in _descriptors():
        try:
            copy = os.dup(fd)
        except OSError:
            continue  # closed meanwhile
        try:
            probe = socket.socket(fileno=copy)
        except OSError:
            os.close(copy)  # not a socket: socket() leaves the copy open
            continue
        with probe:
            try:
                if probe.type != socket.SOCK_STREAM or probe.family not in (
                    socket.AF_INET,
                    socket.AF_INET6,
                ):
                    continue
                bound = int(probe.getsockname()[1])
                if port not in (0, bound):
                    continue
                if not probe.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                    continue
                probe.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                found = bound
            except OSError:
                continue
    return found


def _accepts(host: str, port: int) -> bool:
    connect = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
    try:
        with socket.create_connection((connect, port), timeout=0.2):
            return True
    except OSError:
        return False


def _announce(host: str, port: int) -> None:
    """Print `ready nodelay PORT` (or `ready PORT` where the option cannot be set) once bound.

    No deadline: when rumqttd cannot bind, `main` reports it and the process exits.
    """
    can_look = sys.platform != "win32"
    while True:
        if can_look and (bound := set_nodelay_on_listener(port)) is not None:
            print(f"ready nodelay {bound}", flush=True)
            return
        if not can_look and _accepts(host, port):
            print(f"ready {port}", flush=True)
            return
        time.sleep(0.01)


def _exit_with_parent() -> None:
    try:
        sys.stdin.buffer.read()  # returns when the parent's end of the pipe closes
    finally:
        os._exit(0)


def main() -> None:
    """Run the broker of `argv[1]` (config) listening on `argv[2]`:`argv[3]`."""
    from iotcore.iotcore import IotCoreBroker

    # rumqttd logs every routed packet as an error record: keep its log out of the terminal.
    logging.getLogger("rumqttd").setLevel(logging.CRITICAL + 1)
    config, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    threading.Thread(target=_announce, args=(host, port), daemon=True).start()
    try:
        IotCoreBroker(config_path=str(Path(config))).run_forever()
    except OSError as error:  # rumqttd could not listen
        taken = error.errno == errno.EADDRINUSE or "in use" in str(error).lower()
        print(f"{'in-use' if taken else 'failed'} {error}", flush=True)
        os._exit(1)  # not sys.exit: the stdin thread would hold interpreter shutdown
