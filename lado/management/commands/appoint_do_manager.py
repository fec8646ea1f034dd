from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from lado.services import appoint_do_manager
from people.models import User
from workflows.exceptions import TransitionRefused


class Command(BaseCommand):
    help = ("Make someone the DO Manager when there is no active one (first set-up, or the last one has "
            "left). Recorded on the DO roles' audit trail. While there is a DO Manager, only they give DO roles, "
            "in the Designated Officer area.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="Why, for the record: e.g. 'Appointed by the DCS, 1 April'.")

    def handle(self, *args, username, reason, **options):
        person = User.objects.filter(username=username).first()
        if person is None:
            raise CommandError(f"No one has the username {username!r}.")
        try:
            appoint_do_manager(person=person, reason=reason)
        except TransitionRefused as exc:
            raise CommandError(exc.message)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))
        self.stdout.write(self.style.SUCCESS(
            f"{person.username} is now the DO Manager. They set up two-step verification at their next sign-in."))
