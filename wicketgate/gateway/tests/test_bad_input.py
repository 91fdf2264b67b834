"""Nothing a client sends can stop the gateway service or touch another request: a line
that cannot be read or decided refuses that one request, and says so in the record."""

from __future__ import annotations

import math
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wicketgate.gateway.gatekeeper import BAD_REQUEST, Gatekeeper, read_log_note
from wicketgate.gateway.service import GatewayService
from wicketgate.gateway.sessions import SessionTable
from wicketgate.policy.engine import Engine
from wicketgate.testing.gateway import device_session, gateway_world
from wicketgate.testing.personas import Estate

POLICY = """
sites:
  - {name: NHS, hosts: ["www.nhs.uk"], category: HEALTH}
  - {name: OpenLearn, hosts: ["www.open.edu"], category: EDUCATION, paths: ["/openlearn/"]}
rules:
  - {id: health, allow: [HEALTH, EDUCATION]}
"""
FUZZ = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# URLs that once raised out of the gatekeeper, or might: hosts urlsplit rejects, odd ports,
# brackets, escapes, control characters, very long names.
NASTY_URLS = [
    "http://www.nhs.uk\uff03x/",  # FULLWIDTH NUMBER SIGN: urlsplit's NFKC check raises
    "http://www.nhs.uk\u2100/",
    "http://[::1/",
    "http://[zz::1]/",
    "http://www.nhs.uk:99999/",
    "http://www.nhs.uk:-1/",
    "http://www.nhs.uk:port/",
    "www.nhs.uk:0",
    "www.nhs.uk:http",
    "http://@/",
    "http://" + "a" * 300 + ".uk/",
    "http://www.nhs.uk/\x00",
    "https://www.open.edu/openlearn/..%2f..%2fsecret",
    "http://xn--/",
    "http://.uk/",
    "\x00",
    "",
]


def _session(estate: Estate) -> tuple[str, str]:
    session, password = device_session(estate, "NGT-LT-9")
    return session.username, password


@pytest.fixture
def keeper(estate: Estate, load_policy: Callable[..., Any]) -> tuple[Gatekeeper, str]:
    load_policy(POLICY)
    user, _password = _session(estate)
    sessions = SessionTable()
    sessions.refresh()
    gate = Gatekeeper(Engine(refresh_every=math.inf), sessions, grace_seconds=60)
    gate.fresh_at = time.monotonic()
    return gate, user


def _line(*fields: str) -> bytes:
    """As Squid asks: each field escaped, but for escapes that are there already."""
    return ("9 " + " ".join(quote(f, safe="%:/") for f in fields)).encode()


@pytest.mark.parametrize("url", NASTY_URLS)
@pytest.mark.parametrize("method", ["GET", "CONNECT"])
def test_a_url_it_cannot_read_refuses_that_request_and_names_it(
    keeper: tuple[Gatekeeper, str], url: str, method: str
) -> None:
    gate, user = keeper
    answer = gate.answer_acl(_line(user, "127.0.0.1", method, url, "-"))
    channel, verdict, *rest = answer.decode().split(" ")
    assert (channel, verdict) == ("9", "ERR")
    decision, rules, *_ = read_log_note(rest[-1].removeprefix("log="))
    assert decision == "deny" and rules == (BAD_REQUEST,)


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_get_one_answer_line_for_their_channel(
    keeper: tuple[Gatekeeper, str], junk: bytes
) -> None:
    gate, _user = keeper
    line = b"42 " + junk.replace(b"\n", b" ")
    for answer in (gate.answer_acl(line), gate.answer_auth(line)):
        assert answer.startswith(b"42 ") and b"\n" not in answer
        assert answer.split(b" ")[1] in (b"OK", b"ERR")
        assert not answer.startswith(b"42 OK"), answer  # junk is never allowed


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "CONNECT", "HEAD", "-", "G\u00e9T"]),
    url=st.one_of(
        st.sampled_from(NASTY_URLS),
        st.builds(
            lambda scheme, host, path: f"{scheme}://{host}{path}",
            st.sampled_from(["http", "https", "ftp", "HTTP", ""]),
            st.text(min_size=0, max_size=40),
            st.text(min_size=0, max_size=40),
        ),
        st.text(max_size=80),
    ),
    sni=st.one_of(st.just("-"), st.text(max_size=40)),
)
def test_any_url_method_and_tls_name_are_answered_never_raised(
    keeper: tuple[Gatekeeper, str], method: str, url: str, sni: str
) -> None:
    gate, user = keeper
    answer = gate.answer_acl(_line(user, "127.0.0.1", method, url, sni))
    assert answer.startswith(b"9 OK ") or answer.startswith(b"9 ERR ")


def _ask_many(path: Path, lines: list[bytes]) -> list[bytes]:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(path))
        sock.sendall(b"acl\n" + b"".join(line + b"\n" for line in lines))
        reader = sock.makefile("rb")
        return [reader.readline().rstrip(b"\n") for _ in lines]


@pytest.mark.django_db(transaction=True)
def test_a_bad_request_among_others_on_one_connection_refuses_only_itself(
    transactional_db: Any, load_policy: Callable[..., Any]
) -> None:
    estate = gateway_world(load_policy, POLICY)
    user, _password = _session(estate)
    path = Path(tempfile.mkdtemp()) / "decide.sock"
    service = GatewayService(path, poll_seconds=0.05)
    service.start()
    try:
        good = _line(user, "127.0.0.1", "GET", "http://www.nhs.uk/conditions/", "-")
        lines = [good.replace(b"9 ", b"1 ", 1)]
        lines += [
            _line(user, "127.0.0.1", "GET", url, "-").replace(b"9 ", f"{i} ".encode(), 1)
            for i, url in enumerate(NASTY_URLS, start=2)
        ]
        lines.append(good.replace(b"9 ", b"99 ", 1))
        answers = _ask_many(path, lines)
        assert answers[0].startswith(b"1 OK ") and answers[-1].startswith(b"99 OK ")
        assert all(a.startswith(f"{i} ERR ".encode()) for i, a in enumerate(answers[1:-1], 2))
        # ... and the connection is still there for the next question.
        assert _ask_many(path, [good])[0].startswith(b"9 OK ")
    finally:
        service.stop()


def test_whatever_goes_wrong_deciding_refuses_that_request_alone(
    keeper: tuple[Gatekeeper, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, user = keeper

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a fault nobody foresaw")

    monkeypatch.setattr(gate.engine, "decide", broken)
    answer = gate.answer_acl(_line(user, "127.0.0.1", "GET", "http://www.nhs.uk/", "-"))
    channel, verdict, *rest = answer.decode().split(" ")
    assert (channel, verdict) == ("9", "ERR")
    assert read_log_note(rest[-1].removeprefix("log="))[1] == (BAD_REQUEST,)


@pytest.mark.django_db(transaction=True)
def test_past_its_limit_of_waiting_logins_the_rest_are_refused_at_once(
    transactional_db: Any, load_policy: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from wicketgate.gateway import service as service_module

    gateway_world(load_policy, POLICY)
    monkeypatch.setattr(service_module, "WAITING_LOGINS", 2)
    path = Path(tempfile.mkdtemp()) / "decide.sock"
    service = GatewayService(path, poll_seconds=5)
    service.start()
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(path))
            sock.sendall(b"auth\n" + b"".join(f"{i} wgnobody{i} x\n".encode() for i in range(5)))
            reader = sock.makefile("rb")
            # Refused at once, before those admitted are answered after a look.
            first = [reader.readline().rstrip(b"\n") for _ in range(3)]
            assert first == [b"2 ERR", b"3 ERR", b"4 ERR"]
            rest = [reader.readline().rstrip(b"\n") for _ in range(2)]
            assert sorted(rest) == [b"0 ERR", b"1 ERR"]
    finally:
        service.stop()
