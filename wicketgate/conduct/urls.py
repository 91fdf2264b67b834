"""The conduct pages' addresses: staff (incidents, sanctions, alerts and their triggers)
and the prisoner portal's "My sanctions"."""

from django.urls import path

from wicketgate.conduct.views import portal, staff, staff_alerts

app_name = "conduct"

urlpatterns = [
    path(
        "staff/prisoners/<str:prison_number>/conduct/",
        staff.prisoner_conduct,
        name="prisoner-conduct",
    ),
    path(
        "staff/establishments/<str:code>/alert-triggers/",
        staff_alerts.alert_triggers,
        name="conduct-triggers",
    ),
    path(
        "staff/establishments/<str:code>/alert-triggers/<str:kind>",
        staff_alerts.change_alert_trigger,
        name="conduct-trigger-change",
    ),
    path("staff/conduct/", staff.incident_list, name="conduct-incidents"),
    path("staff/conduct/incidents/new", staff.report_incident, name="conduct-incident-new"),
    path("staff/conduct/incidents/<int:pk>/", staff.incident_detail, name="conduct-incident"),
    path(
        "staff/conduct/incidents/<int:pk>/move",
        staff.move_incident,
        name="conduct-incident-move",
    ),
    path(
        "staff/conduct/incidents/<int:pk>/sanctions/new",
        staff.add_sanction,
        name="conduct-sanction-new",
    ),
    path(
        "staff/conduct/sanctions/<int:pk>/activate",
        staff.activate_sanction,
        name="conduct-sanction-activate",
    ),
    path(
        "staff/conduct/sanctions/<int:pk>/quash",
        staff.quash_sanction,
        name="conduct-sanction-quash",
    ),
    path("staff/conduct/alerts/", staff_alerts.alert_queue, name="conduct-alerts"),
    path(
        "staff/conduct/alerts/<int:pk>/dismiss",
        staff_alerts.dismiss_alert,
        name="conduct-alert-dismiss",
    ),
    path(
        "staff/conduct/alerts/<int:pk>/incident",
        staff_alerts.alert_to_incident,
        name="conduct-alert-incident",
    ),
    path("portal/sanctions/", portal.my_sanctions, name="portal-sanctions"),
    path(
        "portal/sanctions/incidents/<int:pk>/appeal",
        portal.appeal,
        name="portal-appeal",
    ),
]
