"""A DO case's timeline names where the case moved from and to as statuses, which they always
held (the columns were named from_stage/to_stage after the DRP's). A rename: no row changes, so
the append-only trigger is not involved."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("lado", "0011_kcsie_retention_and_working_day_targets"),
    ]

    operations = [
        migrations.RenameField(model_name="timelineevent", old_name="from_stage", new_name="from_status"),
        migrations.RenameField(model_name="timelineevent", old_name="to_stage", new_name="to_status"),
    ]
