"""Errors are shown where they can be fixed: a section holding an error is open, and a threshold
decision refused for want of details links to "Update details", where the fix is (issue 13)."""

import pytest

from tests.support.auth import login
from tests.support.lado_fixtures import log

pytestmark = pytest.mark.django_db


def test_threshold_decision_errors_link_to_update_details_where_the_fix_is(client, org):
    enquiry = log(org, category=None, sector=None, setting=None, subject_name="")
    login(client, org.designated_officer)
    response = client.post(f"/lado/{enquiry.pk}/decide/", {
        "threshold_met": "yes", "criteria": ["harmed"], "rationale": "Bruising reported"})
    page = response.content.decode()
    assert response.status_code == 400
    edit = f"/lado/{enquiry.pk}/edit/"
    for anchor, message in [("id_category_1", "Record the category before the threshold decision."),
                            ("id_sector", "Record the organisation&#x27;s sector before the threshold decision."),
                            ("id_setting", "Record the setting before the threshold decision."),
                            ("id_subject_name", "Name the subject before deciding that the threshold is met.")]:
        assert f'<a href="{edit}#{anchor}">{message}</a>' in page, message
    assert f'<a class="govuk-link" href="{edit}">Update details</a>' in page
    # None of them points at the yes/no question, which is answered.
    assert 'href="#id_threshold_met_1"' not in page
    # And the place exists: each anchor is an input on "Update details".
    details = client.get(edit).content.decode()
    for anchor in ("id_category_1", "id_sector", "id_setting", "id_subject_name"):
        assert f'id="{anchor}"' in details, anchor


def test_an_error_in_who_is_recognised_opens_that_section(client, org):
    login(client, org.iro)
    response = client.post("/positive-practice/record/", {
        "children": "C000001", "case_type": "CLA", "what_happened": "Visited weekly", "impact": "Felt heard",
        "drp": "DRP-NOPE"})
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert '<details class="govuk-details" open>' in page
