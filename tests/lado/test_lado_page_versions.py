"""No lost updates on enquiry pages: the edit form, each move's form and an action's form carry
the version they read; an enquiry (or action) changed since is not saved over: the page says
who changed it and when (409), the person's answers kept."""

import re
from datetime import date

import pytest
from django.utils import timezone

from lado import services
from lado.models import Action, Enquiry
from tests.support.auth import login
from tests.support.lado_fixtures import in_progress, log

pytestmark = pytest.mark.django_db


def carried_version(page: str) -> str:
    found = re.findall(r'name="version" value="(\d+)"', page)
    assert len(found) == 1, found
    return found[0]


def date_fields(name, day):
    return {f"{name}_0": day.day, f"{name}_1": day.month, f"{name}_2": day.year}


def test_the_edit_form_refuses_to_save_over_a_change_made_since(org, client):
    enquiry = log(org)
    login(client, org.designated_officer)
    opened = carried_version(client.get(f"/lado/{enquiry.pk}/edit/").content.decode())
    services.enquiry_update(enquiry=enquiry, actor=org.do_manager, subject_employer="Oakfield Academy")
    received = timezone.localtime(enquiry.received_at)
    response = client.post(f"/lado/{enquiry.pk}/edit/", {
        **date_fields("received_on", received.date()), "received_time": received.strftime("%H:%M"),
        "how": "phone", "summary": "Typed while the manager was editing", "category": "physical",
        "subject_name": "Robert Miles", "subject_role": "Teaching assistant", "subject_employer": "Old employer",
        "employment_basis": "permanent", "sector": "public", "setting": "education",
        "referral_source": "education", "referrer_name": "Jane Head", "officer": org.designated_officer.pk,
        "version": opened})
    page = response.content.decode()
    fresh = Enquiry.objects.get(pk=enquiry.pk)
    assert response.status_code == 409, page[:2000]
    assert (f"This enquiry was changed by {org.do_manager.get_full_name()} at "
            f"{timezone.localtime(fresh.updated_at):%H:%M} since you opened it") in page
    assert "Typed while the manager was editing" in page  # the form kept
    assert fresh.subject_employer == "Oakfield Academy"  # not saved over
    assert carried_version(page) == str(fresh.version)


def test_a_move_form_on_an_enquiry_changed_since_is_refused(org, client):
    enquiry = log(org)
    login(client, org.designated_officer)
    opened = carried_version(client.get(f"/lado/{enquiry.pk}/cancel/").content.decode())
    services.enquiry_update(enquiry=enquiry, actor=org.do_manager, subject_role="Coach")
    response = client.post(f"/lado/{enquiry.pk}/cancel/", {"reason": "Withdrawn by the school", "version": opened})
    assert response.status_code == 409
    assert f"This enquiry was changed by {org.do_manager.get_full_name()}" in response.content.decode()
    assert Enquiry.objects.get(pk=enquiry.pk).status != Enquiry.Status.CANCELLED
    fresh = str(Enquiry.objects.get(pk=enquiry.pk).version)
    assert client.post(f"/lado/{enquiry.pk}/cancel/", {"reason": "Withdrawn by the school",
                                                       "version": fresh}).status_code == 302


def test_an_action_changed_since_its_form_was_opened_is_not_saved_over(org, client):
    enquiry = in_progress(org)
    action = services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer, kind="police-investigation",
                                         owner_name="DC Shah", due_on=date(2031, 1, 10))
    login(client, org.designated_officer)
    opened = carried_version(client.get(f"/lado/{enquiry.pk}/actions/{action.pk}/").content.decode())
    services.enquiry_update_action(action=Action.objects.get(pk=action.pk), actor=org.do_manager,
                                   due_on=date(2031, 2, 14))
    response = client.post(f"/lado/{enquiry.pk}/actions/{action.pk}/",
                           {**date_fields("due_on", date(2031, 1, 20)), "version": opened})
    page = response.content.decode()
    assert response.status_code == 409, page[:2000]
    assert f"This action was changed by {org.do_manager.get_full_name()}" in page
    assert Action.objects.get(pk=action.pk).due_on == date(2031, 2, 14)
    assert carried_version(page) == str(Action.objects.get(pk=action.pk).version)
