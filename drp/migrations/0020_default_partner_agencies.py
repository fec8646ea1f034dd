"""The default list of partner agencies; each authority edits it in the admin."""

from django.db import migrations

AGENCIES = [
    (1, "health", "Health"),
    (2, "education", "Education"),
    (3, "police", "Police"),
    (4, "housing", "Housing"),
    (5, "probation", "Probation"),
    (6, "youth-justice", "Youth justice"),
    (7, "adult-services", "Adult services"),
    (9, "other", "Other agency"),
]


def seed(apps, schema_editor):
    PartnerAgency = apps.get_model("drp", "PartnerAgency")
    for order, slug, name in AGENCIES:
        PartnerAgency.objects.update_or_create(slug=slug, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("drp", "0019_agreed_actions_partner_agencies")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
