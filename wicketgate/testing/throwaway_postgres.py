"""A throwaway PostgreSQL cluster for tests and benchmarks.

    python -m wicketgate.testing.throwaway_postgres -- CMD ARGS...

starts a fresh cluster from the Debian PostgreSQL binaries in a new temporary folder,
runs CMD with ``DATABASE_URL`` pointing at it, then stops the cluster, removes the
folder (also when CMD fails or is interrupted) and exits with CMD's exit code.

``throwaway_cluster()`` does the same inside Python and yields the URL.

The cluster listens on a unix socket inside its folder and on 127.0.0.1 at a free port.
Its superuser is reachable only through that socket; CMD gets an ordinary role with a
random password, CREATEDB and CREATEROLE, so pytest-django can create its test database
and the audit tests can create the restricted application role. Durability
is switched off for speed: nothing in it is meant to survive.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import psycopg
from psycopg import sql

DATABASE = "wicketgate"
ROLE = "wicketgate"
SUPERUSER = "postgres"
USAGE = "usage: python -m wicketgate.testing.throwaway_postgres -- CMD ARGS..."
# The system user PostgreSQL runs as when we are root (it refuses to run as root).
SERVICE_USER = "postgres"

_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


class PostgresNotFound(RuntimeError):
    """No PostgreSQL server binaries (initdb, pg_ctl) on this machine."""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--"]:
        args = args[1:]
    if not args or args[0] in {"-h", "--help"}:
        print(USAGE, file=sys.stderr)
        return 2
    # Until CMD runs, a SIGTERM or SIGHUP unwinds like Ctrl-C, so the cluster still goes.
    previous = {signum: signal.signal(signum, _interrupt) for signum in _HANDLED_SIGNALS}
    try:
        with throwaway_cluster() as url:
            _say(f"PostgreSQL ready on {_without_password(url)}")
            return _run_child(args, {**os.environ, "DATABASE_URL": url})
    except PostgresNotFound as exc:
        _say(str(exc))
        return 1
    except subprocess.CalledProcessError as exc:
        _say(f"could not set up PostgreSQL: {exc}")
        return 1
    except KeyboardInterrupt:
        _say("interrupted")
        return 128 + signal.SIGINT
    except _Signalled as exc:
        _say(f"stopped by {signal.Signals(exc.signum).name}")
        return 128 + exc.signum
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def throwaway_cluster(*, prefix: str = "wicketgate-pg-") -> Iterator[str]:
    """Start a throwaway cluster, yield its ``postgres://`` URL, then destroy it.

    The folder is made in the system temporary directory with ``prefix``.
    """
    bindir = find_bindir()
    if bindir is None:
        raise PostgresNotFound(
            "no PostgreSQL server binaries: install the Debian package postgresql "
            "(or run scripts/bootstrap.sh)"
        )
    cluster = _Cluster(bindir=bindir, root=Path(tempfile.mkdtemp(prefix=prefix)))
    try:
        cluster.start()
        yield cluster.create_database()
    finally:
        cluster.destroy()


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl: the newest /usr/lib/postgresql/N/bin,
    else wherever ``initdb`` on PATH really lives."""
    candidates = [
        path.parent
        for path in Path("/usr/lib/postgresql").glob("*/bin/initdb")
        if path.parent.parent.name.isdigit()
    ]
    if candidates:
        return max(candidates, key=lambda bindir: int(bindir.parent.name))
    on_path = shutil.which("initdb")
    if on_path is not None:
        return Path(on_path).resolve().parent
    return None


@dataclass
class _Cluster:
    bindir: Path
    root: Path
    port: int = 0
    password: str = ""

    @property
    def data(self) -> Path:
        return self.root / "data"

    def start(self) -> None:
        if _as_root():
            service = pwd.getpwnam(SERVICE_USER)
            os.chown(self.root, service.pw_uid, service.pw_gid)
        self.root.chmod(0o700)
        self._pg(
            "initdb",
            "--pgdata", str(self.data),
            "--username", SUPERUSER,
            "--auth-local", "trust",
            "--auth-host", "scram-sha-256",
            "--encoding", "UTF8",
            # C.UTF-8 is on every Debian; the caller's LANG may name a locale that isn't.
            "--locale", "C.UTF-8",
            "--no-sync",
        )  # fmt: skip
        # Another process may take the free port between our look and the server's bind.
        for attempt in range(3):
            self.port = _free_port()
            self._write_settings()
            try:
                self._pg(
                    "pg_ctl", "start",
                    "--pgdata", str(self.data),
                    "--wait", "--timeout", "60",
                    "--log", str(self.root / "postgres.log"),
                    "--silent",
                )  # fmt: skip
            except subprocess.CalledProcessError:
                if attempt == 2:
                    self._show_log()
                    raise
                continue
            return

    def create_database(self) -> str:
        self.password = secrets.token_urlsafe(24)
        with psycopg.connect(
            host=str(self.root), port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN CREATEDB CREATEROLE PASSWORD {}").format(
                    sql.Identifier(ROLE), sql.Literal(self.password)
                )
            )
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(DATABASE), sql.Identifier(ROLE)
                )
            )
        return f"postgres://{ROLE}:{self.password}@127.0.0.1:{self.port}/{DATABASE}"

    def destroy(self) -> None:
        try:
            # Also after a failed or interrupted start: the server may be up all the same.
            if (self.data / "postmaster.pid").exists():
                self._stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            if self.root.exists():
                _say(f"could not remove {self.root}")

    def _stop(self) -> None:
        for mode in ("fast", "immediate"):
            try:
                self._pg(
                    "pg_ctl", "stop", "--pgdata", str(self.data),
                    "--mode", mode, "--wait", "--timeout", "30", "--silent",
                )  # fmt: skip
            except subprocess.CalledProcessError:
                continue
            return
        _say(f"could not stop the PostgreSQL server in {self.data}")

    def _write_settings(self) -> None:
        settings = {
            **_SETTINGS,
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
        }
        # Later lines win, so each attempt's port simply overrides the last one's.
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# throwaway cluster\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def _pg(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if _as_root():
            command = ["runuser", "-u", SERVICE_USER, "--", *command]
        with subprocess.Popen(
            command, cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        ) as process:
            try:
                output, _ = process.communicate()
            except BaseException:
                # Not kill(): runuser cannot pass SIGKILL on, and the program would go on
                # writing into the folder we are about to remove. SIGTERM it passes on.
                process.terminate()
                process.wait()
                raise
        if process.returncode != 0:
            sys.stderr.write(output.decode(errors="replace"))
            raise subprocess.CalledProcessError(process.returncode, command, output)

    def _show_log(self) -> None:
        with contextlib.suppress(OSError):
            sys.stderr.write((self.root / "postgres.log").read_text(errors="replace"))


def _run_child(args: list[str], env: dict[str, str]) -> int:
    try:
        child = subprocess.Popen(args, env=env)
    except OSError as exc:
        _say(f"cannot run {args[0]}: {exc.strerror}")
        return 127

    # Ctrl-C reaches the child directly (same process group): we wait for it to finish
    # its own clean-up, then do ours. SIGTERM and SIGHUP are passed on to it.
    def forward(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signum)

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGHUP, forward)
    returncode = child.wait()
    # Stopping the cluster takes seconds at most: let nothing cut it short.
    for signum in _HANDLED_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    # Like a shell: a child killed by signal N exits 128 + N.
    return 128 - returncode if returncode < 0 else returncode


_HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _Signalled(BaseException):
    """Unwinds like KeyboardInterrupt, for SIGTERM and SIGHUP."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _interrupt(signum: int, frame: FrameType | None) -> None:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise _Signalled(signum)


def _as_root() -> bool:
    return os.geteuid() == 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _without_password(url: str) -> str:
    head, _, tail = url.partition("@")
    return f"{head.rsplit(':', 1)[0]}:***@{tail}"


def _say(message: str) -> None:
    print(f"throwaway_postgres: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
