#!/usr/bin/env python
"""Import benchmark: a generated CSV of N historical DRPs, imported then imported again.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/footprint_import_bench .venv/bin/python
        bench/import_bench.py --rows 100000 [--kind drp] [--trace-memory]   (one command line)

What it measures, for the first import (every row created, and a child record made for each
unknown child reference, as ``create_children`` asks) and for a second import of the same file
without its open records (every closed row updated, no duplicates: an import never changes an
open record, so those rows would refuse the file):
- rows per second, end to end (both passes: check the whole file, then write it);
- the time of each pass and the number of SQL statements (per row, and in all);
- CPU: this process's, and (PostgreSQL on this machine) the database server process's for the
  connection; rows per CPU second of both is what a quiet machine reaches, whatever the load;
- peak memory: the process's peak resident set (ru_maxrss) before and after, and, with
  ``--trace-memory``, tracemalloc's peak of Python allocations during the import (tracing
  slows the run down, so its rows per second are not comparable).

The database handling (create, reset, refuse a foreign database) and the Django setup are
``bench/drp_bench.py``'s, imported. The file goes to a temporary directory and is deleted.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import drp_bench  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/footprint_import_bench"
CHILD_POOL_RATIO = 3  # one child for every three DRPs: siblings and repeat challenges


def write_file(path: Path, kind: str, rows: int, seed: int) -> None:
    """A file in the import template's shape, with realistic variety (every status, stage,
    case type and theme; some DRPs with two children; some with no team)."""
    from drp.models import Stage, Theme
    from imports import registry
    from lado import models as lado_models
    from people.models import Team

    rng = random.Random(seed)
    today = date.today()
    teams = [team.slug for team in Team.objects.all()] + [""]
    stages = list(Stage.objects.order_by("order"))
    themes = [theme.slug for theme in Theme.objects.filter(active=True)]
    vocab = {name: list(model.objects.values_list("slug", flat=True))
             for name, model in (("sector", lado_models.Sector), ("setting", lado_models.SettingType),
                                 ("category", lado_models.Category),
                                 ("referral_source", lado_models.ReferralSource))}
    pool = max(1, rows // CHILD_POOL_RATIO)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(registry.get(kind).columns)
        for n in range(rows):
            day = today - timedelta(days=rng.randrange(30, 3 * 365))
            if kind == "drp":
                start = rng.choice(stages[:3])
                status = rng.choices(["open", "resolved", "withdrawn"], [1, 6, 1])[0]
                closed_at = rng.choice([s for s in stages if s.order >= start.order][:3])
                children = ";".join(f"IMP{rng.randrange(pool):07d}" for _ in range(rng.choice([1, 1, 1, 2])))
                out.writerow([f"HIST-{n:07d}", rng.choice(["CP", "CLA"]), children, rng.choice(teams),
                              day.isoformat(), start.key, ";".join(rng.sample(themes, rng.choice([1, 2]))),
                              status, "" if status == "open" else (day + timedelta(days=20)).isoformat(),
                              "" if status == "open" else closed_at.key])
            elif kind == "positive_practice":
                out.writerow([f"HPP-{n:07d}", rng.choice(["CP", "CLA"]), f"IMP{rng.randrange(pool):07d}",
                              rng.choice(teams), day.isoformat(), "A. Practitioner",
                              "Visited the child at school and rearranged contact around exams."])
            else:
                threshold = rng.choice(["", "yes", "yes", "no"])
                outcome = rng.choice(["substantiated", "unfounded", "unsubstantiated", "cancelled", ""]) \
                    if threshold == "yes" else ""
                out.writerow([f"HDO-{n:07d}", day.isoformat(),
                              *(rng.choice(vocab[name]) if threshold else "" for name in
                                ("sector", "setting", "category")),
                              rng.choice(vocab["referral_source"]), threshold,
                              (day + timedelta(days=1)).isoformat() if threshold else "",
                              min(day + timedelta(days=40), today).isoformat() if outcome else "", outcome])


class StatementCounter:
    """Counts SQL statements without keeping them (CaptureQueriesContext would hold them all).
    An ``executemany`` counts as the statements it runs, one for each set of parameters."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += len(params) if many else 1
        return execute(sql, params, many, context)


def backend_cpu_seconds() -> float | None:
    """CPU time the database's server process for this connection has used (PostgreSQL on this
    machine: /proc/<pg_backend_pid()>/stat), or None. With the client's own CPU it gives the
    rate a quiet machine would reach when wall-clock rates are swamped by other work."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def without_open_records(kind: str, path: Path, closed: Path) -> int:
    """Copy the file without its open records (the ones a second import may not touch)."""
    with path.open(newline="", encoding="utf-8") as source, closed.open("w", newline="", encoding="utf-8") as out:
        reader, writer = csv.DictReader(source), None
        kept = 0
        for row in reader:
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=reader.fieldnames)
                writer.writeheader()
            if kind == "drp" and row["status"] == "open":
                continue
            if kind == "lado" and (row["threshold_met"] == "" or (row["threshold_met"] == "yes"
                                                                   and not row["outcome"])):
                continue
            writer.writerow(row)
            kept += 1
    return kept


def import_once(kind: str, path: Path, actor, trace: bool) -> dict:
    from django.db import connection

    from imports.services import run_import

    marks = {}
    started = time.perf_counter()
    cpu_started = time.process_time()

    def progress(phase, rows):
        marks.setdefault(phase, time.perf_counter())
        marks[f"{phase}-last"] = (time.perf_counter(), rows)
        if sys.stdout.isatty():
            print(f"  {rows:>9,} rows {phase} ({time.perf_counter() - started:6.1f} s)", end="\r",
                  flush=True)

    counter = StatementCounter()
    rss_before = peak_rss_mb()
    db_cpu_started = backend_cpu_seconds()
    if trace:
        tracemalloc.start()
    with connection.execute_wrapper(counter), path.open("rb") as upload:
        result = run_import(kind=kind, upload=upload, filename=path.name, actor=actor,
                            create_children=True, progress=progress)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    db_cpu = backend_cpu_seconds()
    db_cpu = round(db_cpu - db_cpu_started, 2) if db_cpu is not None and db_cpu_started is not None else None
    traced = None
    if trace:
        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    if sys.stdout.isatty():
        print(" " * 60, end="\r")
    if result.errors:
        raise SystemExit(f"import_bench: the generated file was refused: {result.errors[:5]}")
    checked_at = marks.get("written", time.perf_counter())  # pass 2 starts with the first write
    rows = result.created + result.updated
    return {"rows": rows, "created": result.created, "updated": result.updated,
            "seconds": round(elapsed, 1), "rows_per_s": round(rows / elapsed),
            "cpu_seconds": round(cpu, 2), "cpu_ms_per_row": round(1000 * cpu / rows, 3),
            "db_cpu_seconds": db_cpu,
            "rows_per_cpu_s": round(rows / (cpu + (db_cpu or 0))),
            "statements": counter.count, "statements_per_row": round(counter.count / rows, 3),
            "first_write_after_s": round(checked_at - started, 1),
            "peak_rss_mb_before": round(rss_before), "peak_rss_mb_after": round(peak_rss_mb()),
            "tracemalloc_peak_mb": round(traced, 1) if traced is not None else None}


def preview_once(kind: str, path: Path, actor, size_mb: float) -> int:
    """How long a preview of the file keeps a request waiting if it is checked inline (why a
    file over FOOTPRINT_IMPORT_INLINE_MAX_BYTES is previewed by a job instead)."""
    from imports.services import run_import

    started, cpu_started = time.perf_counter(), time.process_time()
    with path.open("rb") as upload:
        result = run_import(kind=kind, upload=upload, filename=path.name, actor=actor, create_children=True,
                            dry_run=True)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"preview: {result.rows:,} rows ({size_mb:.1f} MB) checked in {elapsed:.1f} s wall, {cpu:.1f} s CPU "
          f"(would create {result.created:,}, update {result.updated:,}); errors: {len(result.errors)}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    return 0 if not result.errors else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--kind", choices=["drp", "positive_practice", "lado"], default="drp")
    parser.add_argument("--trace-memory", action="store_true",
                        help="measure tracemalloc's peak (slower; rows/s not comparable)")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--preview", action="store_true",
                        help="time only a preview (run_import(dry_run=True): pass 1, nothing written) of the file")
    args = parser.parse_args(argv)

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    action = drp_bench.prepare_database(True)
    drp_bench.setup_django()
    from django.core.management import call_command
    from django.db import connection

    from demo.builders import build_people

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']} ({action})", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    users = build_people()
    actor = users["do-manager" if args.kind == "lado" else "iro-manager"]

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{args.kind}-{args.rows}.csv"
        started = time.perf_counter()
        write_file(path, args.kind, args.rows, args.seed)
        size_mb = path.stat().st_size / 2**20
        print(f"file: {args.rows:,} {args.kind} rows, {size_mb:.1f} MB, written in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        if args.preview:
            return preview_once(args.kind, path, actor, size_mb)
        closed = Path(tmp) / f"{args.kind}-{args.rows}-closed.csv"
        kept = without_open_records(args.kind, path, closed)
        print(f"second file: the {kept:,} closed records", flush=True)
        for label, file in (("first import (creates)", path), ("second import (updates the closed)", closed)):
            figures = import_once(args.kind, file, actor, args.trace_memory)
            figures["run"] = label
            results.append(figures)
            print(f"{label}: {figures['rows']:,} rows in {figures['seconds']} s = "
                  f"{figures['rows_per_s']:,} rows/s ({figures['cpu_ms_per_row']} ms of CPU a row; database "
                  f"{figures['db_cpu_seconds']} s of CPU; {figures['rows_per_cpu_s']:,} rows per CPU second, "
                  "both processes); "
                  f"{figures['statements']:,} statements "
                  f"({figures['statements_per_row']} per row); checking took "
                  f"{figures['first_write_after_s']} s; peak RSS {figures['peak_rss_mb_before']} → "
                  f"{figures['peak_rss_mb_after']} MB"
                  + (f"; tracemalloc peak {figures['tracemalloc_peak_mb']} MB"
                     if figures["tracemalloc_peak_mb"] is not None else ""), flush=True)

    from imports import registry

    model = registry.get(args.kind).importer.model
    total = model.objects.count()
    print(f"records of this kind now: {total:,} (no duplicates: {total == args.rows})")
    if args.json:
        Path(args.json).write_text(json.dumps({"database": connection.vendor, "rows": args.rows,
                                               "kind": args.kind, "file_mb": round(size_mb, 1),
                                               "argv": sys.argv, "results": results}, indent=2))
    return 0 if total == args.rows else 1


if __name__ == "__main__":
    sys.exit(main())
