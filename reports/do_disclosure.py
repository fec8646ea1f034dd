"""The DO indicators as each reader may see them (the rules of ``reports.disclosure``).

The DO team sees exact, live figures, by month as well as by year. Every other report reader
(IRO Managers, auditors, a reports system account) gets reporting years only (a month is 403),
nothing for a period that has not ended (``null``, the note says why), and each count below
``FOOTPRINT_SMALL_NUMBER_THRESHOLD`` (T) suppressed: a rate goes with its count when the cases on
time, or those not on time, are fewer than T; a breakdown whose total is shown loses a second
cell when only one would go (``disclosure._Suppressor.group``). Suppressed values are ``null`` and
their paths (``year.decisions.on_time``, ``trend.referrals.2022``) are listed in
``disclosure.suppressed``.
"""

from __future__ import annotations

import copy
from datetime import date

from lado.access import is_do_team

from .disclosure import (
    EXACT,
    SUPPRESSED,
    WITHHELD,
    WITHHELD_NOTE,
    _Suppressor,
    period_has_ended,
    small_number_threshold,
    suppressed_note,
)
from .do_indicators import trend_of
from .periods import Period


class MonthlyFiguresRefused(Exception):
    """A month asked for by someone outside the DO team: monthly DO figures are the DO team's."""

    message = "Monthly Designated Officer figures are for the DO team; choose a reporting year."


def _rate(s: _Suppressor, prefix: str, rate: dict) -> dict:
    out = dict(rate)
    if s.small(rate["due"]):
        out["due"] = None
        s.hide(f"{prefix}.due")
    if s.small(rate["due"]) or s.small(rate["on_time"]) or s.small(rate["due"] - rate["on_time"]):
        out["on_time"] = out["on_time_percent"] = None
        s.hide(f"{prefix}.on_time")
        s.hide(f"{prefix}.on_time_percent")
    return out


def _rows(s: _Suppressor, prefix: str, rows: list[dict], total_shown: bool) -> list[dict]:
    counts = s.group(f"{prefix}.", {row["code"]: row["enquiries"] for row in rows}, total_shown)
    return [{**row, "enquiries": counts[row["code"]]} for row in rows]


def suppress(figures: dict, s: _Suppressor, prefix: str) -> dict:
    """One period's figures with small counts suppressed, paths prefixed with ``prefix``."""
    out = copy.deepcopy(figures)
    referrals = figures["referrals"]
    # Contacts are referrals plus consultations: shown, they would give back a lone hidden one.
    contacts_hidden = s.small(referrals["contacts"])
    shown = s.group(f"{prefix}.referrals.", {k: referrals[k] for k in ("received", "consultations")},
                    not contacts_hidden)
    shown["contacts"] = None if contacts_hidden else referrals["contacts"]
    if contacts_hidden:
        s.hide(f"{prefix}.referrals.contacts")
    out["referrals"].update(shown)
    if any(v is None for v in shown.values()):
        out["referrals"]["consultations_percent"] = None
        s.hide(f"{prefix}.referrals.consultations_percent")
    received_shown = shown["received"] is not None
    out["threshold"] = s.group(f"{prefix}.threshold.", dict(figures["threshold"]), received_shown)
    for key in ("decisions", "first_meetings", "reviews"):
        out[key] = _rate(s, f"{prefix}.{key}", figures[key])
    out["criteria"] = s.group(f"{prefix}.criteria.", dict(figures["criteria"]), False)
    out["actions"] = s.group(f"{prefix}.actions.", dict(figures["actions"]), False)
    ageing = dict(figures["open_at_end"])
    total = ageing.pop("total")
    total_hidden = s.small(total)
    if total_hidden:
        s.hide(f"{prefix}.open_at_end.total")
    out["open_at_end"] = s.group(f"{prefix}.open_at_end.", ageing, not total_hidden) | {
        "total": None if total_hidden else total}
    past = figures["delays"]["past_target"]
    if s.small(past):
        out["delays"]["past_target"] = None
        s.hide(f"{prefix}.delays.past_target")
    out["delays"]["reasons"] = _rows(s, f"{prefix}.delays.reasons", figures["delays"]["reasons"],
                                     not s.small(past))
    dated = figures["non_recent"]
    recent = s.group(f"{prefix}.non_recent.", {"non_recent": dated["non_recent"],
                                               "incident_dated": dated["incident_dated"]}, False)
    if recent["non_recent"] is not None and s.small(dated["incident_dated"] - dated["non_recent"]):
        recent["non_recent"] = None  # the dated minus the non-recent would tell a small count
        s.hide(f"{prefix}.non_recent.non_recent")
    out["non_recent"].update(recent)
    out["by_setting"] = _rows(s, f"{prefix}.by_setting", figures["by_setting"], received_shown)
    education = sum(row["enquiries"] for row in figures["by_school_phase"])
    out["by_school_phase"] = _rows(s, f"{prefix}.by_school_phase", figures["by_school_phase"],
                                   not s.small(education))
    return out


def for_reader(user, report: dict, *, month: date | None = None, on: date | None = None) -> dict:
    """``do_indicators.do_indicator_report`` as ``user`` may see it: {"disclosure", "periods",
    "trend"}. Raises ``MonthlyFiguresRefused`` for a month asked by someone outside the DO team."""
    if is_do_team(user):
        return {"disclosure": {"level": EXACT, "threshold": None, "suppressed": [], "note": ""},
                "periods": report["periods"], "trend": trend_of(report["years"])}
    if month is not None:
        raise MonthlyFiguresRefused()
    s = _Suppressor(small_number_threshold())
    withheld = False

    def shaped(entry: dict, prefix: str) -> dict:
        nonlocal withheld
        period = Period(date.fromisoformat(entry["period"]["start"]), date.fromisoformat(entry["period"]["end"]))
        if not period_has_ended(period, on):
            withheld = True
            return {**entry, "figures": None}
        return {**entry, "figures": suppress(entry["figures"], s, prefix)}

    periods = [shaped(entry, entry["key"]) for entry in report["periods"]]
    years = [shaped(entry, f"trend.{entry['year']}") for entry in report["years"]]
    note = suppressed_note(s.threshold) + (" " + WITHHELD_NOTE if withheld else "")
    level = WITHHELD if all(p["figures"] is None for p in periods) else SUPPRESSED
    return {"disclosure": {"level": level, "threshold": s.threshold, "suppressed": s.paths, "note": note},
            "periods": periods, "trend": trend_of(years)}
