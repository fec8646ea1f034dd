"""Demo Designated Officer casework: about 60 enquiries over the last 18 months, in every status
and outcome, moved through the real services on the days they happened (``as_of``): first
meetings due and held (some as strategy discussions, some late), a few clearly unfounded or
malicious allegations concluded without a meeting, the incident and employer-aware dates, police
references and outcomes, who was told and DBS referrals, and a longer retention period for
sexual abuse."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from lado import services
from lado.models import (
    Category,
    CategoryRetention,
    EmploymentBasis,
    Enquiry,
    ReferralSource,
    Sector,
    SettingType,
)
from workflows.calendar import add_working_days
from workflows.clocks import as_of, today

# name, date of birth, role, employer, setting, sector, employment basis
SUBJECTS = [
    ("Daniel Harper", date(1984, 3, 12),
     "Teaching assistant", "Oakfield Primary School", "education", "public", "permanent"),
    ("Sarah Collins", date(1979, 11, 2),
     "Nursery practitioner", "Little Acorns Nursery", "early-years", "private", "permanent"),
    ("Mark Fenwick", date(1971, 6, 23),
     "Football coach", "Northside Juniors FC", "sport-leisure", "voluntary", "volunteer"),
    ("Aisha Rahman", date(1990, 1, 30),
     "Residential support worker", "Willow House Children's Home", "residential-care", "private", "agency"),
    ("Gareth Powell", date(1966, 9, 8),
     "Foster carer", "Brightpath Fostering", "foster-care", "independent", "permanent"),
    ("Lucy Brennan", date(1995, 4, 17),
     "Supply teacher", "Riverside Academy", "education", "public", "agency"),
    ("Tomasz Nowak", date(1982, 12, 1),
     "Taxi driver (school transport)", "City Cabs", "transport", "private", "temporary"),
    ("Rev. Paul Andrews", date(1958, 2, 14),
     "Youth leader", "St Luke's Church", "faith", "voluntary", "volunteer"),
    ("Nadia Ellis", date(1988, 8, 21),
     "Paediatric nurse", "County Hospital", "health", "public", "permanent"),
    ("Craig Watson", date(1975, 5, 5),
     "PE teacher", "Hillcrest School", "education", "independent", "permanent"),
    ("Emma Stokes", date(1992, 10, 10),
     "Childminder", "Self-employed childminder", "early-years", "private", "permanent"),
    ("Jason Pike", date(1986, 7, 19),
     "Police officer", "County Police", "police", "public", "permanent"),
    ("Hannah Lowe", date(1998, 3, 3),
     "Swimming instructor", "Leisure Centre", "sport-leisure", "public", "temporary"),
    ("Simon Burke", date(1969, 1, 25),
     "Social worker", "Children's Services", "social-care", "public", "permanent"),
    ("Olivia Grant", date(1994, 6, 11),
     "Learning support assistant", "Meadow Special School", "education", "public", "permanent"),
    ("Kevin Marsh", date(1980, 2, 28),
     "Bus escort", "Council transport", "transport", "public", "temporary"),
    ("Priya Desai", None,  # date of birth not known: the retention flag
     "Music tutor", "Music Hub", "other", "voluntary", "temporary"),
    ("Ben Thornton", date(1991, 9, 15),
     "Scout leader", "1st Northside Scouts", "sport-leisure", "voluntary", "volunteer"),
]
SUMMARIES = {
    "physical": ["A pupil reports being pushed against a wall.", "Bruising seen after the child was restrained.",
                 "A child says they were slapped during a tantrum."],
    "sexual": ["Inappropriate messages to a child on social media.", "Concern about unsupervised one-to-one contact.",
               "A young person disclosed touching."],
    "emotional": ["Repeated shouting and humiliation of a child in front of peers.",
                  "Threats made to a child about being sent away."],
    "neglect": ["Children left unsupervised on a trip.", "A child's medication repeatedly not given."],
    "suitability": ["Arrested for domestic abuse at home (transferable risk).",
                    "Found in possession of indecent images (private life)."],
}
REFERRERS = [("Jane Head", "Oakfield Primary School", "education"), ("DS Amir Lee", "County Police", "police"),
             ("Claire Moss", "Ofsted", "ofsted"), ("Mrs Patel", "Parent", "parent-carer"),
             ("HR Manager", "Employer", "employer"), ("Dr Owen", "County Hospital", "health"),
             ("Anonymous caller", "", "anonymous"), ("Duty social worker", "Children's Services", "social-care")]
OUTCOMES = ["substantiated", "unsubstantiated", "unfounded", "false", "malicious"]
ACTIONS = [("police-investigation", "DS Amir Lee", "County Police"),
           ("employer-investigation", "HR Manager", "Employer"),
           ("suspension", "Head of setting", "Employer"),
           ("section-47-enquiry", "Duty team manager", "Children's Services"),
           ("risk-assessment", "Head of setting", "Employer")]


def _received_at(day: date, rng: random.Random) -> datetime:
    moment = timezone.make_aware(datetime.combine(day, time(rng.randint(8, 16), rng.choice([0, 10, 25, 40, 55]))))
    now = timezone.now()
    if moment > now:  # today's calls: earlier today, never in the future
        moment = max(now - timedelta(minutes=rng.randint(5, 90)),
                     timezone.make_aware(datetime.combine(day, time(0, 1))))
    return moment


def _step(day: date, rng: random.Random, low: int, high: int) -> date:
    return add_working_days(day, rng.randint(low, high))


def build_enquiries(users, children, count: int = 60) -> int:
    """Enquiries in every status and outcome; the newest stay open. Returns how many were made."""
    if Enquiry.objects.exists():
        return 0
    rng = random.Random(2024)
    officer, manager = users["designated-officer"], users["do-manager"]
    end = today()
    vocab = {model: {row.slug: row for row in model.objects.all()}
             for model in (Category, EmploymentBasis, ReferralSource, Sector, SettingType)}
    categories = list(SUMMARIES)
    # Plan the endings: the newest are open, the rest spread over advice, outcomes and cancellations.
    plan = (["awaiting_decision"] * 5 + ["awaiting_meeting"] * 4 + ["in_progress"] * 11)
    closed = (["advice_given"] * 14 + [f"concluded:{o}" for o in OUTCOMES] * 4 + ["cancelled"] * 6)
    rng.shuffle(closed)
    plan += closed
    plan = plan[:count]
    made = 0
    destroyed_one = False
    for n, ending in enumerate(plan):
        received = end - timedelta(days=int(545 * (n / max(1, len(plan) - 1)) ** 1.15))
        if ending == "awaiting_decision":
            received = end - timedelta(days=[0, 0, 1, 1, 4][n % 5])  # today's calls, and one overdue
        if ending == "awaiting_meeting":  # first meetings due soon, on track and one overdue
            received = end - timedelta(days=[1, 3, 7, 20][n % 4])
        while received.weekday() >= 5:
            received -= timedelta(days=1)
        subject = SUBJECTS[n % len(SUBJECTS)] if n % 7 else SUBJECTS[(n // 7) % 4]  # some people recur
        name, dob, role, employer, setting, sector, basis = subject
        anonymous = ending == "advice_given" and rng.random() < 0.3
        category = rng.choice(categories)
        referrer_name, referrer_org, source = rng.choice(REFERRERS)
        linked = [rng.choice(children)] if children and rng.random() < 0.35 else []
        actor = officer if rng.random() < 0.8 else manager
        # When it happened: most recent, some non-recent (years before); employers usually refer
        # within a working day of becoming aware, not always.
        incident = received - timedelta(days=rng.choice([0, 1, 2, 3, 7, 14, 30, 400, 2200]))
        aware = (received - timedelta(days=rng.choice([0, 1, 1, 3, 6]))
                 if source in ("education", "employer", "health") else None)
        with as_of(received):
            enquiry = services.enquiry_log(
                actor=actor, received_at=_received_at(received, rng),
                how=rng.choice(["phone", "phone", "email", "form"]),
                referrer_name=referrer_name, referrer_organisation=referrer_org,
                referral_source=vocab[ReferralSource][source], sector=vocab[Sector][sector],
                setting=vocab[SettingType][setting], category=vocab[Category][category],
                subject_name="" if anonymous else name, subject_date_of_birth=None if anonymous else dob,
                subject_role=role, subject_employer="" if anonymous else employer,
                employment_basis=vocab[EmploymentBasis][basis],
                children=linked, children_description="" if linked else "A child at the setting.",
                summary=rng.choice(SUMMARIES[category]), officer=officer,
                incident_on=incident, employer_aware_on=aware,
            )
        made += 1
        if ending == "awaiting_decision":
            continue
        day = min(_step(received, rng, 0, 2), end)
        if ending == "cancelled" and rng.random() < 0.5:
            with as_of(day):
                services.enquiry_cancel(enquiry=enquiry, actor=officer, reason="The referrer withdrew the concern.")
            continue
        with as_of(day):
            if ending == "advice_given":
                services.enquiry_decide(
                    enquiry=enquiry, actor=actor, threshold_met=False, criteria=[],
                    rationale="The behaviour described does not meet the harm test.",
                    advice="Advice given to the employer to address conduct through its own procedures.")
                continue
            criteria = rng.sample(["harmed", "criminal-offence", "risk-of-harm", "unsuitable"], rng.randint(1, 2))
            enquiry = services.enquiry_decide(
                enquiry=enquiry, actor=actor, threshold_met=True, criteria=criteria,
                rationale="The allegation, if true, would meet the harm test.")
        if ending == "awaiting_meeting":
            continue
        if ending in ("concluded:unfounded", "concluded:malicious") and rng.random() < 0.35:
            # Clearly unfounded or malicious: concluded without a meeting, saying why.
            with as_of(day):
                services.enquiry_conclude_without_meeting(
                    enquiry=enquiry, actor=manager, outcome=ending.split(":")[1],
                    reason="The child's account was withdrawn and the setting's records show the adult was "
                           "not on site that day: no meeting is needed.")
            continue
        day = _step(day, rng, 1, 6)  # now and then later than the first meeting is due
        if day > end:
            continue
        actions = rng.sample(ACTIONS, rng.randint(1, 3))
        police = any(kind in ("police-investigation", "section-47-enquiry") for kind, *_ in actions)
        with as_of(day):
            services.enquiry_record_meeting(
                enquiry=enquiry, actor=officer, kind="strategy" if police else "initial", held_on=day,
                attendees="Anita Kaur, Designated Officer\nDS Amir Lee, Police\nHead of setting, Employer",
                decisions="Strategy agreed; actions below.", minutes="Information shared by each agency.",
                next_review_on=add_working_days(day, 20))
            for kind, owner, agency in actions:
                services.enquiry_add_action(enquiry=enquiry, actor=officer, kind=kind, owner_name=owner,
                                            owner_agency=agency, due_on=add_working_days(day, rng.randint(5, 25)))
            told = {"subject_told": True, "subject_told_on": day}
            if rng.random() < 0.7:
                told |= {"parents_told": True, "parents_told_on": day}
            if police:
                told |= {"police_reference": f"CR/{rng.randint(1000, 9999)}/{day:%y}"}
            enquiry = services.enquiry_update(enquiry=enquiry, actor=officer, **told)
        # How long the enquiry runs: most within a month or three, a few longer.
        duration = rng.choice([10, 15, 18, 30, 45, 60, 90, 130])
        conclude_on = add_working_days(received, duration)
        reviews = 0
        while True:
            day = add_working_days(day, 20)
            if day > end or (ending.startswith("concluded") and day >= conclude_on) or reviews >= 4:
                break
            reviews += 1
            with as_of(day):
                services.enquiry_record_meeting(
                    enquiry=enquiry, actor=officer, kind="review", held_on=day,
                    attendees="Anita Kaur, Designated Officer\nHead of setting, Employer",
                    decisions="Investigations continuing.", next_review_on=add_working_days(day, 20))
                for action in enquiry.actions.filter(done_on__isnull=True, due_on__lte=day):
                    services.enquiry_update_action(action=action, actor=officer, done_on=day)
        if not ending.startswith("concluded"):
            if ending == "cancelled":
                with as_of(min(day, end)):
                    services.enquiry_cancel(enquiry=enquiry, actor=manager,
                                            reason="The police investigation replaced the process.")
            continue
        outcome = ending.split(":")[1]
        conclude_on = min(conclude_on, end)
        with as_of(conclude_on):
            record = {}
            if enquiry.police_reference:
                record["criminal_outcome"] = "convicted" if outcome == "substantiated" else "no-further-action"
            if outcome == "substantiated":
                record["dbs_referral"] = "referred"
            if record:
                enquiry = services.enquiry_update(enquiry=enquiry, actor=officer, **record)
            services.enquiry_record_meeting(
                enquiry=enquiry, actor=officer, kind="outcome", held_on=conclude_on,
                attendees="Anita Kaur, Designated Officer\nHead of setting, Employer",
                decisions=f"Outcome agreed: {outcome}.")
            # Whatever is still open was done by the outcome meeting.
            settled = [{"id": action.pk, "decision": "done"} for action in services.open_actions_of(enquiry)]
            enquiry = services.enquiry_conclude(enquiry=enquiry, actor=manager, outcome=outcome,
                                                concluded_on=conclude_on, actions=settled)
        if enquiry.retention_review_on and enquiry.retention_review_on <= end:
            if not destroyed_one and outcome == "malicious":
                services.enquiry_destroy(enquiry=enquiry, actor=manager,
                                         reason="Retention period ended; no further concerns.")
                destroyed_one = True
            elif outcome in ("false", "unfounded") and not Enquiry.objects.filter(legal_hold=True).exists():
                services.enquiry_set_legal_hold(enquiry=enquiry, actor=manager,
                                                reason="Subject access request and complaint in progress.")
    # A longer retention period for sexual abuse, set by the DO Manager with the rules.
    sexual = vocab[Category].get("sexual")
    if sexual is not None and not CategoryRetention.objects.filter(category=sexual).exists():
        services.category_retention_change(
            category=sexual, actor=manager, years=25, note="Records of child sexual abuse kept longer.",
            reason="Local policy: allegations of sexual abuse are kept at least 25 years from the allegation.")
    return made
