"""Phone calls through Kamailio: call attempts a second and setup time with Wicketgate's
authorisation, against the same Kamailio routing the same calls with none (the limit);
and from a new sanction to the call being hung up.

    .venv/bin/python benchmarks/phone.py [--calls 400] [--concurrent 20] [--ends 20]

Everything is the product's: a fresh SQLite database with the test personas and
``--concurrent`` x 5 prisoners (each with a phone PIN, Mum's number approved and credit),
the web app under gunicorn (2 workers, as ``wicketgate up`` runs it), Debian's Kamailio
configured from ``deploy/kamailio``, SIPp handsets (digest credentials, a call each:
INVITE, 407, INVITE, 200, ACK, BYE after 100 ms) and a SIPp trunk that answers at once.

1. Attempts: ``--calls`` calls, at most ``--concurrent`` at a time, as fast as they go,
   through Kamailio asking Wicketgate (HA1, the decision, the answer and the end: four
   questions and the call's records), then through the same Kamailio with the asking
   taken out (the same routing, dialog and topology hiding; no digest, no questions): the
   limit. Calls a second, and setup time (first INVITE to 200 OK, SIPp's own clock) p50
   and p99, for each, and the ratio.
2. Ending: ``--ends`` times, a call is up, a phone sanction is given, and the watcher's
   rounds (every 0.5 s, ``wicketgate phone watch``) hang it up: from the sanction to the
   handset getting Kamailio's BYE, p50 and p99.

The 2 cores are shared by SIPp, Kamailio, gunicorn and SQLite. This is a script, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "phone.json"
BENCH_SCENARIOS = ROOT / "benchmarks" / "phone"
PIN = "2468"
MUM = "02079460101"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--concurrent", type=int, default=20)
    parser.add_argument("--ends", type=int, default=20)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="wicketgate-bench-phone-", dir="/tmp"))
    data.chmod(0o755)  # Kamailio's user may need to enter it
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
    try:
        results = run(data, args.calls, args.concurrent, args.ends)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    report = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "results": results,
    }
    print(table(results))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {RESULTS.relative_to(ROOT)}")
    return 0


def run(data: Path, calls: int, concurrent: int, ends: int) -> dict[str, Any]:
    import datetime as dt

    from wicketgate.gateway.actions import do_register_device
    from wicketgate.people.models import Prisoner
    from wicketgate.phone.actions import (
        do_add_phone_credit,
        do_add_phone_number,
        do_set_phone_pin,
    )
    from wicketgate.phone.kamailio import ask_key
    from wicketgate.phone.models import PhoneCall, PhoneSettings
    from wicketgate.testing.kamailio import free_udp_port, running_kamailio, sip_trunk
    from wicketgate.testing.personas import SETUP, build_estate

    estate = build_estate()
    do_register_device(
        device_id="NGT-PH-BENCH",
        establishment=estate.a,
        location=estate.a_wing,
        kind="phone",
        address="127.0.0.1",
        actor=SETUP,
    )
    PhoneSettings.objects.create(establishment=estate.a, hours="Mon-Sun 00:00-24:00")
    people = []
    for n in range(concurrent * 5):
        prisoner = Prisoner.objects.create(
            prison_number=f"K{n:04d}BN",
            given_name="Bench",
            family_name=f"Caller{n}",
            date_of_birth=dt.date(1990, 1, 1),
            establishment=estate.a,
            security_category="C",
            incentive_level="ENH",
            legal_status="SENTENCED",
        )
        do_set_phone_pin(prisoner, PIN, actor=SETUP)
        do_add_phone_number(prisoner, MUM, name="Mum", kind="social", actor=SETUP)
        do_add_phone_credit(prisoner, 5000, reason="Benchmark", actor=SETUP)
        people.append(prisoner.prison_number)
    port = free_udp_port()
    ask = f"http://127.0.0.1:{port}/phone/kamailio/{ask_key()}"
    results: dict[str, Any] = {}
    for name, limit in (("wicketgate", False), ("no authorisation (limit)", True)):
        with (
            sip_trunk() as trunk,
            running_kamailio(
                ask,
                realm="wicketgate",
                trunk_port=trunk.port,
                edit=_without_asking if limit else None,
            ) as kamailio,
            _web(port, kamailio),
        ):
            results[name] = _load(kamailio.port, people, calls, concurrent, auth=not limit)
            if results[name]["failed"]:
                print(f"Kamailio's log:\n{kamailio.log()[-3000:]}")
        print(f"{name}: {results[name]}", flush=True)
    placed = PhoneCall.objects.count()
    results["calls recorded"] = placed
    results["ratio"] = round(
        results["wicketgate"]["calls_per_second"]
        / results["no authorisation (limit)"]["calls_per_second"],
        3,
    )
    results["ending"] = _endings(ask, port, people[0], ends)
    return results


def _media_env(kamailio: Any) -> dict[str, str]:
    """The web app and the watcher ask this Kamailio's rtpengine, read announcements it
    can read, and ask no key of the called person (the trunk presses none)."""
    return {
        **os.environ,
        "WICKETGATE_PHONE_MEDIA_CONTROL": kamailio.media.setup.control,
        "WICKETGATE_PHONE_ANNOUNCEMENTS_DIR": str(kamailio.media.folder / "announcements"),
        "WICKETGATE_PHONE_ACCEPT_KEY": "",
        "WICKETGATE_PHONE_RPC_SOCKET": str(kamailio.setup.rpc_socket),
    }


@contextmanager
def _web(port: int, kamailio: Any) -> Iterator[None]:
    web = _gunicorn(port, _media_env(kamailio))
    try:
        yield
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=20)


def _gunicorn(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "wicketgate.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--graceful-timeout",
            "5",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import urllib.request

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start in 30 s")


def _without_asking(config: str) -> str:
    """The same configuration with the asking taken out: no digest, no questions, no
    reports; the call routed as an allowed one is (dialog, topology hiding, uac, its audio
    through rtpengine)."""
    text = config.replace(
        "\troute(AUTH);\n\troute(DECIDE);",
        '\t$var(limit) = 60; $var(number) = "+442079460101"; $var(call) = 1;',
    )
    if text == config:
        raise RuntimeError("the configuration no longer has route(AUTH) and route(DECIDE)")
    text = re.sub(r"event_route\[dialog:[a-z]+\] \{.*?\n\}\n", "", text, flags=re.S)
    # The media session still goes with the call, as it does with the asking.
    return text + (
        "\nevent_route[dialog:end] {\n"
        '\trtpengine_delete("call-id=$dlg(callid) from-tag=$dlg(from_tag)");\n}\n'
    )


def free_udp_port() -> int:
    from wicketgate.testing.kamailio import free_udp_port as free

    return free()


def _load(
    port: int, people: list[str], calls: int, concurrent: int, *, auth: bool
) -> dict[str, Any]:
    """``concurrent`` handsets, each a SIPp placing its share of the calls one after the
    other as one prisoner (SIPp takes one set of digest credentials a process; and a
    prisoner has one call at a time)."""
    folder = Path(tempfile.mkdtemp(prefix="wg-bench-sipp-"))
    try:
        scenario = BENCH_SCENARIOS / ("handset_auth.xml" if auth else "handset_plain.xml")
        handsets = []
        started = time.monotonic()
        for n in range(concurrent):
            own = folder / f"handset{n}"
            own.mkdir()
            (own / "me.csv").write_text(f"SEQUENTIAL\n{people[n]};{PIN}\n")
            handsets.append(
                subprocess.Popen(  # noqa: S603 - SIPp, our scenario
                    [
                        "/usr/bin/sipp",
                        f"127.0.0.1:{port}",
                        "-sf",
                        str(scenario),
                        "-inf",
                        str(own / "me.csv"),
                        "-au",
                        people[n],
                        "-ap",
                        PIN,
                        "-s",
                        MUM,
                        "-i",
                        "127.0.0.1",
                        "-p",
                        str(free_udp_port()),
                        "-m",
                        str(calls // concurrent),
                        "-l",
                        "1",
                        "-r",
                        "1000",
                        "-d",
                        "100",
                        "-nostdin",
                        "-timeout",
                        "120",
                        "-trace_rtt",
                        "-rtt_freq",
                        "1",
                        "-trace_stat",
                        "-fd",
                        "1",
                        "-trace_err",
                    ],  # fmt: skip
                    cwd=own,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        codes = [handset.wait(timeout=600) for handset in handsets]
        elapsed = time.monotonic() - started
        errors = "".join(p.read_text(errors="replace") for p in folder.glob("*/*_errors.log"))
        if errors:
            print(f"SIPp's errors ({'with' if auth else 'without'} asking):\n{errors[-1500:]}")
        times = [t for own in folder.iterdir() for t in _setup_times(own)]
        stats = [_last_stats(own) for own in folder.iterdir()]
        succeeded = sum(int(stat.get("SuccessfulCall(C)", 0)) for stat in stats)
        return {
            "calls": calls // concurrent * concurrent,
            "succeeded": succeeded,
            "failed": sum(int(stat.get("FailedCall(C)", 0)) for stat in stats),
            "seconds": round(elapsed, 2),
            "calls_per_second": round(succeeded / elapsed, 1),
            "setup_ms_p50": round(statistics.median(times), 1) if times else None,
            "setup_ms_p99": round(_percentile(times, 99), 1) if times else None,
            "sipp_exits": sorted(set(codes)),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _setup_times(folder: Path) -> list[float]:
    """SIPp's rtt file: "Date_ms;response_time_ms;rtd_no" (whole milliseconds)."""
    times: list[float] = []
    for rtt in folder.glob("*_rtt.csv"):
        for line in rtt.read_text().splitlines()[1:]:
            parts = line.split(";")
            if len(parts) >= 2 and parts[1].strip():
                times.append(float(parts[1]))
    return times


def _last_stats(folder: Path) -> dict[str, str]:
    for stat in folder.glob("*_.csv"):
        lines = [line for line in stat.read_text().splitlines() if line.strip()]
        if len(lines) >= 2:
            return dict(zip(lines[0].split(";"), lines[-1].split(";"), strict=False))
    return {}


def _endings(ask: str, port: int, prison_number: str, ends: int) -> dict[str, Any]:
    """From a new phone sanction to the handset hearing the BYE, with the watcher
    running as ``wicketgate up`` runs it."""
    import threading

    from wicketgate.conduct.actions import do_add_sanction, do_quash_sanction
    from wicketgate.people.models import Prisoner
    from wicketgate.phone.models import PhoneCall
    from wicketgate.testing.kamailio import call, running_kamailio, sip_trunk
    from wicketgate.testing.personas import SETUP

    prisoner = Prisoner.objects.get(prison_number=prison_number)
    took: list[float] = []
    with (
        sip_trunk() as trunk,
        running_kamailio(ask, realm="wicketgate", trunk_port=trunk.port) as kamailio,
        _web(port, kamailio),
    ):
        env = {**_media_env(kamailio), "WICKETGATE_PHONE_KEYS_LISTEN": f"127.0.0.1:{port + 1}"}
        watcher = subprocess.Popen(  # noqa: S603 - our own console script
            [str(Path(sys.executable).with_name("wicketgate")), "phone", "watch"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(ends):
                handset = threading.Thread(
                    target=call,
                    kwargs={"kamailio": kamailio, "user": prison_number, "pin": PIN,
                            "number": MUM, "expect": 200},
                )  # fmt: skip
                handset.start()
                deadline = time.monotonic() + 15
                while not PhoneCall.objects.filter(prisoner=prisoner, state="answered").exists():
                    if time.monotonic() > deadline:
                        raise RuntimeError("the call was not answered in 15 s")
                    time.sleep(0.05)
                sanction = do_add_sanction(
                    prisoner=prisoner, service="phone", days=1, reason="Benchmark", actor=SETUP
                )
                given = time.monotonic()
                handset.join(timeout=15)
                took.append((time.monotonic() - given) * 1000)
                do_quash_sanction(sanction, reason="Benchmark over", actor=SETUP)
        finally:
            watcher.send_signal(signal.SIGTERM)
            watcher.wait(timeout=10)
    return {
        "samples": len(took),
        "ms_p50": round(statistics.median(took), 1),
        "ms_p99": round(_percentile(took, 99), 1),
        "ms_max": round(max(took), 1),
    }


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def table(results: dict[str, Any]) -> str:
    rows = [
        "| | calls/s | setup p50 (ms) | setup p99 (ms) | succeeded / failed |",
        "|---|---|---|---|---|",
    ]
    for name in ("wicketgate", "no authorisation (limit)"):
        r = results[name]
        rows.append(
            f"| {name} | {r['calls_per_second']} | {r['setup_ms_p50']} | {r['setup_ms_p99']} "
            f"| {r['succeeded']} / {r['failed']} |"
        )
    rows.append(f"\nratio (Wicketgate / limit): {results['ratio']}x")
    ending = results["ending"]
    rows.append(
        f"sanction to BYE at the handset: p50 {ending['ms_p50']} ms, p99 {ending['ms_p99']} ms "
        f"(max {ending['ms_max']} ms, {ending['samples']} calls)"
    )
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
