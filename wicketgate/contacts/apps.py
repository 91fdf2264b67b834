from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "wicketgate.contacts"
    verbose_name = "Family and official contacts"
    default_auto_field = "django.db.models.BigAutoField"
