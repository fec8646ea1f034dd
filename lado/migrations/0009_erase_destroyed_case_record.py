"""The one way a DO case's timeline and history leave the database (PostgreSQL only).

The application connects as a role that may only read and add to the audit tables, so it
cannot delete them, nor switch their append-only triggers off. This function, owned by the
tables' owner (who runs the migrations) and run with the owner's rights (SECURITY DEFINER),
erases exactly one destroyed case's timeline and the history of the case, its meetings and
its actions: only a case whose destruction is already in the destruction log (itself
append-only), and with exactly the four append-only triggers of those tables ignored, for the
statements in the function alone. The read log (``workflows_caseread``) is not touched. Nobody
may run it but the owner and the roles ``manage.py grant_app_role`` names.
"""

from django.db import migrations

FUNCTION = "footprint_erase_destroyed_do_case"
#: ``pgtrigger`` ids of the append-only triggers on the four tables (lado/migrations/0004).
IGNORED = ",".join([
    "pgtrigger_append_only_3efeb",  # lado_timelineevent
    "pgtrigger_append_only_8a67b",  # lado_historicalenquiry
    "pgtrigger_append_only_942f3",  # lado_historicalmeeting
    "pgtrigger_append_only_dce3c",  # lado_historicalaction
])


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = connection.ops.quote_name(cursor.fetchone()[0])
        # No parameters, so the driver leaves RAISE's % placeholders alone.
        cursor.execute(f"""
CREATE OR REPLACE FUNCTION {schema}.{FUNCTION}(destroyed_case_id bigint) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = {schema}, pg_temp
SET pgtrigger.ignore = '{{{IGNORED}}}'
AS $$
DECLARE
    erased integer := 0;
    rows integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM lado_destructionlog WHERE case_id = destroyed_case_id) THEN
        RAISE EXCEPTION 'DO case % has no destruction-log entry, so its record stays', destroyed_case_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM lado_timelineevent WHERE enquiry_id = destroyed_case_id;
    GET DIAGNOSTICS rows = ROW_COUNT; erased := erased + rows;
    DELETE FROM lado_historicalenquiry WHERE id = destroyed_case_id;
    GET DIAGNOSTICS rows = ROW_COUNT; erased := erased + rows;
    DELETE FROM lado_historicalmeeting WHERE enquiry_id = destroyed_case_id;
    GET DIAGNOSTICS rows = ROW_COUNT; erased := erased + rows;
    DELETE FROM lado_historicalaction WHERE enquiry_id = destroyed_case_id;
    GET DIAGNOSTICS rows = ROW_COUNT; erased := erased + rows;
    RETURN erased;
END
$$""")
        cursor.execute(f"REVOKE ALL ON FUNCTION {schema}.{FUNCTION}(bigint) FROM PUBLIC")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}(bigint)")


class Migration(migrations.Migration):

    dependencies = [
        ("lado", "0008_destructionlog_append_only"),
    ]

    operations = [migrations.RunPython(create, drop)]
