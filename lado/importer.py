"""Importing historical Designated Officer enquiries (registered with ``imports`` in
``LadoConfig.ready``; the DO Manager only).

Clocks, retention and how an enquiry closed are lado's own (``services.set_clocks``,
``services.RetentionRules``, ``clocks.closing_status``; reports count by ``clocks.outcome_row``),
so an imported enquiry is kept, reviewed and destroyed by the same rule as any other. An existing
enquiry is changed only through the state machine's ``reimport``: a closed enquiry that an import
created and that the DO team has not touched since. A reference in the destruction log is never
used again: a destroyed enquiry does not come back through a file.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from imports import values
from imports.importer import Column, Importer
from imports.registry import ImportKind
from workflows.transitions import perform, refusal_of

from .access import IMPORTERS
from .clocks import CANCELLED_ROW, closing_status
from .flows import EnquiryFlow
from .models import (
    Category,
    DestructionLog,
    Enquiry,
    ReferralSource,
    SchoolPhase,
    Sector,
    SettingType,
    TimelineEvent,
    name_key,
)
from .services import RetentionRules, long_date, set_clocks

COLUMNS = ("reference", "received_on", "sector", "setting", "category", "referral_source",
           "threshold_met", "decided_on", "concluded_on", "outcome", "incident_on", "school_phase")
#: Added for the DO indicators (issue 16): a file made before them still imports without them.
OPTIONAL = ("incident_on", "school_phase")
OUTCOME_CHOICES = values.Choices(
    "outcome", [*((code, label, code) for code, label in Enquiry.Outcome.choices),
                (CANCELLED_ROW, "Cancelled", CANCELLED_ROW)])
#: The earliest date a DO enquiry can bear (the Designated Officer role dates from 2006; files
#: from authorities' older LADO spreadsheets reach back a few years more).
EARLIEST = date(2000, 1, 1)
Status = Enquiry.Status


class LadoImporter(Importer):
    model = Enquiry
    fields = ("received_at", "received_on", "decision_due", "target_1_due", "target_2_due",
              "target_3_due", "sector", "setting", "category", "referral_source", "threshold_met",
              "decided_on", "outcome", "closed_on", "cancel_reason", "status", "retention_review_on",
              "incident_on", "school_phase")
    sequence = ("lado", re.compile(r"^DO-(\d+)$"))
    made_in_footprint = "logged"

    def __init__(self, actor, filename, **options):
        super().__init__(actor, filename, **options)
        self.vocabularies = {name: values.Vocabulary(name, model) for name, model in (
            ("sector", Sector), ("setting", SettingType), ("category", Category),
            ("referral_source", ReferralSource), ("school_phase", SchoolPhase))}
        self.retention_rules = RetentionRules.load()  # every rule once, for every row

    def parse(self, row, errors):
        data = {"reference": values.reference(row["reference"], errors),
                "received_on": values.date_value(row["received_on"], "received_on", errors, required=True,
                                                 on=self.today, earliest=EARLIEST)}
        for name, vocabulary in self.vocabularies.items():
            data[name] = vocabulary.read(row[name], errors)
        data["threshold_met"] = values.yes_no(row["threshold_met"], "threshold_met", errors,
                                              blank_means="before the decision")
        # The threshold as the rules below read it: "yes", "no", or "" (not decided, or unreadable).
        threshold = {True: "yes", False: "no"}.get(data["threshold_met"], "")
        decided_on = values.date_value(row["decided_on"], "decided_on", errors, required=False, on=self.today,
                                       earliest=EARLIEST)
        concluded_on = values.date_value(row["concluded_on"], "concluded_on", errors, required=False,
                                         on=self.today, earliest=EARLIEST)
        outcome = OUTCOME_CHOICES.read(row["outcome"], errors) or ""
        incident_on = values.date_value(row["incident_on"], "incident_on", errors, required=False, on=self.today,
                                        earliest=date(1900, 1, 1))
        if incident_on and data["received_on"] and incident_on > data["received_on"]:
            errors.add("incident_on", "The date of the alleged incident cannot be after the enquiry was received.")
        if data["school_phase"] is not None and not (data["setting"] and data["setting"].asks_school_phase):
            errors.add("school_phase", "Give a school phase only for an education setting.")
        if threshold in ("yes", "no"):
            if not row["decided_on"]:
                errors.add("decided_on", "Enter the date the threshold decision was made.")
            for name in ("sector", "setting", "category"):
                if not row[name]:
                    errors.add(name, f"A decided enquiry needs its {name} (as the threshold decision does).")
        elif row["decided_on"]:
            errors.add("decided_on", "An enquiry awaiting the threshold decision has no decision date: "
                                     "give threshold_met or leave it empty.")
        if outcome == CANCELLED_ROW and threshold == "no":
            errors.add("outcome", "An enquiry given advice was closed by that decision: it cannot also be "
                                  "cancelled (leave outcome empty).")
        elif outcome and outcome != CANCELLED_ROW and threshold != "yes":
            errors.add("outcome", "Only an enquiry whose threshold was met has an outcome "
                                  "(advice given and open enquiries leave it empty; an enquiry cancelled "
                                  "before the decision has outcome cancelled and no threshold_met).")
        if outcome and not row["concluded_on"]:
            errors.add("concluded_on", "Enter the date the enquiry was concluded or cancelled.")
        if row["concluded_on"] and not row["outcome"]:
            errors.add("concluded_on", "An enquiry with no outcome has no concluded date: leave it empty.")
        received_on = data["received_on"]
        if decided_on and received_on and decided_on < received_on:
            errors.add("decided_on", "The decision cannot be before the enquiry was received.")
        if concluded_on and (decided_on or received_on) and concluded_on < (decided_on or received_on):
            errors.add("concluded_on", "The date concluded cannot be before the enquiry was received "
                                       "or the threshold decision.")
        data.update(decided_on=decided_on, concluded_on=concluded_on, outcome=outcome, incident_on=incident_on,
                    status=closing_status(threshold_met=data["threshold_met"], outcome=outcome))
        return data

    # --- What the upload page and the template show ---------------------------------------------

    def describe(self):
        dates = f"A date ({values.DATE_FORMS}), on or after {EARLIEST:%-d %B %Y}"
        vocabulary = {name: tuple(choices.allowed()) for name, choices in self.vocabularies.items()}
        return [
            Column("reference", "Your reference for the enquiry (up to 40 characters); rows are matched by it.", True),
            Column("received_on", f"{dates}.", True),
            Column("sector", "Needed once the threshold is decided.", False, vocabulary["sector"]),
            Column("setting", "Needed once the threshold is decided.", False, vocabulary["setting"]),
            Column("category", "Needed once the threshold is decided.", False, vocabulary["category"]),
            Column("referral_source", "Who referred it (may be empty).", False, vocabulary["referral_source"]),
            Column("threshold_met", "Empty while the threshold decision is awaited.", False,
                   tuple(values.YES_NO.allowed())),
            Column("decided_on", f"{dates}; when threshold_met is given.", False),
            Column("concluded_on", f"{dates}; when there is an outcome.", False),
            Column("outcome", "Only when the threshold was met (or cancelled before the decision).", False,
                   tuple(OUTCOME_CHOICES.allowed())),
            Column("incident_on", "The date of the alleged incident, if known (the indicators count non-recent "
                                  "allegations). The column may be left out.", False),
            Column("school_phase", "For an education setting only. The column may be left out.", False,
                   vocabulary["school_phase"]),
        ]

    def example(self):
        first = {name: next(iter(choices.options), ("", "")) for name, choices in self.vocabularies.items()}
        received = max(EARLIEST, self.today - timedelta(days=120))
        return {"reference": "DO-EXAMPLE-1", "received_on": received.strftime("%d/%m/%Y"),
                **{name: label for name, (code, label) in first.items()},
                "threshold_met": "yes", "decided_on": (received + timedelta(days=1)).isoformat(),
                "concluded_on": (received + timedelta(days=40)).isoformat(), "outcome": "Unsubstantiated",
                "incident_on": (received - timedelta(days=3)).isoformat()} | (
            {} if SettingType.objects.filter(name=first["setting"][1], asks_school_phase=True).exists()
            else {"school_phase": ""})

    # --- Which enquiries a row may change ----------------------------------------------------------

    def refused_references(self, references):
        return {entry.reference: f"{entry.reference} was destroyed on {long_date(timezone.localdate(entry.destroyed_at))}: "
                                 "an import cannot bring a destroyed enquiry back."
                for entry in DestructionLog.objects.filter(reference__in=references)}

    def refusal(self, enquiry, data):
        message = refusal_of(EnquiryFlow(enquiry), "reimport", self.actor,
                             refusal=f"{enquiry.reference} is open ({enquiry.get_status_display().lower()}): "
                                     "an import never changes an open enquiry.")
        if message is None and data["status"] in Enquiry.OPEN_STATUSES:
            message = (f"{enquiry.reference} is {enquiry.get_status_display().lower()}: an import cannot "
                       "reopen it (give its decision, outcome and dates as closed).")
        return message

    def reimport(self, enquiry, data):
        perform(EnquiryFlow(enquiry), "reimport", self.actor, data["status"],
                refusal=f"{enquiry.reference} is open: an import never changes an open enquiry.")

    # --- Writing -----------------------------------------------------------------------------

    def new(self, data):
        # bulk_create skips Enquiry.save(), which keeps the subject match keys: set them here.
        return Enquiry(reference=data["reference"], logged_by=self.actor, summary=self.reason,
                       subject_name_key=name_key(""), subject_employer_key=name_key(""), status=data["status"])

    def fill(self, enquiry, data, children):
        # Noon, so that the local date of received_at is received_on in any season.
        enquiry.received_at = timezone.make_aware(datetime.combine(data["received_on"], time(12)))
        set_clocks(enquiry)
        for name in self.vocabularies:
            setattr(enquiry, name, data[name])
        enquiry.threshold_met = data["threshold_met"]
        enquiry.decided_on = data["decided_on"]
        enquiry.incident_on = data["incident_on"]
        enquiry.outcome = ""
        enquiry.closed_on = None
        enquiry.cancel_reason = ""
        if enquiry.status == Status.ADVICE_GIVEN:
            enquiry.closed_on = data["decided_on"]
        elif enquiry.status == Status.CANCELLED:
            enquiry.closed_on = data["concluded_on"]
            enquiry.cancel_reason = self.reason
        elif enquiry.status == Status.CONCLUDED:
            enquiry.outcome = data["outcome"]
            enquiry.closed_on = data["concluded_on"]
        # The enquiry's own retention rule, from the date it closed (None while open).
        enquiry.retention_review_on = self.retention_rules.review_date(enquiry)

    def after_write(self, pairs, children):
        self.insert(TimelineEvent, [TimelineEvent(enquiry=enquiry, actor=self.actor, note=self.reason,
                                                  action=TimelineEvent.Event.IMPORTED, to_status=enquiry.status)
                                    for enquiry, _ in pairs], history=False)


KIND = ImportKind(name="lado", label="Designated Officer enquiries", columns=COLUMNS, roles=IMPORTERS,
                  importer=LadoImporter, order=30, optional=OPTIONAL)
