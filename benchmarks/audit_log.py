"""How fast the audit log appends and verifies, on SQLite and on PostgreSQL, in one run.

    .venv/bin/python benchmarks/audit_log.py [--events N] [--quick]

For each database this starts a fresh Django process (so the settings read its
``DATABASE_URL`` and ``WICKETGATE_DATA_DIR``) against a fresh database: a SQLite file in
a temporary folder, and a throwaway PostgreSQL cluster (``throwaway_cluster()``; note
that it runs with fsync and synchronous_commit off). There it migrates, then measures:

1. single appends: ``record_event`` one event per transaction;
2. batched appends: ``append_events`` in batches of 1,000 realistic gateway events;
3. the physical limit: the same rows, already built, inserted with
   ``cursor.executemany`` (``COPY`` on PostgreSQL, as append_events does) in batches of 1,000 (one transaction each) into a table of
   the same shape as ``audit_auditevent`` without the chain;
4. spooled appends: ``SpoolWriter.append_many`` in batches of 100 (acknowledged once
   fsync'd), then ``close()``: acknowledged events/s and time until all are in the log;
5. verification of the whole log, with one worker and with the default (one per core).

Every measurement is warmed up once first and timed with ``time.perf_counter``. The
table goes to stdout; the results to ``benchmarks/results/audit_log.json``.

This is a script, not a test: timings depend on the machine, so nothing here asserts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "audit_log.json"
BATCH = 1_000
SPOOL_BATCH = 100
PLAIN_TABLE = "bench_plain"

# Targets from the issue.
TARGET_BATCHED_PG = 20_000  # events/s, batched appends on PostgreSQL
TARGET_RATIO_PG = 0.5  # batched ÷ plain INSERT, on PostgreSQL
TARGET_VERIFY = 200_000  # events/s, verification


# --- the parent: one worker process per database ------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--events", type=int, help="events for batched, plain and (÷4) spooled appends"
    )
    parser.add_argument("--quick", action="store_true", help="a short run (20,000 events)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: JSON plan
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(json.loads(args.worker))

    events = args.events or (20_000 if args.quick else 200_000)
    plan = {
        "single": 1_000 if args.quick else 5_000,
        "batched": events,
        "spooled": max(events // 4, SPOOL_BATCH),
    }
    started = time.perf_counter()
    machine = _machine()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="wicketgate-bench-") as folder:
        sqlite_dir = Path(folder) / "sqlite"
        sqlite_dir.mkdir()
        results["sqlite"] = _run_worker(
            "sqlite", plan, sqlite_dir, f"sqlite:///{sqlite_dir / 'bench.sqlite3'}"
        )
        from wicketgate.testing.throwaway_postgres import PostgresNotFound, throwaway_cluster

        postgres_dir = Path(folder) / "postgresql"
        postgres_dir.mkdir()
        try:
            with throwaway_cluster(prefix="wicketgate-bench-pg-") as url:
                results["postgresql"] = _run_worker("postgresql", plan, postgres_dir, url)
        except PostgresNotFound as exc:
            print(f"PostgreSQL not measured: {exc}", file=sys.stderr)
    for result in results.values():
        machine.update(result.pop("versions", {}))
    targets = _targets(results)
    report = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "machine": machine,
        "plan": {**plan, "batch": BATCH, "spool_batch": SPOOL_BATCH, "quick": args.quick},
        "results": results,
        "targets": targets,
    }
    print(_table(report), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {RESULTS.relative_to(ROOT)}")
    return 0  # a missed target is a finding, not a failed run


def _run_worker(vendor: str, plan: dict[str, int], data_dir: Path, url: str) -> dict[str, Any]:
    result_file = data_dir / "result.json"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "wicketgate.settings",
        "DATABASE_URL": url,
        "WICKETGATE_DATA_DIR": str(data_dir),
    }
    for name in ("WICKETGATE_AUDIT_SPOOL_DIR", "WICKETGATE_AUDIT_SIGNING_KEY_FILE"):
        env.pop(name, None)  # everything in the fresh data folder
    worker_plan = {**plan, "vendor": vendor, "result_file": str(result_file)}
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(worker_plan)]
    subprocess.run(command, env=env, check=True, cwd=ROOT)  # noqa: S603 - our own script
    return dict(json.loads(result_file.read_text(encoding="utf-8")))


def _machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def _targets(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    def rate(vendor: str, name: str) -> float | None:
        return results.get(vendor, {}).get(name, {}).get("events_per_s")

    pg_batched = rate("postgresql", "batched")
    pg_ratio = results.get("postgresql", {}).get("batched_over_plain")
    targets = [
        {
            "target": f"batched appends on PostgreSQL >= {TARGET_BATCHED_PG:,} events/s",
            "measured": pg_batched,
            "pass": pg_batched is not None and pg_batched >= TARGET_BATCHED_PG,
        },
        {
            "target": f"batched appends on PostgreSQL >= {TARGET_RATIO_PG} x plain INSERT",
            "measured": pg_ratio,
            "pass": pg_ratio is not None and pg_ratio >= TARGET_RATIO_PG,
        },
    ]
    for vendor in ("sqlite", "postgresql"):
        measured = rate(vendor, "verify_default")
        targets.append(
            {
                "target": f"verification on {_NAMES[vendor]} (default workers) "
                f">= {TARGET_VERIFY:,} events/s",
                "measured": measured,
                "pass": measured is not None and measured >= TARGET_VERIFY,
            }
        )
    return targets


_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _table(report: dict[str, Any]) -> str:
    machine, plan, results = report["machine"], report["plan"], report["results"]
    vendors = [vendor for vendor in ("sqlite", "postgresql") if vendor in results]

    def cell(vendor: str, key: str, field: str = "events_per_s", fmt: str = "{:,.0f}") -> str:
        value = results[vendor].get(key)
        if isinstance(value, dict):
            value = value.get(field)
        return "-" if value is None else fmt.format(value)

    any_result = results[vendors[0]] if vendors else {}
    verify_workers = any_result.get("verify_default", {}).get("workers", "?")
    logged = {vendor: results[vendor]["verify_default"]["events"] for vendor in vendors}
    rows: list[tuple[str, Callable[[str], str]]] = [
        ("1 single appends, record_event (ev/s)", lambda v: cell(v, "single")),
        (f"2 batched appends, append_events x{BATCH:,} (ev/s)", lambda v: cell(v, "batched")),
        (f"3 plain INSERT x{BATCH:,}, same path (COPY on PG) (ev/s)", lambda v: cell(v, "plain")),
        ("  ratio batched / plain INSERT", lambda v: cell(v, "batched_over_plain", fmt="{:.2f}")),
        (
            f"4 spooled, append_many x{SPOOL_BATCH}: acknowledged (ev/s)",
            lambda v: cell(v, "spooled"),
        ),
        (
            "  spooled: until all in the log (s)",
            lambda v: cell(v, "spooled", "all_in_db_s", "{:.2f}"),
        ),
        (
            "  spooled: into the log, end to end (ev/s)",
            lambda v: cell(v, "spooled", "all_in_db_events_per_s"),
        ),
        ("5 verify, workers=1 (ev/s)", lambda v: cell(v, "verify_1")),
        (
            f"  verify, workers={verify_workers} (default) (ev/s)",
            lambda v: cell(v, "verify_default"),
        ),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [
        "Audit log benchmark",
        f"machine: nproc {machine['nproc']}, {machine['cpu']}, {machine['platform']}",
        f"versions: Python {machine['python']}, SQLite {machine['sqlite']}, "
        f"PostgreSQL {machine.get('postgresql', 'not measured')}, "
        f"Django {machine.get('django', '?')}, psycopg {machine.get('psycopg', '?')}",
        f"events: single {plan['single']:,}; batched and plain {plan['batched']:,}; "
        f"spooled {plan['spooled']:,}; verified "
        + ", ".join(f"{_NAMES[v]} {n:,}" for v, n in logged.items())
        + (" (--quick: below 100,000 verify runs one process)" if plan["quick"] else ""),
        "PostgreSQL: throwaway cluster, fsync=off, synchronous_commit=off; "
        "SQLite: WAL, synchronous=NORMAL",
        "",
        f"{'':<{width}}  " + "  ".join(f"{_NAMES[v]:>12}" for v in vendors),
    ]
    for label, value in rows:
        lines.append(f"{label:<{width}}  " + "  ".join(f"{value(v):>12}" for v in vendors))
    lines += ["", "targets"]
    for target in report["targets"]:
        measured = target["measured"]
        shown = (
            "not measured"
            if measured is None
            else f"{measured:.2f}"
            if measured < 100
            else f"{measured:,.0f} ev/s"
        )
        lines.append(f"  {'PASS' if target['pass'] else 'FAIL'}  {target['target']}: {shown}")
    lines.append(f"\ntotal {report['wall_seconds']:.0f} s")
    return "\n".join(lines)


# --- the worker: one database, in a process of its own --------------------------------


def _worker(plan: dict[str, Any]) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    vendor = plan["vendor"]
    say = _sayer(_NAMES[vendor])
    say("migrate")
    call_command("migrate", interactive=False, verbosity=0)
    if connection.vendor != vendor:
        raise RuntimeError(f"expected a {vendor} database, Django has {connection.vendor}")

    bench = _Bench(say)
    results: dict[str, Any] = {"versions": bench.versions()}
    results["single"] = bench.single(plan["single"])
    results["batched"] = bench.batched(plan["batched"])
    results["plain"] = bench.plain(plan["batched"])
    results["batched_over_plain"] = (
        results["batched"]["events_per_s"] / results["plain"]["events_per_s"]
    )
    results["spooled"] = bench.spooled(plan["spooled"])
    results["verify_1"] = bench.verify(workers=1)
    results["verify_default"] = bench.verify(workers=None)
    Path(plan["result_file"]).write_text(json.dumps(results), encoding="utf-8")
    return 0


def _sayer(prefix: str) -> Callable[[str], None]:
    def say(message: str) -> None:
        print(f"[{prefix}] {message}", file=sys.stderr, flush=True)

    return say


class _Bench:
    """The measurements, in a process where Django is set up on the database under test."""

    def __init__(self, say: Callable[[str], None]) -> None:
        from django.db import connection

        from wicketgate.audit.log import Actor
        from wicketgate.estate.models import Establishment
        from wicketgate.people.models import Prisoner

        self.say = say
        self.connection = connection
        self.actor = Actor.system("gateway")
        self.establishment = Establishment.objects.create(
            code="BNCH", name="HMP Benchmark", kind="training", capacity=1200
        )
        Prisoner.objects.bulk_create(
            Prisoner(
                prison_number=f"A{n:04d}BC",
                given_name=_GIVEN[n % len(_GIVEN)],
                family_name=_FAMILY[(n * 7) % len(_FAMILY)],
                date_of_birth=dt.date(1970 + n % 35, 1 + n % 12, 1 + n % 28),
                establishment=self.establishment,
                security_category="C",
                incentive_level="STD",
                legal_status="SENTENCED",
            )
            for n in range(1, 201)
        )
        self.prisoners = list(Prisoner.objects.order_by("pk"))
        self.clock = dt.datetime.now(dt.UTC)

    def versions(self) -> dict[str, str]:
        import django
        import psycopg

        versions = {"django": django.get_version(), "psycopg": psycopg.__version__}
        if self.connection.vendor == "postgresql":
            with self.connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                versions["postgresql"] = str(cursor.fetchone()[0])
        return versions

    # --- inputs --------------------------------------------------------------------

    def _details(self, n: int) -> dict[str, Any]:
        host = _HOSTS[n % len(_HOSTS)]
        return {
            "host": host,
            "path": f"/course/{n % 97}/unit/{n % 13}/page/{n % 31}",
            "method": "GET" if n % 5 else "POST",
            "status": 200,
            "bytes": 512 + (n * 7919) % 250_000,
            "decision": "allow",
            "rules": ["allow-education-sites", f"allow-{host.split('.')[0]}", "log-all"],
            "device": f"in-cell-laptop-{n % 400:03d}",
        }

    def pending(self, count: int) -> list[Any]:
        """``count`` gateway events, each a request by one of the prisoners."""
        from wicketgate.audit.log import PendingEvent

        events = []
        for n in range(count):
            prisoner = self.prisoners[n % len(self.prisoners)]
            self.clock += dt.timedelta(microseconds=1_250)
            events.append(
                PendingEvent(
                    action="gateway.request",
                    actor=self.actor,
                    occurred_at=self.clock,
                    subject_kind="people.prisoner",
                    subject_id=str(prisoner.pk),
                    subject_label=str(prisoner),
                    establishment_id=self.establishment.pk,
                    details=self._details(n),
                )
            )
        return events

    def rows(self, events: Sequence[Any], first_seq: int) -> list[tuple[Any, ...]]:
        """The rows ``append_events`` would insert for ``events`` (built, not timed)."""
        from wicketgate.audit.chain import GENESIS
        from wicketgate.audit.log import chain_rows

        return chain_rows(events, first_seq=first_seq, prev=GENESIS)

    # --- measurements ----------------------------------------------------------------

    def single(self, count: int) -> dict[str, Any]:
        from wicketgate.audit.log import record_event

        def run(n: int) -> None:
            for i in range(n):
                record_event(
                    "gateway.request",
                    actor=self.actor,
                    subject=self.prisoners[i % len(self.prisoners)],
                    establishment=self.establishment,
                    details=self._details(i),
                )

        run(min(200, count))  # warm-up
        self.say(f"single appends: {count:,} events, one transaction each")
        seconds = _timed(lambda: run(count))
        return _rate(count, seconds)

    def batched(self, count: int) -> dict[str, Any]:
        from wicketgate.audit.log import append_events

        for batch in _batches(self.pending(BATCH), BATCH):  # warm-up
            append_events(batch)
        batches = list(_batches(self.pending(count), BATCH))
        self.say(f"batched appends: {count:,} events in batches of {BATCH:,}")

        def run() -> None:
            for batch in batches:
                append_events(batch)

        seconds = _timed(run)
        return _rate(count, seconds)

    def plain(self, count: int) -> dict[str, Any]:
        from django.db import transaction

        from wicketgate.audit.log import _COLUMNS

        self._create_plain_table()
        insert = (
            f"INSERT INTO {PLAIN_TABLE} ({', '.join(_COLUMNS)}) "  # noqa: S608 - constants
            f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
        )
        # The warm-up's rows go after the measured ones, so the keys never collide.
        warm_up = list(_batches(self.rows(self.pending(BATCH), first_seq=count + 1), BATCH))
        batches = list(_batches(self.rows(self.pending(count), first_seq=1), BATCH))

        copy_sql = f"COPY {PLAIN_TABLE} ({', '.join(_COLUMNS)}) FROM STDIN"
        use_copy = self.connection.vendor == "postgresql"

        def run(work: list[list[tuple[Any, ...]]]) -> None:
            # The same driver path append_events takes: COPY on PostgreSQL, else executemany.
            for batch in work:
                with transaction.atomic(), self.connection.cursor() as cursor:
                    if use_copy:
                        with cursor.cursor.copy(copy_sql) as copy:
                            for row in batch:
                                copy.write_row(row)
                    else:
                        cursor.executemany(insert, batch)

        run(warm_up)
        self.say(f"plain INSERT: {count:,} rows in batches of {BATCH:,} into {PLAIN_TABLE}")
        seconds = _timed(lambda: run(batches))
        return _rate(count, seconds)

    def _create_plain_table(self) -> None:
        """A table like audit_auditevent: same columns, indexes and foreign key; no chain."""
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                cursor.execute(f"CREATE TABLE {PLAIN_TABLE} (LIKE audit_auditevent INCLUDING ALL)")
                # LIKE copies neither foreign keys nor triggers; the triggers only fire
                # on UPDATE, DELETE and TRUNCATE, but the foreign key is checked per row.
                cursor.execute(
                    f"ALTER TABLE {PLAIN_TABLE} ADD FOREIGN KEY (establishment_id) "
                    "REFERENCES estate_establishment (id) DEFERRABLE INITIALLY DEFERRED"
                )
                return
            cursor.execute(
                "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'audit_auditevent' "
                "AND type IN ('table', 'index') AND sql IS NOT NULL ORDER BY type DESC"
            )
            for kind, statement in cursor.fetchall():
                statement = statement.replace('"audit_auditevent"', f'"{PLAIN_TABLE}"')
                if kind == "index":  # index names are global in SQLite
                    statement = statement.replace('INDEX "', f'INDEX "{PLAIN_TABLE}_', 1)
                cursor.execute(statement)

    def spooled(self, count: int) -> dict[str, Any]:
        from wicketgate.audit.models import AuditEvent
        from wicketgate.audit.spool import SpoolWriter

        warm_up = SpoolWriter("benchwarmup")
        for batch in _batches(self.pending(1_000), SPOOL_BATCH):
            warm_up.append_many(batch)
        warm_up.close()

        batches = list(_batches(self.pending(count), SPOOL_BATCH))
        before = AuditEvent.objects.count()
        writer = SpoolWriter("benchgateway")
        self.say(f"spooled appends: {count:,} events, append_many of {SPOOL_BATCH}, then close()")
        gc.collect()
        start = time.perf_counter()
        for batch in batches:
            writer.append_many(batch)
        acknowledged = time.perf_counter() - start
        writer.close()
        all_in = time.perf_counter() - start
        written = AuditEvent.objects.count() - before
        if written != count:
            raise RuntimeError(f"spooled {count} events but {written} reached the log")
        return {
            **_rate(count, acknowledged),
            "all_in_db_s": all_in,
            "all_in_db_events_per_s": count / all_in,
        }

    def verify(self, *, workers: int | None) -> dict[str, Any]:
        from wicketgate.audit.models import AuditEvent
        from wicketgate.audit.signing import private_key
        from wicketgate.audit.verify import verify

        key = private_key().public_key()
        count = AuditEvent.objects.count()
        if workers == 1:
            verify(key, workers=None)  # warm-up, once for both
        used = workers or os.cpu_count() or 1
        self.say(f"verify: {count:,} events, workers={used}{'' if workers else ' (default)'}")
        report: Any = None

        def run() -> None:
            nonlocal report
            report = verify(key, workers=workers)

        seconds = _timed(run)
        if not report.intact or report.events != count:
            raise RuntimeError(f"verification failed: {report.problem}, {report.events} events")
        return {**_rate(count, seconds), "workers": used, "checkpoints": report.checkpoints}


def _timed(work: Callable[[], None]) -> float:
    gc.collect()
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _rate(events: int, seconds: float) -> dict[str, Any]:
    return {"events": events, "seconds": seconds, "events_per_s": events / seconds}


def _batches(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


_HOSTS = [
    "learning.education.example",
    "library.example.org",
    "courses.openuniversity.example",
    "jobs.example.gov.uk",
    "news.example.co.uk",
]
_GIVEN = ["Alex", "Sam", "Jordan", "Chris", "Jamie", "Taylor", "Morgan", "Casey", "Robin"]
_FAMILY = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies"]


if __name__ == "__main__":
    sys.exit(main())
