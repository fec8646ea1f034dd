"""``bounded_count(query, bound)`` (api.pagination.bounded_count) as one statement on
PostgreSQL: the rows of a list's query counted up to ``bound + 1``, and the planner's estimate
of them only when there are more (``EXPLAIN``, nothing run). A list asked the database twice
for these (the estimate, then the count); now once. Elsewhere nothing is done: SQLite
serves development only and counts exactly."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION footprint_bounded_count(query text, bound integer,
                                                   OUT counted bigint, OUT estimate bigint)
LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'SELECT COUNT(*) FROM (' || query || ' LIMIT ' || (bound + 1) || ') bounded' INTO counted;
    IF counted > bound THEN
        EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
        estimate := (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric::bigint;
    END IF;
END
$$
"""
DROP = "DROP FUNCTION IF EXISTS footprint_bounded_count(text, integer)"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("workflows", "0007_reminderlog_append_only")]
    operations = [migrations.RunPython(create, drop)]
