"""Recording positive practice, who is told, and who can see and export it."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from drp import services as drp_services
from drp.models import Theme
from notifications.models import Notification
from positive_practice import services
from positive_practice.models import PositivePractice

from tests.support.auth import login

pytestmark = pytest.mark.django_db


def record(org, **kw):
    args = dict(actor=org.iro, children=[org.child], case_type="CLA",
                what_happened="Visited weekly during the placement move", impact="Felt safe and heard")
    args.update(kw)
    return services.positive_practice_record(**args)


def test_recording_tells_the_social_worker_their_team_manager_and_complaints(org):
    pp = record(org)
    assert pp.practitioner == org.social_worker and pp.team == org.team
    told = set(Notification.objects.filter(kind="positive-practice").values_list("recipient__username", flat=True))
    assert told == {"social-worker", "team-manager", "complaints"}
    assert pp.timeline.get().action == "recorded"
    assert pp.history.get().history_user == org.iro


def test_recognising_someone_outside_the_authority(org):
    pp = record(org, practitioner_name="Mrs Patel, foster carer")
    assert pp.practitioner is None and pp.recognised == "Mrs Patel, foster carer"
    # The child's social worker and team manager still hear about it.
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"social-worker", "team-manager", "complaints"}


def test_recognising_a_team(org):
    pp = record(org, team=org.other_team)
    assert pp.team == org.other_team


def test_only_iros_chairs_and_iro_managers_record(org):
    for user in (org.social_worker, org.complaints, org.designated_officer):
        with pytest.raises(PermissionDenied):
            record(org, actor=user)
    record(org, actor=org.chair)
    record(org, actor=org.iro_manager)


@pytest.mark.parametrize("field,value", [("children", []), ("what_happened", " "), ("impact", ""),
                                         ("case_type", "X")])
def test_missing_details_name_the_field(org, field, value):
    with pytest.raises(ValidationError) as excinfo:
        record(org, **{field: value})
    assert field in excinfo.value.message_dict
    assert not PositivePractice.objects.exists()


def test_linked_to_the_drp_it_arose_from(org):
    drp = drp_services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                                 themes=[Theme.objects.first()], concern="x")
    assert record(org, drp=drp).drp == drp


def test_record_page_is_fast_and_keeps_text_on_error(client, org):
    client.force_login(org.iro)
    page = client.get(f"/positive-practice/record/?child={org.child.pk}").content.decode()
    assert 'value="C000001"' in page
    response = client.post("/positive-practice/record/", {"children": "C000001", "case_type": "CLA",
                                                          "what_happened": "Kept this"})
    assert response.status_code == 200 and "Describe the impact for the child" in response.content.decode()
    assert "Kept this" in response.content.decode()
    response = client.post("/positive-practice/record/", {"children": "C000001", "case_type": "CLA",
                                                          "what_happened": "Great", "impact": "Safe"})
    pp = PositivePractice.objects.get()
    assert response["Location"] == f"/positive-practice/{pp.pk}/"


def test_shown_on_the_childs_record_beside_drps(client, org):
    pp = record(org)
    client.force_login(org.social_worker)
    assert pp.reference in client.get(f"/children/{org.child.pk}/").content.decode()


def test_complaints_team_lists_filters_and_exports_csv(client, org):
    record(org)
    record(org, case_type="CP", what_happened="=HYPERLINK(\"http://evil\")", impact="+1")
    client.force_login(org.complaints)
    assert client.get("/positive-practice/?case_type=CP").content.decode().count("govuk-table__row") == 2
    response = client.get("/positive-practice/?format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "reference" and len(rows) == 3
    cp = next(row for row in rows if row[2] == "CP")
    assert cp[6].startswith("'=") and cp[7] == "'+1"


def test_who_can_see_positive_practice(client, org):
    pp = record(org)
    for user, status in [(org.complaints, 200), (org.auditor, 200), (org.social_worker, 200),
                         (org.other_social_worker, 404), (org.designated_officer, 403)]:
        login(client, user)
        assert client.get(f"/positive-practice/{pp.pk}/").status_code == status, user.username


def test_api_records_and_lists(org):
    api = APIClient()
    api.force_authenticate(org.iro)
    response = api.post("/api/positive-practice/", {
        "children": [org.child.pk], "case_type": "CLA", "what_happened": "Great work", "impact": "Settled",
        "practitioner": "social-worker"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["practitioner"] == "social-worker" and body["timeline"][0]["actor"] == "iro"
    assert api.get("/api/positive-practice/?case_type=CLA").json()["count"] == 1
    bad = api.post("/api/positive-practice/", {"children": [], "case_type": "CLA"}, format="json")
    assert bad.status_code == 400 and {"children", "what_happened", "impact"} <= set(bad.json())
    api.force_authenticate(org.social_worker)
    assert api.post("/api/positive-practice/", {
        "children": [org.child.pk], "case_type": "CLA", "what_happened": "x", "impact": "y"},
        format="json").status_code == 403


@pytest.mark.parametrize("n", [10, 300])
def test_list_page_and_api_use_constant_queries(client, org, n, django_assert_max_num_queries):
    for _ in range(n):
        record(org)
    client.force_login(org.complaints)
    with django_assert_max_num_queries(12):
        assert client.get("/positive-practice/").status_code == 200
    api = APIClient()
    api.force_authenticate(org.complaints)
    with django_assert_max_num_queries(10):
        assert api.get("/api/positive-practice/").status_code == 200
