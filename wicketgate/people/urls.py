"""The prisoner pages' addresses."""

from django.urls import path

from wicketgate.people.views import staff, staff_changes

app_name = "people"

urlpatterns = [
    path("staff/prisoners/", staff.prisoner_list, name="prisoners"),
    path("staff/prisoners/<str:prison_number>/", staff.prisoner_profile, name="prisoner"),
    path(
        "staff/prisoners/<str:prison_number>/alerts/new",
        staff_changes.add_alert,
        name="prisoner-add-alert",
    ),
    path(
        "staff/prisoners/<str:prison_number>/alerts/<int:alert_id>/end",
        staff_changes.end_alert,
        name="prisoner-end-alert",
    ),
    path(
        "staff/prisoners/<str:prison_number>/incentive-review",
        staff_changes.review_incentive,
        name="prisoner-review-incentive",
    ),
    path("staff/prisoners/<str:prison_number>/move", staff_changes.move, name="prisoner-move"),
    path(
        "staff/prisoners/<str:prison_number>/account/unlock",
        staff_changes.unlock_account,
        name="prisoner-unlock-account",
    ),
    path(
        "staff/prisoners/<str:prison_number>/account/devices/<int:device_pk>/unlock",
        staff_changes.unlock_device,
        name="prisoner-unlock-device",
    ),
]
