from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """Staff, their roles and the social-care line-management tree."""

    name = "people"
    verbose_name = "People and organisation"

    def ready(self):
        from . import middleware, two_step  # noqa: F401  (connect their sign-in signal receivers)
