"""Enquiry.children gets an explicit through model (EnquiryChild) whose key to the child is
PROTECT, so a child linked to a DO case can no longer be deleted (the admin used to cascade).

State only: the through model reuses the table, columns, unique constraint and indexes that
Django made for the plain many-to-many (lado_enquiry_children), so every link is kept and the
database is not touched (on PostgreSQL and SQLite alike; PROTECT is enforced by Django)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("children", "0002_initial"),
        ("lado", "0004_timeline_append_only"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="EnquiryChild",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("enquiry", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                      related_name="+", to="lado.enquiry")),
                        ("child", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                    related_name="+", to="children.child")),
                    ],
                    options={
                        "verbose_name": "child in a DO enquiry",
                        "db_table": "lado_enquiry_children",
                        "unique_together": {("enquiry", "child")},
                    },
                ),
                migrations.AlterField(
                    model_name="enquiry",
                    name="children",
                    field=models.ManyToManyField(blank=True, related_name="+", through="lado.EnquiryChild",
                                                 to="children.child"),
                ),
            ],
            database_operations=[],
        ),
    ]
