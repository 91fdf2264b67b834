"""A real kiwix-serve for the tests: Debian's kiwix-tools on a free loopback port, with a
library folder of its own, started as ``wicketgate learning library run`` starts it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from wicketgate.learning.library import LibrarySetup, command, default_threads, prepare
from wicketgate.testing.processes import stop


@dataclass
class RunningKiwix:
    setup: LibrarySetup
    process: subprocess.Popen[bytes]
    folder: Path

    @property
    def port(self) -> int:
        return self.setup.listen_port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return (self.folder / "kiwix-serve.log").read_text(errors="replace")


@contextmanager
def running_kiwix(
    folder: Path | None = None, *, host: str = "library.wicketgate.internal"
) -> Iterator[RunningKiwix]:
    """kiwix-serve on 127.0.0.1 and a free port, its library in ``folder`` (default: a
    fresh one under /tmp, removed afterwards), once it answers."""
    own = folder is None
    where = folder or Path(tempfile.mkdtemp(prefix="wg-kiwix-test-", dir="/tmp"))
    where.mkdir(parents=True, exist_ok=True)
    where.chmod(0o755)
    setup = prepare(
        LibrarySetup(
            folder=where / "library",
            listen_address="127.0.0.1",
            listen_port=free_port(),
            host=host,
            threads=default_threads(),
        )
    )
    log = (where / "kiwix-serve.log").open("wb")
    process = subprocess.Popen(command(setup), stdout=log, stderr=subprocess.STDOUT)
    running = RunningKiwix(setup, process, where)
    try:
        _wait_until_answering(running)
        yield running
    finally:
        stop(process)
        log.close()
        if own:
            shutil.rmtree(where, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_answering(kiwix: RunningKiwix, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if kiwix.process.poll() is not None:
            raise RuntimeError(f"kiwix-serve exited: {kiwix.log()[-2000:]}")
        try:
            catalogue = f"{kiwix.base_url}/catalog/v2/entries"
            with urllib.request.urlopen(catalogue, timeout=1):  # noqa: S310 - loopback http
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    raise RuntimeError(f"kiwix-serve did not answer in {seconds} s: {kiwix.log()[-2000:]}")


def get(url: str) -> tuple[int, str]:
    """(status, body) of a direct GET (no redirects followed)."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=5) as response:
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode("utf-8", "replace")
