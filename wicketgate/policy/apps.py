from django.apps import AppConfig


class Config(AppConfig):
    name = "wicketgate.policy"
    label = "policy"

    def ready(self) -> None:
        from wicketgate.policy import signals

        signals.connect()
