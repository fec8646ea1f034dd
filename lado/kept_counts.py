"""The DO enquiry counts PostgreSQL keeps by trigger (lado 0022) and the statement counting them
afresh from the enquiries, with 0022's own contributions: what a long bulk write that deferred
them (an import, ``workflows.database.counts_deferred``) counts again before it commits."""

import importlib

from workflows.database import KeptCount


def _enquiry_counts() -> KeptCount:
    kept = importlib.import_module("lado.migrations.0022_enquiry_month_counts")
    return KeptCount(table=kept.TABLE, columns="month, measure, value", sources=("lado_enquiry",),
                     fresh=f"SELECT month, measure, value, count(*) FROM ({kept.contributions('lado_enquiry')}) c "
                           "GROUP BY 1, 2, 3")


ENQUIRY_COUNTS = _enquiry_counts()
