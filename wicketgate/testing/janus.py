"""The real Janus for tests, in a network namespace of its own.

ICE never uses the loopback interface, so Janus runs in a namespace joined to this one by
a veth pair (as root): the host end for the browsers and Wicketgate, the other end for
Janus's API and media. Everything is torn down afterwards, Janus first.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from wicketgate.calls.janus import JanusClient, JanusSetup, render_config
from wicketgate.calls.netns import link_for, linked
from wicketgate.calls.server import JanusStartError, start, stop


@dataclass
class RunningJanus:
    setup: JanusSetup
    client: JanusClient
    process: subprocess.Popen[bytes]
    namespace: str
    host_address: str
    log: Path


@contextmanager
def running_janus(folder: Path, *, event_url: str = "") -> Iterator[RunningJanus]:
    octet = os.getpid() % 250 + 1
    link = link_for(f"wgjanus{os.getpid() % 100000}", f"10.78.{octet}.0/30")
    keys = JanusSetup.new_secrets()
    setup = JanusSetup(
        folder=folder / "janus",
        api_address=link.janus_address,
        media_address=link.janus_address,
        media_interface=link.janus_interface,
        admin_acl=link.host_address,
        event_url=event_url,
        token_secret=keys["token_secret"],
        admin_secret=keys["admin_secret"],
        admin_key=keys["admin_key"],
    )
    render_config(setup)
    log = folder / "janus.log"
    with linked(link), open(log, "wb") as out:
        client = JanusClient(setup, timeout=2)
        try:
            process = start(client, link=link, output=out)
        except JanusStartError as exc:
            raise RuntimeError(f"{exc}: {log.read_text()[-2000:]}") from None
        try:
            yield RunningJanus(setup, client, process, link.namespace, link.host_address, log)
        finally:
            stop(process)
