"""``wicketgate calls``: Janus's configuration, and Janus with the call watcher."""

from __future__ import annotations

import signal
import subprocess
import threading
from typing import Any

import click

from wicketgate.lib.cli import Refused
from wicketgate.lib.cli import setup_django as _setup_django

JANUS = "/usr/bin/janus"


@click.group()
def calls() -> None:
    """Video calls: Janus and the call watcher."""


@calls.command(name="config")
def calls_config() -> None:
    """Write Janus's configuration (from deploy/janus/) and print where it is."""
    _setup_django()
    from wicketgate.calls.janus import configured, render_config

    setup = configured().setup
    for path in render_config(setup):
        click.echo(str(path))


@calls.command(name="run")
def calls_run() -> None:
    """Janus, from our configuration, and the watcher that opens rooms before each call and
    ends calls at their end time or when someone on them is no longer allowed."""
    _setup_django()
    from wicketgate.calls.actions import CallWatcher
    from wicketgate.calls.janus import JanusError, configured, render_config
    from wicketgate.policy.engine import Engine

    client = configured()
    render_config(client.setup)
    try:
        janus = subprocess.Popen([JANUS, "-F", str(client.setup.folder)])  # noqa: S603
    except OSError as exc:
        raise Refused(
            f"cannot start Janus ({JANUS}): {exc}; install the Debian package janus"
        ) from exc
    stopping = threading.Event()

    def stop(*_: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _attempt in range(100):
        try:
            client.info()
            break
        except JanusError:
            if janus.poll() is not None:
                raise Refused(f"Janus exited ({janus.returncode}); see its output above") from None
            stopping.wait(0.2)
    click.echo(f"Janus on {client.setup.api_url}; calls watched every 0.5 s")
    try:
        CallWatcher(client, Engine(refresh_every=0)).run(stopping)
    finally:
        janus.terminate()
        try:
            janus.wait(10)
        except subprocess.TimeoutExpired:
            janus.kill()
