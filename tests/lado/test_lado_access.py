"""Default deny: only Designated Officers and the DO Manager see or change DO records, pages or
API. Every URL is discovered from the lado URLconfs, so a new page or endpoint cannot be missed.
Every read of a case is logged, and the DO Manager sees the log."""

from datetime import date

import pytest
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

import lado.api_urls
import lado.urls
from config.navigation import navigation
from lado import services
from lado.models import Category, Enquiry, RetentionRule
from tests.support.auth import login
from tests.support.lado_fixtures import at, client_for, concluded, in_progress, non_do_users
from tests.support.problems import PROBLEM_KEYS
from workflows.models import CaseRead

pytestmark = pytest.mark.django_db
MANAGER_ONLY_PAGES = {"access-log", "reads-by-user", "alerts", "retention-review", "destruction-log", "retention",
                      "destroy", "retention-rules", "retention-rule", "category-retention", "do-team", "access-review",
                      "role-remove", "system-account"}
MANAGER_ONLY_API = {"lado-enquiry-access-log", "lado-access-log", "lado-retention-review",
                    "lado-enquiry-retention", "lado-enquiry-destroy"}


def _kwargs(names, enquiry, action):
    values = {"pk": enquiry.pk, "action_pk": action.pk, "action_id": action.pk,
              "user_id": enquiry.logged_by_id, "role": "designated-officer", "account_id": 1,
              "rule_id": RetentionRule.objects.get(closure="substantiated").pk,
              "category_id": Category.objects.get(slug="sexual").pk}
    return {name: values[name] for name in names}


def page_urls(enquiry, action, only_cases=False):
    """(name, url) for every page in lado/urls.py (only those about one case, if asked)."""
    for pattern in lado.urls.urlpatterns:
        names = pattern.pattern.converters.keys()
        if only_cases and "pk" not in names:
            continue
        yield pattern.name, reverse(f"lado:{pattern.name}", kwargs=_kwargs(names, enquiry, action))


def api_calls(enquiry, action):
    """(name, method, url) for every method of every endpoint in lado/api_urls.py."""
    for pattern in lado.api_urls.urlpatterns:
        names = pattern.pattern.regex.groupindex.keys()
        url = reverse(f"api:{pattern.name}", kwargs=_kwargs(names, enquiry, action))
        view = pattern.callback
        if getattr(view, "actions", None):
            methods = list(view.actions)
        else:
            methods = [m for m in ("get", "post", "patch", "put", "delete") if hasattr(view.view_class, m)]
        for method in methods:
            yield pattern.name, method, url


@pytest.fixture
def case(org):
    enquiry = in_progress(org, subject_name="Secret Subjectname", summary="Confidential allegation text")
    action = services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer, kind="suspension",
                                         owner_name="Head teacher")
    return enquiry, action


def test_the_urlconfs_are_discovered(case):
    enquiry, action = case
    pages = dict(page_urls(enquiry, action))
    assert {"tray", "log", "detail", "decide", "meeting", "action", "action-update", "conclude",
            "conclude-without-meeting", "category-retention", "cancel",
            "legal-hold", "retention", "destroy", "edit", "access-log", "reads-by-user", "retention-review",
            "destruction-log"} <= set(pages)
    calls = {(name, method) for name, method, _ in api_calls(enquiry, action)}
    for expected in [("lado-enquiry-list", "get"), ("lado-enquiry-list", "post"), ("lado-enquiry-detail", "get"),
                     ("lado-enquiry-detail", "patch"), ("lado-enquiry-decide", "post"),
                     ("lado-enquiry-meetings", "post"), ("lado-enquiry-actions", "post"),
                     ("lado-enquiry-update-action", "patch"), ("lado-enquiry-conclude", "post"),
                     ("lado-enquiry-conclude-without-meeting", "post"),
                     ("lado-enquiry-cancel", "post"), ("lado-enquiry-access-log", "get"),
                     ("lado-access-log", "get"), ("lado-vocabularies", "get")]:
        assert expected in calls


def _no_case_data(body: str, enquiry: Enquiry):
    for secret in (enquiry.reference, "Secret Subjectname", "Confidential allegation text", "Head teacher"):
        assert secret not in body, secret


def test_every_page_is_403_for_every_other_role(org, case, client):
    enquiry, action = case
    for user in non_do_users(org):
        login(client, user)  # the superuser with their two-step code
        for name, url in page_urls(enquiry, action):
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                assert response.status_code == 403, (user.username, name, method)
                _no_case_data(response.content.decode(), enquiry)
        client.logout()
    assert Enquiry.objects.get(pk=enquiry.pk).status == Enquiry.Status.IN_PROGRESS
    assert not CaseRead.objects.filter(case_kind="lado.enquiry").exists()


def test_every_api_endpoint_is_403_for_every_other_role(org, case):
    enquiry, action = case
    body = {"reason": "x", "outcome": "false", "threshold_met": True, "criteria": ["harmed"], "rationale": "x",
            "kind": "review", "held_on": "2025-01-01", "attendees": "x", "decisions": "x", "hold": True}
    for user in non_do_users(org):
        client = client_for(user)
        for name, method, url in api_calls(enquiry, action):
            response = getattr(client, method)(url, body, format="json") if method != "get" else client.get(url)
            assert response.status_code == 403, (user.username, name, method)
            _no_case_data(response.content.decode(), enquiry)
            if method != "head":
                assert set(response.json()) == PROBLEM_KEYS, (user.username, name, method)
                assert response.json()["code"] == "permission_denied" and response.json()["errors"] == []
    assert Enquiry.objects.get(pk=enquiry.pk).status == Enquiry.Status.IN_PROGRESS
    assert not CaseRead.objects.filter(case_kind="lado.enquiry").exists()


def test_signed_out_people_are_sent_to_sign_in_or_refused(case, client):
    enquiry, action = case
    for name, url in page_urls(enquiry, action):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), name
    for name, method, url in api_calls(enquiry, action):
        assert getattr(APIClient(), method)(url).status_code in (401, 403), name


def test_a_designated_officer_is_refused_the_managers_pages_and_endpoints(org, case, client):
    enquiry, action = case
    login(client, org.designated_officer)
    for name, url in page_urls(enquiry, action):
        response = client.get(url)
        if name in MANAGER_ONLY_PAGES:
            assert response.status_code == 403, name
            _no_case_data(response.content.decode(), enquiry)
        else:
            assert response.status_code in (200, 302), name
    api = client_for(org.designated_officer)
    for name, method, url in api_calls(enquiry, action):
        if name in MANAGER_ONLY_API:
            response = getattr(api, method)(url, {}, format="json")
            assert response.status_code == 403, name


def test_the_menu_item_is_only_for_the_do_team(org):
    def items(user):
        request = RequestFactory().get("/")
        request.user = user
        return [item["text"] for item in navigation(request)["nav_items"]]

    for user in non_do_users(org):
        assert "Designated Officer" not in items(user), user.username
    for user in (org.designated_officer, org.do_manager):
        assert "Designated Officer" in items(user)


def test_a_superuser_sees_no_do_menu_and_no_do_models_in_the_admin(org, client):
    superuser = non_do_users(org)[-1]
    login(client, superuser)  # administrators must use two-step verification
    page = client.get("/admin/").content.decode()
    assert "Sectors" in page
    assert "DO enquir" not in page and "Meetings" not in page and "Destruction log" not in page
    assert "Retention rules" not in page and "Role changes" not in page
    assert client.get("/admin/lado/enquiry/").status_code == 404
    assert "Designated Officer</a>" not in client.get("/children/").content.decode()


def test_every_read_of_a_case_is_logged(org, case, client):
    enquiry, action = case
    login(client, org.do_manager)
    for name, url in page_urls(enquiry, action, only_cases=True):
        before = CaseRead.objects.count()
        assert client.get(url).status_code == 200, name
        read = CaseRead.objects.order_by("-id").first()
        assert CaseRead.objects.count() == before + 1, name
        assert (read.user, read.case_kind, read.case_id) == (org.do_manager, "lado.enquiry", enquiry.pk), name
    api = client_for(org.designated_officer)
    assert api.get(f"/api/v1/lado/enquiries/{enquiry.pk}/").status_code == 200
    read = CaseRead.objects.order_by("-id").first()
    assert (read.user, read.view, read.case_id) == (org.designated_officer, "api:lado-enquiry-detail", enquiry.pk)
    api.post(f"/api/v1/lado/enquiries/{enquiry.pk}/actions/", {"kind": "risk-assessment", "owner_name": "Employer"},
             format="json")
    assert CaseRead.objects.order_by("-id").first().view == "api:lado-enquiry-actions"


def test_the_do_manager_sees_each_cases_access_log(org, case, client):
    enquiry, _ = case
    login(client, org.designated_officer)
    client.get(f"/lado/{enquiry.pk}/")
    client_for(org.designated_officer).get(f"/api/v1/lado/enquiries/{enquiry.pk}/")
    manager = client_for(org.do_manager)
    response = manager.get(f"/api/v1/lado/enquiries/{enquiry.pk}/access-log/")
    assert response.status_code == 200
    log = response.json()
    assert [(e["user"], e["view"]) for e in log] == [
        ("do-manager", "api:lado-enquiry-access-log"),
        ("designated-officer", "api:lado-enquiry-detail"),
        ("designated-officer", "lado:detail"),
    ]
    assert set(log[0]) == {"at", "user", "view"}
    assert client_for(org.designated_officer).get(
        f"/api/v1/lado/enquiries/{enquiry.pk}/access-log/").status_code == 403
    login(client, org.do_manager)
    page = client.get(f"/lado/{enquiry.pk}/access-log/").content.decode()
    assert "lado:detail" in page and "api:lado-enquiry-detail" in page and "designated-officer" in page


def test_the_do_manager_lists_all_reads_by_one_person(org, client):
    first = concluded(org, "false", on=date(2024, 1, 8))
    second = in_progress(org, received_at=at(date(2025, 1, 6)))
    login(client, org.designated_officer)
    client.get(f"/lado/{first.pk}/")
    client.get(f"/lado/{second.pk}/decide/")
    manager = client_for(org.do_manager)
    reads = manager.get("/api/v1/lado/access-log/?user=designated-officer").json()
    # The first case's page names the second (the same subject): a read of it too, in the same insert.
    assert [(r["reference"], r["view"]) for r in reads] == [
        (second.reference, "lado:decide"), (second.reference, "lado:detail subject history"),
        (first.reference, "lado:detail")]
    assert manager.get("/api/v1/lado/access-log/?user=nobody").status_code == 404
    login(client, org.do_manager)
    page = client.get("/lado/access-log/?user=designated-officer").content.decode()
    assert first.reference in page and second.reference in page and "lado:decide" in page
