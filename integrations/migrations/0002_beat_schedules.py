"""Beat forgets idempotency answers older than 24 hours (hourly) and delivers webhooks whose
time has come (every minute: retries, and every delivery when there is no broker)."""

from django.db import migrations

SCHEDULES = [
    ("Purge idempotency keys", "integrations.tasks.purge_idempotency_keys", 60),
    ("Deliver due webhooks", "integrations.tasks.deliver_due_webhooks", 1),
]


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minutes in SCHEDULES:
        every, _ = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": every})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[name for name, _, _ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_idempotency_events_webhooks"),
                    ("django_celery_beat", "0018_improve_crontab_helptext")]
    operations = [migrations.RunPython(schedule, unschedule)]
