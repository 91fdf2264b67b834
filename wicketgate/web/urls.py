from django.urls import path

from wicketgate.web import health
from wicketgate.web.views import (
    auth,
    family,
    home,
    portal,
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
    # Prisoners, on in-cell laptops and wing kiosks
    path("portal/", portal.home, name="portal-home"),
    path("portal/sign-in", portal.sign_in, name="portal-sign-in"),
    path("portal/sign-out", portal.sign_out, name="portal-sign-out"),
    # Families and friends
    path("family/", family.home, name="family-home"),
    path("family/sign-in", family.sign_in, name="family-sign-in"),
    path("family/sign-out", family.sign_out, name="family-sign-out"),
]
