"""Advice-only consultations (issue 16): a call below the threshold logged by the DO team without
the subject's identity, listed for the DO team only, every consultation shown a logged read; and
a school phase asked for an education setting only."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lado import services
from lado.models import Consultation, SchoolPhase, SettingType
from tests.support.auth import login
from tests.support.lado_fixtures import at, client_for, non_do_users
from workflows.clocks import as_of
from workflows.models import CaseRead

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 10)
KIND = "lado.consultation"


def test_a_consultation_holds_no_subject_identity():
    names = {field.name for field in Consultation._meta.get_fields()}
    assert not names & {"subject_name", "subject_date_of_birth", "subject_employer", "subject_role", "children"}


def test_the_do_team_logs_a_consultation_on_the_page_and_sees_it_listed(org, client):
    login(client, org.designated_officer)
    with as_of(DAY):
        form = client.get("/lado/consultations/new/")
        assert form.status_code == 200 and "Do not record the name" in form.content.decode()
        refused = client.post("/lado/consultations/new/", {"consulted_on_0": "10", "consulted_on_1": "11",
                                                           "consulted_on_2": "2026", "consulted_time": "09:30",
                                                           "advice": ""})
        assert refused.status_code == 400 and "Record the advice given" in refused.content.decode()
        wrong_phase = client.post("/lado/consultations/new/", {
            "consulted_on_0": "10", "consulted_on_1": "11", "consulted_on_2": "2026",
            "consulted_time": "09:30", "setting": "foster-care", "school_phase": "primary", "advice": "Talk to HR"})
        assert wrong_phase.status_code == 400 and "only for an education setting" in wrong_phase.content.decode()
        logged = client.post("/lado/consultations/new/", {
            "consulted_on_0": "10", "consulted_on_1": "11", "consulted_on_2": "2026",
            "consulted_time": "09:30", "caller_name": "Jane Head", "caller_organisation": "St Mary's Primary",
            "sector": "public", "setting": "education", "school_phase": "primary", "category": "physical",
            "advice": "Follow the behaviour policy; call back if it happens again."})
        assert logged.status_code == 302
        listed = client.get("/lado/consultations/")
    consultation = Consultation.objects.get()
    assert (consultation.consulted_on, consultation.school_phase.slug, consultation.recorded_by) == (
        DAY, "primary", org.designated_officer)
    assert "Follow the behaviour policy" in listed.content.decode()
    assert list(CaseRead.objects.filter(case_kind=KIND).values_list("case_id", "view")) == [
        (consultation.pk, "lado:consultations")]


def test_the_api_logs_and_lists_consultations_for_the_do_team_only(org):
    api = client_for(org.do_manager)
    with as_of(DAY):
        made = api.post("/api/v1/lado/consultations/", {"consulted_at": "2026-11-10T09:30:00Z", "setting": "education",
                                                        "school_phase": "secondary", "advice": "Speak to the DSL"},
                        format="json")
        assert made.status_code == 201 and made.json()["school_phase"] == "secondary"
        missing = api.post("/api/v1/lado/consultations/", {"setting": "education"}, format="json")
        assert missing.status_code == 400 and "advice" in str(missing.json())
        listed = api.get("/api/v1/lado/consultations/").json()
        for user in non_do_users(org):
            assert client_for(user).get("/api/v1/lado/consultations/").status_code == 403
    assert [c["advice"] for c in listed["results"]] == ["Speak to the DSL"]
    views = set(CaseRead.objects.filter(case_kind=KIND).values_list("view", flat=True))
    assert views == {"api:lado-consultation-create", "api:lado-consultation-list"}


def test_only_the_do_team_may_log_one(org):
    with pytest.raises(PermissionDenied):
        services.consultation_log(actor=org.iro_manager, advice="x")
    with as_of(DAY), pytest.raises(ValidationError) as refused:
        services.consultation_log(actor=org.designated_officer, advice="x", consulted_at=at(date(2026, 11, 11)))
    assert "consulted_at" in refused.value.message_dict


def test_the_consultation_list_uses_a_constant_number_of_queries(org, client):
    login(client, org.designated_officer)
    education = SettingType.objects.get(slug="education")
    counts = []
    for extra in (1, 6):
        with as_of(DAY):
            for _ in range(extra):
                services.consultation_log(actor=org.designated_officer, advice="Advice", setting=education,
                                          school_phase=SchoolPhase.objects.get(slug="primary"))
            with CaptureQueriesContext(connection) as queries:
                assert client.get("/lado/consultations/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
