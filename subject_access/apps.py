from django.apps import AppConfig


class SubjectAccessConfig(AppConfig):
    """Subject access requests: every record about a child or a DO subject, redacted, released."""

    name = "subject_access"
    verbose_name = "Subject access requests"
