"""HTTPS is decided on the host the connection goes to (issue 13, items 1 and 2).

Squid sends every request read from a TLS connection to the host and port its CONNECT
named, whatever the request's ``Host`` says. So the CONNECT's host, the name in the TLS
hello (SNI) and each request's ``Host`` must agree: a connection opened to an allowed
site and then asked for another (domain fronting on a CDN that serves both, a forged
``Host``, an absolute URL, another port) is refused, recorded under its own audit action
and raised with staff as an alert. The test upstreams serve every test name from one
address, as a CDN would: a bypass would show as ``hello from blocked.example.com``.

A hostile client here is Python's ``ssl`` on a raw socket: it names what it likes in
CONNECT, SNI and Host, sends no SNI at all, or speaks HTTP/2 inside the tunnel.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from wicketgate.audit.models import AuditEvent
from wicketgate.conduct.alerts import do_scan_for_alerts
from wicketgate.conduct.models import ConductAlert
from wicketgate.gateway.gatekeeper import MISMATCHED_HOST, NOT_HTTPS_PORT
from wicketgate.gateway.tests.adversarial.conftest import Browsing, open_session
from wicketgate.testing.gateway import RunningGateway, block_reasons, curl, running_gateway
from wicketgate.testing.personas import Estate

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

POLICY = """
sites:
  - {name: NHS, hosts: [www.nhs.uk], category: HEALTH}
  - {name: OpenLearn, hosts: [www.open.edu], category: EDUCATION, paths: [/openlearn/]}
  - {name: Example News, hosts: [blocked.example.com], category: NEWS}
  - {name: Citizens Advice, hosts: [www.citizensadvice.org.uk], category: LEGAL,
     https: pass-through, ports: [8443]}
rules:
  - {id: learning, allow: [HEALTH, EDUCATION, LEGAL]}
  - {id: no-news, forbid: [NEWS], description: News sites are not part of this trial.}
"""
PASSED_THROUGH = "www.citizensadvice.org.uk"


@pytest.fixture
def tls(world: Estate, settings: Any, load_policy: Callable[..., Any]) -> Iterator[Browsing]:
    load_policy(POLICY)
    with running_gateway(settings) as gateway:
        yield Browsing(
            gateway, open_session(gateway, world, "alan"), open_session(gateway, world, "bilal")
        )


class Refused(Exception):
    """The gateway refused the CONNECT (its status) or closed the TLS handshake."""


def connect(gateway: RunningGateway, credentials: str, authority: str) -> socket.socket:
    """A socket through the gateway, its ``CONNECT authority`` answered 200 (else Refused)."""
    raw = socket.create_connection(("127.0.0.1", gateway.port), timeout=10)
    token = base64.b64encode(credentials.encode()).decode()
    raw.sendall(
        f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n"
        f"Proxy-Authorization: Basic {token}\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = raw.recv(1)
        if not chunk:
            raw.close()
            raise Refused("closed before answering the CONNECT")
        head += chunk
    status = int(head.split(b" ", 2)[1])
    if status != 200:
        raw.close()
        raise Refused(f"CONNECT answered {status}")
    return raw


def open_tunnel(
    gateway: RunningGateway, credentials: str, authority: str, *, sni: str | None
) -> ssl.SSLSocket:
    """A TLS connection through the gateway: ``CONNECT authority``, then a handshake that
    names ``sni`` (None: no name at all). The client checks nothing: it is the attacker."""
    raw = connect(gateway, credentials, authority)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        return context.wrap_socket(raw, server_hostname=sni)
    except OSError as exc:  # ssl.SSLError, a reset: the handshake was cut
        raw.close()
        raise Refused(f"handshake refused: {exc}") from exc


def ask(tunnel: ssl.SSLSocket, request: bytes) -> tuple[int, dict[str, str], str]:
    """Send one HTTP/1.1 request; (status, headers, body) of the answer."""
    tunnel.sendall(request)
    data = b""
    try:
        while True:
            chunk = tunnel.recv(65536)
            if not chunk:
                break
            data += chunk
    except (TimeoutError, ssl.SSLError, ConnectionResetError):
        pass
    tunnel.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1]) if lines[0].startswith("HTTP/") else 0
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body.decode("utf-8", "replace")


def refused(gateway: RunningGateway, credentials: str, authority: str, sni: str | None) -> bool:
    """Whether a tunnel is refused: its CONNECT or its handshake, or (where Squid lets a
    refused CONNECT through to show its error inside) its first request, answered by Squid."""
    try:
        tunnel = open_tunnel(gateway, credentials, authority, sni=sni)
    except Refused:
        return True
    status, headers, body = ask(tunnel, get(sni or authority.rpartition(":")[0]))
    return status != 200 and "hello" not in body and headers.get("server") == "squid"


def get(host_header: str, target: str = "/") -> bytes:
    return f"GET {target} HTTP/1.1\r\nHost: {host_header}\r\nConnection: close\r\n\r\n".encode()


def bypass_events() -> list[dict[str, Any]]:
    return [
        json.loads(event.details_json)
        for event in AuditEvent.objects.filter(action="gateway.bypass_attempt").order_by("seq")
    ]


def assert_raised_with_staff(world: Estate, attempts: int) -> None:
    do_scan_for_alerts()
    alert = ConductAlert.objects.get(kind="bypass_attempt", prisoner=world.prisoner_a)
    assert alert.count == attempts
    assert not ConductAlert.objects.filter(kind="bypass_attempt", prisoner=world.prisoner_b)


# --- the TLS hello must name the CONNECT's host -----------------------------------------


def test_a_tls_name_other_than_the_connect_host_is_closed_and_recorded(
    tls: Browsing, world: Estate
) -> None:
    gateway = tls.gateway
    for authority, sni in (
        ("www.nhs.uk:443", "blocked.example.com"),  # fronting: an allowed CONNECT
        (f"{PASSED_THROUGH}:443", "blocked.example.com"),  # the same on a site passed through
        ("www.nhs.uk:443", PASSED_THROUGH),  # two allowed sites: still not the same one
    ):
        with pytest.raises(Refused, match="handshake"):
            open_tunnel(gateway, tls.alan, authority, sni=sni)
    gateway.record_now()
    events = bypass_events()
    assert [(e["method"], e["host"], e["sni"]) for e in events] == [
        ("CONNECT", "www.nhs.uk", "blocked.example.com"),
        ("CONNECT", PASSED_THROUGH, "blocked.example.com"),
        ("CONNECT", "www.nhs.uk", PASSED_THROUGH),
    ]
    assert {tuple(e["rules"]) for e in events} == {(MISMATCHED_HOST,)}
    assert_raised_with_staff(world, attempts=3)


def test_a_connect_to_a_refused_host_is_refused_whatever_the_tls_name(tls: Browsing) -> None:
    # The CONNECT names the host Squid connects to: an allowed name in the hello is no key.
    assert refused(tls.gateway, tls.alan, "blocked.example.com:443", "www.nhs.uk")
    assert refused(tls.gateway, tls.alan, "unlisted.example.net:443", "www.nhs.uk")


@pytest.mark.parametrize("authority", ["www.nhs.uk:443", f"{PASSED_THROUGH}:443"])
def test_a_tls_connection_without_a_name_is_closed(tls: Browsing, authority: str) -> None:
    with pytest.raises(Refused, match="handshake"):
        open_tunnel(tls.gateway, tls.alan, authority, sni=None)
    tls.gateway.record_now()
    assert [e["host"] for e in bypass_events()] == [authority.split(":")[0]]


# --- an inspected connection: each request must name its host and port --------------------


@pytest.mark.parametrize(
    ("request_bytes", "named"),
    [
        (get("blocked.example.com"), "blocked.example.com"),  # a forged Host
        (get("www.nhs.uk:8443"), "www.nhs.uk"),  # the same host, another port
        (get("www.open.edu", "/openlearn/x"), "www.open.edu"),  # another allowed site
        # An absolute URL names the host, whatever the Host header says
        (get("blocked.example.com", "https://blocked.example.com/"), "blocked.example.com"),
        (get("www.nhs.uk", "https://blocked.example.com/"), "blocked.example.com"),
    ],
)
def test_a_request_for_another_host_on_an_inspected_connection_is_refused(
    tls: Browsing, world: Estate, request_bytes: bytes, named: str
) -> None:
    gateway = tls.gateway
    tunnel = open_tunnel(gateway, tls.alan, "www.nhs.uk:443", sni="www.nhs.uk")
    status, headers, body = ask(tunnel, request_bytes)
    assert "hello" not in body  # never sent on to the site
    assert status == 302
    assert block_reasons(headers["location"])["i"] == [MISMATCHED_HOST]
    gateway.record_now()
    [event] = bypass_events()
    assert (event["method"], event["host"], event["sni"]) == ("GET", named, "www.nhs.uk")
    assert_raised_with_staff(world, attempts=1)


@pytest.mark.parametrize(
    "request_bytes",
    [
        # The URL's host is what Squid decides on and writes as the Host it sends on.
        get("blocked.example.com", "https://www.nhs.uk/"),
        b"GET / HTTP/1.1\r\nHost: www.nhs.uk\r\nHost: blocked.example.com\r\n"
        b"Connection: close\r\n\r\n",
    ],
)
def test_a_second_host_header_never_reaches_the_site(tls: Browsing, request_bytes: bytes) -> None:
    tunnel = open_tunnel(tls.gateway, tls.alan, "www.nhs.uk:443", sni="www.nhs.uk")
    status, _, body = ask(tunnel, request_bytes)
    assert "blocked" not in body
    assert status != 200 or body == "hello from www.nhs.uk/\n"


def test_a_connect_inside_an_inspected_connection_is_refused(tls: Browsing) -> None:
    # Passed on, it would be a tunnel through the decrypted one that nothing reads.
    for authority in ("blocked.example.com:443", "www.nhs.uk:443"):
        tunnel = open_tunnel(tls.gateway, tls.alan, "www.nhs.uk:443", sni="www.nhs.uk")
        inner = f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode()
        status, headers, body = ask(tunnel, inner)
        assert status != 200 and "hello" not in body, authority
        assert headers.get("server") == "squid"
    tls.gateway.record_now()
    assert [(e["method"], e["rules"]) for e in bypass_events()] == [
        ("CONNECT", [MISMATCHED_HOST]),
        ("CONNECT", [MISMATCHED_HOST]),
    ]


def test_the_same_host_however_it_is_written_is_served(tls: Browsing) -> None:
    for host in ("www.nhs.uk", "WWW.NHS.UK", "www.nhs.uk.", "www.nhs.uk:443"):
        tunnel = open_tunnel(tls.gateway, tls.alan, "www.nhs.uk:443", sni="www.nhs.uk")
        status, _, body = ask(tunnel, get(host, "/x"))
        assert status == 200 and body.lower().startswith("hello from www.nhs.uk"), host
    tls.gateway.record_now()
    assert bypass_events() == []


def test_a_second_request_on_a_kept_connection_is_held_to_the_same_host(tls: Browsing) -> None:
    tunnel = open_tunnel(tls.gateway, tls.alan, "www.nhs.uk:443", sni="www.nhs.uk")
    tunnel.sendall(b"GET /one HTTP/1.1\r\nHost: www.nhs.uk\r\n\r\n")
    first = b""
    while b"hello from" not in first:
        chunk = tunnel.recv(65536)
        assert chunk, first
        first += chunk
    assert b"hello from www.nhs.uk/one" in first
    status, _, body = ask(tunnel, get("blocked.example.com", "/two"))
    assert status == 302 and "hello" not in body
    tls.gateway.record_now()
    assert [e["host"] for e in bypass_events()] == ["blocked.example.com"]


def test_http2_inside_an_inspected_connection_is_not_passed_on(tls: Browsing) -> None:
    # Squid speaks HTTP/1.1 to devices: a browser that offers HTTP/2 gets HTTP/1.1 and its
    # requests are decided one by one...
    gateway = tls.gateway
    status, redirect, _ = curl(gateway, "https://www.open.edu/shop", tls.alan, "--http2")
    assert status == 302
    assert block_reasons(redirect)["i"] == ["catalogue:not-listed"]
    # ... and a client that speaks HTTP/2 anyway (its :authority unread) is answered by
    # Squid, never by the site.
    tunnel = open_tunnel(gateway, tls.alan, "www.nhs.uk:443", sni="www.nhs.uk")
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    settings_frame = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
    status, _, body = ask(tunnel, preface + settings_frame)
    assert status != 200 and "hello" not in body
    gateway.record_now()
    reached = [
        json.loads(e.details_json)
        for e in AuditEvent.objects.filter(action="gateway.request", outcome="success")
    ]
    assert not [e for e in reached if e["method"] != "CONNECT"], reached


# --- a site passed through ----------------------------------------------------------------


def test_a_site_passed_through_is_reached_undecrypted_on_443_only(tls: Browsing) -> None:
    gateway = tls.gateway
    only_upstream = ("--cacert", str(gateway.upstreams.ca_file))
    url = f"https://{PASSED_THROUGH}/advice"
    status, _, body = curl(gateway, url, tls.alan, *only_upstream)
    assert (status, body) == (200, f"hello from {PASSED_THROUGH}/advice\n")
    # Its other port, named in the catalogue, is for inspection only: passed through, the
    # gateway could not see what goes to it.
    assert refused(gateway, tls.alan, f"{PASSED_THROUGH}:8443", PASSED_THROUGH)
    gateway.record_now()
    refusal = AuditEvent.objects.filter(action="gateway.request", outcome="denied").earliest("seq")
    assert json.loads(refusal.details_json)["rules"] == [NOT_HTTPS_PORT]


def test_the_gateways_certificate_is_never_shown_for_a_site_passed_through(
    tls: Browsing,
) -> None:
    gateway = tls.gateway
    tunnel = open_tunnel(gateway, tls.alan, f"{PASSED_THROUGH}:443", sni=PASSED_THROUGH)
    issuer = subprocess.run(  # the certificate the device was shown
        ["openssl", "x509", "-noout", "-issuer"],
        input=ssl.DER_cert_to_PEM_cert(tunnel.getpeercert(binary_form=True) or b""),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tunnel.close()
    assert "test upstream CA" in issuer
