"""Builders for the report tests: direct ORM rows, so every date is exactly as the test says."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from drp import clocks as drp_clocks
from drp.models import DisputeResolution, Stage, Theme
from lado.models import Category, Enquiry, ReferralSource, Sector, SettingType
from positive_practice.models import PositivePractice
from workflows.dates import add_months

_seq = itertools.count(1)
RESOLVED, WITHDRAWN = DisputeResolution.Status.RESOLVED, DisputeResolution.Status.WITHDRAWN


def drp(org, raised_on: date, case_type="CLA", stage="informal", themes=("drift-and-delay",), status=None,
        closed_on: date | None = None, team=None, raised_by=None, children=None,
        cafcass_on: date | None = None) -> DisputeResolution:
    st = Stage.objects.get(key=stage)
    status = status or (RESOLVED if closed_on else DisputeResolution.Status.AWAITING_RESPONSE)
    # The overall clock as drp.services starts it (drp.clocks): from the first formal stage, or
    # from the date raised, as the setting says.
    formal_on = raised_on if st.is_formal else None
    overall_due = drp_clocks.overall_due(drp_clocks.overall_start(raised_on=raised_on,
                                                                 formal_started_on=formal_on))
    d = DisputeResolution.objects.create(
        reference=f"DRP-T{next(_seq):05d}", case_type=case_type, concern="x", team=team or org.team,
        raised_by=raised_by or org.iro, raised_on=raised_on, stage=st, status=status,
        stage_started_on=raised_on, stage_due_date=raised_on + timedelta(days=28),
        formal_started_on=formal_on, overall_due_date=overall_due,
        closed_on=closed_on, closed_at_stage=st if closed_on else None,
        referred_to_cafcass=bool(cafcass_on), referred_to_cafcass_on=cafcass_on,
    )
    d.themes.set(Theme.objects.filter(slug__in=themes))
    d.children.set(children if children is not None else [org.child])
    d.teams.set([d.team] if d.team else [])
    return d


def practice(org, recorded_on: date, case_type="CLA", team=None, recorded_by=None, children=None):
    p = PositivePractice.objects.create(
        reference=f"PP-T{next(_seq):05d}", case_type=case_type, team=team or org.team, what_happened="x",
        impact="y", recorded_by=recorded_by or org.iro, recorded_on=recorded_on)
    p.children.set(children if children is not None else [org.child])
    return p


def enquiry(org, received_on: date, status=Enquiry.Status.AWAITING_DECISION, threshold_met=None, outcome="",
            closed_on: date | None = None, sector="public", setting="education", category="physical",
            source="education") -> Enquiry:
    received_at = timezone.make_aware(datetime.combine(received_on, time(10)))
    return Enquiry.objects.create(
        reference=f"DO-T{next(_seq):05d}", received_at=received_at, received_on=received_on, summary="x",
        subject_name="Someone", logged_by=org.designated_officer, status=status, threshold_met=threshold_met,
        outcome=outcome, closed_on=closed_on, decision_due=received_on + timedelta(days=1),
        target_1_due=add_months(received_on, 1), target_2_due=add_months(received_on, 3),
        target_3_due=add_months(received_on, 12),
        sector=Sector.objects.get(slug=sector) if sector else None,
        setting=SettingType.objects.get(slug=setting) if setting else None,
        category=Category.objects.get(slug=category) if category else None,
        referral_source=ReferralSource.objects.get(slug=source) if source else None,
    )
