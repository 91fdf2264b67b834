"""Squid's access log into the audit log: one event per request, with bytes and duration.

Squid writes one line per finished transaction (``logformat wicketgate`` in squid.conf)
straight to a local file, which makes that file a durable spool: the tailer moves its
complete lines into the audit chain in batches and keeps its position in the same
transaction (a :class:`SpoolCursor`), so a crash on either side loses nothing and
writes nothing twice. The decision itself (allow or deny, rule ids, policy version, and
for a denial the reasons in plain words) comes from the access helper's ``log=`` note.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.db import transaction

from wicketgate.audit.log import Actor, PendingEvent, append_events
from wicketgate.audit.models import AuditEvent, SpoolCursor
from wicketgate.gateway.gatekeeper import (
    BYPASS_RULES,
    NO_SESSION,
    PLAIN,
    WRONG_DEVICE,
    read_log_note,
)
from wicketgate.gateway.models import Device, DeviceSession

# The fields of `logformat wicketgate`, in order (see deploy/squid/squid.conf.template).
# The name and TLS name, which a client writes, are %-escaped (%#): Squid 5.7 would write
# them raw, and a newline in either would make a line of the client's own.
LOGFORMAT = "%ts.%03tu %tr %>a %#un %>rm %ru %>Hs %>st %<st %Ss %#ssl::>sni %ea"
ACTION = "gateway.request"
# A request refused as an attempt to get past the gateway (a TLS name, Host or port that
# is not the connection's): recorded under an action of its own, for alerts and searches.
BYPASS_ACTION = "gateway.bypass_attempt"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LogLine:
    at: dt.datetime
    duration_ms: int
    client: str
    user: str | None
    method: str
    url: str
    status: int
    bytes_in: int
    bytes_out: int
    squid_result: str
    sni: str | None
    decision: str | None  # "allow" | "deny"
    rules: tuple[str, ...]
    version: int | None
    reasons: tuple[str, ...]
    category: str | None = None


class BadLogLine(ValueError):
    pass


def parse_line(text: str) -> LogLine:
    parts = text.rstrip("\n").split(" ")
    if len(parts) != 12:  # Squid escapes every space a field could hold
        raise BadLogLine(f"expected 12 fields, found {len(parts)}: {text[:200]!r}")
    stamp, tr, client, user, method, url, status, sent_in, sent_out, result, sni = parts[:11]
    decision, rules, version, reasons, category = read_log_note(parts[11])
    return LogLine(
        at=dt.datetime.fromtimestamp(float(stamp), dt.UTC),
        duration_ms=_int(tr),
        client=client,
        user=None if user == "-" else unquote(user),
        method=method,
        url=url,
        status=_int(status),
        bytes_in=_int(sent_in),
        bytes_out=_int(sent_out),
        squid_result=result,
        sni=None if sni == "-" else unquote(sni),
        decision=decision,
        rules=rules,
        version=version,
        reasons=reasons,
        category=category,
    )


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


@dataclass(frozen=True)
class Unreadable:
    """A line of the access log that is not one of ours: recorded as it is, never dropped
    (a line someone managed to forge or break is itself worth a look)."""

    text: str


UNREADABLE_ACTION = "gateway.log.unreadable"


def to_events(given: Sequence[LogLine | Unreadable]) -> list[PendingEvent]:
    """Audit events for these log lines, each attributed to its session (or to none).

    A request refused for want of a good login (407) is not the session's, whoever's
    session name was typed: it is recorded against the device registered at the address
    it came from, if any, and never against that session's prisoner.
    """
    lines = [line for line in given if isinstance(line, LogLine)]
    if len(lines) < len(given):  # unreadable lines among them, each recorded in its place
        readable = iter(to_events(lines))
        return [
            _unreadable_event(line) if isinstance(line, Unreadable) else next(readable)
            for line in given
        ]
    users = {line.user for line in lines if line.user and not _failed_login(line)}
    sessions: dict[str, Any] = {
        row["username"]: row
        for row in DeviceSession.objects.filter(username__in=users).values(
            "username",
            "prisoner_id",
            "prisoner__prison_number",
            "device__device_id",
            "device__establishment_id",
            "location__code",
        )
    }
    clients = {line.client for line in lines if _failed_login(line) or WRONG_DEVICE in line.rules}
    found: dict[str, list[Any]] = {}
    for row in Device.objects.filter(address__in=clients, retired_at__isnull=True).values(
        "address", "device_id", "establishment_id"
    ):
        found.setdefault(row["address"] or "", []).append(row)
    # Only an address that is one device's says which device it was.
    devices = {address: rows[0] for address, rows in found.items() if len(rows) == 1}
    return [
        _failed_login_event(line, devices.get(line.client))
        if _failed_login(line)
        else _event(line, sessions.get(line.user or ""), devices.get(line.client))
        for line in lines
    ]


def _unreadable_event(line: Unreadable) -> PendingEvent:
    return PendingEvent(
        action=UNREADABLE_ACTION,
        actor=Actor("system", "gateway", "gateway"),
        occurred_at=dt.datetime.now(dt.UTC),
        subject_kind="",
        subject_id="",
        subject_label="",
        establishment_id=None,
        outcome=AuditEvent.Outcome.FAILED,
        details={"line": line.text[:2000]},
    )


def _failed_login(line: LogLine) -> bool:
    return line.decision is None and line.status == 407


def _failed_login_event(line: LogLine, device: dict[str, Any] | None) -> PendingEvent:
    event = _event(line, None)
    details = {**event.details, "session": None, "name_typed": line.user}
    if device is not None:
        details["device"] = device["device_id"]
    return PendingEvent(
        action=event.action,
        actor=event.actor,
        occurred_at=event.occurred_at,
        subject_kind="",
        subject_id="",
        subject_label="",
        establishment_id=device["establishment_id"] if device is not None else None,
        outcome=event.outcome,
        details=details,
    )


def _event(
    line: LogLine, session: dict[str, Any] | None, used_on: dict[str, Any] | None = None
) -> PendingEvent:
    """The event for a request; ``used_on``: the device registered at the client's address,
    named when a session's credentials were used from an address not its own."""
    allowed = line.decision == "allow"
    if line.decision is None and line.status == 407:
        rules: tuple[str, ...] = (NO_SESSION,)
        reasons: tuple[str, ...] = (PLAIN[NO_SESSION],)
    else:
        rules, reasons = line.rules, line.reasons
    visible = line.method != "CONNECT"
    host, path = _host_path(line)
    details: dict[str, Any] = {
        "method": line.method,
        "host": host,
        "status": line.status,
        "bytes_in": line.bytes_in,
        "bytes_out": line.bytes_out,
        "duration_ms": line.duration_ms,
        "client": line.client,
        "result": line.squid_result,
        # "none": nothing of ours decided it (Squid's own answer, such as its error page
        # inside a refused connection); never recorded as an allow.
        "decision": line.decision or ("deny" if line.status == 407 else "none"),
        "rules": list(rules),
    }
    if line.category:
        details["category"] = line.category
    if line.sni:
        details["sni"] = line.sni
    if visible:
        details["url"] = line.url
        details["path"] = path
    if line.version is not None:
        details["policy_version"] = line.version
    if reasons and not allowed:
        details["reasons"] = list(reasons)
    if WRONG_DEVICE in rules and used_on is not None:
        details["used_on"] = used_on["device_id"]
    if session is not None:
        details["session"] = session["username"]
        details["device"] = session["device__device_id"]
        details["location"] = session["location__code"]
        actor = Actor(
            "prisoner", session["prisoner__prison_number"], session["prisoner__prison_number"]
        )
    else:
        details["session"] = line.user
        actor = Actor("system", "gateway", "gateway")
    return PendingEvent(
        action=BYPASS_ACTION if BYPASS_RULES & set(rules) else ACTION,
        actor=actor,
        occurred_at=line.at,
        subject_kind="people.prisoner" if session is not None else "",
        subject_id=str(session["prisoner_id"]) if session is not None else "",
        subject_label=session["prisoner__prison_number"] if session is not None else "",
        establishment_id=session["device__establishment_id"] if session is not None else None,
        outcome=AuditEvent.Outcome.SUCCESS if allowed else AuditEvent.Outcome.DENIED,
        details=details,
    )


def _host_path(line: LogLine) -> tuple[str, str | None]:
    if line.method == "CONNECT":
        return line.url.rsplit(":", 1)[0].strip("[]").lower(), None
    parts = urlsplit(line.url)
    return (parts.hostname or "").lower(), parts.path or "/"


ROTATED = ".rotated"


def rotate(path: Path, reopen: Callable[[], None], *, wait: float = 5.0) -> int:
    """Start a new log file, once every line of this one is in the audit log.

    The file is renamed and its cursor moves with it in one transaction; Squid is then
    told to reopen its log (``reopen``), and the renamed file is read to its end and
    removed. Returns how many lines were recorded on the way.
    """
    written = finish_rotated(path) + tail(path)
    rotated = path.with_name(path.name + ROTATED)
    with transaction.atomic():
        SpoolCursor.objects.filter(spool=_key(path)).update(spool=_key(rotated))
        path.rename(rotated)
    reopen()
    deadline = time.monotonic() + wait
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return written + finish_rotated(path)


def finish_rotated(path: Path) -> int:
    """Record and remove what a rotation (perhaps cut short by a crash) left behind."""
    rotated = path.with_name(path.name + ROTATED)
    if not rotated.exists():
        return 0
    with transaction.atomic():
        # Renamed, but the process died before its cursor moved: it is still the old name's.
        if not SpoolCursor.objects.filter(spool=_key(rotated)).exists():
            SpoolCursor.objects.filter(spool=_key(path)).update(spool=_key(rotated))
    written = tail(rotated)
    rotated.unlink()
    SpoolCursor.objects.filter(spool=_key(rotated)).delete()
    return written


def lag_seconds(path: Path) -> float:
    """How long ago the oldest request not yet recorded finished (0 if none is waiting)."""
    stored = SpoolCursor.objects.filter(spool=_key(path)).values_list("offset", flat=True).first()
    try:
        with open(path, "rb") as handle:
            handle.seek(stored or 0)
            first = handle.readline()
    except FileNotFoundError:
        return 0.0
    if not first.endswith(b"\n"):
        return 0.0
    try:
        stamp = float(first.split(b" ", 1)[0])
    except ValueError:
        return float("inf")  # not a line of ours: record now, and let tail() skip it
    return max(0.0, time.time() - stamp)


def _key(path: Path) -> str:
    return f"squid:{path}"[:200]


def tail(path: Path, *, batch: int = 5000) -> int:
    """Move the complete lines of ``path`` past its cursor into the audit log."""
    if not path.exists():
        return 0
    key = _key(path)
    written = 0
    reached = 0  # where this call left the cursor; it must never be seen going back
    with open(path, "rb") as handle:
        while True:
            # The cursor row, locked, is the one source of where to read from: two tailers
            # of one file take turns, and neither writes a line the other has written.
            with transaction.atomic():
                cursor, _ = SpoolCursor.objects.select_for_update().get_or_create(spool=key)
                # A file shorter than the cursor was replaced (rotated away): start it afresh.
                offset = 0 if cursor.offset > os.fstat(handle.fileno()).st_size else cursor.offset
                handle.seek(offset)
                lines, end = _complete_lines(handle, batch)
                if not lines or end <= offset:
                    return written
                if offset < reached:
                    log.error(
                        "gateway: the cursor of %s went back from %s to %s", path, reached, offset
                    )
                    return written
                entries = [entry for entry in map(_parse, lines) if entry is not None]
                append_events(to_events(entries))
                cursor.offset = end
                cursor.save(update_fields=["offset", "updated_at"])
            written += len(entries)
            reached = end


def _parse(raw: bytes) -> LogLine | Unreadable | None:
    text = raw.decode("utf-8", "replace")
    try:
        entry = parse_line(text)
    except (BadLogLine, ValueError):
        log.error("gateway: an access log line that is not ours: %.200r", text)
        return Unreadable(text.rstrip("\n"))
    # A connection closed before it asked anything (a port probe) is no request.
    if entry.method == "-" and entry.url.startswith("error:"):
        return None
    return entry


def _complete_lines(handle: Any, limit: int) -> tuple[list[bytes], int]:
    lines: list[bytes] = []
    position = handle.tell()
    while len(lines) < limit:
        line = handle.readline()
        if not line.endswith(b"\n"):
            break
        lines.append(line)
        position += len(line)
    return lines, position
