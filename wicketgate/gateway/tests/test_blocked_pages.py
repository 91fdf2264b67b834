"""What a prisoner reads when the gateway refuses a website: the block page Squid sends
them to, and their list of blocked attempts on the portal."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote, urlencode

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wicketgate.gateway.gatekeeper import (
    BLOCK_SALT,
    NO_SESSION,
    PLAIN,
    UNAVAILABLE,
    Answer,
    Gatekeeper,
)
from wicketgate.gateway.sessions import SessionTable
from wicketgate.gateway.tests import data as gateway_data
from wicketgate.gateway.tests.data import log_request
from wicketgate.people.models import Prisoner
from wicketgate.policy.engine import Engine
from wicketgate.testing.personas import PRISONER_PIN, Estate

BLOCKED = "/portal/blocked"
ATTEMPTS = "/portal/blocked-attempts/"
NEWS = "News websites are not allowed while a sanction is in place."


def token(host: str, reasons: tuple[str, ...], rules: tuple[str, ...]) -> str:
    """The token the gateway's access helper gives Squid for the block page."""
    # Signing needs no policy and no sessions: the engine and table are never consulted.
    keeper = Gatekeeper(Engine(), SessionTable(), grace_seconds=1)
    return keeper.block_token(Answer(False, rules, reasons, host=host))


# --- the block page --------------------------------------------------------------------


def test_it_keeps_the_address_squid_sends_refusals_to() -> None:
    assert reverse("gateway:portal-blocked") == BLOCKED


def test_it_shows_the_host_and_the_reasons_to_someone_not_signed_in(
    client_anon: Client, estate: Estate
) -> None:
    d = token("www.bbc.co.uk", (NEWS, "It is outside the hours for news."), ("sanction-news",))
    response = client_anon.get(BLOCKED, {"d": d})
    assert response.status_code == 200
    content = response.content.decode()
    assert "This website is blocked" in content
    assert "www.bbc.co.uk" in content
    assert f"<li>{NEWS}</li>" in content
    assert "<li>It is outside the hours for news.</li>" in content
    assert '<code class="wg-code">sanction-news</code>' in content
    assert f'href="/portal/requests/new?{urlencode({"url": "www.bbc.co.uk"})}"' in content
    assert ">Request this site</a>" in content
    assert "no-store" in response["Cache-Control"]


def test_it_escapes_what_the_token_says(client_anon: Client, estate: Estate) -> None:
    d = token("x.example", ("<script>alert(1)</script>",), ("r",))
    content = client_anon.get(BLOCKED, {"d": d}).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_it_does_not_offer_to_request_a_site_when_the_gateway_itself_refused(
    client_anon: Client, estate: Estate
) -> None:
    d = token("www.nhs.uk", (PLAIN[NO_SESSION],), (NO_SESSION,))
    content = client_anon.get(BLOCKED, {"d": d}).content.decode()
    assert "This page could not be opened" in content
    assert PLAIN[NO_SESSION] in content
    assert "Request this site" not in content


def test_it_says_when_the_gateway_cannot_decide_at_all(client_anon: Client, estate: Estate) -> None:
    # The relay's fixed answer while the decision service is down: no host, no request.
    content = client_anon.get(BLOCKED, {"d": "unavailable"}).content.decode()
    assert "This page could not be opened" in content
    assert PLAIN[UNAVAILABLE] in content
    assert "Request this site" not in content


def forged_tokens() -> list[str]:
    good = token("www.bbc.co.uk", (NEWS,), ("sanction-news",))
    unsigned = signing.dumps({"h": "evil.example", "r": ["Staff say: call 0900"], "i": []})
    wrong_salt = signing.dumps(
        {"h": "evil.example", "r": ["Staff say: call 0900"], "i": []}, salt="another"
    )
    # Signed, but not what the gateway signs: shown as nothing rather than as something.
    not_a_refusal = signing.dumps(
        {"h": "evil.example", "r": "Staff say: call 0900", "i": []}, salt=BLOCK_SALT
    )
    no_host = signing.dumps({"h": 7, "r": ["Staff say: call 0900"], "i": []}, salt=BLOCK_SALT)
    return [
        "",
        "Staff say: call 0900",
        good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        unsigned,
        wrong_salt,
        not_a_refusal,
        no_host,
        "a" * 5000,
    ]


@pytest.mark.parametrize("d", forged_tokens())
def test_it_says_plainly_that_the_reason_cannot_be_shown_for_a_missing_or_forged_token(
    client_anon: Client, estate: Estate, d: str
) -> None:
    response = client_anon.get(BLOCKED, {"d": d} if d else {})
    assert response.status_code == 400
    content = response.content.decode()
    assert "We cannot show why this page was blocked" in content
    assert "evil.example" not in content
    assert "0900" not in content
    assert "Request this site" not in content


def test_it_brings_a_prisoner_back_to_the_request_form_after_signing_in(
    client_anon: Client, estate: Estate
) -> None:
    form = f"/portal/requests/new?{urlencode({'url': 'www.bbc.co.uk'})}"
    response = client_anon.get(form)
    assert response["Location"] == f"/portal/sign-in?next={quote(form, safe='/')}"
    sign_in_page = client_anon.get(response["Location"]).content.decode()
    assert f'name="next" value="{form}"'.replace("&", "&amp;") in sign_in_page

    response = client_anon.post(
        "/portal/sign-in", {"prison_number": "A1234BC", "password": PRISONER_PIN, "next": form}
    )
    assert response["Location"] == form
    assert b'value="www.bbc.co.uk"' in client_anon.get(form).content


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/portal/", "//evil.example/portal/", "/staff/"]
)
def test_it_goes_only_to_portal_pages_after_signing_in(
    client_anon: Client, estate: Estate, next_url: str
) -> None:
    response = client_anon.post(
        "/portal/sign-in",
        {"prison_number": "A1234BC", "password": PRISONER_PIN, "next": next_url},
    )
    assert response["Location"] == "/portal/"


# --- blocked attempts ------------------------------------------------------------------


@pytest.fixture
def other_at_a(estate: Estate) -> Prisoner:
    return Prisoner.objects.create(
        prison_number="A5555AA",
        given_name="Omar",
        family_name="Other",
        date_of_birth=dt.date(1991, 2, 3),
        establishment=estate.a,
        location=estate.a_cell,
        security_category="C",
        incentive_level="STD",
        legal_status="SENTENCED",
    )


def test_it_lists_the_prisoners_own_blocked_attempts_newest_first(
    client_prisoner: Client, estate: Estate, other_at_a: Prisoner
) -> None:
    mine = gateway_data.live_session(estate)
    now = timezone.now()
    log_request(mine, "https://www.nhs.uk:443", allowed=True, at=now - dt.timedelta(minutes=9))
    log_request(
        mine,
        "http://www.bbc.co.uk/news",
        allowed=False,
        reasons=(NEWS,),
        rules=("sanction-news",),
        at=now - dt.timedelta(minutes=8),
    )
    log_request(
        mine,
        "www.facebook.com:443",
        allowed=False,
        reasons=("Social media is not allowed.",),
        rules=("deny-social",),
        at=now - dt.timedelta(minutes=2),
    )
    theirs = gateway_data.live_session(
        estate, other_at_a, gateway_data.device(estate, "NGT-A-LAPTOP-02")
    )
    log_request(theirs, "www.gambling.example:443", allowed=False, reasons=("No gambling.",))

    response = client_prisoner.get(ATTEMPTS)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.index("www.facebook.com") < content.index("www.bbc.co.uk")
    assert "Social media is not allowed." in content and NEWS in content
    assert "www.nhs.uk" not in content  # allowed
    assert "gambling" not in content  # someone else's
    assert "sanction-news" not in content  # rule ids are for staff
    assert f'href="/portal/requests/new?{urlencode({"url": "www.bbc.co.uk"})}"' in content


def test_it_shows_the_last_50_blocked_attempts(client_prisoner: Client, estate: Estate) -> None:
    session = gateway_data.live_session(estate)
    start = timezone.now() - dt.timedelta(hours=2)
    for n in range(52):
        log_request(
            session,
            f"site{n:02d}.example:443",
            allowed=False,
            reasons=("Not in the catalogue.",),
            at=start + dt.timedelta(minutes=n),
        )
    content = client_prisoner.get(ATTEMPTS).content.decode()
    assert content.count("Not in the catalogue.") == 50
    assert "site51.example" in content and "site02.example" in content
    assert "site01.example" not in content and "site00.example" not in content


def test_it_says_when_nothing_has_been_blocked(client_prisoner: Client, estate: Estate) -> None:
    assert (
        "No websites have been blocked for you." in client_prisoner.get(ATTEMPTS).content.decode()
    )


def test_it_links_to_blocked_attempts_from_the_portal_home(
    client_prisoner: Client, estate: Estate
) -> None:
    assert f'href="{ATTEMPTS}"' in client_prisoner.get("/portal/").content.decode()


@pytest.mark.parametrize("who", ["client_a", "client_family"])
def test_it_keeps_blocked_attempts_to_the_prisoner_portal(
    who: str, estate: Estate, request: pytest.FixtureRequest
) -> None:
    assert request.getfixturevalue(who).get(ATTEMPTS).status_code == 404


def test_it_sends_someone_not_signed_in_to_the_portal_sign_in(client_anon: Client) -> None:
    assert client_anon.get(ATTEMPTS)["Location"] == f"/portal/sign-in?next={ATTEMPTS}"
