from rest_framework import serializers

from api.serializers import ModelSerializer, TimelineEventSerializer, checked_date
from children.models import CaseType
from children.serializers import validate_child_ids
from people import roles
from people.models import Team
from people.selectors import users_with_role
from workflows.date_rules import DRP_DATE

from .models import PositivePractice, TimelineEvent


class PositivePracticeTimelineEventSerializer(TimelineEventSerializer):
    class Meta(TimelineEventSerializer.Meta):
        model = TimelineEvent


class PositivePracticeSerializer(ModelSerializer):
    children = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    practitioner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    drp = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    timeline = PositivePracticeTimelineEventSerializer(many=True, read_only=True)
    etag = serializers.CharField(read_only=True, help_text="The record's version (also the ETag header).")

    class Meta:
        model = PositivePractice
        fields = ["id", "reference", "case_type", "children", "practitioner", "team", "practitioner_name",
                  "what_happened", "impact", "drp", "recorded_by", "recorded_on", "timeline", "updated_at",
                  "etag"]


class RecordSerializer(serializers.Serializer):
    children = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    case_type = serializers.ChoiceField(choices=CaseType.choices)
    what_happened = serializers.CharField(max_length=10000)
    impact = serializers.CharField(max_length=10000)
    practitioner = serializers.SlugRelatedField(
        slug_field="username", queryset=users_with_role(*roles.SOCIAL_CARE),
        required=False, allow_null=True, help_text="Username of a social worker or manager in children's social care",
        error_messages={"does_not_exist": "Choose a social worker or manager in children's social care."})
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all(), required=False,
                                        allow_null=True)
    practitioner_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    drp = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                help_text="Reference of the DRP it arose from")
    recorded_on = serializers.DateField(required=False)

    def __init__(self, *args, children_qs=None, drps_qs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.children_qs, self.drps_qs = children_qs, drps_qs

    def validate_children(self, value):
        return validate_child_ids(self.children_qs, value)

    def validate_drp(self, value):
        if not value:
            return None
        drp = self.drps_qs.filter(reference__iexact=value).first()
        if drp is None:
            raise serializers.ValidationError(f"Unknown DRP: {value}.")
        return drp

    def validate_recorded_on(self, value):
        return checked_date(value, "Date recorded", rule=DRP_DATE)
