"""The status index covers the case type: the DRP list's bounded count of
?status=...&case_type=... is then an index-only scan (issue 15, lists at 1M DRPs)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('drp', '0027_cover_ended_early'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='disputeresolution',
            name='drp_status_raised_on',
        ),
        migrations.AddIndex(
            model_name='disputeresolution',
            index=models.Index(fields=['status', 'raised_on', 'id'], include=('case_type',), name='drp_status_raised_on'),
        ),
    ]
