#!/usr/bin/env python
"""EXPLAIN (ANALYZE, BUFFERS) of every DRP list statement, as the app builds it, on a bench
database that already holds the data (the report bench's 1M: every child allocated to the
social worker, so they see every DRP).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/footprint_report_bench .venv/bin/python
        bench/list_plans.py [--full]   (one command line)

For each list (who, filter) it plans the page (the first, and the second by cursor), the
bounded count (``COUNT(*)`` over ``LIMIT 10001``) and the planner's estimate, and prints the
plan's shape (node, index, rows) and its time; ``--full`` prints whole plans. Only SELECTs run.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from drp_bench import setup_django  # noqa: E402

ACTUAL = re.compile(r"\(actual time=[\d.]+\.\.([\d.]+) rows=(\d+) loops=(\d+)\)")


def lists():
    """(label, username, queryset) for each list statement the API and pages run."""
    from django.db.models import Exists, OuterRef, Q

    from children.models import Child
    from children.selectors import search
    from drp.models import DisputeResolution
    from drp.selectors import drps_visible_to, with_list_data
    from people.models import Team, User
    from workflows.clocks import today

    iro, worker = User.objects.get(username="iro"), User.objects.get(username="social-worker")
    everyone = drps_visible_to(iro)
    seen = drps_visible_to(worker)
    open_ = DisputeResolution.OPEN_STATUSES
    on = today()
    team = Team.objects.filter(drps__isnull=False).order_by("id").first()
    reviewer = DisputeResolution.objects.order_by("-id").values_list("raised_by", flat=True).first()
    name = Child.objects.order_by("id").values_list("name", flat=True).first() or "Bench"
    newest = DisputeResolution.objects.order_by("-raised_on").values_list("raised_on", flat=True).first()
    overdue = (Q(status="awaiting_response", stage_due_date__lt=on)
               | Q(status="awaiting_review", review_due_date__lt=on)
               | Q(status__in=open_, overall_due_date__lt=on))
    children = search(Child.objects.all(), name.split()[-1][:5])
    by_child_name = Exists(DisputeResolution.children.through.objects.filter(
        disputeresolution_id=OuterRef("pk"), child__in=children))
    return [
        ("API list, everyone's (IRO)", everyone),
        ("API list, status=awaiting_response&case_type=CLA (IRO)",
         everyone.filter(status="awaiting_response", case_type="CLA")),
        ("API list, status=awaiting_review (IRO)", everyone.filter(status="awaiting_review")),
        (f"API list, team={team.slug if team else '-'} (IRO)", everyone.filter(team=team)),
        ("API list, raised by one IRO", everyone.filter(raised_by_id=reviewer)),
        ("API list, raised in the last 30 days", everyone.filter(raised_on__gte=newest - timedelta(days=30))),
        ("API list, overdue (any running clock past its date)", everyone.filter(overdue)),
        (f"API list, child name contains {name.split()[-1][:5]!r}", everyone.filter(by_child_name)),
        ("API list, all-seeing social worker", seen),
        ("API list, all-seeing social worker, status=awaiting_response&case_type=CLA",
         seen.filter(status="awaiting_response", case_type="CLA")),
        ("Page, IRO's own open DRPs by stage due", everyone.filter(raised_by_id=reviewer, status__in=open_)),
    ], with_list_data


def explain(sql: str, params) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def shape(plan: list[str]) -> str:
    """The plan's scans (node, index, table, rows x loops) and its execution time."""
    parts = []
    for line in plan:
        match = ACTUAL.search(line)
        if match and ("Scan" in line or line.lstrip().startswith(("Limit", "Sort", "Aggregate"))):
            node = line.split("(cost=")[0].replace("->", "").strip()
            parts.append(f"{node} rows={match.group(2)}x{match.group(3)}")
    time = next((line.split(":")[1].strip() for line in plan if line.startswith("Execution Time")), "?")
    return "; ".join(parts) + f" | {time}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="print whole plans, not their shape")
    args = parser.parse_args(argv)
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/footprint_report_bench")
    setup_django()
    from django.db import connection

    from api.pagination import COUNT_BOUND, KeysetPagination

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM drp_disputeresolution")
        total = cursor.fetchone()[0]
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
    print(f"{total:,} DRPs; jit={jit}; load average {os.getloadavg()[0]:.2f}")
    queries, with_list_data = lists()
    for label, qs in queries:
        ordered = with_list_data(qs).order_by("-raised_on", "-id")
        first = list(ordered.values_list("raised_on", "id")[:50])
        statements = [("page 1", ordered[:51])]
        if len(first) == 50:
            raised_on, pk = first[-1]
            # The next page's WHERE exactly as the API's cursor pagination builds it.
            after = ordered.filter(KeysetPagination()._after(["raised_on", "id"], [raised_on, pk], True))
            statements.append(("page 2 (cursor)", after[:51]))
        statements.append(("bounded count", None))
        print(f"\n== {label}")
        for what, statement in statements:
            if statement is None:
                sql, params = qs.order_by().values("pk")[: COUNT_BOUND + 1].query.sql_with_params()
                sql = f"SELECT COUNT(*) FROM ({sql}) subquery"
            else:
                sql, params = statement.query.sql_with_params()
            plan = explain(sql, params)
            print(f"  {what}: {shape(plan)}")
            if args.full:
                print("\n".join("    " + line for line in plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
