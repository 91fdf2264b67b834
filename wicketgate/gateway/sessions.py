"""The live device sessions, as the gateway holds them in memory.

Reloaded from the database whenever a session opens or closes (a cheap signature query
tells), so that an ended session is refused within one poll. Activity is remembered
here and written back in batches, which is what keeps a session from going idle.
"""

from __future__ import annotations

import datetime as dt
import hmac
import threading
from collections import defaultdict
from dataclasses import dataclass

from wicketgate.gateway.models import DeviceSession, DeviceSessionQuerySet, hash_secret


@dataclass(frozen=True)
class LiveSession:
    pk: int
    username: str
    password_hash: str
    prison_number: str
    prisoner_pk: int
    device_id: str
    address: str | None  # the only client address the session is served to
    establishment_id: int
    establishment_code: str
    location_code: str
    location_kind: str
    ends_by: dt.datetime
    idle_until: dt.datetime
    idle_seconds: int


class SessionTable:
    """username -> LiveSession, for the open sessions of some (or all) establishments."""

    def __init__(self, establishment_ids: set[int] | None = None) -> None:
        self.establishment_ids = establishment_ids
        self._sessions: dict[str, LiveSession] = {}
        self._signature: frozenset[int] | None = None
        self._active: dict[str, dt.datetime] = {}  # username -> last request seen here
        self._lock = threading.Lock()

    # --- on the request path (no database) --------------------------------------------

    def get(self, username: str) -> LiveSession | None:
        return self._sessions.get(username)

    def check_password(self, username: str, password: str) -> bool:
        session = self._sessions.get(username)
        if session is None:
            hmac.compare_digest("0" * 64, hash_secret(password))  # same work either way
            return False
        return hmac.compare_digest(session.password_hash, hash_secret(password))

    def expired(self, session: LiveSession, at: dt.datetime) -> str | None:
        """Why the session can no longer be used at ``at`` ("max_length", "idle"), else None."""
        if at >= session.ends_by:
            return "max_length"
        seen = self._active.get(session.username)
        idle_until = session.idle_until
        if seen is not None:
            idle_until = max(idle_until, seen + dt.timedelta(seconds=session.idle_seconds))
        return "idle" if at >= idle_until else None

    def touch(self, username: str, at: dt.datetime) -> None:
        self._active[username] = at

    def __len__(self) -> int:
        return len(self._sessions)

    # --- kept fresh by the service's poller ------------------------------------------

    def refresh(self) -> bool:
        """Reload if any session opened or closed since the last look; True if it did."""
        # Compare the ids of the open sessions now (one statement) with the ids of the rows
        # the table holds: reload when they differ. The table's own ids are what is kept,
        # not the ids read before loading, so a session opening and closing again around a
        # load is still noticed. (A count with the highest id was not enough: on
        # PostgreSQL ids are handed out at insert, so a session opened with a lower id,
        # committed after a higher one together with the close of an earlier session, left
        # both unchanged, and the closed session stayed accepted.) Open sessions are few:
        # one a device in use.
        now_open = frozenset(
            self._scoped(DeviceSession.objects.filter(closed_at__isnull=True)).values_list(
                "pk", flat=True
            )
        )
        if now_open == self._signature:
            return False
        open_sessions = self._scoped(DeviceSession.objects.filter(closed_at__isnull=True))
        rows = open_sessions.values_list(
            "pk",
            "username",
            "password_hash",
            "prisoner__prison_number",
            "prisoner_id",
            "device__device_id",
            "address",
            "device__establishment_id",
            "device__establishment__code",
            "location__code",
            "location__kind",
            "ends_by",
            "idle_until",
            "idle_seconds",
        )
        self._sessions = {row[1]: LiveSession(*row) for row in rows}
        self._active = {name: at for name, at in self._active.items() if name in self._sessions}
        self._signature = frozenset(session.pk for session in self._sessions.values())
        return True

    def write_activity(self) -> int:
        """Push activity seen here to the database (so other gateways and staff see it)."""
        with self._lock:
            active, self._active = self._active, {}
        by_idle: dict[int, list[int]] = defaultdict(list)
        latest: dict[int, dt.datetime] = {}
        for username, seen in active.items():
            session = self._sessions.get(username)
            if session is not None:
                by_idle[session.idle_seconds].append(session.pk)
                latest[session.pk] = seen
        for idle_seconds, pks in by_idle.items():
            seen = max(latest[pk] for pk in pks)
            DeviceSession.objects.filter(pk__in=pks, closed_at__isnull=True).update(
                last_seen_at=seen, idle_until=seen + dt.timedelta(seconds=idle_seconds)
            )
        # Keep what was seen, so that idleness is still judged on it until the reload.
        for username, seen in active.items():
            self._active.setdefault(username, seen)
        return len(latest)

    def _scoped(self, queryset: DeviceSessionQuerySet) -> DeviceSessionQuerySet:
        if self.establishment_ids is None:
            return queryset
        return queryset.filter(device__establishment_id__in=self.establishment_ids)
