"""Every DRP has an IRO (filled in by 0017). A migration of its own: on PostgreSQL the
deferred foreign-key checks of 0017's UPDATE must fire before the column can be altered."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('drp', '0022_reassign_cover_reopen'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='disputeresolution',
            name='iro',
            field=models.ForeignKey(help_text='The IRO or Conference Chair who holds the DRP now: who raised it, until the IRO Manager reassigns it. They review responses and are reminded.', on_delete=django.db.models.deletion.PROTECT, related_name='iro_drps', to=settings.AUTH_USER_MODEL),
        ),
    ]
