from rest_framework import serializers

from children.models import CaseType
from children.serializers import validate_child_ids
from people.models import Team
from workflows.api import TimelineEventSerializer as BaseTimelineEventSerializer
from workflows.api import checked_date

from .models import DisputeResolution, ImpactCode, Stage, Theme, TimelineEvent


class StageSerializer(serializers.ModelSerializer):
    addressed_to = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Stage
        fields = ["key", "name", "addressed_to", "working_days"]


class ThemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Theme
        fields = ["slug", "name"]


class TimelineEventSerializer(BaseTimelineEventSerializer):
    class Meta(BaseTimelineEventSerializer.Meta):
        model = TimelineEvent


class DisputeResolutionListSerializer(serializers.ModelSerializer):
    children = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    themes = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    stage = serializers.SlugRelatedField(slug_field="key", read_only=True)
    closed_at_stage = serializers.SlugRelatedField(slug_field="key", read_only=True, allow_null=True)
    etag = serializers.CharField(read_only=True, help_text="Send it in If-Match with a move: 412 when "
                                                           "the DRP has changed since (also the ETag header).")

    class Meta:
        model = DisputeResolution
        fields = [
            "id", "reference", "case_type", "children", "themes", "stage", "status", "raised_on",
            "stage_started_on", "stage_due_date", "overall_due_date", "review_due_date", "closed_on",
            "closed_at_stage", "referred_to_cafcass", "updated_at", "etag",
        ]


class DisputeResolutionSerializer(DisputeResolutionListSerializer):
    impact_codes = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    timeline = TimelineEventSerializer(many=True, read_only=True)

    class Meta(DisputeResolutionListSerializer.Meta):
        fields = DisputeResolutionListSerializer.Meta.fields + [
            "outcome", "impact", "impact_codes", "child_informed", "advocacy_offered", "timeline"]


class RaiseSerializer(serializers.Serializer):
    """What it takes to raise a DRP: the children, CP or CLA, themes and the concern."""

    children = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    case_type = serializers.ChoiceField(choices=CaseType.choices)
    themes = serializers.ListField(child=serializers.SlugField(), allow_empty=False)
    concern = serializers.CharField(max_length=10000)
    stage = serializers.SlugField(required=False)
    raised_on = serializers.DateField(required=False)
    team = serializers.SlugField(
        required=False, help_text="The lead team's slug, needed only when the children are "
                                  "allocated to different teams.")

    def __init__(self, *args, children_qs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.children_qs = children_qs

    def validate_children(self, value):
        return validate_child_ids(self.children_qs, value)

    def validate_themes(self, value):
        found = {theme.slug: theme for theme in Theme.objects.filter(slug__in=value)}
        missing = [slug for slug in value if slug not in found]
        if missing:
            raise serializers.ValidationError(f"Unknown theme(s): {', '.join(missing)}.")
        return [found[slug] for slug in dict.fromkeys(value)]

    def validate_stage(self, value):
        try:
            return Stage.objects.get(key=value)
        except Stage.DoesNotExist:
            raise serializers.ValidationError(f"Unknown stage: {value}.")

    def validate_raised_on(self, value):
        return checked_date(value, "The date raised")

    def validate_team(self, value):
        team = Team.objects.filter(slug=value).first()
        if team is None:
            raise serializers.ValidationError(f"Unknown team: {value}.")
        return team


class ExpectedStage(serializers.Serializer):
    """A move may name the stage the client last saw the DRP at: if it has moved on since (someone
    else escalated it, or a retry of a move that had worked), the move is refused with 409."""

    from_stage = serializers.SlugField(
        required=False, help_text="Optional: the stage key the DRP must be at for this move "
                                  "(409 when it has moved on), as read from GET /api/drps/{id}/.")

    def validate_from_stage(self, value):
        if not Stage.objects.filter(key=value).exists():
            raise serializers.ValidationError(f"Unknown stage: {value}.")
        return value


class RespondSerializer(ExpectedStage):
    response = serializers.CharField(max_length=10000)
    agreed_by = serializers.DateField(
        required=False, allow_null=True,
        help_text="Optional: the date by which what is agreed will be done (today or later).")

    def validate_agreed_by(self, value):
        return checked_date(value, "The agreed-by date", future=True)


class EscalateSerializer(ExpectedStage):
    reason = serializers.CharField(max_length=10000)
    stage = serializers.SlugField(required=False)

    def validate_stage(self, value):
        try:
            return Stage.objects.get(key=value)
        except Stage.DoesNotExist:
            raise serializers.ValidationError(f"Unknown stage: {value}.")


class ResolveSerializer(ExpectedStage):
    """The outcome and what it changed for the child."""

    outcome = serializers.CharField(max_length=10000)
    impact = serializers.CharField(max_length=10000, help_text="The difference it has made for the child.")
    impact_codes = serializers.ListField(
        child=serializers.SlugField(), allow_empty=False,
        help_text="Slugs from GET /api/drp/impact-codes/ (plan-changed, placement-stabilised, ...).")
    child_informed = serializers.BooleanField(help_text="Whether the child has been told the outcome.")
    advocacy_offered = serializers.BooleanField(help_text="Whether the child has been offered an advocate.")

    def validate_impact_codes(self, value):
        found = {code.slug: code for code in ImpactCode.objects.filter(slug__in=value, active=True)}
        missing = [slug for slug in value if slug not in found]
        if missing:
            raise serializers.ValidationError(f"Unknown impact code(s): {', '.join(missing)}.")
        return [found[slug] for slug in dict.fromkeys(value)]


class ImpactCodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImpactCode
        fields = ["slug", "name"]


class ReasonSerializer(ExpectedStage):
    reason = serializers.CharField(max_length=10000)
