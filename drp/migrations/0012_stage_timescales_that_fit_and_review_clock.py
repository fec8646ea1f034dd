"""Stage timescales that fit inside the overall limit, and clocks for DRPs already open.

- A ladder still on the old default (20 working days at every stage, the whole formal limit)
  gets the defaults that fit: informal 10, each formal stage 5. A ladder an authority has
  already set keeps its timescales.
- An open DRP's formal-stage deadline is brought back to its overall deadline where it fell
  after it (the stage record too), so no stage clock stays green past the limit.
- A DRP already waiting on the IRO's review gets its review deadline: 5 working days (the
  setting) after its response, so answered DRPs that have drifted are reminded at once.
"""

from django.conf import settings
from django.db import migrations
from django.db.models import F

OPEN = ["awaiting_response", "awaiting_review"]


def forwards(apps, schema_editor):
    from workflows.calendar import WorkingDayCalendar

    Stage = apps.get_model("drp", "Stage")
    DisputeResolution = apps.get_model("drp", "DisputeResolution")
    StageRecord = apps.get_model("drp", "StageRecord")
    ClosureDay = apps.get_model("workflows", "ClosureDay")

    if not Stage.objects.exclude(working_days=20).exists():
        Stage.objects.filter(is_formal=False).update(working_days=10)
        Stage.objects.filter(is_formal=True).update(working_days=5)

    late = DisputeResolution.objects.filter(
        status__in=OPEN, stage__is_formal=True, overall_due_date__isnull=False,
        stage_due_date__gt=F("overall_due_date"))
    for drp in late.only("pk", "overall_due_date"):
        DisputeResolution.objects.filter(pk=drp.pk).update(stage_due_date=drp.overall_due_date)
        StageRecord.objects.filter(drp_id=drp.pk, ended_on__isnull=True,
                                   due_date__gt=drp.overall_due_date).update(due_date=drp.overall_due_date)

    calendar = WorkingDayCalendar(frozenset(ClosureDay.objects.values_list("date", flat=True)))
    days = getattr(settings, "DRP_REVIEW_WORKING_DAYS", 5)
    waiting = DisputeResolution.objects.filter(status="awaiting_review", review_due_date__isnull=True)
    for drp in waiting.only("pk"):
        responded = (StageRecord.objects.filter(drp_id=drp.pk, responded_on__isnull=False)
                     .order_by("-responded_on", "-id").values_list("responded_on", flat=True).first())
        if responded:
            DisputeResolution.objects.filter(pk=drp.pk).update(
                review_due_date=calendar.add_working_days(responded, days))


class Migration(migrations.Migration):
    dependencies = [("drp", "0011_drp_review_clock_agreed_by"), ("workflows", "0006_caseread_kind_at_index")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
