"""Designated Officer outcomes in the reports (issue 12, docs/rules.md): cancelled enquiries on
their own row, the ageing of open cases, decisions within a working day and actions."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.utils import timezone

from lado import clocks, services
from lado.models import Action, Enquiry
from lado.selectors import figures
from reports import disclosure, selectors, tables
from reports.periods import reporting_year
from tests.support.auth import login
from tests.support.lado_fixtures import at, client_for, log, meet
from tests.support.lado_rules import S
from tests.support.reports_helpers import enquiry as report_enquiry
from workflows.clocks import as_of

pytestmark = pytest.mark.django_db


# --- Outcomes in the reports --------------------------------------------------------------------

def test_cancelled_before_decision_on_its_own_row(org, client):
    with as_of(date(2025, 4, 17)):
        before = services.enquiry_cancel(enquiry=log(org, received_at=at(date(2025, 4, 17))),
                                         actor=org.designated_officer, reason="Referrer withdrew")
        after = services.enquiry_cancel(enquiry=meet(org, log(org, received_at=at(date(2025, 4, 17)))),
                                        actor=org.designated_officer, reason="Police took over")
        advised = services.enquiry_decide(enquiry=log(org, received_at=at(date(2025, 4, 17))),
                                          actor=org.designated_officer, threshold_met=False, criteria=[],
                                          rationale="Below the threshold")
    rows = [clocks.outcome_row(status=e.status, threshold_met=e.threshold_met, outcome=e.outcome)
            for e in (before, after, advised)]
    assert rows == ["cancelled_before_decision", "cancelled", "advice_given"]
    # The same rule in the database, and as the importer states a case (outcome "cancelled").
    for case, row in zip((before, after, advised), rows):
        assert list(Enquiry.objects.filter(clocks.outcome_row_filter(row))) == [case]
    assert clocks.closing_status(threshold_met=None, outcome="cancelled") == "cancelled"
    assert clocks.closing_status(threshold_met=True, outcome="cancelled") == "cancelled"
    do = figures(date(2025, 4, 1), date(2026, 3, 31))
    assert do["outcomes"]["cancelled"] == 1 and do["cancelled_before_decision"] == 1
    report = selectors.annual_report(2025)["designated_officer"]
    assert report["outcomes"]["cancelled"] == 1 and report["outcomes"]["total"] == 1
    assert report["cancelled_before_decision"] == 1
    login(client, org.do_manager)
    csv_text = client.get("/reports/annual/?year=2025&format=csv").content.decode()
    assert "Cancelled after the threshold was met,1" in csv_text
    assert "Total (threshold met),1" in csv_text
    assert "Cancelled before a threshold decision (not in the total),1" in csv_text


def _action(org, case, kind, day, **extra):
    return Action.objects.create(enquiry=case, kind=kind, owner_name="Owner", recorded_by=org.designated_officer,
                                 recorded_at=timezone.make_aware(datetime.combine(day, time(10))), **extra)


def test_annual_report_shows_open_cases_by_age_decisions_within_a_working_day_and_actions(org, client):
    """Open at 31 March 2026 by time since referral; threshold decisions made in the year by their
    due date; cases with a police investigation, suspension, DBS or regulator referral action
    recorded in the year."""
    for received, count in ((date(2026, 3, 10), 2), (date(2026, 1, 15), 1), (date(2025, 9, 1), 3),
                            (date(2024, 12, 1), 1)):
        for _ in range(count):
            report_enquiry(org, received, S.IN_PROGRESS, threshold_met=True)
    # closed after the year ended: still open on 31 March
    report_enquiry(org, date(2025, 6, 2), S.CONCLUDED, threshold_met=True, outcome="false",
                   closed_on=date(2026, 4, 10))
    # closed within the year: not open at the end
    report_enquiry(org, date(2025, 6, 2), S.CONCLUDED, threshold_met=True, outcome="false",
                   closed_on=date(2026, 3, 1))
    on_time = report_enquiry(org, date(2025, 5, 6), S.IN_PROGRESS, threshold_met=True)
    late = report_enquiry(org, date(2025, 5, 6), S.IN_PROGRESS, threshold_met=True)
    Enquiry.objects.filter(pk=on_time.pk).update(decided_on=date(2025, 5, 7))
    Enquiry.objects.filter(pk=late.pk).update(decided_on=date(2025, 5, 9))
    for kind in ("police-investigation", "police-investigation", "suspension"):
        _action(org, on_time, kind, date(2025, 6, 1))
    _action(org, late, "police-investigation", date(2025, 6, 1))
    _action(org, late, "dbs-referral", date(2026, 4, 2))  # next year
    _action(org, late, "regulator-referral", date(2025, 7, 1), regulator="tra")
    do = selectors.annual_report(2025)["designated_officer"]
    assert do["open_at_end"] == {"under_1_month": 2, "1_to_3_months": 1, "3_to_12_months": 6,
                                 "over_12_months": 1, "total": 10}
    assert do["decisions"] == {"made": 2, "within_timescale": 1, "within_timescale_percent": 50.0,
                               "working_days": 1}
    assert do["actions"] == {"police_investigations": 2, "suspensions": 1, "dbs_referrals": 0,
                             "regulator_referrals": 1}
    # The DO team sees them; an auditor sees the ended year with small counts suppressed.
    login(client, org.do_manager)
    rows = client.get("/reports/annual/?year=2025&format=csv").content.decode()
    assert "Over 12 months,1" in rows and "Total open,10" in rows and "Police investigation,2" in rows
    assert "Made within 1 working day of receipt (%),50.0" in rows
    with as_of(date(2026, 4, 20)):
        outsider, how = disclosure.designated_officer_for(org.auditor, do, reporting_year(2025),
                                                          tables.vocabulary_names())
    assert outsider["open_at_end"]["3_to_12_months"] == 6 and outsider["open_at_end"]["total"] == 10
    assert outsider["open_at_end"]["over_12_months"] is None and outsider["actions"]["suspensions"] is None
    assert outsider["decisions"]["within_timescale_percent"] is None
    assert {"open_at_end.over_12_months", "actions.suspensions", "decisions.within_timescale_percent",
            "cancelled_before_decision"} <= set(how["suppressed"])
    # A lone small band would come back from the total: a second one goes with it.
    assert sum(value is None for value in outsider["open_at_end"].values()) >= 2
    api = client_for(org.auditor)
    with as_of(date(2026, 4, 20)):
        body = api.get("/api/v1/reports/annual/?year=2025").json()
    assert body["designated_officer"]["open_at_end"]["3_to_12_months"] == 6
    assert "actions.suspensions" in body["designated_officer_disclosure"]["suppressed"]
