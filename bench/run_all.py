#!/usr/bin/env python
"""Every Footprint benchmark behind one command, with every figure printed at the end.

    .venv/bin/python bench/run_all.py --scale small     # ~1k of everything: a quick check
    .venv/bin/python bench/run_all.py --scale full      # 1M DRPs and 1M DO enquiries: hours

Steps, run one after another (the machine's cores are shared, so never in parallel):

========  =========================  ======================================================
step      script                     figures
========  =========================  ======================================================
drp       bench/drp_bench.py         SQL queries per page; list and detail median and p95
sweep     bench/sweep_bench.py       reminder sweep time, statements per reminder
report    bench/report_bench.py      each report's time against hand-written SQL
import    bench/import_bench.py      import rate (rows per second), memory
load      bench/load_test.py         gunicorn + locust: req/s, p50/p95/p99, errors; ceiling
========  =========================  ======================================================

Each step runs in its own process against its own throwaway PostgreSQL database
(``footprint_bench``, ``footprint_sweep_bench``, ``footprint_report_bench``,
``footprint_import_bench``, ``footprint_load`` on ``--postgres``); a DATABASE_URL in the
environment is deliberately not passed on, so a bench can never be pointed at a real
database by accident. Output is shown as it runs and tee'd to
``bench/results/<timestamp>/<step>.log`` (JSON beside it where the bench writes JSON). A step
whose script does not exist is reported as MISSING, never skipped silently. Exit status: 0
when every step ran and passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
PYTHON = sys.executable
JSON_LOG_LINE = re.compile(r'^\{"level": ')  # production settings log JSON lines; not figures

SCALES = {
    # scale: {step: arguments}
    "small": {
        "drp": ["--sizes", "1000", "--requests", "50", "--warmups", "5"],
        "sweep": ["--sizes", "1000", "--no-plans"],
        "report": ["--drps", "1000", "--do-cases", "1000"],
        "import": ["--rows", "1000"],
        "load": ["--drps", "1000", "--users", "10", "--ceiling-users", "10", "--duration", "15s",
                 "--warmup", "5s"],
    },
    "medium": {
        "drp": ["--sizes", "100000", "--requests", "100"],
        "sweep": ["--sizes", "100000"],
        "report": ["--drps", "100000", "--do-cases", "100000"],
        "import": ["--rows", "100000"],
        "load": ["--drps", "100000", "--users", "10", "25", "--ceiling-users", "25", "--duration", "60s"],
    },
    "full": {
        # The lists are timed on the report step's 1M DRPs (generated once, every child allocated
        # to the social worker: the all-seeing list), not on a second million of their own.
        "drp": ["--measure-only", "--requests", "200", "--explain"],
        # As the goal counts it: notifications written and the email tasks queued on Redis
        # (counted, then purged unrun: in production the Celery workers send them).
        "sweep": ["--sizes", "1000000", "--broker", "redis://127.0.0.1:6379/13"],
        "report": ["--drps", "1000000", "--do-cases", "1000000"],
        "import": ["--rows", "1000000"],
        # Beyond one machine, as the issue asks: two gunicorn servers, two Celery workers taking
        # the emails from Redis, and a streaming replica (pg_basebackup) that the reports read.
        "load": ["--drps", "1000000", "--users", "10", "25", "--ceiling-users", "25", "--duration", "60s",
                 "--web-servers", "2", "--workers", "1", "--celery-workers", "2", "--replica"],
    },
}


class Step:
    def __init__(self, name, script, database, summary_from=None, json_flag="--json",
                 json_name=None, tail=40):
        self.name = name
        self.script = BENCH_DIR / script
        self.database = database
        # A regular expression for the first line of the bench's final table: the summary
        # prints from there on. Without it (or when it is not found), the last ``tail`` lines.
        self.summary_from = re.compile(summary_from) if summary_from else None
        self.json_flag = json_flag
        self.json_name = json_name or f"{name}.json"
        self.tail = tail


STEPS = [
    # Reports first: at --scale full the drp step measures the report step's database.
    Step("report", "report_bench.py", "footprint_report_bench", r"^PostgreSQL, \d+ timed runs",
         json_flag=None),
    Step("drp", "drp_bench.py", "footprint_bench", r"^\w+, \d+ requests per row"),
    Step("sweep", "sweep_bench.py", "footprint_sweep_bench", r"^PostgreSQL, sweep of"),
    Step("import", "import_bench.py", "footprint_import_bench", r"^file: "),
    Step("load", "load_test.py", "footprint_load", r"^Footprint under gunicorn", json_flag="--out",
         json_name="load"),
]


def database_url(step: Step, postgres: str, suffix: str) -> str:
    return f"{postgres.rstrip('/')}/{step.database}{suffix}"


def step_environment(step: Step, postgres: str, suffix: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "FOOTPRINT_TEST_DB_NAME")}
    env["DATABASE_URL"] = database_url(step, postgres, suffix)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_step(step: Step, args_for_step: list[str], out: Path, postgres: str, suffix: str) -> dict:
    if "--measure-only" in args_for_step:
        step = Step(step.name, step.script.name, "footprint_report_bench", step.summary_from.pattern
                    if step.summary_from else None, step.json_flag, step.json_name, step.tail)
    record = {"step": step.name, "script": str(step.script.relative_to(REPO_ROOT)),
              "database": step.database + suffix}
    if not step.script.exists():
        record.update(status="MISSING", summary=[f"{record['script']} does not exist (yet)"])
        print(f"\n#### {step.name}: MISSING ({record['script']} not found)", flush=True)
        return record
    cmd = [PYTHON, str(step.script), *args_for_step]
    if step.json_flag:
        cmd += [step.json_flag, str(out / step.json_name)]
    record["command"] = " ".join([f"DATABASE_URL={database_url(step, postgres, suffix)}",
                                  ".venv/bin/python", str(step.script.relative_to(REPO_ROOT)),
                                  *cmd[2:]])
    print(f"\n#### {step.name}: {record['command']}", flush=True)
    log_path = out / f"{step.name}.log"
    load_before = os.getloadavg()
    started = time.perf_counter()
    lines: list[str] = []
    with open(log_path, "w") as log, subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=step_environment(step, postgres, suffix), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, bufsize=1) as proc:
        for line in proc.stdout:
            sys.stdout.write(line)
            log.write(line)
            lines.append(line.rstrip("\n"))
        returncode = proc.wait()
    record.update(status="ok" if returncode == 0 else f"FAILED (exit {returncode})",
                  returncode=returncode, seconds=round(time.perf_counter() - started, 1),
                  load_average_before=round(load_before[0], 2),
                  load_average_after=round(os.getloadavg()[0], 2), log=str(log_path),
                  summary=summary_lines(step, lines))
    return record


def summary_lines(step: Step, lines: list[str]) -> list[str]:
    figures = [line for line in lines if not JSON_LOG_LINE.match(line)]
    if step.summary_from:
        for index in range(len(figures) - 1, -1, -1):
            if step.summary_from.search(figures[index]):
                return figures[index:]
    return figures[-step.tail:]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small",
                        help="small: ~1k of everything (minutes); medium: 100k; full: 1M DRPs and "
                             "1M DO enquiries (hours). Default small.")
    parser.add_argument("--only", help="comma-separated steps to run (default all): "
                                       + ",".join(s.name for s in STEPS))
    parser.add_argument("--skip", default="", help="comma-separated steps not to run (listed as skipped)")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432",
                        help="server the throwaway bench databases are created on")
    parser.add_argument("--db-suffix", default="",
                        help="appended to every bench database's name, e.g. _ci, so this run does not "
                             "share a database with someone running one bench by hand")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the data the bench databases already hold (sweep, drp and load: --no-reset; "
                             "the report bench only ever grows): generate 1M once, measure many times")
    parser.add_argument("--out", type=Path, help="results directory (default bench/results/<timestamp>)")
    args = parser.parse_args(argv)

    names = [s.name for s in STEPS]
    only = [n.strip() for n in args.only.split(",")] if args.only else names
    skip = {n.strip() for n in args.skip.split(",") if n.strip()}
    unknown = (set(only) | skip) - set(names)
    if unknown:
        parser.error(f"unknown step(s): {', '.join(sorted(unknown))}; steps are {', '.join(names)}")

    out = args.out or BENCH_DIR / "results" / datetime.now().strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now()
    print(f"bench/run_all.py --scale {args.scale}: results in {out}", flush=True)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} cores)", flush=True)
    records = []
    for step in STEPS:
        if step.name not in only or step.name in skip:
            records.append({"step": step.name, "status": "skipped (--only/--skip)", "summary": []})
            continue
        step_args = list(SCALES[args.scale][step.name])
        if args.reuse and step.name in ("drp", "sweep", "load") and "--measure-only" not in step_args:
            step_args.append("--no-reset")
        records.append(run_step(step, step_args, out, args.postgres, args.db_suffix))

    print("\n" + "=" * 100)
    print(f"SUMMARY  --scale {args.scale}, started {started_at:%Y-%m-%d %H:%M}, "
          f"{os.cpu_count()} cores; results in {out}")
    print("=" * 100)
    for record in records:
        took = f", {record['seconds']:.0f} s, load {record['load_average_before']}→" \
               f"{record['load_average_after']}" if "seconds" in record else ""
        print(f"\n[{record['step']}] {record['status']}{took}")
        if record.get("command"):
            print(f"  $ {record['command']}")
        for line in record["summary"]:
            print(f"  {line}")
    (out / "summary.json").write_text(json.dumps(
        {"scale": args.scale, "started": started_at.isoformat(timespec="seconds"),
         "finished": datetime.now().isoformat(timespec="seconds"), "cores": os.cpu_count(),
         "steps": records}, indent=2))
    print(f"\nwrote {out / 'summary.json'}")
    bad = [r["step"] for r in records if r["status"] != "ok" and not r["status"].startswith("skipped")]
    if bad:
        print(f"not ok: {', '.join(bad)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
