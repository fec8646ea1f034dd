"""Beat fails import jobs whose worker died and deletes expired files every 5 minutes (the
schedule is editable in the admin)."""

from django.db import migrations


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Import job sweep", defaults={"task": "imports.tasks.sweep_import_jobs", "interval": every})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="Import job sweep").delete()


class Migration(migrations.Migration):
    dependencies = [("imports", "0002_job_lease_and_options"),
                    ("django_celery_beat", "0018_improve_crontab_helptext")]
    operations = [migrations.RunPython(schedule, unschedule)]
