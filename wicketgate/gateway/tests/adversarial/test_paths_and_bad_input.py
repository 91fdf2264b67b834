"""Dot-segments and escapes cannot walk out of a site's path prefix; a request the gateway
cannot read refuses itself alone (issue 13, items 3 and 5)."""

from __future__ import annotations

import concurrent.futures
import json

import pytest

from wicketgate.audit.models import AuditEvent
from wicketgate.gateway.gatekeeper import BAD_REQUEST
from wicketgate.gateway.tests.adversarial.conftest import Browsing
from wicketgate.policy.engine import DOT_SEGMENTS
from wicketgate.testing.gateway import block_reasons, curl

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("path", "refused_by"),
    [
        ("/openlearn/../secret", "catalogue:not-listed"),
        ("/openlearn/%2e%2e/secret", "catalogue:not-listed"),
        ("/openlearn/.%2E/secret", "catalogue:not-listed"),
        ("/openlearn/..%2fsecret", BAD_REQUEST),
        ("/openlearn/..%5csecret", BAD_REQUEST),
        ("/openlearn/..;/secret", BAD_REQUEST),
        ("/openlearn/%252e%252e/secret", BAD_REQUEST),
        ("/openlearn//../secret", BAD_REQUEST),
    ],
)
def test_a_dot_segment_cannot_leave_the_approved_path(
    browsing: Browsing, path: str, refused_by: str
) -> None:
    gateway = browsing.gateway
    url = gateway.http_url("www.open.edu", path)
    status, redirect, body = curl(gateway, url, browsing.alan, "--path-as-is")
    assert status == 302 and "hello from" not in body
    assert block_reasons(redirect)["i"] == [refused_by]
    # Even a dot-segment that stays inside the approved path is refused: the host has
    # path-limited sites, and servers disagree on dots (kiwix-serve does not resolve them).
    status, redirect, body = curl(
        gateway,
        gateway.http_url("www.open.edu", "/openlearn/./course"),
        browsing.alan,
        "--path-as-is",
    )
    assert status == 302 and "hello from" not in body
    assert block_reasons(redirect)["i"] == [DOT_SEGMENTS]
    # The page itself, without the dots, goes through exactly as sent.
    status, _, body = curl(
        gateway, gateway.http_url("www.open.edu", "/openlearn/course"), browsing.alan
    )
    assert status == 200 and body.startswith("hello from www.open.edu")
    assert body.rstrip().endswith("/openlearn/course")


def test_a_raw_hash_cannot_cut_the_path_the_server_reads(browsing: Browsing) -> None:
    """Squid passes a raw # on (servers stop the path there: /secret) and asks the helper
    about it as %23; /secret%23/../openlearn/x must not be read as /openlearn/x."""
    gateway = browsing.gateway
    target = "http://www.open.edu/secret#/../openlearn/x"
    status, redirect, body = curl(gateway, target, browsing.alan, "--request-target", target)
    assert status == 302 and "hello from" not in body
    assert block_reasons(redirect)["i"] == [BAD_REQUEST]


def test_the_refusals_are_recorded_with_the_path_as_sent(browsing: Browsing) -> None:
    gateway = browsing.gateway
    curl(
        gateway,
        gateway.http_url("www.open.edu", "/openlearn/..%2fsecret"),
        browsing.alan,
        "--path-as-is",
    )
    gateway.record_now()
    [event] = AuditEvent.objects.filter(action="gateway.request", outcome=AuditEvent.Outcome.DENIED)
    details = json.loads(event.details_json)
    assert details["rules"] == [BAD_REQUEST] and "..%2fsecret" in details["path"]


NASTY = [
    "http://www.nhs.uk\uff03x/",  # urlsplit refuses this host (NFKC): it once raised
    "http://www.nhs.uk:99999/",
    "http://[::1/",
]


def test_a_request_it_cannot_read_refuses_itself_and_no_one_else(browsing: Browsing) -> None:
    """Alan sends what once broke the helper connection while Bilal browses: every one of
    Bilal's requests is answered as it would have been."""
    gateway = browsing.gateway
    good = gateway.http_url("www.nhs.uk", "/conditions/")

    def bilal() -> int:
        return curl(gateway, good, browsing.bilal)[0]

    def alan(url: str) -> int:
        return curl(gateway, url, browsing.alan, "--globoff")[0]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        attacks = [pool.submit(alan, url) for url in NASTY * 5]
        ordinary = [pool.submit(bilal) for _ in range(20)]
        assert all(f.result() == 200 for f in ordinary)
        assert all(f.result() != 200 for f in attacks)
    assert gateway.squid.poll() is None and gateway.service is not None
    assert curl(gateway, good, browsing.alan)[0] == 200  # and the attacker's own, after
