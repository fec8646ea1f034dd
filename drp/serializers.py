from rest_framework import serializers

from api.serializers import ModelSerializer, checked_date
from api.serializers import TimelineEventSerializer as BaseTimelineEventSerializer
from children.models import CaseType
from children.serializers import validate_child_ids
from people.models import Team, User
from workflows.date_rules import AGREED_BY, DRP_DATE

from .models import (
    AgencyContact,
    AgreedAction,
    Cover,
    DisputeResolution,
    ImpactCode,
    PartnerAgency,
    Stage,
    Theme,
    TimelineEvent,
)


class StageSerializer(ModelSerializer):
    addressed_to = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Stage
        fields = ["key", "name", "addressed_to", "working_days"]


class ThemeSerializer(ModelSerializer):
    class Meta:
        model = Theme
        fields = ["slug", "name"]


class TimelineEventSerializer(BaseTimelineEventSerializer):
    #: Who the actor stood in for (a colleague covering for an absent responder), or null.
    on_behalf_of = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta(BaseTimelineEventSerializer.Meta):
        model = TimelineEvent
        fields = BaseTimelineEventSerializer.Meta.fields + ["on_behalf_of"]


class DisputeResolutionListSerializer(ModelSerializer):
    children = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    themes = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    stage = serializers.SlugRelatedField(slug_field="key", read_only=True)
    closed_at_stage = serializers.SlugRelatedField(slug_field="key", read_only=True, allow_null=True)
    iro = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                       help_text="The IRO who holds the DRP now.")
    etag = serializers.CharField(read_only=True, help_text="Send it in If-Match with a move: 412 when "
                                                           "the DRP has changed since (also the ETag header).")

    class Meta:
        model = DisputeResolution
        fields = [
            "id", "reference", "case_type", "children", "themes", "stage", "status", "iro", "raised_on",
            "stage_started_on", "stage_due_date", "overall_due_date", "review_due_date", "closed_on",
            "closed_at_stage", "referred_to_cafcass", "iro", "updated_at", "etag",
        ]


class PartnerAgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = PartnerAgency
        fields = ["slug", "name"]


class AgencyContactSerializer(serializers.ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = AgencyContact
        fields = ["id", "agency", "name", "job_title", "email"]


class AgreedActionSerializer(serializers.ModelSerializer):
    """An agreed action as read: exactly one of ``owner`` (a username) and ``owner_contact``."""

    stage = serializers.SlugRelatedField(slug_field="key", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    owner_contact = AgencyContactSerializer(read_only=True, allow_null=True)
    rag = serializers.SerializerMethodField(help_text="on-track, due-soon or overdue while open; null once done or not done.")

    class Meta:
        model = AgreedAction
        fields = ["id", "what", "stage", "owner", "owner_contact", "agreed_on", "due_on", "status",
                  "completed_on", "note", "rag"]

    def get_rag(self, action) -> str | None:
        rag = action.clock().rag
        return rag.value if rag else None


class DisputeResolutionSerializer(DisputeResolutionListSerializer):
    impact_codes = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    addressee_contact = AgencyContactSerializer(
        read_only=True, allow_null=True, help_text="The partner agency contact the current stage is addressed to.")
    agreed_actions = AgreedActionSerializer(many=True, read_only=True)
    timeline = TimelineEventSerializer(many=True, read_only=True)

    class Meta(DisputeResolutionListSerializer.Meta):
        fields = DisputeResolutionListSerializer.Meta.fields + [
            "addressee_contact", "outcome", "impact", "impact_codes", "child_informed", "advocacy_offered",
            "agreed_actions",
            "timeline"]


class AgreeActionSerializer(serializers.Serializer):
    """One agreed action: what, by when, and its owner: ``owner`` (a username) or
    ``owner_contact`` (a partner agency contact's id from GET /api/drp/agency-contacts/)."""

    what = serializers.CharField(max_length=2000, help_text="What is to be done. Emailed to an agency contact: "
                                                           "no child's name.")
    due_on = serializers.DateField(help_text="By when (today or later); a non-working day moves to the next "
                                             "working day.")
    owner = serializers.SlugField(required=False, allow_null=True, help_text="Username of the person who owns it.")
    owner_contact = serializers.IntegerField(required=False, allow_null=True,
                                             help_text="Id of the partner agency contact who owns it.")

    def validate_due_on(self, value):
        return checked_date(value, "The date the action is to be done by", future=True)

    def validate_owner(self, value):
        if value in (None, ""):
            return None
        user = User.objects.filter(username=value, is_active=True).first()
        if user is None:
            raise serializers.ValidationError(f"Unknown person: {value}.")
        return user

    def validate_owner_contact(self, value):
        return _agency_contact(value)


class RecordActionSerializer(serializers.Serializer):
    done = serializers.BooleanField(help_text="true: done; false: not done (give the reason in note).")
    on = serializers.DateField(required=False, help_text="When (today or earlier). Default: today.")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                 help_text="What happened; required when not done.")

    def validate_on(self, value):
        return checked_date(value, "The date")


class RaisedSerializer(DisputeResolutionSerializer):
    """A DRP just raised, with what the IRO should know but that does not stop it."""

    warnings = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text="For example, that a child already has an open DRP (not a refusal).")

    class Meta(DisputeResolutionSerializer.Meta):
        fields = DisputeResolutionSerializer.Meta.fields + ["warnings"]


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
    agency_contact = serializers.IntegerField(
        required=False, allow_null=True,
        help_text="Address the first stage to this partner agency contact (GET /api/drp/agency-contacts/) "
                  "instead of the social-care line; they are emailed `asked` and the due date.")
    asked = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                  help_text="What the partner agency is asked (emailed: no child's name).")

    def validate_agency_contact(self, value):
        return _agency_contact(value)

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
        return checked_date(value, "Date raised", rule=DRP_DATE)

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

    actions = AgreeActionSerializer(many=True, required=False,
                                    help_text="The actions agreed in this response, each with its own clock.")

    def validate_agreed_by(self, value):
        return checked_date(value, "Agreed by", rule=AGREED_BY)


def _agency_contact(value):
    if value is None:
        return None
    contact = AgencyContact.objects.select_related("agency").filter(pk=value, active=True).first()
    if contact is None:
        raise serializers.ValidationError(f"Unknown agency contact: {value}.")
    return contact


class EscalateSerializer(ExpectedStage):
    reason = serializers.CharField(max_length=10000)
    stage = serializers.SlugField(required=False)
    agency_contact = serializers.IntegerField(
        required=False, allow_null=True,
        help_text="Address the new stage to this partner agency contact instead of the social-care line; "
                  "they are emailed `asked` and the due date, and the IRO records their response.")
    asked = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                  help_text="What the partner agency is asked (emailed: no child's name).")

    def validate_agency_contact(self, value):
        return _agency_contact(value)

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
        help_text="Slugs from GET /api/v1/drp/impact-codes/ (plan-changed, placement-stabilised, ...).")
    child_informed = serializers.BooleanField(help_text="Whether the child has been told the outcome.")
    advocacy_offered = serializers.BooleanField(help_text="Whether the child has been offered an advocate.")
    open_actions = serializers.ChoiceField(
        choices=["keep-open", "not-done"], required=False,
        help_text="What happens to agreed actions still open: keep-open (they stay open with their "
                  "reminders) or not-done (recorded as not done today). Without it, a DRP with open "
                  "actions is refused with 409 naming them.")

    def validate_impact_codes(self, value):
        found = {code.slug: code for code in ImpactCode.objects.filter(slug__in=value, active=True)}
        missing = [slug for slug in value if slug not in found]
        if missing:
            raise serializers.ValidationError(f"Unknown impact code(s): {', '.join(missing)}.")
        return [found[slug] for slug in dict.fromkeys(value)]


class ImpactCodeSerializer(ModelSerializer):
    class Meta:
        model = ImpactCode
        fields = ["slug", "name"]


class ReasonSerializer(ExpectedStage):
    reason = serializers.CharField(max_length=10000)


class PersonField(serializers.CharField):
    """A person named by their username; an unknown username is a 400 naming the field."""

    def __init__(self, **kwargs):
        super().__init__(max_length=150, **kwargs)

    def run_validation(self, data=serializers.empty):
        from people.models import User

        username = super().run_validation(data)
        if username is None or username is serializers.empty:
            return username
        person = User.objects.filter(username=username).first()
        if person is None:
            raise serializers.ValidationError(f"No one has the username {username}.")
        return person


class ReassignSerializer(serializers.Serializer):
    iro = PersonField(help_text="The username of the IRO or Conference Chair.")
    reason = serializers.CharField(max_length=10000)


class CoverSerializer(serializers.Serializer):
    """Cover for an absent responder's DRPs: ``absent`` defaults to the person asking (their
    line manager may name them instead)."""

    absent = PersonField(required=False)
    colleague = PersonField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class CoverEndSerializer(serializers.Serializer):
    """Ending a cover before its last day: why (the person is back early, say)."""

    reason = serializers.CharField(max_length=10000)


class CoverOutSerializer(serializers.ModelSerializer):
    absent = serializers.SlugRelatedField(slug_field="username", read_only=True)
    colleague = serializers.SlugRelatedField(slug_field="username", read_only=True)
    ended_on = serializers.DateField(read_only=True, allow_null=True,
                                     help_text="The day the cover was ended early (null unless ended early).")

    class Meta:
        model = Cover
        fields = ["id", "absent", "colleague", "starts_on", "ends_on", "ended_on", "end_reason"]
