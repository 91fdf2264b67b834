from django.apps import AppConfig


class PhoneConfig(AppConfig):
    name = "wicketgate.phone"
    verbose_name = "Phone calls"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from wicketgate.phone.listening import stop_listenings_of

        # Signing out stops whatever that member of staff was listening to.
        user_logged_out.connect(stop_listenings_of, dispatch_uid="phone-listenings-sign-out")
