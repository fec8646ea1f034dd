"""Report pages and downloads. Thin: figures come from ``selectors``, layout from ``tables``."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from workflows.clocks import today

from . import (
    benchmark,
    disclosure,
    do_disclosure,
    do_indicators,
    do_tables,
    exports,
    indicators,
    selectors,
    tables,
)
from .access import can_read_do_indicators, can_read_reports, reads_own_figures
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


def mine(request):
    """An IRO's own figures for a reporting year: what they raised and recorded, the children
    on their caseload, and their DRPs now (open, overdue) and closed in the year."""
    if not reads_own_figures(request.user):
        raise PermissionDenied("My figures are for IROs and conference chairs.")
    year, error = requested_year(request)
    figures = selectors.my_figures(request.user, reporting_year(year), today())
    return render(request, "reports/mine.html", {
        "figures": figures, "year": year, "years": report_years(year), "error": error,
    }, status=400 if error else 200)


def require_report_reader(user):
    if not can_read_reports(user):
        raise PermissionDenied("Reports are for IRO Managers, Designated Officer Managers and auditors.")


def report_years(chosen: int | None = None) -> list[int]:
    """The last six reporting years, and the chosen one, newest first."""
    current = reporting_year_of(today())
    return sorted(set(range(current, current - 6, -1)) | ({chosen} if chosen else set()), reverse=True)


def _charts(table_list):
    for table in table_list:
        table["svg_charts"] = [bar_chart(chart["title"], chart["bars"], f"{table['id']}-chart-{i}",
                                         label_heading=table["columns"][0])
                               for i, chart in enumerate(table.get("charts", []))]
    return table_list


def _download(fmt, filename, heading, table_list):
    if fmt == "csv":
        return exports.csv_response(filename, heading, table_list)
    if fmt == "xlsx" and exports.xlsx_available():
        return exports.xlsx_response(filename, heading, table_list)
    return None


def index(request):
    if not can_read_reports(request.user) and reads_own_figures(request.user):
        return redirect("reports:mine")  # an IRO's report is their own figures
    require_report_reader(request.user)
    from lado.access import is_do_team

    return render(request, "reports/index.html", {
        "years": report_years(), "last_month": last_month().strftime("%Y-%m"), "do_team": is_do_team(request.user),
    })


def requested_year(request) -> tuple[int, str | None]:
    """The reporting year asked for, or this one with the reason the request was refused."""
    try:
        return parse_year(request.GET.get("year")), None
    except BadPeriod as exc:
        return reporting_year_of(today()), exc.message


def annual(request):
    require_report_reader(request.user)
    year, error = requested_year(request)
    period = reporting_year(year)
    vocabularies = tables.vocabulary_names()
    # Exact DO figures for the DO team; ended periods with small counts suppressed for the rest.
    report = disclosure.annual_report_for(request.user, selectors.annual_report(year), period, vocabularies)
    table_list = tables.annual_tables(report, selectors.labels(), vocabularies)
    heading = f"Annual report {year} to {year + 1}" + (": year to date" if report["year_to_date"] else "")
    response = None if error else _download(request.GET.get("format"), f"annual-report-{year}", heading, table_list)
    if response:
        return response
    do = report["designated_officer"]
    do_disclosure = report["designated_officer_disclosure"]
    context = {
        "report": report, "year": year, "period": period, "heading": heading, "error": error,
        "counted": {name: {end: date.fromisoformat(report[key][end]) for end in ("start", "end")}
                    for name, key in (("this", "period"), ("last", "compared_with"))},
        "drp_tables": _charts([t for t in table_list if t["section"] == "drp"]),
        "do_tables": [t for t in table_list if t["section"] == "do"],
        "years": report_years(year),
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
    require_report_reader(request.user)
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
                  series["counts"])), f"trend-{slug}", label_heading="Month")
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
    require_report_reader(request.user)
    year, error = requested_year(request)
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
        "years": report_years(year),
        "xlsx": exports.xlsx_available(), "query_string": f"year={year}",
    }, status=400 if error else 200)


def drp_indicators(request):
    """DRP indicators for a month (with the year to date) or a reporting year."""
    require_report_reader(request.user)
    error, field, month, year = None, "year", None, None
    try:
        if request.GET.get("month"):
            field = "month"
            month = parse_month(request.GET.get("month"))
        else:
            year = parse_year(request.GET.get("year"))
    except BadPeriod as exc:
        error, month, year = exc.message, None, reporting_year_of(today())
    report = indicators.drp_indicator_report(month=month, year=year)
    table_list = tables.drp_indicator_tables(report)
    heading = f"DRP indicators: {month:%B %Y}" if month else f"DRP indicators {year} to {year + 1}"
    query = f"month={month:%Y-%m}" if month else f"year={year}"
    filename = f"drp-indicators-{month:%Y-%m}" if month else f"drp-indicators-{year}"
    response = None if error else _download(request.GET.get("format"), filename, heading, table_list)
    if response:
        return response
    return render(request, "reports/drp_indicators.html", {
        "heading": heading, "year": year or reporting_year_of(month), "month": month, "error": error,
        "error_field": field, "tables": _charts(table_list), "years": report_years(year),
        "last_month": last_month().strftime("%Y-%m"), "xlsx": exports.xlsx_available(), "query_string": query,
    }, status=400 if error else 200)


def do_indicators_page(request):
    """Designated Officer indicators: a month with the year to date (the DO team), or a reporting
    year (every reader; suppressed outside the DO team), with the five-year trend."""
    if not can_read_do_indicators(request.user):
        raise PermissionDenied("The Designated Officer indicators are for report readers and the DO team.")
    from lado import conf as lado_conf
    from lado.access import is_do_team

    do_team = is_do_team(request.user)
    if request.GET.get("month") and not do_team:  # permission (403) before input (400)
        raise PermissionDenied(do_disclosure.MonthlyFiguresRefused.message)
    error, field, month, year = None, "year", None, None
    try:
        if request.GET.get("month"):
            field = "month"
            month = parse_month(request.GET.get("month"))
        else:
            year = parse_year(request.GET.get("year"))
    except BadPeriod as exc:
        error, month, year = exc.message, None, reporting_year_of(today())
    report = do_disclosure.for_reader(request.user, do_indicators.do_indicator_report(month=month, year=year),
                                      month=month)
    table_list = do_tables.do_indicator_tables(report)
    heading = (f"Designated Officer indicators: {month:%B %Y}" if month
               else f"Designated Officer indicators {year} to {year + 1}")
    query = f"month={month:%Y-%m}" if month else f"year={year}"
    filename = f"do-indicators-{month:%Y-%m}" if month else f"do-indicators-{year}"
    response = None if error else _download(request.GET.get("format"), filename, heading, table_list)
    if response:
        return response
    return render(request, "reports/do_indicators.html", {
        "heading": heading, "year": year or reporting_year_of(month), "month": month, "error": error,
        "error_field": field, "tables": _charts(table_list), "years": report_years(year), "do_team": do_team,
        "reads_reports": can_read_reports(request.user),
        "disclosure": report["disclosure"], "non_recent_months": lado_conf.non_recent_months(), "last_month": last_month().strftime("%Y-%m"),
        "xlsx": exports.xlsx_available(), "query_string": query,
    }, status=400 if error else 200)


def benchmark_page(request):
    """This authority's headline figures with their definitions (the file to share), other
    authorities' files imported, and all of them side by side."""
    require_report_reader(request.user)
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.http import HttpResponse
    from django.shortcuts import redirect

    year, error = requested_year(request)
    upload_errors, status = [], 200
    if request.method == "POST":
        if not request.user.has_role(*benchmark.IMPORTERS):
            raise PermissionDenied("IRO Managers and DO Managers import other authorities' benchmark files.")
        upload = request.FILES.get("file")
        if upload is None:
            upload_errors, status = ["Choose another authority's benchmark CSV file."], 400
        else:
            try:
                authority, imported_year, count = benchmark.import_file(actor=request.user,
                                                                        content=upload.read(benchmark.MAX_BYTES + 1))
            except ValidationError as exc:
                upload_errors, status = [m for ms in exc.message_dict.values() for m in ms], 400
            else:
                messages.success(request, f"{count} figures imported for {authority}, {imported_year} to "
                                           f"{imported_year + 1}")
                return redirect(f"{request.path}?year={imported_year}")
    if not error and request.GET.get("format") == "csv":
        response = HttpResponse(benchmark.csv_text(year, benchmark.headline_figures(year)),
                                content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="benchmark-{year}.csv"'
        return response
    data = benchmark.side_by_side(year)
    return render(request, "reports/benchmark.html", {
        "heading": f"Benchmark {year} to {year + 1}", "year": year, "years": report_years(year), "error": error,
        "data": data, "table": benchmark.side_by_side_table(data), "upload_errors": upload_errors,
        "can_import": request.user.has_role(*benchmark.IMPORTERS),
    }, status=400 if error else status)
