"""Squid helper: relays Squid's helper protocol to Wicketgate's gateway service.

    /usr/bin/python3 -I relay.py auth|acl SOCKET

Squid starts its helpers as its own unprivileged user, which may not read Wicketgate's
virtualenv, settings or database. So the helper Squid runs is this file alone (standard
library only, copied next to squid.conf), and the deciding happens in the gateway
service, which holds the policy snapshot and the live sessions in memory and listens on
a Unix socket that the proxy user may connect to.

Lines pass through untouched in both directions (Squid's concurrency protocol: each
request line starts with a channel id that its answer repeats), so the relay costs
little. It fails closed: while the service cannot be reached, every request, including
those in flight when the connection broke, is answered ERR at once; the relay keeps
trying to reconnect, and passes lines through again when it can.
"""

from __future__ import annotations

import os
import select
import socket
import sys
import time

RETRY_EVERY = 0.2
UNAVAILABLE = b'ERR message="unavailable" log=deny;gateway:unavailable;0;'


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("auth", "acl"):
        sys.stderr.write("usage: relay.py auth|acl SOCKET\n")
        return 2
    kind, path = argv[1], argv[2]
    relay = Relay(kind, path, sys.stdin.fileno(), sys.stdout.fileno())
    relay.run()
    return 0


class Relay:
    def __init__(self, kind: str, path: str, stdin: int, stdout: int) -> None:
        self.kind = kind
        self.path = path
        self.stdin = stdin
        self.stdout = stdout
        self.sock: socket.socket | None = None
        self.next_try = 0.0
        self.outstanding: dict[bytes, bool] = {}  # requests sent and not yet answered
        self.from_squid = b""
        self.from_service = b""

    def run(self) -> None:
        while True:
            self.connect_if_due()
            watch = [self.stdin] + ([self.sock] if self.sock is not None else [])
            timeout = None if self.sock is not None else RETRY_EVERY
            ready, _, _ = select.select(watch, [], [], timeout)
            if self.stdin in ready:
                data = os.read(self.stdin, 65536)
                if not data:  # Squid closed our stdin: it is stopping or replacing us
                    return
                self.on_squid(data)
            if self.sock is not None and self.sock in ready:
                self.on_service()

    # --- Squid -> service ----------------------------------------------------------------

    def on_squid(self, data: bytes) -> None:
        complete, newline, self.from_squid = (self.from_squid + data).rpartition(b"\n")
        if not newline:
            return
        lines = complete.split(b"\n")
        if self.sock is None:
            self.refuse([line.split(b" ", 1)[0] for line in lines if line])
            return
        for line in lines:
            if line:
                self.outstanding[line.split(b" ", 1)[0]] = True
        try:
            self.sock.sendall(complete + b"\n")
        except OSError:
            self.disconnected()

    # --- service -> Squid ----------------------------------------------------------------

    def on_service(self) -> None:
        if self.sock is None:
            return
        try:
            data = self.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.disconnected()
            return
        complete, newline, self.from_service = (self.from_service + data).rpartition(b"\n")
        if not newline:
            return
        for line in complete.split(b"\n"):
            self.outstanding.pop(line.split(b" ", 1)[0], None)
        write_all(self.stdout, complete + b"\n")

    # --- failing closed ------------------------------------------------------------------

    def connect_if_due(self) -> None:
        if self.sock is not None or time.monotonic() < self.next_try:
            return
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(self.path)
            sock.sendall(self.kind.encode() + b"\n")
        except OSError:
            sock.close()
            self.next_try = time.monotonic() + RETRY_EVERY
            return
        self.sock = sock

    def disconnected(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self.from_service = b""
        self.next_try = time.monotonic() + RETRY_EVERY
        self.refuse(list(self.outstanding))
        self.outstanding.clear()

    def refuse(self, channel_ids: list[bytes]) -> None:
        if channel_ids:
            write_all(
                self.stdout, b"".join(cid + b" " + UNAVAILABLE + b"\n" for cid in channel_ids)
            )


def write_all(fd: int, data: bytes) -> None:
    while data:
        written = os.write(fd, data)
        data = data[written:]


if __name__ == "__main__":
    sys.exit(main(sys.argv))
