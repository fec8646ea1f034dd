"""Importing historical positive practice and Designated Officer enquiries (issue 5): every column,
the enquiry's statuses and clocks, and the errors naming the row and column."""

from datetime import timedelta

import pytest

from lado.models import Enquiry
from lado.models import TimelineEvent as LadoEvent
from positive_practice.models import PositivePractice
from positive_practice.models import TimelineEvent as PpEvent
from tests.support.import_files import PAST, TODAY, errors_of, lado_row, pp_row, run
from workflows.calendar import add_working_days

# --- Positive practice -----------------------------------------------------------------------

def test_positive_practice_every_column(org):
    result = run(org, "positive_practice", [pp_row(child_references="C000001;NEW-PP")], name="pp.csv",
                 create_children=True)
    assert result.as_dict() == {"created": 1, "updated": 0, "errors": []}
    pp = PositivePractice.objects.get(reference="PPH-1")
    assert pp.case_type == "CP" and pp.team == org.team and pp.recorded_on == PAST
    assert pp.practitioner_name == "A foster carer" and pp.what_happened == "Kept the child safe"
    assert pp.impact == "Not recorded" and pp.recorded_by == org.iro_manager
    assert sorted(pp.children.values_list("reference", flat=True)) == ["C000001", "NEW-PP"]
    assert pp.history.first().history_change_reason == "Imported from pp.csv"
    assert pp.timeline.get().action == PpEvent.Action.IMPORTED
    again = run(org, "positive_practice", [pp_row(team="", practitioner="", summary="Changed")])
    assert (again.created, again.updated) == (0, 1)
    pp.refresh_from_db()
    assert pp.team is None and pp.practitioner_name == "" and pp.what_happened == "Changed"


@pytest.mark.parametrize("change, column", [
    ({"recorded_on": "yesterday"}, "recorded_on"),
    ({"recorded_on": (TODAY + timedelta(days=1)).isoformat()}, "recorded_on"),
    ({"summary": ""}, "summary"),
    ({"case_type": "LAC"}, "case_type"),
    ({"team": "unknown"}, "team"),
    ({"child_references": ""}, "child_references"),
    ({"practitioner": "x" * 201}, "practitioner"),
])
def test_positive_practice_errors(org, change, column):
    result = run(org, "positive_practice", [pp_row(**change)])
    assert (2, column) in errors_of(result)
    assert not PositivePractice.objects.exists()


# --- Designated Officer ----------------------------------------------------------------------

def test_lado_statuses_and_clocks(org):
    decided = PAST + timedelta(days=1)
    concluded = PAST + timedelta(days=20)
    rows = [
        lado_row(reference="AWAIT", sector="", setting="", category="", referral_source=""),
        lado_row(reference="ADVICE", threshold_met="no", decided_on=decided.isoformat()),
        lado_row(reference="PROGRESS", threshold_met="yes", decided_on=decided.isoformat()),
        lado_row(reference="DONE", threshold_met="yes", decided_on=decided.isoformat(),
                 concluded_on=concluded.isoformat(), outcome="unfounded"),
        lado_row(reference="CANCEL", threshold_met="yes", decided_on=decided.isoformat(),
                 concluded_on=concluded.isoformat(), outcome="cancelled"),
    ]
    result = run(org, "lado", rows, name="do.csv")
    assert result.as_dict() == {"created": 5, "updated": 0, "errors": []}
    by_ref = {e.reference: e for e in Enquiry.objects.all()}
    assert by_ref["AWAIT"].status == "awaiting_decision" and by_ref["AWAIT"].sector is None
    assert by_ref["ADVICE"].status == "advice_given" and by_ref["ADVICE"].closed_on == decided
    assert by_ref["ADVICE"].threshold_met is False and by_ref["ADVICE"].retention_review_on is not None
    assert by_ref["PROGRESS"].status == "in_progress" and by_ref["PROGRESS"].closed_on is None
    assert by_ref["DONE"].status == "concluded" and by_ref["DONE"].outcome == "unfounded"
    assert by_ref["DONE"].closed_on == concluded
    assert by_ref["CANCEL"].status == "cancelled" and by_ref["CANCEL"].closed_on == concluded
    done = by_ref["DONE"]
    assert done.received_on == PAST and done.decided_on == decided
    assert done.sector.slug == "public" and done.setting.slug == "education"
    assert done.category.slug == "physical" and done.referral_source.slug == "police"
    assert done.decision_due == add_working_days(PAST, 1)
    assert done.target_1_due > PAST and done.target_3_due > done.target_2_due > done.target_1_due
    assert done.logged_by == org.do_manager
    assert done.history.first().history_change_reason == "Imported from do.csv"
    assert done.timeline.get().action == LadoEvent.Event.IMPORTED
    closed = [row for row in rows if row["reference"] in ("ADVICE", "DONE", "CANCEL")]
    again = run(org, "lado", closed)
    assert (again.created, again.updated) == (0, 3) and Enquiry.objects.count() == 5
    # The open ones (rows 2 and 4) are not an import's to change any more.
    assert {(2, "reference"), (4, "reference")} == errors_of(run(org, "lado", rows))


@pytest.mark.parametrize("change, column", [
    ({"received_on": "2020-02-30"}, "received_on"),
    ({"received_on": ""}, "received_on"),
    ({"received_on": (TODAY + timedelta(days=1)).isoformat()}, "received_on"),
    ({"sector": "mars"}, "sector"),
    ({"setting": "moon"}, "setting"),
    ({"category": "x"}, "category"),
    ({"referral_source": "y"}, "referral_source"),
    ({"threshold_met": "maybe"}, "threshold_met"),
    ({"threshold_met": "yes"}, "decided_on"),
    ({"decided_on": PAST.isoformat()}, "decided_on"),
    ({"threshold_met": "yes", "decided_on": (PAST - timedelta(days=1)).isoformat()}, "decided_on"),
    ({"threshold_met": "yes", "decided_on": PAST.isoformat(), "category": ""}, "category"),
    ({"threshold_met": "yes", "decided_on": PAST.isoformat(), "outcome": "guilty",
      "concluded_on": PAST.isoformat()}, "outcome"),
    ({"threshold_met": "no", "decided_on": PAST.isoformat(), "outcome": "false",
      "concluded_on": PAST.isoformat()}, "outcome"),
    ({"threshold_met": "yes", "decided_on": PAST.isoformat(), "outcome": "false"}, "concluded_on"),
    ({"threshold_met": "yes", "decided_on": PAST.isoformat(), "concluded_on": PAST.isoformat()}, "concluded_on"),
    ({"threshold_met": "yes", "decided_on": PAST.isoformat(), "outcome": "false",
      "concluded_on": (PAST - timedelta(days=3)).isoformat()}, "concluded_on"),
])
def test_lado_errors(org, change, column):
    result = run(org, "lado", [lado_row(**change)])
    assert (2, column) in errors_of(result), result.errors
    assert not Enquiry.objects.exists()
