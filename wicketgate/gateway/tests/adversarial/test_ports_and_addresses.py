"""An allowed name is served only on its ports, and never from an internal address: a
wildcard entry, a name its owner points at loopback or a private network (DNS
rebinding), cloud metadata, the gateway's own addresses (issue 13, item 4)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from wicketgate.audit.models import AuditEvent
from wicketgate.gateway.gatekeeper import INTERNAL_ADDRESS
from wicketgate.gateway.tests.adversarial.conftest import Browsing, open_session
from wicketgate.policy.engine import WRONG_PORT
from wicketgate.testing.gateway import block_reasons, curl, running_gateway
from wicketgate.testing.personas import Estate

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# A wildcard entry whose owner can point any name anywhere: what each name resolves to.
REBOUND = {
    "loopback.example.org": "127.0.0.1",
    "private.example.org": "10.20.30.40",
    "home.example.org": "192.168.1.1",
    "cgnat.example.org": "100.64.0.1",
    "metadata.example.org": "169.254.169.254",
    "gateway.example.org": "gateway",  # this machine's own end of the test link
    "public.example.org": "upstream",  # a real site elsewhere: allowed
}
POLICY = """
sites:
  - {name: Example, hosts: ["*.example.org"], category: HEALTH}
  - {name: Library, hosts: [library.prison.test], category: EDUCATION, internal: true,
     ports: [PORT]}
"""


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"the internal library\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def library() -> Iterator[int]:
    """An internal service on this machine's loopback, as the offline library will be."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def rebound(
    world: Estate, settings: Any, library: int, load_policy: Callable[..., Any]
) -> Iterator[Browsing]:
    load_policy(POLICY.replace("PORT", str(library)))
    names = {**REBOUND, "library.prison.test": "127.0.0.1"}
    with running_gateway(settings, hosts=names) as gateway:
        yield Browsing(gateway, open_session(gateway, world, "alan"), "")


def test_an_allowed_name_on_another_port_is_refused(browsing: Browsing) -> None:
    gateway = browsing.gateway
    status, redirect, body = curl(gateway, "http://www.nhs.uk:8080/", browsing.alan)
    assert status == 302 and "hello" not in body
    reasons = block_reasons(redirect)
    assert reasons["i"] == [WRONG_PORT]
    assert reasons["r"] == ["NHS is approved on ports 80, 443 only, not on port 8080."]
    status, _, body = curl(gateway, "https://www.nhs.uk:8443/", browsing.alan)
    assert status != 200 and "hello" not in body
    # On its own ports it is served, of course.
    assert curl(gateway, "http://www.nhs.uk/", browsing.alan)[0] == 200
    assert curl(gateway, "https://www.nhs.uk/", browsing.alan)[0] == 200


@pytest.mark.parametrize("name", [n for n, a in REBOUND.items() if a != "upstream"])
def test_a_name_that_resolves_to_an_internal_address_is_refused(
    rebound: Browsing, name: str
) -> None:
    gateway = rebound.gateway
    status, redirect, body = curl(gateway, f"http://{name}/", rebound.alan)
    assert status == 302 and "hello" not in body
    assert block_reasons(redirect)["i"] == [INTERNAL_ADDRESS]
    status, _, body = curl(gateway, f"https://{name}/", rebound.alan)
    assert status != 200 and "hello" not in body


def test_the_same_wildcard_on_a_public_address_is_served(rebound: Browsing) -> None:
    status, _, body = curl(rebound.gateway, "http://public.example.org/x", rebound.alan)
    assert (status, body) == (200, "hello from public.example.org/x\n")


def test_a_site_named_as_an_internal_service_is_reached_on_its_port(
    rebound: Browsing, library: int
) -> None:
    gateway = rebound.gateway
    status, _, body = curl(gateway, f"http://library.prison.test:{library}/", rebound.alan)
    assert (status, body) == (200, "the internal library\n")
    # ... and on no other, 80 and 443 included: its address is no door to the rest of
    # this machine.
    for url in ("http://library.prison.test:22/", "http://library.prison.test/"):
        status, redirect, _ = curl(gateway, url, rebound.alan)
        assert status == 302 and block_reasons(redirect)["i"] == [WRONG_PORT], url
    status, _, body = curl(gateway, "https://library.prison.test/", rebound.alan)
    assert status != 200 and "the internal library" not in body


def test_an_internal_address_refused_is_recorded_with_its_rule(rebound: Browsing) -> None:
    curl(rebound.gateway, "http://metadata.example.org/latest/meta-data/", rebound.alan)
    rebound.gateway.record_now()
    [event] = AuditEvent.objects.filter(action="gateway.request", outcome="denied")
    details = json.loads(event.details_json)
    assert (details["host"], details["rules"]) == ("metadata.example.org", [INTERNAL_ADDRESS])
