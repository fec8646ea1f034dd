"""Health checks: open to a load balancer without signing in, and honest about the database."""

import pytest
from django.db import OperationalError
from django.urls import reverse


@pytest.mark.django_db
def test_healthz_answers_anonymously_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_head_but_refuses_post(client):
    assert client.head(reverse("healthz")).status_code == 200
    assert client.post(reverse("healthz")).status_code == 405


@pytest.mark.django_db
def test_readiness_asks_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz/ready/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_readiness_is_503_when_the_database_is_unreachable(client, monkeypatch):
    from django.db import connection

    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz/ready/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


@pytest.mark.django_db
def test_other_pages_still_need_signing_in(client):
    """The exemption is for the health checks only: LoginRequiredMiddleware still guards the rest."""
    response = client.get("/drps/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_pages_and_api_answer_503_with_retry_after_while_the_database_is_unreachable(org, monkeypatch):
    """Not 500: the service is unavailable, and says when to try again. A page gets GOV.UK's
    "Sorry, the service is unavailable" page, the API JSON; neither needs the database.
    (tests/ops/test_faults.py does this against a real database that refuses connections.)"""
    from django.db import connection
    from django.test import Client

    from tests.support.auth import api_token

    page_client = Client(raise_request_exception=False)
    page_client.force_login(org.iro)
    api_client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {api_token(org.iro)}")

    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    monkeypatch.setattr(connection, "cursor", refuse)
    page = page_client.get("/drps/")
    assert page.status_code == 503 and page["Retry-After"] == "30"
    assert "Sorry, the service is unavailable" in page.content.decode()
    assert "Content-Security-Policy" in page  # still through the security middleware
    write = api_client.post("/api/drps/", {"concern": "x"}, content_type="application/json")
    assert write.status_code == 503 and write["Retry-After"] == "30"
    assert write.json() == {"detail": "Sorry, the service is unavailable. Try again later."}
    monkeypatch.undo()
    schema = api_client.get("/api/schema/?format=json").json()
    assert "503" in schema["paths"]["/api/drps/"]["post"]["responses"]  # and documented


@pytest.mark.django_db
def test_other_server_errors_stay_500(org, monkeypatch):
    """Only an unreachable database is 503; a bug is still a 500 (and is logged as one)."""
    from django.test import Client

    def bug(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("drp.views.drps_visible_to", bug)
    client = Client(raise_request_exception=False)
    client.force_login(org.iro)
    response = client.get("/drps/")
    assert response.status_code == 500 and "Retry-After" not in response
