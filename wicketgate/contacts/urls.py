from django.urls import path

from wicketgate.contacts import views

app_name = "contacts"

urlpatterns = [
    path(
        "staff/establishments/<str:code>/contact-settings",
        views.contact_settings,
        name="settings",
    ),
    path(
        "staff/contacts/<int:pk>/identity-images/<int:image>",
        views.identity_image,
        name="identity-image",
    ),
]
