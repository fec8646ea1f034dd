"""The rules the law and practice expect (issue 12), applied to the cases already recorded.

1. Retention rules (Keeping Children Safe in Education, Part 4): substantiated, unsubstantiated
   and unfounded allegations are kept at least until the subject's normal pension age or 10
   years from the allegation, whichever is longer. The seeded rule for unfounded (one year) was
   wrong and is replaced; a rule still as seeded now counts from the allegation; a rule the
   authority made longer is left alone. False, malicious, advice given and cancelled keep theirs.
2. Every closed case's retention review date is recalculated (not dates set by hand), each
   change on the case's timeline and in its history.
3. Open cases: the 1/3/12-month targets that fall on a weekend, bank holiday or closure day
   move to the next working day; cases awaiting their first meeting get its due date (5 working
   days after the threshold decision, as configured). Each change on the timeline.

The rules are written out here, as they stand today, so that this migration does the same
whatever later code says.
"""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.db import migrations
from django.utils import timezone

STATUTORY = ("substantiated", "unsubstantiated", "unfounded")
KCSIE_NOTE = ("Keeping Children Safe in Education, Part 4: kept until the subject's normal pension age or 10 "
              "years from the allegation, whichever is longer.")
SEEDED_NOTE = "Kept 10 years or until the subject reaches retirement age, if later."
REASON = "Issue 12: the rules the law and practice expect"


def _long(day):
    return f"{day.day} {day:%B %Y}" if day else "none"


def _history(apps, enquiry, reason, now):
    """A history row for ``enquiry`` as it now stands (as simple-history writes on save)."""
    Enquiry = apps.get_model("lado", "Enquiry")
    Historical = apps.get_model("lado", "HistoricalEnquiry")
    values = {field.attname: getattr(enquiry, field.attname) for field in Enquiry._meta.concrete_fields}
    Historical.objects.create(**values, history_date=now, history_type="~", history_change_reason=reason[:100],
                              history_user_id=None)


def _closure(enquiry):
    if enquiry.status == "concluded":
        return enquiry.outcome
    return {"advice_given": "advice-given", "cancelled": "cancelled"}.get(enquiry.status, "")


def fix_retention(apps, schema_editor):
    from lado import conf

    RetentionRule = apps.get_model("lado", "RetentionRule")
    Enquiry = apps.get_model("lado", "Enquiry")
    TimelineEvent = apps.get_model("lado", "TimelineEvent")
    age = conf.pension_age()
    for closure in STATUTORY:
        rule = RetentionRule.objects.filter(closure=closure).first()
        below = rule is None or rule.years < 10 or not rule.until_retirement or rule.retirement_age < age
        as_seeded = rule is not None and (rule.years, rule.until_retirement, rule.retirement_age,
                                          rule.counted_from, rule.note) == (10, True, 67, "closing", SEEDED_NOTE)
        if below or as_seeded:
            RetentionRule.objects.update_or_create(closure=closure, defaults={
                "years": 10, "counted_from": "allegation", "until_retirement": True,
                "retirement_age": max(age, rule.retirement_age if rule else age), "note": KCSIE_NOTE})

    rules = {rule.closure: rule for rule in RetentionRule.objects.all()}
    now = timezone.now()
    events = []
    closed = Enquiry.objects.filter(status__in=("advice_given", "concluded", "cancelled"),
                                     retention_set_by_hand=False)
    for enquiry in closed.iterator():
        closure = _closure(enquiry)
        rule = rules.get(closure)
        review = None
        if rule is not None and enquiry.closed_on is not None:
            start = enquiry.received_on if rule.counted_from == "allegation" else enquiry.closed_on
            review = start + relativedelta(years=rule.years)
            if rule.until_retirement and enquiry.subject_date_of_birth:
                review = max(review, enquiry.subject_date_of_birth + relativedelta(years=rule.retirement_age))
        if review == enquiry.retention_review_on:
            continue
        was = enquiry.retention_review_on
        enquiry.retention_review_on = review
        enquiry.save(update_fields=["retention_review_on"])
        _history(apps, enquiry, "Retention rule changed", now)
        note = f"Next retention review {_long(review)} (was {_long(was)}) under the corrected rule for {closure}."
        if closure in STATUTORY and not enquiry.subject_date_of_birth:
            note += " No date of birth is recorded, so the subject's pension age could not be counted."
        events.append(TimelineEvent(enquiry=enquiry, actor=None, action="retention-rule-applied", note=note,
                                    at=now, **_unmoved(TimelineEvent, enquiry.status)))
    TimelineEvent.objects.bulk_create(events, batch_size=500)


def _unmoved(TimelineEvent, status: str) -> dict:
    """The case stayed in ``status``: in the columns this model has (0012 renames the DO
    timeline's from_stage/to_stage to from_status/to_status; the functions here are also run
    against today's models by tests/lado/test_lado_rules.py)."""
    names = {field.name for field in TimelineEvent._meta.get_fields()}
    if "from_status" in names:
        return {"from_status": status, "to_status": status}
    return {"from_stage": status, "to_stage": status}


def working_day_clocks(apps, schema_editor):
    from lado import conf
    from workflows.calendar import WorkingDayCalendar

    ClosureDay = apps.get_model("workflows", "ClosureDay")
    Enquiry = apps.get_model("lado", "Enquiry")
    TimelineEvent = apps.get_model("lado", "TimelineEvent")
    calendar = WorkingDayCalendar(frozenset(ClosureDay.objects.values_list("date", flat=True)))
    months = conf.target_months()
    meeting_days = conf.first_meeting_working_days()
    now = timezone.now()
    events = []

    def working(day: date) -> date:
        return day if calendar.is_working_day(day) else calendar.add_working_days(day, 1)

    for enquiry in Enquiry.objects.filter(status__in=("awaiting_decision", "awaiting_meeting", "in_progress")).iterator():
        changes = []
        for index, n in enumerate(months, start=1):
            field = f"target_{index}_due"
            due = working(enquiry.received_on + relativedelta(months=n))
            if due != getattr(enquiry, field):
                changes.append(f"{n} month{'s' if n != 1 else ''} target {_long(due)} "
                               f"(was {_long(getattr(enquiry, field))}, not a working day)")
                setattr(enquiry, field, due)
        if enquiry.status == "awaiting_meeting" and enquiry.first_meeting_due is None and enquiry.decided_on:
            enquiry.first_meeting_due = calendar.add_working_days(enquiry.decided_on, meeting_days)
            changes.append(f"first meeting due {_long(enquiry.first_meeting_due)} "
                           f"({meeting_days} working days after the threshold decision)")
        if not changes:
            continue
        enquiry.save(update_fields=["target_1_due", "target_2_due", "target_3_due", "first_meeting_due"])
        _history(apps, enquiry, "Deadlines recalculated", now)
        events.append(TimelineEvent(enquiry=enquiry, actor=None, action="deadlines-recalculated",
                                    note=f"{REASON}: " + "; ".join(changes) + ".",
                                    at=now, **_unmoved(TimelineEvent, enquiry.status)))
    TimelineEvent.objects.bulk_create(events, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("lado", "0010_kcsie_rules_fields"),
        ("workflows", "0006_caseread_kind_at_index"),
    ]
    operations = [
        migrations.RunPython(fix_retention, migrations.RunPython.noop),
        migrations.RunPython(working_day_clocks, migrations.RunPython.noop),
    ]
