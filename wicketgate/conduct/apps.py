from django.apps import AppConfig


class ConductConfig(AppConfig):
    name = "wicketgate.conduct"
    verbose_name = "Incidents, adjudications and sanctions"
    default_auto_field = "django.db.models.BigAutoField"
