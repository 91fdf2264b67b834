from django.urls import path

from wicketgate.calls import events, views

app_name = "calls"

urlpatterns = [
    path("family/calls/<int:pk>/", views.family_call, name="family-call"),
    path("family/calls/<int:pk>/tokens", views.family_tokens, name="family-tokens"),
    path("portal/calls/<int:pk>/", views.prisoner_call, name="prisoner-call"),
    path("portal/calls/<int:pk>/tokens", views.prisoner_tokens, name="prisoner-tokens"),
    path("staff/calls/<int:pk>/", views.staff_watch, name="staff-watch"),
    path("staff/calls/<int:pk>/tokens", views.staff_tokens, name="staff-tokens"),
    path("staff/calls/<int:pk>/end", views.staff_end, name="staff-end"),
    path("staff/calls/<int:pk>/moderate", views.staff_moderate, name="staff-moderate"),
    path("staff/calls/<int:pk>/notes", views.staff_note, name="staff-note"),
    path(
        "staff/calls/<int:pk>/recordings/<int:recording>",
        views.staff_recording,
        name="staff-recording",
    ),
    path("calls/janus-events/<str:key>", events.janus_events, name="janus-events"),
]
