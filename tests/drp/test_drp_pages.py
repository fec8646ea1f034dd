"""The DRP pages: sign-in, who sees what, forms that keep what was typed, constant queries."""

from datetime import date

import pytest

from drp import services
from drp.models import DisputeResolution, Stage, Theme
from tests.support.auth import login
from tests.support.factories import RESOLUTION_FORM, cp_child
from workflows.models import CaseRead

pytestmark = pytest.mark.django_db


def raise_drp(org, **kw):
    args = dict(actor=org.iro, children=[org.child], case_type="CLA",
                themes=[Theme.objects.get(slug="placement")], concern="Placement at risk")
    args.update(kw)
    return services.drp_raise(**args)


@pytest.mark.parametrize("url", ["/", "/drps/", "/drps/raise/", "/drps/awaiting-my-response/", "/children/",
                                 "/drps/1/", "/children/1/"])
def test_every_page_requires_sign_in(client, org, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_sign_in_page_renders_and_signs_in(client, org):
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "iro", "password": "footprint-test"})
    assert response.status_code == 302
    # An IRO starts the day with what waits on them.
    assert client.get("/", follow=True).request["PATH_INFO"] == "/drps/needs-my-action/"


def test_iro_raises_a_drp_from_the_form(client, org):
    login(client, org.iro)
    response = client.post("/drps/raise/", {
        "children": "c000001, C000002", "case_type": "CLA", "themes": ["placement", "health"],
        "concern": "Placement breaking down", "stage": "informal",
    })
    drp = DisputeResolution.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/drps/{drp.pk}/"
    assert sorted(c.reference for c in drp.children.all()) == ["C000001", "C000002"]
    page = client.get(response["Location"])
    assert "Placement breaking down" in page.content.decode()
    assert f"{drp.reference} raised" in page.content.decode()


def test_raise_form_prefills_from_the_childs_page(client, org):
    login(client, org.iro)
    page = client.get(f"/drps/raise/?child={org.child.pk}").content.decode()
    assert 'value="C000001"' in page


def test_raise_form_errors_name_the_field_and_keep_the_text(client, org):
    login(client, org.iro)
    response = client.post("/drps/raise/", {"children": "NOPE1", "case_type": "CLA",
                                            "concern": "Keep this text", "stage": "informal"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in body
    assert "No child found with case reference NOPE1" in body
    assert "Select at least one theme" in body
    assert "Keep this text" in body
    assert not DisputeResolution.objects.exists()


def test_raise_form_refuses_a_future_date(client, org):
    login(client, org.iro)
    response = client.post("/drps/raise/", {
        "children": "C000001", "case_type": "CLA", "themes": ["placement"], "concern": "x",
        "stage": "informal", "raised_on_0": "1", "raised_on_1": "1", "raised_on_2": "2099"})
    assert "Date raised must be today or in the past" in response.content.decode()
    assert not DisputeResolution.objects.exists()


def test_social_worker_cannot_open_the_raise_page(client, org):
    login(client, org.social_worker)
    assert client.get("/drps/raise/").status_code == 403


def test_detail_shows_actions_the_user_may_take(client, org):
    drp = raise_drp(org)
    body = login(client, org.iro).get(f"/drps/{drp.pk}/").content.decode()
    for heading in ["Escalate", "Resolve", "Withdraw", "Refer to Cafcass"]:
        assert f'govuk-details__summary-text">{heading}<' in body
    assert 'govuk-details__summary-text">Respond<' not in body
    assert "moj-timeline" in body
    client.logout()
    body = login(client, org.social_worker).get(f"/drps/{drp.pk}/").content.decode()
    assert 'govuk-details__summary-text">Respond<' in body
    assert 'govuk-details__summary-text">Escalate<' not in body


def test_detail_reads_are_audited(client, org):
    drp = raise_drp(org)
    login(client, org.auditor).get(f"/drps/{drp.pk}/")
    read = CaseRead.objects.get()
    assert (read.user, read.case_kind, read.case_id, read.view) == (org.auditor, "drp.disputeresolution",
                                                                     drp.pk, "drp:detail")


def test_respond_escalate_and_resolve_through_the_pages(client, org):
    drp = raise_drp(org)
    login(client, org.social_worker)
    assert client.post(f"/drps/{drp.pk}/respond/", {"response": "Meeting booked"}).status_code == 302
    client.logout()
    login(client, org.iro)
    assert client.post(f"/drps/{drp.pk}/escalate/", {"stage": "stage-2", "reason": "No progress"}).status_code == 302
    drp.refresh_from_db()
    assert drp.stage.key == "stage-2"
    response = client.post(f"/drps/{drp.pk}/resolve/", {"outcome": "", "impact": "keep me"})
    assert response.status_code == 400
    assert "Enter the outcome" in response.content.decode() and "keep me" in response.content.decode()
    assert client.post(f"/drps/{drp.pk}/resolve/", RESOLUTION_FORM).status_code == 302
    drp.refresh_from_db()
    assert drp.status == "resolved"


def test_a_refused_move_is_shown_not_ignored(client, org):
    drp = raise_drp(org, case_type="CP", children=[cp_child(org)])
    login(client, org.iro)
    response = client.post(f"/drps/{drp.pk}/refer-to-cafcass/", {"reason": "x"})
    assert response.status_code == 409
    assert "Only a looked-after child" in response.content.decode()


def test_awaiting_my_response_lists_soonest_due_first(client, org):
    later = raise_drp(org, raised_on=date(2026, 6, 1))
    sooner = raise_drp(org, raised_on=date(2026, 5, 1))
    raise_drp(org, stage=Stage.objects.get(key="stage-2"))
    body = login(client, org.social_worker).get("/drps/awaiting-my-response/").content.decode()
    assert body.index(sooner.reference) < body.index(later.reference)
    assert body.count("class=\"govuk-summary-card__title\"") == 2
    client.logout()
    body = login(client, org.service_manager).get("/drps/awaiting-my-response/").content.decode()
    assert body.count("class=\"govuk-summary-card__title\"") == 1


def test_other_teams_drps_are_404_for_a_social_worker(client, org):
    drp = raise_drp(org)
    login(client, org.other_social_worker)
    assert client.get(f"/drps/{drp.pk}/").status_code == 404
    assert drp.reference not in client.get("/drps/").content.decode()


def test_do_and_complaints_roles_cannot_see_drps(client, org):
    drp = raise_drp(org)
    for user in (org.designated_officer, org.complaints):
        login(client, user)
        assert client.get("/drps/").status_code == 403
        assert client.get(f"/drps/{drp.pk}/").status_code == 403
        client.logout()


def test_list_filters_by_case_type_and_shows_closed(client, org):
    raise_drp(org)
    cp = raise_drp(org, case_type="CP", children=[cp_child(org)])
    closed = services.drp_withdraw(drp=raise_drp(org), actor=org.iro, reason="x")
    login(client, org.iro)
    body = client.get("/drps/?case_type=CP").content.decode()
    assert cp.reference in body and body.count("govuk-table__row") == 2
    body = client.get("/drps/?closed=1").content.decode()
    assert closed.reference in body and cp.reference not in body


def test_child_record_shows_their_drps(client, org):
    drp = raise_drp(org)
    body = login(client, org.social_worker).get(f"/children/{org.child.pk}/").content.decode()
    assert drp.reference in body
    assert login(client, org.other_social_worker).get(f"/children/{org.child.pk}/").status_code == 404


def _bulk(org, n):
    informal = Stage.objects.get(key="informal")
    themes = list(Theme.objects.all()[:2])
    for i in range(n):
        drp = DisputeResolution.objects.create(
            reference=f"B-{i}", case_type="CLA", concern="x", team=org.team, raised_by=org.iro,
            raised_on=date(2026, 1, 5), stage=informal, stage_started_on=date(2026, 1, 5),
            stage_due_date=date(2026, 2, 2), addressee=org.social_worker)
        drp.children.set([org.child])
        drp.themes.set(themes)


@pytest.mark.parametrize("n", [10, 1000])
def test_list_pages_use_a_constant_number_of_queries(client, org, n, django_assert_max_num_queries):
    _bulk(org, n)
    login(client, org.iro)
    with django_assert_max_num_queries(16):
        assert client.get("/drps/").status_code == 200
    # Searched and filtered, and as the download of exactly that list.
    filtered = "/drps/?q=amy&iro=iro&team=north-1&raised_from=1/1/2026&raised_to=2026-12-31&overdue=true"
    with django_assert_max_num_queries(16):
        assert client.get(filtered).status_code == 200
    with django_assert_max_num_queries(12):
        response = client.get(filtered + "&format=csv")
        assert len(b"".join(response.streaming_content).splitlines()) == n + 1
    with django_assert_max_num_queries(12):
        assert client.get("/children/search/?q=example").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get("/drps/raise/choose-child/?q=example&chosen=C000001").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/children/").status_code == 200
    with django_assert_max_num_queries(14):  # the soonest 50 of each list, every one counted
        body = client.get("/drps/needs-my-action/").content.decode()
    assert f"Overdue ({n})" in body and body.count('href="/drps/') < 2 * 50 + 20
    client.logout()
    login(client, org.social_worker)
    with django_assert_max_num_queries(16):
        assert client.get("/drps/awaiting-my-response/").status_code == 200
    # 15 includes renewing the session's idle expiry (SAVEPOINT, UPDATE, RELEASE) every request.
    with django_assert_max_num_queries(15):
        assert client.get(f"/children/{org.child.pk}/").status_code == 200


def test_reference_data_is_editable_in_the_admin(client, org):
    org.iro_manager.is_staff = org.iro_manager.is_superuser = True
    org.iro_manager.save()
    login(client, org.iro_manager)  # administrators must use two-step verification
    for url in ["/admin/drp/stage/", "/admin/drp/theme/", "/admin/people/team/", "/admin/workflows/closureday/",
                f"/admin/drp/stage/{Stage.objects.first().pk}/change/", "/admin/drp/theme/add/"]:
        assert client.get(url).status_code == 200, url
    response = client.post("/admin/drp/theme/add/", {"name": "Missing from education", "slug": "missing-education",
                                                     "active": "on"})
    assert response.status_code == 302
    assert Theme.objects.filter(slug="missing-education").exists()


def test_a_page_move_is_refused_for_status_or_role_before_the_form_is_read(org, client):
    """As in the API: 409 for the status, then 403 for the role, before any 400."""
    from drp import services
    from drp.models import Theme

    drp = services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                             concern="Drift in the plan.", themes=[Theme.objects.first()])
    client.force_login(org.social_worker)
    assert client.post(f"/drps/{drp.pk}/escalate/", {}).status_code == 403
    assert client.post(f"/drps/{drp.pk}/respond/", {}).status_code == 400  # theirs: the form counts
    client.force_login(org.iro)
    assert client.post(f"/drps/{drp.pk}/respond/", {}).status_code == 403
    services.drp_withdraw(drp=drp, actor=org.iro, reason="Sorted at the review.")
    response = client.post(f"/drps/{drp.pk}/escalate/", {})
    assert response.status_code == 409 and "withdrawn, so it cannot be escalated" in response.content.decode()
