"""The one way a destroyed DO case's names leave subject access records (PostgreSQL only).

Request and decision history and the decisions themselves are append-only, and the application's
database role may only read and add to them. When a DO case is destroyed, the requests that
covered it must still lose the subject's, requester's and third parties' names
(``subject_access.services.forget_destroyed_case``). This function, owned by the tables' owner
and run with the owner's rights (SECURITY DEFINER), blanks them for requests about a case
already in the DO destruction log, and only for DO-subject requests about that case or about
another enquiry naming the same subject (the rule of ``lado.selectors.subject_matches``: the
same name, and the same date of birth or employer), whatever ids it is given. It ignores
exactly the three append-only triggers of the tables it blanks, for its own statements alone.
"""

from django.db import migrations

FUNCTION = "footprint_forget_destroyed_do_case_requests"
IGNORED = ",".join([
    "pgtrigger_append_only_8072e",  # subject_access_historicalsubjectaccessrequest
    "pgtrigger_append_only_6424d",  # subject_access_disclosuredecision
    "pgtrigger_append_only_e2352",  # subject_access_historicaldisclosuredecision
])


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = connection.ops.quote_name(cursor.fetchone()[0])
        cursor.execute(f"""
CREATE OR REPLACE FUNCTION {schema}.{FUNCTION}(destroyed_case_id bigint, request_ids bigint[], because text)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = {schema}, pg_temp
SET pgtrigger.ignore = '{{{IGNORED}}}'
AS $$
DECLARE
    covered bigint[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM lado_destructionlog WHERE case_id = destroyed_case_id) THEN
        RAISE EXCEPTION 'DO case % has no destruction-log entry, so its requests keep their names',
            destroyed_case_id USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT coalesce(array_agg(r.id), '{{}}') INTO covered
    FROM subject_access_subjectaccessrequest r
    WHERE r.id = ANY(request_ids) AND r.kind = 'do-subject' AND (
        r.enquiry_id = destroyed_case_id OR r.enquiry_id IN (
            SELECT other.id FROM lado_enquiry other, lado_enquiry destroyed
            WHERE destroyed.id = destroyed_case_id AND destroyed.subject_name_key <> ''
              AND other.subject_name_key = destroyed.subject_name_key
              AND ((destroyed.subject_date_of_birth IS NOT NULL
                    AND other.subject_date_of_birth = destroyed.subject_date_of_birth)
                   OR (destroyed.subject_employer_key <> ''
                       AND other.subject_employer_key = destroyed.subject_employer_key))));
    UPDATE subject_access_subjectaccessrequest
       SET requester_name = '', subject_name = '', redacted_keys = '[]'::jsonb, redaction_terms = '',
           anonymised_at = now(), anonymised_because = because
     WHERE id = ANY(covered);
    UPDATE subject_access_historicalsubjectaccessrequest
       SET requester_name = '', subject_name = '', redacted_keys = '[]'::jsonb, redaction_terms = '',
           anonymised_because = because
     WHERE id = ANY(covered);
    UPDATE subject_access_disclosuredecision SET reason = '', redactions = '{{}}'::jsonb
     WHERE request_id = ANY(covered);
    UPDATE subject_access_historicaldisclosuredecision SET reason = '', redactions = '{{}}'::jsonb
     WHERE request_id = ANY(covered);
    RETURN coalesce(array_length(covered, 1), 0);
END
$$""")
        cursor.execute(f"REVOKE ALL ON FUNCTION {schema}.{FUNCTION}(bigint, bigint[], text) FROM PUBLIC")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}(bigint, bigint[], text)")


class Migration(migrations.Migration):
    dependencies = [
        ("subject_access", "0003_append_only"),
        ("lado", "0009_erase_destroyed_case_record"),
    ]
    operations = [migrations.RunPython(create, drop)]
