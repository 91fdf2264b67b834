from django.urls import path

from wicketgate.contacts.views import family, portal, staff, staff_settings

app_name = "contacts"

urlpatterns = [
    path(
        "staff/prisoners/<str:prison_number>/contacts/",
        staff.prisoner_contacts,
        name="prisoner-contacts",
    ),
    path(
        "staff/prisoners/<str:prison_number>/contacts/official",
        staff.add_official,
        name="prisoner-add-official",
    ),
    path("staff/contacts/", staff.queue, name="contacts"),
    path("staff/contacts/<int:pk>/", staff.link_detail, name="contact-link"),
    path(
        "staff/contacts/<int:pk>/identity-checked",
        staff.check_identity,
        name="contact-check-identity",
    ),
    path("staff/contacts/<int:pk>/approve", staff.approve, name="contact-approve"),
    path("staff/contacts/<int:pk>/refuse", staff.refuse, name="contact-refuse"),
    path("staff/contacts/<int:pk>/revoke", staff.revoke, name="contact-revoke"),
    path("staff/contacts/<int:pk>/victim", staff.set_victim, name="contact-victim"),
    path(
        "staff/contacts/<int:pk>/restrictions/new",
        staff.add_restriction,
        name="contact-restriction-new",
    ),
    path(
        "staff/contacts/restrictions/<int:pk>/end",
        staff.end_restriction,
        name="contact-restriction-end",
    ),
    path("portal/contacts/", portal.my_contacts, name="portal-contacts"),
    path("portal/contacts/<int:pk>/confirm", portal.confirm, name="portal-contact-confirm"),
    path("family/register", family.register, name="family-register"),
    path("family/verify/<str:token>", family.verify, name="family-verify"),
    path("family/verify-again", family.resend, name="family-verify-again"),
    path("family/identity", family.identity, name="family-identity"),
    path("family/prisoners/", family.prisoners, name="family-prisoners"),
    path("family/prisoners/ask", family.ask, name="family-ask"),
    path(
        "family/prisoners/<int:pk>/children/new",
        family.add_child,
        name="family-add-child",
    ),
    path(
        "staff/establishments/<str:code>/contact-settings",
        staff_settings.contact_settings,
        name="settings",
    ),
    path(
        "staff/contacts/<int:pk>/identity-images/<int:image>",
        staff_settings.identity_image,
        name="identity-image",
    ),
]
