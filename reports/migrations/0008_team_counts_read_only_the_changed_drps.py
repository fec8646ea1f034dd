import importlib

from django.db import migrations

# The team counts' triggers (0005) joined the DRPs a statement touched to whole-table subqueries of
# the DRPs, their team links and their theme links; the planner knows nothing of a transition
# table's size, so it hashed every link in the database for each statement. An import writes 500
# DRPs a statement, so each chunk read every row written before it: importing N rows cost N²
# (issue 15: creates at 1M). Here each subquery is cut to the touched DRPs first, by index
# (``= ANY(ARRAY(...))``, an array the executor builds once), so a statement reads what it changed.
# The arithmetic is 0005's own ``delta``, unchanged; only what it reads is narrowed.

team_counts = importlib.import_module("reports.migrations.0005_team_month_counts")

# Each whole-table side of 0005, read only for the DRPs the statement touched (``affected``, the
# delta's first CTE): an index scan per side.
ONLY = "= ANY(ARRAY(SELECT drp FROM affected))"
TEAMS = f"{team_counts.TEAMS} WHERE disputeresolution_id {ONLY}"
THEMES = f"{team_counts.THEMES} WHERE disputeresolution_id {ONLY}"
DRPS = f"{team_counts.DRPS} WHERE id {ONLY}"


def narrowed(affected: str, **sides) -> str:
    """0005's ``delta`` with its default sides read only for the DRPs ``affected``."""
    return team_counts.delta(affected, **({"drps_before": DRPS, "drps_after": DRPS, "teams_before": TEAMS,
                                           "teams_after": TEAMS, "themes_before": THEMES,
                                           "themes_after": THEMES} | sides))


def planned_with_hash_joins(name: str, body: str) -> str:
    """0005's ``function``, run with nested loops and JIT off. The planner takes a transition table
    for a few rows, so it joined the delta's sets (a thousand rows each for a 500-row import chunk)
    in a nested loop that rescanned one of them per row (1.2 s a chunk at 20k DRPs). Nested loops
    off, the costs it still adds for the one it cannot avoid would make PostgreSQL compile the
    statement (JIT: 0.8 s each time), never worth it for a delta of a few hundred DRPs."""
    return team_counts.function(name, body).replace(
        "RETURNS trigger LANGUAGE plpgsql AS",
        "RETURNS trigger LANGUAGE plpgsql SET enable_nestloop = off SET jit = off AS", 1)


def functions(delta, links_now, function=team_counts.function) -> str:
    """0005's seven trigger functions, built with ``delta``; ``links_now(side, of)`` reads the
    touched DRPs' team or theme links as they are now (``of``: 0005's filter to the DRPs of the
    new or old links, which the narrowed sides already are)."""
    t = team_counts
    # Links added: the DRPs' links before the statement are those now less the new ones; removed:
    # those now and the old ones.
    return (
        function("reports_team_drps_added", delta("SELECT id AS drp FROM new_drps", drps_before=t.NOTHING))
        + function("reports_team_drps_removed", delta("SELECT id AS drp FROM old_drps", drps_before=t.OLD_DRPS,
                                                      drps_after=t.NOTHING))
        + function("reports_team_drps_moved", delta(t.MOVED, drps_before=t.OLD_DRPS, drps_after=t.NEW_DRPS))
        + function("reports_team_links_added", delta(
            t.NEW_TEAM_LINKS, teams_before=f"{links_now('teams', t.OF_NEW)} EXCEPT ALL {t.NEW_TEAM_LINKS}"))
        + function("reports_team_links_removed", delta(
            t.OLD_TEAM_LINKS, teams_before=f"{links_now('teams', t.OF_OLD)} UNION ALL {t.OLD_TEAM_LINKS}"))
        + function("reports_team_themes_added", delta(
            t.NEW_THEME_LINKS, themes_before=f"{links_now('themes', t.OF_NEW)} EXCEPT ALL {t.NEW_THEME_LINKS}"))
        + function("reports_team_themes_removed", delta(
            t.OLD_THEME_LINKS, themes_before=f"{links_now('themes', t.OF_OLD)} UNION ALL {t.OLD_THEME_LINKS}")))


def narrowed_links(side: str, of: str) -> str:
    return TEAMS if side == "teams" else THEMES


def whole_links(side: str, of: str) -> str:
    return f"{team_counts.TEAMS if side == 'teams' else team_counts.THEMES} WHERE {of}"


def replace_functions(delta, links_now, function):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:  # several statements: no parameters
                cursor.execute(functions(delta, links_now, function))
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0007_case_month_counts"),
    ]

    operations = [
        migrations.RunPython(replace_functions(narrowed, narrowed_links, planned_with_hash_joins),
                             replace_functions(team_counts.delta, whole_links, team_counts.function)),
    ]
