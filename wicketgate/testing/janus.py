"""The real Janus for tests, in a network namespace of its own.

ICE never uses the loopback interface, so Janus runs in a namespace joined to this one by
a veth pair (as root): the host end for the browsers and Wicketgate, the other end for
Janus's API and media. Everything is torn down afterwards, Janus first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from wicketgate.calls.janus import JanusClient, JanusError, JanusSetup, render_config

JANUS = "/usr/bin/janus"


@dataclass
class RunningJanus:
    setup: JanusSetup
    client: JanusClient
    process: subprocess.Popen[bytes]
    namespace: str
    host_address: str
    log: Path


def _ip(*args: str, check: bool = True) -> None:
    subprocess.run(["ip", *args], check=check, capture_output=True)  # noqa: S603, S607


@contextmanager
def running_janus(folder: Path, *, event_url: str = "") -> Iterator[RunningJanus]:
    tag = f"{os.getpid() % 100000}"
    namespace, host_if, janus_if = f"wgjanus{tag}", f"wgj{tag}h", f"wgj{tag}j"
    octet = os.getpid() % 250 + 1
    host_address, janus_address = f"10.78.{octet}.1", f"10.78.{octet}.2"
    keys = JanusSetup.new_secrets()
    setup = JanusSetup(
        folder=folder / "janus",
        api_address=janus_address,
        media_address=janus_address,
        media_interface=janus_if,
        admin_acl=host_address,
        event_url=event_url,
        token_secret=keys["token_secret"],
        admin_secret=keys["admin_secret"],
        admin_key=keys["admin_key"],
    )
    render_config(setup)
    _ip("netns", "del", namespace, check=False)
    _ip("link", "del", host_if, check=False)
    _ip("netns", "add", namespace)
    process: subprocess.Popen[bytes] | None = None
    log = folder / "janus.log"
    try:
        _ip("link", "add", host_if, "type", "veth", "peer", "name", janus_if)
        _ip("link", "set", janus_if, "netns", namespace)
        _ip("addr", "add", f"{host_address}/30", "dev", host_if)
        _ip("link", "set", host_if, "up")
        _ip("netns", "exec", namespace, "ip", "addr", "add", f"{janus_address}/30", "dev", janus_if)
        _ip("netns", "exec", namespace, "ip", "link", "set", janus_if, "up")
        _ip("netns", "exec", namespace, "ip", "link", "set", "lo", "up")
        with open(log, "wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our own fixed command line
                ["ip", "netns", "exec", namespace, JANUS, "-F", str(setup.folder)],  # noqa: S607
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        client = JanusClient(setup, timeout=2)
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"janus exited ({process.returncode}): {log.read_text()[-2000:]}"
                )
            try:
                client.info()
                break
            except JanusError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"janus did not answer: {log.read_text()[-2000:]}") from None
                time.sleep(0.2)
        yield RunningJanus(setup, client, process, namespace, host_address, log)
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        _ip("netns", "del", namespace, check=False)
        _ip("link", "del", host_if, check=False)
