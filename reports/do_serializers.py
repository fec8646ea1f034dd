"""OpenAPI shapes of the DO indicators (``reports.do_indicators`` through ``reports.do_disclosure``).
Every count may be ``null`` for a reader outside the DO team (suppressed: its path is listed in
``disclosure.suppressed``)."""

from rest_framework import serializers

from .serializers import PeriodSerializer, actions_serializer, ageing_serializer


def _count(help_text=""):
    return serializers.IntegerField(allow_null=True, help_text=help_text)


def _percent(help_text=""):
    return serializers.FloatField(allow_null=True, help_text=help_text or "One decimal; null when none to measure.")


class DoDisclosureSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["exact", "suppressed", "withheld"])
    threshold = serializers.IntegerField(allow_null=True, help_text="FOOTPRINT_SMALL_NUMBER_THRESHOLD; null: exact.")
    suppressed = serializers.ListField(child=serializers.CharField(), help_text='Paths, e.g. "year.reviews.on_time".')
    note = serializers.CharField(allow_blank=True)


class ReferralsSerializer(serializers.Serializer):
    received = _count("Enquiries received in the period.")
    consultations = _count("Advice-only consultations logged in the period (no subject identity).")
    contacts = _count("Referrals and consultations together.")
    consultations_percent = _percent("Consultations as a share of contacts.")


class ThresholdSerializer(serializers.Serializer):
    met = _count()
    not_met = _count("Threshold not met: advice given.")


class RateSerializer(serializers.Serializer):
    due = _count()
    on_time = _count()
    on_time_percent = _percent()


class TimedRateSerializer(RateSerializer):
    working_days = serializers.IntegerField(help_text="The deadline in working days (a setting).")


class CriteriaSerializer(serializers.Serializer):
    harmed = _count()
    criminal_offence = _count()
    risk_of_harm = _count()
    unsuitable = _count()


ActionsSerializer = actions_serializer("ActionsSerializer", _count)
AgeingSerializer = ageing_serializer("AgeingSerializer", _count)


class CodedCountSerializer(serializers.Serializer):
    code = serializers.CharField(help_text='The vocabulary slug, or "not-recorded".')
    name = serializers.CharField()
    enquiries = _count()


class DelaysSerializer(serializers.Serializer):
    past_target = _count("Open at the end of the period and past the first target.")
    reasons = CodedCountSerializer(many=True)


class NonRecentSerializer(serializers.Serializer):
    non_recent = _count()
    incident_dated = _count("Referrals with the incident date recorded.")
    months = serializers.IntegerField(help_text="LADO_NON_RECENT_MONTHS.")


class DoFiguresSerializer(serializers.Serializer):
    period = PeriodSerializer()
    referrals = ReferralsSerializer()
    threshold = ThresholdSerializer()
    decisions = TimedRateSerializer()
    first_meetings = TimedRateSerializer()
    reviews = RateSerializer()
    criteria = CriteriaSerializer()
    actions = ActionsSerializer()
    open_at_end = AgeingSerializer()
    delays = DelaysSerializer()
    non_recent = NonRecentSerializer()
    by_setting = CodedCountSerializer(many=True)
    by_school_phase = CodedCountSerializer(many=True)


class DoPeriodSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=["month", "year_to_date", "year"])
    label = serializers.CharField()
    period = PeriodSerializer()
    figures = DoFiguresSerializer(allow_null=True, help_text="null for a reader outside the DO team while the "
                                                            "period runs.")


class TrendYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    label = serializers.CharField()
    period = PeriodSerializer()


class TrendFigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    percent = serializers.BooleanField()
    values = serializers.ListField(child=serializers.FloatField(allow_null=True), help_text="One per year, oldest first.")


class TrendSerializer(serializers.Serializer):
    years = TrendYearSerializer(many=True)
    figures = TrendFigureSerializer(many=True)


class DoIndicatorReportSerializer(serializers.Serializer):
    disclosure = DoDisclosureSerializer()
    periods = DoPeriodSerializer(many=True)
    trend = TrendSerializer()
