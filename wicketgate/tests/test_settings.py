from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wicketgate.lib.env import EnvError, envbool, envint, envlevels, envstr, secret_from_data_dir


def test_it_reads_a_secret_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "key").write_text("from-a-file\n")
    monkeypatch.setenv("WG_TEST_SECRET_FILE", str(tmp_path / "key"))
    assert envstr("WG_TEST_SECRET") == "from-a-file"


def test_it_names_an_unreadable_secret_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WG_TEST_SECRET_FILE", "/nonexistent/key")
    with pytest.raises(EnvError, match="WG_TEST_SECRET_FILE=/nonexistent/key: cannot read it"):
        envstr("WG_TEST_SECRET")


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("yes", True), ("off", False), ("0", False)]
)
def test_it_reads_booleans(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("WG_TEST_FLAG", value)
    assert envbool("WG_TEST_FLAG", not expected) is expected


def test_it_refuses_a_boolean_it_cannot_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WG_TEST_FLAG", "maybe")
    with pytest.raises(EnvError, match="WG_TEST_FLAG='maybe'"):
        envbool("WG_TEST_FLAG", False)


def test_it_refuses_a_number_below_its_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WG_TEST_N", "0")
    with pytest.raises(EnvError, match="must be at least 1"):
        envint("WG_TEST_N", 5, minimum=1)


def test_it_generates_a_private_secret_once_and_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret_key"
    first = secret_from_data_dir("WG_TEST_UNSET_SECRET", path)
    assert len(first) >= 50
    assert path.stat().st_mode & 0o777 == 0o600
    assert secret_from_data_dir("WG_TEST_UNSET_SECRET", path) == first


def settings_in_a_fresh_process(tmp_path: Path, **env: str) -> str:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("WICKETGATE_", "DATABASE_URL"))
    }
    clean.update({"WICKETGATE_DATA_DIR": str(tmp_path), **env})
    code = (
        "from django.conf import settings as s; import django; "
        "print(s.DEBUG, s.PASSWORD_HASHERS[0].rsplit('.', 1)[1], s.SESSION_COOKIE_SECURE, "
        "s.DATABASES['default']['ENGINE'].rsplit('.', 1)[1], s.SECRET_KEY == open(s.DATA_DIR / 'secret_key').read().strip())"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "wicketgate.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_it_is_safe_by_default(tmp_path: Path) -> None:
    assert settings_in_a_fresh_process(tmp_path) == "False Argon2PasswordHasher True sqlite3 True"


def test_it_takes_postgresql_from_database_url(tmp_path: Path) -> None:
    out = settings_in_a_fresh_process(tmp_path, DATABASE_URL="postgres://u:p@127.0.0.1:5999/wg")
    assert out.split()[3] == "postgresql"


@pytest.mark.parametrize(
    ("network", "says"),
    [("bad", "Expected 4 octets"), ("10.78.0.0/24", "give a /30"), ("10.78.0.0/30", None)],
)
def test_the_janus_namespace_network_is_checked(
    tmp_path: Path, network: str, says: str | None
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WICKETGATE_", "DATABASE_URL"))}
    env |= {
        "WICKETGATE_DATA_DIR": str(tmp_path),
        "WICKETGATE_JANUS_NAMESPACE": "wgtest",
        "WICKETGATE_JANUS_NETWORK": network,
        "DJANGO_SETTINGS_MODULE": "wicketgate.settings",
    }
    code = "import django.conf as c; print(c.settings.WICKETGATE_JANUS_ADDRESS)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if says is None:
        assert done.stdout.strip() == "10.78.0.2"  # Janus's end of the pair
    else:
        assert (
            done.returncode != 0
            and "WICKETGATE_JANUS_NETWORK: " in done.stderr
            and says in done.stderr
        )


def test_a_refused_network_that_is_not_one_is_named(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WICKETGATE_")}
    env |= {
        "WICKETGATE_DATA_DIR": str(tmp_path),
        "WICKETGATE_GATEWAY_REFUSED_NETWORKS": "10.0.0.0/8, 10.0.0.300/32",
        "DJANGO_SETTINGS_MODULE": "wicketgate.settings",
    }
    code = "import django.conf as c; print(c.settings.WICKETGATE_GATEWAY_REFUSED_NETWORKS)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert "WICKETGATE_GATEWAY_REFUSED_NETWORKS: " in done.stderr and "10.0.0.300" in done.stderr


def test_a_number_per_incentive_level_replaces_only_the_levels_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    default = {"BAS": 10, "STD": 15, "ENH": 20}
    monkeypatch.delenv("WG_TEST_LEVELS", raising=False)
    assert envlevels("WG_TEST_LEVELS", default) == default
    monkeypatch.setenv("WG_TEST_LEVELS", " std=5, enh = 30 ")
    assert envlevels("WG_TEST_LEVELS", default) == {"BAS": 10, "STD": 5, "ENH": 30}
    for bad, says in [
        ("XYZ=3", "'XYZ=3' should be LEVEL=NUMBER"),
        ("STD", "'STD' should be LEVEL=NUMBER"),
        ("STD=many", "'many' is not a whole number"),
        ("STD=-1", "STD must be 0 or more"),
    ]:
        monkeypatch.setenv("WG_TEST_LEVELS", bad)
        with pytest.raises(EnvError, match=says):
            envlevels("WG_TEST_LEVELS", default)
