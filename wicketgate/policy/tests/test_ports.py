"""A site is served on ports 80 and 443 and on those it names, nowhere else; a site may be
named an internal service (issue 13, item 4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner

from wicketgate.cli import main
from wicketgate.policy.engine import WRONG_PORT, Engine
from wicketgate.policy.hosts import BadResource, parse_url
from wicketgate.policy.models import Site
from wicketgate.testing.personas import Estate
from wicketgate.testing.policy import IN_THE_POLICY_WEEK, THURSDAY_10

pytestmark = IN_THE_POLICY_WEEK

ALAN = "A1234BC"
MORE = """
sites:
  - {name: Secure forms, hosts: [forms.example.org], category: NEWS, ports: [8443, 443, 80]}
  - {name: Library, hosts: [library.prison.test], category: NEWS, internal: true, ports: [8080]}
"""


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("http://www.nhs.uk/", 80),
        ("https://www.nhs.uk/", 443),
        ("http://www.nhs.uk:8080/", 8080),
        ("https://www.nhs.uk:443/", 443),
        ("www.nhs.uk", 443),  # a TLS connection's name
        ("www.nhs.uk:8443", 8443),  # a CONNECT's authority
    ],
)
def test_it_reads_the_port_of_every_form_of_address(url: str, port: int) -> None:
    assert parse_url(url).port == port


@pytest.mark.parametrize("url", ["http://www.nhs.uk:99999/", "www.nhs.uk:0", "www.nhs.uk:x"])
def test_a_port_that_is_not_one_is_bad_input(url: str) -> None:
    with pytest.raises(BadResource):
        parse_url(url)


@pytest.fixture
def more(policy: Estate, load_policy: Callable[[str], Any]) -> Engine:
    load_policy(MORE)
    return Engine(refresh_every=0)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://www.bbc.co.uk/news", True),
        ("http://www.bbc.co.uk:80/news", True),
        ("http://www.bbc.co.uk:8080/news", False),
        ("www.bbc.co.uk:22", False),
        ("https://forms.example.org:8443/", True),
        ("forms.example.org:8443", True),
        ("forms.example.org:9443", False),
    ],
)
def test_only_the_standard_ports_and_those_a_site_names_are_allowed(
    more: Engine, url: str, allowed: bool
) -> None:
    import datetime as dt

    decision = more.decide(ALAN, url, at=dt.datetime.fromisoformat(THURSDAY_10))
    assert decision.allowed is allowed
    if not allowed:
        assert decision.rules == (WRONG_PORT,)
        port = parse_url(url).port
        assert decision.reasons[0].endswith(f"not on port {port}.")


def test_the_command_line_says_which_ports_a_site_has(more: Engine) -> None:
    run = CliRunner().invoke(
        main, ["decide", "--prisoner", ALAN, "--url", "forms.example.org:9443", "--at", THURSDAY_10]
    )
    assert run.exit_code == 1
    assert "catalogue:port" in run.output
    assert "Secure forms is approved on ports 80, 443, 8443 only, not on port 9443." in run.output


def test_the_catalogue_keeps_only_the_extra_ports(more: Engine) -> None:
    assert Site.objects.get(name="Secure forms").ports == [8443]


def test_an_internal_service_is_served_only_on_the_ports_it_names(more: Engine) -> None:
    import datetime as dt

    at = dt.datetime.fromisoformat(THURSDAY_10)
    assert more.decide(ALAN, "http://library.prison.test:8080/", at=at).allowed
    for url in ("http://library.prison.test/", "https://library.prison.test/"):
        refused = more.decide(ALAN, url, at=at)
        assert refused.rules == (WRONG_PORT,)
        assert "approved on ports 8080 only" in refused.reasons[0]


def test_an_internal_service_must_name_its_ports(
    policy: Estate, load_policy: Callable[[str], Any]
) -> None:
    from wicketgate.lib.importing import ImportRejected

    with pytest.raises(ImportRejected) as rejected:
        load_policy(
            "sites:\n  - {name: L, hosts: [l.prison.test], category: NEWS, internal: true}\n"
        )
    assert "an internal service names the ports it is served on" in str(rejected.value.problems)


def test_only_a_site_named_internal_may_be_on_an_internal_network(more: Engine) -> None:
    assert more.internal_host("library.prison.test")
    assert not more.internal_host("www.nhs.uk")
    assert not more.internal_host("unknown.example.org")
    with pytest.raises(BadResource):
        more.internal_host("not a host")
