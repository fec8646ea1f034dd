"""The Designated Officer indicators (``reports.do_indicators``) in the reports benchmark: what the
DO cases need besides those ``report_bench.DO_SQL`` makes (first meeting due dates, incident dates,
school phases, reasons for delay, meetings with their review dates, advice-only consultations),
and the same figures in hand-written SQL, so ``report_bench`` times the selector against it and
asserts that both give exactly the same report.

Used by bench/report_bench.py (``grow_do_extras`` after each chunk of DO cases,
``hand_do_indicator_report`` as the hand SQL of the "DO indicators" row).
"""

from __future__ import annotations

#: Fill in, for one chunk of generated DO cases (by reference), what the DO indicators read.
EXTRAS_SQL = """
UPDATE lado_enquiry e SET
    first_meeting_due = CASE WHEN e.threshold_met THEN e.decided_on + 7 END,
    incident_on = CASE WHEN random() < 0.6 THEN e.received_on - floor(power(random(), 3) * 900)::int END,
    school_phase_id = CASE WHEN e.setting_id = ANY(%(phased)s::bigint[]) AND random() < 0.9
                           THEN (%(phases)s::bigint[])[1 + floor(random() * %(n_phases)s)::int] END,
    delay_reason_id = CASE WHEN e.status = 'in_progress' AND e.target_1_due < now()::date AND random() < 0.7
                           THEN (%(reasons)s::bigint[])[1 + floor(random() * %(n_reasons)s)::int] END
WHERE e.reference BETWEEN %(first)s AND %(last)s
"""

#: The initial meeting of every case whose threshold was met (some late), with a review four
#: weeks on; a review meeting for most of them (some after the review date).
MEETINGS_SQL = """
WITH initial AS (
    INSERT INTO lado_meeting (enquiry_id, kind, held_on, attendees, minutes, decisions, next_review_on,
                              recorded_by_id, recorded_at)
    SELECT e.id, 'initial', least(e.first_meeting_due - 3 + floor(random() * 5)::int, coalesce(e.closed_on, e.first_meeting_due + 2)),
           'Bench, DO', '', 'Bench decisions.', e.first_meeting_due - 3 + 28, %(officer)s, now()
    FROM lado_enquiry e
    WHERE e.reference BETWEEN %(first)s AND %(last)s AND e.threshold_met AND e.status IN ('in_progress', 'concluded')
    RETURNING enquiry_id, held_on, next_review_on
)
INSERT INTO lado_meeting (enquiry_id, kind, held_on, attendees, minutes, decisions, next_review_on,
                          recorded_by_id, recorded_at)
SELECT enquiry_id, 'review', next_review_on - 4 + floor(random() * 8)::int, 'Bench, DO', '', 'Bench review.',
       NULL, %(officer)s, now()
FROM initial WHERE random() < 0.6
"""

#: Advice-only consultations: about two for every three referrals, over the same window.
CONSULTATIONS_SQL = """
INSERT INTO lado_consultation (consulted_at, consulted_on, caller_name, caller_organisation, sector_id, setting_id,
                               school_phase_id, category_id, advice, recorded_by_id, recorded_at)
SELECT d + time '11:00', d, '', '', NULL, (%(settings)s::bigint[])[1 + floor(random() * %(n_settings)s)::int],
       NULL, NULL, 'Bench advice.', %(officer)s, now()
FROM (SELECT %(start)s::date + floor(random() * %(days)s)::int AS d FROM generate_series(1, %(n)s)) g
"""


def _ids(fetch, table: str, where: str = "TRUE") -> list[int]:
    return [row[0] for row in fetch(f'SELECT id FROM lado_{table} WHERE {where} ORDER BY "order", name')]


def grow_do_extras(run, fetch, *, officer: int, lo: int, hi: int, start, days: int) -> None:
    """The extras for the DO cases DB-<lo> to DB-<hi> just generated (one chunk)."""
    phases, reasons = _ids(fetch, "schoolphase"), _ids(fetch, "delayreason")
    settings = _ids(fetch, "settingtype")
    params = {"first": f"DB-{lo:08d}", "last": f"DB-{hi:08d}", "officer": officer, "phases": phases,
              "n_phases": len(phases), "reasons": reasons, "n_reasons": len(reasons),
              "phased": _ids(fetch, "settingtype", "asks_school_phase"), "settings": settings,
              "n_settings": len(settings), "start": start, "days": days, "n": (hi - lo + 1) * 2 // 3}
    run(EXTRAS_SQL, params)
    run(MEETINGS_SQL, params)
    run(CONSULTATIONS_SQL, params)


def _period_figures(fetch, period, on) -> dict:
    from lado import conf
    from lado.selectors import ACTION_COUNTS, AGE_BANDS
    from workflows.dates import add_months

    p = {"s": period.start, "e": period.end, "on": on, "months": conf.non_recent_months()}
    open_ = "(closed_on IS NULL OR closed_on > %(e)s)"
    bands = []
    for key, _, low, high in AGE_BANDS:
        where = open_
        if low:
            where += f" AND received_on <= %(low_{key})s"
            p[f"low_{key}"] = add_months(period.end, -low)
        if high is not None:
            where += f" AND received_on > %(high_{key})s"
            p[f"high_{key}"] = add_months(period.end, -high)
        bands.append((key, f"count(*) FILTER (WHERE {where})"))
    criteria = ("harmed", "criminal_offence", "risk_of_harm", "unsuitable")
    received = "received_on >= %(s)s"
    row = fetch(f"""SELECT count(*) FILTER (WHERE {received}),
                           count(*) FILTER (WHERE {received} AND threshold_met),
                           count(*) FILTER (WHERE {received} AND NOT threshold_met),
                           count(*) FILTER (WHERE decided_on BETWEEN %(s)s AND %(e)s),
                           count(*) FILTER (WHERE decided_on BETWEEN %(s)s AND %(e)s AND decided_on <= decision_due),
                           {", ".join(f"count(*) FILTER (WHERE {received} AND threshold_met AND {c})" for c in criteria)},
                           count(*) FILTER (WHERE {received} AND incident_on IS NOT NULL),
                           count(*) FILTER (WHERE {received} AND incident_on
                                            <= (received_on - make_interval(months => %(months)s))::date),
                           count(*) FILTER (WHERE {open_}),
                           {", ".join(sql for _, sql in bands)}
                    FROM lado_enquiry WHERE received_on <= %(e)s""", p)[0]
    (n_received, met, not_met, decided, decided_within, *rest) = row
    crit, rest = dict(zip(criteria, rest[:4])), rest[4:]
    dated, non_recent, n_open, *band_counts = rest
    consultations = fetch("SELECT count(*) FROM lado_consultation WHERE consulted_on BETWEEN %(s)s AND %(e)s", p)[0][0]
    first_due, first_on_time = fetch("""
        SELECT count(*) FILTER (WHERE held IS NOT NULL OR (first_meeting_due < %(on)s
                                      AND (closed_on IS NULL OR closed_on > first_meeting_due))),
               count(*) FILTER (WHERE held <= first_meeting_due)
        FROM (SELECT e.first_meeting_due, e.closed_on, min(m.held_on) AS held
              FROM lado_enquiry e LEFT JOIN lado_meeting m ON m.enquiry_id = e.id
              WHERE e.threshold_met AND e.first_meeting_due BETWEEN %(s)s AND %(e)s GROUP BY e.id) x""", p)[0]
    review_due, review_on_time = fetch("""
        SELECT count(*) FILTER (WHERE later IS NOT NULL OR (m.next_review_on < %(on)s
                                      AND (e.closed_on IS NULL OR e.closed_on > m.next_review_on))),
               count(*) FILTER (WHERE later <= m.next_review_on)
        FROM lado_meeting m JOIN lado_enquiry e ON e.id = m.enquiry_id
        CROSS JOIN LATERAL (SELECT min(n.held_on) AS later FROM lado_meeting n
                            WHERE n.enquiry_id = m.enquiry_id AND n.held_on > m.held_on) l
        WHERE m.next_review_on BETWEEN %(s)s AND %(e)s""", p)[0]
    actions = dict(zip([key for key, _ in ACTION_COUNTS], fetch(
        "SELECT " + ", ".join(f"count(DISTINCT enquiry_id) FILTER (WHERE kind = '{kind}')" for _, kind in ACTION_COUNTS)
        + " FROM lado_action WHERE (recorded_at AT TIME ZONE 'Europe/London')::date BETWEEN %(s)s AND %(e)s", p)[0]))
    delays = dict(fetch(f"""SELECT coalesce(r.slug, 'not-recorded'), count(*) FROM lado_enquiry e
                            LEFT JOIN lado_delayreason r ON r.id = e.delay_reason_id
                            WHERE e.received_on <= %(e)s AND {open_.replace("closed_on", "e.closed_on")}
                              AND e.target_1_due < %(e)s GROUP BY 1""", p))
    settings = dict(fetch("""SELECT coalesce(s.slug, 'not-recorded'), count(*) FROM lado_enquiry e
                             LEFT JOIN lado_settingtype s ON s.id = e.setting_id
                             WHERE e.received_on BETWEEN %(s)s AND %(e)s GROUP BY 1""", p))
    phases = dict(fetch("""SELECT coalesce(p.slug, 'not-recorded'), count(*) FROM lado_enquiry e
                           JOIN lado_settingtype s ON s.id = e.setting_id AND s.asks_school_phase
                           LEFT JOIN lado_schoolphase p ON p.id = e.school_phase_id
                           WHERE e.received_on BETWEEN %(s)s AND %(e)s GROUP BY 1""", p))

    def pct(part, whole):
        return round(100 * part / whole, 1) if whole else None

    def named(table, counts):
        rows = [{"code": slug, "name": name, "enquiries": counts.get(slug, 0)} for slug, name, active in fetch(
            f'SELECT slug, name, active FROM lado_{table} ORDER BY "order", name') if active or slug in counts]
        return rows + [{"code": "not-recorded", "name": "Not recorded", "enquiries": counts.get("not-recorded", 0)}]

    def rate(due, on_time):
        return {"due": due, "on_time": on_time, "on_time_percent": pct(on_time, due)}

    contacts = n_received + consultations
    return {
        "period": period.as_dict(),
        "referrals": {"received": n_received, "consultations": consultations, "contacts": contacts,
                      "consultations_percent": pct(consultations, contacts)},
        "threshold": {"met": met, "not_met": not_met},
        "decisions": rate(decided, decided_within) | {"working_days": conf.decision_working_days()},
        "first_meetings": rate(first_due, first_on_time) | {"working_days": conf.first_meeting_working_days()},
        "reviews": rate(review_due, review_on_time),
        "criteria": crit,
        "actions": actions,
        "open_at_end": {key: n for (key, _), n in zip(bands, band_counts)} | {"total": n_open},
        "delays": {"past_target": sum(delays.values()), "reasons": named("delayreason", delays)},
        "non_recent": {"non_recent": non_recent, "incident_dated": dated, "months": conf.non_recent_months()},
        "by_setting": named("settingtype", settings),
        "by_school_phase": named("schoolphase", phases),
    }


def hand_do_indicator_report(fetch, year: int) -> dict:
    """``reports.do_indicators.do_indicator_report(year=year)`` in hand-written SQL."""
    from reports.do_indicators import periods_for, trend_years
    from workflows.clocks import today

    on = today()
    return {"periods": [{"key": key, "label": label, "period": period.as_dict(),
                         "figures": _period_figures(fetch, period, on)}
                        for key, label, period in periods_for(year=year)],
            "years": [{"year": y, "label": label, "period": period.as_dict(),
                       "figures": _period_figures(fetch, period, on)} for y, label, period in trend_years(year)]}
