from django.apps import AppConfig


class Config(AppConfig):
    name = "wicketgate.people"
    label = "people"
