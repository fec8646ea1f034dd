"""Beat checks every weekday at 07:30 (London) whether to send the monthly report email."""

from django.db import migrations


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    weekday_mornings, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="7", day_of_week="1-5", day_of_month="*", month_of_year="*",
        timezone="Europe/London")
    PeriodicTask.objects.get_or_create(
        name="Monthly theme report email",
        defaults={"task": "reports.tasks.send_monthly_report_email", "crontab": weekday_mornings})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="Monthly theme report email").delete()


class Migration(migrations.Migration):
    dependencies = [("django_celery_beat", "0018_improve_crontab_helptext")]
    operations = [migrations.RunPython(schedule, unschedule)]
