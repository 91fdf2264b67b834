"""The gateway service: answers Squid's helpers and keeps policy and sessions fresh.

One process per Squid: a Unix-socket server that the relay helpers connect to
(see relay.py), and threads that do the database work off the request path:

- the poller, every ``WICKETGATE_GATEWAY_POLL_MS``: policy changes into the engine,
  session opens and closes into the session table, activity back to the database,
  sessions found expired closed. If it cannot finish a round for
  ``WICKETGATE_GATEWAY_GRACE_SECONDS``, the gatekeeper refuses everything (fail closed)
  and an alert is raised, in the process log and in the audit log;
- on PostgreSQL, a listener that wakes the poller the moment a change commits.

Recording Squid's access log into the audit log is another process's work
(:mod:`wicketgate.gateway.recorder`), so that it never holds this one's interpreter.
"""

from __future__ import annotations

import contextlib
import grp
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from wicketgate.audit.log import Actor, record_event
from wicketgate.audit.models import AuditEvent
from wicketgate.gateway.gatekeeper import Gatekeeper
from wicketgate.gateway.models import DeviceSession
from wicketgate.gateway.sessions import SessionTable
from wicketgate.gateway.squid import SQUID_USER
from wicketgate.policy.engine import Engine

log = logging.getLogger(__name__)

ACTIVITY_EVERY = 15.0  # seconds between writes of session activity to the database
CATCH_UP_SECONDS = 2.0  # the longest a login of a session not seen yet waits for a look
CATCH_UP_EVERY = 0.05  # the least time between looks on behalf of such logins
WAITING_LOGINS = 512  # such logins waiting at once; more are refused at once


class GatewayService:
    def __init__(
        self,
        socket_path: Path,
        *,
        poll_seconds: float | None = None,
        grace_seconds: float | None = None,
        establishment_ids: set[int] | None = None,
    ) -> None:
        self.socket_path = socket_path
        self.poll_seconds = (
            poll_seconds if poll_seconds is not None else settings.WICKETGATE_GATEWAY_POLL_MS / 1000
        )
        self.engine = Engine(refresh_every=math.inf)
        if establishment_ids is None and settings.WICKETGATE_GATEWAY_ESTABLISHMENTS:
            establishment_ids = _establishment_ids(settings.WICKETGATE_GATEWAY_ESTABLISHMENTS)
        self.sessions = SessionTable(establishment_ids)
        self.gatekeeper = Gatekeeper(
            self.engine,
            self.sessions,
            grace_seconds=(
                grace_seconds
                if grace_seconds is not None
                else settings.WICKETGATE_GATEWAY_GRACE_SECONDS
            ),
            portal_url=str(settings.WICKETGATE_GATEWAY_PORTAL_URL),
        )
        self.stopping = threading.Event()
        self._wake = threading.Event()  # set by the PostgreSQL listener: look now
        # Rounds of the poller, for logins of sessions it has not seen yet (catch_up).
        self._rounds = threading.Condition()
        self._rounds_started = 0
        self._rounds_done = 0
        self._waiting_lines = 0  # logins waiting for a look (catch_up), at most WAITING_LOGINS
        self.gatekeeper.catch_up = self.catch_up
        self.alerting = False
        self.ready = threading.Event()
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._pending_alerts: list[tuple[str, dict[str, str]]] = []

    # --- running ------------------------------------------------------------------------

    def start(self) -> None:
        """Start in background threads (for tests and for `gateway run`)."""
        self.poll_once()
        loops = [(self._poll_forever, "poller"), (self._housekeep_forever, "housekeeper")]
        if connection.vendor == "postgresql":
            loops.append((self._listen_forever, "listener"))
        for target, name in loops:
            thread = threading.Thread(target=target, name=f"gateway-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        server = threading.Thread(target=self._serve, name="gateway-server", daemon=True)
        server.start()
        self._threads.append(server)
        if not self.ready.wait(10):
            raise RuntimeError("the gateway service did not start listening")

    def stop(self) -> None:
        self.stopping.set()
        self._wake.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        for conn in list(self._conns):  # the relays see the end and refuse until we are back
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()

    def _serve(self) -> None:
        """Accept the relays' connections: a thread each (there are a handful), blocking
        reads and writes, so that a question costs a few microseconds beyond its answer."""
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.socket_path))
        listener.listen(64)
        self._listener = listener
        self._expose_socket()
        self.ready.set()
        while not self.stopping.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                break
            thread = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            thread.start()

    def _expose_socket(self) -> None:
        if os.geteuid() == 0:
            os.chown(self.socket_path, 0, grp.getgrnam(SQUID_USER).gr_gid)
            self.socket_path.chmod(0o660)
        else:
            self.socket_path.chmod(0o600)

    def _handle(self, conn: socket.socket) -> None:
        self._conns.add(conn)
        try:
            buffered = b""
            while b"\n" not in buffered:
                data = conn.recv(4096)
                if not data:
                    return
                buffered += data
            kind, _, pending = buffered.partition(b"\n")
            answer: Callable[[bytes], bytes]
            if kind.strip() == b"auth":
                answer = self.gatekeeper.answer_auth
            elif kind.strip() == b"acl":
                answer = self.gatekeeper.answer_acl
            else:
                return
            sending = threading.Lock()  # the connection's writes: here, and later ones
            while True:
                complete, newline, pending = pending.rpartition(b"\n")  # keep a partial line
                if newline:
                    lines = complete.split(b"\n")
                    if kind.strip() == b"auth":
                        lines = self._answer_unseen_later(conn, sending, lines)
                    replies = b"".join(answer(line) + b"\n" for line in lines)
                    with sending:
                        conn.sendall(replies)
                data = conn.recv(65536)
                if not data:
                    return
                pending += data
        except OSError:
            return
        except Exception:
            # Never answer from a broken state: drop the connection, and the relay refuses.
            log.exception("gateway: a helper connection failed")
        finally:
            self._conns.discard(conn)
            conn.close()

    def _answer_unseen_later(
        self, conn: socket.socket, sending: threading.Lock, lines: list[bytes]
    ) -> list[bytes]:
        """The lines to answer now; logins of sessions not seen yet are answered on a thread
        of their own once the poller has looked again (Squid matches answers to questions
        by channel id, in any order), so that they hold up no one else's."""
        now: list[bytes] = []
        later: list[bytes] = []
        for line in lines:
            user = line.split(b" ", 2)[1:2]
            unseen = user and self.sessions.get(unquote(user[0].decode("utf-8", "replace"))) is None
            (later if unseen else now).append(line)
        if not later:
            return now
        with self._rounds:
            admitted = later[: max(0, WAITING_LOGINS - self._waiting_lines)]
            self._waiting_lines += len(admitted)
        if len(admitted) < len(later):
            # Too many already wait (a flood of made-up names): the rest are refused at once.
            refusals = b"".join(
                line.split(b" ", 1)[0] + b" ERR\n" for line in later[len(admitted) :]
            )
            with sending:
                conn.sendall(refusals)
        if not admitted:
            return now

        def answer_later() -> None:
            try:
                self.catch_up()  # one look for the whole batch
                replies = b"".join(
                    self.gatekeeper.answer_auth(line, catch_up=False) + b"\n" for line in admitted
                )
                with contextlib.suppress(OSError), sending:
                    conn.sendall(replies)
            finally:
                with self._rounds:
                    self._waiting_lines -= len(admitted)

        threading.Thread(target=answer_later, daemon=True).start()
        return now

    # --- keeping fresh -------------------------------------------------------------------

    def poll_once(self) -> None:
        if connection.vendor == "sqlite":
            # Only matters for a shared-cache database (the test suite's in-memory one),
            # where this reader would otherwise make writers fail at once with "table is
            # locked"; a file database, as in production, ignores it.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA read_uncommitted = 1")
        self.engine.refresh()
        self.sessions.refresh()
        self.gatekeeper.fresh_at = time.monotonic()

    def catch_up(self) -> None:
        """Wait for a look at the database that starts after this call (at most
        ``CATCH_UP_SECONDS``): a device agent uses the credentials it was just handed at
        once, before the next poll would have brought the session here. All who wait share
        the next look; the poller keeps its looks at least ``CATCH_UP_EVERY`` apart, so a
        stream of made-up usernames costs the database little more than polling does."""
        with self._rounds:
            wanted = self._rounds_started + 1
        self._wake.set()
        with self._rounds:
            self._rounds.wait_for(lambda: self._rounds_done >= wanted, timeout=CATCH_UP_SECONDS)

    def _poll_forever(self) -> None:
        """Reads only: a write waiting for a database lock must never make the data stale."""
        last = 0.0
        while not self.stopping.is_set():
            self._wake.wait(self.poll_seconds)
            self.stopping.wait(max(0.0, last + CATCH_UP_EVERY - time.monotonic()))
            self._wake.clear()
            if self.stopping.is_set():
                break
            last = time.monotonic()
            with self._rounds:
                self._rounds_started += 1
                started = self._rounds_started
            try:
                close_old_connections()
                self.poll_once()
                with self._rounds:
                    self._rounds_done = started
                    self._rounds.notify_all()
                if self.alerting:
                    self.alerting = False
                    log.warning("gateway: policy and sessions are fresh again; serving")
                    self._record_alert("gateway.recovered", "fresh again")
            except Exception as error:
                self._drop_connection()
                if not self.gatekeeper.fresh and not self.alerting:
                    self.alerting = True
                    log.error(
                        "gateway ALERT: no fresh policy or sessions for %ss (%s); refusing every request",
                        self.gatekeeper.grace_seconds,
                        error,
                    )
                    self._record_alert("gateway.fail_closed", str(error)[:300])
        self._drop_connection()  # this thread's own

    def _housekeep_forever(self) -> None:
        """The gateway's writes: sessions found expired closed, activity, alerts."""
        last_activity = time.monotonic()
        while not self.stopping.wait(1.0):
            try:
                close_old_connections()
                self._close_expired()
                if time.monotonic() - last_activity >= ACTIVITY_EVERY:
                    self.sessions.write_activity()
                    last_activity = time.monotonic()
                self._flush_alerts()
            except Exception:
                self._drop_connection()
                log.warning("gateway: housekeeping failed; will retry", exc_info=True)
        with contextlib.suppress(Exception):
            self.sessions.write_activity()
            self._flush_alerts()
        self._drop_connection()

    def _close_expired(self) -> None:
        from wicketgate.gateway.actions import do_close_device_session

        expired, self.gatekeeper.expired = self.gatekeeper.expired, {}
        for username, why in expired.items():
            session = DeviceSession.objects.filter(
                username=username, closed_at__isnull=True
            ).first()
            if session is not None and not session.is_live():
                do_close_device_session(session, reason=why, actor=Actor.system("gateway"))

    def _record_alert(self, action: str, detail: str) -> None:
        """Put an alert on the audit log, now or, if the database is what failed, when it is back."""
        self._pending_alerts.append(
            (
                action,
                {
                    "detail": detail,
                    "at": timezone.now().isoformat(),
                    "socket": str(self.socket_path),
                },
            )
        )
        self._flush_alerts()

    def _flush_alerts(self) -> None:
        while self._pending_alerts:
            action, details = self._pending_alerts[0]
            outcome = (
                AuditEvent.Outcome.FAILED
                if action == "gateway.fail_closed"
                else AuditEvent.Outcome.SUCCESS
            )
            try:
                record_event(
                    action, actor=Actor.system("gateway"), outcome=outcome, details=details
                )
            except Exception:
                self._drop_connection()
                return
            self._pending_alerts.pop(0)

    @staticmethod
    def _drop_connection() -> None:
        with contextlib.suppress(Exception):
            connection.close()

    def _listen_forever(self) -> None:
        """PostgreSQL: wake the poller the moment a change commits (see migration 0002)."""
        import psycopg

        while not self.stopping.is_set():
            try:
                params = connection.get_connection_params()
                params.pop("cursor_factory", None)
                params.pop("context", None)
                with psycopg.connect(**params, autocommit=True) as listener:
                    listener.execute("LISTEN wicketgate_changes")
                    self._wake.set()  # anything missed while not listening
                    while not self.stopping.is_set():
                        for _notice in listener.notifies(timeout=1.0, stop_after=1):
                            self._wake.set()
            except Exception:
                log.warning("gateway: lost the PostgreSQL change listener; polling meanwhile")
                self.stopping.wait(1.0)


def _establishment_ids(codes: list[str]) -> set[int]:
    from wicketgate.estate.models import Establishment

    wanted = {code.strip().upper() for code in codes if code.strip()}
    found = dict(Establishment.objects.filter(code__in=wanted).values_list("code", "pk"))
    missing = wanted - set(found)
    if missing:
        raise ValueError(
            f"WICKETGATE_GATEWAY_ESTABLISHMENTS: no establishment {', '.join(sorted(missing))}"
        )
    return set(found.values())
