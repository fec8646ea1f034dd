"""Helpers shared by the Designated Officer tests (no tests here): building cases through the
real services, one step at a time."""

from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone
from rest_framework.test import APIClient

from lado import services
from lado.models import (
    Category,
    EmploymentBasis,
    Enquiry,
    Meeting,
    ReferralSource,
    Sector,
    SettingType,
)
from workflows.clocks import as_of

from tests.support.auth import api_token


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def details(**overrides) -> dict:
    data = dict(
        summary="Pupil says the teaching assistant grabbed her arm hard enough to bruise.",
        how=Enquiry.How.PHONE,
        referrer_name="Jane Head", referrer_organisation="St Mary's Primary",
        referral_source=ReferralSource.objects.get(slug="education"),
        sector=Sector.objects.get(slug="public"), setting=SettingType.objects.get(slug="education"),
        subject_name="Robert Miles", subject_date_of_birth=date(1980, 5, 17),
        subject_role="Teaching assistant", subject_employer="St Mary's Primary",
        employment_basis=EmploymentBasis.objects.get(slug="permanent"),
        category=Category.objects.get(slug="physical"),
    )
    data.update(overrides)
    return data


def log(org, actor=None, **overrides) -> Enquiry:
    return services.enquiry_log(actor=actor or org.designated_officer, **details(**overrides))


def meet(org, enquiry, criteria=("harmed",), actor=None) -> Enquiry:
    return services.enquiry_decide(enquiry=enquiry, actor=actor or org.designated_officer, threshold_met=True,
                                   criteria=list(criteria), rationale="Bruising reported; may have harmed a child.")


def advise(org, enquiry, actor=None) -> Enquiry:
    return services.enquiry_decide(enquiry=enquiry, actor=actor or org.designated_officer, threshold_met=False,
                                   criteria=[], rationale="Accidental contact while separating pupils.",
                                   advice="Employer to follow its own procedures.")


def hold_meeting(org, enquiry, kind=Meeting.Kind.INITIAL, held_on=None, next_review_on=None, actor=None):
    return services.enquiry_record_meeting(
        enquiry=enquiry, actor=actor or org.designated_officer, kind=kind,
        held_on=held_on or enquiry.received_on,
        attendees="Anita Kaur, DO\nDS Lee, Police\nJane Head, School",
        decisions="Police to investigate; employer to suspend pending investigation.",
        next_review_on=next_review_on,
    )


def in_progress(org, **overrides) -> Enquiry:
    enquiry = meet(org, log(org, **overrides))
    hold_meeting(org, enquiry)
    return Enquiry.objects.get(pk=enquiry.pk)


def concluded(org, outcome="substantiated", on: date | None = None, **overrides) -> Enquiry:
    if on is None:
        enquiry = in_progress(org, **overrides)
        return services.enquiry_conclude(enquiry=enquiry, actor=org.designated_officer, outcome=outcome)
    with as_of(on):
        enquiry = in_progress(org, received_at=at(on), **overrides)
        return services.enquiry_conclude(enquiry=enquiry, actor=org.designated_officer, outcome=outcome)


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def non_do_users(org) -> list:
    """Every role outside the DO team, and a superuser with no role."""
    from tests.support.factories import UserFactory

    admin = UserFactory(username="superuser-no-role", is_staff=True, is_superuser=True)
    return [org.director, org.assistant_director, org.head_of_service, org.service_manager, org.team_manager,
            org.social_worker, org.iro, org.chair, org.iro_manager, org.complaints, org.business_support,
            org.auditor, admin]
