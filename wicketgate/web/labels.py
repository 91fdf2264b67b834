"""Words for codes, where the models' own choice labels are not enough."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

FEATURE_LABELS: dict[str, Promise] = {
    "web_access": _("Approved websites"),
    "video_calls": _("Video calls"),
    "phone_calls": _("Phone calls"),
    "messaging": _("Secure messages"),
    "learning": _("Learning"),
    "prisoner_portal": _("Prisoner portal"),
}

# What a prisoner is told is on its way: services not built yet that their establishment
# may already have switched on. Approved websites and video calls work, so they are not here.
COMING_SERVICES: dict[str, Promise] = {
    "phone_calls": _("Phone calls to the numbers staff have approved"),
    "messaging": _("Secure messages with your approved contacts"),
    "learning": _("Online courses and your learning record"),
}

# What each kind of audit event means, for the timeline and the event page. An action
# not listed here is shown by its code, which is also what the search takes.
AUDIT_ACTION_LABELS: dict[str, Promise] = {
    "accounts.sign_in": _("Signed in"),
    "accounts.sign_out": _("Signed out"),
    "accounts.staff.create": _("Staff account created"),
    "accounts.backup_codes.issue": _("Backup codes issued"),
    "accounts.family.create": _("Family account created"),
    "accounts.prisoner_pin.set": _("Device PIN set"),
    "accounts.prisoner_account.unlock": _("Wrong PINs cleared for a device account"),
    "accounts.pin_device.unlock": _("Wrong PINs cleared for a device"),
    "accounts.pin_throttle.start": _("PIN sign-ins slowed down after wrong PINs"),
    "accounts.api_token.create": _("API token created"),
    "accounts.api_token.revoke": _("API token revoked"),
    "audit.export": _("Audit events exported"),
    "estate.import": _("Establishments imported"),
    "estate.establishment.created": _("Establishment added"),
    "estate.establishment.updated": _("Establishment updated"),
    "estate.establishment.feature": _("Establishment feature turned on or off"),
    "estate.location.created": _("Location added"),
    "estate.location.updated": _("Location updated"),
    "people.import": _("Prisoners imported"),
    "people.prisoner.create": _("Prisoner record created"),
    "people.prisoner.update": _("Prisoner details updated"),
    "people.prisoner.move": _("Moved to another location"),
    "people.prisoner.transfer": _("Transferred"),
    "people.alert.add": _("Alert added"),
    "people.alert.end": _("Alert ended"),
    "people.alert.sync": _("Alerts updated from an import"),
    "people.incentive.review": _("Incentive level reviewed"),
    "policy.import": _("Policy imported"),
    "policy.category.save": _("Site category saved"),
    "policy.site.approve": _("Site approved for the catalogue"),
    "policy.site.retire": _("Site retired from the catalogue"),
    "policy.rule.save": _("Access rule saved"),
    "policy.rule.delete": _("Access rule removed"),
    "policy.exception.grant": _("Policy exception granted"),
    "policy.exception.revoke": _("Policy exception revoked"),
    "policy.proposal.create": _("Policy change proposed"),
    "policy.proposal.approve": _("Policy change approved and applied"),
    "policy.proposal.reject": _("Policy change rejected"),
    "policy.proposal.withdraw": _("Policy change withdrawn"),
    "policy.site_request.create": _("Site requested by a prisoner"),
    "policy.site_request.decline": _("Site request declined"),
    "policy.site_request.propose": _("Site request proposed for the catalogue"),
    "gateway.request": _("Web request through the gateway"),
    "gateway.device.register": _("Device registered on the gateway"),
    "gateway.device.retire": _("Device retired from the gateway"),
    "gateway.session.open": _("Device session opened"),
    "gateway.session.close": _("Device session closed"),
    "gateway.lockdown.start": _("Lockdown started"),
    "gateway.lockdown.end": _("Lockdown lifted"),
    "conduct.incident.report": _("Incident reported"),
    "conduct.incident.referred": _("Referred to the independent adjudicator"),
    "conduct.incident.hearing_scheduled": _("Hearing scheduled"),
    "conduct.incident.proved": _("Found proved"),
    "conduct.incident.not_proved": _("Found not proved"),
    "conduct.incident.dismissed": _("Dismissed"),
    "conduct.incident.appealed": _("Appeal lodged"),
    "conduct.incident.upheld": _("Appeal refused: finding upheld"),
    "conduct.incident.quashed": _("Quashed on appeal"),
    "conduct.sanction.add": _("Sanction given"),
    "conduct.sanction.activate": _("Suspended sanction activated"),
    "conduct.sanction.deactivate": _(
        "Sanction suspended again (its activating charge was quashed)"
    ),
    "conduct.sanction.quash": _("Sanction quashed"),
    "conduct.alert.raise": _("Conduct alert raised"),
    "conduct.alert.dismiss": _("Conduct alert dismissed"),
    "conduct.alert.incident": _("Conduct alert made an incident"),
    "conduct.trigger.change": _("Conduct alert trigger changed"),
}

# A site request's progress as the prisoner reads it (see portal_sites.progress): the
# words for its tag, the tag's colour, and a sentence on what happens next.
SITE_REQUEST_PROGRESS: dict[str, tuple[Promise, str, Promise]] = {
    "open": (
        _("Waiting for staff"),
        "govuk-tag--blue",
        _("Staff have not looked at your request yet."),
    ),
    "proposed": (
        _("Sent for approval"),
        "govuk-tag--yellow",
        _(
            "Staff think this website could be useful. Another member of staff must agree "
            "before you can use it."
        ),
    ),
    "approved": (
        _("Approved"),
        "govuk-tag--green",
        _("The website has been added. Look at ‘What I can use’ to see when you can use it."),
    ),
    "rejected": (
        _("Not approved"),
        "govuk-tag--grey",
        _("Staff checked the website and did not add it."),
    ),
    "declined": (_("Staff said no"), "govuk-tag--grey", _("Staff will not add this website.")),
}
