"""The shape of the annual report in the API documentation (the view returns the selectors'
dict as it is). Designated Officer counts are ``integer | null``: null is a figure withheld from
a reader outside the DO team, and its path is listed in ``designated_officer_disclosure``."""

from rest_framework import serializers

SUPPRESSED_HELP = ("null when suppressed for a reader outside the DO team (fewer than "
                   "designated_officer_disclosure.threshold, or derivable from a total): its path is in "
                   "designated_officer_disclosure.suppressed.")


def _count(**kwargs):
    return serializers.IntegerField(allow_null=True, help_text=SUPPRESSED_HELP, **kwargs)


def _counts(help_text: str):
    return serializers.DictField(child=serializers.IntegerField(allow_null=True), help_text=f"{help_text} {SUPPRESSED_HELP}")


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class DoComparisonSerializer(serializers.Serializer):
    this_year = _count()
    last_year = _count()
    variance = _count()
    direction = serializers.ChoiceField(choices=["up", "down", "same"], allow_null=True, help_text=SUPPRESSED_HELP)


class DesignatedOfficerFiguresSerializer(serializers.Serializer):
    enquiries = DoComparisonSerializer(help_text="Enquiries received this year and last.")
    met_threshold = _count()
    advice_given = _count()
    concluded = _count()
    outcomes = _counts("Cases concluded or cancelled in the year, by outcome, with the total.")
    timeliness = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Percentage of cases concluded in the year within each target (null when none concluded, "
                  "or when suppressed: see designated_officer_disclosure.suppressed).")
    concluded_within = _counts("Cases concluded in the year within each target.")
    timeliness_targets = serializers.DictField(child=serializers.IntegerField(), help_text="Local targets (%).")
    by_sector = _counts("Enquiries received in the year by sector slug (every sector for readers outside the DO team).")
    by_setting = _counts("By setting type slug.")
    by_category = _counts("By category slug.")
    by_referral_source = _counts("By referral source slug.")


class DisclosureSerializer(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=["exact", "suppressed", "withheld"],
        help_text="exact: the DO team's live figures. suppressed: a period that has ended, seen by a reader "
                  "outside the DO team, counts below the threshold null. withheld: the period has not ended, "
                  "designated_officer is null.")
    threshold = serializers.IntegerField(allow_null=True, help_text="FOOTPRINT_SMALL_NUMBER_THRESHOLD (null: exact).")
    suppressed = serializers.ListField(
        child=serializers.CharField(),
        help_text='Paths of the null figures, e.g. "enquiries.this_year", "outcomes.malicious", "by_sector.voluntary".')
    note = serializers.CharField(help_text="The sentence the report page shows (empty when exact).")


class AnnualReportSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    period = PeriodSerializer()
    drp = serializers.DictField(help_text="DRPs raised, positive practice, stage closed at and themes (counts).")
    designated_officer = DesignatedOfficerFiguresSerializer(
        allow_null=True, help_text="null while the period runs, for readers outside the DO team.")
    designated_officer_disclosure = DisclosureSerializer()
