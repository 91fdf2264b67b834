"""The portal's pages are reachable through the gateway without a session, and nothing
else on the portal's host is: not the staff site, the family site or the API, by any
spelling of the path (issue 13, item 8, in part)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from wicketgate.testing.gateway import RunningGateway, curl, running_gateway
from wicketgate.testing.personas import Estate

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class _Portal(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"the web app: {self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def portal_behind_gateway(world: Estate, settings: Any) -> Iterator[RunningGateway]:
    """The web app (a stand-in that echoes the path) on this machine, as in the demo."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Portal)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
    portal = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with running_gateway(settings, portal_url=portal) as gateway:
            yield gateway
    finally:
        server.shutdown()
        server.server_close()


def _portal(gateway: RunningGateway, path: str) -> str:
    from django.conf import settings

    return f"{settings.WICKETGATE_GATEWAY_PORTAL_URL}{path}"


@pytest.mark.parametrize("path", ["/portal/sign-in", "/portal/blocked?d=x", "/assets/govuk/a.css"])
def test_the_portals_pages_are_reached_without_a_session(
    portal_behind_gateway: RunningGateway, path: str
) -> None:
    status, _, body = curl(portal_behind_gateway, _portal(portal_behind_gateway, path), None)
    assert (status, body) == (200, f"the web app: {path}\n")


@pytest.mark.parametrize(
    "path",
    [
        "/portal/../staff/",
        "/portal/%2e%2e/staff/",
        "/assets/.%2E/api/v1/prisoners",
        "/portal/..%2ffamily/",
        "/portal/..;/staff/",
        "/portal//../staff/",
        "/PORTAL/../staff/",
    ],
)
def test_no_spelling_of_a_portal_path_reaches_the_rest_of_the_web_app(
    portal_behind_gateway: RunningGateway, path: str
) -> None:
    url = _portal(portal_behind_gateway, path)
    status, _, body = curl(portal_behind_gateway, url, None, "--path-as-is")
    assert status != 200 and "the web app" not in body, (status, body)


# --- the portal over HTTPS, on a host of its own -------------------------------------------

HTTPS_PORTAL = "https://portal.prison.test"


@pytest.fixture
def https_portal(world: Estate, settings: Any) -> Iterator[RunningGateway]:
    """The portal at https://portal.prison.test (the test upstreams, which echo the path)."""
    with running_gateway(settings, portal_url=HTTPS_PORTAL) as gateway:
        yield gateway


@pytest.mark.parametrize("path", ["/portal/sign-in", "/assets/govuk/a.css"])
def test_an_https_portals_pages_are_reached_without_a_session(
    https_portal: RunningGateway, path: str
) -> None:
    # Decrypted (the device trusts the gateway's CA), each request held to the portal's pages.
    status, _, body = curl(https_portal, f"{HTTPS_PORTAL}{path}", None)
    assert (status, body) == (200, f"hello from portal.prison.test{path}\n")


@pytest.mark.parametrize(
    "path", ["/staff/", "/api/v1/prisoners", "/portal/../staff/", "/portal/%2e%2e/family/"]
)
def test_nothing_else_on_an_https_portals_host_is(https_portal: RunningGateway, path: str) -> None:
    status, _, body = curl(https_portal, f"{HTTPS_PORTAL}{path}", None, "--path-as-is")
    assert status != 200 and "hello" not in body, (status, body)


def test_an_https_portal_connection_is_held_to_the_portal(https_portal: RunningGateway) -> None:
    from wicketgate.gateway.tests.adversarial.test_tls import Refused, ask, get, open_tunnel

    # Another name in the TLS hello, or a request for another host inside: not the portal.
    with pytest.raises(Refused):
        open_tunnel(https_portal, "x:y", "portal.prison.test:443", sni="www.nhs.uk")
    tunnel = open_tunnel(https_portal, "x:y", "portal.prison.test:443", sni="portal.prison.test")
    status, _, body = ask(tunnel, get("www.nhs.uk", "/portal/sign-in"))
    assert status != 200 and "hello" not in body
    # Another port of the portal's host is no portal.
    with pytest.raises(Refused):
        open_tunnel(https_portal, "x:y", "portal.prison.test:8443", sni="portal.prison.test")


def _pipe_attempt(gateway: RunningGateway, credentials: str, outer: str, inner: bytes) -> str:
    """Open a decrypted connection to ``outer``, send a CONNECT to the portal inside it,
    then ``inner`` at once; what comes back."""
    from wicketgate.gateway.tests.adversarial.test_tls import ask, open_tunnel

    tunnel = open_tunnel(gateway, credentials, f"{outer}:443", sni=outer)
    connect = b"CONNECT portal.prison.test:443 HTTP/1.1\r\nHost: portal.prison.test:443\r\n\r\n"
    _status, _, body = ask(tunnel, connect + inner)
    return body


def test_a_connect_inside_the_portals_connection_opens_no_pipe(
    https_portal: RunningGateway,
) -> None:
    """Found in review: a CONNECT read from inside the decrypted portal connection matched
    the portal's CONNECT rule, and Squid passed what followed on unread."""
    for path in ("/staff/", "/api/v1/prisoners", "/family/"):
        inner = f"GET {path} HTTP/1.1\r\nHost: portal.prison.test\r\nConnection: close\r\n\r\n"
        body = _pipe_attempt(https_portal, "x:y", "portal.prison.test", inner.encode())
        assert "hello" not in body, (path, body)


def test_a_connect_to_the_portal_inside_a_sites_connection_opens_no_pipe(
    world: Estate, https_portal: RunningGateway
) -> None:
    import json

    from wicketgate.audit.models import AuditEvent
    from wicketgate.gateway.tests.adversarial.conftest import open_session

    alan = open_session(https_portal, world, "alan")
    inner = b"GET /news HTTP/1.1\r\nHost: blocked.example.com\r\nConnection: close\r\n\r\n"
    body = _pipe_attempt(https_portal, alan, "www.nhs.uk", inner)
    assert "hello" not in body, body
    https_portal.record_now()
    attempts = [
        json.loads(e.details_json)
        for e in AuditEvent.objects.filter(action="gateway.bypass_attempt")
    ]
    assert [(a["method"], a["host"]) for a in attempts] == [("CONNECT", "portal.prison.test")]


def test_the_portals_own_route_is_recorded_as_let_through(https_portal: RunningGateway) -> None:
    import json

    from wicketgate.audit.models import AuditEvent

    assert curl(https_portal, f"{HTTPS_PORTAL}/portal/sign-in", None)[0] == 200
    https_portal.record_now()
    events = [
        json.loads(e.details_json) for e in AuditEvent.objects.filter(action="gateway.request")
    ]
    assert {(e["method"], e["decision"], tuple(e["rules"])) for e in events} == {
        ("CONNECT", "allow", ("gateway:portal",)),
        ("GET", "allow", ("gateway:portal",)),
    }


class _Echo(http.server.BaseHTTPRequestHandler):
    """The web app stand-in that says which device address it was told."""

    def do_GET(self) -> None:
        told = self.headers.get_all("X-Wicketgate-Device-Address") or []
        body = f"told: {','.join(told) or '-'}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_the_portal_is_told_the_device_address_and_never_one_a_device_wrote(
    world: Estate, settings: Any
) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
    portal = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with running_gateway(settings, portal_url=portal) as gateway:
            forged = ("-H", "X-Wicketgate-Device-Address: 10.9.9.9")
            for source in ("127.0.0.1", "127.0.0.5"):
                _, _, body = curl(
                    gateway, f"{portal}/portal/sign-in", None, "--interface", source, *forged
                )
                assert body == f"told: {source}\n"
    finally:
        server.shutdown()
        server.server_close()
