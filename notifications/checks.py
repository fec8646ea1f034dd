"""``manage.py check --deploy``: emails carry case references and links, so they travel encrypted."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def email_is_encrypted(app_configs, **kwargs):
    if settings.EMAIL_BACKEND != "django.core.mail.backends.smtp.EmailBackend":
        return []
    if getattr(settings, "EMAIL_USE_TLS", False) or getattr(settings, "EMAIL_USE_SSL", False):
        return []
    return [checks.Warning(
        "Emails are sent to the mail server unencrypted (EMAIL_USE_TLS is off).",
        hint="Set EMAIL_USE_TLS=1 (the production default), with the server's STARTTLS port.",
        id="footprint.W001")]
