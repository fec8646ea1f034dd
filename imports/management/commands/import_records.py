import os

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from imports import registry, services
from people.models import User


class Command(BaseCommand):
    help = ("Import historical records from a CSV or XLSX file, all rows or none: "
            "import_records drp|positive_practice|lado FILE --user USERNAME [--create-children] [--dry-run]")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=registry.names())
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="The importing user (needs the role to import).")
        parser.add_argument("--create-children", action="store_true",
                            help="Create a minimal child record for each child reference Footprint lacks "
                                 "(by default such a row is an error).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Check the file and say what would be created and updated; write nothing.")

    def handle(self, *args, kind, file, user, create_children, dry_run=False, **options):
        try:
            actor = User.objects.get(username=user)
        except User.DoesNotExist:
            raise CommandError(f"There is no user “{user}”.") from None

        def progress(phase, rows):
            self.stdout.write(f"{rows} rows {phase}")

        try:
            with open(file, "rb") as handle:
                result = services.run_import(kind=kind, upload=handle, filename=os.path.basename(file), actor=actor,
                                             create_children=create_children, progress=progress, dry_run=dry_run)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"Cannot open {file}: {exc.strerror}.") from exc
        if result.errors:
            for error in result.errors:
                self.stderr.write(f"row {error['row']}, {error['column'] or '-'}: {error['message']}")
            raise CommandError(f"{len(result.errors)} error(s): nothing was imported.")
        if dry_run:
            self.stdout.write(self.style.SUCCESS(
                f"nothing written: would create {result.created}, update {result.updated}"
                + (f", and add {result.new_children} children" if result.new_children else "")))
            return
        self.stdout.write(self.style.SUCCESS(f"created {result.created}, updated {result.updated}"))
