from django.apps import AppConfig


class PhoneConfig(AppConfig):
    name = "wicketgate.phone"
    verbose_name = "Phone calls"
    default_auto_field = "django.db.models.BigAutoField"
