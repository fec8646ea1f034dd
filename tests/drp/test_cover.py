"""Cover for an absent responder (issue 13, "Act"): the colleague's inbox card says whom they
cover for; and ending a cover early: whoever arranged it, or the covered person's line
manager, ends it before its last day with a reason; from that day the colleague no longer sees,
answers or is reminded of the DRPs, and each open DRP addressed to the person covered says so on
its timeline. Refusals in the house order: 409 (already ended or finished), 403, then 400."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from drp import cover
from drp.models import Cover, Stage, TimelineEvent
from drp.selectors import awaiting_response_from, drps_visible_to
from people import roles
from tests.drp.test_drp_act import raise_drp, told
from tests.drp.test_drp_api import client_for
from tests.support.auth import login
from tests.support.factories import UserFactory
from tests.support.problems import field_errors
from workflows.clocks import as_of, today
from workflows.exceptions import TransitionRefused
from workflows.reminders import DUE_SOON, run_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(org):
    """A team manager in another team, who cannot see North Team 1's DRPs by right."""
    return UserFactory(username="cover-manager", first_name="Casey", last_name="Cover",
                       roles=[roles.TEAM_MANAGER], team=org.other_team)


def arrange(org, colleague, actor=None, starts_on=date(2026, 11, 3), ends_on=date(2026, 11, 27)):
    with as_of(date(2026, 11, 2)):
        return cover.cover_set_up(actor=actor or org.team_manager, absent=org.team_manager, colleague=colleague,
                                  starts_on=starts_on, ends_on=ends_on)


def test_ending_a_cover_early_stops_the_colleague_seeing_and_being_reminded(org, colleague):
    Stage.objects.update(working_days=20)
    drp = raise_drp(org)
    covering = arrange(org, colleague)
    with as_of(date(2026, 11, 4)):
        assert list(awaiting_response_from(colleague)) == [drp]
    with as_of(date(2026, 11, 20)):
        ended = cover.cover_end_early(cover=covering, actor=org.team_manager, reason="Back from leave early")
        assert drp not in drps_visible_to(colleague) and list(awaiting_response_from(colleague)) == []
    assert (ended.ended_on, ended.ended_by, ended.end_reason) == (date(2026, 11, 20), org.team_manager,
                                                                  "Back from leave early")
    assert ended.history.latest().history_change_reason == "Back from leave early"
    event = drp.timeline.get(action=TimelineEvent.Action.COVER_ENDED)
    assert event.actor == org.team_manager
    assert event.note == ("Casey Cover no longer covers for {} from 20 November 2026 (arranged to 27 November "
                          "2026).\n\nBack from leave early").format(org.team_manager)
    assert told("drp-cover-ended") == {"cover-manager", "team-manager"}
    # The stage is due on 30 November: the due-soon reminder goes to the addressee alone now.
    sweep = {(r.kind, r.phase): set(r.recipients) for r in run_sweep(date(2026, 11, 23), kinds=["drp-stage"])}
    assert sweep == {("drp-stage", DUE_SOON): {"team-manager"}}
    # The day before it was ended, the colleague still covered.
    with as_of(date(2026, 11, 19)):
        assert list(awaiting_response_from(colleague)) == [drp]


def test_the_line_manager_ends_a_cover_they_did_not_arrange_and_nobody_else_may(org, colleague):
    covering = arrange(org, colleague)
    with as_of(date(2026, 11, 5)):
        for outsider in (colleague, org.social_worker, org.iro):
            with pytest.raises(PermissionDenied):
                cover.cover_end_early(cover=covering, actor=outsider, reason="No")
        with pytest.raises(ValidationError) as blank:
            cover.cover_end_early(cover=covering, actor=org.service_manager, reason="  ")
        assert blank.value.message_dict == {"reason": ["Enter why the cover is ending early"]}
        cover.cover_end_early(cover=covering, actor=org.service_manager, reason="Returned to work")
        # Ended: a second ending is refused for its state first, whoever asks.
        for anyone in (org.service_manager, colleague):
            with pytest.raises(TransitionRefused, match="already ended on 5 November 2026"):
                cover.cover_end_early(cover=covering, actor=anyone, reason="Again")


def test_a_cover_not_yet_begun_can_be_called_off_and_a_finished_one_cannot_be_ended(org, colleague):
    coming = arrange(org, colleague, starts_on=date(2026, 11, 10), ends_on=date(2026, 11, 13))
    with as_of(date(2026, 11, 3)):
        cover.cover_end_early(cover=coming, actor=org.team_manager, reason="Leave cancelled")
    with as_of(date(2026, 11, 11)):
        assert list(awaiting_response_from(colleague)) == []
    finished = arrange(org, colleague, starts_on=date(2026, 11, 3), ends_on=date(2026, 11, 6))
    with as_of(date(2026, 11, 9)), pytest.raises(TransitionRefused, match="finished on 6 November 2026"):
        cover.cover_end_early(cover=finished, actor=org.team_manager, reason="Late")


def test_end_cover_page(client, org, colleague):
    drp = raise_drp(org)
    covering = arrange(org, colleague, starts_on=date(2099, 11, 3), ends_on=date(2099, 11, 27))
    login(client, org.team_manager)
    listing = client.get("/drps/cover/").content.decode()
    assert f'href="/drps/cover/{covering.pk}/end/"' in listing
    assert client.get(f"/drps/cover/{covering.pk}/end/").status_code == 200
    blank = client.post(f"/drps/cover/{covering.pk}/end/", {"reason": ""})
    assert blank.status_code == 400 and "Enter why the cover is ending early" in blank.content.decode()
    done = client.post(f"/drps/cover/{covering.pk}/end/", {"reason": "Leave cancelled"}, follow=True)
    page = done.content.decode()
    assert f"Casey Cover no longer covers for {org.team_manager}" in page and "No cover is arranged." in page
    assert drp.timeline.filter(action=TimelineEvent.Action.COVER_ENDED).count() == 1
    again = client.post(f"/drps/cover/{covering.pk}/end/", {"reason": "Again"})
    assert again.status_code == 409 and "already ended" in again.content.decode()
    # The colleague sees the cover on their page but may not end it.
    login(client, colleague)
    other = arrange(org, colleague, starts_on=date(2099, 12, 1), ends_on=date(2099, 12, 4))
    assert f"/drps/cover/{other.pk}/end/" not in client.get("/drps/cover/").content.decode()
    assert client.post(f"/drps/cover/{other.pk}/end/", {"reason": "Mine now"}).status_code == 403
    assert client.get("/drps/cover/999999/end/").status_code == 404


def test_end_cover_api(org, colleague):
    covering = arrange(org, colleague, starts_on=date(2099, 11, 3), ends_on=date(2099, 11, 27))
    url = f"/api/v1/drp/covers/{covering.pk}/end/"
    assert client_for(colleague).post(url, {"reason": "x"}, format="json").status_code == 403
    blank = client_for(org.service_manager).post(url, {}, format="json")
    assert blank.status_code == 400 and set(field_errors(blank)) == {"reason"}
    ended = client_for(org.service_manager).post(url, {"reason": "Leave cancelled"}, format="json")
    assert ended.status_code == 200, ended.content
    assert (ended.json()["ended_on"], ended.json()["end_reason"]) == (str(today()), "Leave cancelled")
    again = client_for(org.service_manager).post(url, {"reason": "Again"}, format="json")
    assert again.status_code == 409 and again["Content-Type"] == "application/problem+json"
    assert client_for(org.team_manager).get("/api/v1/drp/covers/").json() == []
    assert client_for(org.team_manager).post("/api/v1/drp/covers/999999/end/", {"reason": "x"},
                                             format="json").status_code == 404
    assert Cover.objects.get(pk=covering.pk).ended_by == org.service_manager


def test_the_inbox_card_says_whom_the_reader_covers_for(client, org, colleague):
    drp = raise_drp(org)
    arrange(org, colleague)
    with as_of(date(2026, 11, 4)):
        page = login(client, colleague).get("/drps/awaiting-my-response/").content.decode()
        assert drp.reference in page and f"Covering for {org.team_manager.get_full_name()}" in page
        # The addressee's own inbox shows the same card without it.
        own = login(client, org.team_manager).get("/drps/awaiting-my-response/").content.decode()
    assert drp.reference in own and "Covering for" not in own


def test_an_absurd_cover_id_is_not_found(client, org):
    huge = "9" * 25
    login(client, org.team_manager)
    assert client.get(f"/drps/cover/{huge}/end/").status_code == 404
    assert client_for(org.team_manager).post(f"/api/v1/drp/covers/{huge}/end/", {"reason": "x"},
                                             format="json").status_code == 404


def test_the_line_manager_sees_and_ends_a_cover_the_person_arranged_themselves(client, org, colleague):
    covering = arrange(org, colleague, starts_on=date(2099, 11, 3), ends_on=date(2099, 11, 27))
    login(client, org.service_manager)  # the team manager's line manager
    listing = client.get("/drps/cover/").content.decode()
    assert "Casey Cover" in listing and f'href="/drps/cover/{covering.pk}/end/"' in listing
    assert [c["id"] for c in client_for(org.service_manager).get("/api/v1/drp/covers/").json()] == [covering.pk]
    done = client.post(f"/drps/cover/{covering.pk}/end/", {"reason": "Back at work"})
    assert done.status_code == 302
    # Ended: gone from every list, the colleague's too.
    assert client_for(colleague).get("/api/v1/drp/covers/").json() == []
