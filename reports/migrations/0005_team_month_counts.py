from django.db import migrations, models

# PostgreSQL keeps reports_teammonthcount in step with the DRPs (their raised month and case
# type), their team links and their theme links, in the changing transaction, as 0003 does for
# the theme counts. What a DRP contributes: for each of its teams (or team 0 when it has none),
# one to theme 0 and one to each of its themes, in its month and case type. Each statement-level
# trigger takes the DRPs it touched, subtracts what they contributed before the statement and adds
# what they contribute after, in one grouped upsert whose rows go in key order (so concurrent
# transactions take the count rows' locks in one order).

TABLE = "reports_teammonthcount"
TEAMS = "SELECT disputeresolution_id AS drp, team_id AS team FROM drp_disputeresolution_teams"
THEMES = "SELECT disputeresolution_id AS drp, theme_id AS theme FROM drp_disputeresolution_themes"
DRPS = "SELECT id AS drp, raised_on, case_type FROM drp_disputeresolution"
NOTHING = "SELECT NULL::bigint AS drp, NULL::date AS raised_on, NULL::varchar AS case_type WHERE false"


def delta(affected: str, *, drps_before=DRPS, drps_after=DRPS, teams_before=TEAMS, teams_after=TEAMS,
          themes_before=THEMES, themes_after=THEMES) -> str:
    """The upsert moving the counts of the DRPs ``affected`` (a query of ``drp`` ids) from their
    state before (``*_before``) to after (``*_after``): each a query over all DRPs, joined to the
    affected ones here."""
    return f"""
    WITH affected AS (SELECT DISTINCT drp FROM ({affected}) a),
    team_sets AS (
        SELECT 1 AS sign, a.drp, coalesce(t.team, 0) AS team
        FROM affected a LEFT JOIN ({teams_after}) t ON t.drp = a.drp
        UNION ALL
        SELECT -1, a.drp, coalesce(t.team, 0)
        FROM affected a LEFT JOIN ({teams_before}) t ON t.drp = a.drp),
    theme_sets AS (
        SELECT s.sign, a.drp, 0::bigint AS theme FROM affected a CROSS JOIN (VALUES (1), (-1)) s(sign)
        UNION ALL
        SELECT 1, t.drp, t.theme FROM ({themes_after}) t JOIN affected a ON a.drp = t.drp
        UNION ALL
        SELECT -1, t.drp, t.theme FROM ({themes_before}) t JOIN affected a ON a.drp = t.drp),
    dated AS (
        SELECT 1 AS sign, d.drp, d.raised_on, d.case_type FROM ({drps_after}) d JOIN affected a ON a.drp = d.drp
        UNION ALL
        SELECT -1, d.drp, d.raised_on, d.case_type FROM ({drps_before}) d JOIN affected a ON a.drp = d.drp)
    INSERT INTO {TABLE} (month, case_type, team_id, theme_id, n)
    SELECT date_trunc('month', d.raised_on)::date, d.case_type, ts.team, th.theme, sum(ts.sign)
    FROM team_sets ts
    JOIN theme_sets th ON th.drp = ts.drp AND th.sign = ts.sign
    JOIN dated d ON d.drp = ts.drp AND d.sign = ts.sign
    GROUP BY 1, 2, 3, 4 HAVING sum(ts.sign) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT (month, case_type, team_id, theme_id) DO UPDATE SET n = {TABLE}.n + EXCLUDED.n;"""


def function(name: str, body: str) -> str:
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body}\nRETURN NULL;\nEND $$;\n")


OLD_DRPS = "SELECT id AS drp, raised_on, case_type FROM old_drps"
NEW_DRPS = "SELECT id AS drp, raised_on, case_type FROM new_drps"
MOVED = ("SELECT o.id AS drp FROM old_drps o JOIN new_drps w ON w.id = o.id "
         "WHERE date_trunc('month', o.raised_on) <> date_trunc('month', w.raised_on) OR o.case_type <> w.case_type")
NEW_TEAM_LINKS = "SELECT disputeresolution_id AS drp, team_id AS team FROM new_links"
OLD_TEAM_LINKS = "SELECT disputeresolution_id AS drp, team_id AS team FROM old_links"
NEW_THEME_LINKS = "SELECT disputeresolution_id AS drp, theme_id AS theme FROM new_links"
OLD_THEME_LINKS = "SELECT disputeresolution_id AS drp, theme_id AS theme FROM old_links"
OF_NEW = "disputeresolution_id IN (SELECT disputeresolution_id FROM new_links)"
OF_OLD = "disputeresolution_id IN (SELECT disputeresolution_id FROM old_links)"

CREATE_SQL = (
    function("reports_team_drps_added", delta("SELECT id AS drp FROM new_drps", drps_before=NOTHING))
    + function("reports_team_drps_removed", delta("SELECT id AS drp FROM old_drps", drps_before=OLD_DRPS,
                                                  drps_after=NOTHING))
    + function("reports_team_drps_moved", delta(MOVED, drps_before=OLD_DRPS, drps_after=NEW_DRPS))
    # Before an insert of links: the DRPs' links now less the new ones (the EXCEPT limited to
    # those DRPs first, or it would read every link); before a delete: now and the old ones.
    + function("reports_team_links_added", delta(
        NEW_TEAM_LINKS, teams_before=f"{TEAMS} WHERE {OF_NEW} EXCEPT ALL {NEW_TEAM_LINKS}"))
    + function("reports_team_links_removed", delta(
        OLD_TEAM_LINKS, teams_before=f"{TEAMS} WHERE {OF_OLD} UNION ALL {OLD_TEAM_LINKS}"))
    + function("reports_team_themes_added", delta(
        NEW_THEME_LINKS, themes_before=f"{THEMES} WHERE {OF_NEW} EXCEPT ALL {NEW_THEME_LINKS}"))
    + function("reports_team_themes_removed", delta(
        OLD_THEME_LINKS, themes_before=f"{THEMES} WHERE {OF_OLD} UNION ALL {OLD_THEME_LINKS}"))
    + """
CREATE TRIGGER reports_team_drps_added AFTER INSERT ON drp_disputeresolution
    REFERENCING NEW TABLE AS new_drps FOR EACH STATEMENT EXECUTE FUNCTION reports_team_drps_added();
CREATE TRIGGER reports_team_drps_removed AFTER DELETE ON drp_disputeresolution
    REFERENCING OLD TABLE AS old_drps FOR EACH STATEMENT EXECUTE FUNCTION reports_team_drps_removed();
CREATE TRIGGER reports_team_drps_moved AFTER UPDATE ON drp_disputeresolution
    REFERENCING OLD TABLE AS old_drps NEW TABLE AS new_drps FOR EACH STATEMENT
    EXECUTE FUNCTION reports_team_drps_moved();
CREATE TRIGGER reports_team_links_added AFTER INSERT ON drp_disputeresolution_teams
    REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION reports_team_links_added();
CREATE TRIGGER reports_team_links_removed AFTER DELETE ON drp_disputeresolution_teams
    REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT EXECUTE FUNCTION reports_team_links_removed();
CREATE TRIGGER reports_team_themes_added AFTER INSERT ON drp_disputeresolution_themes
    REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION reports_team_themes_added();
CREATE TRIGGER reports_team_themes_removed AFTER DELETE ON drp_disputeresolution_themes
    REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT EXECUTE FUNCTION reports_team_themes_removed();
"""
    + f"""
INSERT INTO {TABLE} (month, case_type, team_id, theme_id, n)
SELECT date_trunc('month', d.raised_on)::date, d.case_type, coalesce(t.team_id, 0), th.theme, count(*)
FROM drp_disputeresolution d
LEFT JOIN drp_disputeresolution_teams t ON t.disputeresolution_id = d.id
JOIN (SELECT id AS drp, 0::bigint AS theme FROM drp_disputeresolution
      UNION ALL SELECT disputeresolution_id, theme_id FROM drp_disputeresolution_themes) th ON th.drp = d.id
GROUP BY 1, 2, 3, 4;
""")

DROP_SQL = """
DROP TRIGGER IF EXISTS reports_team_drps_added ON drp_disputeresolution;
DROP TRIGGER IF EXISTS reports_team_drps_removed ON drp_disputeresolution;
DROP TRIGGER IF EXISTS reports_team_drps_moved ON drp_disputeresolution;
DROP TRIGGER IF EXISTS reports_team_links_added ON drp_disputeresolution_teams;
DROP TRIGGER IF EXISTS reports_team_links_removed ON drp_disputeresolution_teams;
DROP TRIGGER IF EXISTS reports_team_themes_added ON drp_disputeresolution_themes;
DROP TRIGGER IF EXISTS reports_team_themes_removed ON drp_disputeresolution_themes;
DROP FUNCTION IF EXISTS reports_team_drps_added();
DROP FUNCTION IF EXISTS reports_team_drps_removed();
DROP FUNCTION IF EXISTS reports_team_drps_moved();
DROP FUNCTION IF EXISTS reports_team_links_added();
DROP FUNCTION IF EXISTS reports_team_links_removed();
DROP FUNCTION IF EXISTS reports_team_themes_added();
DROP FUNCTION IF EXISTS reports_team_themes_removed();
DELETE FROM reports_teammonthcount;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:  # several statements: no parameters
            cursor.execute(CREATE_SQL)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP_SQL)


class Migration(migrations.Migration):

    dependencies = [
        ('drp', '0026_protect_cover_and_service_account_history'),
        ('reports', '0004_benchmark_figures'),
    ]

    operations = [
        migrations.CreateModel(
            name='TeamMonthCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField(help_text='The first day of the month the DRPs were raised in.')),
                ('case_type', models.CharField(max_length=3)),
                ('team_id', models.BigIntegerField(help_text="The child's team; 0 for a DRP with no team recorded.")),
                ('theme_id', models.BigIntegerField(help_text='0 for the DRPs themselves, else their links to this theme.')),
                ('n', models.IntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('month', 'case_type', 'team_id', 'theme_id'), name='reports_team_month_count_key')],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
