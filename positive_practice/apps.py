from django.apps import AppConfig


class PositivePracticeConfig(AppConfig):
    """Good practice recorded by IROs and Chairs, so service learning covers what works."""

    name = "positive_practice"
    verbose_name = "Positive practice"

    def ready(self):
        from imports.registry import register

        from .importer import KIND

        register(KIND)
