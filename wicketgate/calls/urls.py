from django.urls import path

from wicketgate.calls import events
from wicketgate.calls.views import call, family, portal, staff, staff_settings

app_name = "calls"

urlpatterns = [
    path("staff/video-calls/", staff.bookings, name="staff-calls"),
    path("staff/video-calls/<int:pk>/cancel", staff.cancel, name="staff-call-cancel"),
    path("staff/video-calls/live/", staff.live, name="staff-calls-live"),
    path(
        "staff/establishments/<str:code>/video-calls/sessions/",
        staff_settings.sessions,
        name="staff-call-sessions",
    ),
    path(
        "staff/establishments/<str:code>/video-calls/sessions/<int:pk>/deactivate",
        staff_settings.deactivate_session,
        name="staff-call-session-deactivate",
    ),
    path(
        "staff/establishments/<str:code>/video-calls/settings",
        staff_settings.call_settings,
        name="staff-call-settings",
    ),
    path(
        "staff/prisoners/<str:prison_number>/video-calls/book",
        staff.book,
        name="staff-call-book",
    ),
    path("portal/video-calls/", portal.my_calls, name="portal-calls"),
    path("family/video-calls/", family.my_calls, name="family-calls"),
    path("family/video-calls/book", family.choose_prisoner, name="family-call-choose"),
    path("family/video-calls/book/<int:pk>", family.book, name="family-call-book"),
    path("family/video-calls/<int:pk>/cancel", family.cancel, name="family-call-cancel"),
    path("family/calls/<int:pk>/", call.family_call, name="family-call"),
    path("family/calls/<int:pk>/tokens", call.family_tokens, name="family-tokens"),
    path("portal/calls/<int:pk>/", call.prisoner_call, name="prisoner-call"),
    path("portal/calls/<int:pk>/tokens", call.prisoner_tokens, name="prisoner-tokens"),
    path("staff/calls/<int:pk>/", call.staff_watch, name="staff-watch"),
    path("staff/calls/<int:pk>/tokens", call.staff_tokens, name="staff-tokens"),
    path("staff/calls/<int:pk>/end", call.staff_end, name="staff-end"),
    path("staff/calls/<int:pk>/moderate", call.staff_moderate, name="staff-moderate"),
    path("staff/calls/<int:pk>/notes", call.staff_note, name="staff-note"),
    path(
        "staff/calls/<int:pk>/recordings/<int:recording>",
        call.staff_recording,
        name="staff-recording",
    ),
    path("calls/janus-events/<str:key>", events.janus_events, name="janus-events"),
]
