"""See what waits on me (issue 13): the IRO's "Needs my action" with counts in the navigation,
responders' inbox cards that say why it came to them and by how much it is overdue, and
"Addressed to" naming each person."""

import re
from datetime import date, timedelta

import pytest

from drp import services
from drp.models import Stage, Theme
from reports.periods import reporting_year_of
from tests.support.auth import login
from workflows.calendar import working_days_between
from workflows.clocks import as_of, today

pytestmark = pytest.mark.django_db


def raise_drp(org, on=None, children=None):
    with as_of(on or today()):
        return services.drp_raise(actor=org.iro, children=children or [org.child], case_type="CLA",
                                  themes=[Theme.objects.get(slug="placement")], concern="Placement at risk")


def test_needs_my_action_lists_reviews_with_time_waited_agreed_by_passed_and_overdue(client, org):
    responded_on = date(2026, 10, 1)
    to_review = raise_drp(org, on=date(2026, 9, 28))
    with as_of(responded_on):
        services.drp_respond(drp=to_review, actor=org.social_worker, response="Review booked",
                             agreed_by=date(2026, 10, 20))
    overdue = raise_drp(org, on=date(2026, 1, 5), children=[org.sibling])
    raise_drp(org)  # on time: waits on no one but the social worker
    login(client, org.iro)
    assert client.get("/").url == "/drps/needs-my-action/"
    page = client.get("/drps/needs-my-action/").content.decode()
    waited = working_days_between(responded_on, today())
    assert f"{waited} working days since the response on 1 Oct 2026" in page
    assert "Responses to review (1)" in page and "Agreed-by dates passed (1)" in page
    assert "Overdue (2)" in page  # the review is late too, and the old DRP's response
    assert overdue.reference in page and to_review.reference in page
    # The count beside "Needs my action" in the navigation.
    assert re.search(r'Needs my action(</strong>)? <strong class="govuk-tag govuk-tag--blue app-nav-count">4<', page)


def test_needs_my_action_shows_the_soonest_of_a_long_list_and_counts_the_rest(client, org, monkeypatch):
    """However much waits on an IRO, the page shows the soonest few of each list (at 100,000
    DRPs on one IRO it took 31 s to list them all), counts every one, and links to the rest."""
    monkeypatch.setattr("drp.inbox_views.NEEDS_MY_ACTION_SHOWN", 2)
    oldest, older, old = (raise_drp(org, on=date(2026, 1, day)) for day in (5, 6, 7))
    login(client, org.iro)
    page = client.get("/drps/needs-my-action/").content.decode()
    assert "Overdue (3)" in page and "3 DRPs overdue" in page
    assert oldest.reference in page and older.reference in page and old.reference not in page
    assert "The 2 due soonest of 3." in page and 'href="/drps/?overdue=true">All 3 overdue' in page
    listed = client.get("/drps/?overdue=true").content.decode()
    assert all(drp.reference in listed for drp in (oldest, older, old))


def test_the_page_and_its_navigation_number_are_one_count(client, org):
    """On "Needs my action" and "Awaiting my response" the page has counted what waits on the
    person; the navigation shows that number rather than counting it a second time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    raise_drp(org, on=date(2026, 1, 5))  # overdue: waits on the IRO and the social worker
    raise_drp(org, children=[org.sibling])  # on time: waits on the social worker only
    for person, url, text, waiting in ((org.iro, "/drps/needs-my-action/", "Needs my action", 1),
                                       (org.social_worker, "/drps/awaiting-my-response/",
                                        "Awaiting my response", 2)):
        login(client, person)
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(url).content.decode()
        shown = re.search(text + r'(</strong>)? <strong class="govuk-tag govuk-tag--blue app-nav-count">(\d+)<', page)
        assert shown and int(shown.group(2)) == waiting, text
        counts = [q["sql"] for q in ctx.captured_queries
                  if "COUNT(" in q["sql"].upper() and "drp_disputeresolution" in q["sql"]]
        assert len(counts) == 1, (text, counts)


def test_navigation_numbers_stop_counting_past_their_bound(client, org, monkeypatch):
    """Beside the navigation's items a long list shows "99+" (here "2+"): every page shows the
    number, so it counts a few rows past the bound, never a whole caseload (at 1M DRPs on one
    IRO the exact count cost every page 250 ms). Screen readers hear "more than 2"."""
    monkeypatch.setattr("config.navigation.NAV_COUNT_UP_TO", 2)
    for day in (5, 6, 7):
        raise_drp(org, on=date(2026, 1, day))
    for person, text in ((org.iro, "Needs my action"), (org.social_worker, "Awaiting my response")):
        login(client, person)
        page = client.get("/children/").content.decode()
        assert re.search(text + r' <strong class="govuk-tag govuk-tag--blue app-nav-count"><span aria-hidden="true">2\+'
                         r'</span><span class="govuk-visually-hidden">more than 2</span>', page), text
    from drp.selectors import awaiting_response_count, needs_my_action_count, needs_my_action_counts

    assert needs_my_action_count(org.iro, today(), up_to=10) == sum(needs_my_action_counts(org.iro, today()).values())
    assert needs_my_action_count(org.iro, today(), up_to=1) == 2  # one list, counted to 2 rows
    assert awaiting_response_count(org.social_worker, up_to=10) == 3
    assert awaiting_response_count(org.social_worker, up_to=1) == 2


def test_the_inbox_holds_what_is_addressed_to_me_by_role_team_child_or_name(org):
    """Each way a challenge comes to a responder, and none that does not: the informal stage
    to the child's social worker and the team manager, later stages to the role for the team."""
    from drp.selectors import awaiting_response_from

    informal = raise_drp(org)
    escalated = raise_drp(org, children=[org.sibling])
    services.drp_respond(drp=escalated, actor=org.social_worker, response="Plan agreed")
    services.drp_escalate(drp=escalated, actor=org.iro, reason="Not done")
    answered = raise_drp(org)
    services.drp_respond(drp=answered, actor=org.social_worker, response="Done")
    assert list(awaiting_response_from(org.social_worker)) == [informal]
    assert set(awaiting_response_from(org.team_manager)) == {informal, escalated}


def test_inbox_card_says_why_it_came_and_by_how_much_it_is_overdue(client, org):
    drp = raise_drp(org, on=date(2026, 1, 5))
    with as_of(date(2026, 1, 7)):
        services.drp_respond(drp=drp, actor=org.social_worker, response="We will visit weekly")
        services.drp_escalate(drp=drp, actor=org.iro, reason="Visits have not started")
    login(client, org.team_manager)
    drp.refresh_from_db()
    page = client.get("/drps/awaiting-my-response/").content.decode()
    assert "Why it came to you" in page
    assert page.index("We will visit weekly") < page.index("Visits have not started")
    stage = Stage.objects.get(key=drp.stage.key).name
    assert f"Escalated to {stage}" in page
    late = working_days_between(drp.stage_due_date, today())
    assert f"Overdue by {late} working days" in page
    assert 'overdue</p>' in page and '>1</span> awaiting your response' in page


def test_addressed_to_names_each_person_with_their_role(client, org):
    drp = raise_drp(org)
    login(client, org.iro)
    page = client.get(f"/drps/{drp.pk}/").content.decode()
    sw, tm = org.social_worker.get_full_name(), org.team_manager.get_full_name()
    assert f"{sw}, Social Worker; {tm}, Team Manager" in page


def test_an_iro_managers_menu_says_drps_and_shows_all(client, org):
    login(client, org.iro_manager)
    page = client.get("/drps/").content.decode()
    assert ">DRPs</strong>" in page or ">DRPs<" in page
    assert (today() - timedelta(days=1)) < today()


def test_an_iro_sees_their_own_figures_not_a_refusal(client, org):
    raise_drp(org)
    raise_drp(org, on=today() - timedelta(days=30), children=[org.sibling])  # overdue by now
    login(client, org.iro)
    assert client.get("/reports/").url == "/reports/mine/"
    year = reporting_year_of(today() - timedelta(days=30))
    page = client.get(f"/reports/mine/?year={year}").content.decode()
    assert f"My figures {year} to {year + 1}" in page
    assert '<dd class="govuk-summary-list__value">2 (2 informal, 0 formal)</dd>' in page
    assert 'href="/drps/?overdue=true">1</a>' in page
    assert client.get("/reports/annual/").status_code == 403  # the service's figures stay the managers'
    client.logout()
    login(client, org.social_worker)
    assert client.get("/reports/mine/").status_code == 403
