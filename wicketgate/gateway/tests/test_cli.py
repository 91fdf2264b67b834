"""The `wicketgate gateway` contract other tools depend on."""

from __future__ import annotations

import re
from ipaddress import ip_address, ip_network
from typing import Any

from click.testing import CliRunner

from wicketgate.audit.models import AuditEvent
from wicketgate.cli import main
from wicketgate.gateway.models import Device, DeviceSession, hash_secret
from wicketgate.testing.personas import Estate


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["gateway", *args])
    return result.exit_code, result.output


def test_config_prints_a_deny_by_default_squid_conf(settings: object) -> None:
    code, output = run("config", "--listen", "127.0.0.1:3999")
    assert code == 0
    assert "http_port 127.0.0.1:3999 ssl-bump" in output
    assert "external_acl_type wicketgate_decide ttl=0 negative_ttl=0" in output
    assert "http_access deny wg_refused" in output
    # The TLS hello must name the CONNECT's host; then passed through or decrypted, as
    # the catalogue says of the site.
    bumping = [line for line in output.splitlines() if line.startswith("ssl_bump ")]
    assert bumping == [
        "ssl_bump peek wg_step1",
        "ssl_bump terminate !wg_tls",
        "ssl_bump splice wg_pass_through",
        "ssl_bump bump all",
    ]
    assert "acl wg_pass_through note wicketgate_https pass-through" in output
    # A sustained flood of logins refuses logins while it lasts; it never stops Squid.
    [auth_children] = [line for line in output.splitlines() if "auth_param basic children" in line]
    assert auth_children.endswith(" on-persistent-overload=ERR")
    # Never to internal networks, nor to this machine's own addresses.
    refused = " ".join(
        line.split(" dst ", 1)[1]
        for line in output.splitlines()
        if line.startswith("acl wg_refused_dst dst ")
    ).split()
    for network in ("127.0.0.0/8", "10.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10", "fc00::/7"):
        assert network in refused
    assert "http_access deny wg_refused_dst !wg_internal wg_refused" in output
    from wicketgate.gateway.squid import own_addresses

    for address in own_addresses():
        assert any(ip_address(address) in ip_network(n) for n in refused), address


def test_the_refused_networks_are_a_setting(settings: Any) -> None:
    settings.WICKETGATE_GATEWAY_REFUSED_NETWORKS = ["203.0.113.0/24"]
    code, output = run("config")
    [line] = [x for x in output.splitlines() if x.startswith("acl wg_refused_dst dst ")][:1]
    assert line.split(" dst ", 1)[1].split()[0] == "203.0.113.0/24"
    assert "10.0.0.0/8" not in output


def test_a_device_is_added_and_a_session_opened_with_credentials_on_one_line(
    estate: Estate,
) -> None:
    code, output = run(
        "device",
        "add",
        "ngt-lt-9",
        "--establishment",
        "ngt",
        "--location",
        "NGT-A-1-01",
        "--kind",
        "laptop",
        "--by",
        "ops",
    )
    assert code == 0 and "registered NGT-LT-9" in output
    device = Device.objects.get(device_id="NGT-LT-9")
    key = output.rsplit("device key: ", 1)[1].strip()
    assert device.key_hash == hash_secret(key)
    # A device with no registered address: the session needs the one it is used from.
    code, output = run("session", "open", "--prisoner", "a1234bc", "--device", "NGT-LT-9")
    assert code == 1 and "has no registered address" in output
    code, output = run(
        "session", "open", "--prisoner", "a1234bc", "--device", "NGT-LT-9", "--address", "10.1.2.3"
    )
    assert code == 0
    assert re.fullmatch(r"wg[0-9a-f]{12}:[A-Za-z0-9_-]{32}\n", output)
    username, password = output.strip().split(":")
    session = DeviceSession.objects.get(username=username)
    assert session.password_hash == hash_secret(password) and session.is_live()
    assert session.address == "10.1.2.3"
    assert AuditEvent.objects.filter(action="gateway.device.register", actor_label="ops").exists()
    code, output = run("session", "close", "--device", "ngt-lt-9")
    assert code == 0 and f"closed {username}" in output
    session.refresh_from_db()
    assert not session.is_live()
    assert run("session", "close", username)[0] == 1  # nothing open any more


def test_bad_input_is_refused_and_nothing_is_written(estate: Estate) -> None:
    assert (
        run(
            "device",
            "add",
            "X1",
            "--establishment",
            "ZZZ",
            "--location",
            "NGT-A-1-01",
            "--kind",
            "pc",
        )[0]
        == 1
    )
    assert (
        run(
            "device",
            "add",
            "X1",
            "--establishment",
            "NGT",
            "--location",
            "RVS-H-01",
            "--kind",
            "pc",
        )[0]
        == 1
    )
    assert (
        run(
            "device",
            "add",
            "X1",
            "--establishment",
            "NGT",
            "--location",
            "NGT-A-1-01",
            "--kind",
            "desk",
        )[0]
        == 2
    )
    assert not Device.objects.exists()
    assert run("session", "open", "--prisoner", "Z9999ZZ", "--device", "X1")[0] == 1
    assert run("session", "close")[0] == 2


def test_a_lockdown_from_the_command_line_ends_sessions_until_lifted(estate: Estate) -> None:
    run(
        "device",
        "add",
        "NGT-K-1",
        "--establishment",
        "NGT",
        "--location",
        "NGT-A-1-01",
        "--kind",
        "kiosk",
    )
    run("session", "open", "--prisoner", "A1234BC", "--device", "NGT-K-1", "--address", "10.9.9.9")
    code, output = run(
        "lockdown", "start", "--establishment", "NGT", "--wing", "NGT-A", "--reason", "Search"
    )
    assert code == 0 and "1 session(s) ended" in output
    code, output = run(
        "session", "open", "--prisoner", "A1234BC", "--device", "NGT-K-1", "--address", "10.9.9.9"
    )
    assert code == 1 and "Lockdown of NGT-A" in output
    # A wider lockdown over the wing's is allowed; the same one twice is not.
    assert run("lockdown", "start", "--establishment", "NGT", "--reason", "Incident")[0] == 0
    assert run("lockdown", "start", "--establishment", "NGT", "--reason", "Again")[0] == 1
    from wicketgate.gateway.models import Lockdown

    for lockdown in Lockdown.objects.all():
        assert run("lockdown", "end", str(lockdown.pk))[0] == 0
    assert (
        run(
            "session",
            "open",
            "--prisoner",
            "A1234BC",
            "--device",
            "NGT-K-1",
            "--address",
            "10.9.9.9",
        )[0]
        == 0
    )
