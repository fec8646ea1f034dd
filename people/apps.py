from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """Staff, their roles and the social-care line-management tree."""

    name = "people"
    verbose_name = "People and organisation"

    def ready(self):
        from . import middleware, schema, tokens, two_step  # noqa: F401  (signal receivers, schema)
