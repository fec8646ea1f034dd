from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo import builders


class Command(BaseCommand):
    help = "Load the demo organisation, accounts (password footprint-demo), children and DRPs."

    def handle(self, *args, **options):
        if not settings.FOOTPRINT_DEMO:
            raise CommandError("Demo data is only loaded in demo mode: set FOOTPRINT_DEMO=1.")
        with transaction.atomic():
            users = builders.build_people()
            children = builders.build_children(users)
            drps = builders.build_drps(users, children)
        self.stdout.write(self.style.SUCCESS(
            f"Demo ready: {len(users)} accounts (password {builders.DEMO_PASSWORD}), "
            f"{len(children)} children, {drps} new DRPs."))
