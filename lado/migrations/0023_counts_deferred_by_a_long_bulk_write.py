from django.db import migrations

from workflows.database import counted_unless_deferred

# The enquiry count triggers of 0022 do nothing while a transaction has deferred the counts
# (``workflows.database.counts_deferred``: an import of many chunks, which counts the table again
# before it commits), as reports 0009 does for the DRP counts.


class Migration(migrations.Migration):

    dependencies = [
        ("lado", "0022_enquiry_month_counts"),
    ]

    operations = [counted_unless_deferred(*((f"lado_enquiry_counts_{op}", "lado_enquiry")
                                            for op in ("added", "removed", "changed")))]
