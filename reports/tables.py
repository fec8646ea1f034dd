"""Reports laid out as tables: the same tables feed the pages, the CSV and the XLSX downloads.

A table is ``{"id", "title", "columns", "rows", "chart"}``; each row is a list of cells, the
first the row's label. A cell is a number, text, ``None`` (shown as "–") or a ``Direction``.
"""

from __future__ import annotations

from dataclasses import dataclass

from lado.models import Category, Enquiry, ReferralSource, Sector, SettingType
from lado.selectors import AGE_BANDS
from workflows.replica import from_replica

from .selectors import CASE_TYPES, NOT_RECORDED

CASE_TYPE_NAMES = {"CP": "Child protection (CP)", "CLA": "Looked after (CLA)"}
ARROWS = {"up": "▲", "down": "▼", "same": "▶", "not-recorded": "–"}
DIRECTION_TEXT = {"up": "Up on last year", "down": "Down on last year", "same": "Same as last year",
                  "not-recorded": "Not previously recorded"}


@dataclass(frozen=True)
class Direction:
    value: str

    @property
    def arrow(self) -> str:
        return ARROWS[self.value]

    @property
    def text(self) -> str:
        return DIRECTION_TEXT[self.value]

    def __str__(self):
        return self.value


@dataclass(frozen=True)
class Suppressed:
    """A figure withheld from a reader outside the DO team (``reports.disclosure``): shown as
    its text on pages and in downloads, never as a number."""

    text: str

    def __str__(self):
        return self.text


def _name(names: dict, key: str) -> str:
    if key == NOT_RECORDED:
        return "Not recorded"
    return names.get(key) or key.replace("-", " ").capitalize()


def _comparison_row(label, c) -> list:
    last = "Not recorded" if c["direction"] == "not-recorded" else c["last_year"]
    return [label, c["this_year"], last, c["variance"], Direction(c["direction"])]


COMPARISON_COLUMNS = ["Measure", "This year", "Last year", "Variance", "Direction of travel"]


def _chart(table_rows, column=1) -> list[tuple[str, int]]:
    return [(row[0], row[column] or 0) for row in table_rows]


@from_replica
def vocabulary_names() -> dict[str, dict[str, str]]:
    """Names of the DO vocabularies by slug (four small queries)."""
    return {field: dict(model.objects.values_list("slug", "name")) for field, model in (
        ("by_sector", Sector), ("by_setting", SettingType), ("by_category", Category),
        ("by_referral_source", ReferralSource))}


#: While the year runs, the comparison is the year to date against the same months of last year.
YEAR_TO_DATE_COLUMNS = ["Measure", "This year to date", "Same months last year", "Variance", "Direction of travel"]


def annual_tables(report: dict, labels: dict, vocabularies: dict) -> list[dict]:
    drp, do = report["drp"], report["designated_officer"]
    comparing = YEAR_TO_DATE_COLUMNS if report.get("year_to_date") else COMPARISON_COLUMNS
    stage_names = {s["key"]: s["name"] for s in labels["stages"]}
    theme_names = {t["slug"]: t["name"] for t in labels["themes"]}
    tables = [
        {"id": "drps-raised", "title": "DRPs raised", "section": "drp",
         "columns": ["Case type"] + comparing[1:],
         "rows": [_comparison_row(CASE_TYPE_NAMES[ct], drp["raised"][ct]) for ct in CASE_TYPES]},
        {"id": "positive-practice", "title": "Positive practice recorded", "section": "drp",
         "columns": ["Case type"] + comparing[1:],
         "rows": [_comparison_row(CASE_TYPE_NAMES[ct], drp["positive_practice"][ct]) for ct in CASE_TYPES]},
    ]
    for key, table_id, title in (
            ("closed_at_stage", "closed-at-stage", "Stage at which DRPs closed: DRPs closed this year"),
            ("closed_at_stage_of_raised", "closed-at-stage-of-raised",
             "Stage at which DRPs closed: DRPs raised this year")):
        closed = drp[key]
        stage_keys = list(closed[CASE_TYPES[0]])
        tables.append({
            "id": table_id, "title": title, "section": "drp",
            "columns": ["DRPs"] + [_name(stage_names, k) if k != "total" else "Total closed" for k in stage_keys],
            "rows": [[f"{CASE_TYPE_NAMES[ct]}, resolved"] + [closed[ct].get(k, 0) for k in stage_keys]
                     for ct in CASE_TYPES]
            + [["Withdrawn (CP and CLA)"] + [closed["withdrawn"].get(k, 0) for k in stage_keys]],
        })
    slugs = list(dict.fromkeys(s for ct in CASE_TYPES for s in drp["themes"][ct]))
    theme_rows = [[_name(theme_names, s)] + [drp["themes"][ct].get(s, 0) for ct in CASE_TYPES] for s in slugs]
    tables.append({
        "id": "themes", "title": "DRP themes", "section": "drp",
        "columns": ["Theme"] + [CASE_TYPE_NAMES[ct] for ct in CASE_TYPES], "rows": theme_rows,
        "charts": [{"title": f"DRP themes: {CASE_TYPE_NAMES[ct]}", "bars": _chart(theme_rows, i + 1)}
                   for i, ct in enumerate(CASE_TYPES)],
    })
    disclosure = report.get("designated_officer_disclosure") or {}
    if disclosure.get("note"):  # why DO figures are withheld or suppressed; the downloads say it too
        tables.append({"id": "do-note", "title": "Designated Officer", "section": "do-note",
                       "columns": ["Note"], "rows": [[disclosure["note"]]]})
    if do is None:  # withheld from this reader (reports.disclosure)
        return tables
    hidden = set(disclosure.get("suppressed", []))
    fewer = Suppressed(f"fewer than {disclosure.get('threshold')}")
    not_shown = Suppressed("not shown")

    def count(path, value):
        return fewer if path in hidden else value

    enquiries = do["enquiries"]
    tables.append({
        "id": "do-enquiries", "title": "Designated Officer enquiries", "section": "do",
        "columns": comparing,
        "rows": [["Enquiries received", count("enquiries.this_year", enquiries["this_year"]),
                  count("enquiries.last_year", enquiries["last_year"]),
                  not_shown if "enquiries.variance" in hidden else enquiries["variance"],
                  not_shown if "enquiries.direction" in hidden else Direction(enquiries["direction"])]],
    })
    tables.append({
        "id": "do-threshold", "title": "Threshold decisions on enquiries received", "section": "do",
        "columns": ["Decision", "Enquiries"],
        "rows": [["Met the threshold for an allegation management meeting",
                  count("met_threshold", do["met_threshold"])],
                 ["Advice and guidance given", count("advice_given", do["advice_given"])]],
    })
    decisions = do["decisions"]
    days = decisions["working_days"]
    within_label = f"within {days} working day{'s' if days != 1 else ''} of receipt"
    tables.append({
        "id": "do-decision-timeliness", "title": "Threshold decisions made in the year", "section": "do",
        "columns": ["Decisions", "Value"],
        "rows": [["Threshold decisions made", count("decisions.made", decisions["made"])],
                 [f"Made {within_label}", count("decisions.within_timescale", decisions["within_timescale"])],
                 [f"Made {within_label} (%)", not_shown if "decisions.within_timescale_percent" in hidden
                  else decisions["within_timescale_percent"]]],
    })
    outcome_names = dict(Enquiry.Outcome.choices) | {
        "cancelled": "Cancelled after the threshold was met", "total": "Total (threshold met)"}
    tables.append({
        "id": "do-outcomes", "title": "Enquiries concluded or cancelled, by outcome", "section": "do",
        "columns": ["Outcome", "Enquiries"],
        "rows": [[outcome_names.get(k, k), count(f"outcomes.{k}", n)] for k, n in do["outcomes"].items()]
        + [["Cancelled before a threshold decision (not in the total)",
            count("cancelled_before_decision", do["cancelled_before_decision"])]],
    })
    tables.append({
        "id": "do-timeliness", "title": "Timeliness of enquiries concluded", "section": "do",
        "columns": ["Concluded", "Enquiries (%)", "Target (%)"],
        "rows": [[key.replace("_", " ").capitalize(), not_shown if f"timeliness.{key}" in hidden else value,
                  do["timeliness_targets"].get(key)]
                 for key, value in do["timeliness"].items()],
    })
    band_names = {key: label for key, label, *_ in AGE_BANDS} | {"total": "Total open"}
    tables.append({
        "id": "do-open-ageing", "title": "Enquiries open at the end of the year, by time since referral",
        "section": "do", "columns": ["Open for", "Enquiries"],
        "rows": [[band_names.get(k, k), count(f"open_at_end.{k}", n)] for k, n in do["open_at_end"].items()],
    })
    action_names = {"police_investigations": "Police investigation", "suspensions": "Suspension",
                    "dbs_referrals": "Referral to the DBS", "regulator_referrals": "Referral to a regulator"}
    tables.append({
        "id": "do-actions", "title": "Police involvement, suspensions and referrals", "section": "do",
        "columns": ["Enquiries with an action recorded in the year", "Enquiries"],
        "rows": [[action_names.get(k, k), count(f"actions.{k}", n)] for k, n in do["actions"].items()],
    })
    for field, title, heading in (("by_sector", "Enquiries by sector", "Sector"),
                                  ("by_setting", "Enquiries by setting type", "Setting type"),
                                  ("by_category", "Enquiries by category", "Category"),
                                  ("by_referral_source", "Enquiries by referral source", "Referral source")):
        names = vocabularies.get(field, {})
        tables.append({"id": "do-" + field.replace("_", "-"), "title": title, "section": "do",
                       "columns": [heading, "Enquiries"],
                       "rows": [[_name(names, k), count(f"{field}.{k}", n)] for k, n in do[field].items()]})
    return tables


def monthly_tables(report: dict, labels: dict) -> list[dict]:
    stage_names = {s["key"]: s["name"] for s in labels["stages"]}
    theme_names = {t["slug"]: t["name"] for t in labels["themes"]}
    raised, trend = report["raised"], report["trend"]
    theme_rows = []
    for slug, n in raised["by_theme"].items():
        series = trend["themes"].get(slug, {})
        theme_rows.append([_name(theme_names, slug)]
                          + [raised["by_theme_and_case_type"][ct].get(slug, 0) for ct in CASE_TYPES]
                          + [n, series.get("previous_mean"), "Spike" if series.get("spike") else ""])
    res = report["resolution"]
    tables = [
        {"id": "themes", "title": "DRPs raised by theme",
         "columns": ["Theme"] + [CASE_TYPE_NAMES[ct] for ct in CASE_TYPES]
         + ["Total", "Mean of previous 11 months", "Spike"],
         "rows": theme_rows,
         "charts": [{"title": "DRPs raised by theme this month", "bars": _chart(theme_rows, 1 + len(CASE_TYPES))}]},
        {"id": "case-type", "title": "DRPs raised by case type", "columns": ["Case type", "DRPs"],
         "rows": [[CASE_TYPE_NAMES.get(ct, ct), n] for ct, n in raised["by_case_type"].items()]},
        {"id": "teams", "title": "DRPs raised by team", "columns": ["Team", "DRPs"],
         "rows": [[t["name"], t["count"]] for t in raised["by_team"]]},
        {"id": "stage-reached", "title": "DRPs raised this month by stage reached", "columns": ["Stage", "DRPs"],
         "rows": [[_name(stage_names, k), n] for k, n in raised["by_stage_reached"].items()]},
        {"id": "closed", "title": "DRPs closed this month by the stage they closed at",
         "columns": ["Stage", "DRPs closed"],
         "rows": [[_name(stage_names, k), n] for k, n in report["closed"]["by_stage"].items()]
         + [["Total closed", report["closed"]["total"]]]},
        {"id": "resolution", "title": "Time to resolution", "columns": ["Measure", "Value"],
         "rows": [["DRPs resolved", res["resolved"]],
                  ["Median working days from raised to resolved", res["median_working_days"]],
                  ["DRPs with an overall clock", res["with_overall_clock"]],
                  [f"Resolved within the overall limit ({res['timescale_rule']})", res["within_timescale"]],
                  [f"Resolved within the overall limit ({res['timescale_rule']}) (%)",
                   res["within_timescale_percent"]]]},
        {"id": "positive-practice", "title": "Positive practice by team", "columns": ["Team", "Positive practice"],
         "rows": [[t["name"], t["count"]] for t in report["positive_practice"]["by_team"]]
         + [["Total", report["positive_practice"]["total"]]]},
        {"id": "cafcass", "title": "Referrals to Cafcass", "columns": ["Measure", "DRPs"],
         "rows": [["Referred to Cafcass this month", report["cafcass_referrals"]]]},
    ]
    months = trend["months"]
    tables.append({
        "id": "trend", "title": "Twelve-month trend by theme",
        "columns": ["Theme"] + months,
        "rows": [[_name(theme_names, slug)] + s["counts"] for slug, s in trend["themes"].items()],
    })
    return tables


def learning_tables(teams: list[dict], people: list[dict], labels: dict) -> list[dict]:
    theme_names = {t["slug"]: t["name"] for t in labels["themes"]}
    team_rows = []
    for t in teams:
        top = sorted(t["themes"].items(), key=lambda kv: (-kv[1], kv[0]))
        team_rows.append([t["name"], t["drps"]["CP"], t["drps"]["CLA"], t["drps"]["total"],
                          "; ".join(f"{_name(theme_names, s)} ({n})" for s, n in top),
                          t["positive_practice"]["CP"], t["positive_practice"]["CLA"],
                          t["positive_practice"]["total"]])
    return [
        {"id": "team-learning", "title": "Service learning by team",
         "columns": ["Team", "DRPs CP", "DRPs CLA", "DRPs total", "DRP themes",
                     "Positive practice CP", "Positive practice CLA", "Positive practice total"],
         "rows": team_rows},
        {"id": "iro-footprint", "title": "IRO/CC footprint",
         "columns": ["IRO/CC", "DRPs informal", "DRPs formal", "DRPs total", "Positive practice",
                     "Children", "DRPs per child", "Positive practice per child"],
         "rows": [[p["name"], p["drps_informal"], p["drps_formal"], p["drps_total"], p["positive_practice"],
                   p["children"], p["drps_per_child"], p["positive_practice_per_child"]] for p in people]},
    ]



def _band_cells(figures: dict) -> list:
    from .indicators import BANDS

    return [figures["count"], figures["median_working_days"], *[figures["bands"][key] for key, *_ in BANDS]]


def drp_indicator_tables(report: dict) -> list[dict]:
    """The DRP indicators (``reports.indicators``): a headline table with a column per period,
    then each period's breakdowns."""
    from .indicators import BANDS

    periods = report["periods"]
    labels = [p["label"] for p in periods]

    def row(label, get):
        return [label, *[get(p) for p in periods]]

    headline = [
        row("DRPs raised: CP", lambda p: p["raised"]["CP"]),
        row("DRPs raised: CLA", lambda p: p["raised"]["CLA"]),
        row("Children affected: CP", lambda p: p["children_affected"]["CP"]),
        row("Children affected: CLA", lambda p: p["children_affected"]["CLA"]),
        row("Children affected: total", lambda p: p["children_affected"]["total"]),
        row("DRPs given agreed actions", lambda p: p["time_to_agreed_actions"]["count"]),
        row("Median working days from raised to agreed actions",
            lambda p: p["time_to_agreed_actions"]["median_working_days"]),
        row("DRPs resolved", lambda p: p["time_to_resolution"]["count"]),
        row("Median working days from raised to resolution", lambda p: p["time_to_resolution"]["median_working_days"]),
        row("Stage deadlines due", lambda p: p["stage_deadlines"]["due"]),
        row("Stage deadlines met (%)", lambda p: p["stage_deadlines"]["answered_on_time_percent"]),
        row("Agreed actions recorded", lambda p: p["agreed_actions"]["agreed"]),
        row("Agreed actions due", lambda p: p["agreed_actions"]["due"]),
        row("Agreed actions done by their date", lambda p: p["agreed_actions"]["done_on_time"]),
        row("Agreed actions done late", lambda p: p["agreed_actions"]["done_late"]),
        row("Agreed actions not done", lambda p: p["agreed_actions"]["not_done"]),
        row("Agreed actions open past their date", lambda p: p["agreed_actions"]["open_overdue"]),
        row("Actions addressed to partner agencies", lambda p: p["partner_agencies"]["actions"]),
        row("Stages addressed to partner agencies", lambda p: p["partner_agencies"]["stages"]),
        row("DRPs escalated to partner agencies", lambda p: p["partner_agencies"]["drps"]),
        row("Positive practice: CP", lambda p: p["positive_practice"]["CP"]),
        row("Positive practice: CLA", lambda p: p["positive_practice"]["CLA"]),
    ]
    tables = [{"id": "drp-indicators", "title": "DRP indicators", "columns": ["Indicator", *labels],
               "rows": headline}]
    band_columns = ["Period", "DRPs", "Median working days", *[label for _, label, *_ in BANDS]]
    tables.append({"id": "time-to-agreed-actions", "title": "Time from raised to agreed actions in place",
                   "columns": band_columns,
                   "rows": [[p["label"], *_band_cells(p["time_to_agreed_actions"])] for p in periods],
                   "charts": [{"title": f"{p['label']}: working days from raised to agreed actions",
                               "bars": [(label, p["time_to_agreed_actions"]["bands"][key])
                                        for key, label, *_ in BANDS]} for p in periods]})
    tables.append({"id": "time-to-resolution", "title": "Time from raised to resolution",
                   "columns": band_columns,
                   "rows": [[p["label"], *_band_cells(p["time_to_resolution"])] for p in periods],
                   "charts": [{"title": f"{p['label']}: working days from raised to resolution",
                               "bars": [(label, p["time_to_resolution"]["bands"][key])
                                        for key, label, *_ in BANDS]} for p in periods]})
    for p in periods:
        suffix = f" ({p['label']})"
        tables += [
            {"id": f"stage-deadlines-{p['key']}", "title": "Stage deadlines met" + suffix,
             "columns": ["Stage", "Deadlines due", "Answered by the deadline", "Answered by the deadline (%)"],
             "rows": [[s["name"], s["due"], s["answered_on_time"], s["answered_on_time_percent"]]
                      for s in p["stage_deadlines"]["stages"]]},
            {"id": f"partner-agencies-{p['key']}", "title": "Escalations to partner agencies" + suffix,
             "columns": ["Agency", "Actions", "Stages", "DRPs"],
             "rows": [[a["name"], a["actions"], a["stages"], a["drps"]] for a in p["partner_agencies"]["agencies"]]},
            {"id": f"impact-{p['key']}", "title": "Impact for the child (DRPs resolved)" + suffix,
             "columns": ["Impact", "DRPs"], "rows": [[i["name"], i["drps"]] for i in p["impact"]],
             "charts": [{"title": "Impact for the child" + suffix,
                         "bars": [(i["name"], i["drps"]) for i in p["impact"]]}]},
            {"id": f"teams-{p['key']}", "title": "By team" + suffix,
             "columns": ["Team", "DRPs raised", "Children affected", "DRPs resolved",
                         "Median working days to resolution"],
             "rows": [[t["name"], t["raised"], t["children_affected"], t["resolved"],
                       t["median_working_days_to_resolution"]] for t in p["by_team"]]},
            {"id": f"iros-{p['key']}", "title": "By IRO/CC" + suffix,
             "columns": ["IRO/CC", "DRPs raised", "DRPs given agreed actions", "Median working days to agreed actions",
                         "DRPs resolved", "Median working days to resolution"],
             "rows": [[i["name"], i["raised"], i["with_agreed_actions"], i["median_working_days_to_agreed_actions"],
                       i["resolved"], i["median_working_days_to_resolution"]] for i in p["by_iro"]]},
        ]
    return tables
