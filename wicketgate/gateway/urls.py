"""The gateway's pages' addresses. ``portal/blocked`` is where Squid sends a refused
request (``deny_info`` in squid.conf): keep that address."""

from django.urls import path

from wicketgate.gateway.views import portal, staff

app_name = "gateway"

urlpatterns = [
    path(
        "staff/prisoners/<str:prison_number>/browsing/",
        staff.browsing_history,
        name="prisoner-browsing",
    ),
    path(
        "staff/establishments/<str:code>/devices/",
        staff.devices,
        name="establishment-devices",
    ),
    path(
        "staff/establishments/<str:code>/devices/new",
        staff.register_device,
        name="device-register",
    ),
    path(
        "staff/establishments/<str:code>/devices/<int:device_pk>/retire",
        staff.retire_device,
        name="device-retire",
    ),
    path(
        "staff/establishments/<str:code>/sessions/<int:session_id>/end",
        staff.end_session,
        name="device-session-end",
    ),
    path(
        "staff/establishments/<str:code>/lockdowns/new",
        staff.start_lockdown,
        name="lockdown-start",
    ),
    path(
        "staff/establishments/<str:code>/lockdowns/<int:lockdown_id>/lift",
        staff.lift_lockdown,
        name="lockdown-lift",
    ),
    path(
        "staff/establishments/<str:code>/blocked/",
        staff.blocked,
        name="establishment-blocked",
    ),
    path("portal/blocked", portal.blocked, name="portal-blocked"),
    path("portal/blocked-attempts/", portal.blocked_attempts, name="portal-blocked-attempts"),
]
