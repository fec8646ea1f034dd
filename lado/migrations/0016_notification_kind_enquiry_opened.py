"""The alert that an enquiry was opened by someone else is the kind ``lado-enquiry-opened``
(was ``lado-case-opened``): the DO's record is called an enquiry everywhere a person reads it,
the notifications filter included. Notifications already sent are renamed with it. (The
once-a-day markers in ``workflows.ReminderLog`` are append-only and keep the old kind: on the
day this runs, a reader already alerted about under the old kind may cause one more alert.)"""

from django.db import migrations

OLD, NEW = "lado-case-opened", "lado-enquiry-opened"


def forwards(apps, schema_editor):
    apps.get_model("notifications", "Notification").objects.filter(kind=OLD).update(kind=NEW)


def backwards(apps, schema_editor):
    apps.get_model("notifications", "Notification").objects.filter(kind=NEW).update(kind=OLD)


class Migration(migrations.Migration):

    dependencies = [
        ("lado", "0015_version_and_updated_at"),
        ("notifications", "0006_pending_email_schedule_every_two_minutes"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
