from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import ModelSerializer, TimelineEventSerializer, UTCDateTimeField, checked_date
from children.serializers import validate_child_ids
from workflows.date_rules import DO_DATE, DO_INCIDENT_DATE, DO_PLANNED_DATE, SUBJECT_DATE_OF_BIRTH

from .access import do_team_members
from .models import (
    Action,
    Category,
    DelayReason,
    EmploymentBasis,
    Enquiry,
    Meeting,
    ReferralSource,
    SchoolPhase,
    Sector,
    SettingType,
    TimelineEvent,
)


def vocabulary_field(model, **kwargs):
    """A vocabulary value by slug: read any, write only active ones."""
    return serializers.SlugRelatedField(slug_field="slug", queryset=model.objects.filter(active=True), **kwargs)


class VocabularyItemSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()


class VocabulariesSerializer(serializers.Serializer):
    """Every vocabulary an enquiry uses (active values only), by name."""

    referral_sources = VocabularyItemSerializer(many=True)
    sectors = VocabularyItemSerializer(many=True)
    settings = VocabularyItemSerializer(many=True)
    employment_bases = VocabularyItemSerializer(many=True)
    school_phases = VocabularyItemSerializer(many=True)
    delay_reasons = VocabularyItemSerializer(many=True)
    categories = VocabularyItemSerializer(many=True)


class DoTimelineEventSerializer(TimelineEventSerializer):
    class Meta(TimelineEventSerializer.Meta):
        model = TimelineEvent
        fields = ["at", "actor", "action", "from_status", "to_status", "note"]


class MeetingSerializer(ModelSerializer):
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Meeting
        fields = ["id", "kind", "held_on", "attendees", "minutes", "decisions", "next_review_on",
                  "recorded_by", "recorded_at"]


class ActionSerializer(ModelSerializer):
    etag = serializers.CharField(read_only=True, help_text="Send it in If-Match when changing this action.")

    class Meta:
        model = Action
        fields = ["id", "kind", "regulator", "employer_outcome", "owner_name", "owner_agency", "due_on",
                  "done_on", "notes", "at_closure", "updated_at", "etag"]


class RelatedEnquirySerializer(ModelSerializer):
    class Meta:
        model = Enquiry
        fields = ["id", "reference", "received_at", "status", "outcome"]


class EnquiryListSerializer(ModelSerializer):
    # Imported and anonymous enquiries may lack any of these.
    referral_source = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    sector = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    setting = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    school_phase = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    delay_reason = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True,
                                                help_text="Why the enquiry is past its first target (a vocabulary).")
    employment_basis = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    etag = serializers.CharField(read_only=True, help_text="Send it in If-Match with a change: 412 when the "
                                                           "enquiry has changed since (also the ETag header).")
    officer = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    children = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    non_recent = serializers.BooleanField(
        source="is_non_recent", read_only=True, allow_null=True,
        help_text="The alleged incident was FOOTPRINT_LADO_NON_RECENT_MONTHS (12) months or more before the "
                  "referral; null when its date is not recorded.")
    referred_within_one_working_day = serializers.BooleanField(
        read_only=True, allow_null=True,
        help_text="The referral came within one working day of the employer becoming aware; null when that "
                  "date is not recorded.")
    retention_needs_date_of_birth = serializers.BooleanField(
        read_only=True,
        help_text="No date of birth, and the enquiry is (or may be) kept until the subject's normal pension age: "
                  "its retention review date counts the years alone.")

    class Meta:
        model = Enquiry
        fields = [
            "id", "reference", "status", "received_at", "received_on", "how", "referrer_name",
            "referrer_organisation", "referral_source", "sector", "setting", "school_phase", "subject_name",
            "subject_date_of_birth", "subject_role", "subject_employer", "employment_basis", "children",
            "children_description", "category", "incident_on", "non_recent", "employer_aware_on",
            "referred_within_one_working_day", "officer", "decision_due", "first_meeting_due", "next_review_on",
            "target_1_due", "target_2_due", "target_3_due", "threshold_met", "police_reference",
            "criminal_outcome", "criminal_outcome_detail", "subject_told", "subject_told_on", "parents_told",
            "parents_told_on", "dbs_referral", "dbs_decision", "dbs_decision_on", "outcome", "closed_on",
            "delay_reason", "delay_note", "delay_recorded_on", "legal_hold", "retention_review_on", "retention_needs_date_of_birth", "updated_at", "etag",
        ]
        extra_kwargs = {"first_meeting_due": {"help_text": (
            "Once the threshold is met: the first allegation management meeting or strategy discussion is due "
            "(FOOTPRINT_LADO_FIRST_MEETING_WORKING_DAYS, 5, working days after the decision). The clock runs "
            "while the status is awaiting_meeting.")}}


class EnquirySerializer(EnquiryListSerializer):
    logged_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    criteria = serializers.ListField(child=serializers.CharField(), read_only=True)
    meetings = MeetingSerializer(many=True, read_only=True)
    actions = ActionSerializer(many=True, read_only=True)
    timeline = DoTimelineEventSerializer(many=True, read_only=True)
    earlier_enquiries = serializers.SerializerMethodField()
    later_enquiries = serializers.SerializerMethodField()

    class Meta(EnquiryListSerializer.Meta):
        fields = EnquiryListSerializer.Meta.fields + [
            "summary", "logged_by", "decided_on", "decided_by", "criteria", "rationale", "advice",
            "no_meeting_reason", "cancel_reason", "legal_hold_reason", "meetings", "actions", "earlier_enquiries",
            "later_enquiries", "timeline",
        ]

    def _history(self):
        """(earlier, later): from the context when the view has read them already (to log them)."""
        if not hasattr(self, "_subject_history"):
            from .selectors import subject_history

            self._subject_history = self.context.get("subject_history") or subject_history(self.instance)
        return self._subject_history

    @extend_schema_field(RelatedEnquirySerializer(many=True))
    def get_earlier_enquiries(self, obj) -> list[dict]:
        return RelatedEnquirySerializer(self._history()[0], many=True).data

    @extend_schema_field(RelatedEnquirySerializer(many=True))
    def get_later_enquiries(self, obj) -> list[dict]:
        return RelatedEnquirySerializer(self._history()[1], many=True).data


class ExpectedStatus(serializers.Serializer):
    """A change may name the status the client last saw the enquiry in: if it has moved on since
    (someone else decided or concluded it), the change is refused with 409."""

    from_status = serializers.ChoiceField(
        choices=Enquiry.Status.choices, required=False,
        help_text="Optional: the status the enquiry must be in for this change (409 when it has moved on).")


class EnquiryInputSerializer(ExpectedStatus):
    """Logging an enquiry. The subject's details are asked for but may be blank (a consultation
    below the threshold can be logged without the subject's identity)."""

    received_at = UTCDateTimeField()
    how = serializers.ChoiceField(choices=Enquiry.How.choices, required=False)
    referrer_name = serializers.CharField(max_length=200, allow_blank=True)
    referrer_organisation = serializers.CharField(max_length=200, allow_blank=True)
    referral_source = vocabulary_field(ReferralSource, required=False, allow_null=True)
    sector = vocabulary_field(Sector)
    setting = vocabulary_field(SettingType)
    school_phase = vocabulary_field(SchoolPhase, required=False, allow_null=True)
    subject_name = serializers.CharField(max_length=200, allow_blank=True)
    subject_date_of_birth = serializers.DateField(required=False, allow_null=True)
    subject_role = serializers.CharField(max_length=200, allow_blank=True)
    subject_employer = serializers.CharField(max_length=200, allow_blank=True)
    employment_basis = vocabulary_field(EmploymentBasis, required=False, allow_null=True)
    category = vocabulary_field(Category)
    summary = serializers.CharField(max_length=20000)
    children = serializers.ListField(child=serializers.IntegerField(), required=False)
    children_description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    officer = serializers.SlugRelatedField(
        slug_field="username", required=False,
        queryset=do_team_members())
    incident_on = serializers.DateField(required=False, allow_null=True)
    employer_aware_on = serializers.DateField(required=False, allow_null=True)
    police_reference = serializers.CharField(max_length=60, required=False, allow_blank=True)
    criminal_outcome = serializers.ChoiceField(choices=Enquiry.CriminalOutcome.choices, required=False,
                                               allow_blank=True)
    criminal_outcome_detail = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    subject_told = serializers.BooleanField(required=False, allow_null=True)
    subject_told_on = serializers.DateField(required=False, allow_null=True)
    parents_told = serializers.BooleanField(required=False, allow_null=True)
    parents_told_on = serializers.DateField(required=False, allow_null=True)
    dbs_referral = serializers.ChoiceField(choices=Enquiry.DbsReferral.choices, required=False, allow_blank=True)
    dbs_decision = serializers.ChoiceField(choices=Enquiry.DbsDecision.choices, required=False, allow_blank=True)
    dbs_decision_on = serializers.DateField(required=False, allow_null=True)

    def __init__(self, *args, children_qs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.children_qs = children_qs

    def validate_children(self, value):
        return validate_child_ids(self.children_qs, value)

    def validate_received_at(self, value):
        return checked_date(value, "Date received", rule=DO_DATE)

    def validate_subject_date_of_birth(self, value):
        return checked_date(value, "Date of birth", rule=SUBJECT_DATE_OF_BIRTH)

    def validate_incident_on(self, value):
        return checked_date(value, "Date of the alleged incident", rule=DO_INCIDENT_DATE)

    def validate_employer_aware_on(self, value):
        return checked_date(value, "Date the employer became aware", rule=DO_INCIDENT_DATE)

    def validate_subject_told_on(self, value):
        return checked_date(value, "Date the subject was told", rule=DO_DATE)

    def validate_parents_told_on(self, value):
        return checked_date(value, "Date the parents were told", rule=DO_DATE)

    def validate_dbs_decision_on(self, value):
        return checked_date(value, "Date of the DBS decision", rule=DO_DATE)


class DecideSerializer(ExpectedStatus):
    threshold_met = serializers.BooleanField()
    criteria = serializers.ListField(child=serializers.ChoiceField(choices=Enquiry.Criterion.choices),
                                     required=False, default=list)
    rationale = serializers.CharField(max_length=20000)
    advice = serializers.CharField(max_length=20000, required=False, allow_blank=True)


class MeetingInputSerializer(ExpectedStatus):
    kind = serializers.ChoiceField(choices=Meeting.Kind.choices)
    held_on = serializers.DateField()
    attendees = serializers.CharField(max_length=10000)
    minutes = serializers.CharField(max_length=50000, required=False, allow_blank=True)
    decisions = serializers.CharField(max_length=20000)
    next_review_on = serializers.DateField(required=False, allow_null=True)

    def validate_held_on(self, value):
        return checked_date(value, "Date held", rule=DO_DATE)

    def validate_next_review_on(self, value):
        return checked_date(value, "Next review meeting", rule=DO_PLANNED_DATE)


class ActionInputSerializer(ExpectedStatus):
    kind = serializers.ChoiceField(choices=Action.Kind.choices)
    owner_name = serializers.CharField(max_length=200)
    owner_agency = serializers.CharField(max_length=200, required=False, allow_blank=True)
    due_on = serializers.DateField(required=False, allow_null=True)
    done_on = serializers.DateField(required=False, allow_null=True)
    regulator = serializers.ChoiceField(choices=Action.Regulator.choices, required=False, allow_blank=True)
    employer_outcome = serializers.ChoiceField(choices=Action.EmployerOutcome.choices, required=False,
                                               allow_blank=True)
    notes = serializers.CharField(max_length=10000, required=False, allow_blank=True)

    def validate_due_on(self, value):
        return checked_date(value, "Due date", rule=DO_PLANNED_DATE)

    def validate_done_on(self, value):
        return checked_date(value, "Date done", rule=DO_DATE)


class ActionUpdateSerializer(ActionInputSerializer):
    kind = None
    owner_name = serializers.CharField(max_length=200, required=False)


class ActionAtClosureSerializer(serializers.Serializer):
    """What happens to one open action when the enquiry is concluded."""

    id = serializers.IntegerField()
    decision = serializers.ChoiceField(choices=Action.AtClosure.choices)
    owner = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                  help_text="Who owns it after the enquiry closes (needed for carries-on).")


class ConcludeSerializer(ExpectedStatus):
    outcome = serializers.ChoiceField(choices=Enquiry.Outcome.choices)
    actions = ActionAtClosureSerializer(
        many=True, required=False,
        help_text="One entry for each open action (409 naming them when any is left out).")
    concluded_on = serializers.DateField(required=False)
    note = serializers.CharField(max_length=20000, required=False, allow_blank=True)

    def validate_concluded_on(self, value):
        return checked_date(value, "Date concluded", rule=DO_DATE)


class ConcludeWithoutMeetingSerializer(ExpectedStatus):
    """Only unfounded or malicious: any other outcome is refused by the service (400 on outcome,
    with the reason in words)."""

    outcome = serializers.ChoiceField(choices=Enquiry.Outcome.choices)
    reason = serializers.CharField(max_length=10000, help_text="Why no allegation management meeting is needed.")
    concluded_on = serializers.DateField(required=False)
    actions = ActionAtClosureSerializer(
        many=True, required=False,
        help_text="One entry for each open action (409 naming them when any is left out).")

    def validate_concluded_on(self, value):
        return checked_date(value, "Date concluded", rule=DO_DATE)


class DelaySerializer(ExpectedStatus):
    delay_reason = vocabulary_field(DelayReason, allow_null=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                 help_text="Needed for the reason \"other\".")


class DoReasonSerializer(ExpectedStatus):
    reason = serializers.CharField(max_length=10000)


class LegalHoldSerializer(serializers.Serializer):
    hold = serializers.BooleanField()
    reason = serializers.CharField(max_length=10000)


class RetentionSerializer(ExpectedStatus):
    review_on = serializers.DateField()
    reason = serializers.CharField(max_length=10000)

    def validate_review_on(self, value):
        return checked_date(value, "The next retention review", future=True)


class AccessLogEntrySerializer(serializers.Serializer):
    at = UTCDateTimeField()
    user = serializers.CharField(source="user.username")
    view = serializers.CharField()


class UserReadSerializer(AccessLogEntrySerializer):
    case_id = serializers.IntegerField()
    reference = serializers.SerializerMethodField()

    def get_reference(self, obj) -> str:
        return self.context.get("references", {}).get(obj.case_id, ("", False))[0]


class DestructionLogSerializer(serializers.Serializer):
    case_id = serializers.IntegerField()
    reference = serializers.CharField()
    closure = serializers.CharField()
    received_on = serializers.DateField()
    closed_on = serializers.DateField(allow_null=True)
    retention_review_on = serializers.DateField(allow_null=True)
    destroyed_at = UTCDateTimeField()
    destroyed_by = serializers.CharField(source="destroyed_by.username")
    reason = serializers.CharField()


class RetentionItemSerializer(ModelSerializer):
    """A closed enquiry due for retention review: reference, how it closed and the dates only."""

    class Meta:
        model = Enquiry
        fields = ["id", "reference", "status", "outcome", "closed_on", "retention_review_on", "legal_hold",
                  "retention_needs_date_of_birth"]

    retention_needs_date_of_birth = serializers.BooleanField(
        read_only=True, help_text="No date of birth: check the subject has reached normal pension age before "
                                  "destroying an enquiry kept until then.")
