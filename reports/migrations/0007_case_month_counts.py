from django.db import migrations, models

from workflows.database import on_postgresql, trigger_function

# PostgreSQL keeps reports_casemonthcount in step with the DRPs and the positive practice in the
# changing transaction (as 0003/0005 and lado 0022 do): what a row contributes depends on the row
# alone, so each statement-level trigger subtracts the old rows' contributions and adds the new
# rows', in one grouped upsert in key order. An update that changes nothing counted writes nothing.

TABLE = "reports_casemonthcount"
KEY = "month, measure, case_type, status, stage_id"


def drp_rows(rows: str) -> str:
    return f"""
    SELECT date_trunc('month', d.raised_on)::date AS month, 'drp_raised'::varchar AS measure, d.case_type,
           d.status, coalesce(d.closed_at_stage_id, 0) AS stage_id FROM {rows} d
    UNION ALL
    SELECT date_trunc('month', d.closed_on)::date, 'drp_closed', d.case_type, d.status,
           coalesce(d.closed_at_stage_id, 0) FROM {rows} d WHERE d.closed_on IS NOT NULL"""


def practice_rows(rows: str) -> str:
    return f"""
    SELECT date_trunc('month', p.recorded_on)::date AS month, 'practice'::varchar AS measure, p.case_type,
           ''::varchar AS status, 0::bigint AS stage_id FROM {rows} p"""


def upsert(contributions, added: str | None, removed: str | None) -> str:
    parts = [f"SELECT {sign} AS sign, c.* FROM ({contributions(rows)}) c"
             for sign, rows in ((1, added), (-1, removed)) if rows]
    return f"""
    INSERT INTO {TABLE} ({KEY}, n)
    SELECT {KEY}, sum(sign) FROM ({" UNION ALL ".join(parts)}) x
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(sign) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT ({KEY}) DO UPDATE SET n = {TABLE}.n + EXCLUDED.n;"""


def triggers(prefix: str, table: str, contributions) -> str:
    return (trigger_function(f"{prefix}_added", upsert(contributions, "new_rows", None))
            + trigger_function(f"{prefix}_removed", upsert(contributions, None, "old_rows"))
            + trigger_function(f"{prefix}_changed", upsert(contributions, "new_rows", "old_rows"))
            + f"""
CREATE TRIGGER {prefix}_added AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_added();
CREATE TRIGGER {prefix}_removed AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_removed();
CREATE TRIGGER {prefix}_changed AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_changed();
INSERT INTO {TABLE} ({KEY}, n)
SELECT {KEY}, count(*) FROM ({contributions(table)}) c GROUP BY 1, 2, 3, 4, 5;
""")


def drop(prefix: str, table: str) -> str:
    return "".join(f"DROP TRIGGER IF EXISTS {prefix}_{op} ON {table};\nDROP FUNCTION IF EXISTS {prefix}_{op}();\n"
                   for op in ("added", "removed", "changed"))


TABLES = (("reports_case_drps", "drp_disputeresolution", drp_rows),
          ("reports_case_practice", "positive_practice_positivepractice", practice_rows))
CREATE_SQL = "".join(triggers(*table) for table in TABLES)
DROP_SQL = "".join(drop(prefix, table) for prefix, table, _ in TABLES) + f"DELETE FROM {TABLE};\n"


class Migration(migrations.Migration):

    dependencies = [
        ('drp', '0028_status_index_covers_case_type'),
        ('positive_practice', '0005_version_and_updated_at'),
        ('reports', '0006_report_commentary'),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseMonthCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField(help_text='The first day of the month.')),
                ('measure', models.CharField(max_length=20)),
                ('case_type', models.CharField(max_length=3)),
                ('status', models.CharField(blank=True, max_length=20)),
                ('stage_id', models.BigIntegerField(default=0, help_text='The stage a DRP closed at; 0 for none.')),
                ('n', models.IntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('month', 'measure', 'case_type', 'status', 'stage_id'), name='reports_case_month_count_key')],
            },
        ),
        on_postgresql(CREATE_SQL, DROP_SQL),
    ]
