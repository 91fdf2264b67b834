"""The access questions of the corpus, all on one connection to the real gateway service,
between ordinary ones: one answer a line, in order, each for its own channel, and the
ordinary questions answered as if the others were not there."""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wicketgate.gateway.service import GatewayService
from wicketgate.gateway.tests.fuzz.targets import CORPUS, POLICY
from wicketgate.testing.gateway import device_session, gateway_world
from wicketgate.testing.policy import POLICY_WEEK

ORDINARY = b"$C $USER 127.0.0.1 GET http://www.nhs.uk/conditions/ - -"


@pytest.mark.django_db(transaction=True)
@pytest.mark.time_machine(POLICY_WEEK)  # the clock runs on from there: the service polls
def test_the_corpus_on_one_connection_is_answered_line_by_line(
    transactional_db: Any, load_policy: Callable[..., Any]
) -> None:
    estate = gateway_world(load_policy, POLICY)
    session, _password = device_session(estate, "FUZZ-LT-1")
    user = session.username.encode()
    questions = []
    for i, file in enumerate(sorted((CORPUS / "acl").iterdir())):
        questions.append(ORDINARY.replace(b"$C", f"90{i}".encode()))
        questions.append(file.read_bytes().replace(b"\n", b" "))
    lines = [q.replace(b"$USER", user) for q in questions]
    path = Path(tempfile.mkdtemp()) / "decide.sock"
    service = GatewayService(path, poll_seconds=0.05)
    service.start()
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(30)
            sock.connect(str(path))
            sock.sendall(b"acl\n" + b"".join(line + b"\n" for line in lines))
            reader = sock.makefile("rb")
            answers = [reader.readline() for _ in lines]
    finally:
        service.stop()
    for line, answer in zip(lines, answers, strict=True):
        assert answer.endswith(b"\n") and answer.count(b"\n") == 1, (line, answer)
        assert answer.startswith(line.partition(b" ")[0] + b" "), (line, answer)
    ordinary = answers[0::2]
    assert all(a.startswith(b"90") and b" OK log=allow;" in a for a in ordinary), ordinary
