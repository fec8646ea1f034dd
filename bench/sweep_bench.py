#!/usr/bin/env python
"""Reminder sweep benchmark: N open DRP deadlines, 1% of them due, one real sweep.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/footprint_sweep_bench .venv/bin/python
        bench/sweep_bench.py --sizes 100000 1000000   (one command line)

For each size it grows a throwaway database to N open DRPs (Stage 1-5, awaiting response,
one open stage record each; exactly 1% of the stage records due on ``--today``), then, in
the same run:

1. times a hand-written SELECT of the same due rows (median of 5), before the sweep;
2. prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the sweep's own due-row queries
   (``due_rows(kind, phase, on, horizon)``), and the same with the partial indexes this
   bench proposes, created in a transaction that is rolled back (``--no-try-indexes`` skips);
3. times one ``run_sweep(on=today, kinds=["drp-stage", "drp-overall"])`` for real
   (it commits), with its SQL statements counted, and then a second sweep that finds
   nothing left to send.

The LADO deadline kinds are registered too, but not swept. ``--history`` adds what a real
database also holds: ended stage records, closed DRPs and the reminders already sent for them.

PostgreSQL only. The database setup (create / drop-and-recreate a marked throwaway
database, refuse a foreign one) and the Django setup are ``bench/drp_bench.py``'s, imported.
See bench/README.md ("Reminder sweep") for the figures measured.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from collections import Counter, deque
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

# bench/drp_bench.py: the database guard, the Django setup, the organisation and the COPY helper.
import drp_bench  # noqa: E402
from drp_bench import (  # noqa: E402
    LONDON,
    Refused,
    analyze,
    build_org,
    insert_rows,
    prepare_database,
    setup_django,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/footprint_sweep_bench"
DEFAULT_TODAY = "2026-11-25"
KINDS = ["drp-stage", "drp-overall"]
CHUNK = 50_000  # DRPs generated (and COPYed) per transaction
DUE_FRACTION = 0.01
# How the due 1% is split over the sweep's three phases (exact counts, see split_due()).
PHASE_MIX = (("overdue", 0.4), ("due-today", 0.2), ("due-soon", 0.4))
RESPONDERS = drp_bench.RESPONDERS
TIMED_RUNS = 5
QUEUED_ONLY = False  # --broker: email tasks go to the broker, not run here

# The same due rows as the sweep's three drp-stage queries, in one statement. The DRP's status
# is checked with a correlated subquery, so each due row costs one primary-key lookup (a plain
# JOIN lets the planner hash-join against every DRP instead: HAND_WRITTEN_JOIN_SQL).
HAND_WRITTEN_SQL = """
SELECT sr.id, sr.drp_id, sr.due_date
FROM {stagerecord} sr
WHERE sr.due_date <= %(horizon)s
  AND sr.ended_on IS NULL
  AND sr.responded_on IS NULL
  AND (SELECT d.status FROM {drp} d WHERE d.id = sr.drp_id) = %(status)s
  AND NOT EXISTS (
      SELECT 1 FROM {log} r
      WHERE r.kind = %(kind)s AND r.object_id = sr.id AND r.due = sr.due_date
        AND r.phase = CASE WHEN sr.due_date < %(today)s THEN 'overdue'
                           WHEN sr.due_date = %(today)s THEN 'due-today'
                           ELSE 'due-soon' END)
ORDER BY sr.due_date, sr.id
"""

HAND_WRITTEN_JOIN_SQL = """
SELECT sr.id, sr.drp_id, sr.due_date
FROM {stagerecord} sr
JOIN {drp} d ON d.id = sr.drp_id
WHERE sr.due_date <= %(horizon)s
  AND sr.ended_on IS NULL
  AND sr.responded_on IS NULL
  AND d.status = %(status)s
  AND NOT EXISTS (
      SELECT 1 FROM {log} r
      WHERE r.kind = %(kind)s AND r.object_id = sr.id AND r.due = sr.due_date
        AND r.phase = CASE WHEN sr.due_date < %(today)s THEN 'overdue'
                           WHEN sr.due_date = %(today)s THEN 'due-today'
                           ELSE 'due-soon' END)
ORDER BY sr.due_date, sr.id
"""


# --------------------------------------------------------------------------------------
# Dates: every due date is a working day counted from --today.
# --------------------------------------------------------------------------------------


class Days:
    """Working days around ``today``: ``shift(d, n)`` is n working days after (n < 0: before) d."""

    def __init__(self, today: date):
        from workflows.calendar import get_calendar

        self.calendar = get_calendar()
        self.today = today
        start, end = today - timedelta(days=800), today + timedelta(days=400)
        self.days = [start + timedelta(days=i) for i in range((end - start).days + 1)
                     if self.calendar.is_working_day(start + timedelta(days=i))]
        self.index = {d: i for i, d in enumerate(self.days)}

    def shift(self, day: date, n: int) -> date:
        if day in self.index:
            i = self.index[day] + n
            if not 0 <= i < len(self.days):
                raise ValueError(f"{n} working days from {day} is outside the precomputed range")
            return self.days[i]
        if n >= 0:  # a non-working day: the n-th working day after it
            return self.calendar.add_working_days(day, n)
        before = day - timedelta(days=1)  # ... or the |n|-th before it
        while not self.calendar.is_working_day(before):
            before -= timedelta(days=1)
        return self.shift(before, n + 1)

    def from_today(self, n: int) -> date:
        return self.today if n == 0 else self.shift(self.today, n)


def split_due(n_due: int) -> list[str]:
    """Exactly n_due phases, in PHASE_MIX proportions (the remainder goes to the last)."""
    phases = []
    for phase, share in PHASE_MIX[:-1]:
        phases += [phase] * round(n_due * share)
    phases += [PHASE_MIX[-1][0]] * (n_due - len(phases))
    return phases


# --------------------------------------------------------------------------------------
# Data: N open DRPs, one open stage record each, COPYed in.
# --------------------------------------------------------------------------------------


def generate(org, count: int, today: date, due_soon_days: int, overall_due_fraction: float,
             history: bool, seed: int, progress=print) -> dict[str, int]:
    """Add ``count`` open DRPs (awaiting response at Stage 1-5) with one open stage record each.

    Exactly ``count // 100`` stage records are due (overdue, due today or due soon, see
    PHASE_MIX); the rest are due more than ``due_soon_days`` working days after ``today``.
    ``overall_due_fraction`` of the DRPs (exactly, rounded down) have an overdue overall time
    limit; the rest fall due 1-20 working days after today.

    With ``history``, each open DRP at Stage s also gets its s-1 earlier stage records (ended,
    responded, due in the past), and there are two closed (resolved) DRPs per open one, each
    with one ended stage record; all their due dates are in the past. The reminders those past
    deadlines were sent are in the reminder log (due-soon for every ended record, due-today for
    half, overdue for 30%, and drp-overall overdue for 20% of closed DRPs), with negative ids so
    that reset_sent() can tell them from what the measured sweeps send.
    """
    from django.db import connection, transaction

    from drp.models import DisputeResolution, StageRecord
    from workflows.models import ReferenceSequence, ReminderLog

    DRP = DisputeResolution
    days = Days(today)
    formal = [stage for stage in org.ladder if stage.is_formal][:5]  # Stage 1 .. Stage 5
    users = org.users
    responder = {stage.key: users[RESPONDERS[stage.key]].pk for stage in org.ladder}
    iro, chair = users["iro"].pk, users["chair"].pk
    rng = random.Random(seed * 7_919 + DRP.objects.count())

    # Exactly 1% due, spread over the whole batch; the phases in fixed proportions.
    due_at = dict(zip(sorted(rng.sample(range(count), int(count * DUE_FRACTION))),
                      rng.sample(split_due(int(count * DUE_FRACTION)), int(count * DUE_FRACTION))))
    overall_overdue = set(rng.sample(range(count), int(count * overall_due_fraction)))

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {DRP._meta.db_table}")
        next_id = cursor.fetchone()[0] + 1
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {StageRecord._meta.db_table}")
        next_record_id = cursor.fetchone()[0] + 1
        cursor.execute(f"SELECT coalesce(min(id), 0) FROM {ReminderLog._meta.db_table}")
        next_log_id = min(cursor.fetchone()[0], 0) - 1
    drp_columns = ["id", "reference", "case_type", "concern", "team_id", "raised_by_id", "iro_id", "raised_on",
                   "stage_id", "status", "addressee_id", "stage_started_on", "stage_due_date",
                   "formal_started_on", "overall_due_date", "referred_to_cafcass",
                   "referred_to_cafcass_on", "outcome", "impact", "closed_on", "closed_at_stage_id",
                   "created_at", "imported_from", "updated_at", "version"]
    record_columns = ["id", "drp_id", "stage_id", "addressee_id", "started_on", "due_date", "response",
                      "responded_on", "responded_by_id", "ended_on", "asked"]
    log_columns = ["id", "kind", "object_id", "phase", "due", "sent_at"]
    link = DRP.children.through
    rows = Counter()
    concern = "The care plan has drifted and the agreed actions have not happened."
    response = "The plan has been reviewed with the team manager."

    def drp_row(pk, stage, status, started, due, formal_started, overall_due, child, closed_on=None):
        actor = iro if rng.random() < 2 / 3 else chair
        raised_on = formal_started or started
        created = datetime.combine(raised_on, dtime(9, 30), tzinfo=LONDON)
        return (pk, f"DRP-{pk:07d}", child[2], concern, child[1], actor, actor, raised_on, stage.pk, status,
                responder[stage.key], started, due, formal_started, overall_due, False, None,
                "Resolved." if closed_on else "", "", closed_on, stage.pk if closed_on else None,
                created, "", created, 1)

    def ended_record(drp_pk, stage, started, due, ended):
        """An ended stage record, and the reminders it was sent while it ran."""
        nonlocal next_record_id, next_log_id
        rid, next_record_id = next_record_id, next_record_id + 1
        records.append((rid, drp_pk, stage.pk, responder[stage.key], started, due, response,
                        days.shift(due, -1), responder[stage.key], ended))
        sent = [("due-soon", days.shift(due, -due_soon_days))]
        if rng.random() < 0.5:
            sent.append(("due-today", due))
        if rng.random() < 0.3:
            sent.append(("overdue", days.shift(due, 1)))
        for phase, day in sent:
            log.append((next_log_id, "drp-stage", rid, phase, due,
                        datetime.combine(day, dtime(7, 0), tzinfo=LONDON)))
            next_log_id -= 1

    for offset in range(0, count, CHUNK):
        n_here = min(CHUNK, count - offset)
        drps, records, links, log = [], [], [], []
        for i in range(offset, offset + n_here):
            pk, next_id = next_id, next_id + 1
            stage_no = rng.randint(1, 5)
            stage = formal[stage_no - 1]
            wd = stage.working_days
            phase = due_at.get(i)
            if phase == "overdue":
                due = days.from_today(-rng.randint(1, wd))
            elif phase == "due-today":
                due = today
            elif phase == "due-soon":
                due = days.from_today(rng.randint(1, due_soon_days))
            else:  # not due: more than due_soon_days working days away, started by today
                due = days.from_today(rng.randint(due_soon_days + 1, max(wd, due_soon_days + 1)))
            started = days.shift(due, -wd)
            if i in overall_overdue:
                overall_due = days.from_today(-rng.randint(1, 20))
            else:
                overall_due = days.from_today(rng.randint(1, 20))
            formal_started = days.shift(overall_due, -overall_working_days())
            child = rng.choice(org.children)
            drps.append(drp_row(pk, stage, DRP.Status.AWAITING_RESPONSE.value, started, due,
                                formal_started, overall_due, child))
            links.append((pk, child[0]))
            records.append((next_record_id, pk, stage.pk, responder[stage.key], started, due, "",
                            None, None, None))
            next_record_id += 1
            if history:
                # The stages it was escalated from: ended, responded, all due in the past.
                end = started
                for earlier in reversed(formal[:stage_no - 1]):
                    e_due = days.shift(end, -rng.randint(1, 10))
                    e_start = days.shift(e_due, -earlier.working_days)
                    ended_record(pk, earlier, e_start, e_due, end)
                    end = e_start
                # Two closed DRPs for each open one, at any stage, closed in the last 18 months.
                for _ in range(2):
                    cpk, next_id = next_id, next_id + 1
                    cstage = rng.choice(formal)
                    closed_on = days.from_today(-rng.randint(5, 380))
                    c_due = days.shift(closed_on, -rng.randint(0, 15))
                    c_start = days.shift(c_due, -cstage.working_days)
                    c_overall = days.shift(c_start, 10)
                    cchild = rng.choice(org.children)
                    drps.append(drp_row(cpk, cstage, DRP.Status.RESOLVED.value, c_start, c_due,
                                        days.shift(c_overall, -overall_working_days()), c_overall,
                                        cchild, closed_on=closed_on))
                    links.append((cpk, cchild[0]))
                    ended_record(cpk, cstage, c_start, c_due, closed_on)
                    if rng.random() < 0.2:
                        log.append((next_log_id, "drp-overall", cpk, "overdue", c_overall,
                                    datetime.combine(days.shift(c_overall, 1), dtime(7, 0), tzinfo=LONDON)))
                        next_log_id -= 1
        with transaction.atomic():
            insert_rows(DRP, drp_columns, drps)
            insert_rows(link, ["disputeresolution_id", "child_id"], links)
            insert_rows(StageRecord, record_columns, [record + ("",) for record in records])
            insert_rows(ReminderLog, log_columns, log)
        rows["drps"] += len(drps)
        rows["reminder_log"] += len(log)
        rows["stage_records"] += len(records)
        rows["drp_children"] += len(links)
        progress(f"  ... {offset + n_here:,}/{count:,} open DRPs inserted", flush=True)

    # COPY gave explicit ids: move the identity sequences (and the reference counter) past them.
    with connection.cursor() as cursor:
        for table, last in ((DRP._meta.db_table, next_id - 1),
                            (StageRecord._meta.db_table, next_record_id - 1)):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [last])
    ReferenceSequence.objects.update_or_create(name="drp", defaults={"last": next_id - 1})
    return dict(rows)


def overall_working_days() -> int:
    from django.conf import settings

    return settings.DRP_OVERALL_WORKING_DAYS


def row_counts(today: date) -> dict[str, int]:
    from drp.models import DisputeResolution, StageRecord
    from workflows.models import ReminderLog

    DRP = DisputeResolution
    open_records = StageRecord.objects.filter(ended_on__isnull=True, responded_on__isnull=True,
                                              drp__status=DRP.Status.AWAITING_RESPONSE)
    return {
        "drps": DRP.objects.count(),
        "open_drps": DRP.objects.filter(status__in=DRP.OPEN_STATUSES).count(),
        "stage_records": StageRecord.objects.count(),
        "open_stage_records": open_records.count(),
        "overall_overdue": DRP.objects.filter(status__in=DRP.OPEN_STATUSES,
                                              overall_due_date__lt=today).count(),
        "past_reminders_logged": ReminderLog.objects.filter(id__lt=0).count(),
    }


# --------------------------------------------------------------------------------------
# Measuring.
# --------------------------------------------------------------------------------------


def reset_sent() -> None:
    """Empty the notifications and the reminder log before a sweep, then re-ANALYZE them.

    The log is TRUNCATEd, except with --history: then only the rows the sweeps sent are deleted
    (positive ids) and the generated past reminders (negative ids) stay."""
    from django.db import connection

    from notifications.models import Notification
    from workflows.models import ReminderLog

    log, notifications = ReminderLog._meta.db_table, Notification._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {notifications}")
        if ReminderLog.objects.filter(id__lt=0).exists():
            cursor.execute(f"DELETE FROM {log} WHERE id > 0")
            cursor.execute(f"VACUUM (ANALYZE) {log}")
        else:
            cursor.execute(f"TRUNCATE {log}")
            cursor.execute(f"ANALYZE {log}")
        cursor.execute(f"ANALYZE {notifications}")


def statement_kind(sql: str) -> str:
    word = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    if word == "SELECT" and "FOR UPDATE" in sql.upper():
        return "SELECT FOR UPDATE"
    return word


def sweep_once(today: date) -> dict:
    """One real run_sweep (it commits), timed, with every statement counted."""
    from django.core import mail
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.urls import get_resolver

    from notifications import services
    from notifications.models import Notification
    from workflows.clocks import as_of
    from workflows.reminders import run_sweep

    mail.outbox = []
    reset_queries()
    # The email tasks run in-process (eager): time them apart, so that the sweep's own part
    # (reminders logged, notifications written, emails queued) can be told from the sending.
    sending = {"seconds": 0.0, "batches": 0, "queries": 0}
    send_batch = services.send_notification_emails

    def timed_send(ids):
        began, before = time.perf_counter(), len(connection.queries_log)
        try:
            return send_batch(ids)
        finally:
            sending["seconds"] += time.perf_counter() - began
            sending["batches"] += 1
            sending["queries"] += len(connection.queries_log) - before

    services.send_notification_emails = timed_send
    # A worker process imports every view module once, at its first ``reverse()`` (a message's
    # link): 0.2-0.4 s it pays once in its life, not in each sweep; paid here before the clock.
    get_resolver().reverse_dict  # every URLconf imported, the reverse look-up built
    try:
        with CaptureQueriesContext(connection) as ctx, as_of(today):
            started, cpu_started = time.perf_counter(), time.process_time()
            sent = run_sweep(on=today, kinds=KINDS)
            seconds = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu_started
    finally:
        services.send_notification_emails = send_batch
    queued = None
    if QUEUED_ONLY:
        from config.celery_app import app as celery_app

        queued = celery_app.control.purge()  # the email tasks the sweep queued, removed unrun
    queries = ctx.captured_queries
    kinds = Counter(statement_kind(q["sql"]) for q in queries)
    kind_seconds = Counter()
    for q in queries:
        kind_seconds[statement_kind(q["sql"])] += float(q["time"])
    due_selects = [q for q in queries if q["sql"].lstrip().upper().startswith("SELECT")
                   and "workflows_reminderlog" in q["sql"]]
    result = {
        "seconds": seconds,
        # This process's CPU time: on a shared machine, less noisy than the wall time.
        "cpu_seconds": cpu_seconds,
        "queued_tasks": queued,
        "sending_seconds": sending["seconds"], "sending_batches": sending["batches"],
        "sending_queries": sending["queries"],
        "queries": len(queries),
        "queries_by_statement": dict(kinds.most_common()),
        "due_row_queries": len(due_selects),
        "due_row_query_ms": [round(float(q["time"]) * 1000, 1) for q in due_selects],
        "sql_seconds": sum(float(q["time"]) for q in queries),
        "sql_seconds_by_statement": {k: round(v, 2) for k, v in kind_seconds.most_common()},
        "reminders": len(sent),
        "reminders_by_kind_phase": dict(Counter(f"{r.kind} {r.phase}" for r in sent)),
        "recipients": sum(len(r.recipients) for r in sent),
        "notifications": Notification.objects.count(),
        "emails": len(mail.outbox),
        "sent_ids": {(r.kind, r.object_id, r.phase) for r in sent},
    }
    mail.outbox = []
    reset_queries()
    return result


def hand_written(today: date, horizon: date, template: str = HAND_WRITTEN_SQL) -> tuple[str, dict]:
    from drp.models import DisputeResolution, StageRecord
    from workflows.models import ReminderLog

    sql = template.format(stagerecord=StageRecord._meta.db_table,
                                  drp=DisputeResolution._meta.db_table, log=ReminderLog._meta.db_table)
    params = {"horizon": horizon, "today": today, "kind": "drp-stage",
              "status": DisputeResolution.Status.AWAITING_RESPONSE.value}
    return sql, params


def time_hand_written(today: date, horizon: date, template: str = HAND_WRITTEN_SQL) -> dict:
    """The same due rows with one hand-written SELECT: one warm-up, then the median of 5."""
    from django.db import connection

    sql, params = hand_written(today, horizon, template)
    times, rows = [], []
    with connection.cursor() as cursor:
        for run in range(1 + TIMED_RUNS):
            started = time.perf_counter()
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            if run:
                times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times),
            "rows": len(rows), "ids": {row[0] for row in rows}}


def explain(sql: str, params) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def plan_summary(plan: str) -> str:
    """The scans (and on which index/table), the rows out of the top node, execution time."""
    scans = []
    for line in plan.splitlines():
        m = re.search(r"(Parallel )?(Seq Scan|Index Only Scan|Index Scan|Bitmap Index Scan|"
                      r"Bitmap Heap Scan)( Backward)?( using (\S+))? on (\S+)", line)
        if m:
            label = f"{m.group(2)}{' Backward' if m.group(3) else ''} {m.group(6)}"
            if m.group(5):
                label += f" ({m.group(5)})"
            rows = re.search(r"actual time=\S+ rows=(\d+) loops=(\d+)", line)
            if rows:
                label += f" rows={rows.group(1)}x{rows.group(2)}"
            scans.append(label)
        elif "Bitmap Index Scan on" in line:
            scans.append(line.strip())
    execution = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return "; ".join(scans) + (f" | {execution.group(1)} ms" if execution else "")


def explain_sweep(today: date, horizon: date) -> list[dict]:
    """EXPLAIN (ANALYZE, BUFFERS) of each due-row query the sweep will run (nothing logged yet)."""
    from django.db import connection

    from workflows.reminders import due_rows, registered

    plans = []
    for kind in registered():
        if kind.name not in KINDS:
            continue
        for phase in kind.phases:
            qs = due_rows(kind, phase, today, horizon)
            sql, params = qs.query.sql_with_params()
            plan = explain(sql, params)
            plans.append({"kind": kind.name, "phase": phase,
                          "sql": connection.ops.compose_sql(sql, params), "plan": plan,
                          "summary": plan_summary(plan),
                          "seq_scan": bool(re.search(r"Seq Scan on (drp_stagerecord|drp_disputeresolution)",
                                                     plan))})
    return plans


def _median_ms(run, times: int = 3) -> tuple[float, object]:
    """Run ``run()`` once untimed, then ``times`` times; the median wall time and the last result."""
    result = run()
    timings = []
    for _ in range(times):
        started = time.perf_counter()
        result = run()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), result


def time_due_rows(today: date, horizon: date) -> dict[str, float]:
    """Each due-row query of the sweep as it is, fetched into model instances: median of 3, ms."""
    from workflows.reminders import due_rows, registered

    timings = {}
    for kind in registered():
        if kind.name in KINDS:
            for phase in kind.phases:
                timings[f"{kind.name} {phase}"] = round(
                    _median_ms(lambda: list(due_rows(kind, phase, today, horizon)))[0], 2)
    return timings


def two_step_queries(kind, phase: str, on: date, horizon: date):
    """A proposed shape for ``due_rows``, in two queries. First the ids of the running rows in
    the phase, from the kind's own table only: the partial index, no join, so no row estimate
    can turn it into a scan of every DRP. Then, by primary key, the rest of ``running``, the
    NOT EXISTS against the log and the ``select_related``: with the ids as a literal list the
    planner knows how few rows there are. Returns (ids queryset, rows(ids) -> queryset)."""
    from django.db.models import Exists, OuterRef, Q

    from workflows.models import ReminderLog
    from workflows.reminders import _phase_filters

    # The part of each kind's ``running`` on its own table: what the partial index holds.
    own_table = {"drp-stage": Q(ended_on__isnull=True, responded_on__isnull=True)}.get(kind.name,
                                                                                      kind.running)
    already = ReminderLog.objects.filter(kind=kind.name, object_id=OuterRef("pk"), phase=phase,
                                         due=OuterRef(kind.due_field))
    manager = kind.model._default_manager
    ids = (manager.filter(own_table).filter(_phase_filters(kind.due_field, on, horizon)[phase])
           .order_by().values_list("pk", flat=True))

    def rows(pks):
        return (manager.filter(pk__in=pks).filter(kind.running).filter(~Exists(already))
                .select_related(*kind.select_related).order_by(kind.due_field, "pk"))

    return ids, rows


def try_two_step(today: date, horizon: date) -> list[dict]:
    """Time (median of 3) and EXPLAIN the two-step shape for each of the sweep's due-row queries."""
    from workflows.reminders import registered

    results = []
    for kind in registered():
        if kind.name not in KINDS:
            continue
        for phase in kind.phases:
            ids_qs, rows = two_step_queries(kind, phase, today, horizon)
            ms, found = _median_ms(lambda: list(rows(list(ids_qs))))
            pks = list(ids_qs)
            ids_plan = explain(*ids_qs.query.sql_with_params())
            rows_plan = explain(*rows(pks or [0]).query.sql_with_params())
            results.append({"kind": kind.name, "phase": phase, "ms": round(ms, 2), "rows": len(found),
                            "ids_plan": ids_plan, "rows_plan": rows_plan,
                            "ids_summary": plan_summary(ids_plan), "rows_summary": plan_summary(rows_plan)})
    return results


def proposed_indexes() -> list:
    """The indexes this bench proposes (not in any migration): (model, Index)."""
    from django.db.models import Index, Q

    from drp.models import DisputeResolution, StageRecord

    return [
        (StageRecord, Index(fields=["due_date", "id"], name="drp_stagerecord_running_due_idx",
                            condition=Q(ended_on__isnull=True, responded_on__isnull=True))),
        (DisputeResolution, Index(fields=["overall_due_date", "id"], name="drp_open_overall_due_idx",
                                  condition=Q(status__in=list(DisputeResolution.OPEN_STATUSES),
                                              overall_due_date__isnull=False))),
    ]


class _Rollback(Exception):
    pass


def try_indexes(today: date, horizon: date) -> dict:
    """Create the proposed indexes inside a transaction, EXPLAIN the sweep's due-row queries and
    time the hand-written SELECT with them, then roll back: nothing is kept."""
    from django.db import connection, transaction

    with connection.schema_editor(collect_sql=True) as editor:
        for model, index in proposed_indexes():
            editor.add_index(model, index)
    statements = list(editor.collected_sql)
    result = {"statements": statements}
    try:
        with transaction.atomic():
            started = time.perf_counter()
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
            result["create_s"] = round(time.perf_counter() - started, 2)
            result["plans"] = explain_sweep(today, horizon)
            result["due_rows_ms"] = time_due_rows(today, horizon)
            result["two_step"] = try_two_step(today, horizon)
            select = time_hand_written(today, horizon)
            result["select_ms"] = round(select["median_ms"], 3)
            result["select_plan"] = explain(*hand_written(today, horizon))
            joined = time_hand_written(today, horizon, HAND_WRITTEN_JOIN_SQL)
            result["join_select_ms"] = round(joined["median_ms"], 3)
            result["join_select_plan"] = explain(*hand_written(today, horizon, HAND_WRITTEN_JOIN_SQL))
            raise _Rollback
    except _Rollback:
        pass
    return result


def measure(size: int, today: date, horizon: date, show_plans: bool, with_indexes: bool) -> dict:
    reset_sent()
    select = time_hand_written(today, horizon)
    print(f"  hand-written SELECT: {select['rows']:,} rows, median {select['median_ms']:.2f} ms "
          f"(min {select['min_ms']:.2f}, max {select['max_ms']:.2f}, {TIMED_RUNS} runs)", flush=True)
    joined = time_hand_written(today, horizon, HAND_WRITTEN_JOIN_SQL)
    print(f"  hand-written SELECT as a plain JOIN: {joined['rows']:,} rows, median "
          f"{joined['median_ms']:.2f} ms (min {joined['min_ms']:.2f}, max {joined['max_ms']:.2f})",
          flush=True)
    sql, params = hand_written(today, horizon)
    select_plan = explain(sql, params)
    join_plan = explain(*hand_written(today, horizon, HAND_WRITTEN_JOIN_SQL))
    plans = explain_sweep(today, horizon)
    due_rows_ms = time_due_rows(today, horizon)
    print(f"  the sweep's due-row queries, fetched (median of 3): {due_rows_ms} ms", flush=True)
    for entry in plans:
        flag = "  ** SEQ SCAN **" if entry["seq_scan"] else ""
        print(f"  plan {entry['kind']} {entry['phase']}: {entry['summary']}{flag}", flush=True)
    print(f"  plan hand-written SELECT: {plan_summary(select_plan)}", flush=True)
    print(f"  plan hand-written SELECT as a plain JOIN: {plan_summary(join_plan)}", flush=True)
    if show_plans:
        main = next(p for p in plans if p["kind"] == "drp-stage" and p["phase"] == "overdue")
        print(f"\n  -- the sweep's drp-stage overdue query:\n{main['sql']}\n\n{main['plan']}\n", flush=True)
        overall = next(p for p in plans if p["kind"] == "drp-overall")
        print(f"  -- the sweep's drp-overall overdue query plan:\n{overall['plan']}\n", flush=True)
        print(f"  -- the hand-written SELECT plan:\n{select_plan}\n", flush=True)

    tried = None
    if with_indexes:
        tried = try_indexes(today, horizon)
        print(f"  with the proposed indexes (created in {tried['create_s']} s, rolled back):", flush=True)
        for statement in tried["statements"]:
            print(f"    {statement}", flush=True)
        for entry in tried["plans"]:
            flag = "  ** SEQ SCAN **" if entry["seq_scan"] else ""
            print(f"    plan {entry['kind']} {entry['phase']}: {entry['summary']}{flag}", flush=True)
        print(f"    the sweep's queries, fetched (median of 3): {tried['due_rows_ms']} ms", flush=True)
        for entry in tried["two_step"]:
            print(f"    two-step {entry['kind']} {entry['phase']}: {entry['ms']:.2f} ms for "
                  f"{entry['rows']:,} rows; ids: {entry['ids_summary']}; rows: {entry['rows_summary']}",
                  flush=True)
        print(f"    hand-written SELECT: median {tried['select_ms']:.2f} ms; "
              f"{plan_summary(tried['select_plan'])}", flush=True)
        print(f"    hand-written SELECT as a plain JOIN: median {tried['join_select_ms']:.2f} ms; "
              f"{plan_summary(tried['join_select_plan'])}", flush=True)
        if show_plans:
            main = next(p for p in tried["plans"] if p["kind"] == "drp-stage" and p["phase"] == "overdue")
            print(f"\n  -- the sweep's drp-stage overdue query plan, with the proposed indexes:\n"
                  f"{main['plan']}\n", flush=True)

    sweep = sweep_once(today)
    print(f"  sweep: {sweep['seconds']:.2f} s (Python CPU {sweep['cpu_seconds']:.2f} s), {sweep['queries']:,} queries "
          f"({sweep['due_row_queries']} due-row SELECTs: {sweep['due_row_query_ms']} ms), "
          f"SQL {sweep['sql_seconds']:.2f} s, {sweep['reminders']:,} reminders "
          f"{sweep['reminders_by_kind_phase']}, {sweep['notifications']:,} notifications, "
          f"{sweep['emails']:,} emails", flush=True)
    if sweep["queued_tasks"] is not None:
        print(f"  emails not sent here: {sweep['queued_tasks']} email tasks queued on the broker "
              f"(purged unrun)", flush=True)
    print(f"  of which sending the emails in-process: {sweep['sending_seconds']:.2f} s in "
          f"{sweep['sending_batches']} batches ({sweep['sending_queries']} queries); the sweep without "
          f"them: {sweep['seconds'] - sweep['sending_seconds']:.2f} s", flush=True)
    print(f"  sweep statements: {sweep['queries_by_statement']}; SQL seconds by statement: "
          f"{sweep['sql_seconds_by_statement']}", flush=True)
    # The same overdue query once the log holds this sweep's reminders (it now returns nothing).
    from django.db import connection

    from workflows.models import ReminderLog

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {ReminderLog._meta.db_table}")
    after = next(p for p in explain_sweep(today, horizon)
                 if p["kind"] == "drp-stage" and p["phase"] == "overdue")
    print(f"  plan drp-stage overdue, after the sweep: {after['summary']}", flush=True)
    again = sweep_once(today)
    print(f"  second sweep (nothing left to send): {again['seconds'] * 1000:.1f} ms, "
          f"{again['queries']} queries ({again['due_row_query_ms']} ms), "
          f"{again['reminders']} reminders", flush=True)
    stage_sent = {object_id for kind, object_id, _ in sweep["sent_ids"] if kind == "drp-stage"}
    same_set = stage_sent == select["ids"]
    print(f"  sweep's drp-stage reminders == hand-written SELECT's rows: {same_set}", flush=True)
    return {
        "size": size, "due_rows": select["rows"], "same_set": same_set,
        "sweep_s": round(sweep["seconds"], 3), "sweep_cpu_s": round(sweep["cpu_seconds"], 3),
        "sweep_queries": sweep["queries"],
        "queued_tasks": sweep["queued_tasks"],
        "sending_s": round(sweep["sending_seconds"], 3), "sending_batches": sweep["sending_batches"],
        "sending_queries": sweep["sending_queries"],
        "sweep_sql_s": round(sweep["sql_seconds"], 3),
        "sweep_queries_by_statement": sweep["queries_by_statement"],
        "sweep_due_row_query_ms": sweep["due_row_query_ms"],
        "reminders": sweep["reminders"], "reminders_by_kind_phase": sweep["reminders_by_kind_phase"],
        "recipients": sweep["recipients"], "notifications": sweep["notifications"],
        "emails": sweep["emails"],
        "resweep_ms": round(again["seconds"] * 1000, 2), "resweep_queries": again["queries"],
        "resweep_due_row_query_ms": again["due_row_query_ms"],
        "select_ms": round(select["median_ms"], 3), "select_min_ms": round(select["min_ms"], 3),
        "select_max_ms": round(select["max_ms"], 3),
        "ratio": round(sweep["seconds"] * 1000 / select["median_ms"], 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "plans": plans,
        "select_sql": sql, "select_plan": select_plan,
        "join_select_ms": round(joined["median_ms"], 3), "join_select_plan": join_plan,
        "plan_after_sweep": after,
        "due_rows_ms": due_rows_ms,
        "with_proposed_indexes": tried,
        "sweep_sql_seconds_by_statement": sweep["sql_seconds_by_statement"],
    }


def table(results: list[dict]) -> str:
    header = (f"{'size':>10} {'due rows':>9} {'sweep s':>8} {'queries':>8} {'q/reminder':>10} "
              f"{'reminders':>9} {'notifs':>7} {'re-sweep ms':>11} {'SELECT ms':>10} {'ratio':>8}")
    lines = [header, "-" * len(header)]
    for r in results:
        per = r["sweep_queries"] / r["reminders"] if r["reminders"] else float("nan")
        lines.append(f"{r['size']:>10,} {r['due_rows']:>9,} {r['sweep_s']:>8.2f} {r['sweep_queries']:>8,} "
                     f"{per:>10.1f} {r['reminders']:>9,} {r['notifications']:>7,} "
                     f"{r['resweep_ms']:>11.1f} {r['select_ms']:>10.2f} {r['ratio']:>8,.0f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100000, 1000000],
                        help="open DRP deadlines to measure at, grown in ascending order "
                             "(multiples of 100; default 100000 1000000)")
    parser.add_argument("--today", default=DEFAULT_TODAY,
                        help=f"the sweep's day; due dates are set around it (default {DEFAULT_TODAY})")
    parser.add_argument("--overall-due-fraction", type=float, default=0.0,
                        help="fraction of open DRPs whose overall time limit is overdue (default 0: "
                             "none, so drp-overall's query runs but finds nothing)")
    parser.add_argument("--history", action="store_true",
                        help="also add ended stage records (the stages each open DRP came up through) "
                             "and two closed DRPs per open one, all due in the past")
    parser.add_argument("--reset", action=argparse.BooleanOptionalAction, default=True,
                        help="drop and recreate the bench database first (default on)")
    parser.add_argument("--plans", action=argparse.BooleanOptionalAction, default=True,
                        help="print the SQL and full EXPLAIN plans (default on)")
    parser.add_argument("--try-indexes", action=argparse.BooleanOptionalAction, default=True,
                        help="also EXPLAIN the due-row queries with the proposed indexes, created in a "
                             "transaction that is rolled back (default on)")
    parser.add_argument("--broker", metavar="URL",
                        help="queue the email tasks on this broker (e.g. redis://127.0.0.1:6379/13) instead "
                             "of running them in-process: the sweep as the goal counts it, emails queued; "
                             "the queued tasks are counted and purged, never run")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--json", metavar="PATH", help="also write the results (and plans) as JSON")
    args = parser.parse_args(argv)
    today = date.fromisoformat(args.today)
    if any(size % 100 for size in args.sizes):
        parser.error("sizes must be multiples of 100 (exactly 1% of them are due)")

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not os.environ["DATABASE_URL"].split(":", 1)[0].lower().startswith(("postgres", "pgsql")):
        raise Refused("the sweep bench runs on PostgreSQL only (EXPLAIN (ANALYZE, BUFFERS), COPY)")
    # Celery runs the email tasks in-process (as with no broker); mail goes to memory.
    # Celery runs the email tasks in-process (as with no broker), or with --broker queues them
    # there and they are counted and purged after each sweep, never run.
    os.environ["CELERY_BROKER_URL"] = args.broker or ""
    action = prepare_database(args.reset)
    setup_django()
    import logging

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from config.celery_app import app as celery_app

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = not args.broker
    celery_app.conf.task_always_eager = not args.broker
    if args.broker:
        global QUEUED_ONLY
        QUEUED_ONLY = True
        celery_app.control.purge()
    logging.getLogger("workflows.reminders").setLevel(logging.WARNING)  # one INFO line per reminder
    # Keep every statement of a sweep (Django keeps only the last 9,000 by default).
    connection.queries_limit = 50_000_000
    connection.queries_log = deque(maxlen=connection.queries_limit)

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']} ({action})", flush=True)
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrate: {time.perf_counter() - started:.1f} s", flush=True)
    org = build_org(args.seed)

    from workflows.calendar import get_calendar
    from workflows.reminders import registered

    horizon = get_calendar().add_working_days(today, settings.CLOCK_DUE_SOON_WORKING_DAYS)
    others = sorted(k.name for k in registered() if k.name not in KINDS)
    print(f"today {today}, due-soon horizon {horizon}; sweeping kinds {KINDS} "
          f"(not: {', '.join(others) or 'none'})", flush=True)

    from drp.models import DisputeResolution, StageRecord

    results, generation = [], []
    for size in sorted(set(args.sizes)):
        have = DisputeResolution.objects.filter(status=DisputeResolution.Status.AWAITING_RESPONSE).count()
        has_history = StageRecord.objects.filter(ended_on__isnull=False).exists()
        if have and has_history != args.history:
            raise Refused("the bench database was generated with"
                          f"{'' if has_history else 'out'} --history; use --reset")
        missing = max(0, size - have)
        print(f"\n== size {size:,}: have {have:,} open DRPs, generating {missing:,}", flush=True)
        started = time.perf_counter()
        inserted = generate(org, missing, today, settings.CLOCK_DUE_SOON_WORKING_DAYS,
                            args.overall_due_fraction, args.history, args.seed) if missing else {}
        gen_s = time.perf_counter() - started
        started = time.perf_counter()
        analyze()
        analyze_s = time.perf_counter() - started
        counts = row_counts(today)
        print(f"generated in {gen_s:.1f} s, VACUUM ANALYZE {analyze_s:.1f} s; rows now: "
              + ", ".join(f"{k}={v:,}" for k, v in counts.items()), flush=True)
        generation.append({"size": size, "generated": missing, "generation_s": round(gen_s, 1),
                           "analyze_s": round(analyze_s, 1), "inserted": inserted, "row_counts": counts})
        results.append(measure(size, today, horizon, args.plans, args.try_indexes)
                       | {"row_counts": counts})

    print(f"\nPostgreSQL, sweep of {KINDS} on {today} (horizon {horizon}); SELECT = hand-written "
          f"SELECT of the due stage records, median of {TIMED_RUNS}; ratio = sweep / SELECT\n")
    print(table(results))
    differ = [r["size"] for r in results if not r["same_set"]]
    if differ:  # the ratio compares the same rows, or it means nothing
        print(f"\nThe sweep's drp-stage reminders differ from the hand-written SELECT's rows at {differ}")
    if args.json:
        payload = {"database": connection.vendor, "cpus": os.cpu_count(), "argv": sys.argv,
                   "today": str(today), "horizon": str(horizon), "kinds": KINDS,
                   "history": args.history, "overall_due_fraction": args.overall_due_fraction,
                   "generation": generation, "results": results}
        Path(args.json).write_text(json.dumps(payload, indent=2, default=str))
        print(f"\nwrote {args.json}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
