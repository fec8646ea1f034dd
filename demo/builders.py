"""Builds the demo organisation, children and DRPs through the real services."""

from __future__ import annotations

import random
from datetime import date, timedelta

from children.models import CaseType, Child
from drp import services as drp_services
from drp.models import DisputeResolution, ImpactCode, Stage, Theme
from people import roles
from people.models import Role, Team, User
from workflows.calendar import add_working_days
from workflows.clocks import as_of, today

DEMO_PASSWORD = "footprint-demo"

FIRST_NAMES = ["Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Leo", "Freya", "Arthur",
               "Poppy", "Harry", "Ivy", "Jack", "Grace", "Theo", "Rosie", "Alfie", "Evie", "Charlie",
               "Lily", "Oscar", "Sophia", "Finley", "Ella", "Archie", "Ruby", "Henry", "Willow", "Jacob"]
SURNAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
            "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
            "Khan", "Lewis", "Clarke", "Jackson", "Wood", "Hughes"]
CONCERNS = [
    "The child's care plan has not been updated since the last review and actions are drifting.",
    "The assessment agreed at conference has not been completed within the timescale.",
    "Reports were not shared with the family before the review meeting.",
    "Placement stability: no plan has been made following the carer's notice.",
    "Family time arrangements agreed at review have not started.",
    "Permanence planning has not progressed since the second review.",
    "Statutory visits are overdue and the child has not been seen alone.",
    "The child's health assessment is out of date.",
]
RESPONSES = [
    "Agreed. The social worker will complete the assessment by the end of the month; I will review it.",
    "Care plan to be updated this week and shared with the IRO before the next review.",
    "A placement planning meeting is booked for next Tuesday.",
    "Apologies: reports will be shared five working days before each review from now on.",
]

PEOPLE = [
    # username, first, last, roles
    ("iro", "Priya", "Shah", [roles.IRO]),
    ("chair", "Tom", "Okafor", [roles.CHAIR]),
    ("iro-manager", "Helen", "Marsh", [roles.IRO_MANAGER]),
    ("social-worker", "Sam", "Ellis", [roles.SOCIAL_WORKER]),
    ("team-manager", "Rachel", "Byrne", [roles.TEAM_MANAGER]),
    ("service-manager", "David", "Ng", [roles.SERVICE_MANAGER]),
    ("head-of-service", "Fiona", "Price", [roles.HEAD_OF_SERVICE]),
    ("assistant-director", "Mark", "Adeyemi", [roles.ASSISTANT_DIRECTOR]),
    ("director", "Claire", "Lowe", [roles.DIRECTOR]),
    ("designated-officer", "Anita", "Kaur", [roles.DESIGNATED_OFFICER]),
    ("do-manager", "Peter", "Hale", [roles.DO_MANAGER]),
    ("complaints", "Jo", "Reid", [roles.COMPLAINTS]),
    ("business-support", "Kim", "Doyle", [roles.BUSINESS_SUPPORT]),
    ("auditor", "Alex", "Morgan", [roles.AUDITOR]),
]


def build_people() -> dict[str, User]:
    """One account per role (username = role slug) and the line-management tree."""
    users = {}
    for username, first, last, role_slugs in PEOPLE:
        user, _ = User.objects.get_or_create(username=username, defaults={
            "first_name": first, "last_name": last, "email": f"{username}@footprint.example"})
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.roles.set(Role.objects.filter(slug__in=role_slugs))
        users[username] = user
    users["iro-manager"].is_staff = users["iro-manager"].is_superuser = True
    users["iro-manager"].save()

    def team(name, parent, manager):
        unit, _ = Team.objects.update_or_create(
            slug=name.lower().replace(" ", "-").replace("'", ""),
            defaults={"name": name, "parent": parent, "manager": manager})
        return unit

    directorate = team("Children's Services", None, users["director"])
    division = team("Safeguarding and Children in Care", directorate, users["assistant-director"])
    service = team("Children in Care Service", division, users["head-of-service"])
    area = team("North Area", service, users["service-manager"])
    north = team("North Team 1", area, users["team-manager"])
    for username in ("social-worker", "team-manager"):
        users[username].team = north
        users[username].save()
    return users


def build_children(users, count=40) -> list[Child]:
    rng = random.Random(7)
    team = users["team-manager"].team
    children = []
    for n in range(count):
        child, _ = Child.objects.update_or_create(reference=f"FP{10001 + n}", defaults={
            "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
            "date_of_birth": date(2008, 1, 1) + timedelta(days=rng.randrange(0, 15 * 365)),
            "case_type": CaseType.CLA if n % 3 else CaseType.CP,
            "social_worker": users["social-worker"], "team": team,
        })
        children.append(child)
    return children


def _next_step_day(day: date, rng: random.Random, stop: date) -> date:
    return min(add_working_days(day, rng.randint(3, 18)), stop)


def build_drps(users, children, count=80) -> int:
    """DRPs in every status and stage, raised over the last 18 months, moved through the
    real services on the days they happened."""
    if DisputeResolution.objects.exists():
        return 0
    rng = random.Random(42)
    ladder = list(Stage.objects.all())
    themes = list(Theme.objects.filter(active=True))
    impacts = list(ImpactCode.objects.filter(active=True))
    end = today()
    challengers = [users["iro"], users["chair"], users["iro"]]
    responders = {"informal": "social-worker", "stage-1": "team-manager", "stage-2": "service-manager",
                  "stage-3": "head-of-service", "stage-4": "assistant-director", "stage-5": "director"}
    made = 0
    for n in range(count):
        # Most recent ones stay open; older ones close.
        raised_on = end - timedelta(days=int(540 * (n / count) ** 1.3))
        while raised_on.weekday() >= 5:
            raised_on -= timedelta(days=1)
        iro = challengers[n % len(challengers)]
        first = rng.choice(children)
        same_type = [child for child in children if child.case_type == first.case_type]
        siblings = [first] + ([rng.choice(same_type)] if rng.random() < 0.2 else [])
        if n < 2 * len(ladder):
            # The newest: one open DRP awaiting response and one awaiting review at every stage.
            start = target_stage = ladder[n % len(ladder)]
            ending = "open" if n < len(ladder) else "open-reviewed"
        else:
            start = ladder[0] if rng.random() < 0.7 else rng.choice(ladder[1:3])
            target_stage = ladder[min(len(ladder) - 1, start.order + rng.choice([0, 0, 1, 1, 2, 3, 5]))]
            ending = rng.choice(["resolved", "resolved", "resolved", "withdrawn", "open", "open-reviewed"])
        with as_of(raised_on):
            drp = drp_services.drp_raise(
                actor=iro, children=list(dict.fromkeys(siblings)),
                case_type=first.case_type, themes=rng.sample(themes, rng.randint(1, 3)),
                concern=rng.choice(CONCERNS), stage=start, raised_on=raised_on)
        day = raised_on
        while True:
            day = _next_step_day(day, rng, end)
            responder = users[responders[drp.stage.key]]
            if ending == "open" and drp.stage.order >= target_stage.order:
                break  # left awaiting a response
            with as_of(day):
                # Four responses in ten agree a date; the IRO is reminded to check it.
                agreed_by = add_working_days(day, rng.randint(5, 25)) if rng.random() < 0.4 else None
                drp = drp_services.drp_respond(drp=drp, actor=responder, response=rng.choice(RESPONSES),
                                               agreed_by=agreed_by)
            if drp.stage.order >= target_stage.order:
                break
            day = _next_step_day(day, rng, end)
            with as_of(day):
                drp = drp_services.drp_escalate(
                    drp=drp, actor=iro, reason="The agreed actions have not happened within the timescale.")
        if drp.case_type == CaseType.CLA and rng.random() < 0.15:
            with as_of(day):
                drp = drp_services.drp_refer_to_cafcass(
                    drp=drp, actor=iro, reason="Drift in permanence planning is harming the child.")
        if ending in ("resolved", "withdrawn"):
            day = _next_step_day(day, rng, end)
            with as_of(day):
                if ending == "resolved":
                    drp_services.drp_resolve(
                        drp=drp, actor=iro, outcome="Actions completed and the plan is back on track.",
                        impact="The child's plan now has clear timescales and they have been seen.",
                        impact_codes=rng.sample(impacts, rng.randint(1, 2)),
                        child_informed=rng.random() < 0.8, advocacy_offered=rng.random() < 0.5)
                else:
                    drp_services.drp_withdraw(drp=drp, actor=iro,
                                              reason="Resolved through the review meeting instead.")
        made += 1
    return made


PRAISE = [
    ("Visited the child every week through the placement move and kept them informed.",
     "The child said they felt safe and knew what was happening."),
    ("Shared the review reports five days early and met the child beforehand to hear their views.",
     "The child's wishes shaped the care plan agreed at the review."),
    ("Arranged family time with siblings within days of the review recommendation.",
     "The siblings now see each other every fortnight."),
    ("Completed the updated assessment ahead of the timescale set at conference.",
     "The plan could be reviewed on time and the child was not left in limbo."),
]


def build_positive_practice(users, children, count=30) -> int:
    """Positive practice over the last 18 months, through the real service."""
    from positive_practice.models import PositivePractice
    from positive_practice.services import positive_practice_record

    if PositivePractice.objects.exists():
        return 0
    rng = random.Random(11)
    end = today()
    recorders = [users["iro"], users["chair"]]
    for n in range(count):
        day = end - timedelta(days=int(540 * n / count))
        child = rng.choice(children)
        what, impact = rng.choice(PRAISE)
        extra = {"practitioner_name": "Mrs Okoro, foster carer"} if n % 7 == 3 else {}
        with as_of(day):
            positive_practice_record(actor=recorders[n % 2], children=[child], case_type=child.case_type,
                                     what_happened=what, impact=impact, recorded_on=day, **extra)
    return count
