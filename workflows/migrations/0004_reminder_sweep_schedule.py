"""Beat runs the reminder sweep every 15 minutes; the schedule is editable in the admin."""

from django.db import migrations


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Reminder sweep", defaults={"task": "workflows.tasks.run_reminder_sweep", "interval": every})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="Reminder sweep").delete()


class Migration(migrations.Migration):
    dependencies = [("workflows", "0003_reminderlog"), ("django_celery_beat", "0018_improve_crontab_helptext")]
    operations = [migrations.RunPython(schedule, unschedule)]
