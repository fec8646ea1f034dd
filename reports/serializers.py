"""The shape of the annual report in the API documentation (the view returns the selectors'
dict as it is). Designated Officer counts are ``integer | null``: null is a figure withheld from
a reader outside the DO team, and its path is listed in ``designated_officer_disclosure``."""

import copy

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


def _comparison(name: str, *, this_year, last_year, variance, direction) -> type[serializers.Serializer]:
    """A figure this year beside last year's: one field set, the DRP and DO sections each saying
    which figures may be null (nothing recorded, or suppressed) and how the direction is given."""
    return type(name, (serializers.Serializer,), {
        "__module__": __name__, "__doc__": "This year's figure beside last year's, with the change.",
        "this_year": this_year, "last_year": last_year, "variance": variance, "direction": direction})


DoComparisonSerializer = _comparison(
    "DoComparisonSerializer", this_year=_count(), last_year=_count(), variance=_count(),
    direction=serializers.ChoiceField(choices=["up", "down", "same"], allow_null=True, help_text=SUPPRESSED_HELP))


class DoDecisionsSerializer(serializers.Serializer):
    made = _count(help_text=f"Threshold decisions made in the year. {SUPPRESSED_HELP}")
    within_timescale = _count(help_text=f"Of those, made by their due date (working_days after receipt). "
                                        f"{SUPPRESSED_HELP}")
    within_timescale_percent = serializers.FloatField(allow_null=True, help_text=f"null when none made. {SUPPRESSED_HELP}")
    working_days = serializers.IntegerField(help_text="The timescale: FOOTPRINT_LADO_DECISION_WORKING_DAYS (1).")


def ageing_serializer(name: str, count) -> type[serializers.Serializer]:
    """Enquiries open at a date by time since referral, each figure made by ``count()`` (the
    annual report and the DO indicators say differently why a figure may be null). The keys
    start with a digit ("1_to_3_months"), which a Python attribute cannot: the fields are named here."""
    fields = {"under_1_month": count(), "1_to_3_months": count(), "3_to_12_months": count(),
              "over_12_months": count(), "total": count()}

    def get_fields(self):
        return copy.deepcopy(fields)

    return type(name, (serializers.Serializer,), {"__module__": __name__, "get_fields": get_fields,
                                                 "__doc__": "Enquiries open, by time since referral."})


def actions_serializer(name: str, count) -> type[serializers.Serializer]:
    """Enquiries with a police investigation, suspension, DBS or regulator referral."""
    return type(name, (serializers.Serializer,), {
        "__module__": __name__, "__doc__": actions_serializer.__doc__,
        "police_investigations": count(), "suspensions": count(), "dbs_referrals": count(),
        "regulator_referrals": count()})


DoOpenAgeingSerializer = ageing_serializer("DoOpenAgeingSerializer", _count)
DoActionsSerializer = actions_serializer("DoActionsSerializer", _count)


class DesignatedOfficerFiguresSerializer(serializers.Serializer):
    enquiries = DoComparisonSerializer(help_text="Enquiries received this year and last.")
    met_threshold = _count()
    advice_given = _count()
    decisions = DoDecisionsSerializer(help_text="Threshold decisions made in the year, and within their timescale.")
    concluded = _count()
    outcomes = _counts("Enquiries concluded or cancelled in the year, by outcome, with the total. \"cancelled\" counts "
                       "only enquiries cancelled after the threshold was met.")
    cancelled_before_decision = _count(help_text="Enquiries cancelled in the year before any threshold decision: "
                                                 f"not an outcome, not in outcomes.total. {SUPPRESSED_HELP}")
    timeliness = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Percentage of enquiries concluded in the year within each target (null when none concluded, "
                  "or when suppressed: see designated_officer_disclosure.suppressed).")
    concluded_within = _counts("Enquiries concluded in the year within each target.")
    timeliness_targets = serializers.DictField(child=serializers.IntegerField(), help_text="Local targets (%).")
    open_at_end = DoOpenAgeingSerializer(help_text="Enquiries open on the last day of the year, by time since referral.")
    actions = DoActionsSerializer(help_text="Enquiries with a police investigation, suspension, DBS referral or "
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


# --- DRP figures, the monthly report and service learning -------------------------------------
# Maps keyed by data (a case type, stage key, theme or team slug) are typed maps of integers:
# the keys are the vocabularies' (GET /api/v1/drp/stages/, /drp/themes/), "not-recorded" when
# none was recorded.

def _int_map(help_text: str):
    return serializers.DictField(child=serializers.IntegerField(), help_text=help_text)


ComparisonSerializer = _comparison(
    "ComparisonSerializer", this_year=serializers.IntegerField(),
    last_year=serializers.IntegerField(allow_null=True, help_text="null when nothing was recorded then."),
    variance=serializers.IntegerField(allow_null=True),
    direction=serializers.CharField(help_text="up, down, same, or not-recorded."))


class DrpFiguresSerializer(serializers.Serializer):
    raised = serializers.DictField(child=ComparisonSerializer(), help_text="DRPs raised, by case type (CP, CLA).")
    positive_practice = serializers.DictField(child=ComparisonSerializer(),
                                              help_text="Positive practice recorded, by case type.")
    closed_at_stage = serializers.DictField(
        child=_int_map("Stage key: count, and total."),
        help_text="DRPs closed in the year, by case type (and withdrawn), by the stage they closed at.")
    closed_at_stage_of_raised = serializers.DictField(
        child=_int_map("Stage key: count, and total."),
        help_text="DRPs raised in the year that have closed, by case type (and withdrawn), by stage.")
    themes = serializers.DictField(child=_int_map("Theme slug: DRPs raised."),
                                   help_text="By case type, DRPs raised in the year with each theme.")


class TeamCountSerializer(serializers.Serializer):
    team = serializers.CharField(help_text="Team slug, or not-recorded.")
    name = serializers.CharField()
    count = serializers.IntegerField()


class RaisedInMonthSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_theme = _int_map("Theme slug: DRPs raised with it.")
    by_theme_and_case_type = serializers.DictField(child=_int_map("Theme slug: DRPs raised."),
                                                   help_text="By case type.")
    by_case_type = _int_map("Case type: DRPs raised.")
    by_team = TeamCountSerializer(many=True, help_text="Per team of the children when raised.")
    by_stage_reached = _int_map("Stage key: DRPs raised now at that stage.")


class ClosedInMonthSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_stage = _int_map("Stage key: DRPs closed at it.")


class ResolutionTimesSerializer(serializers.Serializer):
    resolved = serializers.IntegerField()
    median_working_days = serializers.FloatField(allow_null=True, help_text="null when none resolved.")
    with_overall_clock = serializers.IntegerField()
    before_formal_stage = serializers.IntegerField()
    within_timescale = serializers.IntegerField()
    within_timescale_percent = serializers.FloatField(allow_null=True)
    timescale_working_days = serializers.IntegerField()
    timescale_from = serializers.CharField()
    timescale_rule = serializers.CharField()


class PositivePracticeInMonthSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_case_type = _int_map("Case type: records.")
    by_team = TeamCountSerializer(many=True)


class ThemeSeriesSerializer(serializers.Serializer):
    counts = serializers.ListField(child=serializers.IntegerField(), help_text="One per month of the trend.")
    this_month = serializers.IntegerField()
    previous_mean = serializers.FloatField()
    spike = serializers.BooleanField()


class ThemeTrendSerializer(serializers.Serializer):
    months = serializers.ListField(child=serializers.CharField(), help_text="YYYY-MM, oldest first.")
    themes = serializers.DictField(child=ThemeSeriesSerializer(), help_text="By theme slug.")
    spikes = serializers.ListField(child=serializers.CharField(), help_text="Theme slugs spiking this month.")


class MonthlyReportSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    period = PeriodSerializer()
    raised = RaisedInMonthSerializer()
    closed = ClosedInMonthSerializer()
    resolution = ResolutionTimesSerializer()
    positive_practice = PositivePracticeInMonthSerializer()
    cafcass_referrals = serializers.IntegerField()
    trend = ThemeTrendSerializer()


class TeamLearningSerializer(serializers.Serializer):
    team = serializers.CharField()
    name = serializers.CharField()
    drps = _int_map("Case type: DRPs raised, and total.")
    positive_practice = _int_map("Case type: records, and total.")
    themes = _int_map("Theme slug: DRPs raised.")


class FootprintSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    username = serializers.CharField()
    drps_informal = serializers.IntegerField()
    drps_formal = serializers.IntegerField()
    drps_total = serializers.IntegerField()
    positive_practice = serializers.IntegerField()
    children = serializers.IntegerField()
    drps_per_child = serializers.FloatField(allow_null=True)
    positive_practice_per_child = serializers.FloatField(allow_null=True)


class LearningReportSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    period = PeriodSerializer()
    teams = TeamLearningSerializer(many=True)
    people = FootprintSerializer(many=True)


class AnnualReportSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    period = PeriodSerializer(help_text="What is counted: the reporting year, or while it runs the year to date.")
    year_to_date = serializers.BooleanField(
        help_text="True while the reporting year is not over: the figures run to today and are compared "
                  "with the same months of last year.")
    compared_with = PeriodSerializer(
        help_text="The period of last year the figures are compared with (the same months, while the year runs).")
    drp = DrpFiguresSerializer(help_text="DRPs raised, positive practice, stage closed at and themes (counts).")
    designated_officer = DesignatedOfficerFiguresSerializer(
        allow_null=True, help_text="null while the period runs, for readers outside the DO team.")
    designated_officer_disclosure = DisclosureSerializer()


# --- DRP indicators (reports.indicators) -----------------------------------------------------


class ByCaseTypeSerializer(serializers.Serializer):
    CP = serializers.IntegerField()
    CLA = serializers.IntegerField()
    total = serializers.IntegerField()


class BandsSerializer(serializers.Serializer):
    _0_5 = serializers.IntegerField(help_text="0 to 5 working days.")
    _6_10 = serializers.IntegerField(help_text="6 to 10 working days.")
    _11_20 = serializers.IntegerField(help_text="11 to 20 working days.")
    over_20 = serializers.IntegerField(help_text="Over 20 working days.")

    def get_fields(self):
        # The keys are "0-5", "6-10", "11-20", "over-20".
        fields = super().get_fields()
        return {name.lstrip("_").replace("_", "-"): field for name, field in fields.items()}


class DistributionSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    median_working_days = serializers.FloatField(allow_null=True, help_text="null when count is 0.")
    bands = BandsSerializer()


class _OnTimeFields(serializers.Serializer):
    """Stage deadlines due and answered on time: per stage and over all stages alike."""

    due = serializers.IntegerField()
    answered_on_time = serializers.IntegerField()
    answered_on_time_percent = serializers.FloatField(allow_null=True)


class StageDeadlineSerializer(_OnTimeFields):
    stage = serializers.CharField()
    name = serializers.CharField()


class StageDeadlinesSerializer(_OnTimeFields):
    stages = StageDeadlineSerializer(many=True)


class AgreedActionFiguresSerializer(serializers.Serializer):
    agreed = serializers.IntegerField(help_text="Agreed in the period.")
    due = serializers.IntegerField(help_text="Due in the period.")
    done_on_time = serializers.IntegerField()
    done_late = serializers.IntegerField()
    not_done = serializers.IntegerField()
    open_overdue = serializers.IntegerField()
    done_on_time_percent = serializers.FloatField(allow_null=True)


class _AgencyCountFields(serializers.Serializer):
    """What partner agencies were asked: per agency and for all agencies alike."""

    actions = serializers.IntegerField(help_text="Agreed actions owned by the agency's contacts, agreed in the period.")
    stages = serializers.IntegerField(help_text="DRP stages addressed to the agency, started in the period.")
    drps = serializers.IntegerField(help_text="Distinct DRPs with either.")


class AgencyFiguresSerializer(_AgencyCountFields):
    agency = serializers.CharField()
    name = serializers.CharField()


class PartnerAgenciesSerializer(_AgencyCountFields):
    agencies = AgencyFiguresSerializer(many=True)


class ImpactFiguresSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    drps = serializers.IntegerField()


class TeamIndicatorsSerializer(serializers.Serializer):
    team = serializers.CharField()
    name = serializers.CharField()
    raised = serializers.IntegerField()
    children_affected = serializers.IntegerField()
    resolved = serializers.IntegerField()
    median_working_days_to_resolution = serializers.FloatField(allow_null=True)


class IroIndicatorsSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    raised = serializers.IntegerField()
    with_agreed_actions = serializers.IntegerField()
    resolved = serializers.IntegerField()
    median_working_days_to_agreed_actions = serializers.FloatField(allow_null=True)
    median_working_days_to_resolution = serializers.FloatField(allow_null=True)


class DrpIndicatorsSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=["month", "year_to_date", "year"])
    label = serializers.CharField()
    period = PeriodSerializer()
    raised = ByCaseTypeSerializer()
    children_affected = ByCaseTypeSerializer(help_text="Distinct children in DRPs raised in the period.")
    time_to_agreed_actions = DistributionSerializer()
    time_to_resolution = DistributionSerializer()
    stage_deadlines = StageDeadlinesSerializer()
    agreed_actions = AgreedActionFiguresSerializer()
    partner_agencies = PartnerAgenciesSerializer()
    impact = ImpactFiguresSerializer(many=True)
    positive_practice = ByCaseTypeSerializer()
    by_team = TeamIndicatorsSerializer(many=True)
    by_iro = IroIndicatorsSerializer(many=True)


class DrpIndicatorReportSerializer(serializers.Serializer):
    periods = DrpIndicatorsSerializer(many=True)


# --- Benchmark (reports.benchmark) -----------------------------------------------------------


class BenchmarkFigureSerializer(serializers.Serializer):
    key = serializers.CharField(help_text='e.g. "drp.median_days_to_resolution", "do.enquiries".')
    label = serializers.CharField()
    value = serializers.FloatField(allow_null=True, help_text="null when not given: see shown_as.")
    shown_as = serializers.CharField(help_text='Why no value: "fewer than 5", "not shown", "none to measure".')
    definition = serializers.CharField()


class OtherFigureSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    shown_as = serializers.CharField()
    label = serializers.CharField()


class OtherAuthoritySerializer(serializers.Serializer):
    authority = serializers.CharField()
    figures = serializers.DictField(child=OtherFigureSerializer(), help_text="By figure key.")


class OtherKeySerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class BenchmarkSerializer(serializers.Serializer):
    authority = serializers.CharField(help_text="FOOTPRINT_AUTHORITY_NAME.")
    year = serializers.IntegerField()
    figures = BenchmarkFigureSerializer(many=True)
    others = OtherAuthoritySerializer(many=True)
    other_keys = OtherKeySerializer(many=True, help_text="Figures other authorities give that this one does not.")
