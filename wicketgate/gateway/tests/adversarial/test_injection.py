"""What a client writes never becomes a field or a line of the gateway's own (found in
review of issue 13's items 1 and 2).

Squid 5.7 passes the TLS name (SNI) and the proxy login's name to its helpers and its
access log raw unless told to escape them. A TLS hello whose name held spaces and
newlines made question lines of its own in the helper protocol (answered for other
connections' channels: a forbidden site was spliced through undecrypted), an answer
line with a made-up channel (Squid stopped for everyone), and access log lines of its
own (an allowed request forged for another prisoner, its own refusal lost). Both are now
%-escaped; the gatekeeper refuses a line with more fields than Squid sends and a TLS
name that is no host name; the recorder records a line it cannot read as it is.
"""

from __future__ import annotations

import contextlib
import json
import ssl
import struct
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from wicketgate.audit.models import AuditEvent
from wicketgate.gateway.gatekeeper import MISMATCHED_HOST
from wicketgate.gateway.tests.adversarial.conftest import Browsing, open_session
from wicketgate.gateway.tests.adversarial.test_tls import (
    PASSED_THROUGH,
    POLICY,
    ask,
    connect,
    get,
)
from wicketgate.testing.gateway import curl, running_gateway
from wicketgate.testing.personas import Estate

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tls(world: Estate, settings: Any, load_policy: Callable[..., Any]) -> Iterator[Browsing]:
    load_policy(POLICY)
    with running_gateway(settings) as gateway:
        yield Browsing(
            gateway, open_session(gateway, world, "alan"), open_session(gateway, world, "bilal")
        )


def client_hello(sni: bytes) -> bytes:
    """A real ClientHello (Python's), its TLS name replaced by any bytes at all."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    machine = context.wrap_bio(incoming, outgoing, server_hostname="placeholder.example")
    with contextlib.suppress(ssl.SSLWantReadError):  # it waits for the server's answer
        machine.do_handshake()
    body = outgoing.read()[9:]  # record header (5) and handshake header (4)
    pos = 2 + 32  # version, random
    pos += 1 + body[pos]  # session id
    pos += 2 + struct.unpack(">H", body[pos : pos + 2])[0]  # cipher suites
    pos += 1 + body[pos]  # compression methods
    head, extensions = body[:pos], body[pos + 2 :]
    rebuilt = b""
    i = 0
    while i < len(extensions):
        kind, length = struct.unpack(">HH", extensions[i : i + 4])
        data = extensions[i + 4 : i + 4 + length]
        i += 4 + length
        if kind == 21:  # padding: left out
            continue
        if kind == 0:  # server_name
            entry = b"\x00" + struct.pack(">H", len(sni)) + sni
            data = struct.pack(">H", len(entry)) + entry
        rebuilt += struct.pack(">HH", kind, len(data)) + data
    hello_body = head + struct.pack(">H", len(rebuilt)) + rebuilt
    hello = b"\x01" + struct.pack(">I", len(hello_body))[1:] + hello_body
    return b"\x16\x03\x01" + struct.pack(">H", len(hello)) + hello


def tls_events() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (e.action, e.subject_label, json.loads(e.details_json))
        for e in AuditEvent.objects.filter(action__startswith="gateway.").order_by("seq")
        if e.action != "gateway.session.open"
    ]


def test_a_tls_name_full_of_question_lines_answers_no_other_connection(
    tls: Browsing,
) -> None:
    gateway = tls.gateway
    alan = tls.alan.split(":")[0]
    # A's TLS name carries questions of its own, for the channels other connections are
    # waiting on: "may this connection to the site passed through go on?" ...
    spray = "".join(
        f"\n{n} {alan} 127.0.0.1 CONNECT {PASSED_THROUGH}:443 {PASSED_THROUGH} - tls"
        for n in range(1, 60)
    )
    hello = client_hello(("www.nhs.uk" + spray + "\n1796519408.363 x").encode())
    # ... while B, to a site Alan is refused, waits with a name that asks that question.
    b_raw = connect(gateway, tls.alan, "blocked.example.com:443")
    a_raw = connect(gateway, tls.alan, "www.nhs.uk:443")
    a_raw.sendall(hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        b = context.wrap_socket(b_raw, server_hostname="blocked.example.com - tls")
    except OSError:
        b = None  # closed: refused
    if b is not None:
        shown = ssl.DER_cert_to_PEM_cert(b.getpeercert(binary_form=True) or b"")
        issuer = subprocess.run(
            ["openssl", "x509", "-noout", "-issuer"],
            input=shown,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "test upstream CA" not in issuer  # never spliced to the site
        status, _, body = ask(b, get("blocked.example.com", "/news"))
        assert status != 200 and "hello" not in body
    time.sleep(0.3)
    assert gateway.squid.poll() is None  # Squid is still up, for everyone
    # A normal connection still works, and both attempts are on the record as such.
    tunnel = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tunnel.check_hostname = False
    tunnel.verify_mode = ssl.CERT_NONE
    ok = tunnel.wrap_socket(
        connect(gateway, tls.alan, "www.nhs.uk:443"), server_hostname="www.nhs.uk"
    )
    assert ask(ok, get("www.nhs.uk", "/ok"))[2] == "hello from www.nhs.uk/ok\n"
    gateway.record_now()
    attempts = [d for action, _who, d in tls_events() if action == "gateway.bypass_attempt"]
    assert {a["sni"] for a in attempts} >= {
        "www.nhs.uk" + spray + "\n1796519408.363 x",
        "blocked.example.com - tls",
    }
    assert {tuple(a["rules"]) for a in attempts} == {(MISMATCHED_HOST,)}
    assert not [a for a, _w, _d in tls_events() if a == "gateway.log.unreadable"]


def test_a_tls_name_cannot_write_a_line_of_the_access_log(tls: Browsing) -> None:
    gateway = tls.gateway
    bilal = tls.bilal.split(":")[0]
    forged = (
        f"\n{int(time.time())} 5 127.0.0.1 {bilal} GET https://blocked.example.com/x"
        " 200 10 99 TCP_MISS blocked.example.com allow;learning;1;;NEWS;"
    )
    raw = connect(gateway, tls.alan, "www.nhs.uk:443")
    raw.sendall(client_hello(("www.nhs.uk" + forged).encode()))
    raw.settimeout(5)
    try:
        while raw.recv(65536):
            pass
    except OSError:
        pass
    raw.close()
    gateway.record_now()
    events = tls_events()
    # Nothing was recorded for Bilal; Alan's attempt is, with the name as it was sent.
    assert not [e for e in events if e[1] == "B2345CD"], events
    [attempt] = [d for action, _who, d in events if action == "gateway.bypass_attempt"]
    assert attempt["sni"] == "www.nhs.uk" + forged


def test_a_login_name_cannot_write_a_line_of_the_access_log(tls: Browsing) -> None:
    gateway = tls.gateway
    bilal = tls.bilal.split(":")[0]
    forged = (
        f"x\n{int(time.time())} 5 127.0.0.1 {bilal} GET http://blocked.example.com/y"
        " 200 10 99 TCP_MISS - allow;learning;1;;NEWS;"
    )
    status, _, _ = curl(gateway, "http://www.nhs.uk/", f"{forged}:guess")
    assert status == 407
    gateway.record_now()
    events = tls_events()
    assert not [e for e in events if e[1] == "B2345CD"], events
    assert not [e for e in events if e[0] == "gateway.log.unreadable"], events
    # The failed login is recorded, once (Squid may keep the name it could not use).
    [failed] = [d for _a, _w, d in events if d.get("status") == 407]
    assert failed.get("name_typed") in (None, forged)
