from django.urls import path

from wicketgate.web import health
from wicketgate.web.views import (
    audit,
    auth,
    establishments,
    family,
    home,
    portal,
    prisoner_changes,
    prisoners,
)

app_name = "web"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", home.root, name="root"),
    # Staff
    path("staff/", home.home, name="home"),
    path("staff/sign-in", auth.sign_in, name="sign-in"),
    path("staff/sign-out", auth.sign_out, name="sign-out"),
    path("staff/establishment", home.switch_establishment, name="switch-establishment"),
    path("staff/prisoners/", prisoners.prisoner_list, name="prisoners"),
    path("staff/prisoners/<str:prison_number>/", prisoners.prisoner_profile, name="prisoner"),
    path(
        "staff/prisoners/<str:prison_number>/alerts/new",
        prisoner_changes.add_alert,
        name="prisoner-add-alert",
    ),
    path(
        "staff/prisoners/<str:prison_number>/alerts/<int:alert_id>/end",
        prisoner_changes.end_alert,
        name="prisoner-end-alert",
    ),
    path(
        "staff/prisoners/<str:prison_number>/incentive-review",
        prisoner_changes.review_incentive,
        name="prisoner-review-incentive",
    ),
    path("staff/prisoners/<str:prison_number>/move", prisoner_changes.move, name="prisoner-move"),
    path(
        "staff/prisoners/<str:prison_number>/timeline/",
        audit.prisoner_timeline,
        name="prisoner-timeline",
    ),
    path(
        "staff/prisoners/<str:prison_number>/account/unlock",
        prisoner_changes.unlock_account,
        name="prisoner-unlock-account",
    ),
    path(
        "staff/prisoners/<str:prison_number>/account/devices/<int:device_pk>/unlock",
        prisoner_changes.unlock_device,
        name="prisoner-unlock-device",
    ),
    path(
        "staff/establishments/<str:code>/",
        establishments.establishment_detail,
        name="establishment",
    ),
    path("staff/audit/", audit.audit_search, name="audit"),
    path("staff/audit/export", audit.audit_export, name="audit-export"),
    path("staff/audit/events/<int:seq>/", audit.audit_event, name="audit-event"),
    # Prisoners, on in-cell laptops and wing kiosks
    path("portal/", portal.home, name="portal-home"),
    path("portal/sign-in", portal.sign_in, name="portal-sign-in"),
    path("portal/sign-out", portal.sign_out, name="portal-sign-out"),
    # Families and friends
    path("family/", family.home, name="family-home"),
    path("family/sign-in", family.sign_in, name="family-sign-in"),
    path("family/sign-out", family.sign_out, name="family-sign-out"),
]
