"""`wicketgate phone run`: Kamailio from settings, in the foreground, as its own user when
started as root, answering SIP, and nothing of it left once it is stopped; refused, with
the reason, when Kamailio is missing or will not take its configuration."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wicketgate.cli import main
from wicketgate.phone import kamailio
from wicketgate.phone.kamailio import (
    KAMAILIO,
    KamailioSetup,
    KamailioSetupError,
    check_config,
    render_config,
)
from wicketgate.phone.rtpengine import RTPENGINE, MediaRelayError, ask
from wicketgate.testing.kamailio import free_udp_port, wait_for_sip

installed = pytest.mark.skipif(not Path(KAMAILIO).exists(), reason="make install installs kamailio")

WICKETGATE = Path(sys.executable).with_name("wicketgate")


@pytest.fixture
def folder() -> Iterator[Path]:
    """Not pytest's tmp_path: Kamailio's user could not enter it to remove its pid file."""
    made = Path(tempfile.mkdtemp(prefix="wg-phone-run-test-", dir="/tmp"))
    made.chmod(0o755)
    yield made
    shutil.rmtree(made, ignore_errors=True)


@pytest.mark.slow
@installed
def test_it_answers_sip_as_its_own_user_and_leaves_nothing_behind_when_stopped(
    folder: Path,
) -> None:
    port = free_udp_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WICKETGATE_", "DATABASE_"))}
    env |= {
        "WICKETGATE_DATA_DIR": str(folder / "data"),
        "WICKETGATE_PHONE_DIR": str(folder / "phone"),
        "WICKETGATE_PHONE_SIP_LISTEN": f"127.0.0.1:{port}",
        "WICKETGATE_PHONE_ASK_URL": "http://127.0.0.1:9",
    }
    log_file = folder / "run.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(  # our own console script
            [str(WICKETGATE), "phone", "run"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_for_sip(port, process)  # an OPTIONS on UDP, answered 200
        as_root = os.geteuid() == 0
        expected = "kamailio" if as_root else pwd.getpwuid(os.geteuid()).pw_name
        # The command became Kamailio (no parent in between to outlive, or be outlived by).
        assert os.readlink(f"/proc/{process.pid}/exe") == KAMAILIO
        workers = _children(process.pid)
        assert len(workers) >= 2
        assert {_user(pid) for pid in [process.pid, *workers]} == {expected}
        config = folder / "phone" / "kamailio" / "kamailio.cfg"
        assert config.stat().st_mode & 0o777 == 0o600  # it holds the key
        assert pwd.getpwuid(config.stat().st_uid).pw_name == expected
        run_dir = config.parent / "run"
        assert {p.name for p in run_dir.iterdir()} == {
            "kamailio.pid",
            "kamailio_ctl",
            "kamailio_rpc.sock",
        }
        # Wicketgate (this user) reaches its RPC socket and hears its answer back, across
        # users (asking it to end a call it does not have is harmless), and a method it
        # does not know is refused in so many words.
        kamailio.hang_up(1, rpc_socket=run_dir / "kamailio_rpc.sock")
        with pytest.raises(kamailio.KamailioUnreachable, match="refused nothing.such"):
            kamailio._rpc("nothing.such", [], run_dir / "kamailio_rpc.sock", 2.0)
        said = log_file.read_text(errors="replace")
        assert f"on udp:127.0.0.1:{port} as user {expected}" in said
        keys = json.loads((folder / "phone" / "secrets.json").read_text())
        assert f"http://127.0.0.1:9/phone/kamailio/{keys['ask_key']}" in config.read_text()
        assert keys["ask_key"] not in said  # the key is in the configuration, never printed
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0, log_file.read_text(errors="replace")[-2000:]
    deadline = time.monotonic() + 5
    while left := [pid for pid in workers if _alive(pid)]:
        assert time.monotonic() < deadline, f"Kamailio workers left running: {left}"
        time.sleep(0.1)
    # It removed its pid file and control socket as itself: its run folder is its own.
    assert list(run_dir.iterdir()) == []


@installed
def test_a_configuration_kamailio_does_not_take_is_refused_in_its_words(folder: Path) -> None:
    setup = KamailioSetup(
        folder=folder / "kamailio",
        listen_address="127.0.0.1",
        listen_port=free_udp_port(),
        trunk="127.0.0.1:5080",
        realm="wicketgate",
        ask_url="http://127.0.0.1:9/phone/kamailio/key",
    )
    render_config(setup)
    check_config(setup)  # as rendered: taken
    with setup.config_file.open("a") as config:
        config.write("\nroute[BROKEN] { this is not kamailio }\n")
    with pytest.raises(KamailioSetupError) as refused:
        check_config(setup)
    assert str(refused.value).startswith(
        f"Kamailio refuses its configuration {setup.config_file}: parse error in config file"
    )
    assert "<core>" not in str(refused.value)


def test_run_refuses_without_kamailio_and_says_how_to_install_it(
    folder: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.WICKETGATE_PHONE_DIR = folder / "phone"
    monkeypatch.setattr(kamailio, "KAMAILIO", str(folder / "no-kamailio"))
    monkeypatch.setattr(os, "execv", _must_not_start)
    result = CliRunner().invoke(main, ["phone", "run"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"wicketgate: {folder}/no-kamailio is not installed: run `make install` "
        "(it installs kamailio)\n"
    )


def _must_not_start(*args: Any) -> None:
    raise AssertionError(f"started {args}")


def _children(pid: int) -> list[int]:
    listed = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    )
    return [int(word) for word in listed.stdout.split()]


def _user(pid: int) -> str:
    listed = subprocess.run(
        ["ps", "-o", "user=", "-p", str(pid)], capture_output=True, text=True, check=True
    )
    return listed.stdout.strip()


def _alive(pid: int) -> bool:
    """Running, or stopped but not yet reaped by whoever inherited it (state Z) counts as
    gone: it no longer holds the port."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_the_configuration_carries_values_as_given_and_refuses_ones_that_would_break_it(
    folder: Path,
) -> None:
    def setup(realm: str) -> KamailioSetup:
        return KamailioSetup(
            folder=folder / "k",
            listen_address="127.0.0.1",
            listen_port=5060,
            trunk="127.0.0.1:5080",
            realm=realm,
            ask_url="http://127.0.0.1:8000/phone/kamailio/key",
        )

    # Not HTML: a realm is written as it is, or no phone PIN's digest would match it.
    text = render_config(setup("hmp-north&co")).read_text()
    assert 'proxy_challenge("hmp-north&co"' in text and "&amp;" not in text
    for bad in ['wicket"gate', "wicket gate", "a$b", ""]:
        with pytest.raises(KamailioSetupError, match="realm"):
            render_config(setup(bad))


@pytest.mark.slow
@pytest.mark.skipif(not Path(RTPENGINE).exists(), reason="make install installs rtpengine-daemon")
def test_the_media_relay_answers_its_control_as_its_own_user_and_stops_when_asked(
    folder: Path,
) -> None:
    control = f"127.0.0.1:{free_udp_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WICKETGATE_", "DATABASE_"))}
    env |= {
        "WICKETGATE_DATA_DIR": str(folder / "data"),
        "WICKETGATE_PHONE_DIR": str(folder / "phone"),
        "WICKETGATE_PHONE_MEDIA_CONTROL": control,
        "WICKETGATE_PHONE_MEDIA_PORTS": "31000-31099",
    }
    with (folder / "media.log").open("wb") as log:
        process = subprocess.Popen(  # our own console script
            [str(WICKETGATE), "phone", "media"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                assert ask("ping", control, timeout=0.3)["result"] == "pong"
                break
            except MediaRelayError:
                assert process.poll() is None, (folder / "media.log").read_text()
                assert time.monotonic() < deadline, "rtpengine did not answer in 20 s"
        # It became rtpengine, running as its own user when started as root.
        assert os.readlink(f"/proc/{process.pid}/exe") == RTPENGINE
        expected = "rtpengine" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        assert _user(process.pid) == expected
        said = (folder / "phone" / "rtpengine" / "rtpengine.conf").read_text()
        assert "port-min = 31000" in said and "table = -1" in said
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=15)
    assert code == 0, (folder / "media.log").read_text()[-2000:]
