"""The answers the helpers give Squid, line by line, from memory."""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from wicketgate.gateway.actions import do_open_device_session, do_register_device
from wicketgate.gateway.gatekeeper import (
    MISMATCHED_HOST,
    NOT_HTTPS_PORT,
    PORTAL_NOTE,
    Gatekeeper,
    log_note,
    read_block_token,
    read_log_note,
)
from wicketgate.gateway.sessions import SessionTable
from wicketgate.policy.engine import Engine
from wicketgate.testing.personas import SETUP, Estate

POLICY = """
sites:
  - name: NHS
    hosts: ["www.nhs.uk"]
    category: HEALTH
  - name: OpenLearn
    hosts: ["www.open.edu"]
    category: EDUCATION
    paths: ["/openlearn/"]
  - name: Citizens Advice
    hosts: ["www.citizensadvice.org.uk"]
    category: LEGAL
    https: pass-through
    ports: [8443]
rules:
  - id: health
    allow: [HEALTH, EDUCATION, LEGAL]
"""


@pytest.fixture
def keeper(estate: Estate, load_policy: Callable[..., Any]) -> tuple[Gatekeeper, str, str]:
    load_policy(POLICY)
    device = do_register_device(
        device_id="NGT-LT-1",
        establishment=estate.a,
        location=estate.a_cell,
        kind="laptop",
        actor=SETUP,
        address="10.0.0.7",
    )[0]
    session, password = do_open_device_session(
        prisoner=estate.prisoner_a, device=device, actor=SETUP, address="10.0.0.7"
    )
    engine = Engine(refresh_every=math.inf)
    sessions = SessionTable()
    sessions.refresh()
    keeper = Gatekeeper(engine, sessions, grace_seconds=5)
    keeper.fresh_at = time.monotonic()
    return keeper, session.username, password


def acl(keeper: Gatekeeper, *fields: str) -> str:
    """As Squid asks: each field escaped, but for escapes that are there already."""
    return keeper.answer_acl(
        ("7 " + " ".join(quote(f, safe=":/%") for f in fields)).encode()
    ).decode()


def test_it_accepts_only_a_live_sessions_password(keeper: tuple[Gatekeeper, str, str]) -> None:
    gate, user, password = keeper
    assert gate.answer_auth(f"3 {user} {quote(password)}".encode()) == b"3 OK"
    assert gate.answer_auth(f"4 {user} wrong".encode()) == b"4 ERR"
    assert gate.answer_auth(f"5 wgnobody {quote(password)}".encode()) == b"5 ERR"


def test_it_allows_an_allowed_url_and_notes_the_rule(keeper: tuple[Gatekeeper, str, str]) -> None:
    gate, user, _ = keeper
    answer = acl(gate, user, "10.0.0.7", "GET", "http://www.nhs.uk/conditions?q=1", "-")
    assert answer.startswith("7 OK log=allow;rule:estate:health;")


def test_it_refuses_an_unknown_host_with_a_signed_block_token(
    keeper: tuple[Gatekeeper, str, str],
) -> None:
    gate, user, _ = keeper
    answer = acl(gate, user, "10.0.0.7", "GET", "http://example.com/", "-")
    channel, verdict, message, note = answer.split(" ")
    assert (channel, verdict) == ("7", "ERR")
    data = read_block_token(message.removeprefix("message="))
    assert data is not None and data["h"] == "example.com" and data["i"] == ["catalogue:not-listed"]
    assert read_block_token(message.removeprefix("message=")[:-2] + "xx") is None
    decision, rules, _version, reasons, _category = read_log_note(note.removeprefix("log="))
    assert (decision, rules) == ("deny", ("catalogue:not-listed",))
    assert isinstance(data["r"], list) and reasons == tuple(data["r"])


def test_a_connect_is_decided_on_its_authority_and_tagged_with_it(
    keeper: tuple[Gatekeeper, str, str],
) -> None:
    gate, user, _ = keeper
    # Inspected (the default): let through on a catalogue host and port, to be decrypted.
    answer = acl(gate, user, "10.0.0.7", "CONNECT", "www.open.edu:443")
    assert answer.startswith("7 OK log=allow;gateway:intercepted;")
    assert answer.endswith(" clt_conn_tag=www.open.edu:443")
    assert "wicketgate_https" not in answer  # said once the TLS hello is read
    # Not in the catalogue, or not on a port of its site: refused, and no page shown.
    for authority, rule in (
        ("evil.example.com:443", "catalogue:not-listed"),
        ("www.nhs.uk:8443", "catalogue:port"),
    ):
        refused = acl(gate, user, "10.0.0.7", "CONNECT", authority)
        assert refused.split(" ")[1] == "ERR" and rule in refused and "message=" not in refused


def test_the_tls_hello_must_name_the_connect_host(keeper: tuple[Gatekeeper, str, str]) -> None:
    gate, user, _ = keeper
    ok = acl(gate, user, "10.0.0.7", "CONNECT", "www.nhs.uk:443", "WWW.NHS.UK.", "-", "tls")
    assert ok.endswith(" clt_conn_tag=www.nhs.uk:443 wicketgate_https=inspect")
    for sni in ("evil.example.com", "www.nhs.uk.evil.example", "-", "ww%00w.nhs.uk"):
        refused = acl(gate, user, "10.0.0.7", "CONNECT", "www.nhs.uk:443", sni, "-", "tls")
        assert refused.split(" ")[1] == "ERR", sni
        assert f";{MISMATCHED_HOST};" in refused and "message=" not in refused, sni


def test_a_site_passed_through_is_decided_whole_on_443_only(
    keeper: tuple[Gatekeeper, str, str],
) -> None:
    gate, user, _ = keeper
    host = "www.citizensadvice.org.uk"
    answer = acl(gate, user, "10.0.0.7", "CONNECT", f"{host}:443", host, "-", "tls")
    assert answer.startswith("7 OK log=allow;rule:estate:health;")
    assert answer.endswith(f" clt_conn_tag={host}:443 wicketgate_https=pass-through")
    # Squid checks it once more, with its name, before splicing: the same answer.
    again = acl(gate, user, "10.0.0.7", "CONNECT", f"{host}:443", host, f"{host}:443")
    assert again.startswith("7 OK log=allow;rule:estate:health;")
    refused = acl(gate, user, "10.0.0.7", "CONNECT", f"{host}:8443", host, "-", "tls")
    assert NOT_HTTPS_PORT in refused and refused.split(" ")[1] == "ERR"


def test_each_request_on_a_decrypted_connection_must_name_its_host_and_port(
    keeper: tuple[Gatekeeper, str, str],
) -> None:
    gate, user, _ = keeper

    def inner(url: str, sni: str = "www.open.edu", tunnel: str = "www.open.edu:443") -> str:
        return acl(gate, user, "10.0.0.7", "GET", url, sni, tunnel)

    assert inner("https://www.open.edu/openlearn/x").split(" ")[1] == "OK"
    assert inner("https://www.open.edu:443/openlearn/x").split(" ")[1] == "OK"
    shop = inner("https://www.open.edu/shop")
    assert shop.split(" ")[1] == "ERR" and "catalogue:not-listed" in shop
    for url, sni, tunnel in (
        ("https://www.nhs.uk/", "www.open.edu", "www.open.edu:443"),  # another allowed host
        ("https://www.open.edu:8443/openlearn/x", "www.open.edu", "www.open.edu:443"),
        ("https://www.open.edu/openlearn/x", "www.nhs.uk", "www.open.edu:443"),
        ("https://www.open.edu/openlearn/x", "www.open.edu", "-"),  # no tag: fail closed
        ("http://www.open.edu/openlearn/x", "www.open.edu", "www.open.edu:443"),
    ):
        answer = inner(url, sni, tunnel)
        assert answer.split(" ")[1] == "ERR", (url, sni, tunnel)
        assert MISMATCHED_HOST in answer and "message=" in answer, (url, sni, tunnel)
    # A CONNECT inside a decrypted connection, even to its own host, would be a tunnel
    # nothing reads.
    nested = acl(gate, user, "10.0.0.7", "CONNECT", "www.open.edu:443", "www.open.edu", "x:443")
    assert nested.split(" ")[1] == "ERR" and MISMATCHED_HOST in nested


@pytest.mark.parametrize(
    ("login", "client", "rule"),
    [
        ("-", "10.0.0.7", "gateway:no-session"),
        ("wgnobody", "10.0.0.7", "gateway:no-session"),
        (None, "10.0.0.8", "gateway:wrong-address"),
    ],
)
def test_it_refuses_without_a_session_or_from_another_address(
    keeper: tuple[Gatekeeper, str, str], login: str | None, client: str, rule: str
) -> None:
    gate, user, _ = keeper
    answer = acl(gate, login or user, client, "GET", "http://www.nhs.uk/", "-")
    assert answer.split(" ")[1] == "ERR" and f"log=deny;{rule};" in answer


def test_it_refuses_an_idle_or_over_long_session_and_marks_it_for_closing(
    keeper: tuple[Gatekeeper, str, str],
) -> None:
    gate, user, _ = keeper
    session = gate.sessions.get(user)
    assert session is not None
    gate.clock = lambda: session.idle_until + dt.timedelta(seconds=1)
    assert "gateway:session-ended" in acl(gate, user, "10.0.0.7", "GET", "http://www.nhs.uk/", "-")
    assert gate.expired == {user: "idle"}


def test_activity_keeps_a_session_from_going_idle(keeper: tuple[Gatekeeper, str, str]) -> None:
    gate, user, _ = keeper
    session = gate.sessions.get(user)
    assert session is not None
    later = session.idle_until - dt.timedelta(seconds=10)
    gate.clock = lambda: later
    assert acl(gate, user, "10.0.0.7", "GET", "http://www.nhs.uk/", "-").split(" ")[1] == "OK"
    gate.clock = lambda: session.idle_until + dt.timedelta(minutes=1)
    assert acl(gate, user, "10.0.0.7", "GET", "http://www.nhs.uk/", "-").split(" ")[1] == "OK"


def test_it_refuses_everything_once_its_data_is_older_than_the_grace_period(
    keeper: tuple[Gatekeeper, str, str],
) -> None:
    gate, user, password = keeper
    gate.fresh_at = time.monotonic() - 6
    assert "gateway:unavailable" in acl(gate, user, "10.0.0.7", "GET", "http://www.nhs.uk/", "-")
    assert gate.answer_auth(f"1 {user} {quote(password)}".encode()) == b"1 ERR"


def test_a_garbled_request_is_refused(keeper: tuple[Gatekeeper, str, str]) -> None:
    gate, user, _ = keeper
    assert "gateway:bad-request" in acl(gate, user, "10.0.0.7", "GET", "ftp://www.nhs.uk/", "-")
    assert "gateway:bad-request" in acl(gate, user, "10.0.0.7", "CONNECT", ":443", "-")


def test_the_log_note_survives_squids_escaping() -> None:
    from wicketgate.gateway.gatekeeper import Answer

    answer = Answer(
        False,
        ("rule:estate:x", "catalogue:clearance"),
        ("Not | here; 50% off", "Second"),
        version=12,
        category="NEWS",
    )
    note = log_note(answer)
    assert " " not in note
    escaped = note.replace("|", "%7C")  # what Squid does to characters it thinks unsafe
    assert read_log_note(escaped) == ("deny", answer.rules, 12, answer.reasons, "NEWS")
    assert read_log_note("-") == (None, (), None, (), None)
    # A line written before the category was logged still reads.
    assert read_log_note("allow;rule:a;3;") == ("allow", ("rule:a",), 3, (), None)


def test_unavailable_is_the_only_unsigned_block_message() -> None:
    assert read_block_token("unavailable") == {
        "h": "",
        "r": ["Internet access is not available right now. Please try again in a few minutes."],
        "i": ["gateway:unavailable"],
    }
    assert read_block_token("anything-else") is None


def test_a_session_stops_working_once_its_prisoner_is_transferred(
    keeper: tuple[Gatekeeper, str, str], estate: Estate
) -> None:
    from wicketgate.people.actions import do_transfer_prisoner

    gate, user, _ = keeper
    assert acl(gate, user, "10.0.0.7", "GET", "http://www.nhs.uk/", "-").split(" ")[1] == "OK"
    do_transfer_prisoner(estate.prisoner_a, estate.b, actor=SETUP)
    gate.engine.refresh()
    assert "gateway:wrong-establishment" in acl(
        gate, user, "10.0.0.7", "GET", "http://www.nhs.uk/", "-"
    )


def test_it_decides_on_the_uri_with_the_clients_own_escapes(
    keeper: tuple[Gatekeeper, str, str],
) -> None:
    """Squid passes the URI's escapes through: %2F must stay %2F, never become a / that
    the path is then decided on (``/openlearn%2F..%2Fsecret`` is not ``/secret``)."""
    gate, user, _ = keeper
    line = f"7 {user} 10.0.0.7 GET http://www.open.edu/secret%2F..%2Fopenlearn/x -"
    answer = gate.answer_acl(line.encode()).decode()
    assert answer.startswith("7 ERR ") and "gateway:bad-request" in answer


@pytest.mark.parametrize(
    ("method", "uri", "portal"),
    [
        ("GET", "http://portal.prison.test/portal/sign-in", True),
        ("GET", "http://portal.prison.test:80/assets/a.css", True),
        ("GET", "http://portal.prison.test/portal/../staff/", False),
        ("GET", "http://portal.prison.test/portal/%2e%2e/api/v1/", False),
        ("GET", "http://portal.prison.test/portal/..%2fstaff/", False),
        ("GET", "http://portal.prison.test/staff/", False),
        ("GET", "https://portal.prison.test/portal/sign-in", False),  # another origin
        ("GET", "http://portal.prison.test:8080/portal/sign-in", False),
        ("GET", "http://portal.prison.test.evil.example/portal/sign-in", False),
        ("CONNECT", "portal.prison.test:443", False),
        ("GET", "http://portal.prison.test\uff03/portal/", False),
    ],
)
def test_only_the_portals_own_pages_pass_without_a_session(
    keeper: tuple[Gatekeeper, str, str], method: str, uri: str, portal: bool
) -> None:
    gate, _, _ = keeper
    gate.portal = ("http", "portal.prison.test", 80)
    answer = gate.answer_acl(f"5 - 10.0.0.7 {method} {uri} - - portal".encode())
    assert answer == (b"5 OK " + PORTAL_NOTE if portal else b"5 ERR")


@pytest.mark.parametrize(
    ("sni", "tunnel", "portal"),
    [
        ("portal.prison.test", "portal.prison.test:443", True),  # a connection to the portal
        ("-", "-", True),  # Squid's own request for an https:// URL
        ("blocked.example.com", "blocked.example.com:443", False),  # sent where it was opened
        ("portal.prison.test", "blocked.example.com:443", False),
        ("blocked.example.com", "portal.prison.test:443", False),
        ("portal.prison.test", "portal.prison.test:8443", False),
    ],
)
def test_a_portal_page_inside_a_decrypted_connection_is_the_portals_only_if_it_is(
    keeper: tuple[Gatekeeper, str, str], sni: str, tunnel: str, portal: bool
) -> None:
    """Squid sends a request read from a decrypted connection where the connection was
    opened: a portal address asked for on another site's connection would go there."""
    gate, _, _ = keeper
    gate.portal = ("https", "portal.prison.test", 443)
    line = f"5 - 10.0.0.7 GET https://portal.prison.test/portal/x {sni} {tunnel} portal"
    assert gate.answer_acl(line.encode()) == (b"5 OK " + PORTAL_NOTE if portal else b"5 ERR")


def test_a_question_line_with_more_fields_than_squid_sends_is_refused(
    keeper: tuple[Gatekeeper, str, str],
) -> None:
    gate, user, _ = keeper
    line = f"6 {user} 10.0.0.7 GET http://www.nhs.uk/ - - - extra"
    answer = gate.answer_acl(line.encode()).decode()
    assert answer.startswith("6 ERR ") and "gateway:bad-request" in answer
