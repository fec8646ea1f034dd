"""Every record about a subject, as plain data (lists, dicts and strings), and the third parties
named in it.

One structure serves the preview page, each HTML document in the ZIP, ``data.json`` and
``data.csv``, so redaction is applied once, to every string in it, and cannot miss a format:

    {"kind": "DRP", "reference": "DRP-00001", "title": "...",
     "fields": [["Concern", "..."], ...],
     "tables": [{"title": "Timeline", "columns": [...], "rows": [[...], ...]}]}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Prefetch
from django.utils import timezone

from children.models import Child
from drp.models import Stage, StageRecord
from drp.models import TimelineEvent as DrpEvent
from lado.models import Action, Enquiry, Meeting, name_key
from lado.models import TimelineEvent as DoEvent
from positive_practice.models import TimelineEvent as PpEvent

REDACTED = "[redacted]"


# --- Third parties --------------------------------------------------------------------------------


@dataclass
class ThirdParty:
    """Someone other than the subject named in the records, who may be redacted."""

    key: str
    name: str
    terms: list[str]
    redact_by_default: bool = False
    descriptions: list[str] = field(default_factory=list)

    @property
    def description(self) -> str:
        return "; ".join(self.descriptions)


class ThirdParties:
    """Collects third parties while records are built; the subject is never one of them."""

    def __init__(self, *, subject_child: Child | None = None, subject_name: str = ""):
        self._found: dict[str, ThirdParty] = {}
        self._subject_child_id = subject_child.pk if subject_child else None
        self._subject_key = name_key(subject_name)

    def _add(self, key, name, terms, description, default=False) -> str:
        name = (name or "").strip()
        if not name:
            return ""
        party = self._found.get(key)
        if party is None:
            party = self._found[key] = ThirdParty(key=key, name=name, terms=[t for t in terms if t],
                                                  redact_by_default=default)
        if description and description not in party.descriptions:
            party.descriptions.append(description)
        return name

    def user(self, user, description: str) -> str:
        """A member of staff, by the name the records show for them."""
        if user is None:
            return ""
        return self._add(f"user:{user.pk}", str(user), [str(user)], description)

    def child(self, child: Child, description: str) -> str:
        """Another child: name and case reference, redacted unless the manager decides otherwise."""
        if child is None or child.pk == self._subject_child_id:
            return f"{child.name} ({child.reference})" if child else ""
        self._add(f"child:{child.pk}", child.name, [child.name, child.reference], description, default=True)
        return f"{child.name} ({child.reference})"

    def name(self, text: str, description: str) -> str:
        """Someone named in free text (a referrer, an attendee, a carer): not the subject."""
        key = name_key(text)
        if not key or key == self._subject_key:
            return text or ""
        return self._add(f"name:{key}", text, [text.strip()], description)

    def all(self) -> list[ThirdParty]:
        """Other children first (they are redacted by default), then everyone else by name."""
        return sorted(self._found.values(), key=lambda p: (not p.redact_by_default, p.name.casefold()))


# --- Formatting --------------------------------------------------------------------------------


def _date(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""


def _when(value: datetime | None) -> str:
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{local.day} {local:%B %Y}, {local:%H:%M}"


def _yes(value: bool) -> str:
    return "Yes" if value else "No"


def _told(told, on) -> str:
    if told is None:
        return ""
    return f"Yes, {_date(on)}" if told else "No"


def _fields(*pairs) -> list[list[str]]:
    """Label/value pairs, leaving out empty values (a record shows what it holds)."""
    return [[label, str(value)] for label, value in pairs if value not in (None, "")]


def _timeline(events, people: ThirdParties, stage_names: dict[str, str] | None = None) -> dict:
    stage_names = stage_names or {}
    rows = [[_when(e.at), e.get_action_display(), people.user(e.actor, "Acted on the case") or "System",
             stage_names.get(e.from_state, e.from_state), stage_names.get(e.to_state, e.to_state), e.note]
            for e in events]
    return {"title": "Timeline", "columns": ["When", "What happened", "By", "From", "To", "Note"], "rows": rows}


# --- A child's records --------------------------------------------------------------------------


def child_records(child: Child, drps, positive_practice, people: ThirdParties) -> list[dict]:
    """The child's own record, every DRP about them (stages and timeline) and every positive
    practice record about them. ``drps`` and ``positive_practice`` are the querysets the
    requesting manager may see."""
    records = [{
        "kind": "Child record", "reference": child.reference, "title": f"Child record {child.reference}",
        "fields": _fields(
            ("Case reference", child.reference), ("Name", child.name), ("Date of birth", _date(child.date_of_birth)),
            ("Plan", child.get_case_type_display()),
            ("Social worker", people.user(child.social_worker, "Allocated social worker")),
            ("Team", child.team)),
        "tables": [],
    }]
    stage_names = dict(Stage.objects.values_list("key", "name"))
    drps = (drps.filter(children=child).select_related("stage", "team", "raised_by", "addressee", "closed_at_stage")
            .prefetch_related(
                "children", "themes",
                Prefetch("stage_records",
                         queryset=StageRecord.objects.select_related("stage", "addressee", "responded_by")),
                Prefetch("timeline", queryset=DrpEvent.objects.select_related("actor")))
            .order_by("raised_on", "id"))
    for drp in drps:
        ref = drp.reference or f"DRP {drp.pk}"
        children = [people.child(c, f"Another child on {ref}") for c in drp.children.all()]
        records.append({
            "kind": "DRP", "reference": ref, "title": f"Dispute resolution {ref}",
            "fields": _fields(
                ("Reference", ref), ("Case type", drp.get_case_type_display()),
                ("Children", "; ".join(children)), ("Themes", "; ".join(t.name for t in drp.themes.all())),
                ("Concern", drp.concern), ("Raised on", _date(drp.raised_on)),
                ("Raised by", people.user(drp.raised_by, f"Raised {ref}")), ("Team", drp.team),
                ("Stage", drp.stage.name), ("Status", drp.get_status_display()),
                ("Addressed to", people.user(drp.addressee, f"Addressee of {ref}")),
                ("Stage started on", _date(drp.stage_started_on)), ("Stage response due", _date(drp.stage_due_date)),
                ("Formal process due", _date(drp.overall_due_date)),
                ("Referred to Cafcass", _date(drp.referred_to_cafcass_on) if drp.referred_to_cafcass else ""),
                ("Outcome", drp.outcome), ("Impact for the child", drp.impact),
                ("Closed on", _date(drp.closed_on)),
                ("Closed at stage", drp.closed_at_stage.name if drp.closed_at_stage else "")),
            "tables": [
                {"title": "Stages", "columns": ["Stage", "Addressed to", "Started", "Response due", "Response",
                                                "Responded on", "Responded by", "Ended"],
                 "rows": [[s.stage.name, people.user(s.addressee, f"Addressee of {ref}"), _date(s.started_on),
                           _date(s.due_date), s.response, _date(s.responded_on),
                           people.user(s.responded_by, f"Responded to {ref}"), _date(s.ended_on)]
                          for s in drp.stage_records.all()]},
                _timeline(drp.timeline.all(), people, stage_names),
            ],
        })
    pps = (positive_practice.filter(children=child).select_related("practitioner", "team", "recorded_by", "drp")
           .prefetch_related("children", Prefetch("timeline", queryset=PpEvent.objects.select_related("actor")))
           .order_by("recorded_on", "id"))
    for pp in pps:
        children = [people.child(c, f"Another child on {pp.reference}") for c in pp.children.all()]
        records.append({
            "kind": "Positive practice", "reference": pp.reference, "title": f"Positive practice {pp.reference}",
            "fields": _fields(
                ("Reference", pp.reference), ("Case type", pp.get_case_type_display()),
                ("Children", "; ".join(children)),
                ("Practitioner recognised", people.user(pp.practitioner, "Practitioner recognised")),
                ("Team", pp.team),
                ("Someone outside Footprint", people.name(pp.practitioner_name, "Practitioner recognised")),
                ("What happened", pp.what_happened), ("Impact for the child", pp.impact),
                ("DRP", pp.drp.reference if pp.drp else ""), ("Recorded on", _date(pp.recorded_on)),
                ("Recorded by", people.user(pp.recorded_by, "Recorded positive practice"))),
            "tables": [_timeline(pp.timeline.all(), people)],
        })
    return records


# --- A DO subject's records -----------------------------------------------------------------------


def _attendee_name(line: str) -> str:
    """Attendees are recorded one a line as "name, agency"."""
    return line.split(",", 1)[0].strip()


def enquiry_records(enquiries, people: ThirdParties) -> list[dict]:
    """Every DO enquiry about the subject, with its meetings, actions and timeline."""
    status_names = dict(Enquiry.Status.choices)
    enquiries = (enquiries.select_related("referral_source", "sector", "setting", "school_phase", "employment_basis",
                                          "category", "delay_reason", "officer", "logged_by", "decided_by")
                 .prefetch_related(
                     "children",
                     Prefetch("meetings", queryset=Meeting.objects.select_related("recorded_by")),
                     Prefetch("actions", queryset=Action.objects.select_related("recorded_by")
                              .order_by("recorded_at", "id")),
                     Prefetch("timeline", queryset=DoEvent.objects.select_related("actor")))
                 .order_by("received_at", "id"))
    records = []
    for e in enquiries:
        ref = e.reference
        threshold = {True: "Met", False: "Not met (advice and guidance)"}.get(e.threshold_met, "")
        meetings = []
        for m in e.meetings.all():
            for line in m.attendee_lines():
                people.name(_attendee_name(line), f"Attended a meeting on {ref}")
            meetings.append([m.get_kind_display(), _date(m.held_on), "\n".join(m.attendee_lines()), m.minutes,
                             m.decisions,
                             _date(m.next_review_on), people.user(m.recorded_by, f"Recorded a meeting on {ref}")])
        actions = [[a.description, ", ".join(part for part in (people.name(a.owner_name, f"Action owner on {ref}"),
                                                                 a.owner_agency) if part),
                    _date(a.due_on), _date(a.done_on), a.notes,
                    people.user(a.recorded_by, f"Recorded an action on {ref}")] for a in e.actions.all()]
        records.append({
            "kind": "DO enquiry", "reference": ref, "title": f"Designated Officer enquiry {ref}",
            "fields": _fields(
                ("Reference", ref), ("Received", _when(e.received_at)), ("How", e.get_how_display()),
                ("Referrer", people.name(e.referrer_name, f"Referrer on {ref}")),
                ("Referrer's organisation", e.referrer_organisation), ("Referral source", e.referral_source),
                ("Sector", e.sector), ("Setting", e.setting), ("School phase", e.school_phase),
                ("Subject", e.subject_name), ("Subject's date of birth", _date(e.subject_date_of_birth)),
                ("Subject's role", e.subject_role), ("Subject's employer", e.subject_employer),
                ("Employment basis", e.employment_basis),
                ("Children", "; ".join(people.child(c, f"A child in {ref}") for c in e.children.all())),
                ("Children described", e.children_description), ("Category", e.category),
                ("Summary", e.summary), ("Date of the alleged incident", _date(e.incident_on)),
                ("Date the employer became aware", _date(e.employer_aware_on)),
                ("Police reference", e.police_reference),
                ("Criminal outcome", e.get_criminal_outcome_display() if e.criminal_outcome else ""),
                ("Criminal outcome in words", e.criminal_outcome_detail),
                ("Subject told", _told(e.subject_told, e.subject_told_on)),
                ("Parents told", _told(e.parents_told, e.parents_told_on)),
                ("DBS referral", e.get_dbs_referral_display() if e.dbs_referral else ""),
                ("DBS decision", e.get_dbs_decision_display() if e.dbs_decision else ""),
                ("DBS decision on", _date(e.dbs_decision_on)),
                ("Status", e.get_status_display()),
                ("Designated Officer", people.user(e.officer, f"Designated Officer on {ref}")),
                ("Logged by", people.user(e.logged_by, f"Logged {ref}")),
                ("Threshold", threshold), ("Threshold decided on", _date(e.decided_on)),
                ("Threshold decided by", people.user(e.decided_by, f"Decided the threshold on {ref}")),
                ("Harm test", "; ".join(e.criteria_display())), ("Rationale", e.rationale), ("Advice", e.advice),
                ("Outcome", e.get_outcome_display() if e.outcome else ""), ("Closed on", _date(e.closed_on)),
                ("Concluded without a meeting", e.no_meeting_reason),
                ("Reason for delay", e.delay_reason), ("Reason for delay in words", e.delay_note),
                ("Reason for cancelling", e.cancel_reason)),
            "tables": [
                {"title": "Meetings", "columns": ["Meeting", "Held on", "Attendees", "Minutes", "Decisions",
                                                  "Next review", "Recorded by"], "rows": meetings},
                {"title": "Actions", "columns": ["Action", "Owner", "Due", "Done", "Notes", "Recorded by"],
                 "rows": actions},
                _timeline(e.timeline.all(), people, status_names),
            ],
        })
    return records


# --- Redaction -------------------------------------------------------------------------------------


class Redactor:
    """Replaces every redacted term, as a whole word and ignoring case, with "[redacted]".

    Longest terms first, so "Ben Example" goes as a whole before "Ben" could; whole words only,
    so redacting "Ann" leaves "Annual review" alone."""

    def __init__(self, terms):
        unique = sorted({t.strip() for t in terms if t and t.strip()}, key=lambda t: (-len(t), t))
        self.terms = unique
        self._pattern = None
        if unique:
            alternatives = "|".join(r"\s+".join(re.escape(word) for word in term.split()) for term in unique)
            self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def __bool__(self):
        return self._pattern is not None

    def text(self, value: str) -> str:
        if self._pattern is None or not value:
            return value
        return self._pattern.sub(REDACTED, value)

    def apply(self, data):
        """The same structure with every string redacted (dict keys are labels, left alone)."""
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, dict):
            return {key: self.apply(value) for key, value in data.items()}
        if isinstance(data, (list, tuple)):
            return [self.apply(value) for value in data]
        return data
