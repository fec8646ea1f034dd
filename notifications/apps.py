from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """One way to tell a person something: an in-app notification and an email."""

    name = "notifications"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deploy check)
