from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    """What every workflow shares: calendar, clocks, timeline records, transitions."""

    name = "workflows"
    verbose_name = "Workflows: calendar and clocks"

    def ready(self):
        from . import signals  # noqa: F401
