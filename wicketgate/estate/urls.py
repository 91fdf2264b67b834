"""The establishment pages' addresses."""

from django.urls import path

from wicketgate.estate.views import staff

app_name = "estate"

urlpatterns = [
    path(
        "staff/establishments/<str:code>/",
        staff.establishment_detail,
        name="establishment",
    ),
]
