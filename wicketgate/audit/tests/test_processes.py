"""The log under real conditions: several writer processes at once, and a writer killed mid-batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wicketgate.testing.databases import isolated_database_url

pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    with isolated_database_url(tmp_path) as url:
        environment = {**os.environ, "DATABASE_URL": url, "WICKETGATE_DATA_DIR": str(tmp_path)}
        run(environment, "-m", "wicketgate.cli", "migrate")
        yield environment


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, check=True, timeout=300
    )


def count_events(env: dict[str, str], action: str) -> list[dict[str, Any]]:
    out = run(
        env, "-m", "wicketgate.cli", "audit", "export", "--action", action
    ).stdout.splitlines()
    return [json.loads(line) for line in out[1:]]


def test_several_processes_appending_at_once_leave_one_valid_chain(env: dict[str, str]) -> None:
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "wicketgate.testing.audit_writer", "direct", f"w{i}", "150"],
            env=env,
        )
        for i in range(4)
    ]
    assert [w.wait(timeout=300) for w in writers] == [0, 0, 0, 0]
    verified = run(env, "-m", "wicketgate.cli", "audit", "verify")
    assert verified.stdout.startswith("intact: 600 events"), verified.stdout
    events = count_events(env, "test.concurrent")
    assert sorted((e["details"]["writer"], e["details"]["n"]) for e in events) == sorted(
        (f"w{i}", n) for i in range(4) for n in range(150)
    )


def test_a_writer_killed_mid_batch_loses_nothing_it_acknowledged(env: dict[str, str]) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-m", "wicketgate.testing.audit_writer", "spool", "gateway", "100000"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    acknowledged = []
    for line in writer.stdout:
        acknowledged.append(int(line.split()[1]))
        if len(acknowledged) == 1500:
            writer.send_signal(signal.SIGKILL)
            break
    writer.wait(timeout=30)
    acknowledged += [
        int(line.split()[1]) for line in writer.stdout.read().splitlines() if line.startswith("ack")
    ]
    spooled = list(Path(env["WICKETGATE_DATA_DIR"], "audit-spool").glob("gateway.*.spool"))
    assert spooled, "the killed writer left its spool behind"

    replayed = run(env, "-m", "wicketgate.cli", "audit", "replay")
    assert "events written" in replayed.stdout
    present = {e["details"]["n"] for e in count_events(env, "test.spooled")}
    assert set(acknowledged) <= present
    assert present == set(range(len(present)))  # in order, none twice, no gaps
    verified = run(env, "-m", "wicketgate.cli", "audit", "verify")
    assert verified.stdout.startswith("intact:"), verified.stdout
    assert not list(Path(env["WICKETGATE_DATA_DIR"], "audit-spool").glob("gateway.*.spool"))


PARALLEL_CHECK = """
import os, sys, django
django.setup()
from django.db import connection
from wicketgate.audit import guards
from wicketgate.audit.signing import private_key
from wicketgate.audit.verify import verify
key = private_key().public_key()
report = verify(key, workers=2, parallel_from=1, range_size=70)
print("before", report.intact, report.events)
guards.remove(connection)
with connection.cursor() as cursor:
    cursor.execute("UPDATE audit_auditevent SET actor_label = 'x' WHERE seq = 333")
guards.install(connection)
connection.close()
report = verify(key, workers=2, parallel_from=1, range_size=70)
print("after", report.problem.seq, report.problem.kind)
"""


def test_it_verifies_ranges_in_parallel_and_still_names_the_break(env: dict[str, str]) -> None:
    writer = [sys.executable, "-m", "wicketgate.testing.audit_writer", "direct", "w", "500"]
    subprocess.run(writer, env=env, check=True, timeout=300)
    out = run(
        {**env, "DJANGO_SETTINGS_MODULE": "wicketgate.settings"}, "-c", PARALLEL_CHECK
    ).stdout.split("\n")
    assert out[:2] == ["before True 500", "after 333 modified"]
