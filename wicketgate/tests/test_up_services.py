"""What `wicketgate up` puts under its supervisor, without starting any of it: the phone
gateway, asking this web app, unless --no-phone; refused, saying what to do, without
Kamailio."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wicketgate import cli
from wicketgate.learning import library
from wicketgate.lib.cli import Refused
from wicketgate.phone import kamailio


class Supervisor:
    """Honcho's Manager as `up` uses it: what it was given, and nothing run."""

    def __init__(self) -> None:
        self.processes: dict[str, tuple[str, dict[str, str]]] = {}
        self.returncode = 0

    def add_process(self, name: str, command: str, env: dict[str, str]) -> None:
        self.processes[name] = (command, env)

    def loop(self) -> None:
        pass


@pytest.fixture
def phone_dir(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Kamailio's user (as root) must enter it: not pytest's private tmp_path."""
    made = Path(tempfile.mkdtemp(prefix="wg-up-phone-test-", dir="/tmp"))
    made.chmod(0o755)
    settings.WICKETGATE_PHONE_DIR = made / "phone"
    monkeypatch.delenv("WICKETGATE_PHONE_ASK_URL", raising=False)
    yield made
    shutil.rmtree(made, ignore_errors=True)


@pytest.mark.skipif(not Path(kamailio.KAMAILIO).exists(), reason="make install installs kamailio")
def test_it_runs_the_phone_gateway_asking_this_web_app(phone_dir: Path) -> None:
    supervisor = Supervisor()
    cli._supervise(
        supervisor, "127.0.0.1", 8123, 1, ["127.0.0.1:8123"], gateway=False, library=False
    )
    assert sorted(supervisor.processes) == ["phone", "phone-media", "phone-watch", "web", "worker"]
    command, env = supervisor.processes["phone"]
    assert command.endswith("/wicketgate phone run")
    # Beside it, the watcher that ends live calls a new ban or sanction no longer allows.
    assert supervisor.processes["phone-watch"][0].endswith("/wicketgate phone watch")
    assert supervisor.processes["phone-media"][0].endswith("/wicketgate phone media")
    assert env["WICKETGATE_PHONE_ASK_URL"] == "http://127.0.0.1:8123"
    # Checked before anything starts: the configuration is written and Kamailio took it.
    config = (phone_dir / "phone" / "kamailio" / "kamailio.cfg").read_text()
    assert "http://127.0.0.1:8123/phone/kamailio/" in config


@pytest.mark.skipif(not Path(kamailio.KAMAILIO).exists(), reason="make install installs kamailio")
@pytest.mark.parametrize(
    ("host", "asks"),
    [("0.0.0.0", "http://127.0.0.1:8123"), ("::", "http://[::1]:8123")],  # noqa: S104 - not bound
)
def test_bound_to_every_address_it_asks_on_loopback(phone_dir: Path, host: str, asks: str) -> None:
    supervisor = Supervisor()
    cli._supervise(supervisor, host, 8123, 1, [f"{host}:8123"], gateway=False)
    assert supervisor.processes["phone"][1]["WICKETGATE_PHONE_ASK_URL"] == asks


def test_an_ask_url_set_by_the_operator_is_kept(
    phone_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WICKETGATE_PHONE_ASK_URL", "http://10.0.0.5:8000")
    monkeypatch.setattr(cli, "_check_phone_can_start", lambda ask_base: None)
    supervisor = Supervisor()
    cli._supervise(supervisor, "127.0.0.1", 8123, 1, ["127.0.0.1:8123"], gateway=False)
    assert supervisor.processes["phone"][1]["WICKETGATE_PHONE_ASK_URL"] == "http://10.0.0.5:8000"


def test_without_kamailio_it_refuses_and_starts_nothing(
    phone_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kamailio, "KAMAILIO", str(phone_dir / "no-kamailio"))
    supervisor = Supervisor()
    with pytest.raises(Refused) as refused:
        cli._supervise(
            supervisor, "127.0.0.1", 8123, 1, ["127.0.0.1:8123"], gateway=False, library=False
        )
    assert "run `make install`" in refused.value.message
    assert "wicketgate up --no-phone" in refused.value.message
    assert supervisor.processes == {}


def test_no_phone_leaves_kamailio_out(phone_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kamailio, "KAMAILIO", str(phone_dir / "no-kamailio"))  # not needed
    supervisor = Supervisor()
    cli._supervise(
        supervisor,
        "127.0.0.1",
        8123,
        1,
        ["127.0.0.1:8123"],
        gateway=False,
        phone=False,
        library=False,
    )
    assert sorted(supervisor.processes) == ["web", "worker"]


@pytest.mark.parametrize(("flags", "phone"), [([], True), (["--no-phone"], False)])
def test_up_passes_its_phone_flag_on(
    flags: list[str], phone: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: dict[str, Any] = {}
    monkeypatch.setattr(cli, "_prepare", lambda migrate: None)
    monkeypatch.setattr(cli, "_run_services", lambda *args, **kwargs: asked.update(kwargs) or 0)
    result = CliRunner().invoke(cli.main, ["up", *flags])
    assert result.exit_code == 0, result.output
    assert asked["phone"] is phone


@pytest.mark.skipif(not Path(library.KIWIX_SERVE).exists(), reason="make install installs kiwix")
def test_it_runs_the_offline_library(tmp_path: Path, settings: Any) -> None:
    settings.WICKETGATE_LIBRARY_DIR = tmp_path / "library"
    supervisor = Supervisor()
    cli._supervise(supervisor, "127.0.0.1", 8123, 1, ["127.0.0.1:8123"], gateway=False, phone=False)
    assert sorted(supervisor.processes) == ["library", "web", "worker"]
    assert supervisor.processes["library"][0].endswith("/wicketgate learning library run")
    # Checked before anything starts: a library kiwix-serve starts with, and no books.
    assert "<library" in (tmp_path / "library" / "library.xml").read_text()


def test_without_kiwix_serve_it_refuses_and_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library, "KIWIX_SERVE", str(tmp_path / "no-kiwix-serve"))
    supervisor = Supervisor()
    with pytest.raises(Refused) as refused:
        cli._supervise(
            supervisor, "127.0.0.1", 8123, 1, ["127.0.0.1:8123"], gateway=False, phone=False
        )
    assert "kiwix-tools" in refused.value.message
    assert "wicketgate up --no-library" in refused.value.message
    assert supervisor.processes == {}


@pytest.mark.parametrize(("flags", "wanted"), [([], True), (["--no-library"], False)])
def test_up_passes_its_library_flag_on(
    flags: list[str], wanted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: dict[str, Any] = {}
    monkeypatch.setattr(cli, "_prepare", lambda migrate: None)
    monkeypatch.setattr(cli, "_run_services", lambda *args, **kwargs: asked.update(kwargs) or 0)
    result = CliRunner().invoke(cli.main, ["up", *flags])
    assert result.exit_code == 0, result.output
    assert asked["library"] is wanted
