"""Each catalogue site says whether its HTTPS is inspected (the default) or passed through
undecrypted (issue 13, item 2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from wicketgate.lib.importing import ImportRejected
from wicketgate.policy.engine import Engine
from wicketgate.policy.hosts import BadResource
from wicketgate.policy.models import Site
from wicketgate.testing.personas import Estate

MORE = """
sites:
  - {name: Legal advice, hosts: [www.citizensadvice.org.uk], category: NEWS,
     https: pass-through}
  - {name: Law firms, hosts: ["*.law.example.org"], category: NEWS, https: pass-through}
  - {name: Law firm shop, hosts: [shop.law.example.org], category: NEWS}
"""


@pytest.fixture
def more(policy: Estate, load_policy: Callable[[str], Any]) -> Engine:
    load_policy(MORE)
    return Engine(refresh_every=0)


def test_a_site_is_inspected_unless_it_says_otherwise(more: Engine) -> None:
    assert Site.objects.get(name="Legal advice").https == "pass-through"
    assert Site.objects.get(name="Law firm shop").https == "inspect"
    assert more.passed_through("www.citizensadvice.org.uk")
    assert more.passed_through("WWW.CitizensAdvice.org.uk.")
    assert more.passed_through("firm.law.example.org")
    assert not more.passed_through("www.bbc.co.uk")  # the test policy's, inspected
    assert not more.passed_through("unknown.example.net")  # not listed: nothing to pass
    with pytest.raises(BadResource):
        more.passed_through("not a host")


def test_one_inspected_site_on_a_host_and_the_host_is_inspected(more: Engine) -> None:
    # The wildcard is passed through, but a site on one of its hosts is inspected: its
    # connections must be decrypted, or the other's rules could not be held to.
    assert not more.passed_through("shop.law.example.org")


def test_a_site_passed_through_cannot_have_path_rules_or_another_handling(
    policy: Estate, load_policy: Callable[[str], Any]
) -> None:
    with pytest.raises(ImportRejected) as rejected:
        load_policy(
            "sites:\n  - {name: L, hosts: [l.example.org], category: NEWS, "
            "https: pass-through, paths: [/advice/]}\n"
        )
    assert "a site passed through is never decrypted" in str(rejected.value.problems)
    with pytest.raises(ImportRejected) as rejected:
        load_policy("sites:\n  - {name: L, hosts: [l.example.org], category: NEWS, https: off}\n")
    assert "https" in str(rejected.value.problems)
