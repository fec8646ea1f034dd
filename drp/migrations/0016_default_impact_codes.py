"""The default list of impacts for the child; each authority edits it in the admin."""

from django.db import migrations

IMPACTS = [
    (1, "plan-changed", "Plan changed"),
    (2, "placement-stabilised", "Placement stabilised"),
    (3, "service-provided", "Service provided"),
    (4, "assessment-completed", "Assessment completed"),
    (5, "child-seen-and-heard", "Child seen and their views heard"),
    (9, "no-change", "No change"),
]


def seed(apps, schema_editor):
    ImpactCode = apps.get_model("drp", "ImpactCode")
    for order, slug, name in IMPACTS:
        ImpactCode.objects.update_or_create(slug=slug, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("drp", "0015_impact_codes_child_informed")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
