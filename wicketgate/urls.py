from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("wicketgate.api.urls")),
    path("", include("wicketgate.calls.urls")),
    path("", include("wicketgate.phone.urls")),
    path("", include("wicketgate.learning.urls")),
    path("", include("wicketgate.contacts.urls")),
    path("", include("wicketgate.conduct.urls")),
    path("", include("wicketgate.gateway.urls")),
    path("", include("wicketgate.policy.urls")),
    path("", include("wicketgate.people.urls")),
    path("", include("wicketgate.audit.urls")),
    path("", include("wicketgate.estate.urls")),
    path("", include("wicketgate.web.urls")),
]
