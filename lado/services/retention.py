"""How long a closed enquiry is kept, and its destruction: legal holds, retention reviews, the
retention rules the DO Manager sets, and erasing a destroyed enquiry."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from people.models import User
from workflows.clocks import today
from workflows.history import history_erased_separately, save_with_history
from workflows.timeline import record_event
from workflows.transitions import perform
from workflows.validation import require_text

from .. import clocks
from ..flows import EnquiryFlow
from ..models import (
    Action,
    Category,
    CategoryRetention,
    DestructionLog,
    Enquiry,
    Meeting,
    RetentionRule,
    RetentionRuleChange,
    TimelineEvent,
    describe_category_retention,
)
from .base import (
    Event,
    RetentionRules,
    Status,
    lock_enquiry,
    long_date,
    require_do_manager,
)

# --- Retention ------------------------------------------------------------------------------


@transaction.atomic
def enquiry_set_legal_hold(*, enquiry: Enquiry, actor: User, reason: str) -> Enquiry:
    enquiry = lock_enquiry(enquiry)
    perform(EnquiryFlow(enquiry), "set_legal_hold", actor)
    require_text(reason=reason)
    enquiry.legal_hold = True
    enquiry.legal_hold_reason = reason.strip()
    save_with_history(enquiry, actor, "Legal hold placed")
    record_event(enquiry, actor, Event.LEGAL_HOLD_SET, note=enquiry.legal_hold_reason,
            from_status=enquiry.status, to_status=enquiry.status)
    return enquiry


@transaction.atomic
def enquiry_release_legal_hold(*, enquiry: Enquiry, actor: User, reason: str) -> Enquiry:
    enquiry = lock_enquiry(enquiry)
    perform(EnquiryFlow(enquiry), "release_legal_hold", actor)
    require_text(reason=reason)
    enquiry.legal_hold = False
    enquiry.legal_hold_reason = ""
    save_with_history(enquiry, actor, "Legal hold released")
    record_event(enquiry, actor, Event.LEGAL_HOLD_RELEASED, note=reason.strip(), from_status=enquiry.status,
            to_status=enquiry.status)
    return enquiry


@transaction.atomic
def enquiry_extend_retention(*, enquiry: Enquiry, actor: User, review_on: date, reason: str) -> Enquiry:
    """The DO Manager keeps a closed enquiry for longer and sets the next review date."""
    enquiry = lock_enquiry(enquiry)
    perform(EnquiryFlow(enquiry), "extend_retention", actor)
    errors = {}
    if review_on is None:
        errors["review_on"] = "Enter the date of the next retention review."
    elif review_on <= today():
        errors["review_on"] = "The next review must be after today."
    if not (reason or "").strip():
        errors["reason"] = "Give the reason for keeping the enquiry."
    if errors:
        raise ValidationError(errors)
    enquiry.retention_review_on = review_on
    enquiry.retention_set_by_hand = True
    note = f"Next retention review {long_date(review_on)}: {reason.strip()}"
    save_with_history(enquiry, actor, "Retention review date changed")
    record_event(enquiry, actor, Event.RETENTION_EXTENDED, note=note, from_status=enquiry.status,
            to_status=enquiry.status)
    return enquiry


def _recalculate_retention(closed, actor: User | None, reason: str, changed_rule: str) -> int:
    """Give each closed enquiry in ``closed`` (not dates set by hand) its review date under the
    rules as they now stand, each change on the enquiry's timeline. Returns how many changed."""
    rules = RetentionRules.load()
    events = []
    with transaction.atomic():
        for enquiry in closed.filter(retention_set_by_hand=False).select_for_update():
            review = rules.review_date(enquiry)
            if review != enquiry.retention_review_on:
                was = long_date(enquiry.retention_review_on) if enquiry.retention_review_on else "none"
                enquiry.retention_review_on = review
                save_with_history(enquiry, actor, "Retention rule changed")
                note = (f"Next retention review {long_date(review) if review else 'none'} (was {was}) under the "
                        f"changed rule: {changed_rule}.")
                if (reason or "").strip():
                    note += f" Reason: {reason.strip()}"
                events.append(TimelineEvent(enquiry=enquiry, actor=actor, action=Event.RETENTION_RULE_APPLIED,
                                            note=note, from_status=enquiry.status, to_status=enquiry.status))
        TimelineEvent.objects.bulk_create(events)
    return len(events)


def closed_as(closure: str):
    """Closed enquiries counted under a retention rule's closure."""
    closed = Enquiry.objects.filter(status__in=Enquiry.CLOSED_STATUSES)
    if closure == RetentionRule.Closure.ADVICE_GIVEN:
        return closed.filter(status=Status.ADVICE_GIVEN)
    if closure == RetentionRule.Closure.CANCELLED:
        return closed.filter(status=Status.CANCELLED)
    return closed.filter(status=Status.CONCLUDED, outcome=closure)


def apply_retention_rule(rule: RetentionRule, actor: User | None = None, reason: str = "") -> int:
    """Recompute the review date of closed enquiries under a changed rule (not those whose date the
    DO Manager set by hand), each change on the enquiry's timeline. Returns how many changed."""
    return _recalculate_retention(closed_as(rule.closure), actor, reason, str(rule))


def check_retention_rule(*, closure: str, years, until_retirement: bool, retirement_age,
                         counted_from: str = RetentionRule.CountedFrom.CLOSING) -> dict[str, str]:
    """The one place a retention rule's values are checked, whoever sends them (the DO
    Manager's form and ``retention_rule_change``): each problem by the field it is about,
    including a rule shorter than Keeping Children Safe in Education allows for substantiated,
    unsubstantiated and unfounded allegations (``lado.clocks.retention_rule_problems``)."""
    errors = {}
    if years is None:
        errors["years"] = "Enter how many years the enquiry is kept before its review"
    elif not 1 <= years <= 100:
        errors["years"] = "Years must be between 1 and 100"
    if counted_from not in RetentionRule.CountedFrom.values:
        errors["counted_from"] = "Choose whether the years count from the allegation or from closing"
    if until_retirement and retirement_age is None:
        errors["retirement_age"] = "Enter the normal pension age"
    elif retirement_age is not None and not 55 <= retirement_age <= 75:
        errors["retirement_age"] = "The normal pension age must be between 55 and 75"
    statutory = clocks.retention_rule_problems(closure=closure, years=years, counted_from=counted_from,
                                               until_retirement=until_retirement, retirement_age=retirement_age)
    for name, message in statutory.items():
        errors.setdefault(name, message)
    return errors


@transaction.atomic
def retention_rule_change(*, rule: RetentionRule, actor: User, years: int, until_retirement: bool,
                          retirement_age: int | None, note: str = "", reason: str,
                          counted_from: str | None = None) -> RetentionRuleChange:
    """The DO Manager changes how long enquiries closed one way are kept: the rule, then every
    closed enquiry under it gets its new review date (on its timeline), and the change is
    recorded with who made it and why. A rule shorter than the statutory minimum is refused."""
    require_do_manager(actor)
    rule = RetentionRule.objects.select_for_update().get(pk=rule.pk)
    counted_from = counted_from or rule.counted_from
    errors = check_retention_rule(closure=rule.closure, years=years, until_retirement=until_retirement,
                                  retirement_age=retirement_age, counted_from=counted_from)
    if not (reason or "").strip():
        errors["reason"] = "Enter the reason for changing the rule"
    if errors:
        raise ValidationError(errors)
    before = str(rule)
    rule.years = years
    rule.counted_from = counted_from
    rule.until_retirement = until_retirement
    if retirement_age is not None:
        rule.retirement_age = retirement_age
    rule.note = (note or "").strip()
    rule.save()
    changed = apply_retention_rule(rule, actor=actor, reason=reason)
    return RetentionRuleChange.objects.create(rule=rule, actor=actor, before=before, after=str(rule),
                                              reason=reason.strip(), cases_changed=changed)


@transaction.atomic
def category_retention_change(*, category: Category, actor: User, years: int | None, note: str = "",
                              reason: str) -> RetentionRuleChange:
    """The DO Manager gives a category of allegation (for example sexual abuse) a longer period,
    changes it, or removes it (``years`` None): its substantiated, unsubstantiated and unfounded
    enquiries get their new review dates (on their timelines), and the change is recorded."""
    require_do_manager(actor)
    category = Category.objects.select_for_update().get(pk=category.pk)
    errors = clocks.category_retention_problems(years)
    if not (reason or "").strip():
        errors["reason"] = "Enter the reason for changing the rule"
    if errors:
        raise ValidationError(errors)
    current = CategoryRetention.objects.filter(category=category).first()
    before = describe_category_retention(category, current.years if current else None)
    if years is None:
        if current is not None:
            current.delete()
    else:
        CategoryRetention.objects.update_or_create(category=category,
                                                   defaults={"years": years, "note": (note or "").strip()})
    after = describe_category_retention(category, years)
    closed = Enquiry.objects.filter(status=Status.CONCLUDED, outcome__in=clocks.STATUTORY_CLOSURES,
                                    category=category)
    changed = _recalculate_retention(closed, actor, reason, after)
    return RetentionRuleChange.objects.create(category=category, actor=actor, before=before, after=after,
                                              reason=reason.strip(), cases_changed=changed)


@transaction.atomic
def enquiry_destroy(*, enquiry: Enquiry, actor: User, reason: str) -> DestructionLog:
    """Destroy a closed enquiry due for review and not on legal hold: the enquiry, its meetings,
    actions, links to children, timeline and every history row go; one log entry stays
    (reference, how it closed, dates, who and why)."""
    enquiry = lock_enquiry(enquiry)
    perform(EnquiryFlow(enquiry), "destroy", actor)
    require_text(reason=reason)
    entry = DestructionLog.objects.create(
        case_id=enquiry.pk, reference=enquiry.reference, closure=enquiry.closure,
        received_on=enquiry.received_on, closed_on=enquiry.closed_on,
        retention_review_on=enquiry.retention_review_on, destroyed_by=actor, reason=reason.strip(),
    )
    purge(enquiry)
    return entry


#: The append-only triggers (``workflows.models.append_only``) that destruction, and only
#: destruction, passes: the enquiry's timeline and the history of the enquiry, meetings and actions.
#: On PostgreSQL the database function ``footprint_erase_destroyed_do_case`` ignores exactly these
#: (lado/migrations/0006); the access log (``workflows.CaseRead``) is not among them: it
#: outlives the enquiry.
DESTRUCTION_IGNORES = (
    "lado.TimelineEvent:append_only",
    "lado.HistoricalEnquiry:append_only",
    "lado.HistoricalMeeting:append_only",
    "lado.HistoricalAction:append_only",
)
ERASE_FUNCTION = "footprint_erase_destroyed_do_case"


def erase_record(enquiry_id: int) -> int:
    """Erase a destroyed enquiry's timeline and the history of the enquiry, its meetings and actions;
    returns how many rows went.

    On PostgreSQL the application's role may not delete these rows (nor switch their triggers
    off): a function owned by the tables' owner does it, for an enquiry whose destruction is in the
    destruction log, and for nothing else. SQLite has no roles or triggers: the base managers
    (the models themselves refuse) remove the same rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {ERASE_FUNCTION}(%s)", [enquiry_id])
            return cursor.fetchone()[0]
    return sum(queryset.delete()[0] for queryset in (
        TimelineEvent._base_manager.filter(enquiry_id=enquiry_id),
        Enquiry.history.model.objects.filter(id=enquiry_id),
        Meeting.history.model.objects.filter(enquiry_id=enquiry_id),
        Action.history.model.objects.filter(enquiry_id=enquiry_id),
    ))


def purge(enquiry: Enquiry) -> None:
    """Delete an enquiry and everything recorded about it, history included, and the names that
    subject access requests covering it hold. Call inside the transaction that writes the
    destruction-log entry (PostgreSQL refuses without one)."""
    from subject_access.services import forget_destroyed_enquiry  # subject_access imports lado

    from ..selectors import subject_matches

    forget_destroyed_enquiry(enquiry, list(subject_matches(enquiry).values_list("pk", flat=True)))
    erase_record(enquiry.pk)
    # Meetings, actions and the links to children go with the enquiry; no history row is written
    # for them (it would outlive the enquiry).
    with history_erased_separately():
        enquiry.delete()
