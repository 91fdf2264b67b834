from django.apps import AppConfig


class Config(AppConfig):
    name = "wicketgate.estate"
    label = "estate"
