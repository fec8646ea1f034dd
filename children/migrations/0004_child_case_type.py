from django.db import migrations, models


class Migration(migrations.Migration):
    """The child's CP/CLA field is its case type, not a "status" (issue 11 §4)."""

    dependencies = [
        ("children", "0003_historicalchild_append_only"),
    ]

    operations = [
        migrations.RenameField(model_name="child", old_name="status", new_name="case_type"),
        migrations.RenameField(model_name="historicalchild", old_name="status", new_name="case_type"),
        migrations.AlterField(
            model_name="child", name="case_type",
            field=models.CharField("CP or CLA", choices=[("CP", "Child protection plan"), ("CLA", "Looked-after child")], max_length=3),
        ),
        migrations.AlterField(
            model_name="historicalchild", name="case_type",
            field=models.CharField("CP or CLA", choices=[("CP", "Child protection plan"), ("CLA", "Looked-after child")], max_length=3),
        ),
    ]
