"""`wicketgate up` for real: a production server process, on loopback, stopped by Ctrl-C."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from wicketgate.phone.rtpengine import MediaRelayError, ask
from wicketgate.testing.kamailio import free_udp_port, wait_for_sip

pytestmark = pytest.mark.slow

WICKETGATE = Path(sys.executable).with_name("wicketgate")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.skipif(
    not WICKETGATE.exists(), reason="the console script is installed by make install"
)
def test_it_serves_on_loopback_with_migrations_applied_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["WICKETGATE_DATA_DIR"] = str(tmp_path)
    # Squid's helpers run as the proxy user, who cannot enter pytest's private tmp_path.
    gateway_dir = Path(tempfile.mkdtemp(prefix="wg-up-test-", dir="/tmp"))
    gateway_dir.chmod(0o755)
    gateway_port = free_port()
    env["WICKETGATE_GATEWAY_DIR"] = str(gateway_dir / "gateway")
    env["WICKETGATE_GATEWAY_LISTEN"] = f"127.0.0.1:{gateway_port}"
    hosts = gateway_dir / "hosts"  # no resolver here: an approved name pointed at loopback
    hosts.write_text("127.0.0.1 www.nhs.uk\n198.51.100.99 example.com\n")
    hosts.chmod(0o644)
    env["WICKETGATE_GATEWAY_HOSTS_FILE"] = str(hosts)
    # Kamailio too, on a port of its own; as root it runs as the kamailio user, who cannot
    # enter tmp_path either.
    phone_port = free_udp_port()
    env["WICKETGATE_PHONE_DIR"] = str(gateway_dir / "phone")
    env["WICKETGATE_PHONE_SIP_LISTEN"] = f"127.0.0.1:{phone_port}"
    media_control = f"127.0.0.1:{free_udp_port()}"  # and rtpengine, the calls' media relay
    env["WICKETGATE_PHONE_MEDIA_CONTROL"] = media_control
    env["WICKETGATE_PHONE_MEDIA_PORTS"] = "31100-31199"
    env["WICKETGATE_PHONE_KEYS_LISTEN"] = f"127.0.0.1:{free_udp_port()}"  # the watcher's
    library_port = free_port()  # and kiwix-serve, the offline library
    env["WICKETGATE_LIBRARY_LISTEN"] = f"127.0.0.1:{library_port}"
    process = subprocess.Popen(
        [str(WICKETGATE), "up", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        status = 0
        while time.monotonic() < deadline:
            try:
                status, body = get(f"http://127.0.0.1:{port}/readyz")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                # not listening yet, or too busy starting to answer within 5 s: again
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                time.sleep(0.3)
        assert status == 200, body
        assert body["database"] == "sqlite"
        assert get(f"http://127.0.0.1:{port}/healthz") == (200, {"status": "ok"})
        assert (tmp_path / "wicketgate.sqlite3").exists()
        assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
        # The web gateway: Squid with the rendered configuration, asking for credentials.
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", gateway_port), timeout=1) as proxy:
                    proxy.sendall(b"GET http://www.nhs.uk/ HTTP/1.1\r\nHost: www.nhs.uk\r\n\r\n")
                    assert proxy.recv(100).startswith(b"HTTP/1.1 407")
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "the gateway did not start"
                time.sleep(0.3)
        # The phone gateway: Kamailio answers SIP, and asks this web app about calls.
        wait_for_sip(phone_port, process)
        kamailio_config = (gateway_dir / "phone" / "kamailio" / "kamailio.cfg").read_text()
        assert f"wg=>http://127.0.0.1:{port}/phone/kamailio/" in kamailio_config
        assert f'"udp:{media_control}"' in kamailio_config
        deadline = time.monotonic() + 20
        while True:  # the media relay is there
            try:
                assert ask("ping", media_control, timeout=0.5)["result"] == "pong"
                break
            except MediaRelayError:
                assert time.monotonic() < deadline, "rtpengine did not answer in 20 s"

        # A demo prisoner signs in on a demo kiosk; each request through the gateway is
        # decided, and reaches the audit log through the recorder process.
        def wicketgate(*args: str) -> str:
            done = subprocess.run(  # our own console script
                [str(WICKETGATE), *args], env=env, capture_output=True, text=True, check=True
            )
            return done.stdout

        wicketgate("demo", "load")
        # The demo's book, added to the running kiwix-serve's library, is served without a
        # restart (directly here; prisoners reach it only through the gateway).
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{library_port}/functional-maths/A/fractions", timeout=2
                ) as page:
                    assert b"three quarters" in page.read()
                break
            except urllib.error.URLError:
                assert time.monotonic() < deadline, "kiwix-serve never served the demo book"
                time.sleep(0.3)
        credentials = wicketgate(
            "gateway",
            "session",
            "open",
            "--prisoner",
            "A1032CJ",
            "--device",
            "NGT-A-KIOSK-1",
            "--address",
            "127.0.0.1",
        ).strip()
        proxy_url = f"http://127.0.0.1:{gateway_port}"

        def fetch(url: str) -> str:
            command = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}"]
            command += ["-x", proxy_url, "-U", credentials, url]
            done = subprocess.run(  # curl through our own proxy
                command, capture_output=True, text=True, check=False
            )
            return done.stdout

        deadline = time.monotonic() + 5
        while fetch("http://www.nhs.uk/") == "407":  # until the gateway has seen the session
            assert time.monotonic() < deadline, "the gateway never accepted the session"
            time.sleep(0.1)
        codes = [fetch("http://www.nhs.uk/"), fetch("http://example.com/")]
        # Approved, but it resolves to this machine: refused, as is a site not approved.
        assert codes == ["302", "302"]
        deadline = time.monotonic() + 20
        while True:
            exported = wicketgate("audit", "export", "--action", "gateway.request")
            events = [json.loads(line) for line in exported.splitlines() if line.strip()]
            if len(events) >= 3:
                break
            assert time.monotonic() < deadline, "the requests did not reach the audit log"
            time.sleep(0.3)
        assert [(e["outcome"], e["details"]["rules"]) for e in events[-2:]] == [
            ("denied", ["gateway:internal-address"]),
            ("denied", ["catalogue:not-listed"]),
        ]
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode in (0, 130), output
    assert "Booting worker" in output  # gunicorn, the production web server
    assert "huey" in output.lower()  # the background worker started beside it
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", gateway_port), timeout=1).close()
    assert "phone gateway (Kamailio) on udp:127.0.0.1:" in output
    kamailios = subprocess.run(
        ["ps", "-C", "kamailio", "-o", "stat=,args="], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    assert not [line for line in kamailios if str(gateway_dir) in line and line[0] != "Z"]
    shutil.rmtree(gateway_dir, ignore_errors=True)


@pytest.mark.skipif(
    not WICKETGATE.exists() or os.geteuid() != 0 or not Path("/usr/bin/janus").exists(),
    reason="Janus in a network namespace needs root and the janus package (make install)",
)
def test_it_starts_janus_in_its_own_network_namespace_and_takes_it_down(tmp_path: Path) -> None:
    port = free_port()
    namespace = f"wgup{os.getpid() % 100000}"
    octet = os.getpid() % 200 + 20
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {
        "WICKETGATE_DATA_DIR": str(tmp_path),
        "WICKETGATE_JANUS_NAMESPACE": namespace,
        "WICKETGATE_JANUS_NETWORK": f"10.79.{octet}.0/30",
    }
    here, janus = f"10.79.{octet}.1", f"10.79.{octet}.2"
    up = [str(WICKETGATE), "up", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(  # our own console script
        [*up, "--no-gateway", "--no-phone"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(  # this machine's end of the pair
                    f"http://{janus}:8088/janus/info", timeout=2
                ) as response:
                    info = json.loads(response.read())
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "Janus did not answer"
                time.sleep(0.3)
        assert info["janus"] == "server_info"
        # From inside Janus's namespace the web app answers on this machine's end of the
        # pair: where Janus posts its events (and the host name is allowed there).
        deadline = time.monotonic() + 30
        while True:
            done = subprocess.run(
                ["ip", "netns", "exec", namespace, "curl", "-s", "-o", "/dev/null", "-w",
                 "%{http_code}", f"http://{here}:{port}/healthz"],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if done.stdout == "200":
                break
            assert time.monotonic() < deadline, f"web app not reachable from Janus: {done}"
            time.sleep(0.3)
        # The web app is on loopback and that end only, not on this machine's other addresses.
        addresses = subprocess.run(
            ["ip", "-4", "-o", "addr", "show"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        others = [
            word.split("/")[0]
            for word in addresses
            if "/" in word and not word.startswith(("127.", here))
        ]
        for address in others:
            with pytest.raises(OSError):
                socket.create_connection((address, port), timeout=1).close()
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode in (0, 130), output
    assert f"network namespace {namespace}" in output
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    assert namespace not in listed.stdout  # taken down with everything else


@pytest.mark.skipif(
    not WICKETGATE.exists() or os.geteuid() != 0 or not Path("/usr/bin/janus").exists(),
    reason="Janus in a network namespace needs root and the janus package (make install)",
)
def test_janus_does_not_outlive_a_killed_call_service(tmp_path: Path) -> None:
    """SIGKILL gives `wicketgate calls run` no chance to stop Janus: the kernel must (a
    Janus left running would go on carrying, and recording, calls nobody watches)."""
    from wicketgate.calls.netns import link_for, remove

    namespace = f"wgkill{os.getpid() % 10000}"
    octet = os.getpid() % 200 + 20
    link = link_for(namespace, f"10.80.{octet}.0/30")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {
        "WICKETGATE_DATA_DIR": str(tmp_path),
        "WICKETGATE_JANUS_NAMESPACE": namespace,
        "WICKETGATE_JANUS_NETWORK": f"10.80.{octet}.0/30",
    }
    subprocess.run([str(WICKETGATE), "migrate"], env=env, check=True, capture_output=True)
    process = subprocess.Popen(  # our own console script
        [str(WICKETGATE), "calls", "run"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    info = f"http://{link.janus_address}:8088/janus/info"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(info, timeout=2):  # the veth pair
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
        process.kill()
        process.wait(10)
        deadline = time.monotonic() + 10
        while True:
            left = subprocess.run(
                ["ip", "netns", "pids", namespace],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.split()
            if not left:
                break
            assert time.monotonic() < deadline, f"still running in {namespace}: {left}"
            time.sleep(0.2)
    finally:
        if process.poll() is None:
            process.kill()
        remove(link)
