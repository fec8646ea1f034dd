from django.db import migrations, models

from workflows.database import on_postgresql, trigger_function

# PostgreSQL keeps lado_enquirymonthcount in step with lado_enquiry in the changing transaction,
# as reports 0003/0005 do for the DRP theme and team counts. What an enquiry contributes depends
# on its own row alone (dates, status, outcome, threshold decision, targets, breakdown ids), so
# one statement-level trigger per operation subtracts what the old rows contributed and adds what
# the new rows contribute, in one grouped upsert whose rows go in key order (concurrent
# transactions take the count rows' locks in one order). An update that changes nothing counted
# (most saves) writes nothing.

TABLE = "lado_enquirymonthcount"


def contributions(rows: str) -> str:
    """(month, measure, value) once per count each enquiry of ``rows`` adds to (see
    ``lado.models.EnquiryMonthCount``)."""
    received = f"date_trunc('month', e.received_on)::date"
    closed = f"date_trunc('month', e.closed_on)::date"
    breakdowns = "\n".join(
        f"    UNION ALL SELECT {received}, '{name}', coalesce(e.{column}::text, '') FROM {rows} e"
        for name, column in (("sector", "sector_id"), ("setting", "setting_id"), ("category", "category_id"),
                             ("referral_source", "referral_source_id")))
    return f"""
    SELECT {received} AS month, 'received'::varchar AS measure,
           (CASE WHEN e.threshold_met THEN 'met' WHEN NOT e.threshold_met THEN 'advice' ELSE '' END)::varchar AS value
    FROM {rows} e
    UNION ALL SELECT {received}, 'open_until', coalesce(to_char(e.closed_on, 'YYYY-MM'), '') FROM {rows} e
{breakdowns}
    UNION ALL SELECT date_trunc('month', e.decided_on)::date, 'decided',
                     (CASE WHEN e.decided_on <= e.decision_due THEN 'within' ELSE 'late' END)
                     || {received_later('e.decided_on')}
              FROM {rows} e WHERE e.decided_on IS NOT NULL
    UNION ALL SELECT {closed}, 'closed',
                     (CASE e.status WHEN 'concluded' THEN 'concluded:' || e.outcome
                                    WHEN 'cancelled' THEN CASE WHEN e.threshold_met THEN 'cancelled'
                                                               ELSE 'cancelled_before_decision' END
                                    ELSE e.status END) || {received_later('e.closed_on')}
              FROM {rows} e WHERE e.closed_on IS NOT NULL
    UNION ALL SELECT {closed}, 'concluded_within', t.target || {received_later('e.closed_on')}
              FROM {rows} e CROSS JOIN LATERAL (VALUES ('1', e.target_1_due), ('2', e.target_2_due),
                                                       ('3', e.target_3_due)) t(target, due)
              WHERE e.status = 'concluded' AND e.closed_on <= t.due"""


def received_later(day: str) -> str:
    """``@YYYY-MM``, the month received, for a decision or closure dated in an earlier month than
    the enquiry was received (a date mistyped, or corrected later): a report counts it only once
    the period has reached the month received, as the count from the enquiries does (it reads
    those received by the period's end); else empty."""
    return (f"(CASE WHEN date_trunc('month', e.received_on) > date_trunc('month', {day}) "
            f"THEN '@' || to_char(e.received_on, 'YYYY-MM') ELSE '' END)")


def upsert(added: str | None, removed: str | None) -> str:
    """Move the counts from the ``removed`` rows' contributions to the ``added`` rows'."""
    parts = []
    if added:
        parts.append(f"SELECT 1 AS sign, c.* FROM ({contributions(added)}) c")
    if removed:
        parts.append(f"SELECT -1 AS sign, c.* FROM ({contributions(removed)}) c")
    return f"""
    INSERT INTO {TABLE} (month, measure, value, n)
    SELECT month, measure, value, sum(sign) FROM ({" UNION ALL ".join(parts)}) x
    GROUP BY 1, 2, 3 HAVING sum(sign) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (month, measure, value) DO UPDATE SET n = {TABLE}.n + EXCLUDED.n;"""


CREATE_SQL = (
    trigger_function("lado_enquiry_counts_added", upsert("new_enquiries", None))
    + trigger_function("lado_enquiry_counts_removed", upsert(None, "old_enquiries"))
    + trigger_function("lado_enquiry_counts_changed", upsert("new_enquiries", "old_enquiries"))
    + """
CREATE TRIGGER lado_enquiry_counts_added AFTER INSERT ON lado_enquiry
    REFERENCING NEW TABLE AS new_enquiries FOR EACH STATEMENT EXECUTE FUNCTION lado_enquiry_counts_added();
CREATE TRIGGER lado_enquiry_counts_removed AFTER DELETE ON lado_enquiry
    REFERENCING OLD TABLE AS old_enquiries FOR EACH STATEMENT EXECUTE FUNCTION lado_enquiry_counts_removed();
CREATE TRIGGER lado_enquiry_counts_changed AFTER UPDATE ON lado_enquiry
    REFERENCING OLD TABLE AS old_enquiries NEW TABLE AS new_enquiries FOR EACH STATEMENT
    EXECUTE FUNCTION lado_enquiry_counts_changed();
"""
    + f"""
INSERT INTO {TABLE} (month, measure, value, n)
SELECT month, measure, value, count(*) FROM ({contributions("lado_enquiry")}) c GROUP BY 1, 2, 3;
""")

DROP_SQL = """
DROP TRIGGER IF EXISTS lado_enquiry_counts_added ON lado_enquiry;
DROP TRIGGER IF EXISTS lado_enquiry_counts_removed ON lado_enquiry;
DROP TRIGGER IF EXISTS lado_enquiry_counts_changed ON lado_enquiry;
DROP FUNCTION IF EXISTS lado_enquiry_counts_added();
DROP FUNCTION IF EXISTS lado_enquiry_counts_removed();
DROP FUNCTION IF EXISTS lado_enquiry_counts_changed();
DELETE FROM lado_enquirymonthcount;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('lado', '0021_meeting_enquiry_held_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='EnquiryMonthCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField(help_text='The first day of the month the measure dates from.')),
                ('measure', models.CharField(max_length=20)),
                ('value', models.CharField(blank=True, max_length=40)),
                ('n', models.IntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('month', 'measure', 'value'), name='lado_enquiry_month_count_key')],
            },
        ),
        on_postgresql(CREATE_SQL, DROP_SQL),
    ]
