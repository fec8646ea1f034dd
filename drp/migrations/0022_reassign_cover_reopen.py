"""Who holds a DRP now (its IRO, reassignable), cover for an absent responder, and the
reassigned and reopened timeline events ("X for Y" through ``on_behalf_of``)."""

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('drp', '0021_stages_addressed_to_partner_agencies'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='disputeresolution',
            name='iro',
            field=models.ForeignKey(help_text='The IRO or Conference Chair who holds the DRP now: who raised it, until the IRO Manager reassigns it. They review responses and are reminded.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='iro_drps', to=settings.AUTH_USER_MODEL),
        ),
        # Every DRP so far is held by the person who raised it.
        migrations.RunSQL("UPDATE drp_disputeresolution SET iro_id = raised_by_id", migrations.RunSQL.noop),
        migrations.AddField(
            model_name='historicaldisputeresolution',
            name='iro',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text='The IRO or Conference Chair who holds the DRP now: who raised it, until the IRO Manager reassigns it. They review responses and are reminded.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='timelineevent',
            name='on_behalf_of',
            field=models.ForeignKey(blank=True, help_text='The absent person the actor covered for (shown as "X for Y").', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='timelineevent',
            name='action',
            field=models.CharField(choices=[('raised', 'Raised'), ('responded', 'Responded'), ('escalated', 'Escalated'), ('resolved', 'Resolved'), ('withdrawn', 'Withdrawn'), ('deadlines-recalculated', 'Deadlines recalculated'), ('referred-to-cafcass', 'Referred to Cafcass'), ('imported', 'Imported'), ('reassigned', 'Reassigned'), ('reopened', 'Reopened')], max_length=40),
        ),
        migrations.CreateModel(
            name='HistoricalCover',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('starts_on', models.DateField()),
                ('ends_on', models.DateField()),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('absent', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('colleague', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('set_up_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical cover',
                'verbose_name_plural': 'historical covers',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Cover',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('starts_on', models.DateField()),
                ('ends_on', models.DateField()),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('absent', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='covered_by', to=settings.AUTH_USER_MODEL)),
                ('colleague', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='covering_for', to=settings.AUTH_USER_MODEL)),
                ('set_up_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-starts_on', '-id'],
                'indexes': [models.Index(fields=['colleague', 'ends_on'], name='drp_cover_colleag_04543c_idx'), models.Index(fields=['absent', 'ends_on'], name='drp_cover_absent__bb76ba_idx')],
            },
        ),
    ]
