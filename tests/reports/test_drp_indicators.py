"""DRP indicators (issue 16), each computed by hand on fixed data and compared with the report,
the API, the page and the CSV/XLSX downloads."""

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from drp import services
from drp.models import AgencyContact, ImpactCode, PartnerAgency, Stage, Theme
from positive_practice import services as pp_services
from reports.indicators import drp_indicator_report
from tests.support.auth import login
from tests.support.factories import cp_child, resolution
from tests.support.lado_fixtures import client_for
from workflows.clocks import as_of

pytestmark = pytest.mark.django_db
REPORT_DAY = date(2026, 12, 15)


def _raise(org, day, children, case_type, stage):
    with as_of(day):
        return services.drp_raise(actor=org.iro, children=children, case_type=case_type,
                                  themes=[Theme.objects.get(slug="placement")], concern="x",
                                  stage=Stage.objects.get(key=stage))


@pytest.fixture
def november(org):
    """Four DRPs, in working days (November 2026 has no bank holiday):

    A (CLA, the child): raised Mon 2 Nov at Stage 1 (due 9 Nov); answered 3 Nov with an action
      due 10 Nov, done 4 Nov; resolved 5 Nov (plan changed). Actions 1 day, resolution 3 days.
    B (CP, a CP child): raised 2 Nov informally (due 16 Nov), not answered; escalated 17 Nov to
      Stage 1 (due 24 Nov); an action for the health contact agreed 18 Nov (12 days), due 20
      Nov, not done; answered 25 Nov (late); resolved 30 Nov (20 days; plan changed and
      placement stabilised).
    C (CLA, the child and sibling): raised 10 Nov at Stage 1 (due 17 Nov), answered 12 Nov (2
      days) with an action due 27 Nov left open; escalated 13 Nov to Stage 2 addressed to the
      education contact (due 20 Nov: not answered).
    D (CP, another CP child): raised Thu 1 Oct informally (due 15 Oct), withdrawn 2 Oct.
    Positive practice: one CLA record in November.
    """
    nurse = AgencyContact.objects.create(agency=PartnerAgency.objects.get(slug="health"), name="Pat Nurse",
                                         email="pat@health.example")
    head = AgencyContact.objects.create(agency=PartnerAgency.objects.get(slug="education"), name="Hal Head",
                                        email="head@school.example")
    cp_one = cp_child(org, name="Cara Example", reference="C000003")
    cp_two = cp_child(org, name="Dan Example", reference="C000004")
    a = _raise(org, date(2026, 11, 2), [org.child], "CLA", "stage-1")
    b = _raise(org, date(2026, 11, 2), [cp_one], "CP", "informal")
    with as_of(date(2026, 11, 3)):
        services.drp_respond(drp=a, actor=org.team_manager, response="ok", actions=[
            {"what": "Meet", "due_on": date(2026, 11, 10), "owner": org.social_worker}])
    with as_of(date(2026, 11, 4)):
        services.drp_record_action(action=a.agreed_actions.get(), actor=org.social_worker, done=True)
    with as_of(date(2026, 11, 5)):
        services.drp_resolve(drp=a, actor=org.iro, **resolution())
    c = _raise(org, date(2026, 11, 10), [org.child, org.sibling], "CLA", "stage-1")
    with as_of(date(2026, 11, 12)):
        services.drp_respond(drp=c, actor=org.team_manager, response="ok", actions=[
            {"what": "Review plan", "due_on": date(2026, 11, 27), "owner": org.social_worker}])
        pp_services.positive_practice_record(actor=org.iro, children=[org.child], case_type="CLA",
                                             what_happened="Visited", impact="Heard")
    with as_of(date(2026, 11, 13)):
        services.drp_escalate(drp=c, actor=org.iro, reason="School place", stage=Stage.objects.get(key="stage-2"),
                              agency_contact=head, asked="Confirm a school place from January")
    with as_of(date(2026, 11, 17)):
        services.drp_escalate(drp=b, actor=org.iro, reason="No answer", stage=Stage.objects.get(key="stage-1"))
    with as_of(date(2026, 11, 18)):
        services.drp_agree_action(drp=b, actor=org.iro, what="Health assessment", due_on=date(2026, 11, 20),
                                  owner_contact=nurse)
    with as_of(date(2026, 11, 23)):
        services.drp_record_action(action=b.agreed_actions.get(), actor=org.iro, done=False, note="Clinic shut")
    with as_of(date(2026, 11, 25)):
        services.drp_respond(drp=b, actor=org.team_manager, response="late")
    with as_of(date(2026, 11, 30)):
        services.drp_resolve(drp=b, actor=org.iro, **resolution(impact_codes=list(
            ImpactCode.objects.filter(slug__in=["plan-changed", "placement-stabilised"]))))
    d = _raise(org, date(2026, 10, 1), [cp_two], "CP", "informal")
    with as_of(date(2026, 10, 2)):
        services.drp_withdraw(drp=d, actor=org.iro, reason="Raised in error")
    return org


def report(**kw):
    with as_of(REPORT_DAY):
        return drp_indicator_report(**kw)


def test_month_indicators_match_the_hand_count(november):
    month, ytd = report(month=date(2026, 11, 1))["periods"]
    assert (month["key"], month["label"]) == ("month", "November 2026")
    assert month["raised"] == {"CP": 1, "CLA": 2, "total": 3}
    assert month["children_affected"] == {"CP": 1, "CLA": 2, "total": 3}
    assert month["time_to_agreed_actions"] == {"count": 3, "median_working_days": 2,
                                               "bands": {"0-5": 2, "6-10": 0, "11-20": 1, "over-20": 0}}
    assert month["time_to_resolution"] == {"count": 2, "median_working_days": 11.5,
                                           "bands": {"0-5": 1, "6-10": 0, "11-20": 1, "over-20": 0}}
    stages = {s["stage"]: (s["due"], s["answered_on_time"]) for s in month["stage_deadlines"]["stages"]}
    assert stages["informal"] == (1, 0) and stages["stage-1"] == (3, 2) and stages["stage-2"] == (1, 0)
    assert stages["stage-3"] == (0, 0)
    assert month["stage_deadlines"]["answered_on_time_percent"] == 40.0
    assert month["agreed_actions"] == {"agreed": 3, "due": 3, "done_on_time": 1, "done_late": 0, "not_done": 1,
                                       "open_overdue": 1, "done_on_time_percent": 33.3}
    assert month["partner_agencies"]["actions"] == 1 and month["partner_agencies"]["drps"] == 2
    assert month["partner_agencies"]["stages"] == 1
    assert [a for a in month["partner_agencies"]["agencies"] if a["drps"]] == [
        {"agency": "health", "name": "Health", "actions": 1, "stages": 0, "drps": 1},
        {"agency": "education", "name": "Education", "actions": 0, "stages": 1, "drps": 1}]
    impact = {i["code"]: i["drps"] for i in month["impact"]}
    assert impact["plan-changed"] == 2 and impact["placement-stabilised"] == 1 and impact["no-change"] == 0
    assert month["positive_practice"] == {"CP": 0, "CLA": 1, "total": 1}
    assert month["by_team"] == [{"team": "north-1", "name": "North Team 1", "raised": 3, "children_affected": 3,
                                 "resolved": 2, "median_working_days_to_resolution": 11.5}]
    [iro] = month["by_iro"]
    assert (iro["username"], iro["raised"], iro["with_agreed_actions"], iro["median_working_days_to_agreed_actions"],
            iro["resolved"], iro["median_working_days_to_resolution"]) == ("iro", 3, 3, 2, 2, 11.5)
    # The year to date adds D (October): one more CP DRP and child, one more informal deadline missed.
    assert ytd["label"] == "Year to date (1 April 2026 to 30 November 2026)"
    assert ytd["raised"] == {"CP": 2, "CLA": 2, "total": 4}
    assert ytd["children_affected"] == {"CP": 2, "CLA": 2, "total": 4}
    assert ytd["stage_deadlines"]["due"] == 6 and ytd["stage_deadlines"]["answered_on_time_percent"] == 33.3


def test_annual_indicators_cover_the_reporting_year(november):
    [year] = report(year=2026)["periods"]
    assert year["key"] == "year" and year["period"] == {"start": "2026-04-01", "end": "2027-03-31"}
    assert year["raised"]["total"] == 4 and year["time_to_resolution"]["count"] == 2
    [previous] = report(year=2025)["periods"]
    assert previous["raised"]["total"] == 0 and previous["time_to_resolution"]["median_working_days"] is None


def test_indicators_api_page_and_downloads_agree(november, client):
    api = client_for(november.iro_manager)
    with as_of(REPORT_DAY):
        body = api.get("/api/v1/reports/drp-indicators/?month=2026-11").json()
        assert body == report(month=date(2026, 11, 1))
        assert api.get("/api/v1/reports/drp-indicators/?month=2026-13").status_code == 400
        assert client_for(november.iro).get("/api/v1/reports/drp-indicators/").status_code == 403
        login(client, november.iro_manager)
        page = client.get("/reports/drp-indicators/?month=2026-11")
        assert page.status_code == 200
        text = page.content.decode()
        assert "Median working days from raised to resolution" in text and "11.5" in text
        assert client.get("/reports/drp-indicators/?year=20x6").status_code == 400
        rows = list(csv.reader(io.StringIO(client.get("/reports/drp-indicators/?month=2026-11&format=csv")
                                           .content.decode("utf-8-sig"))))
        xlsx = client.get("/reports/drp-indicators/?year=2026&format=xlsx")
    assert ["Median working days from raised to agreed actions", "2", "2"] in rows
    assert ["Agreed actions open past their date", "1", "1"] in rows
    assert ["Health", "1", "0", "1"] in rows and ["Education", "0", "1", "1"] in rows
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxml")


def test_indicators_use_a_constant_number_of_queries(november, client):
    login(client, november.iro_manager)
    counts = []
    for extra in (0, 6):
        for i in range(extra):
            _raise(november, date(2026, 11, 2 + i), [november.child], "CLA", "stage-1")
        with CaptureQueriesContext(connection) as queries, as_of(REPORT_DAY):
            assert client.get("/reports/drp-indicators/?month=2026-11").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
