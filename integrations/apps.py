from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """What other systems build on: safe retries (Idempotency-Key), the events log, its changes
    feed and signed webhooks."""

    name = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        from . import events

        events.connect_timelines()
