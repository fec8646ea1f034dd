from django.db import migrations

from workflows.database import counted_unless_deferred

# Each count trigger of 0003, 0005 and 0007 does nothing while a transaction has deferred the
# counts (``workflows.database.counts_deferred``: an import of many chunks, which counts the
# tables again before it commits). An import of a million rows moved the same count rows once a
# chunk, 2,000 times in one transaction, each update walking every version before it (issue 15).

DRPS, TEAMS, THEMES = "drp_disputeresolution", "drp_disputeresolution_teams", "drp_disputeresolution_themes"
PRACTICE = "positive_practice_positivepractice"
TRIGGERS = (
    ("reports_theme_links_added", THEMES), ("reports_theme_links_removed", THEMES), ("reports_theme_drps_moved", DRPS),
    ("reports_team_drps_added", DRPS), ("reports_team_drps_removed", DRPS), ("reports_team_drps_moved", DRPS),
    ("reports_team_links_added", TEAMS), ("reports_team_links_removed", TEAMS),
    ("reports_team_themes_added", THEMES), ("reports_team_themes_removed", THEMES),
    *((f"reports_case_drps_{op}", DRPS) for op in ("added", "removed", "changed")),
    *((f"reports_case_practice_{op}", PRACTICE) for op in ("added", "removed", "changed")),
)


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0008_team_counts_read_only_the_changed_drps"),
    ]

    operations = [counted_unless_deferred(*TRIGGERS)]
