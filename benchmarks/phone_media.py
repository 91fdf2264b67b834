"""rtpengine's CPU per concurrent call: Debian's rtpengine as ``wicketgate phone media``
runs it (configured from ``deploy/rtpengine``, userspace forwarding), relaying G.711
both ways for 10, 40 and 80 calls at once, each recorded (as social and official calls
are: pcap of each side) or not (as legal calls are).

    .venv/bin/python benchmarks/phone_media.py [--seconds 10] [--calls 10,40,80]

Each call is set up as Kamailio sets it up (ng ``offer`` and ``answer``, with
``record-call`` for the recorded ones), then both of its sides send a 160-byte PCMA packet
every 20 ms from their own sockets (one Python thread paces them all). rtpengine's CPU is
read from /proc (user + system time) over ``--seconds``, less what it uses idle, and given
as a share of one core: for all the calls, and per call. The peer is the same relay not
recording. The 2 cores are shared by the sender and rtpengine. This is a script, not a
test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import socket
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "phone_media.json"
TICKS = os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--calls", default="10,40,80")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wicketgate.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    levels = [int(n) for n in args.calls.split(",")]
    results = run(levels, args.seconds)
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


def run(levels: list[int], seconds: float) -> dict[str, Any]:
    from wicketgate.testing.kamailio import running_rtpengine

    rows: list[dict[str, Any]] = []
    with running_rtpengine(ports=max(levels) * 4 + 100) as relay:
        control = relay.setup.control
        idle = _cpu_share(relay.process.pid, seconds / 2)
        for recorded in (False, True):
            for calls in levels:
                sides = _set_up(control, calls, recorded=recorded)
                try:
                    sending = _Sender(sides)
                    sending.start()
                    time.sleep(1)  # every side latched
                    used = _cpu_share(relay.process.pid, seconds) - idle
                    sent = sending.stop()
                finally:
                    _tear_down(control, calls, sides)
                rows.append(
                    {
                        "calls": calls,
                        "recorded": recorded,
                        "cpu_percent_of_a_core": round(used * 100, 2),
                        "cpu_percent_per_call": round(used * 100 / calls, 3),
                        "packets_per_second_sent": round(sent, 0),
                    }
                )
    by = {(r["calls"], r["recorded"]): r for r in rows}
    ratios = {
        str(calls): round(
            by[(calls, True)]["cpu_percent_per_call"]
            / max(by[(calls, False)]["cpu_percent_per_call"], 0.001),
            2,
        )
        for calls in levels
    }
    return {"idle_cpu_percent": round(idle * 100, 2), "rows": rows, "recorded_vs_not": ratios}


def _cpu_share(pid: int, seconds: float) -> float:
    """The share of one core ``pid`` used over the next ``seconds``."""

    def used() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime

    before, started = used(), time.monotonic()
    time.sleep(seconds)
    return (used() - before) / (time.monotonic() - started)


def _sdp(port: int) -> str:
    return (
        f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n"
    )


def _port(sdp: str) -> int:
    found = re.search(r"m=audio (\d+)", sdp)
    if found is None:
        raise RuntimeError(f"no media in rtpengine's SDP: {sdp}")
    return int(found.group(1))


def _set_up(control: str, calls: int, *, recorded: bool) -> list[tuple[socket.socket, int]]:
    """Each call's two sides: a socket, and the rtpengine port it sends to."""
    from wicketgate.phone.rtpengine import ask

    sides = []
    flags = {"record-call": "yes"} if recorded else {}
    for number in range(calls):
        handset, trunk = (socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2))
        for side in (handset, trunk):
            side.bind(("127.0.0.1", 0))
            side.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # what comes back
        named = {"call-id": f"bench-{number}", "from-tag": f"hs-{number}"}
        offer = ask("offer", control, call=named, sdp=_sdp(handset.getsockname()[1]), **flags)
        answer = ask(
            "answer",
            control,
            call={**named, "to-tag": f"tr-{number}"},
            sdp=_sdp(trunk.getsockname()[1]),
            **flags,
        )
        sides += [(handset, _port(answer["sdp"])), (trunk, _port(offer["sdp"]))]
    return sides


def _tear_down(control: str, calls: int, sides: list[tuple[socket.socket, int]]) -> None:
    from wicketgate.phone.rtpengine import MediaRelayError, ask

    for number in range(calls):
        with contextlib.suppress(MediaRelayError):  # gone already: nothing to delete
            ask("delete", control, call={"call-id": f"bench-{number}", "from-tag": f"hs-{number}"})
    for side, _ in sides:
        side.close()


class _Sender(threading.Thread):
    """Every side, a packet each 20 ms, paced on the monotonic clock."""

    def __init__(self, sides: list[tuple[socket.socket, int]]) -> None:
        super().__init__(daemon=True)
        self.sides = sides
        self.stopping = threading.Event()
        self.sent = 0
        self.started = 0.0

    def run(self) -> None:
        self.started = time.monotonic()
        sequence = 0
        payload = b"\xd5" * 160
        while not self.stopping.is_set():
            for ssrc, (side, port) in enumerate(self.sides):
                header = struct.pack(
                    "!BBHII", 0x80, 8, sequence & 0xFFFF, (sequence * 160) & 0xFFFFFFFF, ssrc
                )
                side.sendto(header + payload, ("127.0.0.1", port))
            self.sent += len(self.sides)
            sequence += 1
            due = self.started + sequence * 0.02
            time.sleep(max(0.0, due - time.monotonic()))

    def stop(self) -> float:
        self.stopping.set()
        self.join()
        return self.sent / (time.monotonic() - self.started)


def table(results: dict[str, Any]) -> str:
    lines = [
        "| calls at once | recorded | rtpengine CPU (% of a core) | per call | packets/s sent |",
        "|---|---|---|---|---|",
    ]
    for row in results["rows"]:
        lines.append(
            f"| {row['calls']} | {'yes' if row['recorded'] else 'no'} "
            f"| {row['cpu_percent_of_a_core']} | {row['cpu_percent_per_call']} "
            f"| {row['packets_per_second_sent']:.0f} |"
        )
    lines.append(f"\nidle: {results['idle_cpu_percent']}% of a core")
    lines.append(
        "recorded / not recorded, CPU per call: "
        + ", ".join(
            f"{calls} calls {ratio}x" for calls, ratio in results["recorded_vs_not"].items()
        )
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
