"""Designated Officer figures as each report reader may see them.

The DO team sees exact and live figures. Everyone else who reads reports (IRO Managers,
auditors) sees them only for a period that has ended, and with small counts suppressed: a live
count that moves by one the day an enquiry is logged (or concluded) tells an outsider its
category, setting, source and later its outcome, and a count of 1 to 4 in a small authority may
point at one person.

Rules for readers outside the DO team (``settings.FOOTPRINT_SMALL_NUMBER_THRESHOLD``, T, default 5):

* A period that has not ended (its last day is today or later): no DO figures at all; the
  report says "Designated Officer figures are shown once the period has ended."
* Every count below T is suppressed (zero included: "none" would tell as much as "one").
* A breakdown whose total is shown has a second cell suppressed when only one would be (else
  total minus the others gives it back): the smallest other cell. Breakdowns by sector, setting,
  category and referral source list every value of the vocabulary, so a value appearing in the
  list tells nothing either.
* Variance and direction are suppressed when either year's count is.
* A timeliness percentage is suppressed with its count when the enquiries within the target, or
  those not within it, are fewer than T; likewise the share of threshold decisions made
  within their timescale.
* Enquiries open at the end of the period by age band: the bands add up to the total shown, so a
  second band goes with a lone suppressed one. Police involvement, suspensions and referrals
  are separate counts, each suppressed below T; so is "cancelled before a decision".

In the API a suppressed value is ``null`` and its path (``"outcomes.malicious"``,
``"by_sector.voluntary"``, ``"enquiries.variance"``) is listed in
``designated_officer_disclosure.suppressed``; pages and CSV/XLSX downloads show "fewer than T"
(counts) or "not shown" (variance, direction, percentages).
"""

from __future__ import annotations

import copy
from datetime import date

from django.conf import settings

from lado.access import is_do_team
from workflows.clocks import today

from .periods import Period

EXACT, SUPPRESSED, WITHHELD = "exact", "suppressed", "withheld"
WITHHELD_NOTE = "Designated Officer figures are shown once the period has ended."
BREAKDOWNS = ("by_sector", "by_setting", "by_category", "by_referral_source")
NOT_RECORDED = "not-recorded"


def small_number_threshold() -> int:
    return max(1, int(settings.FOOTPRINT_SMALL_NUMBER_THRESHOLD))


def suppressed_note(threshold: int) -> str:
    return (f"Counts below {threshold} are shown as “fewer than {threshold}” (and a second figure where the "
            f"first could be worked out from a total), so that no one can be identified.")


def period_has_ended(period: Period, on: date | None = None) -> bool:
    return period.end < (on or today())


class _Suppressor:
    def __init__(self, threshold: int):
        self.threshold = threshold
        self.paths: list[str] = []

    def small(self, n) -> bool:
        return n is not None and n < self.threshold

    def hide(self, path: str) -> None:
        if path not in self.paths:
            self.paths.append(path)

    def group(self, prefix: str, counts: dict, total_shown: bool) -> dict:
        """Primary suppression of each count below T, and secondary suppression of the smallest
        other cell when exactly one is hidden and the total is shown."""
        hidden = {key for key, n in counts.items() if self.small(n)}
        if total_shown and len(hidden) == 1 and len(counts) > 1:
            hidden.add(min((n, key) for key, n in counts.items() if key not in hidden)[1])
        for key in counts:
            if key in hidden:
                self.hide(f"{prefix}{key}")
        return {key: None if key in hidden else n for key, n in counts.items()}


def _suppress(do: dict, threshold: int, vocabularies: dict[str, dict[str, str]]) -> tuple[dict, list[str]]:
    s = _Suppressor(threshold)
    out = copy.deepcopy(do)

    enquiries = do["enquiries"]
    this_hidden, last_hidden = s.small(enquiries["this_year"]), s.small(enquiries["last_year"])
    for key, hidden in (("this_year", this_hidden), ("last_year", last_hidden),
                        ("variance", this_hidden or last_hidden), ("direction", this_hidden or last_hidden)):
        if hidden:
            out["enquiries"][key] = None
            s.hide(f"enquiries.{key}")
    received_shown = not this_hidden

    decisions = s.group("", {"met_threshold": do["met_threshold"], "advice_given": do["advice_given"]},
                        received_shown)
    out.update(decisions)

    # Outcomes: the five national outcomes add up to "concluded", which with "cancelled" adds up
    # to "total". Hide the total rather than let it give back a hidden one of the two.
    outcomes = dict(do["outcomes"])
    total = outcomes.pop("total")
    cancelled = outcomes.pop("cancelled")
    concluded = do["concluded"]
    concluded_hidden, cancelled_hidden = s.small(concluded), s.small(cancelled)
    total_hidden = s.small(total) or (concluded_hidden != cancelled_hidden)
    if concluded_hidden:
        out["concluded"] = None
        s.hide("concluded")
    national = s.group("outcomes.", outcomes, not concluded_hidden)
    out["outcomes"] = {**national, "cancelled": None if cancelled_hidden else cancelled,
                       "total": None if total_hidden else total}
    if cancelled_hidden:
        s.hide("outcomes.cancelled")
    if total_hidden:
        s.hide("outcomes.total")

    # Timeliness: a percentage gives back its count (and the count not within) from "concluded".
    for key, within in do["concluded_within"].items():
        if concluded_hidden or s.small(within) or s.small(concluded - within):
            out["concluded_within"][key] = None
            out["timeliness"][key] = None
            s.hide(f"concluded_within.{key}")
            s.hide(f"timeliness.{key}")

    # Cancelled before any threshold decision: a row of its own, outside the total.
    if s.small(do["cancelled_before_decision"]):
        out["cancelled_before_decision"] = None
        s.hide("cancelled_before_decision")

    # Threshold decisions made within their timescale: like timeliness, the percentage gives
    # back the count within and the count not within.
    decisions = do["decisions"]
    made_hidden = s.small(decisions["made"])
    if made_hidden:
        out["decisions"]["made"] = None
        s.hide("decisions.made")
    within = decisions["within_timescale"]
    if made_hidden or s.small(within) or s.small(decisions["made"] - within):
        out["decisions"]["within_timescale"] = None
        out["decisions"]["within_timescale_percent"] = None
        s.hide("decisions.within_timescale")
        s.hide("decisions.within_timescale_percent")

    # Enquiries open at the end, by age: the bands add up to the total.
    ageing = dict(do["open_at_end"])
    total = ageing.pop("total")
    total_hidden = s.small(total)
    if total_hidden:
        s.hide("open_at_end.total")
    out["open_at_end"] = s.group("open_at_end.", ageing, not total_hidden) | {
        "total": None if total_hidden else total}

    # Police involvement, suspensions and referrals: separate counts, no total.
    out["actions"] = s.group("actions.", dict(do["actions"]), False)

    for field in BREAKDOWNS:
        counts = {slug: 0 for slug in vocabularies.get(field, {})} | {NOT_RECORDED: 0} | do[field]
        out[field] = s.group(f"{field}.", counts, received_shown)
    return out, s.paths


def designated_officer_for(user, do: dict, period: Period, vocabularies: dict[str, dict[str, str]],
                           on: date | None = None, publication: bool = False) -> tuple[dict | None, dict]:
    """(the DO section this person may see, how it was disclosed): exact for the DO team;
    withheld (None) for anyone else while the period runs; otherwise with small counts
    suppressed. ``vocabularies`` are ``reports.tables.vocabulary_names()``. For ``publication``
    (the annual report document's public version) everyone gets what a reader outside the DO
    team gets."""
    if is_do_team(user) and not publication:
        return do, {"level": EXACT, "threshold": None, "suppressed": [], "note": ""}
    threshold = small_number_threshold()
    if not period_has_ended(period, on):
        return None, {"level": WITHHELD, "threshold": threshold, "suppressed": [], "note": WITHHELD_NOTE}
    figures, paths = _suppress(do, threshold, vocabularies)
    return figures, {"level": SUPPRESSED, "threshold": threshold, "suppressed": paths,
                     "note": suppressed_note(threshold)}


def annual_report_for(user, report: dict, period: Period, vocabularies: dict[str, dict[str, str]],
                      on: date | None = None, publication: bool = False) -> dict:
    """``selectors.annual_report`` as this person may see it, with the disclosure described."""
    do, disclosure = designated_officer_for(user, report["designated_officer"], period, vocabularies, on,
                                            publication)
    return {**report, "designated_officer": do, "designated_officer_disclosure": disclosure}


def for_publication(do: dict, period: Period, vocabularies: dict[str, dict[str, str]],
                    on: date | None = None) -> dict | None:
    """The DO figures as they may leave the authority (a benchmark file, a published report):
    as a reader outside the DO team sees them, whoever asks; None while the period runs."""
    if not period_has_ended(period, on):
        return None
    figures, _ = _suppress(do, small_number_threshold(), vocabularies)
    return figures
