from django.urls import include, path

urlpatterns = [
    path("", include("wicketgate.web.urls")),
]
