from django.apps import AppConfig


class DrpConfig(AppConfig):
    name = "drp"
    verbose_name = "Dispute Resolution Procedure"

    def ready(self):
        from .reminders import register_deadlines

        register_deadlines()
