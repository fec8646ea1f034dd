from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The access log viewer: who read or changed which case (IRO Managers, DO Manager)."""

    name = "audit"
    verbose_name = "Access log"
