"""Finding a child by part of a name or reference (``name__icontains``, ``UPPER(name) LIKE
UPPER('%…%')``) among a million children: trigram GIN indexes, on PostgreSQL only (pg_trgm is a
trusted extension, so the database owner may create it). Elsewhere nothing is done: SQLite
serves development only."""

from django.db import migrations

INDEXES = (
    ("children_child_name_trgm", "name"),
    ("children_child_reference_trgm", "reference"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "children_child" USING gin (UPPER("{column}"::text) gin_trgm_ops)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("children", "0004_child_case_type")]
    operations = [migrations.RunPython(create, drop)]
