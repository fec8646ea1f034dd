from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from demo import builders
from demo.lado_builders import build_enquiries
from notifications.services import history_only


class Command(BaseCommand):
    help = ("Load the demo organisation, accounts (password footprint-demo), children, DRPs, "
            "DO enquiries and positive practice.")

    def handle(self, *args, **options):
        if not settings.FOOTPRINT_DEMO:
            raise CommandError("Demo data is only loaded in demo mode: set FOOTPRINT_DEMO=1.")
        # Eighteen months of history: its notifications are in the app only, marked as emailed,
        # so nothing is queued (with a broker set, workers would otherwise email them all) and no
        # digest or catch-up job picks them up. The dummy backend catches any other email.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), \
                history_only(), transaction.atomic():
            users = builders.build_people()
            children = builders.build_children(users)
            drps = builders.build_drps(users, children)
            enquiries = build_enquiries(users, children)
            positive = builders.build_positive_practice(users, children)
        self.stdout.write(self.style.SUCCESS(
            f"Demo ready: {len(users)} accounts (password {builders.DEMO_PASSWORD}), "
            f"{len(children)} children, {drps} new DRPs, {enquiries} new DO enquiries, "
            f"{positive} new positive practice records."))
