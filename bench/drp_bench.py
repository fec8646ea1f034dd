#!/usr/bin/env python
"""DRP list/detail benchmark: grow a throwaway database to N DRPs and time the pages.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/footprint_bench .venv/bin/python
        bench/drp_bench.py --sizes 1000 100000 [--requests 200]   (one command line)

The database is the bench's own: it is created when missing, and dropped and recreated at
start (``--reset``, the default). The script refuses to touch a database it did not create
(PostgreSQL: it marks its databases with a COMMENT; SQLite: it only ever uses a file under
/tmp and marks it with a table). See bench/README.md for the figures measured.
"""

from __future__ import annotations

import argparse
import enum
import functools
import json
import os
import random
import statistics
import sys
import time
import warnings
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/footprint_bench"
SQLITE_DEFAULT_PATH = Path("/tmp/footprint_bench/drp_bench.sqlite3")
MARKER = "footprint-bench: throwaway database created by bench/drp_bench.py"
MARKER_TABLE = "footprint_bench_marker"
PROTECTED_DATABASES = {"postgres", "template0", "template1"}
BATCH = 5000
N_CHILDREN = 2000
LONDON = ZoneInfo("Europe/London")


class Refused(SystemExit):
    def __init__(self, message: str):
        super().__init__(f"drp_bench: refusing to run: {message}")


# --------------------------------------------------------------------------------------
# The database: ours, or nothing.
# --------------------------------------------------------------------------------------


def _pg_params(url: str) -> dict:
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise Refused(f"no database name in DATABASE_URL {url!r}")
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username) if parts.username else "postgres",
        "password": unquote(parts.password) if parts.password else None,
        "dbname": name,
    }


def prepare_postgres(url: str, reset: bool) -> str:
    """Create the bench database, or drop and recreate it; never touch a foreign one."""
    import psycopg
    from psycopg import sql

    params = _pg_params(url)
    name = params["dbname"]
    if name in PROTECTED_DATABASES:
        raise Refused(f"{name!r} is a system database")
    admin = {k: v for k, v in params.items() if v is not None} | {"dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
        ident = sql.Identifier(name)
        if row is not None and row[0] != MARKER:
            # Not marked as ours: only an empty database may be adopted.
            target = {k: v for k, v in params.items() if v is not None}
            with psycopg.connect(**target, autocommit=True) as other:
                tables = other.execute(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind IN ('r', 'p', 'v', 'm') "
                    "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                    "AND n.nspname NOT LIKE 'pg_toast%%'"
                ).fetchone()[0]
            if tables:
                raise Refused(
                    f"database {name!r} exists with {tables} tables and was not created by this "
                    "bench; point DATABASE_URL at a throwaway database name (default "
                    "footprint_bench)"
                )
            conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(ident, sql.Literal(MARKER)))
            return f"adopted the empty database {name!r}"
        if row is not None and reset:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(ident))
            row = None
            action = f"dropped and recreated {name!r}"
        elif row is not None:
            return f"reusing the bench database {name!r} (--no-reset)"
        else:
            action = f"created {name!r}"
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(ident, sql.Literal(MARKER)))
        return action


def prepare_sqlite(url: str, reset: bool) -> tuple[str, str]:
    """Use a file under /tmp only (never the app's db.sqlite3); returns (url, action)."""
    import sqlite3

    raw = url.split(":///", 1)[1] if ":///" in url else ""
    path = Path(raw) if raw and raw != ":memory:" else SQLITE_DEFAULT_PATH
    if not str(path.resolve()).startswith("/tmp/"):
        path = SQLITE_DEFAULT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        con = sqlite3.connect(path)
        try:
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            con.close()
        if names and MARKER_TABLE not in names:
            raise Refused(f"{path} has tables and was not created by this bench")
        if reset:
            path.unlink()
            action = f"recreated {path}"
        else:
            action = f"reusing {path} (--no-reset)"
    else:
        action = f"created {path}"
    con = sqlite3.connect(path)
    try:
        con.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (note text)")
        if not con.execute(f"SELECT 1 FROM {MARKER_TABLE}").fetchone():
            con.execute(f"INSERT INTO {MARKER_TABLE} VALUES (?)", [MARKER])
        con.commit()
    finally:
        con.close()
    return f"sqlite:///{path}", action


def prepare_database(reset: bool) -> str:
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    scheme = url.split(":", 1)[0].lower()
    if scheme.startswith("postgres") or scheme.startswith("pgsql"):
        return prepare_postgres(url, reset)
    if scheme.startswith("sqlite"):
        new_url, action = prepare_sqlite(url, reset)
        os.environ["DATABASE_URL"] = new_url
        return action
    raise Refused(f"unsupported DATABASE_URL scheme {scheme!r} (use postgres:// or sqlite://)")


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    hosts = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
    for host in ("testserver", "127.0.0.1", "localhost"):
        if host not in hosts:
            hosts.append(host)
    os.environ["DJANGO_ALLOWED_HOSTS"] = ",".join(hosts)
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    import django

    warnings.filterwarnings("ignore", "No directory at")  # STATIC_ROOT is not collected here
    django.setup()
    from django.db import connection

    # One persistent connection for the whole run, so a reconnect every CONN_MAX_AGE
    # seconds does not land in the timings.
    connection.settings_dict["CONN_MAX_AGE"] = None


# --------------------------------------------------------------------------------------
# Data: an organisation, children, and DRPs with their history, bulk-inserted.
# --------------------------------------------------------------------------------------

RESPONDERS = {"informal": "social-worker", "stage-1": "team-manager", "stage-2": "service-manager",
              "stage-3": "head-of-service", "stage-4": "assistant-director", "stage-5": "director"}
ESCALATION_REASON = "The agreed actions have not happened within the timescale."
OUTCOME = "Actions completed and the plan is back on track."
IMPACT = "The child's plan now has clear timescales and they have been seen."
WITHDRAW_REASON = "Resolved through the review meeting instead."
CAFCASS_REASON = "Drift in permanence planning is harming the child."


class Org:
    def __init__(self, users, children, ladder, themes):
        self.users = users
        self.children = children  # list of (id, team_id, case_type)
        self.ladder = ladder
        self.themes = themes


def build_org(seed: int) -> Org:
    from simple_history.utils import bulk_create_with_history

    from children.models import CaseType, Child
    from demo.builders import FIRST_NAMES, SURNAMES, build_people
    from drp.models import Stage, Theme
    from people.models import Team

    users = build_people()
    teams = list(Team.objects.order_by("id"))
    have = Child.objects.filter(reference__startswith="BENCH").count()
    if have < N_CHILDREN:
        rng = random.Random(seed)
        social_worker = users["social-worker"]
        new = [
            Child(
                reference=f"BENCH{n:06d}",
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                date_of_birth=date(2008, 1, 1) + timedelta(days=rng.randrange(0, 15 * 365)),
                case_type=CaseType.CLA if rng.random() < 0.65 else CaseType.CP,
                social_worker=social_worker,
                team=teams[n % len(teams)],
            )
            for n in range(have, N_CHILDREN)
        ]
        bulk_create_with_history(new, Child, batch_size=BATCH)
    children = list(
        Child.objects.filter(reference__startswith="BENCH").order_by("id")
        .values_list("id", "team_id", "case_type")
    )
    return Org(users, children, list(Stage.objects.order_by("order")),
               list(Theme.objects.filter(active=True).order_by("id")))


def insert_rows(model, attnames: list[str], rows: list[tuple]) -> None:
    """Insert plain rows: COPY on PostgreSQL (fast), bulk_create in batches elsewhere.

    COPY applies no Django defaults: a NOT NULL column not given (one a later migration added,
    such as a stage's ``asked``) gets its field's default, as ``bulk_create`` would give it."""
    from django.db import connection

    if not rows:
        return
    if connection.vendor == "postgresql":
        from psycopg import sql

        given = set(attnames)
        defaults = [(field.attname, field.get_default()) for field in model._meta.concrete_fields
                    if not field.null and not field.primary_key and field.attname not in given
                    and field.get_default() is not None]
        if defaults:
            attnames = [*attnames, *(name for name, _ in defaults)]
            extra = tuple(_plain(value) for _, value in defaults)
            rows = [(*row, *extra) for row in rows]
        columns = [model._meta.get_field(name).column for name in attnames]
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns)))
        with connection.cursor() as cursor:
            with cursor.cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        model.objects.bulk_create([model(**dict(zip(attnames, row))) for row in rows],
                                  batch_size=BATCH)


def _plain(value):
    """A choices member as its stored value (COPY must not see an Enum)."""
    return value.value if isinstance(value, enum.Enum) else value


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, dtime(8 + rng.randint(0, 9), rng.randint(0, 59)), tzinfo=LONDON)


def generate(org: Org, count: int, seed: int, progress=print) -> dict[str, int]:
    """Insert ``count`` DRPs with children, themes, stage records, timeline and history."""
    from django.conf import settings
    from django.db import transaction

    from demo.builders import CONCERNS, RESPONSES
    from drp.models import DisputeResolution, StageRecord, TimelineEvent
    from workflows.calendar import get_calendar
    from workflows.clocks import today
    from workflows.models import ReferenceSequence

    DRP = DisputeResolution
    Status = DRP.Status
    History = DRP.history.model
    ChildLink = DRP.children.through
    ThemeLink = DRP.themes.through
    Action = TimelineEvent.Action
    calendar = get_calendar()
    overall_days = settings.DRP_OVERALL_WORKING_DAYS

    @functools.lru_cache(maxsize=None)
    def add_wd(day: date, n: int) -> date:
        return calendar.add_working_days(day, n)

    end = today()
    ladder = org.ladder
    top = len(ladder) - 1
    users = org.users
    responder_ids = {key: users[name].pk for key, name in RESPONDERS.items()}
    iro, chair = users["iro"].pk, users["chair"].pk
    HISTORY_COPIED = [f.attname for f in DRP._meta.concrete_fields if f.attname != "id"]
    rows = {"drps": 0, "drp_children": 0, "drp_themes": 0, "stage_records": 0,
            "timeline_events": 0, "drp_history": 0}

    with transaction.atomic():
        ReferenceSequence.objects.get_or_create(name="drp")
        seq = ReferenceSequence.objects.select_for_update().get(name="drp")
        first_number = seq.last + 1
        seq.last += count
        seq.save(update_fields=["last"])

    start_count = DRP.objects.count()
    for offset in range(0, count, BATCH):
        rng = random.Random(seed * 1_000_003 + start_count + offset)
        n_here = min(BATCH, count - offset)
        drps, plans = [], []
        for j in range(n_here):
            number = first_number + offset + j
            is_open = rng.random() < 0.30
            raised_on = end - timedelta(days=rng.randint(0, 150) if is_open else rng.randint(20, 545))
            while raised_on.weekday() >= 5:
                raised_on -= timedelta(days=1)
            kids = [rng.choice(org.children)]
            if rng.random() < 0.25:
                other = rng.choice(org.children)
                if other[0] != kids[0][0]:
                    kids.append(other)
            case_type = kids[0][2]
            actor = iro if rng.random() < 2 / 3 else chair
            # Stages entered: 1-5 (a quarter are settled at the stage they were raised at).
            escalations = rng.choices([0, 1, 2, 3, 4], weights=[25, 35, 22, 11, 7])[0]
            first = 0 if rng.random() < 0.7 else rng.choice([1, 2])
            first = min(first, top - escalations)
            if is_open:
                final_status = Status.AWAITING_RESPONSE if rng.random() < 0.6 else Status.AWAITING_REVIEW
            else:
                final_status = Status.RESOLVED if rng.random() < 0.8 else Status.WITHDRAWN

            # Walk the ladder: stage records, timeline events and history snapshots.
            day = raised_on
            stage_rows, events, snaps = [], [], []
            formal_started = None
            state = {}
            concern = rng.choice(CONCERNS)
            events.append((_at(day, rng), actor, Action.RAISED, "", ladder[first].key, concern))
            for step in range(escalations + 1):
                stage = ladder[first + step]
                started, due = day, add_wd(day, stage.working_days)
                if stage.is_formal and formal_started is None:
                    formal_started = started
                last = step == escalations
                responded = (final_status != Status.AWAITING_RESPONSE if last and is_open
                             else rng.random() < (0.85 if last else 0.4))
                addressee = responder_ids[stage.key]
                state = {"stage_id": stage.pk, "addressee_id": addressee, "stage_started_on": started,
                         "stage_due_date": due, "status": Status.AWAITING_RESPONSE}
                kind, why = ("+", "Raised") if step == 0 else ("~", ESCALATION_REASON)
                snaps.append((day, kind, why, dict(state)))
                record = {"stage_id": stage.pk, "addressee_id": addressee, "started_on": started,
                          "due_date": due}
                if responded:
                    day = min(add_wd(day, rng.randint(3, 18)), end)
                    text = rng.choice(RESPONSES)
                    record.update(response=text, responded_on=day, responded_by_id=addressee)
                    events.append((_at(day, rng), addressee, Action.RESPONDED, stage.key, stage.key,
                                   text))
                    state["status"] = Status.AWAITING_REVIEW
                    snaps.append((day, "~", "Responded", dict(state)))
                if not last:
                    day = min(add_wd(day, rng.randint(3, 18)), end)
                    record["ended_on"] = day
                    events.append((_at(day, rng), actor, Action.ESCALATED, stage.key,
                                   ladder[first + step + 1].key, ESCALATION_REASON))
                stage_rows.append(record)
            final_stage = ladder[first + escalations]
            referred_on = None
            if case_type == "CLA" and rng.random() < 0.10:
                referred_on = day
                events.append((_at(day, rng), actor, Action.REFERRED_TO_CAFCASS, final_stage.key, "",
                               CAFCASS_REASON))
            closed_on = outcome = impact = None
            if not is_open:
                day = closed_on = min(add_wd(day, rng.randint(3, 18)), end)
                stage_rows[-1]["ended_on"] = day
                if final_status == Status.RESOLVED:
                    outcome, impact = OUTCOME, IMPACT
                    note = f"{OUTCOME}\n\nImpact for the child: {IMPACT}"
                    events.append((_at(day, rng), actor, Action.RESOLVED, final_stage.key, "", note))
                else:
                    events.append((_at(day, rng), actor, Action.WITHDRAWN, final_stage.key, "",
                                   WITHDRAW_REASON))
                state["status"] = final_status
                snaps.append((day, "~", final_status.label, dict(state)))

            drp = DRP(
                reference=f"DRP-{number:05d}", case_type=case_type, concern=concern,
                team_id=kids[0][1], raised_by_id=actor, iro_id=actor, raised_on=raised_on,
                stage_id=final_stage.pk, status=final_status,
                addressee_id=responder_ids[final_stage.key],
                stage_started_on=state["stage_started_on"], stage_due_date=state["stage_due_date"],
                formal_started_on=formal_started,
                overall_due_date=add_wd(formal_started, overall_days) if formal_started else None,
                referred_to_cafcass=referred_on is not None, referred_to_cafcass_on=referred_on,
                outcome=outcome or "", impact=impact or "", closed_on=closed_on,
                closed_at_stage_id=final_stage.pk if closed_on else None,
                created_at=_at(raised_on, rng),
            )
            drps.append(drp)
            # 2-4 history rows: the first and last snapshot, and some in between.
            want = min(len(snaps), rng.randint(2, 4))
            middle = sorted(rng.sample(range(1, len(snaps) - 1), max(0, want - 2))) if want > 2 else []
            chosen = [snaps[0], *(snaps[i] for i in middle), snaps[-1]] if len(snaps) > 1 else snaps
            plans.append((kids, rng.sample(org.themes, rng.randint(1, 3)), stage_rows, events, chosen))

        with transaction.atomic():
            DRP.objects.bulk_create(drps, batch_size=BATCH)
            links, theme_links, records, timeline, history = [], [], [], [], []
            for drp, (kids, themes, stage_rows, events, chosen) in zip(drps, plans):
                pk = drp.pk
                links += [(pk, k[0]) for k in kids]
                theme_links += [(pk, t.pk) for t in themes]
                records += [
                    (pk, r["stage_id"], r["addressee_id"], r["started_on"], r["due_date"],
                     r.get("response", ""), r.get("responded_on"), r.get("responded_by_id"),
                     r.get("ended_on"))
                    for r in stage_rows
                ]
                timeline += [(pk, at, who, str(action), frm, to, note)
                             for at, who, action, frm, to, note in events]
                base = {name: getattr(drp, name) for name in HISTORY_COPIED}
                for day, kind, reason, snap in chosen:
                    fields = base | snap
                    if kind != "~" or snap.get("status") in DRP.OPEN_STATUSES:
                        fields.update(closed_on=None, closed_at_stage_id=None, outcome="", impact="")
                    values = (_plain(fields[name]) for name in HISTORY_COPIED)
                    history.append((pk, *values, _at(day, rng),
                                    kind, reason[:100], drp.raised_by_id if kind == "+" else None))
            insert_rows(ChildLink, ["disputeresolution_id", "child_id"], links)
            insert_rows(ThemeLink, ["disputeresolution_id", "theme_id"], theme_links)
            insert_rows(StageRecord, ["drp_id", "stage_id", "addressee_id", "started_on", "due_date",
                                      "response", "responded_on", "responded_by_id", "ended_on"],
                        records)
            insert_rows(TimelineEvent, ["drp_id", "at", "actor_id", "action", "from_stage", "to_stage",
                                        "note"], timeline)
            insert_rows(History, ["id", *HISTORY_COPIED, "history_date", "history_type",
                                  "history_change_reason", "history_user_id"], history)
        for key, made in (("drps", drps), ("drp_children", links), ("drp_themes", theme_links),
                          ("stage_records", records), ("timeline_events", timeline),
                          ("drp_history", history)):
            rows[key] += len(made)
        progress(f"  ... {offset + n_here:,}/{count:,} DRPs inserted")
    return rows


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # VACUUM as well as ANALYZE, so autovacuum does not start on the freshly
            # inserted tables in the middle of the timings (and the visibility map is set).
            cursor.execute("VACUUM (ANALYZE)")
        else:
            cursor.execute("ANALYZE")


def row_counts() -> dict[str, int]:
    from children.models import Child
    from drp.models import DisputeResolution, StageRecord, TimelineEvent
    from workflows.models import CaseRead

    DRP = DisputeResolution
    return {
        "drps": DRP.objects.count(),
        "open_drps": DRP.objects.filter(status__in=DRP.OPEN_STATUSES).count(),
        "children": Child.objects.count(),
        "drp_children": DRP.children.through.objects.count(),
        "drp_themes": DRP.themes.through.objects.count(),
        "stage_records": StageRecord.objects.count(),
        "timeline_events": TimelineEvent.objects.count(),
        "drp_history": DRP.history.model.objects.count(),
        "case_reads": CaseRead.objects.count(),
    }


# --------------------------------------------------------------------------------------
# Measuring.
# --------------------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def endpoints(ids: list[int], second_page: str | None = None):
    """(label, username, url-or-callable) for every measured request."""
    def detail(prefix):
        return lambda rng: f"{prefix}{rng.choice(ids)}/"

    cursor_page = [("GET /api/v1/drps/?cursor= (page 2)", "iro", second_page)] if second_page else []
    return [
        ("GET /api/v1/drps/", "iro", "/api/v1/drps/"),
        *cursor_page,
        ("GET /api/v1/drps/?status=awaiting_response&case_type=CLA", "iro",
         "/api/v1/drps/?status=awaiting_response&case_type=CLA"),
        ("GET /api/v1/drps/", "social-worker", "/api/v1/drps/"),
        ("GET /api/v1/drps/?status=awaiting_response&case_type=CLA", "social-worker",
         "/api/v1/drps/?status=awaiting_response&case_type=CLA"),
        ("GET /drps/", "iro", "/drps/"),
        ("GET /drps/", "social-worker", "/drps/"),
        ("GET /api/v1/drps/{id}/", "iro", detail("/api/v1/drps/")),
        ("GET /drps/{id}/", "iro", detail("/drps/")),
    ]


def measure(users, size: int, n_requests: int, warmups: int, seed: int, explain: bool,
            only_api_lists: bool = False) -> list[dict]:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from drp.models import DisputeResolution

    ids = list(DisputeResolution.objects.order_by("?").values_list("id", flat=True)[:10000])
    clients = {}
    for username in ("iro", "social-worker"):
        client = Client()
        client.force_login(users[username])
        clients[username] = client
    second_page = clients["iro"].get("/api/v1/drps/").json().get("next")
    second_page = second_page.replace("http://testserver", "") if second_page else None
    results = []
    for label, username, target in endpoints(ids, second_page):
        if only_api_lists and not (label.startswith("GET /api/v1/drps/") and "{id}" not in label):
            continue
        rng = random.Random(seed)
        client = clients[username]
        times, counts, sql_ms, tops = [], [], [], []
        is_list = label.startswith("GET /api/v1/drps/") and "{id}" not in label
        alone, whole, page_sql, data_sql, floor = [], [], None, [], []
        for i in range(warmups + n_requests):
            url = target(rng) if callable(target) else target
            reset_queries()  # the query log is a 9,000-entry deque; keep it from filling up
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{url} as {username}: HTTP {response.status_code}\n"
                                   f"{response.content[:500]!r}")
            if i < warmups:
                continue
            times.append(elapsed)
            counts.append(len(ctx.captured_queries))
            sql_ms.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
            tops.append(max(ctx.captured_queries, key=lambda q: float(q["time"])))
            if is_list:  # the page's bare query, replayed right after the request: the same load
                page_sql, data_sql = page_select(ctx.captured_queries), page_data_statements(ctx.captured_queries)
                if page_sql:
                    alone += _replay([page_sql], 1)
                    whole += _replay(data_sql, 1)
                    floor.append(_timed_get(client, FLOOR_URL))
        # The slowest query of a typical request (the median of the per-request slowest), so a
        # one-off stall on a busy machine does not pick a trivial query.
        tops.sort(key=lambda q: float(q["time"]))
        slowest = tops[len(tops) // 2]
        result = {
            "size": size, "endpoint": label, "user": username,
            "queries": statistics.median(counts), "queries_min": min(counts), "queries_max": max(counts),
            "median_ms": round(statistics.median(times), 2), "p95_ms": round(percentile(times, 95), 2),
            "min_ms": round(min(times), 2), "max_ms": round(max(times), 2), "requests": n_requests,
            "load_average_1m": round(os.getloadavg()[0], 2),
            "sql_ms_median": round(statistics.median(sql_ms), 2),
            "slowest_query_ms": round(float(slowest["time"]) * 1000, 2),
            "slowest_query_sql": slowest["sql"],
        }
        if is_list and page_sql:
            result |= bare_page_query(page_sql, data_sql, alone, whole, times) | beyond_the_floor(times, floor, whole)
        is_select = slowest["sql"].lstrip().upper().startswith("SELECT")  # never ANALYZE a write
        if explain and is_select and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
                result["slowest_query_plan"] = "\n".join(r[0] for r in cursor.fetchall())
        results.append(result)
        bare = (f"; bare page SELECT p95 {result['bare_p95_ms']:.2f} ms, ratio {result['bare_ratio']:.1f}"
                f"; page's data SQL ({result['data_statements']} statements) p95 "
                f"{result['data_sql_p95_ms']:.2f} ms, ratio {result['data_sql_ratio']:.1f}"
                f" (medians {result['data_sql_median_ratio']:.2f}); beyond a signed-in empty list "
                f"({result['floor_median_ms']:.2f} ms) {result['beyond_floor_median_ratio']:.2f}x its data SQL"
                if "bare_p95_ms" in result else "")
        print(f"  {label:<55} {username:<14} q={result['queries']:<4} "
              f"median={result['median_ms']:>8.2f} ms  p95={result['p95_ms']:>8.2f} ms  "
              f"(SQL median {result['sql_ms_median']:.1f} ms{bare})", flush=True)
    return results


#: A signed-in API request that reads an empty list (the bench's people have no notifications):
#: what any signed-in request costs here before it reads a page (session, user, middleware, DRF),
#: and one COUNT that finds nothing, so a little more than that fixed cost.
FLOOR_URL = "/api/v1/notifications/"


def _timed_get(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code}")
    return elapsed


def beyond_the_floor(request_times: list[float], floor_times: list[float], data_times: list[float]) -> dict:
    """What the list costs beyond a signed-in request that reads an empty list (``FLOOR_URL``,
    timed right after each list request and its replay), over its data SQL, by medians: the
    list's own overhead against its own statements, without the fixed cost of signing in and
    of Django's and DRF's handling that every request pays."""
    floor, request, data = (statistics.median(t) for t in (floor_times, request_times, data_times))
    return {"floor_median_ms": round(floor, 2),
            "beyond_floor_median_ratio": round((request - floor) / data, 2) if data else None}


def page_data_statements(queries: list[dict]) -> list[str]:
    """The statements of one list request that make the page's content, in the order it ran
    them: the planner's estimate and the bounded count (the page shows ``count`` and
    ``count_is_exact``), the page's SELECT and, on SQLite, its children and themes. Not the
    session, user, roles, team tree or covers: those say who is asking, not what the page holds."""
    return [q["sql"] for q in queries
            if 'FROM "drp_disputeresolution' in q["sql"] and q["sql"].lstrip().upper().startswith(("SELECT", "EXPLAIN"))]


def _replay(statements: list[str], n_requests: int) -> list[float]:
    """Milliseconds to run ``statements`` in sequence through a raw cursor, ``n_requests`` times."""
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        for _ in range(n_requests):
            started = time.perf_counter()
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return times


def page_select(queries: list[dict]) -> str | None:
    """The page's own SELECT among a list request's statements: the one with the LIMIT (not
    the session's or user's LIMIT 21), or None."""
    return next((q["sql"] for q in queries if q["sql"].startswith("SELECT") and " LIMIT " in q["sql"]
                 and 'FROM "drp_disputeresolution"' in q["sql"] and "ORDER BY" in q["sql"]
                 and "COUNT(" not in q["sql"].upper()), None)


def bare_page_query(page: str, data: list[str], alone: list[float], whole: list[float],
                    request_times: list[float]) -> dict:
    """The bare query of the page, two ways, each replayed through a raw cursor right after
    each timed request (so the request and its bare query see the same load): the page's own
    SELECT alone (``bare_*``, the figure first reported), and every statement that makes the
    page's content, count included (``data_sql_*``, ``page_data_statements``). Returns each
    one's median and p95, the request's p95 over its p95 (``*_ratio``) and the request's median
    over its median (``*_median_ratio``: a p95 on a shared machine is one stall, either side)."""
    request_p95, request_median = percentile(request_times, 95), statistics.median(request_times)
    result = {"bare_sql": page, "data_sql": data, "data_statements": len(data)}
    for key, times in (("bare", alone), ("data_sql", whole)):
        p95, median = percentile(times, 95), statistics.median(times)
        result |= {f"{key}_median_ms": round(median, 2), f"{key}_p95_ms": round(p95, 2),
                   f"{key}_ratio": round(request_p95 / p95, 1) if p95 else None,
                   f"{key}_median_ratio": round(request_median / median, 2) if median else None}
    return result


def table(results: list[dict]) -> str:
    header = (f"{'size':>8}  {'endpoint':<55} {'as':<14} {'queries':>7} {'median ms':>10} {'p95 ms':>9}"
              f" {'SQL ms':>8}")
    header += f" {'bare p95':>9} {'ratio':>6} {'data p95':>9} {'ratio':>6} {'medians':>7} {'floor':>6} {'beyond':>6}"
    lines = [header, "-" * len(header)]
    for r in results:
        q = f"{r['queries']:g}" if r["queries_min"] == r["queries_max"] else \
            f"{r['queries_min']}-{r['queries_max']}"
        bare = (f" {r['bare_p95_ms']:>9.2f} {r['bare_ratio']:>6.1f}"
                f" {r['data_sql_p95_ms']:>9.2f} {r['data_sql_ratio']:>6.1f}"
                f" {r['data_sql_median_ratio']:>7.2f} {r['floor_median_ms']:>6.2f} {r['beyond_floor_median_ratio']:>6.2f}"
                if r.get("bare_p95_ms") else "")
        lines.append(f"{r['size']:>8,}  {r['endpoint']:<55} {r['user']:<14} {q:>7} "
                     f"{r['median_ms']:>10.2f} {r['p95_ms']:>9.2f} {r['sql_ms_median']:>8.1f}{bare}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100000],
                        help="DRP counts to measure at, grown in ascending order (default 1000 100000)")
    parser.add_argument("--requests", type=int, default=200,
                        help="timed requests per endpoint (default 200)")
    parser.add_argument("--warmups", type=int, default=10, help="untimed requests first (default 10)")
    parser.add_argument("--reset", action=argparse.BooleanOptionalAction, default=True,
                        help="drop and recreate the bench database first (default on)")
    parser.add_argument("--measure-only", action="store_true",
                        help="generate nothing: time the DRPs the database already holds (for example "
                             "bench/report_bench.py's 1M, whose 20,000 children are all allocated to "
                             "social-worker); implies --no-reset")
    parser.add_argument("--only-api-lists", action="store_true",
                        help="time only the API list rows (issue 15's list goals), not the pages and details")
    parser.add_argument("--no-analyze", action="store_true",
                        help="skip the VACUUM (ANALYZE) after generating (with --measure-only on a database "
                             "analysed already, so that before/after runs do not each wait for it)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--json", metavar="PATH", help="also write the results (and row counts) as JSON")
    parser.add_argument("--explain", action="store_true",
                        help="PostgreSQL: EXPLAIN ANALYZE each endpoint's slowest query (of a median "
                             "request) into the JSON")
    args = parser.parse_args(argv)

    if args.measure_only:
        args.reset = False
    action = prepare_database(args.reset)
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']} ({action})", flush=True)
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrate: {time.perf_counter() - started:.1f} s", flush=True)
    from drp.models import DisputeResolution

    if args.measure_only:
        from demo.builders import build_people

        org = Org(build_people(), [], [], [])
        have = DisputeResolution.objects.count()
        args.sizes = [have]
        print(f"--measure-only: timing the {have:,} DRPs already there", flush=True)
    else:
        org = build_org(args.seed)

    all_results, generation = [], []
    for size in sorted(set(args.sizes)):
        have = DisputeResolution.objects.count()
        missing = 0 if args.measure_only else max(0, size - have)
        print(f"\n== size {size:,}: have {have:,} DRPs, generating {missing:,}", flush=True)
        started = time.perf_counter()
        inserted = generate(org, missing, args.seed) if missing else {}
        gen_s = time.perf_counter() - started
        started = time.perf_counter()
        if not args.no_analyze:
            analyze()
        analyze_s = time.perf_counter() - started
        counts = row_counts()
        analyzed = "VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE"
        print(f"generated in {gen_s:.1f} s, {analyzed} {analyze_s:.1f} s; rows now: "
              + ", ".join(f"{k}={v:,}" for k, v in counts.items()), flush=True)
        generation.append({"size": size, "generated": missing, "generation_s": round(gen_s, 1),
                           "analyze_s": round(analyze_s, 1), "inserted": inserted, "row_counts": counts})
        all_results += measure(org.users, size, args.requests, args.warmups, args.seed, args.explain,
                               args.only_api_lists)

    print(f"\n{connection.vendor}, {args.requests} requests per row after {args.warmups} warm-ups\n")
    print(table(all_results))
    if args.json:
        payload = {"database": connection.vendor, "cpus": os.cpu_count(), "requests": args.requests,
                   "warmups": args.warmups, "argv": sys.argv, "generation": generation,
                   "results": all_results}
        Path(args.json).write_text(json.dumps(payload, indent=2, default=str))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
