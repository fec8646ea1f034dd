"""Every DRP raised before sibling groups across teams were recorded counts for its one team."""

from django.db import migrations


def forwards(apps, schema_editor):
    DisputeResolution = apps.get_model("drp", "DisputeResolution")
    through = DisputeResolution.teams.through
    rows = DisputeResolution.objects.filter(team_id__isnull=False).values_list("pk", "team_id")
    batch = []
    for drp_id, team_id in rows.iterator():
        batch.append(through(disputeresolution_id=drp_id, team_id=team_id))
        if len(batch) >= 1000:
            through.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    through.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("drp", "0013_drp_teams")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
