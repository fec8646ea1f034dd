"""Raising, responding to and sweeping reminders for a DRP on a given day, shared by the DRP rule
tests (tests/drp/test_drp_*_rules.py)."""

from drp import services
from drp.models import DisputeResolution, Stage, Theme
from notifications.models import Notification
from workflows.clocks import as_of
from workflows.reminders import run_sweep

Status = DisputeResolution.Status


def stage(key):
    return Stage.objects.get(key=key)


def raise_on(org, day, stage_key="stage-1", children=None, case_type="CLA"):
    with as_of(day):
        return services.drp_raise(actor=org.iro, children=children or [org.child], case_type=case_type,
                                  themes=[Theme.objects.get(slug="placement")], concern="Plan drifting",
                                  stage=stage(stage_key))


def respond_on(org, drp, day, **kwargs):
    with as_of(day):
        return services.drp_respond(drp=drp, actor=drp.addressee, response="We will act", **kwargs)


def sent(on, kinds):
    Notification.objects.all().delete()
    return {(r.kind, r.phase): set(r.recipients) for r in run_sweep(on, kinds=kinds)}
