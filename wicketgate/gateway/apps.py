from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "wicketgate.gateway"
    verbose_name = "Web gateway"
    default_auto_field = "django.db.models.BigAutoField"
