"""What emails carry (issue 10): what happened and a link; no child, no case text, one-line subjects;
every email through one place, and sent over TLS in production."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from tests.support.factories import cp_child, resolution

pytestmark = pytest.mark.django_db


# --- Emails: what happened and a link; no child, no case text, one-line subjects --------------------

#: Words each case text holds, none of which may leave in an email.
CASE_TEXT = {"concern": "Xanadu-concern", "response": "Yonder-response", "reason": "Zephyr-reason",
             "outcome": "Quartz-outcome", "impact": "Vellum-impact", "what_happened": "Walnut-deed",
             "pp_impact": "Umber-difference", "do_summary": "Tamarind-allegation"}


def _every_kind_of_email(org) -> list:
    """A DRP raised, responded to, escalated and resolved; another left to go overdue; positive
    practice; DRP and DO reminders; a daily digest and the monthly report: every email sent."""
    from drp import services as drp_services
    from drp.models import Stage, Theme
    from lado import services as lado_services
    from notifications.models import EmailFrequency, Preference
    from notifications.services import send_daily_digests
    from positive_practice import services as pp_services
    from reports.services import send_monthly_report_email
    from tests.support.lado_fixtures import at, in_progress
    from workflows.clocks import as_of
    from workflows.reminders import run_sweep

    Preference.objects.create(user=org.service_manager, email=EmailFrequency.DAILY)
    placement = Theme.objects.get(slug="placement")
    stage_1, stage_2 = Stage.objects.get(key="stage-1"), Stage.objects.get(key="stage-2")
    with as_of(date(2026, 11, 2)):
        drp = drp_services.drp_raise(actor=org.iro, children=[org.child, org.sibling], case_type="CLA",
                                     themes=[placement], concern=f"{CASE_TEXT['concern']} for Amy", stage=stage_1)
        other = drp_services.drp_raise(actor=org.iro, children=[cp_child(org, name="Cara Example", reference="C000003")],
                                       case_type="CP", themes=[placement], concern=f"{CASE_TEXT['concern']} for Cara",
                                       stage=stage_1)
        enquiry = in_progress(org, received_at=at(date(2026, 11, 2)), summary=CASE_TEXT["do_summary"],
                              children_description="Amy Example, aged 9")
        lado_services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer, kind="police-investigation",
                                         owner_name="DS Lee", due_on=date(2026, 11, 20))
    with as_of(date(2026, 11, 3)):
        drp_services.drp_respond(drp=drp, actor=org.team_manager, response=CASE_TEXT["response"],
                                 agreed_by=date(2026, 11, 20))
        drp_services.drp_escalate(drp=drp, actor=org.iro, reason=CASE_TEXT["reason"], stage=stage_2)
        # An answered DRP left waiting on the IRO: the review reminders.
        drp_services.drp_respond(drp=other, actor=org.team_manager, response=CASE_TEXT["response"])
    with as_of(date(2026, 11, 4)):
        drp_services.drp_resolve(drp=drp, actor=org.iro, **resolution(CASE_TEXT["outcome"], impact=CASE_TEXT["impact"]))
        pp_services.positive_practice_record(actor=org.iro, children=[org.child], case_type="CLA",
                                             what_happened=CASE_TEXT["what_happened"], impact=CASE_TEXT["pp_impact"],
                                             practitioner=org.social_worker)
    withdrawn = drp_services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA", themes=[placement],
                                       concern=f"{CASE_TEXT['concern']} for Amy again", stage=stage_1)
    drp_services.drp_withdraw(drp=withdrawn, actor=org.iro, reason=CASE_TEXT["reason"])
    for day in (date(2026, 11, 6), date(2026, 11, 11), date(2026, 11, 23), date(2026, 11, 30), date(2026, 12, 1)):
        with as_of(day):
            run_sweep(day)
    send_daily_digests()
    assert send_monthly_report_email(on=date(2026, 12, 1))
    return mail.outbox


def test_emails_name_no_child(org, django_capture_on_commit_callbacks):
    """Every kind of email Footprint sends says what happened and links to the page: no child's
    name or reference, and no concern, reason, response, outcome, impact or DO summary. The
    in-app notifications (the same words) name the case by its reference only."""
    from notifications.models import Notification

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        emails = _every_kind_of_email(org)
    forbidden = [org.child.name, org.sibling.name, "Amy", "Ben", "Cara", org.child.reference, org.sibling.reference,
                 "C000003",
                 *CASE_TEXT.values(), "Robert Miles"]

    from people.models import User

    # Staff are named in emails (who raised it, who it is addressed to); their generated names
    # (an IRO called Amy Davidson) are not a child's.
    staff = sorted({name for user in User.objects.all() for name in (user.get_full_name(), str(user)) if name},
                   key=len, reverse=True)

    def named(text: str) -> list[str]:
        """The forbidden words in ``text`` once staff names are taken out, as whole words (a
        responder called Benjamin is not the child Ben)."""
        for name in staff:
            text = text.replace(name, "")
        return [word for word in forbidden if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)]

    subjects = " | ".join(message.subject for message in emails)
    for expected in ("raised at Stage 1", "responded at Stage 1", "escalated to Stage 2", "resolved at Stage 2",
                     "Positive practice recognised", "response due", "overall time limit", "withdrawn at Stage 1",
                     "review of the response", "check the actions agreed by",
                     "police investigation", "update", "monthly theme report"):
        assert expected in subjects, f"no email about {expected!r}: {subjects}"
    assert len(emails) >= 15
    print(f"\n{len(emails)} emails, {Notification.objects.count()} notifications read")
    for message in emails:
        text = f"{message.subject}\n{message.body}"
        assert not named(text), text
        assert f"{settings.FOOTPRINT_BASE_URL}/" in message.body, text  # links to the page
        assert "\n" not in message.subject and "\r" not in message.subject
        message.message()  # the headers are valid
    for notification in Notification.objects.all():
        text = f"{notification.subject}\n{notification.body}"
        assert not named(text), text


def test_carriage_return_in_practitioner_name_does_not_block_email(org, django_capture_on_commit_callbacks):
    """A name typed with a line break (CR) used to make the subject an invalid header
    (BadHeaderError): no email went to the social worker, their manager or the complaints team.
    A stage renamed in the admin with a line break in it likewise. Subjects are now one line."""
    from drp import services as drp_services
    from drp.models import Stage, Theme
    from positive_practice import services as pp_services

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        pp = pp_services.positive_practice_record(
            actor=org.iro, children=[org.child], case_type="CLA", what_happened="Visited weekly",
            impact="Felt heard", practitioner=org.social_worker, practitioner_name="Fran Foster\rBcc: x@evil")
    assert sorted(m.to[0] for m in mail.outbox) == sorted([org.social_worker.email, org.team_manager.email,
                                                           org.complaints.email])
    assert all("\r" not in m.subject and "\n" not in m.subject for m in mail.outbox)
    assert "Fran Foster" in mail.outbox[0].body  # in the body, where a line break is harmless
    assert all(m.message()["Bcc"] is None for m in mail.outbox)
    assert pp.practitioner_name == "Fran Foster\rBcc: x@evil"  # as typed: the record is not changed

    Stage.objects.filter(key="stage-2").update(name="Stage 2\r\nBcc: x@evil")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        drp = drp_services.drp_raise(actor=org.iro, children=[org.child], case_type="CLA",
                                     themes=[Theme.objects.get(slug="placement")], concern="Drift",
                                     stage=Stage.objects.get(key="stage-2"))
    assert mail.outbox and all(m.subject.startswith(f"{drp.reference} raised at Stage 2 Bcc: x@evil")
                               for m in mail.outbox)


def test_every_email_goes_through_one_place():
    """Only notifications.emails makes mail (``email_message``, sent alone by ``send_email`` or
    in a batch), so its one-line subject and the rules on what an email may say cannot be
    skipped by a new feature."""
    root = Path(settings.BASE_DIR)
    senders = re.compile(r"\b(send_mail|send_mass_mail|mail_admins|mail_managers|EmailMessage|EmailMultiAlternatives)\(")
    found = [str(path.relative_to(root)) for path in root.glob("*/**/*.py")
             if not path.is_relative_to(root / ".venv") and not path.is_relative_to(root / "tests")
             and not path.is_relative_to(root / "node_modules") and senders.search(path.read_text())]
    assert found == ["notifications/emails.py"]


def test_production_sends_email_over_tls_by_default():
    env = {key: value for key, value in os.environ.items() if not key.startswith("EMAIL_")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_SECRET_KEY": "x" * 60,
                "DATABASE_URL": "postgres://footprint:secret@db.internal:5432/footprint",
                "DJANGO_ALLOWED_HOSTS": "footprint.example.gov.uk"})
    shown = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                               "print(settings.EMAIL_USE_TLS, settings.EMAIL_BACKEND)"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert shown.stdout.splitlines()[-1] == "True django.core.mail.backends.smtp.EmailBackend", shown.stderr
    checked = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                             cwd=settings.BASE_DIR, env={**env, "EMAIL_USE_TLS": "0"}, capture_output=True,
                             text=True, timeout=300)
    assert checked.returncode != 0 and "footprint.W001" in checked.stdout + checked.stderr
