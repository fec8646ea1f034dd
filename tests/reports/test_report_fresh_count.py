"""The reports equal a fresh count: after random changes to DRPs, positive practice and DO
cases, the annual, monthly and service-learning reports and the Designated Officer indicators the selectors give (with the per-month
theme and team counts the database keeps, the indexes and query shapes made for a million rows)
equal the hand-written SQL of bench/report_bench.py, which counts from the rows themselves; and
the kept counts equal a count of the links they stand for. PostgreSQL only: the hand SQL uses FILTER, GROUPING
SETS and percentile_cont."""

import random
import re
from datetime import date, timedelta
from unittest import mock

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from drp.models import DisputeResolution, Stage, Theme
from lado import figures as do_figures
from lado.models import Action, DestructionLog, Enquiry, EnquiryMonthCount
from lado.services.retention import purge
from people.models import Team
from positive_practice.models import PositivePractice
from reports import selectors
from reports.do_indicators import do_indicator_report
from reports.models import CaseMonthCount, TeamMonthCount, ThemeMonthCount
from reports.periods import Period, reporting_year
from tests.support import reports_helpers as make
from workflows.dates import add_months, is_month_end

pytestmark = pytest.mark.django_db

YEAR = 2025
MONTH = date(2026, 2, 1)


def random_day(rng, start=date(2024, 2, 1), end=date(2026, 3, 20)):
    return start + timedelta(days=rng.randrange((end - start).days))


def some_teams(org, rng):
    """A DRP's children's teams: none, one or two of them."""
    teams = [org.team, Team.objects.get_or_create(slug="fresh-count-other", defaults={"name": "Other team"})[0]]
    return rng.sample(teams, rng.choice([0, 1, 1, 2]))


def populate(org, rng, n=60):
    stages = list(Stage.objects.values_list("key", flat=True))
    themes = list(Theme.objects.filter(active=True).values_list("slug", flat=True))
    teams = [org.team, None]
    for _ in range(n):
        raised = random_day(rng)
        closed = raised + timedelta(days=rng.randrange(3, 90)) if rng.random() < 0.6 else None
        drp = make.drp(org, raised, case_type=rng.choice(["CP", "CLA"]), stage=rng.choice(stages),
                 themes=rng.sample(themes, rng.randint(1, 2)), closed_on=closed,
                 status=DisputeResolution.Status.WITHDRAWN if closed and rng.random() < 0.2 else None,
                 team=rng.choice(teams) or None,
                 cafcass_on=raised + timedelta(days=5) if rng.random() < 0.05 else None)
        drp.teams.set(some_teams(org, rng))
        make.practice(org, random_day(rng), case_type=rng.choice(["CP", "CLA"]))
        received = random_day(rng)
        kind = rng.random()
        if kind < 0.3:
            make.enquiry(org, received, status=Enquiry.Status.ADVICE_GIVEN, threshold_met=False,
                         closed_on=received + timedelta(days=1))
        elif kind < 0.6:
            make.enquiry(org, received, status=Enquiry.Status.CONCLUDED, threshold_met=True,
                         outcome=rng.choice(Enquiry.Outcome.values),
                         closed_on=received + timedelta(days=rng.randrange(5, 400)))
        elif kind < 0.7:
            make.enquiry(org, received, status=Enquiry.Status.CANCELLED, threshold_met=rng.choice([True, None]),
                         closed_on=received + timedelta(days=rng.randrange(2, 40)))
        else:
            make.enquiry(org, received, sector=rng.choice(["public", None]))


def change_at_random(org, rng):
    """What happens to records after they are made: closed, withdrawn, re-themed, re-dated,
    decided, concluded, cancelled, deleted."""
    themes = list(Theme.objects.filter(active=True))
    stages = list(Stage.objects.all())
    for drp in DisputeResolution.objects.order_by("?")[:20]:
        roll = rng.random()
        if roll < 0.3 and drp.closed_on is None:
            drp.status = rng.choice([DisputeResolution.Status.RESOLVED, DisputeResolution.Status.WITHDRAWN])
            drp.closed_on = drp.raised_on + timedelta(days=rng.randrange(1, 60))
            drp.closed_at_stage = rng.choice(stages)
            drp.save()
        elif roll < 0.5:
            drp.themes.set(rng.sample(themes, rng.randint(1, 3)))
        elif roll < 0.65:
            drp.raised_on = random_day(rng)
            drp.case_type = rng.choice(["CP", "CLA"])
            drp.save()
        elif roll < 0.75:
            drp.teams.clear()
        elif roll < 0.85:
            drp.teams.set(some_teams(org, rng))
        elif roll < 0.9:
            drp.delete()
        elif drp.closed_on is not None:  # reopened
            drp.status, drp.closed_on, drp.closed_at_stage = DisputeResolution.Status.AWAITING_RESPONSE, None, None
            drp.save()
    for practice in PositivePractice.objects.order_by("?")[:4]:
        if rng.random() < 0.5:
            practice.recorded_on, practice.case_type = random_day(rng), rng.choice(["CP", "CLA"])
            practice.save()
        else:
            practice.delete()
    # Cases closed long before the period: none of the DO counts of the year may take them in.
    for _ in range(3):
        received = random_day(rng, date(2022, 1, 1), date(2024, 12, 1))
        make.enquiry(org, received, status=Enquiry.Status.CONCLUDED, threshold_met=True,
                     outcome=rng.choice(Enquiry.Outcome.values), closed_on=received + timedelta(days=30))
    for enquiry in Enquiry.objects.order_by("?")[:15]:
        roll = rng.random()
        if roll < 0.4 and enquiry.closed_on is None:
            enquiry.status, enquiry.threshold_met = Enquiry.Status.CONCLUDED, True
            enquiry.outcome = rng.choice(Enquiry.Outcome.values)
            enquiry.decided_on = enquiry.received_on + timedelta(days=rng.randrange(0, 3))
            enquiry.closed_on = enquiry.received_on + timedelta(days=rng.randrange(10, 200))
            enquiry.save()
        elif roll < 0.6:
            Action.objects.create(enquiry=enquiry, kind=rng.choice(Action.Kind.values), owner_name="Police",
                                  recorded_by=org.designated_officer,
                                  recorded_at=enquiry.received_at + timedelta(days=2))
        elif roll < 0.7:
            enquiry.decided_on = enquiry.received_on + timedelta(days=rng.randrange(0, 4))
            enquiry.save()
        elif roll < 0.8:  # an incident about a year before the referral: either side of non-recent
            enquiry.incident_on = (add_months(enquiry.received_on, -rng.choice([11, 12, 13]))
                                   + timedelta(days=rng.choice([-1, 0, 1])))
            enquiry.save()
        else:
            change_enquiry_outcome(org, enquiry, rng)


def change_enquiry_outcome(org, enquiry, rng):
    """What the DO counts the database keeps must follow: a case reopened, closed again with
    another outcome or on another day, its threshold decision changed, its breakdowns changed,
    destroyed."""
    roll = rng.random()
    if roll < 0.25 and enquiry.closed_on is not None:
        enquiry.status, enquiry.outcome, enquiry.closed_on = Enquiry.Status.IN_PROGRESS, "", None
    elif roll < 0.45 and enquiry.status == Enquiry.Status.CONCLUDED:
        enquiry.outcome = rng.choice(Enquiry.Outcome.values)
        enquiry.closed_on = enquiry.received_on + timedelta(days=rng.randrange(10, 400))
    elif roll < 0.6:
        enquiry.threshold_met = rng.choice([True, False, None])
        enquiry.decided_on = enquiry.received_on + timedelta(days=rng.randrange(0, 5))
    elif roll < 0.7:
        enquiry.status, enquiry.threshold_met, enquiry.outcome = Enquiry.Status.CANCELLED, rng.choice([True, None]), ""
        enquiry.closed_on = enquiry.received_on + timedelta(days=rng.randrange(1, 60))
    elif roll < 0.8:
        enquiry.sector, enquiry.category = None, None
    elif roll < 0.9:  # received on another day, never after it was decided or closed
        latest = min(day for day in (enquiry.decided_on, enquiry.closed_on, date(2026, 3, 20)) if day)
        enquiry.received_on = random_day(rng, latest - timedelta(days=400), latest)
    else:
        destroy(org, enquiry)
        return
    enquiry.save()


def destroy(org, enquiry):
    """As ``lado.services.retention.enquiry_destroy`` does, whatever the enquiry's review date."""
    with transaction.atomic():
        DestructionLog.objects.create(case_id=enquiry.pk, reference=enquiry.reference, closure=enquiry.closure,
                                      received_on=enquiry.received_on, closed_on=enquiry.closed_on,
                                      destroyed_by=org.designated_officer, reason="Fresh-count test")
        purge(enquiry)


def assert_reports_equal_fresh_count(hand):
    period = reporting_year(YEAR)
    pairs = [
        ("annual", selectors.annual_report(YEAR), hand.hand_annual(YEAR)),
        ("monthly", selectors.monthly_report(MONTH), hand.hand_monthly(MONTH)),
        ("learning", {"teams": selectors.team_learning(period), "people": selectors.iro_footprint(period)},
         hand.hand_learning(YEAR)),
        ("DO indicators", do_indicator_report(year=YEAR), hand.hand_do_indicator_report(hand._fetch, YEAR)),
    ]
    for name, report, fresh in pairs:
        difference = hand.first_difference(report, fresh)
        assert difference is None, f"{name}: {difference}"


@pytest.mark.parametrize("seed", [1, 2])
def test_reports_equal_a_fresh_count_after_random_changes(org, hand, seed):
    rng = random.Random(seed)
    populate(org, rng)
    assert_reports_equal_fresh_count(hand)
    for _ in range(3):
        change_at_random(org, rng)
        assert_reports_equal_fresh_count(hand)
    # The themes and the teams were read from the counts the database keeps, not from the links.
    assert ThemeMonthCount.objects.filter(n__gt=0).exists()
    assert TeamMonthCount.objects.filter(n__gt=0, theme_id__gt=0).exclude(team_id=0).exists()
    assert TeamMonthCount.objects.filter(n__gt=0, team_id=0).exists()
    # The figures are not all zeros: the comparison compared something.
    annual = selectors.annual_report(YEAR)
    assert sum(ct["this_year"] for ct in annual["drp"]["raised"].values()) > 0
    assert annual["designated_officer"]["enquiries"]["this_year"] > 0
    assert Enquiry.objects.filter(incident_on__isnull=False).exists()


FRESH_TEAM_COUNTS = """
SELECT date_trunc('month', d.raised_on)::date, d.case_type, coalesce(t.team_id, 0), th.theme, count(*)
FROM drp_disputeresolution d
LEFT JOIN drp_disputeresolution_teams t ON t.disputeresolution_id = d.id
JOIN (SELECT id AS drp, 0::bigint AS theme FROM drp_disputeresolution
      UNION ALL SELECT disputeresolution_id, theme_id FROM drp_disputeresolution_themes) th ON th.drp = d.id
GROUP BY 1, 2, 3, 4
"""


def kept_team_counts():
    return {(row.month, row.case_type, row.team_id, row.theme_id): row.n
            for row in TeamMonthCount.objects.exclude(n=0)}


def fresh_team_counts():
    with connection.cursor() as cursor:
        cursor.execute(FRESH_TEAM_COUNTS)
        return {tuple(row[:4]): row[4] for row in cursor.fetchall()}


def test_kept_team_counts_equal_a_count_of_the_links_through_every_kind_of_change(org, hand):
    """Each trigger of reports/0005: DRPs raised (the DRP, then its links), moved to another
    month or case type, their teams and themes added, replaced and cleared, DRPs deleted, and
    several DRPs changed in one statement."""
    rng = random.Random(3)
    populate(org, rng, n=25)
    assert kept_team_counts() == fresh_team_counts() != {}
    for _ in range(3):
        change_at_random(org, rng)
        assert kept_team_counts() == fresh_team_counts()
    # One statement moving many DRPs (a bulk update, as an import does), and one deleting links.
    DisputeResolution.objects.filter(raised_on__lt=date(2025, 6, 1)).update(raised_on=date(2025, 7, 15))
    DisputeResolution.objects.filter(case_type="CP").update(case_type="CLA")
    DisputeResolution.themes.through.objects.filter(theme__slug="drift-and-delay").delete()
    DisputeResolution.teams.through.objects.filter(team=org.team).delete()
    assert kept_team_counts() == fresh_team_counts()
    DisputeResolution.objects.all().delete()
    assert kept_team_counts() == {}


def figures_counted_from_the_enquiries(start, end):
    with mock.patch.object(do_figures, "database_keeps_counts", return_value=False):
        assert do_figures.kept_and_counted(start, end) == (None, (start, end))
        return do_figures.figures(start, end)


#: Periods of DO figures: years, whose months the kept counts answer for; months of 31 days
#: (their age bands' edges are month ends) and a month of 30 days (31 May is not: the month its
#: edge falls in is counted); years to date, whose days after the last whole month are counted;
#: a day; and a period not from a 1st (all counted).
DO_PERIODS = [reporting_year(year) for year in range(2022, 2027)] + [
    Period(date(2025, 12, 1), date(2025, 12, 31)),
    Period(date(2026, 3, 1), date(2026, 3, 31)),
    Period(date(2025, 6, 1), date(2025, 6, 30)),
    Period(date(2025, 4, 1), date(2026, 2, 17)),
    Period(date(2025, 4, 1), date(2026, 3, 30)),
    Period(date(2025, 4, 1), date(2025, 4, 1)),
    Period(date(2025, 6, 15), date(2025, 11, 3)),
]


def assert_do_figures_equal_a_count_of_the_enquiries():
    for period in DO_PERIODS:
        with CaptureQueriesContext(connection) as read:
            kept = do_figures.figures(period.start, period.end)
        statements = " ".join(q["sql"] for q in read.captured_queries)
        on_postgresql = connection.vendor == "postgresql"
        assert ("lado_enquirymonthcount" in statements) == on_postgresql
        # Whole months whose age bands' edges are month ends (a year to 31 March) read no enquiry.
        whole = period.start.day == 1 and all(is_month_end(day) for day in [period.end, *do_figures._band_edges(period.end)])
        assert bool(re.search(r'FROM "lado_enquiry"(\s|$)', statements)) == (not on_postgresql or not whole), period
        assert kept == figures_counted_from_the_enquiries(period.start, period.end), period
        assert do_figures.received_count(period.start, period.end) == Enquiry.objects.filter(
            received_on__gte=period.start, received_on__lte=period.end).count()


def test_kept_enquiry_counts_equal_a_count_of_the_enquiries_through_every_kind_of_change(org, hand):
    """The triggers of lado/0022: enquiries received, decided, closed, reopened, closed with
    another outcome, cancelled, moved to another month, their breakdowns cleared, destroyed; and
    many enquiries changed or deleted in one statement."""
    rng = random.Random(4)
    populate(org, rng, n=40)
    assert EnquiryMonthCount.objects.filter(n__gt=0, measure="open_until").exclude(value="").exists()
    assert_do_figures_equal_a_count_of_the_enquiries()
    for _ in range(4):
        change_at_random(org, rng)
        for enquiry in Enquiry.objects.order_by("?")[:10]:
            change_enquiry_outcome(org, enquiry, rng)
        assert_do_figures_equal_a_count_of_the_enquiries()
    assert DestructionLog.objects.exists()
    # One statement reopening many, one closing many, one moving many (as an import does).
    Enquiry.objects.filter(status=Enquiry.Status.CONCLUDED, received_on__lt=date(2025, 6, 1)).update(
        status=Enquiry.Status.IN_PROGRESS, outcome="", closed_on=None)
    Enquiry.objects.filter(closed_on__isnull=True).update(
        status=Enquiry.Status.CONCLUDED, outcome="unfounded", threshold_met=True, closed_on=date(2026, 3, 31),
        decided_on=date(2025, 12, 1))
    Enquiry.objects.filter(received_on__gte=date(2025, 10, 1)).update(received_on=date(2025, 4, 30))
    assert_do_figures_equal_a_count_of_the_enquiries()
    # Dates mistyped: decided and closed months before the enquiry was received, some after a
    # period's end (each period counts only the enquiries received by its end).
    Enquiry.objects.filter(closed_on__lte=date(2026, 1, 31)).update(
        received_on=F("closed_on") + timedelta(days=70), decided_on=F("closed_on") - timedelta(days=1))
    assert EnquiryMonthCount.objects.filter(n__gt=0, value__contains="@").exists()
    assert_do_figures_equal_a_count_of_the_enquiries()
    for enquiry in Enquiry.objects.all():
        destroy(org, enquiry)
    assert not EnquiryMonthCount.objects.exclude(n=0).exists()


FRESH_CASE_COUNTS = """
SELECT date_trunc('month', raised_on)::date, 'drp_raised', case_type, status, coalesce(closed_at_stage_id, 0), count(*)
FROM drp_disputeresolution GROUP BY 1, 3, 4, 5
UNION ALL
SELECT date_trunc('month', closed_on)::date, 'drp_closed', case_type, status, coalesce(closed_at_stage_id, 0), count(*)
FROM drp_disputeresolution WHERE closed_on IS NOT NULL GROUP BY 1, 3, 4, 5
UNION ALL
SELECT date_trunc('month', recorded_on)::date, 'practice', case_type, '', 0, count(*)
FROM positive_practice_positivepractice GROUP BY 1, 3
"""


def kept_case_counts():
    return {(row.month, row.measure, row.case_type, row.status, row.stage_id): row.n
            for row in CaseMonthCount.objects.exclude(n=0)}


def fresh_case_counts():
    with connection.cursor() as cursor:
        cursor.execute(FRESH_CASE_COUNTS)
        return {tuple(row[:5]): row[5] for row in cursor.fetchall()}


def test_kept_case_counts_equal_a_count_of_the_drps_and_positive_practice(org, hand):
    """The triggers of reports/0007: DRPs raised, closed, reopened, re-dated, deleted, positive
    practice recorded, re-dated and deleted, one at a time and many in one statement."""
    rng = random.Random(5)
    populate(org, rng, n=25)
    assert kept_case_counts() == fresh_case_counts() != {}
    for _ in range(3):
        change_at_random(org, rng)
        assert kept_case_counts() == fresh_case_counts()
    DisputeResolution.objects.filter(raised_on__lt=date(2025, 6, 1)).update(raised_on=date(2025, 7, 15))
    DisputeResolution.objects.filter(status=DisputeResolution.Status.WITHDRAWN).update(
        status=DisputeResolution.Status.RESOLVED, closed_on=date(2026, 1, 5))
    PositivePractice.objects.filter(case_type="CP").update(case_type="CLA")
    assert kept_case_counts() == fresh_case_counts()
    DisputeResolution.objects.all().delete()
    PositivePractice.objects.all().delete()
    assert kept_case_counts() == {}


def kept_theme_counts():
    return {(row.month, row.case_type, row.theme_id): row.n for row in ThemeMonthCount.objects.exclude(n=0)}


def fresh_theme_counts():
    with connection.cursor() as cursor:
        cursor.execute("SELECT date_trunc('month', d.raised_on)::date, d.case_type, x.theme_id, count(*) "
                       "FROM drp_disputeresolution_themes x JOIN drp_disputeresolution d ON d.id = x.disputeresolution_id "
                       "GROUP BY 1, 2, 3")
        return {tuple(row[:3]): row[3] for row in cursor.fetchall()}


def test_kept_counts_equal_a_fresh_count_after_a_reimport_that_changes_some_links(org, hand):
    """An import deletes only the links a re-imported DRP lost and adds only new ones (the rest
    are left alone): the theme and team counts follow what changed and nothing else."""
    from tests.support.import_files import TODAY, drp_row, run

    closed = {"status": "resolved", "closed_on": TODAY.isoformat()}
    rows = [drp_row(reference=f"R-{n}", themes="placement;drift-and-delay", **closed) for n in range(4)]
    assert run(org, "drp", rows, create_children=True).errors == []
    rows[0].update(themes="placement;health")  # one theme kept, one lost, one added
    rows[1].update(team="", child_references="C000002")  # its team now the child's (none: the lead's)
    rows[2].update(raised_on=(TODAY - timedelta(days=400)).isoformat())  # another month, same links
    assert run(org, "drp", rows, create_children=True).errors == []
    assert kept_team_counts() == fresh_team_counts() != {}
    assert kept_theme_counts() == fresh_theme_counts() != {}

