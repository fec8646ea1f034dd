"""Counts of DO enquiries per month that PostgreSQL keeps, so the reports read a few thousand
rows instead of aggregating every enquiry received by a period's end."""

from django.db import models


class EnquiryMonthCount(models.Model):
    """DO enquiries counted per month and measure, kept by PostgreSQL in the transaction that
    changes an enquiry (statement-level triggers from ``lado/migrations/0022``), so nothing
    (services, imports, destruction, ``COPY``) goes round them. Each enquiry adds one to:

    * ``received`` in the month received, value ``met``, ``advice`` or empty (no decision yet);
    * ``sector``, ``setting``, ``category``, ``referral_source`` in the month received, value the
      vocabulary id (empty when not recorded);
    * ``open_until`` in the month received, value the month closed (``YYYY-MM``, empty while
      open): open at a month's end = received by then and not closed by then;
    * ``decided`` in the month decided, value ``within`` or ``late`` (against ``decision_due``);
    * ``closed`` in the month closed, value its row of ``lado.clocks.outcome_row`` (concluded as
      ``concluded:<outcome>``, any other status by name);
    * ``concluded_within`` in the month concluded, value ``1``, ``2``, ``3`` for each target met.

    Elsewhere (SQLite) there are no triggers and ``lado.figures`` counts the enquiries."""

    month = models.DateField(help_text="The first day of the month the measure dates from.")
    measure = models.CharField(max_length=20)
    value = models.CharField(max_length=40, blank=True)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "measure", "value"],
                                               name="lado_enquiry_month_count_key")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.measure} {self.value}: {self.n}"
