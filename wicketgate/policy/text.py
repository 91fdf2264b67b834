"""Policy entries in words, for the staff pages: rule summaries, proposal titles, diffs.

Everything here reads entries in the shape of a policy file (``policy.proposals``'
``site_entry``, ``rule_entry``, ``exception_entry``, and proposal payloads), so a rule
in force and a rule proposed are described by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wicketgate.estate.codes import INCENTIVE_ORDER, IncentiveLevel, LocationKind
from wicketgate.people.codes import LegalStatus, SecurityCategory
from wicketgate.policy.codes import ALL, Clearance
from wicketgate.policy.engine import EVALUATION_ERROR, NEEDS_PATH, NO_GRANT, NOT_LISTED
from wicketgate.policy.hours import HoursError, describe, parse_hours
from wicketgate.policy.models import PolicyProposal

Kind = PolicyProposal.Kind

# The policies every snapshot has besides the rules staff write, and the answers the
# engine gives without a policy: what each id in a decision means.
BUILT_IN_RULES: dict[str, Promise] = {
    "catalogue:clearance": gettext_lazy(
        "Forbids a site to anyone held in less open conditions than the site's minimum clearance."
    ),
    "catalogue:review-overdue": gettext_lazy(
        "Forbids a site whose review date has passed, until it is approved again."
    ),
    "exception:forbid-site": gettext_lazy("Forbids a site to a prisoner with an exception for it."),
    "exception:forbid-category": gettext_lazy(
        "Forbids a category to a prisoner with an exception for it."
    ),
    "exception:allow-site": gettext_lazy("Allows a site to a prisoner with an exception for it."),
    "exception:allow-category": gettext_lazy(
        "Allows a category to a prisoner with an exception for it."
    ),
    "sanction:web": gettext_lazy(
        "Forbids every site to a prisoner while a web sanction is in force."
    ),
    "sanction:web-category": gettext_lazy(
        "Forbids a category to a prisoner while a sanction on that category is in force."
    ),
    "sanction:device": gettext_lazy(
        "Forbids every site to a prisoner while a loss of device use is in force."
    ),
    "sanction:video": gettext_lazy(
        "Forbids video calls while a sanction is in force, except with legal contacts."
    ),
    "sanction:phone": gettext_lazy(
        "Forbids phone calls while a sanction is in force, except with legal contacts."
    ),
    "sanction:messages": gettext_lazy(
        "Forbids messages while a sanction is in force, except with legal contacts."
    ),
    "contact:approved": gettext_lazy("Allows calls and messages with an approved contact."),
    NO_GRANT: gettext_lazy("Not a policy: nothing allowed it, so it is denied (deny by default)."),
    NOT_LISTED: gettext_lazy("Not a policy: the address is not in the catalogue, so it is denied."),
    NEEDS_PATH: gettext_lazy(
        "Not a policy: only some pages of the host are in the catalogue, and the request does "
        "not show which page, so it is denied."
    ),
    EVALUATION_ERROR: gettext_lazy(
        "Not a policy: the engine could not evaluate the request, so it is denied (fail closed)."
    ),
}


@dataclass(frozen=True)
class DiffRow:
    label: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def anchor(policy_id: str) -> str:
    """The id of a rule's place on the rules page: rule:NGT:jobs → rule-NGT-jobs."""
    return policy_id.replace(":", "-")


def rule_summary(entry: dict[str, Any], categories: dict[str, str]) -> str:
    """One sentence: what the rule does, to whom, when and where."""
    effect = "allow" if "allow" in entry else "forbid"
    what = _category_list(entry.get(effect), categories)
    who = _who(entry.get("when") or {})
    text = (
        _("Allows %(what)s to %(who)s") if effect == "allow" else _("Forbids %(what)s to %(who)s")
    ) % {"what": what, "who": who}
    if entry.get("hours"):
        text += ", " + _hours(entry["hours"])
    if entry.get("locations"):
        text += ", " + _("only from: %(places)s") % {"places": _places(entry["locations"])}
    return text + "."


def entry_rows(
    kind: str, entry: dict[str, Any] | None, categories: dict[str, str]
) -> list[tuple[str, str]]:
    """(label, value) for each field of an entry of ``kind``; empty when there is none."""
    if not entry:
        return []
    if kind in (Kind.SITE, Kind.RETIRE_SITE):
        return _site_rows(entry, categories)
    if kind in (Kind.RULE, Kind.DELETE_RULE):
        return _rule_rows(entry, categories)
    return _exception_rows(entry, categories)


def diff_rows(proposal: PolicyProposal, categories: dict[str, str]) -> list[DiffRow]:
    """Each field of what the proposal changes, as it is and as it would be."""
    kind = proposal.kind
    before = proposal.before
    after = proposed(proposal)
    rows_before = dict(entry_rows(kind, before, categories))
    rows_after = dict(entry_rows(kind, after, categories))
    labels = list(dict.fromkeys([*rows_before, *rows_after]))
    return [
        DiffRow(label, rows_before.get(label, "–"), rows_after.get(label, "–")) for label in labels
    ]


def proposed(proposal: PolicyProposal) -> dict[str, Any] | None:
    """The entry as it would be once approved (None for a rule removed)."""
    kind, payload, before = proposal.kind, proposal.payload, proposal.before or {}
    if kind == Kind.SITE:
        return {**payload, "retired": False}
    if kind == Kind.RETIRE_SITE:
        return {**before, "retired": True}
    if kind == Kind.DELETE_RULE:
        return None
    if kind == Kind.REVOKE_EXCEPTION:
        return {**before, "revoked": True}
    return dict(payload)


def proposal_title(proposal: PolicyProposal) -> str:
    payload, before = proposal.payload or {}, proposal.before
    kind = proposal.kind
    if kind == Kind.SITE:
        name = payload.get("name", "?")
        if before is None:
            return _("Add the site %(name)s") % {"name": name}
        if before.get("retired"):
            return _("Bring back the site %(name)s") % {"name": name}
        return _("Change the site %(name)s") % {"name": name}
    if kind == Kind.RETIRE_SITE:
        return _("Retire the site %(name)s") % {"name": payload.get("name", "?")}
    if kind in (Kind.RULE, Kind.DELETE_RULE):
        rule = payload.get("id", "?")
        scope = (
            proposal.establishment.name
            if proposal.establishment is not None
            else _("every establishment")
        )
        if kind == Kind.DELETE_RULE:
            text = _("Remove the rule %(id)s at %(scope)s")
        elif before is None:
            text = _("Add the rule %(id)s at %(scope)s")
        else:
            text = _("Change the rule %(id)s at %(scope)s")
        return text % {"id": rule, "scope": scope}
    if kind == Kind.EXCEPTION:
        return _("Make an exception for %(number)s") % {"number": payload.get("prisoner", "?")}
    return _("Revoke an exception for %(number)s") % {"number": (before or {}).get("prisoner", "?")}


def https_text(handling: str) -> str:
    """What inspecting or passing through a site's HTTPS means, in plain words."""
    if handling == "pass-through":
        return _(
            "Passed through: never decrypted. The gateway sees only the site's name, on port "
            "443, and cannot see which pages are opened. If the site's servers also carry "
            "other sites (a content delivery network does), a device could reach one of "
            "those through this site's name without the gateway seeing it (domain fronting)."
        )
    return _(
        "Inspected: decrypted with the gateway's certificate, which managed devices carry, "
        "so that each page is checked against the rules and recorded in full."
    )


# --- internals -------------------------------------------------------------------------------


def _site_rows(entry: dict[str, Any], categories: dict[str, str]) -> list[tuple[str, str]]:
    clearance = entry.get("min_clearance")
    rows = [
        (_("Name"), entry.get("name", "")),
        (_("Addresses"), ", ".join(entry.get("hosts") or [])),
        (_("Pages"), ", ".join(entry.get("paths") or []) or _("The whole site")),
        (
            _("Ports"),
            ", ".join(
                str(p)
                for p in sorted(
                    {*(entry.get("ports") or []), *(() if entry.get("internal") else (80, 443))}
                )
            ),
        ),
        (_("HTTPS"), https_text(entry.get("https") or "inspect")),
        (
            _("Internal service"),
            _("Yes: it may be on a network the gateway refuses for every other site")
            if entry.get("internal")
            else _("No"),
        ),
        (_("Category"), categories.get(entry.get("category", ""), entry.get("category", ""))),
        (
            _("Minimum clearance"),
            str(Clearance[clearance].label) if clearance in Clearance.names else _("None"),
        ),
        (_("Review by"), _date(entry.get("review_by")) or _("No date")),
    ]
    if "retired" in entry:
        rows.append((_("Status"), _("Retired") if entry["retired"] else _("In the catalogue")))
    return rows


def _rule_rows(entry: dict[str, Any], categories: dict[str, str]) -> list[tuple[str, str]]:
    effect = "allow" if "allow" in entry else "forbid"
    return [
        (_("Rule id"), entry.get("id", "")),
        (_("Effect"), _("Allow") if effect == "allow" else _("Forbid")),
        (_("Categories"), _category_list(entry.get(effect), categories)),
        (_("Who"), _capfirst(_who(entry.get("when") or {}))),
        (_("When"), _hours(entry["hours"]) if entry.get("hours") else _("At any time")),
        (_("Where"), _places(entry["locations"]) if entry.get("locations") else _("Anywhere")),
        (_("Reason shown to prisoners"), entry.get("description") or _("The standard wording")),
    ]


def _exception_rows(entry: dict[str, Any], categories: dict[str, str]) -> list[tuple[str, str]]:
    effect = "allow" if "allow" in entry else "forbid"
    target = entry.get(effect) or {}
    if "site" in target:
        what = _("the site %(name)s") % {"name": target["site"]}
    else:
        code = target.get("category", "")
        what = _("%(name)s sites") % {"name": categories.get(code, code)}
    rows = [
        (_("Prisoner"), entry.get("prisoner", "")),
        (
            _("Effect"),
            (_("Allow %(what)s") if effect == "allow" else _("Forbid %(what)s")) % {"what": what},
        ),
        (_("Until"), _date(entry.get("until")) or "–"),
        (_("Reason"), entry.get("reason", "")),
    ]
    if "revoked" in entry:
        rows.append((_("Status"), _("Revoked") if entry["revoked"] else _("In force")))
    return rows


def _category_list(value: Any, categories: dict[str, str]) -> str:
    if value is None:
        return "–"
    codes = [value] if isinstance(value, str) else list(value)
    if ALL in codes:
        return _("every category of site")
    names = [categories.get(code, code) for code in codes]
    return _("%(names)s sites") % {"names": _and(names)}


def _who(when: dict[str, Any]) -> str:
    parts = []
    labels: tuple[tuple[str, dict[str, str], str], ...] = (
        ("category", dict(SecurityCategory.choices), _("in %(values)s")),
        ("incentive_level", dict(IncentiveLevel.choices), _("on %(values)s")),
        ("legal_status", dict(LegalStatus.choices), _("with legal status %(values)s")),
        ("establishment", {}, _("held at %(values)s")),
        ("alert", {}, _("with an alert: %(values)s")),
    )
    for key, names, text in labels:
        values = when.get(key)
        if values:
            values = [values] if isinstance(values, str) else values
            if key == "incentive_level":  # lowest first, as staff think of them
                values = sorted(
                    values, key=lambda v: INCENTIVE_ORDER.index(v) if v in INCENTIVE_ORDER else 99
                )
            parts.append(text % {"values": _or([str(names.get(v, v)) for v in values])})
    if when.get("youth") is True:
        parts.append(_("under 18"))
    elif when.get("youth") is False:
        parts.append(_("aged 18 or over"))
    if not parts:
        return _("everyone")
    return _("people %(conditions)s") % {"conditions": ", ".join(parts)}


def _hours(text: str) -> str:
    try:
        return describe(parse_hours(text))
    except HoursError:
        return text


def _places(kinds: list[str]) -> str:
    labels = dict(LocationKind.choices)
    return _or([str(labels.get(kind, kind)).lower() for kind in kinds])


def _date(value: Any) -> str:
    day = parse_date(value) if isinstance(value, str) else value
    return date_format(day, "j F Y") if day else ""


def _and(items: list[str]) -> str:
    if len(items) < 2:
        return "".join(items)
    return _("%(first)s and %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


def _or(items: list[str]) -> str:
    if len(items) < 2:
        return "".join(items)
    return _("%(first)s or %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


def _capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


# What each of this app's audit actions means, for the timeline and the event page
# (gathered by audit.labels); an action not listed is shown by its code.
AUDIT_ACTIONS: dict[str, Promise] = {
    "policy.import": gettext_lazy("Policy imported"),
    "policy.category.save": gettext_lazy("Site category saved"),
    "policy.site.approve": gettext_lazy("Site approved for the catalogue"),
    "policy.site.retire": gettext_lazy("Site retired from the catalogue"),
    "policy.rule.save": gettext_lazy("Access rule saved"),
    "policy.rule.delete": gettext_lazy("Access rule removed"),
    "policy.exception.grant": gettext_lazy("Policy exception granted"),
    "policy.exception.revoke": gettext_lazy("Policy exception revoked"),
    "policy.proposal.create": gettext_lazy("Policy change proposed"),
    "policy.proposal.approve": gettext_lazy("Policy change approved and applied"),
    "policy.proposal.reject": gettext_lazy("Policy change rejected"),
    "policy.proposal.withdraw": gettext_lazy("Policy change withdrawn"),
    "policy.site_request.create": gettext_lazy("Site requested by a prisoner"),
    "policy.site_request.decline": gettext_lazy("Site request declined"),
    "policy.site_request.propose": gettext_lazy("Site request proposed for the catalogue"),
}


# A site request's progress as the prisoner reads it (see portal_sites.progress): the
# words for its tag, the tag's colour, and a sentence on what happens next.
SITE_REQUEST_PROGRESS: dict[str, tuple[Promise, str, Promise]] = {
    "open": (
        gettext_lazy("Waiting for staff"),
        "govuk-tag--blue",
        gettext_lazy("Staff have not looked at your request yet."),
    ),
    "proposed": (
        gettext_lazy("Sent for approval"),
        "govuk-tag--yellow",
        gettext_lazy(
            "Staff think this website could be useful. Another member of staff must agree "
            "before you can use it."
        ),
    ),
    "approved": (
        gettext_lazy("Approved"),
        "govuk-tag--green",
        gettext_lazy(
            "The website has been added. Look at ‘What I can use’ to see when you can use it."
        ),
    ),
    "rejected": (
        gettext_lazy("Not approved"),
        "govuk-tag--grey",
        gettext_lazy("Staff checked the website and did not add it."),
    ),
    "declined": (
        gettext_lazy("Staff said no"),
        "govuk-tag--grey",
        gettext_lazy("Staff will not add this website."),
    ),
}
