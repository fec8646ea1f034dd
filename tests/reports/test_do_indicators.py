"""Designated Officer indicators (issue 16), each counted by hand on fixed data and compared with
the report, the API, the page and the CSV/XLSX downloads; what readers outside the DO team see."""

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from lado import services
from lado.models import Action, DelayReason, Meeting, SchoolPhase, SettingType
from reports.do_disclosure import for_reader
from reports.do_indicators import do_indicator_report
from tests.support.auth import login
from tests.support.lado_fixtures import at, client_for, hold_meeting, log, meet
from workflows.clocks import as_of

pytestmark = pytest.mark.django_db
REPORT_DAY = date(2026, 12, 15)


def _log(org, day, **overrides):
    with as_of(day):
        return log(org, received_at=at(day), **overrides)


def _decide(org, enquiry, day, criteria=None):
    with as_of(day):
        if criteria is None:
            return services.enquiry_decide(enquiry=enquiry, actor=org.designated_officer, threshold_met=False,
                                           criteria=[], rationale="Below threshold.", advice="Employer's procedures.")
        return meet(org, enquiry, criteria=criteria)


def _meeting(org, enquiry, day, kind=Meeting.Kind.INITIAL, next_review_on=None):
    with as_of(day):
        hold_meeting(org, enquiry, kind=kind, held_on=day, next_review_on=next_review_on)


def _action(org, enquiry, day, kind):
    with as_of(day):
        services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer, kind=kind, owner_name="DS Lee",
                                    owner_agency="Police",
                                    regulator="tra" if kind == Action.Kind.REGULATOR_REFERRAL else "")


def _consult(org, day, **kw):
    with as_of(day):
        services.consultation_log(actor=org.designated_officer, consulted_at=at(day), advice="Follow your policy.",
                                  **kw)


@pytest.fixture
def november(org):
    """Working days (November 2026 has no bank holiday); decisions are due one working day after
    receipt, first meetings five after the decision:

    E1 received Mon 2 Nov, education (primary), incident 1 Sep 2025 (non-recent); threshold met
      3 Nov (on time: harmed, criminal offence; first meeting due 10 Nov); initial meeting 9 Nov
      (on time) setting a review for 20 Nov; review held 19 Nov (on time) setting one for 4 Dec.
      Police investigation and suspension recorded 9 Nov.
    E2 received Tue 3 Nov, foster care, incident 20 Oct 2026 (recent); advice given 5 Nov (late:
      due 4 Nov).
    E3 received Wed 4 Nov, education (secondary), no incident date; threshold met 5 Nov (on time:
      risk of harm; first meeting due 12 Nov); initial meeting 16 Nov (late) setting a review for
      27 Nov, never held. DBS referral recorded 16 Nov.
    E4 received Mon 3 Aug 2026, education, no phase; met 4 Aug; initial meeting 5 Aug (due 11
      Aug: on time); open past its first target (3 Sep): police investigation recorded as the reason.
    Consultations: 2 and 10 November (education, primary), 5 October.
    """
    education, foster = SettingType.objects.get(slug="education"), SettingType.objects.get(slug="foster-care")
    primary, secondary = SchoolPhase.objects.get(slug="primary"), SchoolPhase.objects.get(slug="secondary")
    e4 = _log(org, date(2026, 8, 3), setting=education)
    _decide(org, e4, date(2026, 8, 4), ["unsuitable"])
    _meeting(org, e4, date(2026, 8, 5))
    e1 = _log(org, date(2026, 11, 2), setting=education, school_phase=primary, incident_on=date(2025, 9, 1))
    e2 = _log(org, date(2026, 11, 3), setting=foster, incident_on=date(2026, 10, 20))
    e3 = _log(org, date(2026, 11, 4), setting=education, school_phase=secondary)
    _decide(org, e1, date(2026, 11, 3), ["harmed", "criminal-offence"])
    _decide(org, e2, date(2026, 11, 5))
    _decide(org, e3, date(2026, 11, 5), ["risk-of-harm"])
    _meeting(org, e1, date(2026, 11, 9), next_review_on=date(2026, 11, 20))
    _action(org, e1, date(2026, 11, 9), Action.Kind.POLICE_INVESTIGATION)
    _action(org, e1, date(2026, 11, 9), Action.Kind.SUSPENSION)
    _meeting(org, e3, date(2026, 11, 16), next_review_on=date(2026, 11, 27))
    _action(org, e3, date(2026, 11, 16), Action.Kind.DBS_REFERRAL)
    _meeting(org, e1, date(2026, 11, 19), kind=Meeting.Kind.REVIEW, next_review_on=date(2026, 12, 4))
    with as_of(date(2026, 11, 20)):
        services.enquiry_record_delay(enquiry=e4, actor=org.designated_officer,
                                      delay_reason=DelayReason.objects.get(slug="police-investigation"),
                                      note="Charging decision awaited")
    _consult(org, date(2026, 11, 2), setting=education, school_phase=primary)
    _consult(org, date(2026, 11, 10))
    _consult(org, date(2026, 10, 5))
    org.enquiries = (e1, e2, e3, e4)
    return org


def report(**kw):
    with as_of(REPORT_DAY):
        return do_indicator_report(**kw)


def _codes(rows):
    return {row["code"]: row["enquiries"] for row in rows if row["enquiries"]}


def test_month_indicators_match_the_hand_count(november):
    month, ytd = report(month=date(2026, 11, 1))["periods"]
    f = month["figures"]
    assert (month["key"], month["label"]) == ("month", "November 2026")
    assert f["referrals"] == {"received": 3, "consultations": 2, "contacts": 5, "consultations_percent": 40.0}
    assert f["threshold"] == {"met": 2, "not_met": 1}
    assert f["decisions"] == {"due": 3, "on_time": 2, "on_time_percent": 66.7, "working_days": 1}
    assert f["first_meetings"] == {"due": 2, "on_time": 1, "on_time_percent": 50.0, "working_days": 5}
    assert f["reviews"] == {"due": 2, "on_time": 1, "on_time_percent": 50.0}
    assert f["criteria"] == {"harmed": 1, "criminal_offence": 1, "risk_of_harm": 1, "unsuitable": 0}
    assert f["actions"] == {"police_investigations": 1, "suspensions": 1, "dbs_referrals": 1, "regulator_referrals": 0}
    assert f["non_recent"] == {"non_recent": 1, "incident_dated": 2, "months": 12}
    assert f["open_at_end"] == {"under_1_month": 2, "1_to_3_months": 0, "3_to_12_months": 1, "over_12_months": 0,
                                "total": 3}
    assert f["delays"]["past_target"] == 1 and _codes(f["delays"]["reasons"]) == {"police-investigation": 1}
    assert _codes(f["by_setting"]) == {"education": 2, "foster-care": 1}
    assert _codes(f["by_school_phase"]) == {"primary": 1, "secondary": 1}
    # The year to date adds E4 (August) and the October consultation.
    y = ytd["figures"]
    assert y["referrals"]["received"] == 4 and y["referrals"]["consultations"] == 3
    assert y["first_meetings"] == {"due": 3, "on_time": 2, "on_time_percent": 66.7, "working_days": 5}
    assert y["criteria"]["unsuitable"] == 1
    assert _codes(y["by_school_phase"]) == {"primary": 1, "secondary": 1, "not-recorded": 1}


def test_five_year_trend_covers_this_year_and_the_four_before(november):
    body = report(year=2026)
    [year] = body["periods"]
    assert year["figures"]["referrals"]["received"] == 4
    labels = [y["label"] for y in body["years"]]
    assert labels == ["2022 to 2023", "2023 to 2024", "2024 to 2025", "2025 to 2026", "2026 to 2027 (to date)"]
    trend = for_reader(november.do_manager, body)["trend"]
    values = {f["key"]: f["values"] for f in trend["figures"]}
    assert values["referrals"] == [0, 0, 0, 0, 4]
    assert values["consultations"] == [0, 0, 0, 0, 3]
    assert values["decisions_on_time"] == [None, None, None, None, 75.0]
    # To 15 December: E1 (target 2 December) and E3 (4 December) are past theirs too.
    assert values["past_target"][-1] == 3 and values["non_recent"][-1] == 1


def test_school_phase_only_for_an_education_setting(november):
    with pytest.raises(Exception) as refused:
        _log(november, date(2026, 11, 2), setting=SettingType.objects.get(slug="foster-care"),
             school_phase=SchoolPhase.objects.get(slug="primary"))
    assert "school_phase" in refused.value.message_dict


def test_do_team_sees_api_page_and_downloads_alike(november, client):
    api = client_for(november.do_manager)
    with as_of(REPORT_DAY):
        body = api.get("/api/v1/reports/do-indicators/?month=2026-11").json()
        expected = for_reader(november.do_manager, do_indicator_report(month=date(2026, 11, 1)))
        assert body == expected
        assert body["disclosure"]["level"] == "exact"
        assert api.get("/api/v1/reports/do-indicators/?month=2026-13").status_code == 400
        login(client, november.designated_officer)
        page = client.get("/reports/do-indicators/?month=2026-11")
        assert page.status_code == 200
        text = page.content.decode()
        assert "Threshold decisions made on time (%)" in text and "66.7" in text and "Five-year trend" in text
        rows = list(csv.reader(io.StringIO(client.get("/reports/do-indicators/?month=2026-11&format=csv")
                                           .content.decode("utf-8-sig"))))
        xlsx = client.get("/reports/do-indicators/?month=2026-11&format=xlsx")
    assert ["Referrals (enquiries received)", "3", "4"] in rows
    assert ["Advice-only consultations", "2", "3"] in rows
    assert ["First meetings held on time (%)", "50.0", "66.7"] in rows
    assert ["Reviews held on time", "1", "1"] in rows
    assert ["Police investigation", "1"] in rows  # reasons for delay (November)
    assert ["Primary", "1"] in rows and ["Secondary", "1"] in rows
    book = load_workbook(io.BytesIO(xlsx.content))
    sheet = book["Designated Officer indicators"]
    cells = {row[0]: row[1:] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert cells["Threshold decisions made on time"] == (2, 3)
    assert cells["Non-recent allegations"] == (1, 1)
    assert cells["Open past the first target"] == (1, 1)


def test_readers_outside_the_do_team_get_years_only_and_small_numbers_suppressed(november, client):
    manager = client_for(november.iro_manager)
    with as_of(REPORT_DAY):
        assert manager.get("/api/v1/reports/do-indicators/?month=2026-11").status_code == 403
        assert manager.get("/api/v1/reports/do-indicators/?month=2026-13").status_code == 403  # 403 before 400
        assert client_for(november.iro).get("/api/v1/reports/do-indicators/").status_code == 403
        running = manager.get("/api/v1/reports/do-indicators/?year=2026").json()
        assert running["periods"][0]["figures"] is None and running["disclosure"]["level"] == "withheld"
        assert running["trend"]["figures"][0]["values"][-1] is None
        ended = manager.get("/api/v1/reports/do-indicators/?year=2025").json()
        login(client, november.auditor)
        page = client.get("/reports/do-indicators/?year=2025")
        assert client.get("/reports/do-indicators/?month=2026-11").status_code == 403
        rows = list(csv.reader(io.StringIO(client.get("/reports/do-indicators/?year=2025&format=csv")
                                           .content.decode("utf-8-sig"))))
    figures = ended["periods"][0]["figures"]
    assert figures["referrals"]["received"] is None and "year.referrals.received" in ended["disclosure"]["suppressed"]
    assert page.status_code == 200 and "fewer than 5" in page.content.decode()
    assert ["Referrals (enquiries received)", "fewer than 5"] in rows


@override_settings(FOOTPRINT_SMALL_NUMBER_THRESHOLD=2)
def test_an_ended_year_shows_counts_at_the_threshold_to_readers_outside_the_do_team(november):
    with as_of(date(2027, 4, 15)):
        body = client_for(november.iro_manager).get("/api/v1/reports/do-indicators/?year=2026").json()
    f = body["periods"][0]["figures"]
    assert f["referrals"]["received"] == 4 and f["referrals"]["consultations"] == 3
    # Not met (1) is below 2; met (3) goes with it, or 4 received minus 3 met would tell the 1.
    assert f["threshold"] == {"met": None, "not_met": None}
    assert f["decisions"]["due"] == 4 and f["decisions"]["on_time"] is None  # one late: below 2
    assert "year.decisions.on_time_percent" in body["disclosure"]["suppressed"]
    assert f["by_setting"][0]["enquiries"] == 3  # education


def test_delay_is_asked_only_past_the_first_target(november, client):
    e1 = november.enquiries[0]
    api = client_for(november.designated_officer)
    with as_of(date(2026, 11, 20)):
        refused = api.post(f"/api/v1/lado/enquiries/{e1.pk}/delay/", {"delay_reason": "awaiting-information"},
                           format="json")
        assert refused.status_code == 409
    with as_of(date(2026, 12, 10)):
        missing = api.post(f"/api/v1/lado/enquiries/{e1.pk}/delay/", {"delay_reason": "other", "note": ""},
                           format="json")
        assert missing.status_code == 400 and "delay_note" in str(missing.json())
        done = api.post(f"/api/v1/lado/enquiries/{e1.pk}/delay/", {"delay_reason": "awaiting-information",
                                                                   "note": "School's statements"}, format="json")
        assert done.status_code == 200 and done.json()["delay_reason"] == "awaiting-information"
        login(client, november.designated_officer)
        page = client.get(f"/lado/{e1.pk}/")
        assert "Awaiting information: School&#x27;s statements" in page.content.decode()
        posted = client.post(f"/lado/{e1.pk}/delay/", {"delay_reason": "employer-investigation", "note": ""})
        assert posted.status_code == 302
    e1.refresh_from_db()
    assert e1.delay_reason.slug == "employer-investigation"
    assert list(e1.timeline.filter(action="delay-recorded").values_list("note", flat=True)) == [
        "Awaiting information: School's statements", "Employer investigation"]


def test_indicators_use_a_constant_number_of_queries(november, client):
    login(client, november.do_manager)
    counts = []
    for extra in (0, 5):
        for i in range(extra):
            e = _log(november, date(2026, 11, 2 + i), setting=SettingType.objects.get(slug="education"))
            _decide(november, e, date(2026, 11, 9), ["harmed"])
            _meeting(november, e, date(2026, 11, 10), next_review_on=date(2026, 11, 24))
            _consult(november, date(2026, 11, 2 + i))
        with CaptureQueriesContext(connection) as queries, as_of(REPORT_DAY):
            assert client.get("/reports/do-indicators/?month=2026-11").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


@override_settings(FOOTPRINT_SMALL_NUMBER_THRESHOLD=4)
def test_a_lone_small_count_is_not_given_back_by_a_total(november):
    """The 2026 year: 4 referrals, 3 consultations (below 4), 7 contacts. Shown with the total,
    the referrals would give the consultations back (7 - 4): they go too."""
    with as_of(date(2027, 4, 15)):
        body = client_for(november.iro_manager).get("/api/v1/reports/do-indicators/?year=2026").json()
    referrals = body["periods"][0]["figures"]["referrals"]
    assert referrals == {"received": None, "consultations": None, "contacts": 7, "consultations_percent": None}
    assert {"year.referrals.received", "year.referrals.consultations"} <= set(body["disclosure"]["suppressed"])


NON_RECENT_EDGES = [  # (incident, referral): the month boundary, month ends and 29 February
    (date(2025, 11, 15), date(2026, 11, 15)), (date(2025, 11, 16), date(2026, 11, 15)),
    (date(2025, 10, 31), date(2026, 11, 1)), (date(2025, 12, 1), date(2026, 11, 30)),
    (date(2023, 2, 28), date(2024, 2, 29)), (date(2023, 3, 1), date(2024, 2, 29)),
    (date(2024, 2, 29), date(2025, 2, 28)), (date(2024, 2, 28), date(2025, 2, 28)),
    (date(2025, 2, 28), date(2026, 3, 31)), (date(2025, 3, 30), date(2026, 3, 31)),
    (date(2025, 3, 31), date(2026, 3, 31)), (date(2025, 4, 1), date(2026, 3, 31)),
    (date(2019, 6, 1), date(2026, 1, 5)), (date(2026, 1, 5), date(2026, 1, 5)),
]


@pytest.mark.parametrize("months", [12, 1, 18])
def test_non_recent_counted_in_the_database_as_the_rule_says(org, settings, months):
    """The report's non-recent count (``NonRecentIncident``, an interval on PostgreSQL, year/month/day
    keys elsewhere) agrees with ``lado.clocks.is_non_recent`` (calendar months, clamped at month
    ends) on every edge, in one statement."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Value

    from lado.clocks import NonRecentIncident, is_non_recent

    settings.LADO_NON_RECENT_MONTHS = months
    one_row = get_user_model().objects.filter(pk=org.designated_officer.pk)
    aliases = {}
    for n, (incident, received) in enumerate(NON_RECENT_EDGES):
        aliases |= {f"i{n}": Value(incident), f"r{n}": Value(received)}
    counts = one_row.annotate(**aliases).aggregate(**{
        f"e{n}": Count("pk", filter=NonRecentIncident(f"i{n}", f"r{n}")) for n in range(len(NON_RECENT_EDGES))})
    assert [counts[f"e{n}"] == 1 for n in range(len(NON_RECENT_EDGES))] == [
        is_non_recent(incident, received) for incident, received in NON_RECENT_EDGES]
