from datetime import date

from django.core.management.base import BaseCommand, CommandError

from workflows.clocks import as_of
from workflows.reminders import run_sweep


class Command(BaseCommand):
    help = "Run the reminder sweep once (what Celery beat calls) and print what was sent."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Run as if today were this date (YYYY-MM-DD).")

    def handle(self, *args, today=None, **options):
        try:
            on = date.fromisoformat(today) if today else None
        except ValueError:
            raise CommandError("--today must be a date written YYYY-MM-DD")
        if on:
            with as_of(on):
                sent = run_sweep(on)
        else:
            sent = run_sweep()
        for reminder in sent:
            self.stdout.write(str(reminder))
        self.stdout.write(self.style.SUCCESS(f"{len(sent)} reminder{'s' if len(sent) != 1 else ''} sent"))
