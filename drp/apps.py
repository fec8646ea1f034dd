from django.apps import AppConfig


class DrpConfig(AppConfig):
    name = "drp"
    verbose_name = "Dispute Resolution Procedure"

    def ready(self):
        from imports.registry import register

        from .importer import KIND
        from .reminders import register_deadlines

        register_deadlines()
        register(KIND)
