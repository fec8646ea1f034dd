"""The monthly theme report email goes on the first working day of the month, once."""

from datetime import date

import pytest
from django.core import mail

from reports.services import first_working_day, send_monthly_report_email
from tests.support.reports_helpers import drp

pytestmark = pytest.mark.django_db


def test_first_working_day_skips_weekends_and_bank_holidays():
    assert first_working_day(date(2026, 11, 1)) == date(2026, 11, 2)    # 1 Nov 2026 is a Sunday
    assert first_working_day(date(2027, 1, 1)) == date(2027, 1, 4)      # New Year's Day, then a weekend
    assert first_working_day(date(2026, 12, 1)) == date(2026, 12, 1)


def test_sent_once_on_the_first_working_day_to_iro_managers(org, settings):
    settings.FOOTPRINT_MONTHLY_REPORT_TO = ""
    mail.outbox.clear()
    assert send_monthly_report_email(date(2026, 12, 2)) is False       # not the first working day
    assert send_monthly_report_email(date(2026, 12, 1)) is True
    assert send_monthly_report_email(date(2026, 12, 1)) is False       # a second run sends nothing
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["iro-manager@example.org"]
    assert message.subject == "Footprint monthly theme report: November 2026"
    assert "DRPs raised: 0" in message.body and "/reports/monthly/?month=2026-11" in message.body


def test_headline_figures_and_top_themes(org, settings):
    settings.FOOTPRINT_MONTHLY_REPORT_TO = "qa@example.org"
    for day in (3, 4, 5):
        drp(org, date(2026, 10, day), themes=("placement",))
    drp(org, date(2026, 10, 6), case_type="CP", themes=("health",))
    mail.outbox.clear()
    assert send_monthly_report_email(date(2026, 11, 2)) is True
    body = mail.outbox[0].body
    assert "DRPs raised: 4 (CP 1, CLA 3)" in body
    assert "- Placement: 3" in body and "- Health: 1" in body
    assert "Theme spikes (well above their 12-month baseline): Placement" in body


def test_configured_recipients(org, settings):
    settings.FOOTPRINT_MONTHLY_REPORT_TO = "csc-leads@example.org, qa@example.org"
    mail.outbox.clear()
    assert send_monthly_report_email(date(2027, 1, 4)) is True
    assert mail.outbox[0].to == ["csc-leads@example.org", "qa@example.org"]
    assert "December 2026" in mail.outbox[0].subject
