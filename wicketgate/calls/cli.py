"""``wicketgate calls``: Janus's configuration, and Janus with the call watcher."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click

from wicketgate.lib.cli import Refused
from wicketgate.lib.cli import setup_django as _setup_django


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
    ends calls at their end time or when someone on them is no longer allowed.

    With WICKETGATE_JANUS_NAMESPACE set, Janus runs in that network namespace (made here if
    `wicketgate up` has not made it already; needs root)."""
    _setup_django()
    from django.conf import settings

    from wicketgate.calls.actions import CallWatcher
    from wicketgate.calls.janus import configured, render_config
    from wicketgate.calls.netns import NamespaceError, create, exists, link_for, remove
    from wicketgate.calls.server import JanusStartError, start, stop
    from wicketgate.policy.engine import Engine

    stopping = threading.Event()

    def on_signal(*_: Any) -> None:
        stopping.set()

    # Before Janus starts: a stop asked for while it starts still stops it, cleanly.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    client = configured()
    render_config(client.setup)
    link = made = None
    try:
        if settings.WICKETGATE_JANUS_NAMESPACE:
            link = link_for(settings.WICKETGATE_JANUS_NAMESPACE, settings.WICKETGATE_JANUS_NETWORK)
            if not exists(link):
                create(link)
                made = link
        janus = start(client, link=link, output=None)
    except (NamespaceError, JanusStartError) as exc:
        if made is not None:
            remove(made)
        raise Refused(str(exc)) from None
    where = f" (network namespace {link.namespace})" if link else ""
    click.echo(f"Janus on {client.setup.api_url}{where}; calls watched every 0.5 s")
    try:
        CallWatcher(client, Engine(refresh_every=0)).run(stopping)
    finally:
        stop(janus)
        if made is not None:
            remove(made)
