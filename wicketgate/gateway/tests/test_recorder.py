"""The recorder: at once when the gateway is quiet; held back, within a bound, when busy."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from wicketgate.audit.models import AuditEvent
from wicketgate.gateway.accesslog import lag_seconds
from wicketgate.gateway.recorder import BUSY_BYTES, record_forever

pytestmark = pytest.mark.django_db(transaction=True)


def lines(count: int, at: float) -> str:
    return "".join(
        f"{at:.3f} 1 10.0.0.7 - GET http://example.com/{n} 407 100 200 TCP_DENIED - -\n"
        for n in range(count)
    )


def recorded() -> int:
    return AuditEvent.objects.filter(action="gateway.request").count()


def run(log: Path, stopping: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=record_forever, args=(log, stopping), kwargs={"every": 0.05})
    thread.start()
    return thread


def test_lag_is_the_age_of_the_oldest_unrecorded_request(
    tmp_path: Path, transactional_db: Any
) -> None:
    log = tmp_path / "access.log"
    assert lag_seconds(log) == 0
    log.write_text(lines(1, time.time() - 90))
    assert 89 < lag_seconds(log) < 95


def test_it_records_at_once_when_quiet(tmp_path: Path, transactional_db: Any) -> None:
    log = tmp_path / "access.log"
    log.write_text("")
    stopping = threading.Event()
    thread = run(log, stopping)
    try:
        time.sleep(0.2)
        with log.open("a") as handle:
            handle.write(lines(3, time.time()))
        deadline = time.monotonic() + 5
        while recorded() < 3:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        stopping.set()
        thread.join()


def test_while_busy_it_holds_back_until_the_oldest_request_is_max_lag_old(
    tmp_path: Path, transactional_db: Any, settings: Any
) -> None:
    settings.WICKETGATE_GATEWAY_RECORD_MAX_LAG_SECONDS = 2
    log = tmp_path / "access.log"
    log.write_text("")
    stopping = threading.Event()
    thread = run(log, stopping)
    try:
        time.sleep(0.2)
        burst = lines(2000, time.time())
        assert len(burst) > BUSY_BYTES  # more than a second's worth of quiet
        with log.open("a") as handle:
            handle.write(burst)
        time.sleep(0.5)
        assert recorded() == 0  # busy, and nothing is 2 s old yet
        deadline = time.monotonic() + 10
        while recorded() < 2000:
            assert time.monotonic() < deadline, recorded()
            time.sleep(0.1)
    finally:
        stopping.set()
        thread.join()
