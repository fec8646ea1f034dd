"""Safe retries: an API POST or PATCH sent again with the same Idempotency-Key answers as the
first did, and moves the case once."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from drp import services
from drp.models import DisputeResolution, Theme
from integrations import idempotency
from integrations.models import IdempotencyKey
from tests.support.auth import api_token
from tests.support.problems import field_errors
from workflows.clocks import now

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def raised(org):
    return services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                              themes=list(Theme.objects.all()[:1]), concern="Plan drifting")


def escalate(client, drp, key, reason="No plan yet"):
    return client.post(f"/api/v1/drps/{drp.pk}/escalate/", {"reason": reason}, format="json",
                       HTTP_IDEMPOTENCY_KEY=key)


def test_a_retried_escalate_moves_one_stage_only(org):
    drp = raised(org)
    iro = client_for(org.iro)
    first = escalate(iro, drp, "9b2c0f3e-escalate-1")
    again = escalate(iro, drp, "9b2c0f3e-escalate-1")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert again["Content-Type"] == first["Content-Type"]
    drp.refresh_from_db()
    assert drp.stage.key == "stage-1"
    assert drp.timeline.filter(action="escalated").count() == 1


def test_without_a_key_a_second_escalate_moves_again(org):
    """The header is what makes a retry safe: without it each POST is a new request."""
    drp = raised(org)
    iro = client_for(org.iro)
    for _ in range(2):
        assert iro.post(f"/api/v1/drps/{drp.pk}/escalate/", {"reason": "x"}, format="json").status_code == 200
    drp.refresh_from_db()
    assert drp.stage.key == "stage-2"


def test_the_same_key_with_a_different_body_is_422(org):
    drp = raised(org)
    iro = client_for(org.iro)
    assert escalate(iro, drp, "key-a").status_code == 200
    response = escalate(iro, drp, "key-a", reason="Another reason")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    drp.refresh_from_db()
    assert drp.stage.key == "stage-1"


def test_keys_belong_to_their_principal(org):
    """Another person's same key is their own request, not a replay of someone else's answer."""
    drp = raised(org)
    assert escalate(client_for(org.iro), drp, "shared-key").status_code == 200
    second = escalate(client_for(org.iro_manager), drp, "shared-key")
    assert second.status_code == 200 and not second.has_header("Idempotent-Replayed")
    drp.refresh_from_db()
    assert drp.stage.key == "stage-2"


def test_a_concurrent_duplicate_still_running_is_409(org):
    """The unique key decides: while the first request holds it, the second is told to wait."""
    drp = raised(org)
    request = APIClient().post(f"/api/v1/drps/{drp.pk}/escalate/", {"reason": "x"}, format="json").wsgi_request
    IdempotencyKey.objects.create(user=org.iro, key="in-flight", fingerprint=idempotency.fingerprint(request),
                                  method="POST", path=request.path, locked_until=now() + timedelta(minutes=1))
    response = escalate(client_for(org.iro), drp, "in-flight", reason="x")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_progress"
    assert response["Retry-After"] == "1"
    drp.refresh_from_db()
    assert drp.stage.key == "informal"


def test_a_request_that_died_in_progress_is_taken_over_by_its_retry(org):
    drp = raised(org)
    request = APIClient().post(f"/api/v1/drps/{drp.pk}/escalate/", {"reason": "x"}, format="json").wsgi_request
    IdempotencyKey.objects.create(user=org.iro, key="crashed", fingerprint=idempotency.fingerprint(request),
                                  method="POST", path=request.path, locked_until=now() - timedelta(seconds=1))
    assert escalate(client_for(org.iro), drp, "crashed", reason="x").status_code == 200
    drp.refresh_from_db()
    assert drp.stage.key == "stage-1"


def test_a_refusal_is_replayed_too_and_a_created_drp_is_created_once(org):
    iro = client_for(org.iro)
    body = {"children": [org.child.pk], "case_type": "CLA", "themes": ["placement"], "concern": "Drift"}
    first = iro.post("/api/v1/drps/", body, format="json", HTTP_IDEMPOTENCY_KEY="raise-1")
    again = iro.post("/api/v1/drps/", body, format="json", HTTP_IDEMPOTENCY_KEY="raise-1")
    assert first.status_code == again.status_code == 201
    assert DisputeResolution.objects.count() == 1
    bad = iro.post("/api/v1/drps/", {**body, "themes": []}, format="json", HTTP_IDEMPOTENCY_KEY="raise-2")
    assert bad.status_code == 400
    assert iro.post("/api/v1/drps/", {**body, "themes": []}, format="json",
                    HTTP_IDEMPOTENCY_KEY="raise-2").content == bad.content


def test_an_unusable_key_is_400_naming_the_header(org):
    drp = raised(org)
    response = escalate(client_for(org.iro), drp, "x" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in field_errors(response)


def test_a_request_without_a_valid_token_keeps_nothing(org):
    drp = raised(org)
    response = APIClient(HTTP_AUTHORIZATION="Token nonsense").post(
        f"/api/v1/drps/{drp.pk}/escalate/", {"reason": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 401
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/drps/%00/respond/", "/api/v1/drps/\t\x00\xff/respond/",
                                  "/api/v1/drps/x/no-such-move/"])
def test_a_path_no_operation_answers_keeps_nothing(org, path):
    """A fuzzed id holding a NUL byte was stored as the key's path: a 500 on PostgreSQL."""
    response = client_for(org.iro).post(path, {"reason": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="fuzz-1")
    assert response.status_code in (400, 404)
    assert not IdempotencyKey.objects.exists()


def test_an_old_address_keeps_nothing_so_the_key_works_at_the_new_one(org):
    drp = raised(org)
    iro = client_for(org.iro)
    moved = iro.post(f"/api/drps/{drp.pk}/escalate/", {"reason": "No plan yet"}, format="json",
                     HTTP_IDEMPOTENCY_KEY="old-address-1")
    assert moved.status_code == 308 and moved["Location"].endswith(f"/api/v1/drps/{drp.pk}/escalate/")
    assert escalate(iro, drp, "old-address-1").status_code == 200
    assert escalate(iro, drp, "old-address-1")["Idempotent-Replayed"] == "true"


def test_sign_in_is_never_kept(org):
    APIClient().post("/api/v1/auth/token/", {"username": "iro", "password": "footprint-test"}, format="json",
                     HTTP_IDEMPOTENCY_KEY="sign-in")
    assert not IdempotencyKey.objects.exists()


def test_keys_older_than_a_day_are_purged_by_the_beat_task(org):
    from integrations.tasks import purge_idempotency_keys

    drp = raised(org)
    escalate(client_for(org.iro), drp, "old")
    escalate(client_for(org.iro), drp, "new", reason="again")
    IdempotencyKey.objects.filter(key="old").update(created_at=now() - timedelta(hours=25))
    assert purge_idempotency_keys.delay().get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
