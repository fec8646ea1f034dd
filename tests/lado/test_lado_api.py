"""The Designated Officer API contract: shapes, status codes (201, 400 naming the field, 403, 409),
token auth, every transition, and constant queries."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from lado.models import Category, Enquiry, Sector, SettingType
from tests.support.lado_fixtures import client_for, concluded
from tests.support.problems import field_errors
from workflows.clocks import today

pytestmark = pytest.mark.django_db


def body(**overrides):
    data = {
        "received_at": "2025-04-17T15:20:00+01:00", "how": "phone",
        "referrer_name": "Jane Head", "referrer_organisation": "St Mary's Primary",
        "referral_source": "education", "sector": "public", "setting": "education",
        "subject_name": "Robert Miles", "subject_role": "Teaching assistant",
        "subject_employer": "St Mary's Primary", "employment_basis": "permanent",
        "category": "physical", "summary": "Grabbed a pupil's arm.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not ...}


def create(org, **overrides):
    return client_for(org.designated_officer).post("/api/v1/lado/enquiries/", body(**overrides), format="json")


DETAIL_FIELDS = {
    "id", "reference", "status", "received_at", "received_on", "how", "referrer_name", "referrer_organisation",
    "referral_source", "sector", "setting", "subject_name", "subject_date_of_birth", "subject_role",
    "subject_employer", "employment_basis", "children", "children_description", "category", "officer",
    "decision_due", "next_review_on", "target_1_due", "target_2_due", "target_3_due", "threshold_met",
    "outcome", "closed_on", "legal_hold", "retention_review_on", "summary", "logged_by", "decided_on",
    "decided_by", "criteria", "rationale", "advice", "cancel_reason", "legal_hold_reason", "meetings", "actions",
    "earlier_enquiries", "later_enquiries", "timeline",
    # What Working Together and the annual report need (issue 12)
    "incident_on", "non_recent", "employer_aware_on", "referred_within_one_working_day", "first_meeting_due",
    "police_reference", "criminal_outcome", "criminal_outcome_detail", "subject_told", "subject_told_on",
    "parents_told", "parents_told_on", "dbs_referral", "dbs_decision", "dbs_decision_on",
    "retention_needs_date_of_birth", "no_meeting_reason",
    # The DO indicators (issue 16): school phase, and the reason a case is past its first target
    "school_phase", "delay_reason", "delay_note", "delay_recorded_on",
    # No lost updates (issue 14): send the etag in If-Match with a change
    "updated_at", "etag",
}


def test_create_returns_201_with_the_documented_shape(org):
    response = create(org, children=[org.child.pk])
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == DETAIL_FIELDS
    assert (data["reference"], data["status"], data["outcome"]) == ("DO-00001", "awaiting_decision", "")
    assert (data["received_on"], data["decision_due"]) == ("2025-04-17", "2025-04-22")  # Easter skipped
    assert (data["target_1_due"], data["target_2_due"], data["target_3_due"]) == (
        "2025-05-19", "2025-07-17", "2026-04-17")  # 17 May 2025 is a Saturday: the next working day
    assert (data["sector"], data["setting"], data["category"], data["referral_source"]) == (
        "public", "education", "physical", "education")
    assert data["children"] == [org.child.pk]
    assert data["timeline"] == [{"at": data["timeline"][0]["at"], "actor": "designated-officer",
                                 "action": "logged", "from_status": "", "to_status": "awaiting_decision",
                                 "note": "Grabbed a pupil's arm."}]


def test_optional_fields_can_be_left_out_and_the_subject_left_blank(org):
    response = create(org, how=..., referral_source=..., employment_basis=..., subject_name="", subject_role="",
                      subject_employer="", referrer_name="")
    assert response.status_code == 201, response.content
    assert response.json()["how"] == "phone" and response.json()["subject_name"] == ""


@pytest.mark.parametrize("field,value", [
    ("received_at", ...), ("received_at", "yesterday"), ("sector", "government"), ("sector", ...),
    ("setting", "moon"), ("category", "rudeness"), ("category", ...), ("summary", ""), ("summary", ...),
    ("how", "pigeon"), ("referral_source", "nobody"), ("employment_basis", "zero-hours"),
    ("children", [999999]), ("subject_name", ...), ("referrer_name", ...),
])
def test_bad_input_is_400_naming_the_field(org, field, value):
    response = create(org, **{field: value})
    assert response.status_code == 400, response.content
    assert field in field_errors(response)
    assert not Enquiry.objects.exists()


def test_received_in_the_future_is_400(org):
    later = (timezone.localtime() + timedelta(days=2)).isoformat()
    response = create(org, received_at=later)
    assert response.status_code == 400 and "received_at" in field_errors(response)


def test_inactive_vocabulary_values_are_refused_for_new_enquiries(org):
    Sector.objects.filter(slug="private").update(active=False)
    assert create(org, sector="private").status_code == 400


def test_vocabularies_are_listed_by_slug(org):
    data = client_for(org.designated_officer).get("/api/v1/lado/vocabularies/").json()
    assert [v["slug"] for v in data["sectors"]] == ["public", "voluntary", "private", "independent"]
    assert [v["slug"] for v in data["categories"]] == ["physical", "sexual", "emotional", "neglect", "suitability"]
    assert [v["slug"] for v in data["employment_bases"]] == ["permanent", "temporary", "agency", "volunteer"]
    assert len(data["referral_sources"]) == 11 and len(data["settings"]) == 11


def _post(org, pk, action, payload, user=None):
    return client_for(user or org.designated_officer).post(f"/api/v1/lado/enquiries/{pk}/{action}/", payload,
                                                           format="json")


def test_journey_through_the_api(org):
    pk = create(org, received_at=timezone.localtime().isoformat()).json()["id"]
    data = _post(org, pk, "decide", {"threshold_met": True, "criteria": ["harmed", "unsuitable"],
                                     "rationale": "Bruising"}).json()
    assert (data["status"], data["criteria"], data["threshold_met"]) == (
        "awaiting_meeting", ["harmed", "unsuitable"], True)
    response = _post(org, pk, "meetings", {"kind": "initial", "held_on": today().isoformat(),
                                           "attendees": "Anita Kaur, DO\nDS Lee, Police",
                                           "decisions": "Police to investigate",
                                           "next_review_on": (today() + timedelta(days=28)).isoformat()})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "in_progress" and data["next_review_on"] == (today() + timedelta(days=28)).isoformat()
    assert data["meetings"][0]["kind"] == "initial" and data["meetings"][0]["recorded_by"] == "designated-officer"
    response = _post(org, pk, "actions", {"kind": "regulator-referral", "regulator": "tra",
                                          "owner_name": "Jane Head", "owner_agency": "School",
                                          "due_on": (today() + timedelta(days=10)).isoformat()})
    assert response.status_code == 201, response.content
    action_id = response.json()["actions"][0]["id"]
    response = client_for(org.designated_officer).patch(
        f"/api/v1/lado/enquiries/{pk}/actions/{action_id}/", {"done_on": today().isoformat()}, format="json")
    assert response.status_code == 200 and response.json()["actions"][0]["done_on"] == today().isoformat()
    data = _post(org, pk, "conclude", {"outcome": "substantiated"}, user=org.do_manager).json()
    assert (data["status"], data["outcome"], data["closed_on"]) == ("concluded", "substantiated",
                                                                    today().isoformat())
    assert [e["action"] for e in data["timeline"]] == [
        "logged", "threshold-met", "meeting-held", "action-added", "action-updated", "concluded"]
    assert [e["actor"] for e in data["timeline"]] == ["designated-officer"] * 5 + ["do-manager"]


def test_threshold_not_met_gives_advice(org):
    pk = create(org).json()["id"]
    data = _post(org, pk, "decide", {"threshold_met": False, "criteria": [], "rationale": "Accidental",
                                     "advice": "Follow the behaviour policy"}).json()
    assert (data["status"], data["threshold_met"], data["advice"]) == (
        "advice_given", False, "Follow the behaviour policy")


@pytest.mark.parametrize("payload", [
    {"threshold_met": True, "criteria": [], "rationale": "x"},
    {"threshold_met": True, "rationale": "x"},
    {"threshold_met": False, "criteria": ["harmed"], "rationale": "x"},
    {"threshold_met": True, "criteria": ["shouting"], "rationale": "x"},
])
def test_harm_test_rule_is_400_naming_criteria(org, payload):
    pk = create(org).json()["id"]
    response = _post(org, pk, "decide", payload)
    # The field, or the item of it that is wrong ("criteria[0]": "shouting" is no criterion).
    assert response.status_code == 400, response.content
    assert {"criteria", "criteria[0]"} & set(field_errors(response)), response.content
    assert Enquiry.objects.get(pk=pk).status == "awaiting_decision"


@pytest.mark.parametrize("action,payload,field", [
    ("decide", {"criteria": ["harmed"], "rationale": "x"}, "threshold_met"),
    ("decide", {"threshold_met": True, "criteria": ["harmed"]}, "rationale"),
    ("cancel", {}, "reason"),
])
def test_missing_fields_are_400(org, action, payload, field):
    pk = create(org).json()["id"]
    response = _post(org, pk, action, payload)
    assert response.status_code == 400 and field in field_errors(response)


def test_illegal_moves_are_409(org):
    pk = create(org).json()["id"]
    meeting = {"kind": "initial", "held_on": "2025-04-17", "attendees": "x", "decisions": "y"}
    assert _post(org, pk, "meetings", meeting).status_code == 409
    assert _post(org, pk, "actions", {"kind": "suspension", "owner_name": "x"}).status_code == 409
    response = _post(org, pk, "conclude", {"outcome": "false"})
    assert response.status_code == 409 and "awaiting threshold decision" in response.json()["detail"]
    met = {"threshold_met": True, "criteria": ["harmed"], "rationale": "x"}
    assert _post(org, pk, "decide", met).status_code == 200
    assert _post(org, pk, "decide", {"threshold_met": False, "criteria": [], "rationale": "x"}).status_code == 409
    assert _post(org, pk, "conclude", {"outcome": "false"}).status_code == 409  # no meeting yet
    assert _post(org, pk, "cancel", {"reason": "Withdrawn"}).status_code == 200
    for action, payload in [("decide", {"threshold_met": True, "criteria": ["harmed"], "rationale": "x"}),
                            ("meetings", meeting), ("actions", {"kind": "suspension", "owner_name": "x"}),
                            ("conclude", {"outcome": "false"}), ("cancel", {"reason": "x"})]:
        response = _post(org, pk, action, payload)
        assert response.status_code == 409, action
        assert "cancelled" in response.json()["detail"]
    response = client_for(org.designated_officer).patch(f"/api/v1/lado/enquiries/{pk}/", {"subject_role": "x"},
                                                        format="json")
    assert response.status_code == 409


def test_details_are_completed_with_patch(org):
    pk = create(org, category="physical").json()["id"]
    response = client_for(org.designated_officer).patch(
        f"/api/v1/lado/enquiries/{pk}/", {"category": "sexual", "subject_date_of_birth": "1980-05-17",
                                       "children": [org.child.pk, org.sibling.pk]}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["category"] == "sexual" and data["subject_date_of_birth"] == "1980-05-17"
    assert sorted(data["children"]) == sorted([org.child.pk, org.sibling.pk])
    assert data["timeline"][-1]["action"] == "updated"


def test_earlier_enquiries_about_the_subject_are_linked_in_the_api(org):
    first = create(org, received_at="2024-03-04T10:00:00+00:00").json()
    second = create(org, subject_name="ROBERT MILES").json()
    assert [e["reference"] for e in second["earlier_enquiries"]] == [first["reference"]]
    assert set(second["earlier_enquiries"][0]) == {"id", "reference", "received_at", "status", "outcome"}
    again = client_for(org.designated_officer).get(f"/api/v1/lado/enquiries/{first['id']}/").json()
    assert [e["reference"] for e in again["later_enquiries"]] == [second["reference"]]


def test_legal_hold_retention_and_destruction_through_the_api(org):
    enquiry = concluded(org, "false", on=date(2024, 1, 8))
    data = _post(org, enquiry.pk, "legal-hold", {"hold": True, "reason": "Tribunal"}).json()
    assert data["legal_hold"] is True and data["legal_hold_reason"] == "Tribunal"
    response = _post(org, enquiry.pk, "destroy", {"reason": "Expired"}, user=org.do_manager)
    assert response.status_code == 409 and "legal hold" in response.json()["detail"]
    assert _post(org, enquiry.pk, "legal-hold", {"hold": False, "reason": "Over"}).status_code == 403
    release = {"hold": False, "reason": "Over"}
    assert _post(org, enquiry.pk, "legal-hold", release, user=org.do_manager).status_code == 200
    assert _post(org, enquiry.pk, "destroy", {"reason": "Expired"}).status_code == 403
    reviews = client_for(org.do_manager).get("/api/v1/lado/retention-review/").json()
    assert [r["reference"] for r in reviews] == [enquiry.reference]
    response = _post(org, enquiry.pk, "destroy", {"reason": "Expired"}, user=org.do_manager)
    assert response.status_code == 200, response.content
    assert response.json()["reference"] == enquiry.reference and response.json()["destroyed_by"] == "do-manager"
    assert client_for(org.designated_officer).get(f"/api/v1/lado/enquiries/{enquiry.pk}/").status_code == 404


def test_list_filters(org):
    create(org)
    pk = create(org).json()["id"]
    _post(org, pk, "cancel", {"reason": "x"})
    api = client_for(org.designated_officer)
    assert api.get("/api/v1/lado/enquiries/").json()["count"] == 2
    assert api.get("/api/v1/lado/enquiries/?status=cancelled").json()["count"] == 1
    assert api.get("/api/v1/lado/enquiries/?open=1").json()["count"] == 1
    assert api.get("/api/v1/lado/enquiries/?open=0").json()["results"][0]["id"] == pk


def test_openapi_schema_documents_the_do_endpoints(org):
    paths = client_for(org.iro).get("/api/v1/schema/?format=json").json()["paths"]
    for path in ["/api/v1/lado/enquiries/", "/api/v1/lado/enquiries/{id}/", "/api/v1/lado/enquiries/{id}/decide/",
                 "/api/v1/lado/enquiries/{id}/meetings/", "/api/v1/lado/enquiries/{id}/actions/",
                 "/api/v1/lado/enquiries/{id}/conclude/", "/api/v1/lado/enquiries/{id}/cancel/",
                 "/api/v1/lado/enquiries/{id}/access-log/"]:
        assert path in paths, path


def _bulk(org, n):
    """n cases with every related row a list shows, made directly for speed."""
    from lado.models import Action

    cat, sector, setting = Category.objects.first(), Sector.objects.first(), SettingType.objects.first()
    received = timezone.make_aware(timezone.datetime(2025, 3, 3, 10))
    rows = [Enquiry(reference=f"BULK-{i}", received_at=received, received_on=date(2025, 3, 3),
                    subject_name=f"Person {i}", category=cat, sector=sector, setting=setting,
                    summary="x", officer=org.designated_officer, logged_by=org.designated_officer,
                    decision_due=date(2025, 3, 4), target_1_due=date(2025, 4, 3), target_2_due=date(2025, 6, 3),
                    target_3_due=date(2026, 3, 3), status=Enquiry.Status.IN_PROGRESS if i % 2 else
                    Enquiry.Status.AWAITING_DECISION)
            for i in range(n)]
    Enquiry.objects.bulk_create(rows)
    through = Enquiry.children.through
    made = list(Enquiry.objects.filter(reference__startswith="BULK-"))
    through.objects.bulk_create([through(enquiry_id=e.pk, child_id=org.child.pk) for e in made])
    Action.objects.bulk_create([Action(enquiry=e, kind="suspension", owner_name="x", due_on=date(2025, 3, 20),
                                       recorded_by=org.designated_officer) for e in made])


@pytest.mark.parametrize("n", [10, 1000])
def test_list_api_uses_a_constant_number_of_queries(org, n, django_assert_max_num_queries):
    _bulk(org, n)
    api = client_for(org.designated_officer)
    with django_assert_max_num_queries(10):
        response = api.get("/api/v1/lado/enquiries/?limit=50")
    assert response.status_code == 200 and response.json()["count"] == n


@pytest.mark.parametrize("n", [10, 1000])
def test_detail_api_uses_a_constant_number_of_queries(org, n, django_assert_max_num_queries):
    _bulk(org, n)
    enquiry = concluded(org, "substantiated")
    api = client_for(org.designated_officer)
    with django_assert_max_num_queries(12):
        assert api.get(f"/api/v1/lado/enquiries/{enquiry.pk}/").status_code == 200
