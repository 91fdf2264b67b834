"""A real gateway for tests: Squid (Debian's squid-openssl) in front of local upstreams.

The gateway service runs in the test process (so it reads the test database), Squid as
a child process with the rendered squid.conf, exactly as ``wicketgate gateway run``
starts them. Upstream web servers listen on ports 80 and 443 of an address on TEST-NET-2
(198.51.100.0/24) in a network namespace of their own (as root), under test host names
that Squid resolves from a hosts file of the test's own; the HTTPS one has a certificate
from a test CA, so clients can verify it through a spliced tunnel.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import http.server
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from wicketgate.calls import netns
from wicketgate.calls.netns import Link, link_for
from wicketgate.gateway.service import GatewayService
from wicketgate.gateway.squid import Layout, check_config, prepare, service_name, squid_command

if TYPE_CHECKING:
    from wicketgate.gateway.models import DeviceSession
    from wicketgate.testing.personas import Estate

TEST_HOSTS = (
    "www.nhs.uk",
    "www.bbc.co.uk",
    "www.open.edu",
    "findajob.dwp.gov.uk",
    "www.citizensadvice.org.uk",
    "blocked.example.com",
    "portal.prison.test",  # the prisoner portal on a host of its own, over HTTPS
)


def wait_for(check: Callable[[], object], seconds: float = 5) -> float:
    """Seconds until ``check()`` is true; AssertionError if it is not within ``seconds``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > seconds:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)
    return time.monotonic() - started


def gateway_world(load_policy: Callable[..., Any], policy: str) -> Estate:
    """The personas' estate with ``policy`` loaded, for a transactional test: such tests
    empty the database after themselves, the data migrations' categories too."""
    from wicketgate.policy.codes import DEFAULT_CATEGORIES
    from wicketgate.policy.models import Category
    from wicketgate.testing.personas import build_estate

    for code, name in DEFAULT_CATEGORIES:
        Category.objects.get_or_create(code=code, defaults={"name": name})
    estate = build_estate()
    load_policy(policy)
    return estate


def device_session(
    estate: Estate,
    device_id: str,
    *,
    who: str = "a",
    kind: str = "laptop",
    gateway: RunningGateway | None = None,
    address: str = "127.0.0.1",
) -> tuple[DeviceSession, str]:
    """A device in the cell of prisoner ``who`` ("a" or "b") and a session on it for them,
    signed in from ``address`` (where test clients are); with ``gateway``, once its
    service holds the session (else at once)."""
    from wicketgate.gateway.actions import do_open_device_session, do_register_device
    from wicketgate.testing.personas import SETUP

    device, _key = do_register_device(
        device_id=device_id,
        establishment=getattr(estate, who),
        location=getattr(estate, f"{who}_cell"),
        kind=kind,
        actor=SETUP,
    )
    session, password = do_open_device_session(
        prisoner=getattr(estate, f"prisoner_{who}"),
        device=device,
        actor=SETUP,
        address=address,
    )
    if gateway is not None:
        wait_for(
            lambda: (
                gateway.service is not None
                and gateway.service.sessions.get(session.username) is not None
            )
        )
    return session, password


def curl(
    gateway: RunningGateway, url: str, credentials: str | None, *extra: str
) -> tuple[int, str, str]:
    """(status, redirect, body) of ``url`` fetched by curl through ``gateway``."""
    command = ["curl", "-s", "-o", "-", "-w", "\n%{http_code} %{redirect_url}", "-x", gateway.proxy]
    command += ["--max-time", "10", "--cacert", str(gateway.device_ca), *extra]
    if credentials:
        command += ["-U", credentials]
    result = subprocess.run([*command, url], capture_output=True, text=True, check=False)
    body, _, tail = result.stdout.rpartition("\n")
    code, _, redirect = tail.partition(" ")
    return int(code or 0), redirect, body


def block_reasons(redirect: str) -> dict[str, Any]:
    """What the block page a refused request was sent to would show."""
    from urllib.parse import parse_qs, urlsplit

    from wicketgate.gateway.gatekeeper import read_block_token

    if "/portal/blocked?d=" not in redirect:
        raise AssertionError(f"not sent to the block page: {redirect!r}")
    data = read_block_token(parse_qs(urlsplit(redirect).query)["d"][0])
    if data is None:
        raise AssertionError(f"the block page's token does not verify: {redirect!r}")
    return data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Hello(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps its connections, as real sites do

    def do_GET(self) -> None:  # the standard library's name
        body = f"hello from {self.headers.get('Host', '?')}{self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Upstreams:
    http_port: int
    https_port: int
    ca_file: Path
    address: str  # on TEST-NET-2, in the upstreams' namespace
    gateway_address: str  # this machine's end of the link: one of the gateway's own addresses
    servers: list[http.server.ThreadingHTTPServer] = field(default_factory=list)

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def start_upstreams(folder: Path, link: Link) -> Upstreams:
    """The test web servers, on ports 80 and 443 of the far end of ``link``: an address on
    TEST-NET-2 in a network namespace of their own, as a site on the internet would be
    (never on this machine's own addresses, which the gateway refuses to connect to)."""
    ca_file, cert_file, key_file = _test_certificates(folder)
    plain, secure = in_namespace(
        link.namespace,
        lambda: (
            http.server.ThreadingHTTPServer((link.janus_address, 80), _Hello),
            http.server.ThreadingHTTPServer((link.janus_address, 443), _Hello),
        ),
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    secure.socket = context.wrap_socket(secure.socket, server_side=True)
    for server in (plain, secure):
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
    return Upstreams(80, 443, ca_file, link.janus_address, link.host_address, [plain, secure])


def upstream_link() -> Link:
    """A /30 on TEST-NET-2 (198.51.100.0/24) of this process's own, for the test upstreams."""
    pid = os.getpid()
    return link_for(f"wgup{pid % 100000}", f"198.51.100.{4 * (pid % 64)}/30")


def in_namespace(namespace: str, make: Callable[[], _T]) -> _T:
    """``make()`` run on a thread that has joined network namespace ``namespace``: sockets
    it opens live there, while the rest of this process stays where it is."""
    result: list[_T] = []
    failure: list[BaseException] = []

    def run() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        with open(f"/var/run/netns/{namespace}", "rb") as handle:
            if libc.setns(handle.fileno(), CLONE_NEWNET) != 0:
                failure.append(OSError(ctypes.get_errno(), f"setns {namespace}"))
                return
        try:
            result.append(make())
        except BaseException as exc:  # handed to the caller
            failure.append(exc)

    thread = threading.Thread(target=run)  # it ends in the namespace: a thread of its own
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


CLONE_NEWNET = 0x40000000
_T = TypeVar("_T")


@dataclass
class RunningGateway:
    layout: Layout
    port: int
    upstreams: Upstreams
    service: GatewayService | None
    squid: subprocess.Popen[bytes]
    poll_seconds: float

    @property
    def device_ca(self) -> Path:
        """What a managed device trusts: the gateway's CA (for inspected sites) and the test
        upstreams' (whose certificate a site passed through shows)."""
        return self.layout.root.parent / "device-ca.pem"

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def http_url(self, host: str, path: str = "/") -> str:
        return f"http://{host}{path}"

    def https_url(self, host: str, path: str = "/") -> str:
        return f"https://{host}{path}"

    def stop_service(self) -> None:
        if self.service is not None:
            self.service.stop()
            self.service = None

    def start_service(self) -> None:
        self.service = GatewayService(self.layout.socket, poll_seconds=self.poll_seconds)
        self.service.start()

    def record_now(self) -> None:
        """Move what Squid has logged so far into the audit log."""
        from wicketgate.gateway import accesslog

        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            time.sleep(0.1)
            if accesslog.tail(self.layout.access_log) == 0:
                return


@contextmanager
def running_gateway(
    settings: Any,
    *,
    poll_seconds: float = 0.1,
    portal_url: str | None = None,
    hosts: dict[str, str] | None = None,
) -> Iterator[RunningGateway]:
    """Squid and the gateway service, configured through ``settings`` (pytest-django's).

    ``hosts`` adds names to Squid's hosts file (name → address; ``"upstream"`` and
    ``"gateway"`` stand for the upstreams' address and the gateway's own end of the link).
    """
    # Squid's user must reach the folder: not pytest's tmp_path, which is private to root.
    folder = Path(tempfile.mkdtemp(prefix="wg-gateway-test-", dir="/tmp"))
    folder.chmod(0o755)
    link = upstream_link()
    netns.create(link)
    upstreams = start_upstreams(folder, link)
    names = {name: upstreams.address for name in TEST_HOSTS}
    for name, address in (hosts or {}).items():
        names[name] = {"upstream": upstreams.address, "gateway": upstreams.gateway_address}.get(
            address, address
        )
    hosts_file = folder / "hosts"
    hosts_file.write_text(
        "127.0.0.1 localhost\n" + "".join(f"{a} {name}\n" for name, a in names.items())
    )
    hosts_file.chmod(0o644)
    port = free_port()
    settings.WICKETGATE_GATEWAY_DIR = folder / "gateway"
    settings.WICKETGATE_GATEWAY_LISTEN = f"127.0.0.1:{port}"
    settings.WICKETGATE_GATEWAY_HOSTS_FILE = str(hosts_file)
    settings.WICKETGATE_GATEWAY_PORTAL_URL = portal_url or "http://127.0.0.1:8000"
    # Squid decrypts inspected sites, so it must trust the upstreams' certificates itself.
    upstreams.ca_file.chmod(0o644)
    settings.WICKETGATE_GATEWAY_UPSTREAM_CA = str(upstreams.ca_file)
    layout = prepare(Layout(folder / "gateway"))
    check_config(layout)
    (folder / "device-ca.pem").write_bytes(
        upstreams.ca_file.read_bytes() + layout.ca_cert.read_bytes()
    )
    # The test moves the access log into the audit log itself (record_now), as the
    # recorder process would.
    service = GatewayService(layout.socket, poll_seconds=poll_seconds)
    service.start()
    squid = subprocess.Popen(  # our own squid.conf
        squid_command(layout), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    gateway = RunningGateway(layout, port, upstreams, service, squid, poll_seconds)
    try:
        _wait_for_port(port, squid)
        yield gateway
    finally:
        # Nothing to finish (the test has recorded what it needs): its helpers see their
        # input close and exit. An orderly shutdown would wait out shutdown_lifetime.
        squid.send_signal(signal.SIGKILL)
        try:
            squid.wait(timeout=10)
        except subprocess.TimeoutExpired:
            squid.kill()
            squid.wait()
        gateway.stop_service()
        upstreams.close()
        netns.remove(link)
        shutil.rmtree(folder, ignore_errors=True)
        # A killed Squid leaves its named shared memory behind (one cache segment is 2 MB);
        # the names are this gateway's own (service_name), so another's are not touched.
        shm = Path("/dev/shm")  # noqa: S108 - where POSIX shared memory lives, not a temp file
        for segment in shm.glob(f"{service_name(layout)}-*.shm"):
            segment.unlink(missing_ok=True)


def _wait_for_port(port: int, squid: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if squid.poll() is not None:
            raise RuntimeError(
                f"squid exited: {squid.stderr.read().decode() if squid.stderr else ''}"
            )
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("squid did not start listening")


def _test_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A test CA and a certificate it signed for every test host."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Wicketgate test upstream CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TEST_HOSTS[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in TEST_HOSTS]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = (
        folder / "upstream-ca.pem",
        folder / "upstream.pem",
        folder / "upstream.key",
    )
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.chmod(key_file, 0o600)
    return ca_file, cert_file, key_file
