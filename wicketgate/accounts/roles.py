"""Staff roles and what each may do at the establishments they are mapped to."""

from __future__ import annotations

from django.db import models


class StaffRole(models.TextChoices):
    WING_OFFICER = "wing_officer", "Wing officer"
    SECURITY = "security", "Security department"
    EDUCATION = "education", "Education staff"
    VISITS = "visits", "Visits and family liaison"
    GOVERNOR = "governor", "Governor"


class Action(models.TextChoices):
    """Things a staff member may be allowed to do to establishment-scoped records."""

    VIEW = "view", "View"
    CHANGE = "change", "Change people's records"
    MANAGE_ESTABLISHMENT = "manage_establishment", "Change establishment settings"
    VIEW_AUDIT = "view_audit", "Search the audit log"
    PROPOSE_POLICY = "propose_policy", "Propose sites, rules and exceptions"
    APPROVE_POLICY = "approve_policy", "Approve another person's policy proposal"
    REVIEW_SITE_REQUESTS = "review_site_requests", "Review prisoners' requests for sites"
    SUPERVISE_DEVICES = "supervise_devices", "See who is online, end sessions, lock down"
    MANAGE_DEVICES = "manage_devices", "Register and retire devices"
    VIEW_BROWSING = "view_browsing", "Read a prisoner's browsing history"
    REPORT_INCIDENTS = "report_incidents", "Report incidents and read conduct records"
    ADJUDICATE = "adjudicate", "Hear adjudications, give and quash sanctions"
    REVIEW_ALERTS = "review_alerts", "Review conduct alerts and set their triggers"
    MANAGE_CONTACTS = "manage_contacts", "Approve contacts, check identity, set restrictions"
    OVERSEE_CALLS = "oversee_calls", "Watch live video calls and end them"
    VIEW_RECORDINGS = "view_recordings", "Play recordings of video and phone calls"
    MANAGE_PHONE = "manage_phone", "Approve phone numbers, set phone PINs, add phone credit"
    OVERSEE_PHONE = "oversee_phone", "See live phone calls, listen to them and end them"
    MANAGE_LEARNING = "manage_learning", "Run courses, classes and enrolments; add library books"
    TEACH = "teach", "Mark class registers and record learners' progress"


# Deny by default: an action not listed for a role is refused.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    StaffRole.WING_OFFICER: frozenset(
        {
            Action.VIEW,
            Action.CHANGE,
            Action.SUPERVISE_DEVICES,
            Action.REPORT_INCIDENTS,
            Action.OVERSEE_CALLS,
        }
    ),
    StaffRole.SECURITY: frozenset(
        {
            Action.VIEW,
            Action.CHANGE,
            Action.VIEW_AUDIT,
            Action.PROPOSE_POLICY,
            Action.APPROVE_POLICY,
            Action.REVIEW_SITE_REQUESTS,
            Action.SUPERVISE_DEVICES,
            Action.MANAGE_DEVICES,
            Action.VIEW_BROWSING,
            Action.REPORT_INCIDENTS,
            Action.REVIEW_ALERTS,
            Action.MANAGE_CONTACTS,
            Action.OVERSEE_CALLS,
            Action.VIEW_RECORDINGS,
            Action.MANAGE_PHONE,
            Action.OVERSEE_PHONE,
        }
    ),
    StaffRole.EDUCATION: frozenset(
        {
            Action.VIEW,
            Action.PROPOSE_POLICY,
            Action.REVIEW_SITE_REQUESTS,
            Action.REPORT_INCIDENTS,
            Action.MANAGE_LEARNING,
            Action.TEACH,
        }
    ),
    StaffRole.VISITS: frozenset({Action.VIEW, Action.MANAGE_CONTACTS, Action.MANAGE_PHONE}),
    StaffRole.GOVERNOR: frozenset(
        {
            Action.VIEW,
            Action.CHANGE,
            Action.MANAGE_ESTABLISHMENT,
            Action.VIEW_AUDIT,
            Action.PROPOSE_POLICY,
            Action.APPROVE_POLICY,
            Action.SUPERVISE_DEVICES,
            Action.MANAGE_DEVICES,
            Action.VIEW_BROWSING,
            Action.REPORT_INCIDENTS,
            Action.ADJUDICATE,
            Action.REVIEW_ALERTS,
            Action.MANAGE_CONTACTS,
            Action.OVERSEE_CALLS,
            Action.VIEW_RECORDINGS,
            Action.MANAGE_PHONE,
            Action.OVERSEE_PHONE,
            Action.MANAGE_LEARNING,
            Action.TEACH,
        }
    ),
}
