"""Retention: a review date per outcome, a legal hold that blocks destruction, the DO Manager's
review list, and destruction that leaves only a destruction-log entry with no personal data."""

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models

from lado import services
from lado.models import Action, DestructionLog, Enquiry, Meeting, RetentionRule, TimelineEvent
from lado.selectors import on_legal_hold, retention_due
from subject_access import services as sar_services
from workflows.clocks import as_of, today
from workflows.exceptions import TransitionRefused
from workflows.models import CaseRead

from tests.support.auth import login
from tests.support.lado_fixtures import advise, at, concluded, in_progress, log

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("outcome,dob,review", [
    ("substantiated", date(1980, 5, 17), date(2047, 5, 17)),   # pension age (67) is later than 10 years
    ("substantiated", None, date(2035, 3, 3)),                 # no date of birth: 10 years
    ("unsubstantiated", date(1960, 1, 1), date(2035, 3, 3)),   # already near retirement: 10 years is later
    ("false", date(1980, 5, 17), date(2026, 3, 3)),
    ("malicious", date(1980, 5, 17), date(2026, 3, 3)),
    # Unfounded is kept as substantiated is (KCSIE Part 4): to pension age, or 10 years if later.
    ("unfounded", date(1980, 5, 17), date(2047, 5, 17)),
])
def test_retention_review_date_follows_the_rule_for_the_outcome(org, outcome, dob, review):
    enquiry = concluded(org, outcome, on=date(2025, 3, 3), subject_date_of_birth=dob)
    assert enquiry.retention_review_on == review


def test_advice_and_cancelled_cases_have_their_own_rules(org):
    with as_of(date(2025, 3, 3)):
        advised = advise(org, log(org, received_at=at(date(2025, 3, 3))))
        cancelled = services.enquiry_cancel(enquiry=log(org, received_at=at(date(2025, 3, 3))),
                                            actor=org.designated_officer, reason="Withdrawn")
    assert advised.retention_review_on == date(2031, 3, 3)
    assert cancelled.retention_review_on == date(2031, 3, 3)


def test_changing_a_rule_recalculates_closed_cases_not_hand_set_ones(org):
    first = concluded(org, "malicious", on=date(2025, 3, 3))
    second = concluded(org, "malicious", on=date(2025, 3, 3))
    services.enquiry_extend_retention(enquiry=second, actor=org.do_manager, review_on=today() + timedelta(days=400),
                                      reason="Civil claim expected")
    rule = RetentionRule.objects.get(closure="malicious")
    rule.years = 2
    rule.save()
    assert services.apply_retention_rule(rule, actor=org.do_manager) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.retention_review_on == date(2027, 3, 3)
    assert second.retention_review_on == today() + timedelta(days=400)


def test_no_rule_means_no_review_date(org):
    RetentionRule.objects.filter(closure="false").delete()
    assert concluded(org, "false", on=date(2025, 3, 3)).retention_review_on is None


def test_review_list_shows_closed_cases_due_for_review(org):
    due = concluded(org, "false", on=date(2024, 1, 8))               # review 8 Jan 2025
    concluded(org, "substantiated", on=date(2024, 1, 8))            # kept for years yet
    in_progress(org)                                                # open
    assert list(retention_due()) == [due]
    assert list(retention_due(on=date(2025, 1, 7))) == []


def test_legal_hold_blocks_destruction(org):
    enquiry = concluded(org, "false", on=date(2024, 1, 8))
    enquiry = services.enquiry_set_legal_hold(enquiry=enquiry, actor=org.designated_officer,
                                              reason="Employment tribunal")
    assert enquiry.legal_hold and list(on_legal_hold()) == [enquiry]
    with pytest.raises(TransitionRefused, match="legal hold"):
        services.enquiry_destroy(enquiry=enquiry, actor=org.do_manager, reason="Past retention")
    assert Enquiry.objects.filter(pk=enquiry.pk).exists() and not DestructionLog.objects.exists()
    with pytest.raises(TransitionRefused):
        services.enquiry_set_legal_hold(enquiry=enquiry, actor=org.do_manager, reason="again")
    with pytest.raises(PermissionDenied):
        services.enquiry_release_legal_hold(enquiry=enquiry, actor=org.designated_officer, reason="Over")
    enquiry = services.enquiry_release_legal_hold(enquiry=enquiry, actor=org.do_manager, reason="Tribunal over")
    assert not enquiry.legal_hold
    assert [e.action for e in enquiry.timeline.all()][-2:] == ["legal-hold-set", "legal-hold-released"]
    services.enquiry_destroy(enquiry=enquiry, actor=org.do_manager, reason="Past retention")
    assert not Enquiry.objects.filter(pk=enquiry.pk).exists()


def test_an_open_case_can_be_held_but_not_destroyed(org):
    enquiry = services.enquiry_set_legal_hold(enquiry=in_progress(org), actor=org.designated_officer,
                                              reason="Police request")
    assert enquiry.legal_hold
    services.enquiry_release_legal_hold(enquiry=enquiry, actor=org.do_manager, reason="Done")
    with pytest.raises(TransitionRefused, match="in progress"):
        services.enquiry_destroy(enquiry=enquiry, actor=org.do_manager, reason="x")


def test_destruction_waits_for_the_review_date_and_the_do_manager(org):
    recent = concluded(org, "false")
    with pytest.raises(TransitionRefused, match="retention review"):
        services.enquiry_destroy(enquiry=recent, actor=org.do_manager, reason="Early")
    old = concluded(org, "false", on=date(2024, 1, 8))
    with pytest.raises(PermissionDenied):
        services.enquiry_destroy(enquiry=old, actor=org.designated_officer, reason="Past retention")
    with pytest.raises(ValidationError) as exc:
        services.enquiry_destroy(enquiry=old, actor=org.do_manager, reason=" ")
    assert "reason" in exc.value.message_dict
    assert Enquiry.objects.count() == 2


def test_keeping_a_case_sets_a_later_review(org):
    enquiry = concluded(org, "false", on=date(2024, 1, 8))
    with pytest.raises(ValidationError) as exc:
        services.enquiry_extend_retention(enquiry=enquiry, actor=org.do_manager, review_on=today(), reason="x")
    assert "review_on" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.enquiry_extend_retention(enquiry=enquiry, actor=org.designated_officer,
                                          review_on=today() + timedelta(days=365), reason="x")
    enquiry = services.enquiry_extend_retention(enquiry=enquiry, actor=org.do_manager,
                                                review_on=today() + timedelta(days=365), reason="Second referral")
    assert enquiry.retention_review_on == today() + timedelta(days=365)
    assert list(retention_due()) == []
    with pytest.raises(TransitionRefused):
        services.enquiry_extend_retention(enquiry=in_progress(org), actor=org.do_manager,
                                          review_on=today() + timedelta(days=1), reason="x")


PERSONAL = ["Zebedee Quartermaine", "Quartermaine", "Pemberton Academy", "Ottoline Referrer",
            "bruised wrist in the changing room", "Tribunal pending for Zebedee", "Quentin Solicitor",
            "ottoline referrer"]


def _all_text_in_database() -> str:
    """Every character and text value in every table (history tables included)."""
    chunks = []
    for model in apps.get_models(include_auto_created=True):
        fields = [f.attname for f in model._meta.concrete_fields
                  if isinstance(f, (models.CharField, models.TextField, models.JSONField))]
        if fields:
            for row in model._base_manager.values_list(*fields):
                chunks.extend(str(v) for v in row if v)
    return "\n".join(chunks)


def test_destroying_a_case_leaves_only_its_log_entry_and_no_personal_data(org, client):
    with as_of(date(2024, 1, 8)):
        enquiry = in_progress(
            org, received_at=at(date(2024, 1, 8)), subject_name="Zebedee Quartermaine",
            subject_employer="Pemberton Academy", referrer_name="Ottoline Referrer",
            summary="Pupil reports a bruised wrist in the changing room.",
            children_description="Year 9 pupil", children=[org.child])
        services.enquiry_add_action(enquiry=enquiry, actor=org.designated_officer, kind="police-investigation",
                                    owner_name="DS Lee", due_on=date(2024, 1, 20))
        services.enquiry_update(enquiry=enquiry, actor=org.designated_officer, subject_role="PE teacher")
        services.enquiry_set_legal_hold(enquiry=enquiry, actor=org.designated_officer,
                                        reason="Tribunal pending for Zebedee")
    with as_of(date(2024, 2, 1)):
        enquiry = services.enquiry_conclude(enquiry=enquiry, actor=org.designated_officer, outcome="malicious")
    services.enquiry_release_legal_hold(enquiry=enquiry, actor=org.do_manager, reason="Tribunal closed")
    other = in_progress(org, subject_name="Another Person")
    login(client, org.do_manager)
    assert client.get(f"/lado/{enquiry.pk}/").status_code == 200  # a read to keep in the access log
    # A subject access request about the subject, redacted, decided and downloaded.
    sar = sar_services.request_start(actor=org.do_manager, requester_name="Quentin Solicitor",
                                     received_on=date(2024, 3, 1), enquiry=enquiry)
    client.post(f"/subject-access/{sar.pk}/redactions/", {"redact": ["name:ottoline referrer"],
                                                         "terms": "Pemberton Academy"})
    client.post(f"/subject-access/{sar.pk}/decision/", {"decision": "release-with-redactions",
                                                       "reason": "Tribunal pending for Zebedee"})
    assert client.post(f"/subject-access/{sar.pk}/download/").status_code == 200
    pk, reference = enquiry.pk, enquiry.reference
    text = _all_text_in_database()
    assert all(value in text for value in PERSONAL)  # the probe finds them before destruction

    entry = services.enquiry_destroy(enquiry=enquiry, actor=org.do_manager, reason="Retention period ended")

    assert (entry.case_id, entry.reference, entry.closure, entry.received_on, entry.closed_on) == (
        pk, reference, "malicious", date(2024, 1, 8), date(2024, 2, 1))
    assert entry.retention_review_on == date(2025, 2, 1)
    assert (entry.destroyed_by, entry.reason) == (org.do_manager, "Retention period ended")
    assert not Enquiry.objects.filter(pk=pk).exists()
    assert not Enquiry.history.filter(id=pk).exists()
    assert not Meeting.objects.filter(enquiry_id=pk).exists()
    assert not Meeting.history.model.objects.filter(enquiry_id=pk).exists()
    assert not Action.objects.filter(enquiry_id=pk).exists()
    assert not Action.history.model.objects.filter(enquiry_id=pk).exists()
    assert not TimelineEvent._base_manager.filter(enquiry_id=pk).exists()
    assert not Enquiry.children.through.objects.filter(enquiry_id=pk).exists()
    text = _all_text_in_database()
    for value in PERSONAL:
        assert value not in text, value
    # the access log survives (who read which case id, no case content) and names the destroyed case
    assert CaseRead.objects.filter(case_kind="lado.enquiry", case_id=pk).exists()
    page = client.get("/lado/access-log/?user=do-manager").content.decode()
    assert f"{reference} (destroyed)" in page
    # the other case is untouched, with its history
    other.refresh_from_db()
    assert other.history.count() == 3 and other.timeline.count() == 3 and other.meetings.count() == 1
    # the child's own record stays
    org.child.refresh_from_db()
