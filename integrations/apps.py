from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """What other systems build on: safe retries (Idempotency-Key), the events log, its changes
    feed and signed webhooks."""

    name = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        from . import events

        events.connect_timelines()
        from django.db.models.signals import post_delete

        from lado.models import Enquiry

        post_delete.connect(_forget_destroyed_enquiry, sender=Enquiry, dispatch_uid="integrations-forget-enquiry")


def _forget_destroyed_enquiry(sender, instance, **kwargs):
    """Retry answers naming a destroyed DO case go with it (``integrations.idempotency``)."""
    from .idempotency import forget_destroyed_enquiry

    forget_destroyed_enquiry(instance.pk)
