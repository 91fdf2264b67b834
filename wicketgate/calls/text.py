"""Video calls in words."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# What each of this app's audit actions means, for the timeline and the event page
# (gathered by audit.labels); an action not listed is shown by its code.
AUDIT_ACTIONS: dict[str, Promise] = {
    "calls.booking.create": _("Video call booked"),
    "calls.booking.cancel": _("Video call cancelled"),
    "calls.session.add": _("Video-call session added"),
    "calls.session.deactivate": _("Video-call session no longer offered"),
    "calls.settings.change": _("Video-call settings changed"),
    "calls.call.open": _("Video call opened"),
    "calls.call.end": _("Video call ended by staff"),
    "calls.call.moderate": _("Someone muted or unmuted on a video call"),
    "calls.call.note": _("Note made on a video call"),
    "calls.janus.joined": _("Joined a video call"),
    "calls.janus.webrtcup": _("Video call connected"),
    "calls.janus.leaving": _("Left a video call"),
    "calls.janus.hangup": _("Video call connection closed"),
    "calls.recording.make": _("Video call recorded"),
    "calls.recording.view": _("Video call recording played"),
    "calls.recording.delete": _("Video call recording deleted"),
}
