"""The DO indicators (``reports.do_indicators`` as ``reports.do_disclosure`` shaped them) as tables
for the page, CSV and XLSX: a headline table with a column per period, the five-year trend, then
each period's breakdowns. A suppressed count shows as "fewer than T", anything else suppressed
as "not shown", a period not yet ended as "not shown until the period ends"."""

from __future__ import annotations

from lado.selectors import AGE_BANDS

from .do_indicators import CRITERIA
from .tables import Suppressed

NOT_SHOWN = "not shown"
NOT_YET = "not shown until the period ends"


def do_indicator_tables(report: dict) -> list[dict]:
    threshold = report["disclosure"]["threshold"]
    periods = report["periods"]

    def cell(value, is_count=True):
        if value is not None or threshold is None:
            return value
        return Suppressed(f"fewer than {threshold}") if is_count else Suppressed(NOT_SHOWN)

    def row(label, get, is_count=True):
        return [label, *[NOT_YET if p["figures"] is None else cell(get(p["figures"]), is_count) for p in periods]]

    headline = [
        row("Referrals (enquiries received)", lambda f: f["referrals"]["received"]),
        row("Advice-only consultations", lambda f: f["referrals"]["consultations"]),
        row("Consultations as a share of all contacts (%)", lambda f: f["referrals"]["consultations_percent"], False),
        row("Threshold met", lambda f: f["threshold"]["met"]),
        row("Threshold not met: advice given", lambda f: f["threshold"]["not_met"]),
        row("Threshold decisions made", lambda f: f["decisions"]["due"]),
        row("Threshold decisions made on time", lambda f: f["decisions"]["on_time"]),
        row("Threshold decisions made on time (%)", lambda f: f["decisions"]["on_time_percent"], False),
        row("First meetings due", lambda f: f["first_meetings"]["due"]),
        row("First meetings held on time", lambda f: f["first_meetings"]["on_time"]),
        row("First meetings held on time (%)", lambda f: f["first_meetings"]["on_time_percent"], False),
        row("Reviews due", lambda f: f["reviews"]["due"]),
        row("Reviews held on time", lambda f: f["reviews"]["on_time"]),
        row("Reviews held on time (%)", lambda f: f["reviews"]["on_time_percent"], False),
        *[row(f"Harm test: {label}", lambda f, field=field: f["criteria"][field]) for field, label in CRITERIA],
        row("Police involvement", lambda f: f["actions"]["police_investigations"]),
        row("Suspensions", lambda f: f["actions"]["suspensions"]),
        row("DBS referrals", lambda f: f["actions"]["dbs_referrals"]),
        row("Regulator referrals", lambda f: f["actions"]["regulator_referrals"]),
        row("Non-recent allegations", lambda f: f["non_recent"]["non_recent"]),
        row("Referrals with the incident date recorded", lambda f: f["non_recent"]["incident_dated"]),
        row("Open at the end of the period", lambda f: f["open_at_end"]["total"]),
        row("Open past the first target", lambda f: f["delays"]["past_target"]),
    ]
    tables = [{"id": "do-indicators", "title": "Designated Officer indicators",
               "columns": ["Indicator", *[p["label"] for p in periods]], "rows": headline}]
    trend = report["trend"]
    tables.append({"id": "do-trend", "title": "Five-year trend",
                   "columns": ["Figure", *[y["label"] for y in trend["years"]]],
                   "rows": [[f["name"], *[cell(v, not f["percent"]) for v in f["values"]]] for f in trend["figures"]],
                   # Charts of exact figures only: a suppressed count must not be drawn as a bar.
                   "charts": [{"title": f"{f['name']}: five-year trend",
                               "bars": [(y["label"], v) for y, v in zip(trend["years"], f["values"])]}
                              for f in trend["figures"] if threshold is None and not f["percent"]
                              and any(f["values"])][:3]})
    bands = {key: label for key, label, *_ in AGE_BANDS} | {"total": "Total open"}
    for p in periods:
        figures = p["figures"]
        if figures is None:
            continue
        suffix = f" ({p['label']})"
        tables += [
            {"id": f"do-ageing-{p['key']}", "title": "Open at the end, by months since receipt" + suffix,
             "columns": ["Months since receipt", "Enquiries"],
             "rows": [[bands.get(k, k), cell(n)] for k, n in figures["open_at_end"].items()]},
            {"id": f"do-delays-{p['key']}", "title": "Open past the first target, by reason for delay" + suffix,
             "columns": ["Reason for delay", "Enquiries"],
             "rows": [[r["name"], cell(r["enquiries"])] for r in figures["delays"]["reasons"]]},
            {"id": f"do-settings-{p['key']}", "title": "Referrals by setting" + suffix,
             "columns": ["Setting", "Enquiries"],
             "rows": [[r["name"], cell(r["enquiries"])] for r in figures["by_setting"]]},
            {"id": f"do-phases-{p['key']}", "title": "Referrals in education by school phase" + suffix,
             "columns": ["School phase", "Enquiries"],
             "rows": [[r["name"], cell(r["enquiries"])] for r in figures["by_school_phase"]]},
        ]
    return tables
