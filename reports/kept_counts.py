"""The report counts PostgreSQL keeps by trigger (reports 0003, 0005, 0007), each with the
statement counting it afresh from the rows: what a long bulk write that deferred them (an import,
``workflows.database.counts_deferred``) counts again before it commits. Registered when the app
is ready. The case counts' contributions are 0007's own, so that a recount adds what the
triggers add (tests/reports/test_report_fresh_count.py checks both against its own count)."""

import importlib

from workflows.database import KeptCount

DRPS, TEAM_LINKS, THEME_LINKS = "drp_disputeresolution", "drp_disputeresolution_teams", "drp_disputeresolution_themes"
PRACTICE = "positive_practice_positivepractice"

THEME_COUNTS = KeptCount(
    table="reports_thememonthcount", columns="month, case_type, theme_id", sources=(DRPS, THEME_LINKS),
    fresh=f"""SELECT date_trunc('month', d.raised_on)::date, d.case_type, x.theme_id, count(*)
FROM {THEME_LINKS} x JOIN {DRPS} d ON d.id = x.disputeresolution_id GROUP BY 1, 2, 3""")

# A DRP counts once to theme 0 and once to each of its themes, for each of its teams (team 0 when
# it has none).
TEAM_COUNTS = KeptCount(
    table="reports_teammonthcount", columns="month, case_type, team_id, theme_id",
    sources=(DRPS, TEAM_LINKS, THEME_LINKS),
    fresh=f"""SELECT date_trunc('month', d.raised_on)::date, d.case_type, coalesce(t.team_id, 0), th.theme, count(*)
FROM {DRPS} d LEFT JOIN {TEAM_LINKS} t ON t.disputeresolution_id = d.id
JOIN (SELECT id AS drp, 0::bigint AS theme FROM {DRPS}
      UNION ALL SELECT disputeresolution_id, theme_id FROM {THEME_LINKS}) th ON th.drp = d.id
GROUP BY 1, 2, 3, 4""")


def _case_counts() -> KeptCount:
    kept = importlib.import_module("reports.migrations.0007_case_month_counts")
    return KeptCount(
        table=kept.TABLE, columns=kept.KEY, sources=(DRPS, PRACTICE),
        fresh=f"SELECT {kept.KEY}, count(*) FROM ({kept.drp_rows(DRPS)} UNION ALL {kept.practice_rows(PRACTICE)}) c "
              "GROUP BY 1, 2, 3, 4, 5")


CASE_COUNTS = _case_counts()
