"""The helper Squid runs: passes lines through, and refuses while the service is away."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from wicketgate.gateway import relay

RELAY = Path(relay.__file__)


class FakeService:
    """Answers every line with OK, on a Unix socket; can be stopped and started."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.kinds: list[bytes] = []
        self.hold = threading.Event()  # while set, read lines but do not answer
        self.server: socket.socket | None = None
        self.conns: set[socket.socket] = set()

    def start(self) -> None:
        self.server = socket.socket(socket.AF_UNIX)
        self.server.bind(str(self.path))
        self.server.listen()
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        self.path.unlink()
        for conn in list(self.conns):
            conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        self.conns.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            self.conns.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        self.kinds.append(reader.readline().strip())
        for line in reader:
            if self.hold.is_set():
                continue
            channel = line.split(b" ", 1)[0]
            try:
                conn.sendall(channel + b" OK\n")
            except OSError:
                return


@pytest.fixture
def service() -> Iterator[FakeService]:
    folder = Path(tempfile.mkdtemp())
    fake = FakeService(folder / "s.sock")
    fake.start()
    yield fake


@pytest.fixture
def helper(service: FakeService) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(  # the relay under test
        [sys.executable, "-I", str(RELAY), "acl", str(service.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    yield process
    process.kill()
    process.wait()


def ask(process: subprocess.Popen[bytes], *lines: bytes) -> list[bytes]:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(b"".join(line + b"\n" for line in lines))
    process.stdin.flush()
    return [process.stdout.readline().rstrip(b"\n") for _ in lines]


def test_it_passes_questions_and_answers_through(
    helper: subprocess.Popen[bytes], service: FakeService
) -> None:
    assert ask(
        helper, b"0 wgx 10.0.0.1 GET http://a.example/ -", b"1 wgx 10.0.0.1 GET http://b.example/ -"
    ) == [
        b"0 OK",
        b"1 OK",
    ]
    assert service.kinds == [b"acl"]


def test_it_refuses_what_was_in_flight_and_what_comes_while_the_service_is_down(
    helper: subprocess.Popen[bytes], service: FakeService
) -> None:
    assert ask(helper, b"0 q") == [b"0 OK"]
    service.hold.set()
    assert helper.stdin is not None and helper.stdout is not None
    helper.stdin.write(b"5 in-flight\n")
    helper.stdin.flush()
    time.sleep(0.2)
    service.stop()  # the answer to 5 never comes: the relay must give one
    assert helper.stdout.readline().startswith(b"5 ERR")
    assert ask(helper, b"6 later")[0].startswith(b"6 ERR")
    service.hold.clear()
    service.start()
    deadline = time.monotonic() + 5
    while ask(helper, b"7 again")[0] != b"7 OK":
        assert time.monotonic() < deadline, "the relay did not reconnect"
        time.sleep(0.1)


def test_it_refuses_when_the_service_was_never_there() -> None:
    process = subprocess.Popen(  # the relay under test
        [sys.executable, "-I", str(RELAY), "auth", os.path.join(tempfile.mkdtemp(), "none.sock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert ask(process, b"0 user pass", b"1 user pass") == [
            b'0 ERR message="unavailable" log=deny;gateway:unavailable;0;',
            b'1 ERR message="unavailable" log=deny;gateway:unavailable;0;',
        ]
    finally:
        process.kill()
        process.wait()


def test_it_exits_when_squid_closes_its_input(helper: subprocess.Popen[bytes]) -> None:
    assert helper.stdin is not None
    helper.stdin.close()
    assert helper.wait(timeout=5) == 0


def test_it_needs_a_kind_and_a_socket() -> None:
    result = subprocess.run([sys.executable, "-I", str(RELAY)], capture_output=True, check=False)
    assert result.returncode == 2 and b"usage" in result.stderr
