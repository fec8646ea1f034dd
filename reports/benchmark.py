"""The benchmark file (issue 16): each headline figure with its definition, in one CSV an
authority can share with others (there is no national DO data set; this is one), and the import
of other authorities' files for a side-by-side page.

The file: a header row ``authority, reporting_year, figure, label, value, definition``, then
one row per figure. ``value`` is a number, or text where none is given: Designated Officer counts
below FOOTPRINT_SMALL_NUMBER_THRESHOLD, or that would give one back from a total, read "not
shown" (``reports.disclosure.for_publication``, whoever downloads it: the file leaves the
authority), and DO figures are left out for a year that has not ended.
"""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from people import roles
from workflows.exports import safe_cell
from workflows.replica import from_replica

from . import disclosure, indicators, selectors, tables
from .models import BenchmarkFigure
from .periods import reporting_year

#: Who imports other authorities' files (auditors read, never write).
IMPORTERS = frozenset({roles.IRO_MANAGER, roles.DO_MANAGER})
COLUMNS = ["authority", "reporting_year", "figure", "label", "value", "definition"]
MAX_ROWS = 1000
MAX_BYTES = 1_000_000

#: DRP figures: (key, label, definition, where in the DRP indicators for the year).
DRP_FIGURES = [
    ("drp.raised.cp", "DRPs raised: child protection (CP)", "DRPs raised in the reporting year about children "
     "on a child protection plan.", ("raised", "CP")),
    ("drp.raised.cla", "DRPs raised: looked after (CLA)", "DRPs raised in the reporting year about looked-after "
     "children.", ("raised", "CLA")),
    ("drp.children_affected", "Children affected by DRPs", "Distinct children named in the DRPs raised in the "
     "year.", ("children_affected", "total")),
    ("drp.median_days_to_agreed_actions", "Median working days from raised to agreed actions",
     "For DRPs whose first agreed action was recorded in the year: working days from the date raised to it.",
     ("time_to_agreed_actions", "median_working_days")),
    ("drp.resolved", "DRPs resolved", "DRPs resolved (not withdrawn) in the year.", ("time_to_resolution", "count")),
    ("drp.median_days_to_resolution", "Median working days from raised to resolution",
     "For DRPs resolved in the year: working days from the date raised to the date resolved.",
     ("time_to_resolution", "median_working_days")),
    ("drp.stage_deadlines_met_percent", "Stage deadlines met (%)", "Of the DRP stages whose response deadline "
     "fell in the year and has passed, the share answered on or before it.",
     ("stage_deadlines", "answered_on_time_percent")),
    ("drp.agreed_actions_done_on_time_percent", "Agreed actions done by their date (%)",
     "Of the actions agreed on DRPs and due in the year, the share recorded done by their date.",
     ("agreed_actions", "done_on_time_percent")),
    ("drp.partner_agency_drps", "DRPs escalated to partner agencies", "DRPs with an action or a stage "
     "addressed to an agency outside social care (health, education, police...) in the year.",
     ("partner_agencies", "drps")),
    ("positive_practice.cp", "Positive practice recorded: CP", "Positive practice records made in the year "
     "about children on a child protection plan.", ("positive_practice", "CP")),
    ("positive_practice.cla", "Positive practice recorded: CLA", "Positive practice records made in the year "
     "about looked-after children.", ("positive_practice", "CLA")),
]

#: DO figures: (key, label, definition, path in the annual report's DO section).
DO_FIGURES = [
    ("do.enquiries", "DO enquiries received", "Enquiries about adults who work with children received in the "
     "year.", ("enquiries", "this_year")),
    ("do.met_threshold", "DO enquiries meeting the harm threshold", "Enquiries received in the year where the "
     "harm test was met.", ("met_threshold",)),
    ("do.advice_given", "DO advice and guidance", "Enquiries received in the year closed with advice and "
     "guidance (threshold not met).", ("advice_given",)),
    ("do.decisions_within_timescale_percent", "DO threshold decisions within timescale (%)",
     "Threshold decisions made in the year within one working day of receipt.",
     ("decisions", "within_timescale_percent")),
    ("do.concluded", "DO enquiries concluded", "Enquiries concluded in the year.", ("concluded",)),
    ("do.substantiated", "DO outcomes: substantiated", "Enquiries concluded in the year as substantiated.",
     ("outcomes", "substantiated")),
    ("do.open_at_end", "DO enquiries open at year end", "Enquiries open on 31 March.", ("open_at_end", "total")),
    ("do.police_investigations", "DO enquiries with a police investigation", "Enquiries with a police investigation "
     "recorded in the year.", ("actions", "police_investigations")),
    ("do.suspensions", "DO enquiries with a suspension", "Enquiries with a suspension recorded in the year.",
     ("actions", "suspensions")),
    ("do.dbs_referrals", "DO referrals to the DBS", "Enquiries referred to the DBS in the year.",
     ("actions", "dbs_referrals")),
]


def _dig(data, path):
    for part in path:
        if data is None:
            return None
        data = data.get(part)
    return data


@from_replica
def headline_figures(year: int) -> list[dict]:
    """Each headline figure for the reporting year: key, label, value (a number or None), shown_as
    (text for a value not given), definition."""
    period = reporting_year(year)
    drp = indicators.drp_indicators(period)
    rows = [{"key": key, "label": label, "value": _dig(drp, path), "shown_as": "", "definition": definition}
            for key, label, definition, path in DRP_FIGURES]
    do = disclosure.for_publication(selectors.annual_report(year)["designated_officer"], period,
                                    tables.vocabulary_names())
    threshold = disclosure.small_number_threshold()
    if do is not None:
        for key, label, definition, path in DO_FIGURES:
            value = _dig(do, path)
            # "not shown", never "fewer than N": a figure hidden so that a total cannot give back
            # a small one may itself be large.
            shown_as = "not shown" if value is None else ""
            rows.append({"key": key, "label": label, "value": value, "shown_as": shown_as,
                         "definition": definition + f" Not shown when below {threshold}, or when it would give "
                                                      "back a figure below it."})
    for row in rows:
        if row["value"] is None and not row["shown_as"]:
            row["shown_as"] = "none to measure"
    return rows


def csv_text(year: int, figures: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for f in figures:
        value = f["shown_as"] if f["value"] is None else f["value"]
        writer.writerow([safe_cell(settings.FOOTPRINT_AUTHORITY_NAME), year, f["key"], safe_cell(f["label"]),
                         value if isinstance(value, (int, float)) else safe_cell(value),
                         safe_cell(f["definition"])])
    return out.getvalue()


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) < 1e12 else None  # not NaN, not absurd


def parse(content: bytes) -> list[dict]:
    """Rows of another authority's benchmark file, or ValidationError naming the row and column."""
    if len(content) > MAX_BYTES:
        raise ValidationError({"file": f"The file is larger than {MAX_BYTES // 1_000_000} MB."})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": "The file must be a CSV saved as UTF-8."}) from None
    if "\x00" in text:
        raise ValidationError({"file": "The file must be a CSV saved as UTF-8."})
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationError({"file": f"The file has no {', '.join(missing)} column: the first row must be "
                                       f"{', '.join(COLUMNS)}."})
    rows, errors = [], []
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            raise ValidationError({"file": f"The file has more than {MAX_ROWS} figures."})
        authority, year, key = (row.get("authority") or "").strip(), (row.get("reporting_year") or "").strip(), \
            (row.get("figure") or "").strip()
        if not authority or len(authority) > 120:
            errors.append(f"Row {number}, authority: give the authority's name (up to 120 characters).")
        if not (year.isdigit() and len(year) == 4 and 2000 <= int(year) <= 2100):
            errors.append(f"Row {number}, reporting_year: give the year as four digits, for example 2025.")
        if not key or len(key) > 80:
            errors.append(f"Row {number}, figure: give the figure's key (up to 80 characters).")
        value_text = (row.get("value") or "").strip()
        value = _number(value_text)
        rows.append({"authority": authority, "year": int(year) if year.isdigit() else 0, "key": key,
                     "label": (row.get("label") or key).strip()[:200], "value": value,
                     "shown_as": "" if value is not None else value_text[:60],
                     "definition": (row.get("definition") or "").strip()[:2000]})
    if not rows:
        errors.append("The file has no figures.")
    authorities = {(r["authority"], r["year"]) for r in rows}
    if len(authorities) > 1 and not errors:
        errors.append("A file holds one authority's figures for one year.")
    keys = [r["key"] for r in rows]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        errors.append(f"Figure {duplicates[0]} appears twice.")
    if errors:
        raise ValidationError({"file": errors[:20]})
    return rows


@transaction.atomic
def import_file(*, actor, content: bytes) -> tuple[str, int, int]:
    """Import another authority's file: replaces their figures for that year. Returns
    (authority, year, figures)."""
    from django.core.exceptions import PermissionDenied

    if not actor.has_role(*IMPORTERS):
        raise PermissionDenied("IRO Managers and DO Managers import other authorities' benchmark files.")
    rows = parse(content)
    authority, year = rows[0]["authority"], rows[0]["year"]
    if authority == settings.FOOTPRINT_AUTHORITY_NAME:
        raise ValidationError({"file": "This is this authority's own file: import another authority's."})
    BenchmarkFigure.objects.filter(authority=authority, year=year).delete()
    BenchmarkFigure.objects.bulk_create([BenchmarkFigure(imported_by=actor, **row) for row in rows])
    return authority, year, len(rows)




@from_replica
def side_by_side(year: int) -> dict:
    """This authority's headline figures and every imported authority's for the year, by key."""
    ours = headline_figures(year)
    others: dict[str, dict] = {}
    for figure in BenchmarkFigure.objects.filter(year=year).order_by("authority", "key"):
        others.setdefault(figure.authority, {})[figure.key] = {
            "value": figure.value, "shown_as": figure.shown_as, "label": figure.label}
    known = {f["key"] for f in ours}
    extra = sorted({key for figures in others.values() for key in figures} - known)
    labels = {key: next(f[key]["label"] for f in others.values() if key in f) for key in extra}
    return {"authority": settings.FOOTPRINT_AUTHORITY_NAME, "year": year, "figures": ours,
            "others": [{"authority": name, "figures": figures} for name, figures in others.items()],
            "other_keys": [{"key": key, "label": labels[key]} for key in extra]}


def side_by_side_table(data: dict) -> dict:
    def cell(entry):
        if entry is None:
            return None
        return entry["shown_as"] if entry["value"] is None else entry["value"]

    names = [o["authority"] for o in data["others"]]
    rows = []
    for f in data["figures"]:
        rows.append([f["label"], f["shown_as"] if f["value"] is None else f["value"],
                     *[cell(o["figures"].get(f["key"])) for o in data["others"]]])
    for extra in data["other_keys"]:
        rows.append([extra["label"], None, *[cell(o["figures"].get(extra["key"])) for o in data["others"]]])
    return {"id": "benchmark", "title": f"Headline figures {data['year']} to {data['year'] + 1}, side by side",
            "columns": ["Figure", data["authority"], *names], "rows": rows}
