"""The offline library through the web gateway: pages a second from kiwix-serve through
the real Squid, its helpers and a prisoner's session, against kiwix-serve asked directly
(the limit), as a ratio. Target: at least 0.8x. Squid alone in front of kiwix-serve is
measured too, so that the gap splits into Squid's part and Wicketgate's own.

    .venv/bin/python benchmarks/library.py [--quick] [--seconds N] [--rounds N] [--pages N]

Run as root (Squid starts as root and drops to ``proxy``; the gateway's test upstreams
live in a network namespace) with squid-openssl, kiwix-tools and wrk installed.

Everything is the product's: a fresh SQLite database with the test personas, a policy
whose catalogue has one book as an internal site (EDUCATION, which a rule allows) with
the paths ``book_paths`` gives, a device session for Alan, the gateway as the adversarial
tests run it (``wicketgate.testing.gateway.running_gateway``: Squid from
``deploy/squid``, the gateway service deciding each request), and kiwix-serve as
``wicketgate learning library run`` starts it (``wicketgate.testing.kiwix``), serving a
ZIM book of ``--pages`` pages (about 6 KB of HTML each) made with libzim.

The three variants, all on the one kiwix-serve:

direct. ``GET /<book>/A/page-N`` to kiwix-serve: the limit.
squid_alone. Squid alone in front of kiwix-serve, no Wicketgate helpers deciding: variant
   U of ``benchmarks/gateway.py`` ("Squid, no filtering"), built by that script's own
   code (``Bench._start_squid``, its ``benchmarks/gateway/squid.conf.in``): it listens,
   logs every request (``access_log stdio:``) and requires proxy credentials
   (``proxy_auth REQUIRED`` with ``basic_fake_auth``, cached 2 h) as the gateway does, then
   allows everything; its hosts file names the library's host at kiwix-serve's address,
   as the gateway's does (``write_hosts``).
gateway. Absolute-form ``GET http://<library host>:<port>/<book>/A/page-N`` with Alan's
   ``Proxy-Authorization``, every request decided by Wicketgate's policy and logged by
   Squid. squid_alone is sent the very same requests.

Load: wrk, 2 threads, 20 connections, for ``--seconds`` a round; each request a page of
the book picked in turn from all of them. kiwix-serve closes every connection after one
answer (``Connection: close``: the script asks it with ``curl -v`` and records the
headers), so the direct figure includes a TCP connection a page, and so does each
Squid's connection to it: Squid cannot keep a connection the server closes. The script
shows it two ways: the TCP connections this machine accepted during each round (the
kernel's ``PassiveOpens``, machine-wide, so other work on the box adds a little) per page
served, and, for squid_alone, Squid's own pool of idle server connections (the cache
manager's ``pconn`` page: empty when no connection to kiwix-serve was ever kept). The
variants alternate (direct, squid_alone, gateway, direct, ...) for ``--rounds`` rounds;
the table shows the medians, the ratios (gateway / direct: the target's; gateway /
squid_alone: Wicketgate's own part) and notes, which the results file keeps too, with
every round and Squid alone's squid.conf. The machine's cores are shared by wrk, both
Squids, the helpers, the gateway service (in this process) and kiwix-serve. This is a
script, not a test: a missed target is a finding.
"""

# ruff: noqa: S603, S607 - it runs tools it names itself

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "library.json"
GATEWAY_BENCH = ROOT / "benchmarks" / "gateway.py"  # builds the Squid-alone variant (its U)
SQUID_ALONE = "U"  # benchmarks/gateway.py's "Squid, no filtering (reference)"
TEMPLATE = ROOT / "deploy" / "squid" / "squid.conf.template"
VARIANTS = {
    "direct": "kiwix-serve directly (limit)",
    "squid_alone": "Squid alone in front of kiwix-serve",
    "gateway": "gateway (Squid + Wicketgate decide)",
}
TARGET = 0.8
THREADS = 2
CONNECTIONS = 20
BOOK = "reader"
HOST = "library.prison.test"
POLICY = """
sites:
  - {name: Readers' library, hosts: [HOST], category: EDUCATION, internal: true,
     ports: [PORT], paths: PATHS}
rules:
  - {id: learning, allow: [EDUCATION]}
"""
# The pages, in turn; through a proxy, in absolute form with the session's credentials.
LUA = """
local paths, auth, prefix, host, i = {}, nil, "", nil, 0
function init(args)
  for line in io.lines(args[1]) do table.insert(paths, line) end
  prefix = args[2] or ""
  auth = args[3]
  host = args[4]
  i = math.random(#paths) - 1
end
function request()
  i = i % #paths + 1
  local headers = {}
  if auth and auth ~= "" then headers["Proxy-Authorization"] = "Basic " .. auth end
  if host and host ~= "" then headers["Host"] = host end
  return wrk.format("GET", prefix .. paths[i], headers)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, ' ..
    '"errors": %d, "p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 4 s")
    parser.add_argument("--seconds", type=int, help="seconds a round for each (default 10)")
    parser.add_argument("--rounds", type=int, help="rounds (default 5)")
    parser.add_argument("--pages", type=int, default=200, help="pages in the book")
    args = parser.parse_args()
    if os.geteuid() != 0:
        parser.error("run as root: Squid starts as root and drops privileges")
    missing = [t for t in ("squid", "wrk", "kiwix-serve", "curl", "openssl") if not shutil.which(t)]
    if missing:
        parser.error(f"not installed: {', '.join(missing)}")
    plan = {
        "rounds": args.rounds or (2 if args.quick else 5),
        "seconds": args.seconds or (4 if args.quick else 10),
        "pages": args.pages,
        "threads": THREADS,
        "connections": CONNECTIONS,
    }
    data = Path(tempfile.mkdtemp(prefix="wicketgate-bench-library-", dir="/tmp"))
    data.chmod(0o755)
    os.environ.update(
        {
            "WICKETGATE_DATA_DIR": str(data),
            "DJANGO_SETTINGS_MODULE": "wicketgate.settings",
            "WICKETGATE_SECURE_COOKIES": "0",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    try:
        results, extra = run(data, plan)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    report = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "machine": _machine(),
        "plan": plan,
        "variants": VARIANTS,
        "results": results,
        **extra,
    }
    print(table(report))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {RESULTS.relative_to(ROOT)}")
    return 0


def run(data: Path, plan: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    from django.conf import settings

    from wicketgate.learning.library import book_paths, install_book
    from wicketgate.learning.zim import html_page, make_zim
    from wicketgate.policy.codes import DEFAULT_CATEGORIES
    from wicketgate.policy.models import Category
    from wicketgate.testing.gateway import device_session, running_gateway
    from wicketgate.testing.kiwix import get, running_kiwix
    from wicketgate.testing.personas import build_estate
    from wicketgate.testing.policy import import_policy

    for code, name in DEFAULT_CATEGORIES:
        Category.objects.get_or_create(code=code, defaults={"name": name})
    estate = build_estate()
    filler = "<p>" + "The square on the hypotenuse is the sum of the other two. " * 100 + "</p>"
    pages = {
        f"page-{n}": html_page(f"Page {n}", f"<p>page {n}</p>{filler}")
        for n in range(plan["pages"])
    }
    source = make_zim(data / f"{BOOK}.zim", title="Reader", pages=pages, main="page-0")
    paths = [f"/{BOOK}/A/page-{n}" for n in range(plan["pages"])]
    results: dict[str, Any] = {}
    with running_kiwix(data / "kiwix") as kiwix:
        install_book(kiwix.setup, source, BOOK)
        deadline = time.monotonic() + 10
        while get(f"{kiwix.base_url}{paths[0]}")[0] != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("kiwix-serve did not serve the book in 10 s")
            time.sleep(0.05)
        headers = _kiwix_headers(kiwix.base_url + paths[0])
        import_policy(
            data,
            POLICY.replace("HOST", HOST)
            .replace("PORT", str(kiwix.port))
            .replace("PATHS", json.dumps(book_paths(BOOK))),
            None,
        )
        settings.WICKETGATE_LIBRARY_HOST = HOST
        settings.WICKETGATE_LIBRARY_LISTEN = f"127.0.0.1:{kiwix.port}"
        alone = _squid_alone(kiwix.setup.reachable_address)
        try:
            with running_gateway(settings) as gateway:
                session, password = device_session(estate, "LAPTOP-BENCH", who="a", gateway=gateway)
                credentials = f"{session.username}:{password}"
                base = f"http://{HOST}:{kiwix.port}"
                alone_proxy = f"http://127.0.0.1:{alone.ports[SQUID_ALONE]}"
                for name, proxy in (("gateway", gateway.proxy), ("squid_alone", alone_proxy)):
                    status, body = _through(proxy, base + paths[1], credentials)
                    if status != 200 or "page 1" not in body:
                        raise RuntimeError(f"{name} did not serve the book: {status} {body[:300]}")
                folder = data / "wrk"
                folder.mkdir()
                (folder / "paths.txt").write_text("\n".join(paths) + "\n")
                (folder / "pages.lua").write_text(LUA)
                token = base64.b64encode(credentials.encode()).decode()
                variants = {
                    "direct": (kiwix.base_url + "/", ""),
                    "squid_alone": (alone_proxy + "/", token),
                    "gateway": (gateway.proxy + "/", token),
                }
                rounds = _rounds(folder, variants, base, plan)
                pconn = _pconn(alone_proxy, token)
            squid_conf = alone.configs[SQUID_ALONE]
        finally:
            alone.stop()
    for name, runs in rounds.items():
        results[name] = {
            "pages_per_second": round(statistics.median(r["rps"] for r in runs), 1),
            "p50_ms": round(statistics.median(r["p50_ms"] for r in runs), 2),
            "p99_ms": round(statistics.median(r["p99_ms"] for r in runs), 2),
            "not_200": sum(r["non2xx"] + r["errors"] for r in runs),
            "requests": sum(r["requests"] for r in runs),
            "tcp_accepts_per_page": round(
                statistics.median(r["tcp_accepts"] / max(r["requests"], 1) for r in runs), 3
            ),
            "rounds": runs,
        }
    pps = {name: results[name]["pages_per_second"] for name in VARIANTS}
    results["ratio"] = round(pps["gateway"] / pps["direct"], 3)
    results["ratio_gateway_over_squid_alone"] = round(pps["gateway"] / pps["squid_alone"], 3)
    results["ratio_squid_alone_over_direct"] = round(pps["squid_alone"] / pps["direct"], 3)
    gap = pps["direct"] - pps["gateway"]
    results["gap_share_wicketgate"] = (
        round((pps["squid_alone"] - pps["gateway"]) / gap, 3) if gap > 0 else None
    )
    results["target"] = TARGET
    results["pass"] = results["ratio"] >= TARGET
    results["upstream_connections"] = _upstream_connections(headers, pconn, results)
    extra = {
        "notes": _notes(results),
        "configs": {"squid_alone": squid_conf},
    }
    return results, extra


def _gateway_bench() -> ModuleType:
    """benchmarks/gateway.py as a module: its Bench builds the reference Squid variants."""
    spec = importlib.util.spec_from_file_location("wicketgate_bench_gateway", GATEWAY_BENCH)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {GATEWAY_BENCH}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _squid_alone(address: str) -> Any:
    """Variant U of benchmarks/gateway.py, made and started by that script's own code, in
    front of the library: its hosts file names the library's host at kiwix-serve's
    address (as the gateway's own hosts file does) and its allowlist is that host."""
    bench = _gateway_bench().Bench({"variants": [SQUID_ALONE]})
    try:
        bench.allowed, bench.blocked = [HOST], []
        (bench.dir / "allowed.txt").write_text(f"{HOST}\n")
        (bench.dir / "hosts").write_text(f"{address} {HOST}\n")
        bench._certificates()  # the throwaway certificate its http_port names
        bench._start_squid(SQUID_ALONE)
    except BaseException:
        bench.stop()
        raise
    return bench


def _through(proxy: str, url: str, credentials: str) -> tuple[int, str]:
    """(status, body) of ``url`` fetched by curl through the proxy at ``proxy``."""
    command = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "10"]
    done = subprocess.run(
        [*command, "-x", proxy, "-U", credentials, url],
        capture_output=True,
        text=True,
        check=False,
    )
    body, _, code = done.stdout.rpartition("\n")
    return int(code or 0), body


def _rounds(
    folder: Path, variants: dict[str, tuple[str, str]], base: str, plan: dict[str, Any]
) -> dict[str, list[dict[str, Any]]]:
    # Warm up each, then alternate.
    for url, auth in variants.values():
        _wrk(folder, url, auth, base if auth else "", 2)
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    for _ in range(plan["rounds"]):
        for name, (url, auth) in variants.items():
            rounds[name].append(_wrk(folder, url, auth, base if auth else "", plan["seconds"]))
            time.sleep(1)
    return rounds


def _wrk(folder: Path, url: str, auth: str, prefix: str, seconds: int) -> dict[str, Any]:
    command = [
        "wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s",
        "-s", str(folder / "pages.lua"), url, "--", str(folder / "paths.txt"), prefix, auth,
        prefix.removeprefix("http://"),
    ]  # fmt: skip
    accepted = _passive_opens()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    accepted = _passive_opens() - accepted
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(line[len("WRKJSON ") :])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["p50_ms"] = result.pop("p50_us") / 1000
    result["p99_ms"] = result.pop("p99_us") / 1000
    result["tcp_accepts"] = accepted
    return result


def _passive_opens() -> int:
    """TCP connections this machine has accepted so far (/proc/net/snmp, PassiveOpens)."""
    lines = [
        x.split() for x in Path("/proc/net/snmp").read_text().splitlines() if x.startswith("Tcp:")
    ]
    return int(lines[1][lines[0].index("PassiveOpens")])


def _kiwix_headers(url: str) -> dict[str, Any]:
    """The response headers of two pages asked of kiwix-serve on one ``curl -v``."""
    done = subprocess.run(
        ["curl", "-sv", "-o", "/dev/null", "-o", "/dev/null", "--max-time", "10", url, url],
        capture_output=True,
        text=True,
        check=False,
    )
    received = [x[2:].strip() for x in done.stderr.splitlines() if x.startswith("< ")]
    first = received[: received.index("")] if "" in received else received
    connections = sum(1 for x in done.stderr.splitlines() if x.startswith("* Connected to "))
    reused = "Re-using existing connection" in done.stderr
    return {
        "response_headers": first,
        "curl_connections_for_2_pages": connections,
        "reused": reused,
    }


def _pconn(proxy: str, token: str) -> dict[str, Any]:
    """Squid alone's pool of idle server connections: the cache manager's ``pconn`` page
    (Squid answers it to anyone its http_access allows), with its histogram of requests
    per server connection kept for reuse; empty when no connection was ever kept."""
    url = f"{proxy}/squid-internal-mgr/pconn"
    done = subprocess.run(
        ["curl", "-s", "--max-time", "10", "-H", f"Proxy-Authorization: Basic {token}", url],
        capture_output=True,
        text=True,
        check=False,
    )
    text = done.stdout
    server, histogram = False, {}
    for line in text.splitlines():
        if "persistent connection counts" in line:
            server = "server" in line
            continue
        parts = line.split()
        if server and len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            histogram[int(parts[0])] = int(parts[1])
    return {"server_requests_per_kept_connection": histogram, "page": text.strip()[-2000:]}


def _upstream_connections(
    headers: dict[str, Any], pconn: dict[str, Any], results: dict[str, Any]
) -> dict[str, Any]:
    values = [h.split(":", 1)[1].strip().lower() for h in headers["response_headers"]
              if h.lower().startswith("connection:")]  # fmt: skip
    accepts = {n: results[n]["tcp_accepts_per_page"] for n in VARIANTS}
    # wrk keeps its 20 connections to a proxy, so about one connection accepted a page
    # through a proxy is the proxy's own connection to kiwix-serve.
    per_page = min(accepts["squid_alone"], accepts["gateway"])
    return {
        "kiwix_serve": headers,
        "kiwix_sends_connection_close": "close" in values,
        "tcp_accepts_per_page": accepts,
        "squid_alone_pconn_server_requests_per_kept_connection": pconn[
            "server_requests_per_kept_connection"
        ],
        "squid_new_connection_per_request": "close" in values and per_page >= 0.95,
        "squid_alone_pconn_page": pconn["page"],
    }


def _notes(results: dict[str, Any]) -> list[str]:
    up = results["upstream_connections"]
    notes = []
    close = "sends" if up["kiwix_sends_connection_close"] else "does not send"
    notes.append(
        f"kiwix-serve {close} 'Connection: close' on every answer (curl -v, two pages on one "
        f"command: {up['kiwix_serve']['curl_connections_for_2_pages']} connections)"
    )
    accepts = up["tcp_accepts_per_page"]
    per_page = ", ".join(f"{n} {accepts[n]:.2f}" for n in VARIANTS)
    kept = up["squid_alone_pconn_server_requests_per_kept_connection"]
    pool = f"kept for reuse: {kept}" if kept else "none ever kept for reuse"
    if up["squid_new_connection_per_request"]:
        notes.append(
            "Squid does not reuse its connections to kiwix-serve: it is forced to open a new "
            f"TCP connection for every page (TCP connections accepted per page: {per_page}; "
            f"Squid alone's pool of idle server connections (pconn): {pool})"
        )
    else:
        notes.append(
            f"TCP connections accepted per page: {per_page}; Squid alone's pool of idle "
            f"server connections (pconn): {pool}"
        )
    cache_control = [h for h in up["kiwix_serve"]["response_headers"]
                     if h.lower().startswith(("cache-control:", "etag:"))]  # fmt: skip
    if "\ncache deny all\n" in TEMPLATE.read_text() and cache_control:
        notes.append(
            "deploy/squid/squid.conf.template has 'cache deny all' (and cache_mem 16 MB), "
            f"while kiwix-serve marks its pages cacheable ({'; '.join(cache_control)}): "
            "not changed here"
        )
    return notes


def _machine() -> dict[str, Any]:
    def version(command: list[str]) -> str:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"
        return (
            (done.stdout + done.stderr).strip().splitlines()[0]
            if done.stdout + done.stderr
            else "unknown"
        )

    return {
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "squid": version(["squid", "-v"]),
        "kiwix-serve": version(["kiwix-serve", "--version"]),
        "wrk": version(["wrk", "--version"]),
    }


def table(report: dict[str, Any]) -> str:
    plan, results = report["plan"], report["results"]
    lines = [
        "Offline library benchmark: kiwix-serve through the gateway, through Squid alone and "
        "directly",
        f"machine: nproc {report['machine']['nproc']}, {report['machine']['platform']}",
        f"load: wrk {plan['threads']} threads, {plan['connections']} connections, a book of "
        f"{plan['pages']} pages; {plan['rounds']} rounds x {plan['seconds']} s each, "
        "alternating; medians",
        "",
        f"{'':<36} {'pages/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'not 200':>8} {'conn/page':>10}",
    ]
    for name, label in VARIANTS.items():
        r = results[name]
        lines.append(
            f"{label:<36} {r['pages_per_second']:>9,.0f} {r['p50_ms']:>8.2f} "
            f"{r['p99_ms']:>8.2f} {r['not_200']:>8} {r['tcp_accepts_per_page']:>10.2f}"
        )
    mark = "ok  " if results["pass"] else "MISS"
    share = results["gap_share_wicketgate"]
    lines += [
        "(conn/page: TCP connections the machine accepted during the rounds, per page served)",
        "",
        f"ratio Wicketgate / direct:      {results['ratio']:.2f}x",
        f"ratio Wicketgate / Squid alone: {results['ratio_gateway_over_squid_alone']:.2f}x"
        + (
            f"  (Wicketgate's own share of the gap to direct: {share:.0%})"
            if share is not None
            else ""
        ),
        f"ratio Squid alone / direct:     {results['ratio_squid_alone_over_direct']:.2f}x",
        f"{mark} target: pages/s through the gateway >= {TARGET} x kiwix-serve directly",
    ]
    if report.get("notes"):
        lines += ["", "notes:", *(f"- {note}" for note in report["notes"])]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
