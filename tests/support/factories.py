"""factory_boy factories for people, children and DRPs."""

from datetime import date

import factory

from children.models import CaseType, Child
from people.models import Role, Team, User


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("footprint-test")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.roles.set(Role.objects.filter(slug__in=extracted))
            self.__dict__.pop("role_slugs", None)


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    reference = factory.Sequence(lambda n: f"C{100000 + n}")
    name = factory.Faker("name")
    date_of_birth = date(2015, 6, 1)
    case_type = CaseType.CLA


def cp_child(org, **kwargs) -> Child:
    """A child on a child protection plan in the org's North Team 1 (the org's own children are
    looked after), for DRPs of type CP."""
    return ChildFactory(case_type=CaseType.CP, team=org.team, social_worker=org.social_worker, **kwargs)


def resolution(outcome: str = "Plan agreed at the review", **overrides) -> dict:
    """What drp_resolve needs besides the DRP and the IRO: the outcome and its impact for the
    child (codes and words), and whether the child was told and offered an advocate."""
    from drp.models import ImpactCode

    return {"outcome": outcome, "impact": "The child's plan now has clear timescales",
            "impact_codes": list(ImpactCode.objects.filter(slug="plan-changed")),
            "child_informed": True, "advocacy_offered": False, **overrides}


#: The same for a resolve form or API body.
RESOLUTION_FORM = {"outcome": "Plan agreed at the review", "impact": "The child's plan now has clear timescales",
                   "impact_codes": ["plan-changed"], "child_informed": "yes", "advocacy_offered": "no"}
