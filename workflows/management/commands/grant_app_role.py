from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from workflows.database import AppRoleRefused, grant_app_role


class Command(BaseCommand):
    help = ("Give the application's PostgreSQL role (the user in DATABASE_URL, or ROLE) exactly its "
            "privileges: read and write the case tables, only read and add to the audit tables, run "
            "the DO destruction function. Run as the tables' owner after every migrate "
            "(FOOTPRINT_DATABASE_AS_OWNER=1 with DATABASE_OWNER_URL); see docs/deployment.md.")

    def add_arguments(self, parser):
        parser.add_argument("role", nargs="?", help="the application's role (default: DATABASE_URL's user)")

    def handle(self, *args, role=None, **options):
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.vendor != "postgresql":
            self.stdout.write("Not PostgreSQL: there are no database roles to set up.")
            return
        role = role or settings.DATABASE_APP_ROLE
        if role == connection.settings_dict.get("USER"):
            # One role for everything (a demo, or not yet split): nothing to grant, say so.
            self.stdout.write(self.style.WARNING(
                f"Footprint connects to the database as {role}, which owns the tables: the audit tables "
                "are append-only by their triggers alone. Set DATABASE_OWNER_URL to separate the roles "
                "(docs/deployment.md)."))
            return
        try:
            granted = grant_app_role(role)
        except AppRoleRefused as refused:
            raise CommandError(str(refused)) from refused
        for warning in granted.warnings:
            self.stdout.write(self.style.WARNING(warning))
        self.stdout.write(self.style.SUCCESS(
            f"{granted.role}: read and write {len(granted.case_tables)} tables, read and add to "
            f"{len(granted.audit_tables)} audit tables ({', '.join(granted.audit_tables)}), "
            f"run {', '.join(granted.functions) or 'no function'}; the tables belong to {granted.owner}."))
