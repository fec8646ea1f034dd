"""A long bulk write (an import past FOOTPRINT_IMPORT_RECOUNT_ROWS) defers the counts the
database keeps and counts them again at its end: they equal a fresh count, as the triggers'
counts do (test_report_fresh_count.py). PostgreSQL only: the kept counts are its triggers'."""

import random
from datetime import date, timedelta

import pytest
from django.db import connection, transaction

from tests.reports.test_report_fresh_count import (
    assert_do_figures_equal_a_count_of_the_enquiries,
    fresh_case_counts,
    fresh_team_counts,
    fresh_theme_counts,
    kept_case_counts,
    kept_team_counts,
    kept_theme_counts,
    populate,
)
from tests.support import reports_helpers as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the kept counts are PostgreSQL's triggers")



def assert_every_kept_count_equals_a_fresh_count():
    assert kept_theme_counts() == fresh_theme_counts() != {}
    assert kept_team_counts() == fresh_team_counts() != {}
    assert kept_case_counts() == fresh_case_counts() != {}
    assert_do_figures_equal_a_count_of_the_enquiries()


def test_a_long_import_counts_the_kept_counts_once_at_its_end_equal_to_a_fresh_count(org, on_postgresql, settings):
    """An import past FOOTPRINT_IMPORT_RECOUNT_ROWS does not move the counts chunk by chunk (a
    million rows made one transaction update the same count rows 2,000 times): it counts them
    again before it commits, from every record, those made in Footprint included."""
    from tests.support.import_files import TODAY, drp_row, lado_row, pp_row, run

    settings.FOOTPRINT_IMPORT_RECOUNT_ROWS = 2
    populate(org, random.Random(6), n=15)
    closed = {"status": "resolved", "closed_on": TODAY.isoformat(), "closed_at_stage": "stage-1"}
    drps = [drp_row(reference=f"L-{n}", themes="placement;drift-and-delay", case_type=("CP", "CLA")[n % 2],
                    raised_on=(TODAY - timedelta(days=40 * n + 31)).isoformat(), **closed) for n in range(6)]
    assert run(org, "drp", drps, create_children=True).errors == []
    assert_every_kept_count_equals_a_fresh_count()
    drps[0].update(themes="health")  # a re-import: links lost and added, a DRP moved to another month
    drps[1].update(raised_on=(TODAY - timedelta(days=400)).isoformat(), team="")
    assert run(org, "drp", drps, create_children=True).errors == []
    practice = [pp_row(reference=f"LP-{n}", recorded_on=(TODAY - timedelta(days=35 * n + 31)).isoformat())
                for n in range(3)]
    assert run(org, "positive_practice", practice, create_children=True).errors == []
    enquiries = [lado_row(reference=f"LD-{n}", received_on=(TODAY - timedelta(days=45 * n + 40)).isoformat(),
                          threshold_met="yes", decided_on=(TODAY - timedelta(days=45 * n + 39)).isoformat(),
                          concluded_on=(TODAY - timedelta(days=45 * n + 10)).isoformat(), outcome="unfounded")
                 for n in range(4)]
    assert run(org, "lado", enquiries).errors == []
    assert_every_kept_count_equals_a_fresh_count()


def test_deferred_counts_stand_still_until_the_block_ends_then_count_every_record(org, on_postgresql):
    from workflows.database import counts_deferred

    populate(org, random.Random(7), n=5)
    before = kept_case_counts()
    with transaction.atomic():
        with counts_deferred(["drp_disputeresolution", "positive_practice_positivepractice"]):
            make.drp(org, date(2025, 9, 3), case_type="CP", stage="informal", themes=["placement"])
            make.practice(org, date(2025, 9, 4), case_type="CLA")
            assert kept_case_counts() == before != fresh_case_counts()
        assert kept_case_counts() == fresh_case_counts()
        assert kept_team_counts() == fresh_team_counts()
    assert kept_case_counts() == fresh_case_counts()


def test_deferred_counts_are_not_counted_again_when_the_transaction_is_to_roll_back(org, on_postgresql):
    """A recount reads every record: an import refused at its last chunk spends nothing on it."""
    from django.test.utils import CaptureQueriesContext

    from workflows.database import counts_deferred

    populate(org, random.Random(8), n=3)
    before = kept_case_counts()
    with CaptureQueriesContext(connection) as statements, transaction.atomic():
        with counts_deferred(["drp_disputeresolution"]):
            make.drp(org, date(2025, 9, 3), case_type="CP", stage="informal", themes=["placement"])
            transaction.set_rollback(True)
    assert not [s for s in statements.captured_queries if s["sql"].startswith(("LOCK", "DELETE FROM \"reports"))]
    assert kept_case_counts() == before == fresh_case_counts()
