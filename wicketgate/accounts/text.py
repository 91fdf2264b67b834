"""Accounts in words."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# What each of this app's audit actions means, for the timeline and the event page
# (gathered by audit.labels); an action not listed is shown by its code.
AUDIT_ACTIONS: dict[str, Promise] = {
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
}
