import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from people.models import User
from people.services import remove_authenticator


class Command(BaseCommand):
    help = ("Remove someone's authenticator app (they lost their phone), recorded with who did it and why. "
            "They set up a new one at their next sign-in; they and, for the DO team, the DO Managers are told.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="Why, for the record: e.g. 'Phone lost, ID checked'.")
        parser.add_argument("--by", default="", help="Your name, for the record (default: your login name).")

    def handle(self, *args, username, reason, by, **options):
        person = User.objects.filter(username=username).first()
        if person is None:
            raise CommandError(f"No one has the username {username!r}.")
        try:
            removal = remove_authenticator(person=person, removed_by=by or getpass.getuser(), reason=reason)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))
        self.stdout.write(self.style.SUCCESS(
            f"Removed {removal.devices} authenticator app{'s' if removal.devices != 1 else ''} of {person.username}; "
            "they set up a new one at their next sign-in."))
