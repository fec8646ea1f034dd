"""The default DRP ladder and themes from the domain brief; each authority edits them in the admin."""

from django.db import migrations

LADDER = [
    # order, key, name, addressed to, formal
    (0, "informal", "Informal", ["social-worker", "team-manager"], False),
    (1, "stage-1", "Stage 1", ["team-manager"], True),
    (2, "stage-2", "Stage 2", ["service-manager"], True),
    (3, "stage-3", "Stage 3", ["head-of-service"], True),
    (4, "stage-4", "Stage 4", ["assistant-director"], True),
    (5, "stage-5", "Stage 5", ["director"], True),
]

THEMES = [
    ("drift-and-delay", "Drift and delay"),
    ("assessment-missing", "Assessment missing or out of date"),
    ("care-plan", "Care plan"),
    ("child-protection-plan", "Child protection plan"),
    ("legal-status", "Legal status"),
    ("placement", "Placement"),
    ("permanence", "Permanence"),
    ("reports-not-shared", "Reports not shared before the meeting"),
    ("family-time", "Family time and contact"),
    ("health", "Health"),
    ("education", "Education"),
    ("visits", "Statutory visits"),
    ("pathway-plan", "Pathway planning"),
    ("child-voice", "Child's voice and participation"),
]


def seed(apps, schema_editor):
    Stage = apps.get_model("drp", "Stage")
    Theme = apps.get_model("drp", "Theme")
    for order, key, name, addressed_to, formal in LADDER:
        stage, _ = Stage.objects.update_or_create(
            key=key, defaults={"order": order, "name": name, "working_days": 20, "is_formal": formal}
        )
        stage.addressed_to.set(addressed_to)
    for slug, name in THEMES:
        Theme.objects.update_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("drp", "0002_initial"), ("people", "0002_seed_roles")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
