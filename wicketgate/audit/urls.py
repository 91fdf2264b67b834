"""The audit log pages' addresses."""

from django.urls import path

from wicketgate.audit.views import staff

app_name = "audit"

urlpatterns = [
    path(
        "staff/prisoners/<str:prison_number>/timeline/",
        staff.prisoner_timeline,
        name="prisoner-timeline",
    ),
    path("staff/audit/", staff.audit_search, name="audit"),
    path("staff/audit/export", staff.audit_export, name="audit-export"),
    path("staff/audit/events/<int:seq>/", staff.audit_event, name="audit-event"),
]
