from django.apps import AppConfig


class Config(AppConfig):
    name = "wicketgate.web"
    label = "web"
