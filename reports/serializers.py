"""The shape of the annual report in the API documentation (the view returns the selectors'
dict as it is). Designated Officer counts are ``integer | null``: null is a figure withheld from
a reader outside the DO team, and its path is listed in ``designated_officer_disclosure``."""

from rest_framework import serializers

SUPPRESSED_HELP = ("null when suppressed for a reader outside the DO team (fewer than "
                   "designated_officer_disclosure.threshold, or derivable from a total): its path is in "
                   "designated_officer_disclosure.suppressed.")


def _count(**kwargs):
    kwargs.setdefault("help_text", SUPPRESSED_HELP)
    return serializers.IntegerField(allow_null=True, **kwargs)


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


class DoDecisionsSerializer(serializers.Serializer):
    made = _count(help_text=f"Threshold decisions made in the year. {SUPPRESSED_HELP}")
    within_timescale = _count(help_text=f"Of those, made by their due date (working_days after receipt). "
                                        f"{SUPPRESSED_HELP}")
    within_timescale_percent = serializers.FloatField(allow_null=True, help_text=f"null when none made. {SUPPRESSED_HELP}")
    working_days = serializers.IntegerField(help_text="The timescale: FOOTPRINT_LADO_DECISION_WORKING_DAYS (1).")


class DoOpenAgeingSerializer(serializers.Serializer):
    under_1_month = _count()
    _1_to_3_months = _count()
    _3_to_12_months = _count()
    over_12_months = _count()
    total = _count()

    def get_fields(self):
        # The keys start with a digit ("1_to_3_months"), which a Python attribute cannot.
        fields = super().get_fields()
        for name in ("_1_to_3_months", "_3_to_12_months"):
            fields[name[1:]] = fields.pop(name)
        return fields


class DoActionsSerializer(serializers.Serializer):
    police_investigations = _count()
    suspensions = _count()
    dbs_referrals = _count()
    regulator_referrals = _count()


class DesignatedOfficerFiguresSerializer(serializers.Serializer):
    enquiries = DoComparisonSerializer(help_text="Enquiries received this year and last.")
    met_threshold = _count()
    advice_given = _count()
    decisions = DoDecisionsSerializer(help_text="Threshold decisions made in the year, and within their timescale.")
    concluded = _count()
    outcomes = _counts("Cases concluded or cancelled in the year, by outcome, with the total. \"cancelled\" counts "
                       "only cases cancelled after the threshold was met.")
    cancelled_before_decision = _count(help_text="Enquiries cancelled in the year before any threshold decision: "
                                                 f"not an outcome, not in outcomes.total. {SUPPRESSED_HELP}")
    timeliness = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Percentage of cases concluded in the year within each target (null when none concluded, "
                  "or when suppressed: see designated_officer_disclosure.suppressed).")
    concluded_within = _counts("Cases concluded in the year within each target.")
    timeliness_targets = serializers.DictField(child=serializers.IntegerField(), help_text="Local targets (%).")
    open_at_end = DoOpenAgeingSerializer(help_text="Cases open on the last day of the year, by time since referral.")
    actions = DoActionsSerializer(help_text="Cases with a police investigation, suspension, DBS referral or "
                                            "regulator referral action recorded in the year.")
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
    period = PeriodSerializer(help_text="What is counted: the reporting year, or while it runs the year to date.")
    year_to_date = serializers.BooleanField(
        help_text="True while the reporting year is not over: the figures run to today and are compared "
                  "with the same months of last year.")
    compared_with = PeriodSerializer(
        help_text="The period of last year the figures are compared with (the same months, while the year runs).")
    drp = serializers.DictField(help_text="DRPs raised, positive practice, stage closed at and themes (counts).")
    designated_officer = DesignatedOfficerFiguresSerializer(
        allow_null=True, help_text="null while the period runs, for readers outside the DO team.")
    designated_officer_disclosure = DisclosureSerializer()
