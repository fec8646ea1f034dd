from django.apps import AppConfig


class LadoConfig(AppConfig):
    """Designated Officer (formerly LADO) casework: allegations against people who work with children."""

    name = "lado"
    verbose_name = "Designated Officer"

    def ready(self):
        from .reminders import register_deadlines

        register_deadlines()
