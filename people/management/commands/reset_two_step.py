"""manage.py reset_two_step <username>: remove a person's authenticator app (a lost phone).

The only way an administrator changes someone's two-step verification: the admin has no
authenticator pages, so nobody can make an authenticator for someone else or see its secret.
The person's API tokens are revoked with it, and their next page asks them to set up a new
authenticator (signing in needs their password as before).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Remove a person's authenticator app so that they set up a new one at next sign-in."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No one has the username {username!r}.")
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        self.stdout.write(f"Removed {removed} authenticator(s) of {username}; their API tokens "
                          "were revoked and they will set up a new authenticator at next sign-in.")
