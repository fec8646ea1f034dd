"""What the Designated Officer records for the reports beyond the case's own steps: the reason a
case is past its first target, and advice-only consultations (logged without the subject's
identity, counted against referrals)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from people.models import User
from workflows.clocks import now as clock_now
from workflows.clocks import today
from workflows.history import save_with_history
from workflows.timeline import record_event
from workflows.transitions import perform

from ..flows import EnquiryFlow
from ..models import Category, Consultation, DelayReason, Enquiry, SchoolPhase, Sector, SettingType
from .base import Event, lock_enquiry, require_do_team

#: A reason for delay of this slug needs words saying what it is.
OTHER = "other"


@transaction.atomic
def enquiry_record_delay(*, enquiry: Enquiry, actor: User, delay_reason: DelayReason | None,
                         note: str = "") -> Enquiry:
    """Why an open case is past its first target: a reason from the list (``DelayReason``), with
    words (needed for "Other"). Recorded again when the reason changes; on the timeline each time."""
    enquiry = lock_enquiry(enquiry)
    perform(EnquiryFlow(enquiry), "record_delay", actor)
    note = (note or "").strip()
    errors = {}
    if delay_reason is None:
        errors["delay_reason"] = "Choose the reason for the delay."
    elif not delay_reason.active and delay_reason.pk != enquiry.delay_reason_id:
        errors["delay_reason"] = f"{delay_reason.name} is no longer offered: choose another reason."
    elif delay_reason.slug == OTHER and not note:
        errors["delay_note"] = "Say in words why the enquiry is delayed."
    if len(note) > 2000:
        errors["delay_note"] = "Use 2000 characters or fewer."
    if errors:
        raise ValidationError(errors)
    enquiry.delay_reason, enquiry.delay_note, enquiry.delay_recorded_on = delay_reason, note, today()
    save_with_history(enquiry, actor, "Reason for delay recorded")
    record_event(enquiry, actor, Event.DELAY_RECORDED, note=delay_reason.name + (f": {note}" if note else ""),
                 from_status=enquiry.status, to_status=enquiry.status)
    return enquiry


CONSULTATION_TEXT = {"caller_name": 200, "caller_organisation": 200, "advice": 20000}


@transaction.atomic
def consultation_log(*, actor: User, advice: str, consulted_at: datetime | None = None, caller_name: str = "",
                     caller_organisation: str = "", sector: Sector | None = None,
                     setting: SettingType | None = None, school_phase: SchoolPhase | None = None,
                     category: Category | None = None) -> Consultation:
    """An advice-only consultation: below the threshold for a referral, so logged without the
    subject's identity (no name, no children); counted in the DO indicators against referrals."""
    require_do_team(actor)
    if isinstance(consulted_at, datetime) and timezone.is_naive(consulted_at):
        consulted_at = timezone.make_aware(consulted_at)
    consultation = Consultation(
        consulted_at=consulted_at or clock_now(), caller_name=(caller_name or "").strip(),
        caller_organisation=(caller_organisation or "").strip(), sector=sector, setting=setting,
        school_phase=school_phase, category=category, advice=(advice or "").strip(), recorded_by=actor)
    errors = {}
    consultation.consulted_on = timezone.localdate(consultation.consulted_at)
    if consultation.consulted_on > today():
        errors["consulted_at"] = "The consultation must be today or in the past."
    if not consultation.advice:
        errors["advice"] = "Record the advice given."
    for name, limit in CONSULTATION_TEXT.items():
        if len(getattr(consultation, name)) > limit:
            errors[name] = f"Use {limit} characters or fewer."
    if school_phase is not None and not (setting and setting.asks_school_phase):
        errors["school_phase"] = "Give a school phase only for an education setting: choose the setting first."
    if errors:
        raise ValidationError(errors)
    consultation.save()
    return consultation
