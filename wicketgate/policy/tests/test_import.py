from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from wicketgate.audit.models import AuditEvent
from wicketgate.cli import main
from wicketgate.policy.models import AccessRule, PrisonerException, Site
from wicketgate.testing.personas import Estate
from wicketgate.testing.policy import POLICY

EXCEPTION = "exceptions:\n  - {prisoner: A1234BC, allow: {site: OpenLearn}, until: 2099-01-31, reason: Course}\n"


def run(tmp_path: Path, text: str, *args: str) -> tuple[int, str]:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["policy", "import", str(path), *args])
    return result.exit_code, result.output.replace(str(path), "FILE")


def test_it_imports_sites_rules_and_exceptions_and_is_idempotent(
    estate: Estate, tmp_path: Path
) -> None:
    code, output = run(tmp_path, POLICY + EXCEPTION)
    assert code == 0, output
    assert (
        "5 sites created" in output
        and "3 rules created" in output
        and "1 exceptions created" in output
    )
    site = Site.objects.get(name="OpenLearn")
    assert (site.hosts, site.paths, site.is_approved) == (
        ["*.open.edu", "www.open.edu"],
        ["/openlearn/"],
        True,
    )
    assert site.approved_by != site.proposed_by
    assert AuditEvent.objects.filter(action="policy.import").count() == 1
    code, output = run(tmp_path, POLICY + EXCEPTION)
    assert (
        "5 sites unchanged" in output
        and "3 rules unchanged" in output
        and "1 exceptions unchanged" in output
    )


def test_it_scopes_rules_to_an_establishment(estate: Estate, tmp_path: Path) -> None:
    code, _ = run(
        tmp_path, "rules:\n  - {id: jobs, allow: [EMPLOYMENT]}\n", "--establishment", "RVS"
    )
    assert code == 0
    assert AccessRule.objects.get().policy_id == "rule:RVS:jobs"
    code, output = run(
        tmp_path, "rules:\n  - {id: jobs, allow: [EMPLOYMENT]}\n", "--establishment", "XXX"
    )
    assert code == 1 and "no such establishment" in output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "sites:\n  - {name: X, hosts: ['www.*.org'], category: NEWS}\n",
            "FILE:sites[0]: hosts: 'www.*.org': a wildcard may only be a leading '*.'",
        ),
        (
            "sites:\n  - {name: X, hosts: [], category: NEWS}\n",
            "FILE:sites[0]: hosts: List should have at least 1 item",
        ),
        (
            "sites:\n  - {name: X, hosts: [a.org], category: SPORT}\n",
            "FILE:sites[0]: category: no category SPORT",
        ),
        (
            "sites:\n  - {name: X, hosts: [a.org], category: NEWS, paths: [news]}\n",
            "FILE:sites[0]: paths: 'news': a path prefix starts with /",
        ),
        (
            "sites:\n  - {name: X, hosts: [a.org], category: NEWS, min_clearance: HIGH}\n",
            "FILE:sites[0]: min_clearance: 'HIGH' is not one of",
        ),
        (
            "sites:\n  - {name: X, hosts: [a.org], category: NEWS, colour: red}\n",
            "FILE:sites[0]: colour: unknown key",
        ),
        (
            "sites:\n  - {name: X, hosts: [a.org], category: NEWS, ports: [70000]}\n",
            "FILE:sites[0]: ports: 70000: a port is 1 to 65535",
        ),
        (
            "sites:\n  - {name: X, hosts: [a.org], category: NEWS, paths: [/a/../b/]}\n",
            "FILE:sites[0]: paths: '/a/../b/': write the path prefix as '/b/'",
        ),
        (
            "sites:\n  - {name: X, hosts: [a.org], category: NEWS, paths: ['/a%2fb/']}\n",
            "a path with %2F in it is refused",
        ),
        (
            "rules:\n  - {id: Bad_Id, allow: [NEWS]}\n",
            "FILE:rules[0]: id: String should match pattern",
        ),
        (
            "rules:\n  - {id: r, allow: [NEWS], forbid: [NEWS]}\n",
            "give exactly one of allow or forbid",
        ),
        ("rules:\n  - {id: r, allow: [SPORT]}\n", "FILE:rules[0]: allow: no category SPORT"),
        (
            "rules:\n  - {id: r, allow: [NEWS], when: {incentive_level: [GOLD]}}\n",
            "FILE:rules[0].when: incentive_level: unknown incentive level(s) GOLD",
        ),
        (
            "rules:\n  - {id: r, allow: [NEWS], when: {category: [Z]}}\n",
            "FILE:rules[0].when: category:",
        ),
        (
            "rules:\n  - {id: r, allow: [NEWS], when: {alert: [NOPE]}}\n",
            "FILE:rules[0].when: alert: unknown alert NOPE",
        ),
        (
            "rules:\n  - {id: r, allow: [NEWS], when: {establishment: [XXX]}}\n",
            "FILE:rules[0].when: establishment: unknown establishment XXX",
        ),
        (
            "rules:\n  - {id: r, allow: [NEWS], when: {legal_status: [FREE]}}\n",
            "FILE:rules[0].when: legal_status: unknown legal status(es) FREE",
        ),
        (
            "rules:\n  - {id: r, allow: [NEWS], when: {mood: [happy]}}\n",
            "FILE:rules[0].when: mood: unknown key",
        ),
        (
            "rules:\n  - {id: r, allow: [NEWS], hours: 'Mon-Fri 9-5'}\n",
            "FILE:rules[0]: hours: 'Mon-Fri 9-5' is not like",
        ),
        (
            "rules:\n  - {id: r, allow: [NEWS], locations: [ROOF]}\n",
            "FILE:rules[0]: locations: unknown location kind(s) ROOF",
        ),
        (
            "rules:\n  - {id: r, allow: [NEWS]}\n  - {id: r, forbid: [NEWS]}\n",
            "FILE:rules[1]: id: r appears twice in this file",
        ),
        (
            "exceptions:\n  - {prisoner: Z9999ZZ, allow: {site: OpenLearn}, until: 2099-01-01, reason: x}\n",
            "FILE:exceptions[0]: prisoner: no prisoner Z9999ZZ",
        ),
        (
            "exceptions:\n  - {prisoner: A1234BC, allow: {site: Nope}, until: 2099-01-01, reason: x}\n",
            "FILE:exceptions[0].allow: site: no site Nope",
        ),
        (
            "exceptions:\n  - {prisoner: A1234BC, forbid: {category: SPORT}, until: 2099-01-01, reason: x}\n",
            "FILE:exceptions[0].forbid: category: no category SPORT",
        ),
        (
            "exceptions:\n  - {prisoner: A1234BC, allow: {site: OpenLearn, category: NEWS}, until: 2099-01-01, reason: x}\n",
            "give exactly one of site or category",
        ),
        (
            "exceptions:\n  - {prisoner: A1234BC, allow: {site: OpenLearn}, until: 2020-01-01, reason: x}\n",
            "FILE:exceptions[0]: until: 2020-01-01 has already passed",
        ),
        (
            "exceptions:\n  - {prisoner: A1234BC, allow: {site: OpenLearn}, until: 2099-01-01}\n",
            "FILE:exceptions[0]: reason: is required",
        ),
        (
            "exceptions:\n  - {prisoner: A1234BC, allow: {site: OpenLearn}, until: soon, reason: x}\n",
            "FILE:exceptions[0]: until: Input should be a valid date",
        ),
        ("nonsense: [1]\n", "FILE:(top): nonsense: unknown key"),
        ("rules: [\n", "FILE:line"),
    ],
)
def test_it_names_the_entry_and_field_and_writes_nothing(
    estate: Estate, tmp_path: Path, text: str, expected: str
) -> None:
    before = (
        Site.objects.count(),
        AccessRule.objects.count(),
        PrisonerException.objects.count(),
        AuditEvent.objects.count(),
    )
    code, output = run(tmp_path, POLICY + text if text.startswith("exceptions") else text)
    assert code == 1
    assert expected in output, output
    assert "nothing was written" in output
    assert (
        Site.objects.count(),
        AccessRule.objects.count(),
        PrisonerException.objects.count(),
        AuditEvent.objects.count(),
    ) == before
