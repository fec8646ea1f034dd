"""Report pages and downloads. Thin: figures come from ``selectors``, layout from ``tables``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from workflows.clocks import today

from . import disclosure, exports, selectors, tables
from .access import can_read_reports
from .charts import bar_chart
from .periods import (
    BadPeriod,
    add_months,
    last_month,
    parse_month,
    parse_year,
    reporting_year,
    reporting_year_of,
)


def _require_reader(user):
    if not can_read_reports(user):
        raise PermissionDenied("Reports are for IRO Managers, Designated Officer Managers and auditors.")


def _years(chosen: int | None = None) -> list[int]:
    """The last six reporting years, and the chosen one, newest first."""
    current = reporting_year_of(today())
    return sorted(set(range(current, current - 6, -1)) | ({chosen} if chosen else set()), reverse=True)


def _charts(table_list):
    for table in table_list:
        table["svg_charts"] = [bar_chart(chart["title"], chart["bars"], f"{table['id']}-chart-{i}")
                               for i, chart in enumerate(table.get("charts", []))]
    return table_list


def _download(fmt, filename, heading, table_list):
    if fmt == "csv":
        return exports.csv_response(filename, heading, table_list)
    if fmt == "xlsx" and exports.xlsx_available():
        return exports.xlsx_response(filename, heading, table_list)
    return None


def index(request):
    _require_reader(request.user)
    return render(request, "reports/index.html", {
        "years": _years(), "last_month": last_month().strftime("%Y-%m"),
    })


def _requested_year(request) -> tuple[int, str | None]:
    """The reporting year asked for, or this one with the reason the request was refused."""
    try:
        return parse_year(request.GET.get("year")), None
    except BadPeriod as exc:
        return reporting_year_of(today()), exc.message


def annual(request):
    _require_reader(request.user)
    year, error = _requested_year(request)
    period = reporting_year(year)
    vocabularies = tables.vocabulary_names()
    # Exact DO figures for the DO team; ended periods with small counts suppressed for the rest.
    report = disclosure.annual_report_for(request.user, selectors.annual_report(year), period, vocabularies)
    table_list = tables.annual_tables(report, selectors.labels(), vocabularies)
    heading = f"Annual report {year} to {year + 1}"
    response = None if error else _download(request.GET.get("format"), f"annual-report-{year}", heading, table_list)
    if response:
        return response
    do = report["designated_officer"]
    do_disclosure = report["designated_officer_disclosure"]
    context = {
        "report": report, "year": year, "period": period, "heading": heading, "error": error,
        "drp_tables": _charts([t for t in table_list if t["section"] == "drp"]),
        "do_tables": [t for t in table_list if t["section"] == "do"],
        "years": _years(year),
        "xlsx": exports.xlsx_available(),
        "query_string": f"year={year}", "print_url": f"?year={year}&print=1",
        "has_drp_data": any(any(c["this_year"] or c["last_year"] for c in report["drp"][k].values())
                            for k in ("raised", "positive_practice"))
        or any(cells["total"] for cells in report["drp"]["closed_at_stage"].values()),
        "do_disclosure": do_disclosure,
        # Only exact figures may say "none": for anyone else a suppressed zero stays suppressed.
        "has_do_data": do is not None and (do_disclosure["level"] != disclosure.EXACT or bool(
            do["enquiries"]["this_year"] or do["enquiries"]["last_year"] or do["outcomes"]["total"])),
    }
    template = "reports/annual_print.html" if request.GET.get("print") == "1" else "reports/annual.html"
    return render(request, template, context, status=400 if error else 200)


def monthly(request):
    _require_reader(request.user)
    error = None
    try:
        month = parse_month(request.GET.get("month"))
    except BadPeriod as exc:
        error, month = exc.message, last_month()
    report = selectors.monthly_report(month)
    labels = selectors.labels()
    table_list = tables.monthly_tables(report, labels)
    heading = f"Monthly theme report: {month:%B %Y}"
    response = None if error else _download(request.GET.get("format"), f"monthly-report-{month:%Y-%m}",
                                            heading, table_list)
    if response:
        return response
    theme_names = {t["slug"]: t["name"] for t in labels["themes"]}
    trend_charts = [
        bar_chart(f"{theme_names.get(slug, slug)}: DRPs raised per month", list(zip(report["trend"]["months"],
                  series["counts"])), f"trend-{slug}")
        for slug, series in report["trend"]["themes"].items() if any(series["counts"])
    ]
    return render(request, "reports/monthly.html", {
        "report": report, "month": month, "heading": heading, "error": error,
        "tables": _charts(table_list), "trend_charts": trend_charts,
        "spikes": [theme_names.get(slug, slug) for slug in report["trend"]["spikes"]],
        "previous": add_months(month, -1).strftime("%Y-%m"), "next": add_months(month, 1).strftime("%Y-%m"),
        "query_string": f"month={month:%Y-%m}",
        "spike_min": selectors.SPIKE_MIN_COUNT, "spike_factor": selectors.SPIKE_FACTOR,
        "xlsx": exports.xlsx_available(),
    }, status=400 if error else 200)


def learning(request):
    _require_reader(request.user)
    year, error = _requested_year(request)
    period = reporting_year(year)
    teams = selectors.team_learning(period)
    people = selectors.iro_footprint(period)
    table_list = tables.learning_tables(teams, people, selectors.labels())
    heading = f"Service learning and IRO/CC footprint {year} to {year + 1}"
    response = None if error else _download(request.GET.get("format"), f"service-learning-{year}", heading,
                                            table_list)
    if response:
        return response
    return render(request, "reports/learning.html", {
        "heading": heading, "year": year, "period": period, "error": error, "tables": table_list,
        "years": _years(year),
        "xlsx": exports.xlsx_available(), "query_string": f"year={year}",
    }, status=400 if error else 200)
