from django.db import migrations

from people import roles


def seed_roles(apps, schema_editor):
    Role = apps.get_model("people", "Role")
    for slug, name in roles.NAMES.items():
        Role.objects.update_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(seed_roles, migrations.RunPython.noop)]
