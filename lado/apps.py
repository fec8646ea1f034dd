from django.apps import AppConfig


class LadoConfig(AppConfig):
    """Designated Officer (formerly LADO) casework: allegations against people who work with children."""

    name = "lado"
    verbose_name = "Designated Officer"

    def ready(self):
        from imports.registry import register

        from .importer import KIND
        from .reminders import register_deadlines

        register_deadlines()
        register(KIND)
