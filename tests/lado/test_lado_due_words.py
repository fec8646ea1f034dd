"""The Designated Officer's clocks say how far each deadline is, as the DRP inbox does: "Overdue by
N working days", "Due today", "Due in N working days", on the work tray, the enquiry page and the
reminders (one helper, ``workflows.clocks.due_words``)."""

from datetime import date

import pytest

from lado import services
from lado.reminders import ACTION, DECISION
from tests.support.auth import login
from tests.support.lado_fixtures import at, in_progress, log
from workflows.clocks import as_of
from workflows.reminders import run_sweep

pytestmark = pytest.mark.django_db


def tag_texts(page: str) -> list[str]:
    import re

    return re.findall(r'<strong class="govuk-tag govuk-tag--\w+">([^<]+)</strong>', page)


def test_the_tray_and_the_enquiry_page_say_how_overdue_the_decision_is(org, client):
    with as_of(date(2025, 4, 17)):
        late = log(org, received_at=at(date(2025, 4, 17)))  # decision due Tuesday 22 April (Easter)
    with as_of(date(2025, 4, 25)):
        fresh = log(org, subject_name="Newer Person", received_at=at(date(2025, 4, 24)))  # due today, 25th
        login(client, org.designated_officer)
        tray = client.get("/lado/").content.decode()
        assert tag_texts(tray) == ["Overdue by 3 working days", "Due today"]
        assert tray.index(late.reference) < tray.index(fresh.reference)
        page = client.get(f"/lado/{late.pk}/").content.decode()
    assert "Overdue by 3 working days" in tag_texts(page)
    assert "Overdue" not in [text.strip() for text in tag_texts(tray + page)]


def test_an_action_due_later_says_in_how_many_working_days(org, client):
    with as_of(date(2025, 1, 6)):
        enquiry = in_progress(org, received_at=at(date(2025, 1, 6)))
        services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer, kind="section-47-enquiry",
                                    owner_name="Social care", due_on=date(2025, 1, 13))
        page = login(client, org.designated_officer).get(f"/lado/{enquiry.pk}/").content.decode()
    assert "Due in 5 working days" in tag_texts(page)


def test_reminders_say_by_how_many_working_days_a_deadline_is_overdue(org):
    from notifications.models import Notification

    with as_of(date(2025, 4, 17)):
        enquiry = log(org, received_at=at(date(2025, 4, 17)))
    # Caught up three working days late (the sweep did not run): the message says so.
    run_sweep(on=date(2025, 4, 25), kinds=[DECISION])
    body = Notification.objects.filter(kind="lado-reminder").first().body
    assert (f"The threshold decision for {enquiry.reference} was due on 22 April 2025 and is overdue by "
            "3 working days.") in body


def test_a_due_soon_reminder_says_in_how_many_working_days(org):
    from notifications.models import Notification

    with as_of(date(2025, 1, 6)):
        enquiry = in_progress(org, received_at=at(date(2025, 1, 6)))
        services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer, kind="section-47-enquiry",
                                    owner_name="Social care", due_on=date(2025, 1, 20))
    run_sweep(on=date(2025, 1, 16), kinds=[ACTION])
    body = Notification.objects.filter(kind="lado-reminder").first().body
    assert "is due on 20 January 2025 (due in 2 working days)" in body
