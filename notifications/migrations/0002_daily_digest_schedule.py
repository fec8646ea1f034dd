"""Beat sends the daily digest emails at 07:00 London time (editable in the admin)."""

from django.db import migrations


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    seven, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="7", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/London")
    PeriodicTask.objects.get_or_create(
        name="Daily digest emails", defaults={"task": "notifications.tasks.send_daily_digests", "crontab": seven})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="Daily digest emails").delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial"), ("django_celery_beat", "0018_improve_crontab_helptext")]
    operations = [migrations.RunPython(schedule, unschedule)]
