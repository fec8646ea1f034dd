"""Beat queues unsent emails every 2 minutes instead of 15 (FOOTPRINT_PENDING_EMAIL_GRACE_SECONDS
after they were written), so an email whose task was lost waits minutes, not half an hour. A
schedule changed in the admin is left alone."""

from django.db import migrations
from django.utils import timezone


def every(minutes_from, minutes_to):
    def change(apps, schema_editor):
        IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        task = PeriodicTask.objects.filter(name="Queue pending emails", interval__every=minutes_from,
                                           interval__period="minutes").first()
        if task is not None:
            task.interval, _ = IntervalSchedule.objects.get_or_create(every=minutes_to, period="minutes")
            task.save(update_fields=["interval"])
            # What the admin's save does, so a running beat reloads its schedule.
            apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
                ident=1, defaults={"last_update": timezone.now()})
    return change


class Migration(migrations.Migration):
    dependencies = [("notifications", "0005_email_claim"),
                    ("django_celery_beat", "0018_improve_crontab_helptext")]
    operations = [migrations.RunPython(every(15, 2), every(2, 15))]
