"""No lost updates on the DRP page: each move's form carries the version the page read, and a
DRP changed since is not silently moved on: the page says who changed it and when (409), the
person's text kept, and sending again from that page (which now carries the new version) works."""

import re

import pytest
from django.utils import timezone

from drp import services
from drp.models import DisputeResolution, Theme
from tests.support.auth import login

pytestmark = pytest.mark.django_db


def raised(org):
    return services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                              themes=list(Theme.objects.all()[:1]), concern="Plan drifting")


def carried_version(page: str) -> str:
    found = set(re.findall(r'name="version" value="(\d+)"', page))
    assert len(found) == 1, found  # every move's form carries the same version: the page's
    return found.pop()


def test_a_move_on_a_drp_changed_since_the_page_was_opened_is_refused_naming_who_changed_it(client, org):
    drp = raised(org)
    login(client, org.iro)
    opened = carried_version(client.get(f"/drps/{drp.pk}/").content.decode())
    assert opened == str(drp.version)
    services.drp_respond(drp=drp, actor=org.team_manager, response="Plan updated at the review")

    response = client.post(f"/drps/{drp.pk}/withdraw/", {"reason": "Resolved outside the process", "version": opened})
    page = response.content.decode()
    assert response.status_code == 409
    changed_at = timezone.localtime(DisputeResolution.objects.get(pk=drp.pk).updated_at)
    assert f"This DRP was changed by {org.team_manager.get_full_name()} at {changed_at:%H:%M}" in page
    assert "since you opened it" in page and "govuk-error-summary" in page
    assert "Resolved outside the process" in page  # their text is kept
    assert DisputeResolution.objects.get(pk=drp.pk).status != DisputeResolution.Status.WITHDRAWN

    now_carried = carried_version(page)
    assert now_carried == str(DisputeResolution.objects.get(pk=drp.pk).version) != opened
    again = client.post(f"/drps/{drp.pk}/withdraw/", {"reason": "Resolved outside the process",
                                                      "version": now_carried})
    assert again.status_code == 302
    assert DisputeResolution.objects.get(pk=drp.pk).status == DisputeResolution.Status.WITHDRAWN


def test_a_refused_form_keeps_the_version_first_opened(client, org):
    """A form shown again for a mistake still carries the version the person opened, so a
    change made meanwhile is not saved over on the second try."""
    drp = raised(org)
    login(client, org.iro)
    opened = str(drp.version)
    page = client.post(f"/drps/{drp.pk}/withdraw/", {"reason": "", "version": opened}).content.decode()
    assert carried_version(page) == opened
    services.drp_respond(drp=drp, actor=org.team_manager, response="Plan updated")
    assert client.post(f"/drps/{drp.pk}/withdraw/", {"reason": "x", "version": opened}).status_code == 409
