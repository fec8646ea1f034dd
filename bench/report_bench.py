#!/usr/bin/env python
"""Reports benchmark: the annual, monthly and learning reports and the Designated Officer
indicators (``bench/do_indicator_bench.py``) against hand-written SQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/footprint_report_bench .venv/bin/python
        bench/report_bench.py --drps 100000 1000000 --do-cases 1000000   (one command line)

For each DRP count (ascending) it grows a throwaway PostgreSQL database with set-based SQL
(``INSERT ... SELECT ... generate_series``; the ORM would take hours at 1M) over six reporting
years, then, in the same run and on the same data:

1. times the selector path the report API views call (``reports.selectors.annual_report``,
   ``monthly_report``, ``team_learning`` + ``iro_footprint``), with its queries counted;
2. times hand-written SQL that computes the same figures (one aggregate per figure group);
3. asserts that both give *exactly* the same report, so the bench also proves the selectors
   right at scale;
4. prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the slowest selector query when it takes over 1 s.

DO enquiries grow with the DRPs: ``--do-cases`` is the number at the largest DRP count (so
``--drps 100000 1000000 --do-cases 1000000`` measures 100k DRPs + 100k DO enquiries, then 1M + 1M).
Growing adds rows; it never regenerates. The database is created when missing (and marked as
the bench's own, see bench/drp_bench.py); ``--reset`` drops and recreates it first.
See bench/README.md ("Reports") for the figures measured.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from do_indicator_bench import backfill_do_extras, grow_do_extras, hand_do_indicator_report  # noqa: E402
from drp_bench import percentile, prepare_postgres, setup_django  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/footprint_report_bench"
#: Six reporting years of records: 1 April 2020 to 31 March 2026.
WINDOW_START, WINDOW_END = date(2020, 4, 1), date(2026, 3, 31)
REPORT_YEAR = 2025  # the last full reporting year in the window, against 2024
YEAR_TO_DATE = date(REPORT_YEAR + 1, 2, 17)  # a day inside it: the annual report to date
REPORT_MONTH = date(2026, 2, 1)  # the month with the generated theme spike
SPIKE_THEME_INDEX = 3  # the spike theme (by id order)
N_CHILDREN = 20_000
N_IROS = 24
EXTRA_TEAMS = ["North Team 2", "South Team 1", "South Team 2", "East Team 1", "East Team 2",
               "West Team 1", "Disabled Children's Team", "Leaving Care Team"]
CHUNK = 250_000
PP_PER_DRP = 0.35
EXPLAIN_OVER_MS = 1000
#: Tables whose rows carry ``version`` and ``updated_at`` (no database default of their own).
VERSIONED_TABLES = ("children_child", "drp_disputeresolution", "positive_practice_positivepractice",
                    "lado_enquiry", "lado_action")


# --------------------------------------------------------------------------------------
# The organisation: the demo people, 13 teams, 24 IROs/CCs and 20,000 children.
# --------------------------------------------------------------------------------------


def ensure_org() -> dict:
    from django.db import connection

    from demo.builders import build_people
    from people import roles
    from people.models import Role, Team, User

    users = build_people()
    area = Team.objects.get(slug="north-area")
    for name in EXTRA_TEAMS:
        Team.objects.get_or_create(slug="bench-" + name.lower().replace(" ", "-").replace("'", ""),
                                   defaults={"name": name, "parent": area})
    iro_role = Role.objects.get(slug=roles.IRO)
    for n in range(1, N_IROS + 1):
        user, made = User.objects.get_or_create(username=f"bench-iro-{n:02d}", defaults={
            "first_name": f"Reviewer {n:02d}", "last_name": "Bench"})
        if made:
            user.roles.add(iro_role)
    with connection.cursor() as cursor:
        # The generators insert with SQL, which Django's field defaults never reach: this
        # throwaway database gives the optimistic-locking columns (version, updated_at) theirs.
        for table in VERSIONED_TABLES:
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN version SET DEFAULT 1, "
                           "ALTER COLUMN updated_at SET DEFAULT now()")
        cursor.execute("ALTER TABLE drp_stagerecord ALTER COLUMN asked SET DEFAULT ''")  # partner agencies
        cursor.execute("SELECT count(*) FROM children_child WHERE reference LIKE 'RBC%%'")
        have = cursor.fetchone()[0]
        if have < N_CHILDREN:
            team_ids = list(Team.objects.order_by("id").values_list("id", flat=True))
            cursor.execute(
                """INSERT INTO children_child (reference, name, date_of_birth, case_type, social_worker_id, team_id)
                   SELECT 'RBC' || lpad(g::text, 6, '0'), 'Bench child ' || g,
                          date '2008-01-01' + (random() * 5400)::int,
                          CASE WHEN random() < 0.6 THEN 'CLA' ELSE 'CP' END, %s,
                          (%s::bigint[])[1 + floor(random() * %s)::int]
                   FROM generate_series(%s, %s) g""",
                [users["social-worker"].pk, team_ids, len(team_ids), have + 1, N_CHILDREN])
    return {
        "teams": list(Team.objects.order_by("id").values_list("id", flat=True)),
        "iros": list(User.objects.filter(username__startswith="bench-iro-").order_by("id")
                     .values_list("id", flat=True)) + [users["iro"].pk, users["chair"].pk],
        "officer": users["designated-officer"].pk,
    }


def _ids(sql: str) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


def _count(table: str, where: str = "TRUE") -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE {where}")
        return cursor.fetchone()[0]


# --------------------------------------------------------------------------------------
# Data, set-based. Dates lean towards recent years (power(random(), 0.8)), so each year
# has more DRPs than the one before, as a growing service does.
# --------------------------------------------------------------------------------------

DRP_SQL = """
WITH base AS (
    SELECT g,
           %(start)s::date + floor(power(random(), 0.8) * %(days)s)::int AS raised_on,
           CASE WHEN random() < 0.6 THEN 'CLA' ELSE 'CP' END AS case_type,
           CASE WHEN x < 0.45 THEN 0 WHEN x < 0.70 THEN 1 WHEN x < 0.85 THEN 2
                WHEN x < 0.93 THEN 3 WHEN x < 0.97 THEN 4 ELSE 5 END AS reached,
           random() AS s, random() AS c, random() AS t, random() AS i, random() AS dur
    FROM (SELECT g, random() AS x FROM generate_series(%(lo)s, %(hi)s) g) r
), shaped AS (
    SELECT *,
           CASE WHEN (raised_on > %(end)s::date - 60 AND s < 0.6) OR s < 0.03 THEN
                    CASE WHEN s < 0.018 OR (raised_on > %(end)s::date - 60 AND s < 0.36)
                         THEN 'awaiting_response' ELSE 'awaiting_review' END
                WHEN s < 0.83 THEN 'resolved' ELSE 'withdrawn' END AS status
    FROM base
)
INSERT INTO drp_disputeresolution (
    reference, case_type, concern, raised_on, status, stage_started_on, stage_due_date,
    formal_started_on, overall_due_date, referred_to_cafcass, referred_to_cafcass_on, outcome,
    impact, closed_on, created_at, addressee_id, raised_by_id, iro_id, team_id, closed_at_stage_id, stage_id,
    imported_from)
SELECT 'RB-' || lpad(g::text, 8, '0'), case_type, 'Bench concern: drift in the care plan.', raised_on,
       status, raised_on + reached * 12, raised_on + reached * 12 + 28,
       CASE WHEN reached > 0 THEN raised_on + 12 END,
       CASE WHEN reached > 0 THEN raised_on + 40 END,
       c < 0.015 AND reached >= 2, CASE WHEN c < 0.015 AND reached >= 2 THEN raised_on + reached * 12 + 3 END,
       '', '',
       CASE WHEN status IN ('resolved', 'withdrawn')
            THEN LEAST(raised_on + reached * 12 + 3 + floor(dur * 40)::int, %(end)s::date) END,
       raised_on + time '10:00', NULL,
       (%(iros)s::bigint[])[1 + floor(power(i, 1.3) * %(n_iros)s)::int],
       (%(iros)s::bigint[])[1 + floor(power(i, 1.3) * %(n_iros)s)::int],
       CASE WHEN t < 0.03 THEN NULL ELSE (%(teams)s::bigint[])[1 + floor((t - 0.03) / 0.97 * %(n_teams)s)::int] END,
       CASE WHEN status IN ('resolved', 'withdrawn') THEN (%(stages)s::bigint[])[1 + reached] END,
       (%(stages)s::bigint[])[1 + reached], ''
FROM shaped
"""

# 1 or 2 themes per DRP (60% two); in the spike month half the DRPs get the spike theme.
DRP_THEMES_SQL = """
WITH d AS (
    SELECT id, CASE WHEN raised_on BETWEEN %(spike_start)s AND %(spike_end)s AND random() < 0.5
                    THEN %(spike)s ELSE floor(random() * %(n)s)::int END AS a,
           1 + floor(random() * (%(n)s - 1))::int AS b, random() AS r
    FROM drp_disputeresolution WHERE id > %(after)s
)
INSERT INTO drp_disputeresolution_themes (disputeresolution_id, theme_id)
SELECT id, (%(themes)s::bigint[])[1 + a] FROM d
UNION ALL
SELECT id, (%(themes)s::bigint[])[1 + (a + b) %% %(n)s] FROM d WHERE r < 0.6
"""

# 1 child, 25% a sibling pair.
DRP_CHILDREN_SQL = """
WITH d AS (
    SELECT id, floor(random() * %(n)s)::int AS a, 1 + floor(random() * (%(n)s - 1))::int AS b, random() AS r
    FROM drp_disputeresolution WHERE id > %(after)s
)
INSERT INTO drp_disputeresolution_children (disputeresolution_id, child_id)
SELECT id, (%(children)s::bigint[])[1 + a] FROM d
UNION ALL
SELECT id, (%(children)s::bigint[])[1 + (a + b) %% %(n)s] FROM d WHERE r < 0.25
"""

# Every child's team when raised (DisputeResolution.teams): what the reports count DRPs by.
DRP_TEAMS_SQL = """
INSERT INTO drp_disputeresolution_teams (disputeresolution_id, team_id)
SELECT DISTINCT l.disputeresolution_id, c.team_id
FROM drp_disputeresolution_children l JOIN children_child c ON c.id = l.child_id
WHERE l.disputeresolution_id > %(after)s AND c.team_id IS NOT NULL
"""

# One stage record per stage reached; all but the current one ended and answered.
STAGE_RECORDS_SQL = """
INSERT INTO drp_stagerecord (started_on, due_date, response, responded_on, ended_on, addressee_id,
                             drp_id, responded_by_id, stage_id)
SELECT d.raised_on + o * 12, d.raised_on + o * 12 + 28,
       CASE WHEN o < s."order" OR d.status <> 'awaiting_response' THEN 'Bench response.' ELSE '' END,
       CASE WHEN o < s."order" OR d.status <> 'awaiting_response' THEN d.raised_on + o * 12 + 10 END,
       CASE WHEN o < s."order" THEN d.raised_on + o * 12 + 12 ELSE d.closed_on END,
       NULL, d.id, NULL, (%(stages)s::bigint[])[1 + o]
FROM drp_disputeresolution d
JOIN drp_stage s ON s.id = d.stage_id
CROSS JOIN LATERAL generate_series(0, s."order") o
WHERE d.id > %(after)s
"""

PP_SQL = """
INSERT INTO positive_practice_positivepractice (reference, case_type, practitioner_name, what_happened,
    impact, recorded_on, created_at, drp_id, practitioner_id, recorded_by_id, team_id, imported_from)
SELECT 'PB-' || lpad(g::text, 8, '0'), CASE WHEN random() < 0.6 THEN 'CLA' ELSE 'CP' END, '',
       'Bench: the social worker visited within the week.', 'The child felt listened to.', day,
       day + time '11:00', NULL, NULL, (%(iros)s::bigint[])[1 + floor(power(random(), 1.6) * %(n_iros)s)::int],
       CASE WHEN random() < 0.05 THEN NULL
            ELSE (%(teams)s::bigint[])[1 + floor(random() * %(n_teams)s)::int] END, ''
FROM (SELECT g, %(start)s::date + floor(power(random(), 0.7) * %(days)s)::int AS day
      FROM generate_series(%(lo)s, %(hi)s) g) r
"""

PP_CHILDREN_SQL = """
INSERT INTO positive_practice_positivepractice_children (positivepractice_id, child_id)
SELECT id, (%(children)s::bigint[])[1 + floor(random() * %(n)s)::int]
FROM positive_practice_positivepractice WHERE id > %(after)s
"""

# DO enquiries: 38% advice given, 2% cancelled, the rest threshold met and concluded (open if
# recent), outcomes weighted, conclusion times spread so each timeliness target is partly met.
DO_SQL = """
WITH base AS (
    SELECT g, %(start)s::date + floor(power(random(), 0.9) * %(days)s)::int AS received_on,
           random() AS r, random() AS o, random() AS open_, random() AS dur,
           random() AS v1, random() AS v2, random() AS v3, random() AS v4
    FROM generate_series(%(lo)s, %(hi)s) g
), shaped AS (
    SELECT *,
           CASE WHEN received_on > %(end)s::date - 3 AND r < 0.5 THEN 'awaiting_decision'
                WHEN r < 0.38 THEN 'advice_given'
                WHEN r < 0.40 THEN 'cancelled'
                WHEN received_on > %(end)s::date - 120 AND open_ < 0.7 THEN 'in_progress'
                ELSE 'concluded' END AS status
    FROM base
)
INSERT INTO lado_enquiry (
    reference, received_at, received_on, how, referrer_name, referrer_organisation, subject_name,
    subject_role, subject_employer, subject_name_key, subject_employer_key, children_description,
    summary, status, decision_due, decided_on, threshold_met, harmed, criminal_offence, risk_of_harm,
    unsuitable, rationale, advice, target_1_due, target_2_due, target_3_due, outcome, closed_on,
    cancel_reason, legal_hold, legal_hold_reason, retention_set_by_hand, created_at, logged_by_id,
    category_id, referral_source_id, sector_id, setting_id, imported_from, criminal_outcome,
    criminal_outcome_detail, dbs_decision, dbs_referral, no_meeting_reason, police_reference)
SELECT 'DB-' || lpad(g::text, 8, '0'), received_on + time '10:00', received_on, 'phone', '', '', '',
       '', '', '', '', '', 'Bench allegation.', status, received_on + 1,
       CASE WHEN status <> 'awaiting_decision' THEN received_on + 1 END,
       CASE WHEN status = 'awaiting_decision' THEN NULL ELSE status <> 'advice_given' END,
       status NOT IN ('awaiting_decision', 'advice_given'), false, false, false, '', '',
       (received_on + make_interval(months => %(m1)s))::date,
       (received_on + make_interval(months => %(m2)s))::date,
       (received_on + make_interval(months => %(m3)s))::date,
       CASE WHEN status = 'concluded' THEN
            CASE WHEN o < 0.35 THEN 'substantiated' WHEN o < 0.60 THEN 'unsubstantiated'
                 WHEN o < 0.80 THEN 'unfounded' WHEN o < 0.95 THEN 'false' ELSE 'malicious' END
            ELSE '' END,
       CASE WHEN status = 'advice_given' THEN received_on + 1
            WHEN status = 'cancelled' THEN received_on + 10 + floor(dur * 60)::int
            WHEN status = 'concluded' THEN received_on + 7 + floor(power(dur, 2) * 420)::int END,
       '', false, '', false, received_on + time '10:00', %(officer)s,
       CASE WHEN v1 < 0.03 THEN NULL ELSE (%(categories)s::bigint[])[1 + floor(power(v1, 1.5) * %(n_categories)s)::int] END,
       CASE WHEN v2 < 0.03 THEN NULL ELSE (%(sources)s::bigint[])[1 + floor(power(v2, 1.5) * %(n_sources)s)::int] END,
       CASE WHEN v3 < 0.03 THEN NULL ELSE (%(sectors)s::bigint[])[1 + floor(power(v3, 1.5) * %(n_sectors)s)::int] END,
       CASE WHEN v4 < 0.03 THEN NULL ELSE (%(settings)s::bigint[])[1 + floor(power(v4, 1.5) * %(n_settings)s)::int] END,
       '', '', '', '', '', '', ''
FROM shaped
"""


def _run(sql: str, params: dict) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def grow_drps(org: dict, target: int, progress=print) -> dict:
    """Add DRPs (with themes, children, stage records and positive practice) up to ``target``."""
    from django.db import transaction

    have = _count("drp_disputeresolution", "reference LIKE 'RB-%%'")
    stages = _ids('SELECT id FROM drp_stage ORDER BY "order"')
    themes = _ids("SELECT id FROM drp_theme ORDER BY id")
    children = _ids("SELECT id FROM children_child WHERE reference LIKE 'RBC%%' ORDER BY id")
    spike = REPORT_MONTH
    spike_end = (spike.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    rows = {"drps": 0, "drp_themes": 0, "drp_children": 0, "drp_teams": 0, "stage_records": 0, "positive_practice": 0}
    common = {"start": WINDOW_START, "end": WINDOW_END, "days": (WINDOW_END - WINDOW_START).days + 1,
              "iros": org["iros"], "n_iros": len(org["iros"]), "teams": org["teams"],
              "n_teams": len(org["teams"]), "stages": stages}
    for lo in range(have + 1, target + 1, CHUNK):
        hi = min(lo + CHUNK - 1, target)
        started = time.perf_counter()
        with transaction.atomic():
            after = _ids("SELECT coalesce(max(id), 0) FROM drp_disputeresolution")[0]
            rows["drps"] += _run(DRP_SQL, common | {"lo": lo, "hi": hi})
            rows["drp_themes"] += _run(DRP_THEMES_SQL, {
                "after": after, "themes": themes, "n": len(themes), "spike": SPIKE_THEME_INDEX,
                "spike_start": spike, "spike_end": spike_end})
            rows["drp_children"] += _run(DRP_CHILDREN_SQL, {"after": after, "children": children,
                                                            "n": len(children)})
            rows["drp_teams"] += _run(DRP_TEAMS_SQL, {"after": after})
            rows["stage_records"] += _run(STAGE_RECORDS_SQL, {"after": after, "stages": stages})
            pp_have = _count("positive_practice_positivepractice", "reference LIKE 'PB-%%'")
            pp_target = round(hi * PP_PER_DRP)
            if pp_target > pp_have:
                pp_after = _ids("SELECT coalesce(max(id), 0) FROM positive_practice_positivepractice")[0]
                rows["positive_practice"] += _run(PP_SQL, common | {"lo": pp_have + 1, "hi": pp_target})
                _run(PP_CHILDREN_SQL, {"after": pp_after, "children": children, "n": len(children)})
        progress(f"  ... {hi:,}/{target:,} DRPs ({time.perf_counter() - started:.1f} s for this chunk)",
                 flush=True)
    return rows


def grow_do_cases(org: dict, target: int, progress=print) -> int:
    from django.db import transaction

    from lado import conf

    backfill_do_extras(_run, _fetch, officer=org["officer"], start=WINDOW_START,
                       days=(WINDOW_END - WINDOW_START).days + 1, chunk=CHUNK, progress=progress)
    have = _count("lado_enquiry", "reference LIKE 'DB-%%'")
    m1, m2, m3 = conf.target_months()
    vocab = {name: _ids(f"SELECT id FROM lado_{table} ORDER BY \"order\", id") for name, table in (
        ("categories", "category"), ("sources", "referralsource"), ("sectors", "sector"),
        ("settings", "settingtype"))}
    params = {"start": WINDOW_START, "end": WINDOW_END, "days": (WINDOW_END - WINDOW_START).days + 1,
              "officer": org["officer"], "m1": m1, "m2": m2, "m3": m3} | vocab | {
        f"n_{name}": len(ids) for name, ids in vocab.items()}
    added = 0
    for lo in range(have + 1, target + 1, CHUNK):
        hi = min(lo + CHUNK - 1, target)
        started = time.perf_counter()
        with transaction.atomic():
            added += _run(DO_SQL, params | {"lo": lo, "hi": hi})
            # What the DO indicators read: meetings, consultations, incident dates, phases, delays.
            grow_do_extras(_run, _fetch, officer=org["officer"], lo=lo, hi=hi, start=WINDOW_START,
                           days=params["days"])
        progress(f"  ... {hi:,}/{target:,} DO enquiries ({time.perf_counter() - started:.1f} s)", flush=True)
    return added


def versioned_defaults() -> None:
    """The generators' INSERTs name the columns the bench was written against. Columns added since
    (``version``/``updated_at`` of ``workflows.concurrency.Versioned``, set in Python; text and
    yes/no fields Django fills with "" and False) get database defaults in this throwaway database,
    so that the generators keep running."""
    from django.db import connection

    tables = ("children_child", "drp_disputeresolution", "drp_stagerecord", "positive_practice_positivepractice",
              "lado_enquiry", "lado_meeting", "lado_consultation")
    with connection.cursor() as cursor:
        cursor.execute("""SELECT table_name, column_name, data_type FROM information_schema.columns
                          WHERE table_schema = current_schema() AND table_name = ANY(%s) AND is_nullable = 'NO'
                            AND column_default IS NULL""", [list(tables)])
        for table, column, data_type in cursor.fetchall():
            default = {"text": "''", "character varying": "''", "boolean": "false"}.get(data_type)
            if column == "version":
                default = "1"
            elif column == "updated_at":
                default = "now()"
            if default:
                cursor.execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" SET DEFAULT {default}')


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("drp_disputeresolution", "drp_disputeresolution_themes", "drp_disputeresolution_children",
                      "drp_disputeresolution_teams",
                      "drp_stagerecord", "positive_practice_positivepractice",
                      "positive_practice_positivepractice_children", "lado_enquiry", "lado_meeting",
                      "lado_consultation", "children_child"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def row_counts() -> dict:
    tables = {"drps": "drp_disputeresolution", "drp_themes": "drp_disputeresolution_themes",
              "drp_children": "drp_disputeresolution_children", "stage_records": "drp_stagerecord",
              "positive_practice": "positive_practice_positivepractice", "do_cases": "lado_enquiry",
              "do_meetings": "lado_meeting", "do_consultations": "lado_consultation",
              "children": "children_child"}
    return {key: _count(table) for key, table in tables.items()}


# --------------------------------------------------------------------------------------
# The hand-written SQL: the same figures, one aggregate per group of figures.
# --------------------------------------------------------------------------------------


def _fetch(sql: str, params=None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchall()


CASE_TYPES = ["CP", "CLA"]
CLOSED = ("resolved", "withdrawn")


def _labels():
    stages = [row[0] for row in _fetch('SELECT key FROM drp_stage ORDER BY "order"')]
    themes = _fetch("SELECT slug, active FROM drp_theme ORDER BY active DESC, name")
    return stages, themes


def _comparison(this_year: int, last_year: int) -> dict:
    direction = "up" if this_year > last_year else "down" if this_year < last_year else "same"
    return {"this_year": this_year, "last_year": last_year, "variance": this_year - last_year,
            "direction": direction}


def _compare_sql(table: str, column: str, this, last) -> dict:
    # A year to date is compared with the same months of last year to the same day, not with
    # all of last year.
    rows = _fetch(f"""SELECT case_type, count(*) FILTER (WHERE {column} >= %(this_start)s),
                             count(*) FILTER (WHERE {column} <= %(last_end)s)
                      FROM {table}
                      WHERE {column} BETWEEN %(last_start)s AND %(last_end)s
                         OR {column} BETWEEN %(this_start)s AND %(this_end)s
                      GROUP BY case_type""",
                  {"this_start": this.start, "this_end": this.end, "last_start": last.start,
                   "last_end": last.end})
    counts = {ct: (a, b) for ct, a, b in rows}
    return {ct: _comparison(*counts.get(ct, (0, 0))) for ct in CASE_TYPES}


def _themes_sql(period, themes, group: str = "d.case_type") -> list[tuple]:
    return _fetch(f"""SELECT {group}, t.slug, count(*)
                      FROM drp_disputeresolution_themes x
                      JOIN drp_disputeresolution d ON d.id = x.disputeresolution_id
                      JOIN drp_theme t ON t.id = x.theme_id
                      WHERE d.raised_on BETWEEN %(start)s AND %(end)s
                      GROUP BY 1, 2""", {"start": period.start, "end": period.end})


def _themes_by_case_type(period, themes) -> dict:
    zero = {slug: 0 for slug, active in themes if active}
    table = {ct: dict(zero) for ct in CASE_TYPES}
    for ct, slug, n in _themes_sql(period, themes):
        table.setdefault(ct, dict(zero))[slug] = n
    return table


def hand_annual(year: int) -> dict:
    from lado import conf
    from lado.selectors import ACTION_COUNTS, AGE_BANDS
    from reports.selectors.annual import annual_periods
    from workflows.dates import add_months

    # A year not yet over counts to today against the same months of last year.
    this, last, year_to_date = annual_periods(year)
    stages, themes = _labels()
    closed = _closed_at_stage_sql("d.closed_on BETWEEN %(s)s AND %(e)s", this, stages)
    closed_of_raised = _closed_at_stage_sql("d.raised_on BETWEEN %(s)s AND %(e)s", this, stages)
    # DO: every plain count in one pass over the enquiries received by the period's end.
    m1, m2, m3 = conf.target_months()
    bands = [(key, low, high) for key, _, low, high in AGE_BANDS]
    band_sql, band_params = [], {}
    for key, low, high in bands:
        where = "(closed_on IS NULL OR closed_on > %(e)s)"
        if low:
            where += f" AND received_on <= %(low_{key})s"
            band_params[f"low_{key}"] = add_months(this.end, -low)
        if high is not None:
            where += f" AND received_on > %(high_{key})s"
            band_params[f"high_{key}"] = add_months(this.end, -high)
        band_sql.append(f"count(*) FILTER (WHERE {where})")
    closed_in = "closed_on BETWEEN %(s)s AND %(e)s"
    (received, met, advice, decided, decided_within, cancelled, cancelled_before, concluded, n_open,
     within1, within2, within3, *open_bands) = _fetch(
        f"""SELECT count(*) FILTER (WHERE received_on >= %(s)s),
                  count(*) FILTER (WHERE received_on >= %(s)s AND threshold_met),
                  count(*) FILTER (WHERE received_on >= %(s)s AND NOT threshold_met),
                  count(*) FILTER (WHERE decided_on BETWEEN %(s)s AND %(e)s),
                  count(*) FILTER (WHERE decided_on BETWEEN %(s)s AND %(e)s AND decided_on <= decision_due),
                  count(*) FILTER (WHERE {closed_in} AND status = 'cancelled' AND threshold_met),
                  count(*) FILTER (WHERE {closed_in} AND status = 'cancelled' AND threshold_met IS NOT TRUE),
                  count(*) FILTER (WHERE {closed_in} AND status = 'concluded'),
                  count(*) FILTER (WHERE closed_on IS NULL OR closed_on > %(e)s),
                  count(*) FILTER (WHERE {closed_in} AND status = 'concluded' AND closed_on <= target_1_due),
                  count(*) FILTER (WHERE {closed_in} AND status = 'concluded' AND closed_on <= target_2_due),
                  count(*) FILTER (WHERE {closed_in} AND status = 'concluded' AND closed_on <= target_3_due),
                  {", ".join(band_sql)}
           FROM lado_enquiry WHERE received_on <= %(e)s""",
        {"s": this.start, "e": this.end} | band_params)[0]
    last_received = _fetch("SELECT count(*) FROM lado_enquiry WHERE received_on BETWEEN %(s)s AND %(e)s",
                           {"s": last.start, "e": last.end})[0][0]
    outcomes = {o: 0 for o in ("substantiated", "false", "malicious", "unfounded", "unsubstantiated")}
    outcomes |= dict(_fetch(f"""SELECT outcome, count(*) FROM lado_enquiry
                               WHERE {closed_in} AND status = 'concluded' GROUP BY 1""",
                            {"s": this.start, "e": this.end}))
    outcomes["cancelled"] = cancelled
    outcomes["total"] = sum(outcomes.values())
    actions = dict(zip([key for key, _ in ACTION_COUNTS], _fetch(
        "SELECT " + ", ".join(f"count(DISTINCT enquiry_id) FILTER (WHERE kind = '{kind}')"
                              for _, kind in ACTION_COUNTS)
        + """ FROM lado_action WHERE (recorded_at AT TIME ZONE 'Europe/London')::date
                                     BETWEEN %(s)s AND %(e)s""", {"s": this.start, "e": this.end})[0]))
    by = {"by_sector": {}, "by_setting": {}, "by_category": {}, "by_referral_source": {}}
    for key, slug, n in _fetch(
            """SELECT CASE WHEN GROUPING(se.slug) = 0 THEN 'by_sector' WHEN GROUPING(st.slug) = 0 THEN 'by_setting'
                           WHEN GROUPING(ca.slug) = 0 THEN 'by_category' ELSE 'by_referral_source' END,
                      coalesce(se.slug, st.slug, ca.slug, rs.slug), count(*)
               FROM lado_enquiry e
               LEFT JOIN lado_sector se ON se.id = e.sector_id
               LEFT JOIN lado_settingtype st ON st.id = e.setting_id
               LEFT JOIN lado_category ca ON ca.id = e.category_id
               LEFT JOIN lado_referralsource rs ON rs.id = e.referral_source_id
               WHERE e.received_on BETWEEN %(s)s AND %(e)s
               GROUP BY GROUPING SETS ((se.slug), (st.slug), (ca.slug), (rs.slug))""",
            {"s": this.start, "e": this.end}):
        by[key][slug or "not-recorded"] = n

    def pct(part, whole):
        return round(100 * part / whole, 1) if whole else None

    labels = ["within_" + conf.months_label(m).replace(" ", "_") for m in conf.target_months()]
    within = dict(zip(labels, (within1, within2, within3)))
    timeliness = {key: pct(n, concluded) for key, n in within.items()}
    return {
        "year": year,
        "period": this.as_dict(),
        "year_to_date": year_to_date,
        "compared_with": last.as_dict(),
        "drp": {
            "raised": _compare_sql("drp_disputeresolution", "raised_on", this, last),
            "positive_practice": _compare_sql("positive_practice_positivepractice", "recorded_on", this, last),
            "closed_at_stage": closed,
            "closed_at_stage_of_raised": closed_of_raised,
            "themes": _themes_by_case_type(this, themes),
        },
        "designated_officer": {
            "enquiries": _comparison(received, last_received),
            "met_threshold": met, "advice_given": advice,
            "decisions": {"made": decided, "within_timescale": decided_within,
                          "within_timescale_percent": pct(decided_within, decided),
                          "working_days": conf.decision_working_days()},
            "concluded": concluded,
            "outcomes": outcomes, "cancelled_before_decision": cancelled_before,
            "timeliness": timeliness, "concluded_within": within,
            "timeliness_targets": dict(zip(timeliness, conf.target_percentages())),
            "open_at_end": {key: n for (key, _, _), n in zip(bands, open_bands)} | {"total": n_open},
            "actions": actions,
            **by,
        },
    }


def _closed_at_stage_sql(where: str, period, stages) -> dict:
    """Closed DRPs by the stage they closed at: resolved ones by case type, withdrawn on a row
    of their own."""
    table = {row: {key: 0 for key in stages} | {"total": 0} for row in (*CASE_TYPES, "withdrawn")}
    for row, key, n in _fetch(f"""SELECT CASE WHEN d.status = 'withdrawn' THEN 'withdrawn' ELSE d.case_type END,
                                         coalesce(s.key, 'not-recorded'), count(*)
                                  FROM drp_disputeresolution d LEFT JOIN drp_stage s ON s.id = d.closed_at_stage_id
                                  WHERE d.status IN ('resolved', 'withdrawn') AND {where}
                                  GROUP BY 1, 2""", {"s": period.start, "e": period.end}):
        table[row][key] = table[row].get(key, 0) + n
        table[row]["total"] += n
    return table


def _team_rows(table: str, column: str, period) -> list[dict]:
    rows = _fetch(f"""SELECT t.slug, t.name, count(*) FROM {table} r LEFT JOIN people_team t ON t.id = r.team_id
                      WHERE r.{column} BETWEEN %(s)s AND %(e)s GROUP BY 1, 2 ORDER BY t.name""",
                  {"s": period.start, "e": period.end})
    return [{"team": slug or "not-recorded", "name": name or "No team recorded", "count": n}
            for slug, name, n in rows]


def _drp_team_rows(period) -> list[dict]:
    """DRPs per child's team when raised (a sibling group across two teams counts for each),
    then those with no team."""
    rows = _fetch("""SELECT t.slug, t.name, count(*) FROM drp_disputeresolution d
                     LEFT JOIN drp_disputeresolution_teams x ON x.disputeresolution_id = d.id
                     LEFT JOIN people_team t ON t.id = x.team_id
                     WHERE d.raised_on BETWEEN %(s)s AND %(e)s GROUP BY 1, 2 ORDER BY t.name""",
                  {"s": period.start, "e": period.end})
    return ([{"team": slug, "name": name, "count": n} for slug, name, n in rows if slug]
            + [{"team": "not-recorded", "name": "No team recorded", "count": n} for slug, _, n in rows if not slug])


def _non_working_days(start: date, end: date) -> list[date]:
    """Bank holidays and closure days on weekdays: the SQL calendar skips weekends itself."""
    from workflows.calendar import get_calendar

    calendar = get_calendar()
    return [start + timedelta(days=i) for i in range((end - start).days + 1)
            if (start + timedelta(days=i)).weekday() < 5 and not calendar.is_working_day(start + timedelta(days=i))]


RESOLUTION_SQL = """
WITH cal AS (
    SELECT day::date AS day,
           count(*) FILTER (WHERE extract(isodow FROM day) < 6 AND NOT day::date = ANY(%(closed)s))
               OVER (ORDER BY day) AS n
    FROM generate_series(%(cal_start)s::date, %(cal_end)s::date, interval '1 day') day
), times AS (
    SELECT c2.n - c1.n AS working_days, d.closed_on <= d.overall_due_date AS within
    FROM drp_disputeresolution d
    JOIN cal c1 ON c1.day = d.raised_on
    JOIN cal c2 ON c2.day = d.closed_on
    WHERE d.status = 'resolved' AND d.closed_on BETWEEN %(s)s AND %(e)s
)
SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY working_days),
       count(within), count(*) FILTER (WHERE within)
FROM times
"""

TREND_SQL = """
WITH months AS (
    SELECT generate_series(%(first)s::date, %(last)s::date, interval '1 month')::date AS month
), counts AS (
    SELECT date_trunc('month', d.raised_on)::date AS month, x.theme_id, count(*) AS n
    FROM drp_disputeresolution_themes x JOIN drp_disputeresolution d ON d.id = x.disputeresolution_id
    WHERE d.raised_on BETWEEN %(first)s AND %(end)s
    GROUP BY 1, 2
), grid AS (
    SELECT t.slug, t.name, t.active, m.month, coalesce(c.n, 0) AS n
    FROM drp_theme t CROSS JOIN months m LEFT JOIN counts c ON c.theme_id = t.id AND c.month = m.month
)
SELECT slug, array_agg(n ORDER BY month), sum(n) FILTER (WHERE month = %(last)s),
       avg(n) FILTER (WHERE month < %(last)s),
       sum(n) FILTER (WHERE month = %(last)s) >= %(min_count)s
           AND sum(n) FILTER (WHERE month = %(last)s) >= %(factor)s * avg(n) FILTER (WHERE month < %(last)s)
FROM grid GROUP BY slug, name, active HAVING active OR sum(n) > 0
ORDER BY active DESC, name
"""


def hand_monthly(month: date) -> dict:
    from django.conf import settings

    from drp import clocks as drp_clocks
    from reports.periods import add_months, month_period
    from reports.selectors import SPIKE_FACTOR, SPIKE_MIN_COUNT, TREND_MONTHS

    period = month_period(month)
    p = {"s": period.start, "e": period.end}
    stages, themes = _labels()
    by_case_type = {ct: 0 for ct in CASE_TYPES}
    by_stage = {key: 0 for key in stages}
    for kind, key, n in _fetch("""SELECT CASE WHEN GROUPING(d.case_type) = 0 THEN 'ct' ELSE 'stage' END,
                                         coalesce(d.case_type, s.key), count(*)
                                  FROM drp_disputeresolution d JOIN drp_stage s ON s.id = d.stage_id
                                  WHERE d.raised_on BETWEEN %(s)s AND %(e)s
                                  GROUP BY GROUPING SETS ((d.case_type), (s.key))""", p):
        (by_case_type if kind == "ct" else by_stage)[key] = n
    closed_by_stage = {key: 0 for key in stages}
    for key, n in _fetch("""SELECT coalesce(s.key, 'not-recorded'), count(*) FROM drp_disputeresolution d
                            LEFT JOIN drp_stage s ON s.id = d.closed_at_stage_id
                            WHERE d.status IN ('resolved', 'withdrawn') AND d.closed_on BETWEEN %(s)s AND %(e)s
                            GROUP BY 1""", p):
        closed_by_stage[key] = n
    themes_all = _themes_by_case_type(period, themes)
    by_theme = {slug: sum(themes_all[ct].get(slug, 0) for ct in themes_all)
                for slug in dict.fromkeys(k for ct in themes_all for k in themes_all[ct])}
    limit = settings.DRP_OVERALL_WORKING_DAYS
    cal_start, cal_end = WINDOW_START - timedelta(days=400), period.end + timedelta(days=1)
    resolved, median, with_clock, within = _fetch(RESOLUTION_SQL, p | {
        "closed": _non_working_days(cal_start, cal_end), "cal_start": cal_start, "cal_end": cal_end})[0]
    pp_by_case_type = {ct: 0 for ct in CASE_TYPES} | dict(_fetch(
        """SELECT case_type, count(*) FROM positive_practice_positivepractice
           WHERE recorded_on BETWEEN %(s)s AND %(e)s GROUP BY 1""", p))
    cafcass = _fetch("""SELECT count(*) FROM drp_disputeresolution WHERE referred_to_cafcass
                        AND referred_to_cafcass_on BETWEEN %(s)s AND %(e)s""", p)[0][0]
    first = add_months(month, -(TREND_MONTHS - 1))
    series, spikes = {}, []
    for slug, counts, this_month, mean, spike in _fetch(TREND_SQL, {
            "first": first, "last": month, "end": period.end, "min_count": SPIKE_MIN_COUNT,
            "factor": SPIKE_FACTOR}):
        series[slug] = {"counts": list(counts), "this_month": int(this_month),
                        "previous_mean": float(round(mean, 2)), "spike": bool(spike)}
        if spike:
            spikes.append(slug)
    return {
        "month": month.strftime("%Y-%m"),
        "period": period.as_dict(),
        "raised": {"total": sum(by_case_type.values()), "by_theme": by_theme,
                   "by_theme_and_case_type": themes_all, "by_case_type": by_case_type,
                   "by_team": _drp_team_rows(period),
                   "by_stage_reached": by_stage},
        "closed": {"total": sum(closed_by_stage.values()), "by_stage": closed_by_stage},
        "resolution": {"resolved": resolved, "median_working_days": median,
                       "with_overall_clock": with_clock, "before_formal_stage": resolved - with_clock,
                       "within_timescale": within,
                       "within_timescale_percent": round(100 * within / with_clock, 1) if with_clock else None,
                       "timescale_working_days": limit, "timescale_from": drp_clocks.timescale_from(),
                       "timescale_rule": drp_clocks.timescale_description()},
        "positive_practice": {"total": sum(pp_by_case_type.values()), "by_case_type": pp_by_case_type,
                              "by_team": _team_rows("positive_practice_positivepractice", "recorded_on", period)},
        "cafcass_referrals": cafcass,
        "trend": {"months": [add_months(first, i).strftime("%Y-%m") for i in range(TREND_MONTHS)],
                  "themes": series, "spikes": spikes},
    }


LEARNING_SQL = """
SELECT 'drps', t.slug, t.name, d.case_type, count(*) FROM drp_disputeresolution d
LEFT JOIN drp_disputeresolution_teams dt ON dt.disputeresolution_id = d.id
LEFT JOIN people_team t ON t.id = dt.team_id WHERE d.raised_on BETWEEN %(s)s AND %(e)s GROUP BY 2, 3, 4
UNION ALL
SELECT 'positive_practice', t.slug, t.name, p.case_type, count(*) FROM positive_practice_positivepractice p
LEFT JOIN people_team t ON t.id = p.team_id WHERE p.recorded_on BETWEEN %(s)s AND %(e)s GROUP BY 2, 3, 4
UNION ALL
SELECT 'themes', t.slug, t.name, th.slug, count(*) FROM drp_disputeresolution_themes x
JOIN drp_disputeresolution d ON d.id = x.disputeresolution_id JOIN drp_theme th ON th.id = x.theme_id
LEFT JOIN drp_disputeresolution_teams dt ON dt.disputeresolution_id = d.id
LEFT JOIN people_team t ON t.id = dt.team_id WHERE d.raised_on BETWEEN %(s)s AND %(e)s GROUP BY 2, 3, 4
"""

FOOTPRINT_SQL = """
WITH raised AS (
    SELECT d.raised_by_id AS person, count(*) FILTER (WHERE NOT s.is_formal) AS informal,
           count(*) FILTER (WHERE s.is_formal) AS formal
    FROM drp_disputeresolution d JOIN drp_stage s ON s.id = d.stage_id
    WHERE d.raised_on BETWEEN %(s)s AND %(e)s GROUP BY 1
), practice AS (
    SELECT recorded_by_id AS person, count(*) AS n FROM positive_practice_positivepractice
    WHERE recorded_on BETWEEN %(s)s AND %(e)s GROUP BY 1
), caseload AS (
    SELECT person, count(DISTINCT child) AS children FROM (
        SELECT d.raised_by_id AS person, c.child_id AS child FROM drp_disputeresolution d
        JOIN drp_disputeresolution_children c ON c.disputeresolution_id = d.id
        WHERE d.raised_on BETWEEN %(s)s AND %(e)s
        UNION ALL
        SELECT p.recorded_by_id, c.child_id FROM positive_practice_positivepractice p
        JOIN positive_practice_positivepractice_children c ON c.positivepractice_id = p.id
        WHERE p.recorded_on BETWEEN %(s)s AND %(e)s) both_
    GROUP BY person
)
SELECT u.id, u.first_name, u.last_name, u.username, coalesce(r.informal, 0), coalesce(r.formal, 0),
       coalesce(p.n, 0), coalesce(c.children, 0)
FROM (SELECT person FROM raised UNION SELECT person FROM practice) people
JOIN people_user u ON u.id = people.person
LEFT JOIN raised r ON r.person = people.person
LEFT JOIN practice p ON p.person = people.person
LEFT JOIN caseload c ON c.person = people.person
"""


def hand_learning(year: int) -> dict:
    from reports.periods import reporting_year

    period = reporting_year(year)
    p = {"s": period.start, "e": period.end}
    teams: dict[str, dict] = {}
    for kind, slug, name, key, n in _fetch(LEARNING_SQL, p):
        slug = slug or "not-recorded"
        team = teams.setdefault(slug, {
            "team": slug, "name": name or "No team recorded",
            "drps": {ct: 0 for ct in CASE_TYPES} | {"total": 0},
            "positive_practice": {ct: 0 for ct in CASE_TYPES} | {"total": 0}, "themes": {}})
        if kind == "themes":
            team["themes"][key] = n
        else:
            team[kind][key] = team[kind].get(key, 0) + n
            team[kind]["total"] += n
    people = []
    for pk, first, last, username, informal, formal, practice, children in _fetch(FOOTPRINT_SQL, p):
        total = informal + formal
        people.append({
            "user_id": pk, "drps_informal": informal, "drps_formal": formal, "drps_total": total,
            "positive_practice": practice, "name": f"{first} {last}".strip() or username, "username": username,
            "children": children,
            "drps_per_child": round(total / children, 2) if children else None,
            "positive_practice_per_child": round(practice / children, 2) if children else None,
        })
    return {
        "teams": sorted(teams.values(), key=lambda t: (t["team"] == "not-recorded", t["name"])),
        "people": sorted(people, key=lambda person: person["name"].casefold()),
    }


# --------------------------------------------------------------------------------------
# Measuring.
# --------------------------------------------------------------------------------------


def selector_learning(year: int) -> dict:
    """What ``LearningReportView`` returns, less the period."""
    from reports import selectors
    from reports.periods import reporting_year

    period = reporting_year(year)
    return {"teams": selectors.team_learning(period), "people": selectors.iro_footprint(period)}


def _on(day, report):
    """``report()`` as if today were ``day``."""
    from workflows.timesource import as_of

    def run():
        with as_of(day):
            return report()
    return run


def reports_to_measure():
    from reports import selectors
    from reports.do_indicators import do_indicator_report

    return [
        (f"DO indicators {REPORT_YEAR}", lambda: do_indicator_report(year=REPORT_YEAR),
         lambda: hand_do_indicator_report(_fetch, REPORT_YEAR)),
        (f"annual {REPORT_YEAR}", lambda: selectors.annual_report(REPORT_YEAR), lambda: hand_annual(REPORT_YEAR)),
        # The year in progress, as a manager opens it mid-month: its whole months and its days.
        (f"annual {REPORT_YEAR} to {YEAR_TO_DATE:%-d %b}", _on(YEAR_TO_DATE, lambda: selectors.annual_report(REPORT_YEAR)),
         _on(YEAR_TO_DATE, lambda: hand_annual(REPORT_YEAR))),
        (f"monthly {REPORT_MONTH:%Y-%m}", lambda: selectors.monthly_report(REPORT_MONTH),
         lambda: hand_monthly(REPORT_MONTH)),
        (f"learning {REPORT_YEAR}", lambda: selector_learning(REPORT_YEAR), lambda: hand_learning(REPORT_YEAR)),
    ]


def first_difference(a, b, path="report"):
    """Where two reports first differ, for the failure message."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return f"{path}[{key!r}]: only in {'selector' if key in a else 'hand SQL'}"
            found = first_difference(a[key], b[key], f"{path}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items (selector) vs {len(b)} (hand SQL)"
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: selector {a!r} vs hand SQL {b!r}"


def headline(report: dict) -> str:
    """A few of the figures, so the output shows the data is shaped like a service's."""
    if "designated_officer" in report:
        raised, do = report["drp"]["raised"], report["designated_officer"]
        return (f"DRPs raised CP {raised['CP']['this_year']:,} (last year {raised['CP']['last_year']:,}), "
                f"CLA {raised['CLA']['this_year']:,} ({raised['CLA']['last_year']:,}); DO enquiries "
                f"{do['enquiries']['this_year']:,} ({do['enquiries']['last_year']:,}), concluded "
                f"{do['concluded']:,}, timeliness {do['timeliness']}")
    if "years" in report:
        f = report["periods"][0]["figures"]
        return (f"DO referrals {f['referrals']['received']:,}, consultations {f['referrals']['consultations']:,}, "
                f"decisions on time {f['decisions']['on_time_percent']}%, first meetings on time "
                f"{f['first_meetings']['on_time_percent']}%, reviews on time {f['reviews']['on_time_percent']}%, "
                f"open at year end {f['open_at_end']['total']:,} (past target {f['delays']['past_target']:,}), "
                f"non-recent {f['non_recent']['non_recent']:,}; trend over {len(report['years'])} years")
    if "trend" in report:
        return (f"raised {report['raised']['total']:,}, closed {report['closed']['total']:,}, median "
                f"{report['resolution']['median_working_days']} working days to resolution, Cafcass "
                f"{report['cafcass_referrals']}, spikes {report['trend']['spikes']}")
    return f"{len(report['teams'])} teams, {len(report['people'])} IROs/CCs"


def timed(fn, repetitions: int):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    fn()  # warm-up (caches, plans)
    times, result, queries = [], None, []
    for _ in range(repetitions):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            result = fn()
            times.append((time.perf_counter() - started) * 1000)
        queries = ctx.captured_queries
    return result, times, queries


def explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cursor.fetchall()]


def measure(size: int, do_cases: int, repetitions: int, always_explain: bool, only: list[str] | None = None
            ) -> list[dict]:
    results = []
    for label, selector, hand in reports_to_measure():
        if only and not any(label.startswith(prefix) for prefix in only):
            continue
        report, s_times, queries = timed(selector, repetitions)
        expected, h_times, h_queries = timed(hand, repetitions)
        difference = first_difference(report, expected)
        if difference:
            raise AssertionError(f"{label} at {size:,} DRPs: the selector and the hand-written SQL differ: "
                                 f"{difference}")
        slowest = max(queries, key=lambda q: float(q["time"]))
        row = {
            "size": size, "do_cases": do_cases, "report": label, "queries": len(queries),
            "hand_queries": len(h_queries),
            "selector_ms": statistics.median(s_times), "selector_min_ms": min(s_times),
            "selector_p95_ms": percentile(s_times, 95),
            "hand_ms": statistics.median(h_times), "hand_min_ms": min(h_times),
            "sql_ms": sum(float(q["time"]) for q in queries) * 1000,
            "slowest_query_ms": float(slowest["time"]) * 1000, "slowest_query": slowest["sql"],
            "load": os.getloadavg()[0],
        }
        row["ratio"] = row["selector_ms"] / row["hand_ms"] if row["hand_ms"] else float("nan")
        results.append(row)
        print(f"  {label:<16} selector median {row['selector_ms']:8.1f} ms (min {row['selector_min_ms']:.1f}, "
              f"p95 {row['selector_p95_ms']:.1f}; SQL {row['sql_ms']:.0f} ms in {row['queries']} queries)  "
              f"hand SQL median {row['hand_ms']:8.1f} ms in {row['hand_queries']} queries  "
              f"x{row['ratio']:.2f}  equal: yes  load {row['load']:.2f}", flush=True)
        print("    " + headline(report), flush=True)
        sql = slowest["sql"]
        if (row["slowest_query_ms"] > EXPLAIN_OVER_MS or always_explain) and sql.lstrip().upper().startswith("SELECT"):
            plan = explain(sql)
            print(f"    slowest selector query {row['slowest_query_ms']:.0f} ms:\n      {sql[:400]}\n"
                  "    EXPLAIN (ANALYZE, BUFFERS):")
            for line in plan:
                print("      " + line)
    return results


def table(results: list[dict]) -> str:
    header = (f"{'DRPs':>9} {'DO enquiries':>12}  {'report':<16} {'selector ms':>11} {'(min)':>8} {'queries':>7}"
              f" {'hand SQL ms':>11} {'queries':>7} {'ratio':>6} {'slowest q ms':>12} {'load':>5}")
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(f"{r['size']:>9,} {r['do_cases']:>12,}  {r['report']:<16} {r['selector_ms']:>11.1f}"
                     f" {r['selector_min_ms']:>8.1f} {r['queries']:>7} {r['hand_ms']:>11.1f}"
                     f" {r['hand_queries']:>7} {r['ratio']:>6.2f} {r['slowest_query_ms']:>12.1f} {r['load']:>5.2f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drps", type=int, nargs="+", default=[100_000, 1_000_000],
                        help="DRP counts to measure at, grown in ascending order")
    parser.add_argument("--do-cases", type=int, default=1_000_000,
                        help="DO enquiries at the largest DRP count (scaled with the DRPs below it)")
    parser.add_argument("--repetitions", type=int, default=5, help="timed runs of each report (after 1 warm-up)")
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else " + DEFAULT_DATABASE_URL)
    parser.add_argument("--reset", action="store_true", help="drop and recreate the bench database first")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN every report's slowest query, not "
                        f"only those over {EXPLAIN_OVER_MS} ms")
    parser.add_argument("--only", nargs="+", metavar="REPORT",
                        help='measure only the reports whose label starts with one of these ("DO indicators", '
                             '"annual", "monthly", "learning"); default: all')
    args = parser.parse_args(argv)

    url = args.database_url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not url.split(":", 1)[0].lower().startswith("postgres"):
        raise SystemExit("report_bench: PostgreSQL only (the generators are PostgreSQL SQL)")
    os.environ["DATABASE_URL"] = url
    action = prepare_postgres(url, reset=args.reset)
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    print(f"database: {connection.settings_dict['NAME']} ({action}); uptime: "
          f"{os.popen('uptime').read().strip()}", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    versioned_defaults()
    org = ensure_org()
    sizes = sorted(set(args.drps))
    results = []
    for size in sizes:
        do_target = round(args.do_cases * size / sizes[-1])
        have = _count("drp_disputeresolution")
        if have > size:  # growing only adds rows: a smaller size needs --reset
            print(f"\n== skipping {size:,} DRPs: the database already holds {have:,} (use --reset)", flush=True)
            continue
        print(f"\n== {size:,} DRPs, {do_target:,} DO enquiries", flush=True)
        started = time.perf_counter()
        grow_drps(org, size)
        grow_do_cases(org, do_target)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        vacuum_analyze()
        print(f"generated in {generated:.1f} s, VACUUM ANALYZE {time.perf_counter() - started:.1f} s; rows: "
              + ", ".join(f"{k}={v:,}" for k, v in row_counts().items()), flush=True)
        results += measure(size, do_target, args.repetitions, args.explain, args.only)
    print(f"\nPostgreSQL, {args.repetitions} timed runs per row after 1 warm-up; every selector report "
          f"equals the hand-written SQL's. {os.cpu_count()} CPUs; uptime: {os.popen('uptime').read().strip()}\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
