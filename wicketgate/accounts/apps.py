from django.apps import AppConfig


class Config(AppConfig):
    name = "wicketgate.accounts"
    label = "accounts"
