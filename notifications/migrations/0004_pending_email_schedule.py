"""Beat queues any immediate email that could not be queued (broker down) every 15 minutes."""

from django.db import migrations


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Queue pending emails",
        defaults={"task": "notifications.tasks.queue_pending_emails", "interval": every})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="Queue pending emails").delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_unemailed_index")]
    operations = [migrations.RunPython(schedule, unschedule)]
