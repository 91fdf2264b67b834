from django.apps import AppConfig


class Config(AppConfig):
    name = "wicketgate.audit"
    label = "audit"
