from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import conf
from .addresses import RefusedAddress, checked_address
from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription


class EventDataSerializer(serializers.Serializer):
    """What an event says about its case (integrations.events.describe): ids, references, codes
    and the actor's username. Each key is there for the kinds of event it belongs to."""

    drp = serializers.IntegerField(required=False, help_text="DRP events: the DRP's id.")
    positive_practice = serializers.IntegerField(required=False, help_text="Positive practice: its id.")
    drp_reference = serializers.CharField(required=False, allow_null=True,
                                          help_text="Positive practice: the DRP it was recorded on, if any.")
    case = serializers.IntegerField(required=False, help_text="DO events: the DO enquiry's id.")
    reference = serializers.CharField(required=False)
    case_type = serializers.CharField(required=False, help_text="CP or CLA.")
    status = serializers.CharField(required=False)
    stage = serializers.CharField(required=False, help_text="DRP events: the stage now.")
    from_stage = serializers.CharField(required=False, allow_null=True)
    to_stage = serializers.CharField(required=False, allow_null=True)
    from_status = serializers.CharField(required=False, allow_null=True, help_text="DO events.")
    to_status = serializers.CharField(required=False, allow_null=True, help_text="DO events.")
    team = serializers.CharField(required=False, allow_null=True, help_text="Positive practice: the team's slug.")
    children = serializers.ListField(child=serializers.CharField(), required=False,
                                     help_text="The children's case references.")
    actor = serializers.CharField(required=False, allow_null=True, help_text="The username of who did it.")


@extend_schema_field(EventDataSerializer)
class EventDataField(serializers.DictField):
    """Given out as the event stored it; documented by ``EventDataSerializer``."""


class EventSerializer(serializers.Serializer):
    """One event of the changes feed (the same body a webhook POSTs)."""

    id = serializers.CharField(help_text="The event's cursor: pass it as ?after= to read on from here.")
    type = serializers.CharField(help_text="drp.raised, drp.escalated, drp.responded, drp.resolved, "
                                           "drp.withdrawn, drp.referred_to_cafcass, positive_practice.recorded, "
                                           "do.* (DO team only)")
    at = serializers.DateTimeField(help_text="When it happened, UTC.")
    reference = serializers.CharField()
    data = EventDataField(help_text="References of the case and its children, its stage or "
                                    "status, and the actor's username; never names or text.")


class EventPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    next = serializers.CharField(help_text="The cursor to pass as ?after= next time (unchanged when "
                                           "there is nothing new).")
    has_more = serializers.BooleanField(help_text="More events are waiting: read again at once.")


class SubscriptionSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    event_types = serializers.ListField(child=serializers.CharField(max_length=60), required=False,
                                        help_text="Event types to send; empty or left out for every "
                                                  "type the scope allows.")

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "event_types", "scope", "active", "owner", "created_at"]
        read_only_fields = ["owner", "created_at"]

    def validate_url(self, value):
        if not value.startswith("https://") and not conf.webhook_allow_http():
            raise serializers.ValidationError("The receiver's address must start with https://.")
        try:
            checked_address(value)
        except RefusedAddress as exc:
            raise serializers.ValidationError(str(exc)) from None
        return value

    def validate_event_types(self, value):
        from .events import event_types

        known = set(event_types())
        unknown = [t for t in value if t not in known]
        if unknown:
            raise serializers.ValidationError(f"Unknown event type(s): {', '.join(unknown)}.")
        return list(dict.fromkeys(value))

    def validate(self, attrs):
        scope = attrs.get("scope", getattr(self.instance, "scope", WebhookSubscription.Scope.CASEWORK))
        wrong = [t for t in attrs.get("event_types", []) if t.startswith("do.") != (scope == "do")]
        if wrong:
            raise serializers.ValidationError({"event_types": f"Not events of this scope: {', '.join(wrong)}."})
        return attrs


class NewSubscriptionSerializer(SubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown this once: it signs every delivery.")

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["at", "status_code", "error", "duration_ms"]


class DeliverySerializer(serializers.ModelSerializer):
    event = serializers.CharField(source="event.position")
    type = serializers.CharField(source="event.type")
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "event", "type", "status", "attempts", "next_attempt_at", "delivered_at",
                  "last_status_code", "last_error", "attempt_log"]
