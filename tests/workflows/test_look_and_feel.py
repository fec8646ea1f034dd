"""Footprint is the authority's own service: its header, sign-in errors in GOV.UK style,
tables that stack on a phone, and report tables with no empty header (issue 13)."""

import pytest
from django.test import override_settings

from tests.support.auth import login

pytestmark = pytest.mark.django_db


@override_settings(FOOTPRINT_AUTHORITY_NAME="Northshire County Council")
def test_header_names_the_authority_not_gov_uk(client, org):
    page = client.get("/accounts/login/").content.decode()
    assert "Northshire County Council" in page
    assert "GOV.UK" not in page and "govuk-header__logotype" not in page
    assert "Crown copyright" not in page and "govuk-footer__crown" not in page
    assert 'class="govuk-service-navigation__service-name"' in page and ">Footprint</a>" in page


def test_sign_in_errors_follow_gov_uk_style(client, org):
    blank = client.post("/accounts/login/", {"username": "", "password": ""})
    page = blank.content.decode()
    assert "<title>Error: Sign in" in page
    assert 'class="govuk-error-summary"' in page
    assert 'href="#id_username">Enter your username</a>' in page
    assert 'href="#id_password">Enter your password</a>' in page
    assert 'id="id_password-error"' in page and "govuk-input--error" in page
    wrong = client.post("/accounts/login/", {"username": "iro", "password": "not-it"}).content.decode()
    assert "Enter a correct username and password" in wrong
    assert "Please enter" not in wrong


def test_drp_list_and_do_tray_rows_carry_their_column_names_for_a_phone(client, org):
    from drp import services
    from drp.models import Theme

    services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                       themes=[Theme.objects.get(slug="placement")], concern="Plan drifting")
    login(client, org.iro)
    page = client.get("/drps/").content.decode()
    assert "app-responsive-table" in page
    for label in ("Reference", "Child", "Type", "Stage", "Status", "Stage due", "Formal process due"):
        assert f'data-label="{label}"' in page
    # MOJ "filter a list": the panel is behind "Show filters" on a narrow screen.
    assert 'data-module="moj-filter"' in page and 'data-toggle-button.show-text="Show filters"' in page
    assert 'class="moj-action-bar__filter"' in page


def test_report_tables_have_no_empty_header(client, org):
    import re

    login(client, org.iro_manager)
    for url in ("/reports/annual/", "/reports/monthly/"):
        page = client.get(url).content.decode()
        assert client.get(url).status_code == 200
        empty = re.findall(r'<th[^>]*>\s*</th>', page)
        assert not empty, (url, empty[:3])
