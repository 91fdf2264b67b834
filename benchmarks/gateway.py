"""How fast the web gateway filters, against Squid alone and Squid + squidGuard, in one run.

    .venv/bin/python benchmarks/gateway.py [--quick] [--only U,A,B,C,D,E] [--seconds N] [--rounds N]

Run as root (Squid and nginx start as root and drop privileges) with squid-openssl,
squidguard, wrk, curl and nginx-light installed. Everything runs on this machine from a fresh
folder under /tmp (mode 0755, so that Squid's ``proxy`` user can read it); /etc is not
touched. ``WICKETGATE_BENCH_KEEP=1`` keeps the folder (configs and logs) afterwards.

The upstream is one nginx (one worker, access log off) that answers every name with the
same small page (``server_name _``), on ports 80 and 443 (a throwaway EC certificate; for
each allowed host, a certificate of its own that a throwaway upstream CA signed) of
198.51.100.254 (TEST-NET-2) in a network namespace of its own, joined to this one by a
veth pair: not on loopback, which the gateway refuses to connect to, as it refuses all
of this machine's own addresses. Every proxy reads a ``hosts_file`` of the
benchmark's own that points all 2,000 test hosts there, and goes direct. Not a
``cache_peer ... originserver``: Squid 5 forwards a CONNECT to such a peer only when the
peer's port is the CONNECT's (443), and the gateway renders a single parent. Nor a
resolver that does not answer: even with a parent for everything, Squid 5.7 starts a DNS
lookup for the host of every request (apparently the netdb pinger's), and unanswered
ones pile up: one pending query and a 16 KB buffer a request; Squid grew by over 1 GB
in 5 s and lost a third of its throughput.

The variants, each one Squid process (``squid -N``, ``workers 1``, ``cache deny all``, its
own pid file, logs and service name), all started before the first round and left running:

U. Squid without filtering (a reference, not a target): authenticated users go anywhere;
A. Squid with its own ``dstdomain`` allowlist of the 1,000 allowed hosts: the limit for
   a filtering proxy;
B. Squid + squidGuard 1.6 as ``url_rewrite_program`` (20 children, no concurrency, the
   allowlist compiled with ``squidGuard -C all``): all that is not allowed gets a
   ``302:`` to a block page: the classic peer;
C. Squid + Wicketgate: ``wicketgate gateway run`` (its own rendered squid.conf, with
   ``WICKETGATE_GATEWAY_HOSTS_FILE`` set to the same hosts file) on a fresh SQLite
   database: one establishment, one cell, 1,000 prisoners (``bulk_create``), a laptop
   each with an open device session (``do_register_device``, ``do_open_device_session``),
   and the 1,000 allowed hosts as catalogue sites of one category that one rule, with no
   conditions, allows (``do_import_policy``); the blocked hosts are not in the catalogue.
   Each request is decided for the prisoner whose session credentials it carries.
   Every request is also recorded in the hash-chained audit log by C's recorder process,
   which holds back while Squid's log grows fast (at most
   ``WICKETGATE_GATEWAY_RECORD_MAX_LAG_SECONDS``, 30 s, behind) and catches up once the
   round is over; that catching up is charged to the wait before the next round, and
   the table's last lines compare the audit events with the requests sent. Its sites are
   marked ``https: pass-through`` (in the policy file), so its HTTPS is spliced;
D. A bumping: Squid with the same ``dstdomain`` allowlist that decrypts the HTTPS of the
   allowed hosts (peek at step 1, ``bump`` on the allowlisted SNI, else ``terminate``) with
   the same certificate machinery as Wicketgate's squid.conf
   (``generate-host-certificates=on``, ``dynamic_cert_mem_cache_size=4MB``,
   ``sslcrtd_program security_file_certgen -M 4MB``, 4 children; a CA made as Wicketgate
   makes its own), checking the upstream's certificate against the upstream CA
   (``tls_outgoing_options cafile=``): the limit for a proxy that inspects;
E. Squid + Wicketgate as C, but its sites inspected (the default): each TLS connection is
   asked about at step 2 (its name must be the CONNECT's host) and bumped, and each request
   read from it is decided and must name the connection's host and port.

U, A, B and D authenticate as C and E do, so that the comparison is fair: ``proxy_auth
REQUIRED`` with Squid's ``basic_fake_auth`` (it accepts any password; it does not speak
the concurrent protocol, so 10 children) and a ``credentialsttl`` of 2 hours: after the
warm-up each request costs Squid a Basic header and an auth cache lookup. All four log
every request (``access_log stdio:``, Squid's own format for U, A and B; C's format,
which its service moves into the audit log): a real deployment logs, and C must.

The mix (``benchmarks/gateway/mix.lua``): wrk, 2 threads, 20 connections, keep-alive;
absolute-form ``GET http://host/`` requests, 80% to the 1,000 allowed hosts and 20% to
the 1,000 blocked ones, each with the ``Proxy-Authorization: Basic`` of one of 1,000
users (for C, the 1,000 sessions). First each variant is checked (20 allowed hosts get
the upstream's page, 20 blocked ones do not) and warmed up. Then the variants alternate,
U A B C U A B C ..., for ``--rounds`` rounds of ``--seconds`` each, and the table shows
the median of the rounds for each figure: requests/s, wrk's p50 and p99 latency, and CPU
from /proc (% of one core) of the variant's Squid, its helpers (every other process
under it: auth helpers, squidGuard, Wicketgate's service and relays, also shown by
process name), nginx, wrk, the other (idle) proxies and the rest of the machine. Before
each measurement the script waits 1.5 s, then until the proxies, their helpers and nginx
are quiet (under 10% of a core for 0.5 s, at most 15 s), so that work one variant leaves
behind (C's recorder catching up with its log) is not charged to the next.

HTTPS is a separate, smaller phase (wrk cannot CONNECT), alternating the same way: a pool
of 8 threads each opens a connection to the proxy, sends ``CONNECT host:443`` with
credentials, makes a TLS handshake with the host as SNI and fetches ``/``; 80% allowed,
20% blocked hosts. Passed through (U, A, B, C): every proxy peeks at step 1 and splices
when the SNI is allowed (U: always), else terminates; the client does not verify the
upstream's certificate (the handshake costs the same). Inspected (D, E, alternating D E D
E ...): first each variant is warmed up with one connection to every allowed host (so
that each has made its certificate for every host), then each round is the same
``https_per_round`` connections, the client trusting the proxy's CA (D's, or what
``wicketgate gateway ca`` prints for E) and checking the certificate made for the host;
then, kept connections: 8 curl processes at once, each one CONNECT + handshake to an
allowed host and ``--kept-requests`` GETs (500; 200 with ``--quick``) on that one
connection, every GET decrypted and decided. Reported: connections/s, p50/p99 of the
allowed ones, any connection with the wrong outcome, and for the kept connections
requests/s, p50/p99 of the GETs after the first, and CPU of the proxy and its helpers
(by process name). Ratios: C/A passed through, E/D inspected (the issue's target: 0.9 in
both).

Propagation (C only): in each of 50 trials a prisoner who is reaching a site through the
proxy is given a sanction, loss of web access for a day, by ``do_add_sanction`` (the
action staff and ``wicketgate conduct sanction add`` use: audited, and its signal logs
the PolicyChange). Measured: from the action's return (its transaction committed) to
the first answer through the proxy that is not the page, asking every 5 ms on a
keep-alive connection. The sanction is then quashed (``do_quash_sanction``), and the time
until the page comes back is reported too. ``--propagation-only`` runs just this, on C,
and writes ``benchmarks/results/gateway-propagation.json`` (not the full results).

Caveats: this machine has 2 cores, shared by wrk, nginx, Squid, the helpers and anything
else running (tests, builds), so the figures are of the whole box, not of Squid alone.
The alternation and the medians spread such noise over all variants alike, and the
``other%`` column shows how much of it there was. The table goes to stdout; the results,
with every round, the ratios and the six squid.conf files, to
``benchmarks/results/gateway.json``.
This is a script, not a test: a missed target is a finding, not a failure.
"""

# ruff: noqa: S311, S603, S607 - benchmark data, not secrets; it runs tools it names itself

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import ssl
import statistics
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wicketgate.calls import netns
from wicketgate.calls.netns import Link, link_for

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "gateway.json"
PROPAGATION_RESULTS = ROOT / "benchmarks" / "results" / "gateway-propagation.json"
HERE = ROOT / "benchmarks" / "gateway"  # the wrk script and the configuration templates
MIX_LUA = HERE / "mix.lua"
# The project's own venv, or (in a git worktree without one) the venv of the Python running this.
WICKETGATE = next(
    (p for p in (ROOT / ".venv" / "bin" / "wicketgate", Path(sys.executable).parent / "wicketgate")
     if p.exists()),
    ROOT / ".venv" / "bin" / "wicketgate",
)  # fmt: skip
SEED = 20261123

# The mix (from the issue).
HOSTS = 1_000  # allowed, and as many blocked
USERS = 1_000
ALLOWED_SHARE = 0.8
CONNECTIONS = 20
WRK_THREADS = 2
POOL = 20_000  # requests prebuilt per wrk thread
MARKER = "wicketgate-bench-upstream"  # in the upstream's page: how an allowed answer is known
HTTPS_CONCURRENCY = 8
KEPT_REQUESTS = 500  # GETs on each kept connection, inspected phase (--quick: 200)
CERTGEN = "/usr/lib/squid/security_file_certgen"  # Squid's certificate helper (D, as C and E)
PROPAGATION_POLL_S = 0.005
PROPAGATION_TIMEOUT_S = 10.0
SETTLE_FIRST_S = 1.5  # see _settle
SETTLE_PERCENT = 10.0  # before each measurement: the benchmark's processes under this...
SETTLE_STEP_S = 0.5  # ...over this long...
SETTLE_MAX_S = 15.0  # ...waiting at most this long

VARIANTS = {
    "U": "Squid, no filtering (reference)",
    "A": "Squid dstdomain allowlist",
    "B": "Squid + squidGuard",
    "C": "Squid + Wicketgate",
    "D": "Squid dstdomain allowlist, bumping",
    "E": "Squid + Wicketgate, inspecting",
}
# Plain HTTP and HTTPS passed through (spliced) are measured on U, A, B and C; HTTPS
# inspected (decrypted, each request decided) on D and E. D and E filter plain HTTP as A
# and C do: they are checked on it, not measured.
PASS_VARIANTS = ("U", "A", "B", "C")
INSPECT_VARIANTS = ("D", "E")
# Each Wicketgate variant's catalogue: C's sites are passed through, E's inspected (the
# default for a site, written out here as a policy file would).
WICKETGATE_HTTPS = {"C": "pass-through", "E": "inspect"}

# Targets from the issue.
TARGET_C_OVER_A = 0.9
TARGET_C_OVER_B = 1.0
TARGET_P99_C_OVER_A = 1.5
TARGET_HTTPS_OVER_LIMIT = 0.9  # HTTPS connections/s, passed through (C/A) and inspected (E/D)
TARGET_PROPAGATION_P99_MS = 1_000.0

CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- the parent: upstream, proxies, rounds ------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 4 s, 10 trials")
    parser.add_argument(
        "--only", default="U,A,B,C,D,E", help="variants to run (default U,A,B,C,D,E)"
    )
    parser.add_argument("--seconds", type=int, help="seconds per variant per round (default 10)")
    parser.add_argument("--rounds", type=int, help="rounds (default 5)")
    parser.add_argument(
        "--propagation-only",
        action="store_true",
        help="only C's sanction propagation (results to gateway-propagation.json)",
    )
    parser.add_argument("--trials", type=int, help="propagation trials (default 50)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: JSON plan for Django
    args = parser.parse_args(argv)
    if args.propagation_only:
        args.only = "C"
    if args.worker:
        return _worker(json.loads(args.worker))
    variants = [v for v in args.only.upper().replace(" ", "").split(",") if v]
    if not variants or any(v not in VARIANTS for v in variants):
        parser.error(f"--only takes a comma-separated list of {', '.join(VARIANTS)}")
    if os.geteuid() != 0:
        parser.error("run as root: Squid and nginx start as root and drop privileges")
    tools = ("squid", "squidGuard", "wrk", "nginx", "openssl", "curl")
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        parser.error(f"not installed: {', '.join(missing)}")
    plan = {
        "variants": variants,
        "rounds": args.rounds or (2 if args.quick else 5),
        "seconds": args.seconds or (4 if args.quick else 10),
        "warmup_seconds": 2 if args.quick else 3,
        "https_per_round": 300 if args.quick else 1_000,
        "kept_requests": 200 if args.quick else KEPT_REQUESTS,
        "propagation_trials": args.trials or (10 if args.quick else 50),
        "propagation_only": bool(args.propagation_only),
        "seed": SEED,
    }
    started = time.perf_counter()
    bench = Bench(plan)
    try:
        results = bench.run()
    finally:
        bench.stop()
    report = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "machine": _machine(),
        "plan": plan,
        "variants": {v: VARIANTS[v] for v in variants},
        "results": results,
        "ratios": _ratios(results),
        "targets": _targets(results),
        "notes": bench.notes,
    }
    print(_table(report), flush=True)
    target = PROPAGATION_RESULTS if args.propagation_only else RESULTS
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {target.relative_to(ROOT)}")
    return 0


class Bench:
    """One run: the upstream, the proxies and the measurements, in a folder of its own."""

    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.dir = Path(tempfile.mkdtemp(prefix="wicketgate-bench-gateway-", dir="/tmp"))
        self.dir.chmod(0o755)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.link: Link | None = None  # the upstream's network namespace
        self.ports: dict[str, int] = {}
        self.notes: list[str] = []
        self.configs: dict[str, str] = {}
        self.sent: dict[str, int] = {}  # requests sent to each proxy, all phases
        rng = random.Random(SEED)
        words = ["learn", "jobs", "health", "news", "advice", "library", "skills", "maths"]
        self.allowed = [
            f"www.{rng.choice(words)}-{n:04d}.example-allowed.test" for n in range(HOSTS)
        ]
        self.blocked = [f"www.{rng.choice(words)}-{n:04d}.example-other.test" for n in range(HOSTS)]
        self.users = {
            v: [_basic(f"user{n:04d}", "bench") for n in range(USERS)] for v in ("U", "A", "B", "D")
        }
        self.proxy_ca: dict[str, Path] = {}  # the CA each decrypting proxy signs with

    def say(self, text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)

    # --- the run ---------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        plan = self.plan
        self.say(f"working folder {self.dir}")
        (self.dir / "allowed.txt").write_text("\n".join(self.allowed) + "\n")
        self._certificates()
        self._start_nginx()
        # One host a line: Squid reads a hosts file in lines of at most 1 KB.
        hosts = [f"{self.upstream} {host}" for host in self.allowed + self.blocked]
        (self.dir / "hosts").write_text("\n".join(hosts) + "\n")
        seeded: dict[str, dict[str, Any]] = {}
        for variant in list(plan["variants"]):
            if variant not in WICKETGATE_HTTPS:
                self._start_squid(variant)
                continue
            try:
                seeded[variant] = self._seed_wicketgate(variant)
                self._start_gateway(variant)
            except (RuntimeError, subprocess.CalledProcessError, ImportError) as exc:
                self.say(f"{variant}: could not be set up, carrying on without it: {exc}")
                self.notes.append(f"{variant} not measured: it could not be set up: {exc}")
                plan["variants"].remove(variant)
        variants = plan["variants"]
        checks = {v: self._check(v) for v in variants}
        if plan["propagation_only"]:
            plan["rounds"] = 0
            variants_measured: list[str] = []
        else:
            variants_measured = [v for v in variants if v in PASS_VARIANTS]
        inspecting = [v for v in variants if v in INSPECT_VARIANTS and plan["rounds"]]
        for variant in variants_measured:
            self.say(f"{variant}: warm-up {plan['warmup_seconds']} s")
            self._wrk(variant, plan["warmup_seconds"])
        rounds: dict[str, list[dict[str, Any]]] = {v: [] for v in variants_measured}
        for n in range(plan["rounds"]):
            for variant in variants_measured:
                result = self._wrk(variant, plan["seconds"])
                rounds[variant].append(result)
                self.say(
                    f"round {n + 1}/{plan['rounds']} {variant}: {result['rps']:,.0f} req/s, "
                    f"p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, squid "
                    f"{result['cpu']['squid']:.0f}%, helpers {result['cpu']['helpers']:.0f}% "
                    f"(waited {result['settle_s']:.1f} s for quiet)"
                )
        https: dict[str, list[dict[str, Any]]] = {v: [] for v in variants_measured}
        for n in range(plan["rounds"]):
            for variant in variants_measured:
                result = self._https(variant, plan["https_per_round"], seed=n)
                https[variant].append(result)
                self.say(
                    f"https {n + 1}/{plan['rounds']} {variant}: {result['per_s']:,.0f} conn/s, "
                    f"allowed p50 {result['p50_ms']:.1f} ms; {result['wrong']} wrong "
                    f"(waited {result['settle_s']:.1f} s for quiet)"
                )
        # HTTPS inspected: first every allowed host once through each decrypting proxy, so
        # that each has made (and cached) its certificate for every host before the rounds.
        for variant in inspecting:
            warm = self._https(variant, len(self.allowed), seed=-1, hosts=self.allowed)
            self.say(
                f"{variant}: warm-up, every allowed host once: {warm['per_s']:,.0f} conn/s, "
                f"{warm['wrong']} wrong"
            )
        inspected: dict[str, list[dict[str, Any]]] = {v: [] for v in inspecting}
        for n in range(plan["rounds"] if inspecting else 0):
            for variant in inspecting:
                result = self._https(variant, plan["https_per_round"], seed=n)
                result["kept"] = self._kept(variant, plan["kept_requests"], seed=n)
                inspected[variant].append(result)
                kept = result["kept"]
                self.say(
                    f"inspected {n + 1}/{plan['rounds']} {variant}: {result['per_s']:,.0f} "
                    f"conn/s, allowed p50 {result['p50_ms']:.1f} ms, p99 "
                    f"{result['p99_ms']:.1f} ms; {result['wrong']} wrong; kept connections "
                    f"{kept['rps']:,.0f} req/s, p99 {kept['p99_ms']:.1f} ms, "
                    f"{kept['failed']} failed"
                )
        propagation = None
        if "C" in variants:
            self.say(f"C: propagation, {plan['propagation_trials']} trials")
            self._settle()
            seed_file = str(self.dir / "worker-seed-C.json")
            propagation = self._run_worker(
                {"step": "propagation", "port": self.ports["C"], "seed_file": seed_file}, "C"
            )
            self.sent["C"] += propagation["requests"]
            propagation["requests_sent_to_c"] = self.sent["C"]
        self._notes(rounds)
        return {
            "wicketgate": seeded.get("C") or seeded.get("E"),
            "wicketgate_by_variant": seeded,
            "configs": self.configs,
            "checks": checks,
            "http": {v: _summary(rounds[v]) | {"rounds": rounds[v]} for v in variants_measured},
            "https": {
                v: _https_summary(https[v]) | {"rounds": https[v]} for v in variants_measured
            },
            "https_inspected": {
                v: _https_summary(inspected[v]) | {"rounds": inspected[v]} for v in inspecting
            },
            "propagation": propagation,
        }

    def _notes(self, rounds: dict[str, list[dict[str, Any]]]) -> None:
        self.notes += [
            "routing: every test host resolves to the local nginx through the benchmark's own "
            "hosts_file (WICKETGATE_GATEWAY_HOSTS_FILE for C and E); all proxies go direct",
            "auth: U, A, B and D require proxy_auth with basic_fake_auth (credentialsttl 2 h); "
            "C and E check device-session credentials through their own helpers",
            "HTTPS inspected: D and E make a certificate for each host with Squid's "
            "security_file_certgen (4 children, -M 4MB, dynamic_cert_mem_cache_size=4MB, as "
            "Wicketgate's squid.conf has it); the client checks it against the proxy's CA",
            "logging: every variant logs every request with access_log stdio:",
        ]
        for variant, results in rounds.items():
            other = statistics.median(r["cpu"]["other"] for r in results)
            if other > 20:
                self.notes.append(
                    f"disturbed: during {variant}'s rounds processes outside the benchmark "
                    f"used a median {other:.0f}% of a core"
                )
            for v in rounds:
                idle = statistics.median(r["cpu_idle_proxies"].get(v, 0.0) for r in results)
                if v != variant and idle > 20:
                    self.notes.append(
                        f"disturbed: during {variant}'s rounds the idle {v} used a median "
                        f"{idle:.0f}% of a core"
                    )
            if max(r["settle_s"] for r in results) >= SETTLE_MAX_S:
                self.notes.append(
                    f"{variant}: before some rounds the proxies were still busy after "
                    f"{SETTLE_MAX_S:.0f} s"
                )

    def stop(self) -> None:
        for name, proc in reversed(list(self.procs.items())):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.say(f"{name} did not stop on SIGTERM; killing its process group")
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        if self.link is not None:
            netns.remove(self.link)
        if os.environ.get("WICKETGATE_BENCH_KEEP"):
            self.say(f"kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- upstream --------------------------------------------------------------------

    def _certificates(self) -> None:
        for name, cn in (("upstream", "bench upstream"), ("proxy", "bench proxy")):
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", f"/CN={cn}",
                 "-keyout", str(self.dir / f"{name}.key"), "-out", str(self.dir / f"{name}.pem")],
                check=True, capture_output=True,
            )  # fmt: skip
            (self.dir / f"{name}.key").chmod(0o644)  # throwaway keys; proxy must read its own
        # D's CA, made as Wicketgate makes its own (an EC P-256 key, CA:TRUE, pathlen 0):
        # D signs the certificates it shows for the hosts it decrypts with it.
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
             "-subj", "/O=Wicketgate benchmark/CN=bench proxy CA",
             "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
             "-addext", "keyUsage=critical,digitalSignature,keyCertSign,cRLSign",
             "-keyout", str(self.dir / "proxy-ca.key"), "-out", str(self.dir / "proxy-ca.pem")],
            check=True, capture_output=True,
        )  # fmt: skip
        (self.dir / "proxy-ca.key").chmod(0o644)
        self.proxy_ca["D"] = self.dir / "proxy-ca.pem"
        self._host_certificates()

    def _host_certificates(self) -> None:
        """The upstream's CA, and a certificate it signed for each allowed host (one key for
        all): what a proxy that decrypts checks, and mimics in the certificate it makes."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        folder = self.dir / "certs"
        folder.mkdir()
        now = dt.datetime.now(dt.UTC)
        ca_key, key = (
            ec.generate_private_key(ec.SECP256R1()),
            ec.generate_private_key(ec.SECP256R1()),
        )
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench upstream CA")])
        ca = (
            x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
            .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(ca_key, hashes.SHA256())
        )  # fmt: skip
        (self.dir / "upstream-ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        (folder / "host.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        for host in self.allowed:
            cert = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
                .issuer_name(ca_name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=2))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
                .sign(ca_key, hashes.SHA256())
            )  # fmt: skip
            (folder / f"{host}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def _start_nginx(self) -> None:
        folder = self.dir / "nginx"
        folder.mkdir()
        # Not on this machine's own addresses, which the gateway (C) refuses to connect to:
        # on TEST-NET-2, in a network namespace of its own, as a site on the internet is.
        self.link = link_for(f"wgbench{os.getpid() % 100000}", "198.51.100.252/30")
        netns.create(self.link)
        ip = self.upstream = self.link.janus_address
        conf = folder / "nginx.conf"
        page = f"<!doctype html><title>ok</title><p>{MARKER}: the page you asked for.</p>\\n"
        servers = "\n".join(
            f"  server {{ listen {ip}:443 ssl; server_name {host}; "
            f"ssl_certificate {self.dir}/certs/{host}.pem; "
            f"ssl_certificate_key {self.dir}/certs/host.key; "
            f'location / {{ return 200 "{page}"; }} }}'
            for host in self.allowed
        )
        conf.write_text(
            _template(
                "nginx.conf.in", ip=ip, folder=folder, dir=self.dir, marker=MARKER, servers=servers
            )
        )
        self._spawn("nginx", self.link.command("nginx", "-c", str(conf), "-g", "daemon off;"))
        _wait_port(80, host=ip)
        self.say(f"nginx on {ip}:80 and {ip}:443; every test host resolves to {ip}")

    # --- U, A and B: Squid configured here ---------------------------------------------

    def _start_squid(self, variant: str) -> None:
        folder = self.dir / variant
        folder.mkdir()
        port = self.ports[variant] = _free_port()
        if variant == "B":
            self._squidguard(folder)
        conf = folder / "squid.conf"
        self.configs[variant] = self._squid_conf(variant, folder, port)
        conf.write_text(self.configs[variant])
        shutil.chown(folder, "proxy", "proxy")
        if variant == "D":  # the certificate helper's store, made as Squid's user (as C's)
            subprocess.run(
                ["runuser", "-u", "proxy", "--", CERTGEN, "-c", "-s", str(folder / "ssl_db"),
                 "-M", "4MB"],
                check=True, capture_output=True,
            )  # fmt: skip
        command = ["squid", "-N", "-f", str(conf), "-n", f"wgbench{variant}{os.getpid()}"]
        check = subprocess.run([*command, "-k", "parse"], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"squid -k parse refused {conf}:\n{check.stderr}")
        self._spawn(variant, command)
        _wait_port(port, timeout=30)
        self.say(f"{variant}: {VARIANTS[variant]} on 127.0.0.1:{port}")

    def _squid_conf(self, variant: str, folder: Path, port: int) -> str:
        filtering = {
            "U": "http_access allow all\nssl_bump splice all",
            "A": f'acl allowed dstdomain "{self.dir}/allowed.txt"\nhttp_access allow CONNECT\n'
            "http_access allow allowed\nhttp_access deny all\n"
            "ssl_bump splice allowed_sni\nssl_bump terminate all",
            "B": f"url_rewrite_program /usr/bin/squidGuard -c {folder}/squidGuard.conf\n"
            "url_rewrite_children 20 startup=20 idle=20 concurrency=0\n"
            "http_access allow all\nssl_bump splice allowed_sni\nssl_bump terminate all",
            # A, decrypting what it allows, with the same certificate machinery as C and E
            # (deploy/squid/squid.conf.template): each request read from a decrypted
            # connection is checked against the allowlist as a plain one is.
            "D": f"sslcrtd_program {CERTGEN} -s {folder}/ssl_db -M 4MB\n"
            "sslcrtd_children 4 startup=1 idle=1\n"
            f"tls_outgoing_options cafile={self.dir}/upstream-ca.pem\n"
            "sslproxy_cert_error deny all\n"
            f'acl allowed dstdomain "{self.dir}/allowed.txt"\nhttp_access allow CONNECT\n'
            "http_access allow allowed\nhttp_access deny all\n"
            "ssl_bump bump allowed_sni\nssl_bump terminate all",
        }[variant]
        if variant == "D":
            tls = (
                f"tls-cert={self.dir}/proxy-ca.pem tls-key={self.dir}/proxy-ca.key "
                "generate-host-certificates=on dynamic_cert_mem_cache_size=4MB"
            )
        else:  # never used to decrypt: these variants splice or terminate
            tls = (
                f"tls-cert={self.dir}/proxy.pem tls-key={self.dir}/proxy.key "
                "generate-host-certificates=off"
            )
        return _template(
            "squid.conf.in", variant=variant, title=VARIANTS[variant], port=port,
            dir=self.dir, folder=folder, filtering=filtering, tls=tls,
        )  # fmt: skip

    def _squidguard(self, folder: Path) -> None:
        db, log = folder / "sg-db", folder / "sg-log"
        (db / "allowed").mkdir(parents=True)
        log.mkdir()
        (db / "allowed" / "domains").write_text("\n".join(self.allowed) + "\n")
        conf = folder / "squidGuard.conf"
        conf.write_text(_template("squidGuard.conf.in", db=db, log=log))
        subprocess.run(["squidGuard", "-c", conf, "-C", "all"], check=True, capture_output=True)
        if not (db / "allowed" / "domains.db").exists():
            raise RuntimeError("squidGuard -C all did not build allowed/domains.db")
        for path in [db, log, *db.rglob("*"), *log.rglob("*")]:
            shutil.chown(path, "proxy", "proxy")

    # --- C: Wicketgate ---------------------------------------------------------------

    def _data_env(self, variant: str) -> dict[str, str]:
        data = self.dir / f"{variant}-data"
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "wicketgate.settings",
            "WICKETGATE_DATA_DIR": str(data),
            "DATABASE_URL": f"sqlite:///{data / 'wicketgate.sqlite3'}",
            "WICKETGATE_DEBUG": "0",
            # Every test host is the local nginx, as for U, A and B.
            "WICKETGATE_GATEWAY_HOSTS_FILE": str(self.dir / "hosts"),
            # It checks the certificates of the sites it decrypts, as D does.
            "WICKETGATE_GATEWAY_UPSTREAM_CA": str(self.dir / "upstream-ca.pem"),
        }

    def _seed_wicketgate(self, variant: str) -> dict[str, Any]:
        data = self.dir / f"{variant}-data"
        data.mkdir()
        https = WICKETGATE_HTTPS[variant]
        self.say(f"{variant}: migrating and seeding a fresh Wicketgate database (https: {https})")
        subprocess.run([str(WICKETGATE), "migrate"], env=self._data_env(variant), check=True,
                       capture_output=True)  # fmt: skip
        seeded = self._run_worker(
            {"step": "seed", "allowed_file": str(self.dir / "allowed.txt"), "https": https},
            variant,
        )
        self.users[variant] = [u["basic"] for u in seeded.pop("users")]
        env = self._data_env(variant)
        seeded["env"] = {k: env[k] for k in sorted(env) if k.startswith("WICKETGATE_")}
        return seeded

    def _start_gateway(self, variant: str) -> None:
        port = self.ports[variant] = _free_port()
        log = self.dir / f"{variant}-gateway.log"
        env = self._data_env(variant)
        config = subprocess.run(
            [str(WICKETGATE), "gateway", "config", "--listen", f"127.0.0.1:{port}"],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        self.configs[variant] = config.stdout
        command = [str(WICKETGATE), "gateway", "run", "--listen", f"127.0.0.1:{port}"]
        self._spawn(variant, command, env=env, log=log)
        try:
            _wait_port(port, timeout=120, proc=self.procs[variant])
        except RuntimeError as exc:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"{exc}\n--- {log}:\n{tail}") from exc
        # The CA a managed device carries: what `wicketgate gateway ca` prints.
        ca = subprocess.run(
            [str(WICKETGATE), "gateway", "ca"], env=env, capture_output=True, text=True, check=True
        )
        self.proxy_ca[variant] = self.dir / f"{variant}-ca.pem"
        self.proxy_ca[variant].write_text(ca.stdout)
        self.say(f"{variant}: {VARIANTS[variant]} on 127.0.0.1:{port}")

    def _run_worker(self, plan: dict[str, Any], variant: str) -> dict[str, Any]:
        result_file = self.dir / f"worker-{plan['step']}-{variant}.json"
        plan = {**plan, **self.plan, "result_file": str(result_file)}
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(plan)]
        subprocess.run(command, env=self._data_env(variant), check=True, cwd=ROOT)
        return dict(json.loads(result_file.read_text(encoding="utf-8")))

    # --- measuring -------------------------------------------------------------------

    def _spawn(
        self, name: str, command: list[str], env: Any = None, log: Path | None = None
    ) -> None:
        out = open(log or self.dir / f"{name}.out", "wb")  # noqa: SIM115 - lives with the process
        self.procs[name] = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )

    def _check(self, variant: str) -> dict[str, Any]:
        """Some allowed and blocked hosts through the proxy: allowed ones must get the page."""
        rng = random.Random(SEED)
        conn = http.client.HTTPConnection("127.0.0.1", self.ports[variant], timeout=10)
        outcome: dict[str, Any] = {"allowed_ok": 0, "blocked_ok": 0, "statuses": {}}
        for kind, hosts in (("allowed", self.allowed), ("blocked", self.blocked)):
            for host in rng.sample(hosts, 20):
                through, status = _proxy_get(conn, host, rng.choice(self.users[variant]))
                outcome["statuses"][f"{kind} {status}"] = (
                    outcome["statuses"].get(f"{kind} {status}", 0) + 1
                )
                if through == (kind == "allowed" or variant == "U"):
                    outcome[f"{kind}_ok"] += 1
        self.sent[variant] = self.sent.get(variant, 0) + 40
        if outcome["allowed_ok"] < 20 or outcome["blocked_ok"] < 20:
            raise RuntimeError(f"{variant} filters wrongly: {outcome}")
        self.say(f"{variant}: checked 20 allowed and 20 blocked hosts: {outcome['statuses']}")
        return outcome

    def _wrk(self, variant: str, seconds: int) -> dict[str, Any]:
        data = self.dir / f"mix-{variant}.txt"
        if not data.exists():
            lines = [f"S {ALLOWED_SHARE}", f"N {POOL}"]
            lines += [f"U {u}" for u in self.users[variant]]
            lines += [f"A {h}" for h in self.allowed] + [f"B {h}" for h in self.blocked]
            data.write_text("\n".join(lines) + "\n")
        command = [
            "wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s",
            "-s", str(MIX_LUA), f"http://127.0.0.1:{self.ports[variant]}/", "--",
            str(data), str(SEED),
        ]  # fmt: skip
        settled = self._settle()
        before = self._cpu_sample()
        start = time.perf_counter()
        wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = wrk.stdout.read().decode(errors="replace") if wrk.stdout else ""
        _, status, usage = os.wait4(wrk.pid, 0)
        wall = time.perf_counter() - start
        after = self._cpu_sample()
        wrk.returncode = os.waitstatus_to_exitcode(status)
        line = next((x for x in out.splitlines() if x.startswith("WRKJSON ")), None)
        if wrk.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed on {variant}:\n{out}")
        result = json.loads(line[len("WRKJSON ") :])
        self.sent[variant] = self.sent.get(variant, 0) + result["requests"]
        used = {name: (after[name] - before.get(name, 0.0)) / wall * 100 for name in after}
        cpu = {
            "squid": used[f"{variant}.squid"],
            "helpers": used[f"{variant}.helpers"],
            "nginx": used["nginx"],
            "wrk": (usage.ru_utime + usage.ru_stime) / wall * 100,
            "box": used["box"],  # every process on the machine; nproc x 100% at most
        }
        # The other proxies, idle but for their background work, and whatever else ran.
        idle = {
            v: used[f"{v}.squid"] + used[f"{v}.helpers"]
            for v in self.plan["variants"]
            if v != variant and f"{v}.squid" in used
        }
        cpu["idle_proxies"] = sum(idle.values())
        cpu["other"] = max(
            0.0,
            cpu["box"] - sum(cpu[k] for k in ("squid", "helpers", "nginx", "wrk", "idle_proxies")),
        )
        prefix = f"{variant}.process."
        by_process = {
            k[len(prefix) :]: round(v, 1) for k, v in used.items() if k.startswith(prefix)
        }
        latency = result["latency_us"]
        errors = result["errors"]
        return {
            "rps": result["requests"] / (result["duration_us"] / 1e6),
            "p50_ms": latency["p50"] / 1e3,
            "p99_ms": latency["p99"] / 1e3,
            "requests": result["requests"],
            "non_2xx_3xx": errors["status"],
            "socket_errors": sum(v for k, v in errors.items() if k != "status"),
            "latency_us": latency,
            "cpu": {k: round(v, 1) for k, v in cpu.items()},
            "cpu_by_process": by_process,
            "cpu_idle_proxies": {k: round(v, 1) for k, v in idle.items()},
            "settle_s": settled,
        }

    def _settle(self) -> float:
        """Wait until the proxies, their helpers and nginx are quiet (under SETTLE_PERCENT of
        a core over SETTLE_STEP_S), so that work left over from one variant's round (a
        helper catching up with its log) is not charged to the next; at most SETTLE_MAX_S.
        Processes outside the benchmark are not waited for.

        It first lets SETTLE_FIRST_S pass: Wicketgate's recorder holds back while Squid's
        log grows fast and starts catching up only after a second of calm, and that
        catching up belongs to Wicketgate's round, not to the next variant's."""
        start = time.perf_counter()
        time.sleep(SETTLE_FIRST_S)

        def own(sample: dict[str, float]) -> float:
            return sum(
                v for k, v in sample.items() if k.endswith((".squid", ".helpers")) or k == "nginx"
            )

        before = own(self._cpu_sample())
        while time.perf_counter() - start < SETTLE_MAX_S:
            time.sleep(SETTLE_STEP_S)
            after = own(self._cpu_sample())
            if (after - before) / SETTLE_STEP_S * 100 < SETTLE_PERCENT:
                break
            before = after
        return round(time.perf_counter() - start, 2)

    def _cpu_sample(self) -> dict[str, float]:
        """CPU seconds so far: each variant's Squid and helpers, nginx, and the whole box."""
        stats: dict[int, tuple[int, str, float]] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                raw = Path(f"/proc/{entry.name}/stat").read_text()
            except OSError:
                continue
            comm = raw[raw.index("(") + 1 : raw.rindex(")")]
            fields = raw[raw.rindex(")") + 2 :].split()
            stats[int(entry.name)] = (
                int(fields[1]),
                comm,
                (int(fields[11]) + int(fields[12])) / CLK_TCK,
            )
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in stats.items():
            children.setdefault(ppid, []).append(pid)
        sample: dict[str, float] = {}
        for name, proc in self.procs.items():
            tree, stack = [], [proc.pid]
            while stack:
                pid = stack.pop()
                if pid in stats:
                    tree.append(pid)
                stack.extend(children.get(pid, []))
            if name == "nginx":
                sample["nginx"] = sum(stats[p][2] for p in tree)
            else:
                sample[f"{name}.squid"] = sum(stats[p][2] for p in tree if stats[p][1] == "squid")
                sample[f"{name}.helpers"] = sum(stats[p][2] for p in tree if stats[p][1] != "squid")
                for p in tree:
                    key = f"{name}.process.{stats[p][1]}"
                    sample[key] = sample.get(key, 0.0) + stats[p][2]
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        sample["box"] = (sum(map(int, fields)) - int(fields[3]) - int(fields[4])) / CLK_TCK
        return sample

    def _https(
        self, variant: str, count: int, seed: int, hosts: list[str] | None = None
    ) -> dict[str, Any]:
        """``count`` connections, 80% to allowed hosts (or to each of ``hosts`` once). Through
        a proxy that decrypts (D, E) the client checks the certificate the proxy made for
        the host against the proxy's CA, as a managed device does; through one that splices
        it does not check the upstream's (the handshake costs the same)."""
        rng = random.Random(SEED + seed)
        allowed_count = round(count * ALLOWED_SHARE) if hosts is None else count
        users, port = self.users[variant], self.ports[variant]
        chosen = hosts if hosts is not None else rng.choices(self.allowed, k=allowed_count)
        work = [(h, True, rng.choice(users)) for h in chosen]
        work += [
            (h, False, rng.choice(users))
            for h in rng.choices(self.blocked, k=count - allowed_count)
        ]
        rng.shuffle(work)
        if variant in INSPECT_VARIANTS:
            context = ssl.create_default_context(cafile=str(self.proxy_ca[variant]))
        else:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE

        def one(item: tuple[str, bool, str]) -> tuple[bool, bool, float]:
            host, allowed, basic = item
            start = time.perf_counter()
            through = _connect_get(port, host, basic, context)
            return allowed, through, time.perf_counter() - start

        settled = self._settle()
        before = self._cpu_sample()
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(HTTPS_CONCURRENCY) as pool:
            done = list(pool.map(one, work))
        wall = time.perf_counter() - start
        after = self._cpu_sample()
        self.sent[variant] = self.sent.get(variant, 0) + count
        latencies = sorted(t for allowed, through, t in done if allowed and through)

        def expected(allowed: bool) -> bool:
            return allowed or variant == "U"

        return {
            "connections": count,
            "per_s": count / wall,
            "p50_ms": _percentile(latencies, 50) * 1e3,
            "p99_ms": _percentile(latencies, 99) * 1e3,
            "wrong": sum(through != expected(allowed) for allowed, through, _ in done),
            "settle_s": settled,
            **self._cpu_used(variant, before, after, wall),
        }

    def _kept(self, variant: str, requests: int, seed: int) -> dict[str, Any]:
        """Requests on kept connections: HTTPS_CONCURRENCY curl processes at once, each one
        CONNECT to an allowed host (its own, at random, with a random user), one handshake
        and ``requests`` GETs of that host on the one connection. Through a proxy that
        decrypts each GET is read and decided on its own. Reported: requests/s over the
        wall time of them all, and the latency of the GETs after the first (which carries
        the CONNECT and the handshake); a GET that does not get the page is ``failed``."""
        rng = random.Random(SEED + 1_000 + seed)
        jobs = []
        for n in range(HTTPS_CONCURRENCY):
            host, basic = rng.choice(self.allowed), rng.choice(self.users[variant])
            config = self.dir / f"kept-{variant}-{n}.curl"
            lines = [
                f'proxy = "http://127.0.0.1:{self.ports[variant]}"',
                f'proxy-header = "Proxy-Authorization: Basic {basic}"',
                f'cacert = "{self.proxy_ca[variant]}"',
                "silent",
                'write-out = "%{http_code} %{num_connects} %{size_download} %{time_total}\\n"',
            ]
            lines += [f'url = "https://{host}/"\noutput = "/dev/null"'] * requests
            config.write_text("\n".join(lines) + "\n")
            jobs.append(["curl", "--max-time", "60", "-K", str(config)])
        settled = self._settle()
        before = self._cpu_sample()
        start = time.perf_counter()
        procs = [
            subprocess.Popen(j, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) for j in jobs
        ]
        outputs = [proc.communicate()[0].decode() for proc in procs]
        wall = time.perf_counter() - start
        after = self._cpu_sample()
        ok = failed = connects = 0
        latencies: list[float] = []
        for out in outputs:
            lines = out.split("\n")[:requests]
            failed += requests - len([x for x in lines if x])
            for n, line in enumerate(x for x in lines if x):
                code, conns, size, total = line.split()
                connects += int(conns)
                if code != "200" or not int(size):
                    failed += 1
                    continue
                ok += 1
                if n:
                    latencies.append(float(total))
        self.sent[variant] = self.sent.get(variant, 0) + HTTPS_CONCURRENCY * requests
        return {
            "connections": HTTPS_CONCURRENCY,
            "requests": HTTPS_CONCURRENCY * requests,
            "rps": ok / wall,
            "p50_ms": _percentile(latencies, 50) * 1e3,
            "p99_ms": _percentile(latencies, 99) * 1e3,
            "failed": failed,
            "connects": connects,  # TCP connections curl opened: one each if all were kept
            "settle_s": settled,
            **self._cpu_used(variant, before, after, wall),
        }

    def _cpu_used(
        self, variant: str, before: dict[str, float], after: dict[str, float], wall: float
    ) -> dict[str, Any]:
        """CPU of the variant's Squid, its helpers (and by process name), nginx and the whole
        box over ``wall`` seconds, in % of one core."""
        used = {name: (after[name] - before.get(name, 0.0)) / wall * 100 for name in after}
        prefix = f"{variant}.process."
        return {
            "cpu": {
                "squid": round(used[f"{variant}.squid"], 1),
                "helpers": round(used[f"{variant}.helpers"], 1),
                "nginx": round(used["nginx"], 1),
                "box": round(used["box"], 1),
            },
            "cpu_by_process": {
                k[len(prefix) :]: round(v, 1) for k, v in used.items() if k.startswith(prefix)
            },
        }


def _template(name: str, **values: Any) -> str:
    return string.Template((HERE / name).read_text()).substitute(values)


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float = 10, proc: Any = None, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the process for port {port} exited ({proc.returncode})")
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def _proxy_get(conn: http.client.HTTPConnection, host: str, basic: str) -> tuple[bool, int]:
    """GET http://host/ through the proxy ``conn`` talks to: was it the page, and the status."""
    for attempt in (1, 2):  # a proxy may close a kept-alive connection; reopen it once
        try:
            conn.request(
                "GET", f"http://{host}/", headers={"Proxy-Authorization": f"Basic {basic}"}
            )
            response = conn.getresponse()
            # Read every body, a refusal's too: a response left unread makes http.client
            # refuse the next one after sending it, and the retry would send it twice.
            body = response.read()
            return response.status == 200 and MARKER.encode() in body, response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _connect_get(port: int, host: str, basic: str, context: ssl.SSLContext) -> bool:
    """CONNECT through the proxy, TLS with ``host`` as SNI, GET /: did the page come back?"""
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    conn.set_tunnel(host, 443, headers={"Proxy-Authorization": f"Basic {basic}"})
    try:
        conn.request("GET", "/", headers={"Connection": "close"})
        response = conn.getresponse()
        return response.status == 200 and MARKER.encode() in response.read()
    except (OSError, http.client.HTTPException):  # a refused CONNECT, a terminated handshake
        return False
    finally:
        conn.close()


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def _summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each figure over the rounds (each figure on its own)."""

    def median(key: str) -> Any:
        return statistics.median(r[key] for r in rounds)

    return {
        "rps": median("rps"),
        "p50_ms": median("p50_ms"),
        "p99_ms": median("p99_ms"),
        "non_2xx_3xx_share": sum(r["non_2xx_3xx"] for r in rounds)
        / sum(r["requests"] for r in rounds),
        "socket_errors": sum(r["socket_errors"] for r in rounds),
        "settle_s_max": max(r["settle_s"] for r in rounds),
        "cpu": {k: statistics.median(r["cpu"][k] for r in rounds) for k in rounds[0]["cpu"]},
        "cpu_by_process": {
            k: statistics.median(r["cpu_by_process"].get(k, 0.0) for r in rounds)
            for k in rounds[0]["cpu_by_process"]
        },
    }


def _https_summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    def median(pick: Callable[[dict[str, Any]], Any]) -> Any:
        return statistics.median(pick(r) for r in rounds)

    summary = {
        "per_s": median(lambda r: r["per_s"]),
        "p50_ms": median(lambda r: r["p50_ms"]),
        "p99_ms": median(lambda r: r["p99_ms"]),
        "wrong": sum(r["wrong"] for r in rounds),
        "cpu": {k: median(lambda r, k=k: r["cpu"][k]) for k in rounds[0]["cpu"]},
        "cpu_by_process": {
            k: median(lambda r, k=k: r["cpu_by_process"].get(k, 0.0))
            for k in rounds[0]["cpu_by_process"]
        },
    }
    if "kept" in rounds[0]:
        summary["kept"] = {
            "rps": median(lambda r: r["kept"]["rps"]),
            "p50_ms": median(lambda r: r["kept"]["p50_ms"]),
            "p99_ms": median(lambda r: r["kept"]["p99_ms"]),
            "failed": sum(r["kept"]["failed"] for r in rounds),
            "connects": sum(r["kept"]["connects"] for r in rounds),
            "cpu": {k: median(lambda r, k=k: r["kept"]["cpu"][k]) for k in rounds[0]["cpu"]},
            "cpu_by_process": {
                k: median(lambda r, k=k: r["kept"]["cpu_by_process"].get(k, 0.0))
                for k in rounds[0]["kept"]["cpu_by_process"]
            },
        }
    return summary


# --- the Django side (a subprocess with C's database): seeding and propagation ------


def _worker(plan: dict[str, Any]) -> int:
    import django

    django.setup()
    step = {"seed": _seed, "propagation": _propagation}[plan["step"]]
    result = step(plan)
    Path(plan["result_file"]).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


def _seed(plan: dict[str, Any]) -> dict[str, Any]:
    """One establishment, one cell, 1,000 prisoners each with a laptop and an open session;
    the allowed hosts as 1,000 catalogue sites of one category that one rule allows."""
    from wicketgate.audit.log import Actor
    from wicketgate.estate.models import Establishment, Location
    from wicketgate.gateway.actions import do_open_device_session, do_register_device
    from wicketgate.people.models import Prisoner
    from wicketgate.policy.actions import do_import_policy
    from wicketgate.policy.imports import PolicyFile

    started = time.perf_counter()
    actor = Actor.operator("bench")
    allowed = Path(plan["allowed_file"]).read_text().split()
    establishment = Establishment.objects.create(
        code="BEN", name="HMP Benchmark", kind="training", capacity=USERS, in_cell_laptops=True
    )
    wing = Location.objects.create(establishment=establishment, code="BEN-A", kind="WING")
    cell = Location.objects.create(
        establishment=establishment, code="BEN-A-1-01", kind="CELL", parent=wing
    )
    Prisoner.objects.bulk_create(
        Prisoner(
            prison_number=f"B{n:04d}BN",
            given_name="Bench",
            family_name=f"Person {n:04d}",
            date_of_birth=dt.date(1980, 1, 1) + dt.timedelta(days=7 * n),
            establishment=establishment,
            location=cell,
            security_category="C",
            incentive_level="STD",
            legal_status="SENTENCED",
        )
        for n in range(USERS)
    )
    policy = {
        "categories": [{"code": "BENCH", "name": "Benchmark sites"}],
        "sites": [
            {"name": f"Bench site {n:04d}", "hosts": [host], "category": "BENCH"}
            # C's sites are passed through (its HTTPS is spliced); E's inspected, the default.
            | ({"https": plan["https"]} if plan["https"] != "inspect" else {})
            for n, host in enumerate(allowed)
        ],
        "rules": [{"id": "bench-open", "allow": ["BENCH"], "description": "Open to everyone."}],
    }
    do_import_policy(PolicyFile.model_validate(policy), actor=actor, file_name="gateway.py")
    users = []
    prisoners = list(Prisoner.objects.filter(establishment=establishment).order_by("prison_number"))
    for n, prisoner in enumerate(prisoners):
        device, _key = do_register_device(
            device_id=f"BEN-LAPTOP-{n:04d}",
            establishment=establishment,
            location=cell,
            kind="laptop",
            actor=actor,
        )
        # Every session is bound to the address its device signed in from: the benchmark's
        # clients are all on this machine's loopback.
        session, password = do_open_device_session(
            prisoner=prisoner, device=device, actor=actor, address="127.0.0.1"
        )
        users.append(
            {
                "prisoner": prisoner.prison_number,
                "host": allowed[n % len(allowed)],
                "basic": _basic(session.username, password),
            }
        )
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "establishments": 1,
        "prisoners": len(prisoners),
        "sites": len(allowed),
        "rules": 1,
        "https": plan["https"],
        "devices": len(users),
        "sessions": len(users),
        "users": users,
    }


def _propagation(plan: dict[str, Any]) -> dict[str, Any]:
    """A sanction per trial: from its commit to the first denied request, then quashed."""
    from wicketgate.audit.log import Actor
    from wicketgate.conduct.actions import do_add_sanction, do_quash_sanction
    from wicketgate.people.models import Prisoner

    users = json.loads(Path(plan["seed_file"]).read_text())["users"]
    chosen = random.Random(SEED).sample(users, plan["propagation_trials"])
    actor = Actor.system("benchmark")
    forbid_ms: list[float] = []
    lift_ms: list[float] = []
    write_ms: list[float] = []
    timeouts = requests = 0
    statuses: dict[str, int] = {}
    for user in chosen:
        prisoner = Prisoner.objects.get(prison_number=user["prisoner"])
        poller = _Poller(plan["port"], user["host"], user["basic"])
        if poller.until(allowed=True) is None:
            raise RuntimeError(f"{user['prisoner']} cannot reach {user['host']} to begin with")
        poller.until(allowed=True)  # once more: any cache on the way now holds the allow
        start = time.perf_counter()
        sanction = do_add_sanction(
            prisoner=prisoner, service="web", days=1, reason="Benchmark", actor=actor
        )
        recorded = time.perf_counter()
        write_ms.append((recorded - start) * 1e3)
        denied = poller.until(allowed=False)
        if denied is None:
            timeouts += 1
        else:
            forbid_ms.append((denied[0] - recorded) * 1e3)
            statuses[str(denied[1])] = statuses.get(str(denied[1]), 0) + 1
        do_quash_sanction(sanction, reason="Benchmark", actor=actor)
        revoked = time.perf_counter()
        again = poller.until(allowed=True)
        if again is not None:
            lift_ms.append((again[0] - revoked) * 1e3)
        poller.conn.close()
        requests += poller.requests
    from wicketgate.audit.models import AuditEvent

    return {
        "trials": len(chosen),
        "requests": requests,
        # What C's recorder has moved from Squid's access log into the audit log by now.
        "audit_request_events": AuditEvent.objects.filter(action="gateway.request").count(),
        "timeouts": timeouts,
        "timeout_s": PROPAGATION_TIMEOUT_S,
        "poll_ms": PROPAGATION_POLL_S * 1e3,
        "denied_with": statuses,
        "write_ms_median": statistics.median(write_ms),
        "forbid_ms_p50": _percentile(forbid_ms, 50),
        "forbid_ms_p99": _percentile(forbid_ms, 99),
        "forbid_ms_max": max(forbid_ms, default=float("nan")),
        "lift_ms_p50": _percentile(lift_ms, 50),
        "lift_ms_p99": _percentile(lift_ms, 99),
        "forbid_ms": [round(x, 1) for x in forbid_ms],
        "lift_ms": [round(x, 1) for x in lift_ms],
    }


class _Poller:
    """One prisoner asking for one host through the proxy, on a keep-alive connection."""

    def __init__(self, port: int, host: str, basic: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.host, self.basic = host, basic
        self.requests = 0

    def until(self, *, allowed: bool) -> tuple[float, int] | None:
        """Ask until the answer is ``allowed``: (when it came, its status), or None."""
        deadline = time.perf_counter() + PROPAGATION_TIMEOUT_S
        while time.perf_counter() < deadline:
            through, status = _proxy_get(self.conn, self.host, self.basic)
            self.requests += 1
            if through == allowed:
                return time.perf_counter(), status
            time.sleep(PROPAGATION_POLL_S)
        return None


# --- the report ---------------------------------------------------------------------


def _version(command: list[str], pattern: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    found = re.search(pattern, done.stdout + done.stderr)
    return found.group(1) if found else "unknown"


def _machine() -> dict[str, Any]:
    model, memory = "unknown", "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
            break
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory": memory,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "squid": _version(["squid", "-v"], r"Version (\S+)"),
        "squidguard": _version(["squidGuard", "-v"], r"SquidGuard: (\S+)"),
        "nginx": _version(["nginx", "-v"], r"nginx/(\S+)"),
        "wrk": _version(["wrk", "--version"], r"wrk (\S+)"),
        "openssl": _version(["openssl", "version"], r"OpenSSL (\S+)"),
    }


def _ratios(results: dict[str, Any]) -> dict[str, float]:
    http = results["http"]
    ratios: dict[str, float] = {}
    for a, b in (("C", "A"), ("C", "B"), ("B", "A"), ("A", "U"), ("C", "U")):
        if a in http and b in http:
            ratios[f"{a}/{b}"] = http[a]["rps"] / http[b]["rps"]
    if "C" in http and "A" in http:
        ratios["p99 C/A"] = http["C"]["p99_ms"] / http["A"]["p99_ms"]
    if "B" in http and "A" in http:
        ratios["p99 B/A"] = http["B"]["p99_ms"] / http["A"]["p99_ms"]
    # HTTPS: Wicketgate over the limit, in each mode (connections/s; p99 of the allowed).
    https, inspected = results.get("https", {}), results.get("https_inspected", {})
    if "C" in https and "A" in https:
        ratios["https passed through C/A"] = https["C"]["per_s"] / https["A"]["per_s"]
        ratios["https passed through p99 C/A"] = https["C"]["p99_ms"] / https["A"]["p99_ms"]
    if "E" in inspected and "D" in inspected:
        e, d = inspected["E"], inspected["D"]
        ratios["https inspected E/D"] = e["per_s"] / d["per_s"]
        ratios["https inspected p99 E/D"] = e["p99_ms"] / d["p99_ms"]
        ratios["https kept E/D"] = e["kept"]["rps"] / d["kept"]["rps"]
        ratios["https kept p99 E/D"] = e["kept"]["p99_ms"] / d["kept"]["p99_ms"]
    return ratios


def _targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    ratios = _ratios(results)
    targets = []
    for key, text, limit, higher in (
        ("C/A", f"Wicketgate req/s >= {TARGET_C_OVER_A} x Squid dstdomain", TARGET_C_OVER_A, True),
        ("C/B", "Wicketgate req/s >= Squid + squidGuard", TARGET_C_OVER_B, True),
        ("p99 C/A", f"Wicketgate p99 <= {TARGET_P99_C_OVER_A} x Squid dstdomain's",
         TARGET_P99_C_OVER_A, False),
        ("https passed through C/A", f"Wicketgate HTTPS conn/s passed through >= "
         f"{TARGET_HTTPS_OVER_LIMIT} x Squid dstdomain splicing", TARGET_HTTPS_OVER_LIMIT, True),
        ("https inspected E/D", f"Wicketgate HTTPS conn/s inspected >= "
         f"{TARGET_HTTPS_OVER_LIMIT} x Squid dstdomain bumping", TARGET_HTTPS_OVER_LIMIT, True),
    ):  # fmt: skip
        if key in ratios:
            measured = ratios[key]
            ok = measured >= limit if higher else measured <= limit
            targets.append({"target": text, "measured": measured, "unit": "x", "pass": ok})
    propagation = results.get("propagation")
    if propagation:
        p99 = propagation["forbid_ms_p99"]
        targets.append(
            {
                "target": f"propagation, sanction to first denied request, p99 < "
                f"{TARGET_PROPAGATION_P99_MS:,.0f} ms",
                "measured": p99,
                "unit": "ms",
                "pass": p99 < TARGET_PROPAGATION_P99_MS and not propagation["timeouts"],
            }
        )
    return targets


def _table(report: dict[str, Any]) -> str:
    machine, plan, results = report["machine"], report["plan"], report["results"]
    lines = [
        "Web gateway benchmark",
        f"machine: nproc {machine['nproc']}, {machine['cpu']}, {machine['memory']}, "
        f"{machine['platform']}",
        f"versions: Squid {machine['squid']}, squidGuard {machine['squidguard']}, "
        f"nginx {machine['nginx']}, wrk {machine['wrk']}, OpenSSL {machine['openssl']}, "
        f"Python {machine['python']}",
        f"mix: wrk {WRK_THREADS} threads, {CONNECTIONS} connections, keep-alive; "
        f"{ALLOWED_SHARE:.0%} of requests to {HOSTS:,} allowed hosts, the rest to {HOSTS:,} "
        f"blocked; {USERS:,} users (Proxy-Authorization: Basic)",
        f"rounds: {plan['rounds']} x {plan['seconds']} s per variant, alternating "
        f"{' '.join(plan['variants'])}, after a {plan['warmup_seconds']} s warm-up each; "
        "medians of the rounds",
    ]
    if results.get("wicketgate"):
        w = results["wicketgate"]
        lines.append(
            f"Wicketgate: {w['prisoners']:,} prisoners, {w['sessions']:,} device sessions, "
            f"{w['sites']:,} catalogue sites, {w['rules']} rule (seeded in {w['seconds']:.0f} s); "
            + ", ".join(
                f"{v}'s sites {s.get('https', 'inspect')}"
                for v, s in results.get("wicketgate_by_variant", {}).items()
            )
        )
    head = (
        f"{'':<36} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'denied':>7} "
        f"{'squid%':>7} {'helpers%':>8} {'nginx%':>7} {'wrk%':>6} {'idle%':>6} {'other%':>6}"
    )
    lines += ["", "HTTP (CPU: % of one core during the round)", head]
    for variant, row in results["http"].items():
        cpu = row["cpu"]
        lines.append(
            f"{variant} {VARIANTS[variant]:<34} {row['rps']:>8,.0f} {row['p50_ms']:>7.2f} "
            f"{row['p99_ms']:>7.2f} {row['non_2xx_3xx_share']:>7.1%} {cpu['squid']:>7.0f} "
            f"{cpu['helpers']:>8.0f} {cpu['nginx']:>7.0f} {cpu['wrk']:>6.0f} "
            f"{cpu['idle_proxies']:>6.0f} {cpu['other']:>6.0f}"
        )
    lines.append(
        "(denied: wrk's non-2xx/3xx share; B and C block with a 302, so they show 0%. idle: "
        "the other, idle proxies and their helpers; other: the rest of the machine; "
        f"the machine has {machine['nproc']}00%)"
    )
    for variant, row in results["http"].items():
        helpers = {k: v for k, v in row["cpu_by_process"].items() if k != "squid" and v >= 0.5}
        if helpers:
            parts = ", ".join(
                f"{k} {v:.0f}%" for k, v in sorted(helpers.items(), key=lambda x: -x[1])
            )
            lines.append(f"  {variant} helpers by process name: {parts}")
    waits = {v: row["settle_s_max"] for v, row in results["http"].items()}
    lines.append(
        "  longest wait for quiet before a round: "
        + ", ".join(f"{v} {w:.1f} s" for v, w in waits.items())
        + f" (at most {SETTLE_MAX_S:.0f} s)"
    )
    lines += [
        "",
        f"HTTPS: CONNECT + TLS handshake + GET, {plan['https_per_round']} connections a round, "
        f"{HTTPS_CONCURRENCY} at a time; peek at step 1, splice or terminate on SNI",
        f"{'':<36} {'conn/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'wrong':>7}",
    ]
    for variant, row in results["https"].items():
        lines.append(
            f"{variant} {VARIANTS[variant]:<34} {row['per_s']:>8,.0f} {row['p50_ms']:>7.1f} "
            f"{row['p99_ms']:>7.1f} {row['wrong']:>7}"
        )
    lines.append(
        "(latency of the allowed connections; wrong: allowed but failed, or blocked but through)"
    )
    if results.get("https_inspected"):
        lines += [
            "",
            f"HTTPS inspected: the same, {plan['https_per_round']} connections a round; peek at "
            "step 1, then bump (decrypt: the client trusts the proxy's CA and checks the "
            "certificate it makes for the host) or terminate; then kept connections: "
            f"{HTTPS_CONCURRENCY} at once, one CONNECT + handshake and {plan['kept_requests']} "
            "GETs each, every GET decided",
            f"{'':<36} {'conn/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'wrong':>7} {'squid%':>7} "
            f"{'helpers%':>8} | {'kept req/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'failed':>7} "
            f"{'squid%':>7} {'helpers%':>8}",
        ]
        for variant, row in results["https_inspected"].items():
            kept = row["kept"]
            lines.append(
                f"{variant} {VARIANTS[variant]:<34} {row['per_s']:>8,.0f} {row['p50_ms']:>7.1f} "
                f"{row['p99_ms']:>7.1f} {row['wrong']:>7} {row['cpu']['squid']:>7.0f} "
                f"{row['cpu']['helpers']:>8.0f} | {kept['rps']:>10,.0f} {kept['p50_ms']:>7.2f} "
                f"{kept['p99_ms']:>7.2f} {kept['failed']:>7} {kept['cpu']['squid']:>7.0f} "
                f"{kept['cpu']['helpers']:>8.0f}"
            )
        for variant, row in results["https_inspected"].items():
            for phase, cpu in (("connections", row), ("kept", row["kept"])):
                helpers = {
                    k: v for k, v in cpu["cpu_by_process"].items() if k != "squid" and v >= 0.5
                }
                if helpers:
                    parts = ", ".join(
                        f"{k} {v:.0f}%" for k, v in sorted(helpers.items(), key=lambda x: -x[1])
                    )
                    lines.append(f"  {variant} {phase}, helpers by process name: {parts}")
    ratios = _ratios(results)
    if ratios:
        lines += ["", "ratios"] + [f"  {k:<30} {v:6.2f}" for k, v in ratios.items()]
    propagation = results.get("propagation")
    if propagation:
        p = propagation
        lines += [
            "",
            f"propagation (C): {p['trials']} trials, sanction recorded -> first denied "
            f"request (polling every {p['poll_ms']:.0f} ms): p50 {p['forbid_ms_p50']:.0f} ms, "
            f"p99 {p['forbid_ms_p99']:.0f} ms, max {p['forbid_ms_max']:.0f} ms; "
            f"{p['timeouts']} not denied within {p['timeout_s']:.0f} s; "
            f"quashed -> allowed again p50 {p['lift_ms_p50']:.0f} ms, p99 {p['lift_ms_p99']:.0f} ms",
            f"C's audit log at the end: {p['audit_request_events']:,} gateway.request events "
            f"for {p['requests_sent_to_c']:,} requests sent to C (fewer: the recorder lags; "
            "more: it records some twice)",
        ]
    lines += ["", "targets"]
    for target in report["targets"]:
        mark = "ok  " if target["pass"] else "MISS"
        lines.append(f"  {mark} {target['target']}: {target['measured']:,.2f} {target['unit']}")
    for note in report["notes"]:
        lines.append(f"note: {note}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
