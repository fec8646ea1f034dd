"""Retried DO requests: their answers are not kept in clear beside the DO gate. A DO move's or
edit's answer is kept as the case's address, and a retry answers the case as it is now, read
through the DO gate again and logged; refusals are not kept; a destroyed case's keys go."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from integrations.models import IdempotencyKey
from lado.models import Enquiry
from people import roles
from people.models import Role
from tests.support.auth import api_token
from tests.support.lado_fixtures import concluded, log
from workflows.models import CaseRead

pytestmark = pytest.mark.django_db

SECRET = "Allegation about the swimming coach Mr Quentin Harlow"


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def edit(client, enquiry, key, summary=SECRET):
    return client.patch(f"/api/v1/lado/enquiries/{enquiry.pk}/", {"summary": summary}, format="json",
                        HTTP_IDEMPOTENCY_KEY=key)


def kept_text() -> bytes:
    return b"".join(bytes(row.content) + repr(row.headers).encode() for row in IdempotencyKey.objects.all())


def test_a_do_answer_is_kept_as_the_case_address_and_a_retry_reads_the_case_again(org):
    enquiry = log(org)
    officer = client_for(org.designated_officer)
    first = edit(officer, enquiry, "do-edit-1")
    assert first.status_code == 200 and first.json()["summary"] == SECRET
    row = IdempotencyKey.objects.get(key="do-edit-1")
    assert bytes(row.content) == b"" and row.headers == {}
    assert row.replay_from == f"/api/v1/lado/enquiries/{enquiry.pk}/"
    assert b"Harlow" not in kept_text()
    reads = CaseRead.objects.filter(case_id=enquiry.pk).count()

    again = edit(officer, enquiry, "do-edit-1")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()  # the case as it is now: the edit made once
    assert again["ETag"] == first["ETag"] == f'"{Enquiry.objects.get(pk=enquiry.pk).etag}"'
    assert CaseRead.objects.filter(case_id=enquiry.pk).count() == reads + 1  # the replay is a logged read


def test_a_retry_after_losing_do_access_gets_no_do_data(org):
    enquiry = log(org)
    officer = client_for(org.designated_officer)
    assert edit(officer, enquiry, "do-edit-2").status_code == 200
    org.designated_officer.roles.remove(Role.objects.get(slug=roles.DESIGNATED_OFFICER))
    again = edit(officer, enquiry, "do-edit-2")
    assert again.status_code in (401, 403)  # signed out or refused: either way, no DO data
    assert b"Harlow" not in again.content


def test_a_refused_do_request_is_not_kept(org):
    enquiry = log(org)
    response = edit(client_for(org.designated_officer), enquiry, "do-edit-3", summary="   ")
    assert response.status_code == 400
    assert not IdempotencyKey.objects.filter(key="do-edit-3").exists()


def test_destroying_a_case_forgets_every_retry_answer_naming_it(org):
    enquiry = concluded(org, "false", on=date(2024, 1, 8))
    other = log(org)
    officer, manager = client_for(org.designated_officer), client_for(org.do_manager)
    assert officer.post(f"/api/v1/lado/enquiries/{enquiry.pk}/legal-hold/", {"hold": True, "reason": "Tribunal"},
                        format="json", HTTP_IDEMPOTENCY_KEY="hold").status_code == 200
    assert manager.post(f"/api/v1/lado/enquiries/{enquiry.pk}/legal-hold/", {"hold": False, "reason": "Over"},
                        format="json", HTTP_IDEMPOTENCY_KEY="release").status_code == 200
    assert edit(officer, other, "other-case").status_code == 200
    destroyed = manager.post(f"/api/v1/lado/enquiries/{enquiry.pk}/destroy/", {"reason": "Past retention"},
                             format="json", HTTP_IDEMPOTENCY_KEY="destroy")
    assert destroyed.status_code == 200, destroyed.content
    assert sorted(IdempotencyKey.objects.values_list("key", flat=True)) == ["destroy", "other-case"]
    again = manager.post(f"/api/v1/lado/enquiries/{enquiry.pk}/destroy/", {"reason": "Past retention"},
                         format="json", HTTP_IDEMPOTENCY_KEY="destroy")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == destroyed.json()  # the destruction-log entry: reference, dates, who and why
