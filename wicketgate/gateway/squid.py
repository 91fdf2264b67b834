"""Squid for the gateway: its configuration, the files it needs, and starting it.

Everything lives in one folder (``WICKETGATE_GATEWAY_DIR``, by default ``gateway/`` in
the data folder): squid.conf, the relay helper, the gateway's CA, the helper socket,
logs, and the hosts file Squid resolves names from (the configured one, or /etc/hosts,
plus the offline library's name: :func:`write_hosts`). When Wicketgate runs as root,
Squid drops to the ``proxy`` user and starts its helpers as that user, so the folder and
every folder above it must be enterable by it: :func:`prepare` checks that and says which
folder is in the way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import grp
import hashlib
import ipaddress
import json
import os
import pwd
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.template import Context, Engine

from wicketgate.gateway.accesslog import LOGFORMAT
from wicketgate.lib.folders import first_closed_to

SQUID = "/usr/sbin/squid"
CERTGEN = "/usr/lib/squid/security_file_certgen"
TEMPLATE = Path(settings.BASE_DIR) / "deploy" / "squid" / "squid.conf.template"
RELAY_SOURCE = Path(__file__).with_name("relay.py")
SQUID_USER = "proxy"


class GatewaySetupError(RuntimeError):
    """The gateway cannot be set up as configured; the message names what to change."""


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def conf(self) -> Path:
        return self.root / "squid.conf"

    @property
    def relay(self) -> Path:
        return self.root / "relay.py"

    @property
    def socket(self) -> Path:
        return self.root / "run" / "decide.sock"

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_dir(self) -> Path:
        return self.root / "log"

    @property
    def access_log(self) -> Path:
        return self.log_dir / "access.log"

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca" / "wicketgate-ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.root / "ca" / "wicketgate-ca.key"

    @property
    def hosts(self) -> Path:
        return self.root / "hosts"

    @property
    def ssl_db(self) -> Path:
        return self.run_dir / "ssl_db"  # made by Squid's certificate helper, as Squid's user


def layout() -> Layout:
    return Layout(Path(settings.WICKETGATE_GATEWAY_DIR).resolve())


def render_config(where: Layout | None = None, *, listen: str | None = None) -> str:
    """squid.conf for this installation, from deploy/squid/squid.conf.template."""
    where = where or layout()
    listen = listen or settings.WICKETGATE_GATEWAY_LISTEN
    portal = str(settings.WICKETGATE_GATEWAY_PORTAL_URL).rstrip("/")
    portal_parts = urlsplit(portal)
    parent = settings.WICKETGATE_GATEWAY_PARENT
    parent_host, _, parent_port = (parent or "").rpartition(":")
    refused = refused_networks()
    as_root = os.geteuid() == 0
    context = {
        "listen": listen,
        "ca_cert": where.ca_cert,
        "ca_key": where.ca_key,
        "ssl_db": where.ssl_db,
        "effective_user": SQUID_USER if as_root else "",
        "effective_group": SQUID_USER,
        "run_dir": where.run_dir,
        "log_dir": where.log_dir,
        "logformat": LOGFORMAT,
        "relay": where.relay,
        "socket": where.socket,
        "auth_children": 4,
        "acl_children": 4,
        "refused_v4": " ".join(str(n) for n in refused if n.version == 4),
        "refused_v6": " ".join(str(n) for n in refused if n.version == 6),
        "portal_regex": re.escape(portal + "/").replace("\\/", "/") + "(portal|assets)/",
        "block_url": f"{portal}/portal/blocked",
        "portal_https": portal_parts.scheme == "https" and bool(portal_parts.hostname),
        "portal_host": portal_parts.hostname or "",
        "portal_port": portal_parts.port or 443,
        "hosts_file": where.hosts,
        "upstream_ca": settings.WICKETGATE_GATEWAY_UPSTREAM_CA,
        "parent": parent,
        "parent_host": parent_host,
        "parent_port": parent_port,
    }
    engine = Engine(autoescape=False)
    return engine.from_string(TEMPLATE.read_text()).render(Context(context))


def refused_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks Squid never connects to: the setting's, and this machine's own
    addresses (the platform's own pages and services are not sites on the internet)."""
    networks = [ipaddress.ip_network(n) for n in settings.WICKETGATE_GATEWAY_REFUSED_NETWORKS]
    for address in own_addresses():
        if not any(address in network for network in networks):
            networks.append(ipaddress.ip_network(address))
    return networks


def own_addresses() -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address of this machine's interfaces (iproute2's ``ip -json address``)."""
    try:
        done = subprocess.run(
            ["ip", "-json", "address", "show"],  # noqa: S607 - iproute2's ip, found on PATH as the operator set it
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise RuntimeError(
            f"cannot list this machine's addresses (ip -json address: {exc}); "
            "install the Debian package iproute2"
        ) from exc
    found = []
    for interface in json.loads(done.stdout):
        for info in interface.get("addr_info", []):
            with contextlib.suppress(KeyError, ValueError):
                found.append(ipaddress.ip_address(info["local"].split("%")[0]))
    return found


def prepare(where: Layout | None = None, *, listen: str | None = None) -> Layout:
    """Write squid.conf, the relay and the CA; make them usable by Squid's user."""
    where = where or layout()
    for folder in (where.root, where.run_dir, where.log_dir, where.ca_cert.parent):
        folder.mkdir(parents=True, exist_ok=True)
    as_root = os.geteuid() == 0
    if as_root:
        _check_reachable(where.root)
    shutil.copyfile(RELAY_SOURCE, where.relay)
    where.relay.chmod(0o755)
    if not where.ca_cert.exists() or not where.ca_key.exists():
        _write_ca(where)
    write_hosts(where)
    where.conf.write_text(render_config(where, listen=listen))
    where.root.chmod(0o755)
    where.ca_cert.parent.chmod(0o750)
    where.ca_key.chmod(0o640)
    if as_root:
        proxy = pwd.getpwnam(SQUID_USER)
        gid = grp.getgrnam(SQUID_USER).gr_gid
        for path in (where.run_dir, where.log_dir):
            os.chown(path, proxy.pw_uid, gid)
            for child in path.iterdir():
                if not child.is_socket():
                    os.chown(child, proxy.pw_uid, gid)
        os.chown(where.ca_cert.parent, 0, gid)
        os.chown(where.ca_key, 0, gid)
    # The service owns the socket's folder contents; Squid's user must reach the socket.
    where.run_dir.chmod(0o770 if as_root else 0o700)
    if not where.ssl_db.exists():
        _init_ssl_db(where, as_root)
    return where


def write_hosts(where: Layout) -> Path:
    """The gateway's own hosts file: the configured one's lines
    (``WICKETGATE_GATEWAY_HOSTS_FILE``, else /etc/hosts) and the offline library's name at
    kiwix-serve's address. Only the gateway resolves that name, so a device reaches the
    library through it or not at all."""
    from wicketgate.learning.library import LibraryError, configured

    source = Path(settings.WICKETGATE_GATEWAY_HOSTS_FILE or "/etc/hosts")
    try:
        lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise GatewaySetupError(f"cannot read the hosts file {source}: {exc}") from exc
    try:
        library = configured()
    except LibraryError as exc:
        raise GatewaySetupError(str(exc)) from exc
    # A line of the source that names the library too would be a second answer for it.
    kept = [line for line in lines if library.host not in line.split("#", 1)[0].lower().split()[1:]]
    kept.append(f"{library.reachable_address} {library.host}")
    content = "\n".join(kept) + "\n"
    if not where.hosts.exists() or where.hosts.read_text(encoding="utf-8") != content:
        where.hosts.write_text(content, encoding="utf-8")
    where.hosts.chmod(0o644)
    return where.hosts


def squid_command(where: Layout) -> list[str]:
    return [SQUID, "-N", "-f", str(where.conf), "-n", service_name(where)]


def reopen_log_command(where: Layout) -> list[str]:
    """Tells the running Squid to reopen its logs (logfile_rotate 0: no renaming of its own)."""
    return [SQUID, "-k", "rotate", "-f", str(where.conf), "-n", service_name(where)]


def service_name(where: Layout) -> str:
    # A name of its own, so that several gateways (or a test's) on one machine do not
    # share Squid's named shared-memory segments, and signals reach the right one.
    return "wg" + hashlib.sha256(str(where.root).encode()).hexdigest()[:10]


def check_config(where: Layout) -> None:
    result = subprocess.run(  # noqa: S603 - fixed program, our own config file
        [SQUID, "-k", "parse", "-f", str(where.conf)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        problems = [
            line for line in result.stderr.splitlines() if "FATAL" in line or "ERROR" in line
        ]
        raise GatewaySetupError(
            "squid.conf does not parse: " + ("; ".join(problems) or result.stderr[-500:])
        )


def _check_reachable(folder: Path) -> None:
    """Squid's user must be able to enter every folder from / down to ``folder``."""
    path = first_closed_to(SQUID_USER, folder)
    if path is not None:
        raise GatewaySetupError(
            f"{path} cannot be entered by the '{SQUID_USER}' user that Squid runs its helpers as, "
            f"so the gateway cannot work from {folder}. Set WICKETGATE_GATEWAY_DIR (or "
            "WICKETGATE_DATA_DIR) to a folder outside it, e.g. /var/lib/wicketgate/gateway, or "
            f"let others enter it (chmod o+x {path})."
        )


def _write_ca(where: Layout) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Wicketgate"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Wicketgate gateway CA"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    fd = os.open(where.ca_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    where.ca_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _init_ssl_db(where: Layout, as_root: bool) -> None:
    command = [CERTGEN, "-c", "-s", str(where.ssl_db), "-M", "4MB"]
    if as_root:
        command = ["runuser", "-u", SQUID_USER, "--", *command]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603 - fixed programs
