import os

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from imports import registry, services
from people.models import User


class Command(BaseCommand):
    help = ("Import historical records from a CSV or XLSX file, all rows or none: "
            "import_records drp|positive_practice|lado FILE --user USERNAME [--create-children]")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=registry.names())
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="The importing user (needs the role to import).")
        parser.add_argument("--create-children", action="store_true",
                            help="Create a minimal child record for each child reference Footprint lacks "
                                 "(by default such a row is an error).")

    def handle(self, *args, kind, file, user, create_children, **options):
        try:
            actor = User.objects.get(username=user)
        except User.DoesNotExist:
            raise CommandError(f"There is no user “{user}”.") from None

        def progress(phase, rows):
            self.stdout.write(f"{rows} rows {phase}")

        try:
            with open(file, "rb") as handle:
                result = services.run_import(kind=kind, upload=handle, filename=os.path.basename(file), actor=actor,
                                             create_children=create_children, progress=progress)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"Cannot open {file}: {exc.strerror}.") from exc
        if result.errors:
            for error in result.errors:
                self.stderr.write(f"row {error['row']}, {error['column'] or '-'}: {error['message']}")
            raise CommandError(f"{len(result.errors)} error(s): nothing was imported.")
        self.stdout.write(self.style.SUCCESS(f"created {result.created}, updated {result.updated}"))
