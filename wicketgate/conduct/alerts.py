"""Alerts for staff, raised from what the audit log shows; never a punishment by themselves.

The scan reads the audit log from where it last stopped (its cursor is kept in the same
transaction as the alerts it raises, so a crash neither loses nor doubles one) and looks
for what the triggers describe:

- repeated blocked attempts at one category within a window (a forbidden category, an
  exception, a sanction: any refusal with a category);
- any attempt refused by a sanction in force;
- a device session opened at unusual hours;
- any attempt to get past the web gateway (a connection opened to one site that then
  names another: domain fronting, a forged Host; a session's credentials used from an
  address other than the one its device signed in from).

An open alert for the same prisoner and the same thing (category, sanction rule) gathers
repeats rather than a new alert each time. Triggers are data: estate-wide, replaced per
establishment by one of its own; with no row at all the model's defaults apply.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from wicketgate.audit.log import Actor, record_event
from wicketgate.audit.models import AuditEvent, SpoolCursor
from wicketgate.conduct.codes import AlertKind, AlertStatus
from wicketgate.conduct.models import AlertTrigger, ConductAlert
from wicketgate.people.models import Prisoner
from wicketgate.policy.models import Category

CURSOR = "conduct.alert-scan"
REQUEST = "gateway.request"
BYPASS = "gateway.bypass_attempt"
SESSION_OPEN = "gateway.session.open"
EVIDENCE_KEPT = 50  # audit seqs kept on one alert
SCANNER = Actor.system("conduct.alerts")


def trigger_for(kind: str, establishment_id: int | None) -> AlertTrigger:
    """The trigger in force for ``kind`` at an establishment: its own, the estate's, or the default."""
    own = None
    estate = None
    for trigger in AlertTrigger.objects.filter(kind=kind):
        if trigger.establishment_id == establishment_id and establishment_id is not None:
            own = trigger
        elif trigger.establishment_id is None:
            estate = trigger
    return own or estate or AlertTrigger(kind=kind)


def do_scan_for_alerts(*, batch: int = 20_000) -> int:
    """Scan the audit log since the last scan; returns how many alerts were raised."""
    raised = 0
    while True:
        with transaction.atomic():
            cursor, _ = SpoolCursor.objects.select_for_update().get_or_create(spool=CURSOR)
            top = AuditEvent.objects.aggregate(top=Max("seq"))["top"] or 0
            upper = min(top, cursor.offset + batch)
            if upper <= cursor.offset:
                return raised
            rows = list(
                AuditEvent.objects.filter(
                    seq__gt=cursor.offset,
                    seq__lte=upper,
                    action__in=(REQUEST, SESSION_OPEN, BYPASS),
                    subject_kind="people.prisoner",
                )
                .order_by("seq")
                .values_list(
                    "seq",
                    "action",
                    "occurred_at",
                    "subject_id",
                    "establishment_id",
                    "outcome",
                    "details_json",
                )
            )
            raised += _scan(rows)
            cursor.offset = upper
            cursor.save(update_fields=["offset", "updated_at"])


@dataclass
class _Finding:
    prisoner_id: int
    establishment_id: int
    kind: str
    key: str
    summary: str
    seqs: list[int] = field(default_factory=list)
    first: dt.datetime | None = None
    last: dt.datetime | None = None


def _scan(rows: list[tuple[Any, ...]]) -> int:  # noqa: C901 - one pass over the events, each kind of alert a branch: split, it would read them once a kind
    findings: dict[tuple[int, str, str], _Finding] = {}
    denied_categories: dict[tuple[int, int, str], list[tuple[int, dt.datetime]]] = defaultdict(list)
    triggers: dict[tuple[str, int | None], AlertTrigger] = {}

    def trigger(kind: str, establishment_id: int) -> AlertTrigger:
        if (kind, establishment_id) not in triggers:
            triggers[(kind, establishment_id)] = trigger_for(kind, establishment_id)
        return triggers[(kind, establishment_id)]

    def note(found: _Finding, seq: int, at: dt.datetime) -> None:
        key = (found.prisoner_id, found.kind, found.key)
        kept = findings.setdefault(key, found)
        kept.seqs.append(seq)
        kept.first = min(kept.first or at, at)
        kept.last = max(kept.last or at, at)

    for seq, action, at, subject_id, establishment_id, outcome, details_json in rows:
        if establishment_id is None or not subject_id.isdigit():
            continue
        prisoner_id = int(subject_id)
        details = json.loads(details_json)
        if action == SESSION_OPEN:
            unusual = trigger(AlertKind.UNUSUAL_HOURS, establishment_id)
            local = timezone.localtime(at).time()
            if unusual.enabled and _in_quiet_hours(local, unusual):
                note(
                    _Finding(
                        prisoner_id,
                        establishment_id,
                        AlertKind.UNUSUAL_HOURS,
                        "",
                        f"Signed in on {details.get('device', 'a device')} at {local:%H:%M}, "
                        f"in the quiet hours {unusual.quiet_from:%H:%M}–{unusual.quiet_until:%H:%M}",
                    ),
                    seq,
                    at,
                )
            continue
        if action == BYPASS:
            if trigger(AlertKind.BYPASS_ATTEMPT, establishment_id).enabled:
                host, sni = details.get("host") or "a site", details.get("sni") or "no name"
                if "gateway:wrong-address" in details.get("rules", ()):
                    summary = (
                        f"Their session's sign-in details were used from {details.get('client')}"
                        f" ({details.get('used_on') or 'no device of ours'}), not from the "
                        "device they signed in on"
                    )
                elif details.get("method") == "CONNECT":
                    summary = f"Opened a connection to {host} that named {sni} in its TLS hello"
                else:
                    summary = f"Asked for {host} on a connection opened to {sni}"
                note(
                    _Finding(prisoner_id, establishment_id, AlertKind.BYPASS_ATTEMPT, "", summary),
                    seq,
                    at,
                )
            continue
        if outcome != AuditEvent.Outcome.DENIED:
            continue
        for rule in details.get("rules", ()):
            if (
                rule.startswith("sanction:")
                and trigger(AlertKind.DURING_SANCTION, establishment_id).enabled
            ):
                note(
                    _Finding(
                        prisoner_id,
                        establishment_id,
                        AlertKind.DURING_SANCTION,
                        rule,
                        f"Tried to reach {details.get('host', 'a site')} while a sanction "
                        f"({rule.removeprefix('sanction:')}) is in force",
                    ),
                    seq,
                    at,
                )
        category = details.get("category")
        if category:
            denied_categories[(prisoner_id, establishment_id, category)].append((seq, at))

    names = dict(Category.objects.values_list("code", "name"))
    for (prisoner_id, establishment_id, category), seen in denied_categories.items():
        repeated = trigger(AlertKind.REPEATED_BLOCKED, establishment_id)
        if not repeated.enabled:
            continue
        window = dt.timedelta(minutes=repeated.window_minutes)
        first = (min(seq for seq, _ in seen), min(at for _, at in seen))
        earlier = _earlier_denials(prisoner_id, category, first, window)
        times = sorted([*earlier, *seen], key=lambda pair: pair[1])
        # Does any window of that length hold at least `threshold` attempts?
        start = 0
        crossed = False
        for end in range(len(times)):
            while times[end][1] - times[start][1] > window:
                start += 1
            if end - start + 1 >= repeated.threshold:
                crossed = True
                break
        if not crossed:
            continue
        found = _Finding(
            prisoner_id,
            establishment_id,
            AlertKind.REPEATED_BLOCKED,
            category,
            f"{repeated.threshold} or more blocked attempts at {names.get(category, category)} "
            f"sites within {repeated.window_minutes} minutes",
        )
        for seq, at in seen:
            note(found, seq, at)
    return sum(_raise(found) for found in findings.values())


def _earlier_denials(
    prisoner_id: int, category: str, first: tuple[int, dt.datetime], window: dt.timedelta
) -> list[tuple[int, dt.datetime]]:
    """Refusals at the same category scanned before (lower seq), within a window of the
    earliest time in this scan."""
    rows = AuditEvent.objects.filter(
        action=REQUEST,
        outcome=AuditEvent.Outcome.DENIED,
        subject_kind="people.prisoner",
        subject_id=str(prisoner_id),
        occurred_at__gte=first[1] - window,
        seq__lt=first[0],
    ).values_list("seq", "occurred_at", "details_json")
    return [(seq, at) for seq, at, text in rows if json.loads(text).get("category") == category]


def _in_quiet_hours(moment: dt.time, trigger: AlertTrigger) -> bool:
    start, end = trigger.quiet_from, trigger.quiet_until
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end  # the quiet hours run past midnight


def _raise(found: _Finding) -> int:
    """A new alert (1), or the repeats added to the open one for the same thing (0)."""
    assert found.first is not None and found.last is not None  # noqa: S101 - set by note()
    existing = (
        ConductAlert.objects.select_for_update()
        .filter(
            prisoner_id=found.prisoner_id,
            kind=found.kind,
            key=found.key,
            status=AlertStatus.OPEN,
        )
        .first()
    )
    if existing is not None:
        existing.count += len(found.seqs)
        existing.last_seen_at = max(existing.last_seen_at, found.last)
        existing.evidence = [*existing.evidence, *found.seqs][-EVIDENCE_KEPT:]
        existing.save(update_fields=["count", "last_seen_at", "evidence"])
        return 0
    prisoner = Prisoner.objects.get(pk=found.prisoner_id)
    alert = ConductAlert.objects.create(
        establishment_id=found.establishment_id,
        prisoner=prisoner,
        kind=found.kind,
        key=found.key,
        summary=found.summary[:300],
        first_seen_at=found.first,
        last_seen_at=found.last,
        count=len(found.seqs),
        evidence=found.seqs[-EVIDENCE_KEPT:],
    )
    record_event(
        "conduct.alert.raise",
        actor=SCANNER,
        subject=prisoner,
        establishment=alert.establishment,
        details={
            "alert": alert.pk,
            "kind": found.kind,
            "key": found.key,
            "summary": alert.summary,
            "evidence": alert.evidence,
        },
    )
    return 1
