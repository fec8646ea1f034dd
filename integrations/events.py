"""The events log: one ``Event`` per case event another system may want, written in the same
transaction as the case's own timeline event.

Hooked in one place: every app's timeline model (a subclass of
``workflows.models.TimelineEvent``) is connected here, so each service that appends to a
timeline (DRP raised, escalated, responded, resolved, withdrawn, referred to Cafcass; positive
practice recorded; every DO enquiry event) writes its event with no change to the service. Imports
and recounted deadlines are not events (bulk imports write no timeline through ``save``).

Payloads name cases and children by reference and people by username, never by name: a
receiving system already knows the child, and text (concerns, responses, outcomes) stays in
Footprint behind its access rules.
"""

from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import post_save

from workflows.models import ReferenceSequence
from workflows.models import TimelineEvent as BaseTimelineEvent

from .models import Event, WebhookDelivery, WebhookSubscription

Area = Event.Area

#: Timeline actions that are events, per app: action -> event type.
DRP_TYPES = {"raised": "drp.raised", "escalated": "drp.escalated", "responded": "drp.responded",
             "resolved": "drp.resolved", "withdrawn": "drp.withdrawn",
             "referred-to-cafcass": "drp.referred_to_cafcass"}
POSITIVE_PRACTICE_TYPES = {"recorded": "positive_practice.recorded"}
NOT_DO_EVENTS = {"imported"}


def event_types() -> list[str]:
    """Every event type, for subscriptions and the schema."""
    from lado.models import TimelineEvent as DoTimelineEvent

    do_types = [f"do.{value.replace('-', '_')}" for value in DoTimelineEvent.Event.values
                if value not in NOT_DO_EVENTS]
    return [*DRP_TYPES.values(), *POSITIVE_PRACTICE_TYPES.values(), *do_types]


def connect_timelines() -> None:
    for model in apps.get_models():
        if issubclass(model, BaseTimelineEvent):
            post_save.connect(timeline_event_saved, sender=model, dispatch_uid=f"events-{model._meta.label}")


def _actor(entry) -> str | None:
    return entry.actor.get_username() if entry.actor_id else None


def describe(entry) -> tuple[str, str, object, dict] | None:
    """(type, area, case, data) for a timeline entry that is an event, else None."""
    app = entry._meta.app_label
    if app == "drp" and entry.action in DRP_TYPES:
        drp = entry.drp
        return DRP_TYPES[entry.action], Area.DRP, drp, {
            "drp": drp.pk, "reference": drp.reference, "case_type": drp.case_type, "status": drp.status,
            "stage": drp.stage.key, "from_stage": entry.from_stage or None, "to_stage": entry.to_stage or None,
            "children": sorted(drp.children.values_list("reference", flat=True)),
        }
    if app == "positive_practice" and entry.action in POSITIVE_PRACTICE_TYPES:
        pp = entry.positive_practice
        return POSITIVE_PRACTICE_TYPES[entry.action], Area.POSITIVE_PRACTICE, pp, {
            "positive_practice": pp.pk, "reference": pp.reference, "case_type": pp.case_type,
            "team": pp.team.slug if pp.team_id else None, "drp_reference": pp.drp.reference if pp.drp_id else None,
            "children": sorted(pp.children.values_list("reference", flat=True)),
        }
    if app == "lado" and entry.action not in NOT_DO_EVENTS:
        enquiry = entry.enquiry
        return f"do.{entry.action.replace('-', '_')}", Area.DO, enquiry, {
            "case": enquiry.pk, "reference": enquiry.reference, "status": enquiry.status,
            "from_status": entry.from_status or None, "to_status": entry.to_status or None,
        }
    return None


def timeline_event_saved(sender, instance, created, raw=False, **kwargs):
    if not created or raw:
        return
    described = describe(instance)
    if described is None:
        return
    type_, area, case, data = described
    record(type_, area, case, {**data, "actor": _actor(instance)}, at=instance.at)


def record(type_: str, area: str, case, data: dict, at=None) -> Event:
    """Append an event, and its webhook deliveries, inside the caller's transaction. The
    position counter stays locked until the transaction commits, so positions follow commit
    order and a feed reader's cursor never passes an event still to commit."""
    with transaction.atomic():
        position = ReferenceSequence.next("events")
        event = Event.objects.create(position=position, type=type_, area=area, object_id=case.pk,
                                     reference=getattr(case, "reference", "") or "", data=data,
                                     **({"at": at} if at else {}))
        deliveries = [WebhookDelivery(subscription=subscription, event=event)
                      for subscription in subscribers(event)]
        WebhookDelivery.objects.bulk_create(deliveries)
    if deliveries:
        from .webhooks import queue_deliveries

        ids = [d.pk for d in WebhookDelivery.objects.filter(event=event).only("pk")]
        transaction.on_commit(lambda: queue_deliveries(ids))
    return event


def events_visible_to(user) -> QuerySet[Event]:
    """The events about cases ``user`` may read: DRPs and positive practice through their own
    selectors, DO enquiries only for the DO team. Subqueries, so a page is one query."""
    from drp.selectors import drps_visible_to
    from lado.access import is_do_team
    from positive_practice.selectors import positive_practice_visible_to

    visible = (Q(area=Area.DRP, object_id__in=drps_visible_to(user).values("pk"))
               | Q(area=Area.POSITIVE_PRACTICE,
                   object_id__in=positive_practice_visible_to(user).values("pk")))
    if is_do_team(user):
        visible |= Q(area=Area.DO)
    return Event.objects.filter(visible)


def subscription_sees(subscription: WebhookSubscription, event: Event) -> bool:
    """Exactly the events the subscription may be sent: its scope's area, its types, and only
    what its owner may read now."""
    if not subscription.active or not subscription.wants(event.type):
        return False
    if (event.area == Area.DO) != (subscription.scope == WebhookSubscription.Scope.DO):
        return False
    return events_visible_to(subscription.owner).filter(pk=event.pk).exists()


def subscribers(event: Event) -> list[WebhookSubscription]:
    return [subscription for subscription in WebhookSubscription.objects.filter(active=True).select_related("owner")
            if subscription_sees(subscription, event)]
