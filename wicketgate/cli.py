"""The ``wicketgate`` command: one front door for operators and scripts.

Exit codes scripts can rely on: 0 done; 1 refused (bad input, a rule said no; nothing
was changed); 2 wrong usage (unknown option, missing argument).
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from wicketgate.accounts.cli import prisoner, staff, token
from wicketgate.audit.cli import audit
from wicketgate.calls.cli import calls
from wicketgate.conduct.cli import conduct
from wicketgate.estate.cli import import_establishments
from wicketgate.gateway.cli import gateway
from wicketgate.learning.cli import learning
from wicketgate.lib.cli import EXIT_REFUSED, Group, Refused, progress
from wicketgate.lib.cli import setup_django as _setup_django
from wicketgate.people.cli import import_prisoners
from wicketgate.phone.cli import phone
from wicketgate.policy.cli import decide, policy

__all__ = ["EXIT_REFUSED", "Refused", "main"]


@click.group(
    cls=Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="wicketgate")
def main() -> None:
    """Wicketgate: controlled, monitored use of technology for people in prison.

    Exit codes: 0 done, 1 refused (bad input; nothing changed), 2 wrong usage.
    """


# --- serving -----------------------------------------------------------------------------


@main.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to serve the web app on."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Web worker processes.",
)
@click.option("--no-migrate", is_flag=True, help="Do not apply pending database migrations first.")
@click.option(
    "--gateway/--no-gateway",
    default=True,
    show_default=True,
    help="Start the web gateway (Squid) on WICKETGATE_GATEWAY_LISTEN too.",
)
@click.option(
    "--calls/--no-calls",
    default=True,
    show_default=True,
    help="Start Janus and the call watcher too (needs WICKETGATE_JANUS_NAMESPACE or a "
    "non-loopback WICKETGATE_JANUS_ADDRESS).",
)
@click.option(
    "--phone/--no-phone",
    default=True,
    show_default=True,
    help="Start the phone gateway (Kamailio) on WICKETGATE_PHONE_SIP_LISTEN too.",
)
@click.option(
    "--library/--no-library",
    default=True,
    show_default=True,
    help="Start the offline library (kiwix-serve) on WICKETGATE_LIBRARY_LISTEN too.",
)
def up(
    host: str,
    port: int,
    workers: int,
    no_migrate: bool,
    gateway: bool,
    calls: bool,
    phone: bool,
    library: bool,
) -> None:
    """Start the whole platform in the foreground; Ctrl-C stops everything it started."""
    _setup_django()
    _prepare(migrate=not no_migrate)
    sys.exit(
        _run_services(
            host, port, workers, gateway=gateway, calls=calls, phone=phone, library=library
        )
    )


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    _setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Run a Django management command (for administrators who know Django)."""
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["wicketgate manage", *args])


def _prepare(*, migrate: bool) -> None:
    from django.core.management import call_command

    if migrate:
        call_command("migrate", interactive=False, verbosity=0)
        click.echo("wicketgate: database schema is up to date")
    call_command("collectstatic", interactive=False, verbosity=0)


def _run_services(
    host: str,
    port: int,
    workers: int,
    *,
    gateway: bool = True,
    calls: bool = True,
    phone: bool = True,
    library: bool = True,
) -> int:
    """Run every component under one supervisor; when one stops, all stop."""
    from honcho.manager import Manager

    from wicketgate.calls.netns import Link, remove

    manager = Manager()
    binds = [f"{_bind_host(host)}:{port}"]
    link: Link | None = None
    if calls:
        link, janus_bind = _prepare_calls(host, port)
        if janus_bind is not None:
            binds += janus_bind
            command = [str(Path(sys.executable).with_name("wicketgate")), "calls", "run"]
            manager.add_process("calls", shlex.join(command), env=dict(os.environ))
    try:
        return _supervise(
            manager, host, port, workers, binds, gateway=gateway, phone=phone, library=library
        )
    finally:
        if link is not None:
            remove(link)


def _prepare_calls(host: str, port: int) -> tuple[Any, list[str] | None]:
    """Janus's network (its namespace, if it has one) and where the web app must listen for
    its events; ``(None, None)`` when calls are not configured on this machine."""
    from django.conf import settings

    from wicketgate.calls.netns import NamespaceError, create, link_for
    from wicketgate.calls.server import JANUS

    namespace = settings.WICKETGATE_JANUS_NAMESPACE
    if not namespace and ipaddress.ip_address(settings.WICKETGATE_JANUS_ADDRESS).is_loopback:
        click.echo(
            "wicketgate: video calls are off: Janus cannot carry media on loopback. Set "
            "WICKETGATE_JANUS_ADDRESS (and _INTERFACE) to the secure network's, or "
            "WICKETGATE_JANUS_NAMESPACE to run it in a network namespace on this machine (root)."
        )
        return None, None
    if not Path(JANUS).exists():
        raise Refused(
            f"{JANUS} is not installed: run `make install` (it installs janus), "
            "or start without video calls: wicketgate up --no-calls"
        )
    if not namespace:
        os.environ.setdefault("WICKETGATE_JANUS_EVENTS_TO", f"http://{_bind_host(host)}:{port}")
        return None, []
    try:
        link = link_for(namespace, settings.WICKETGATE_JANUS_NETWORK)
        create(link)
    except NamespaceError as exc:
        raise Refused(f"{exc} (or start without video calls: wicketgate up --no-calls)") from None
    # Janus posts its events to this machine's end of the pair: the web app listens there too.
    os.environ.setdefault("WICKETGATE_JANUS_EVENTS_TO", f"http://{link.host_address}:{port}")
    return link, [f"{link.host_address}:{port}"]


def _supervise(
    manager: Any,
    host: str,
    port: int,
    workers: int,
    binds: list[str],
    *,
    gateway: bool,
    phone: bool = True,
    library: bool = True,
) -> int:
    here = f"http://{_bind_host(host)}:{port}"
    if gateway:
        _check_gateway_can_start()
        env = dict(os.environ)
        # Blocked requests go to this web app's block page unless configured otherwise.
        env.setdefault("WICKETGATE_GATEWAY_PORTAL_URL", here)
        command = [str(Path(sys.executable).with_name("wicketgate")), "gateway", "run"]
        manager.add_process("gateway", shlex.join(command), env=env)
    if phone:
        env = dict(os.environ)
        # Kamailio asks this web app whether each call may be made, unless configured otherwise.
        env.setdefault("WICKETGATE_PHONE_ASK_URL", f"http://{_reachable(host)}:{port}")
        _check_phone_can_start(env["WICKETGATE_PHONE_ASK_URL"])
        command = [str(Path(sys.executable).with_name("wicketgate")), "phone", "run"]
        manager.add_process("phone", shlex.join(command), env=env)
        # The calls' audio: Kamailio refuses every call while it is not there.
        media = [str(Path(sys.executable).with_name("wicketgate")), "phone", "media"]
        manager.add_process("phone-media", shlex.join(media), env=env)
        # Ends live calls that a new ban or sanction no longer allows, within a second.
        watch = [str(Path(sys.executable).with_name("wicketgate")), "phone", "watch"]
        manager.add_process("phone-watch", shlex.join(watch), env=env)
    if library:
        _check_library_can_start()
        # kiwix-serve, the offline library's books; reached only through the gateway.
        command = [str(Path(sys.executable).with_name("wicketgate")), "learning", "library", "run"]
        manager.add_process("library", shlex.join(command), env=dict(os.environ))
    web = [
        sys.executable,
        "-m",
        "gunicorn",
        "wicketgate.wsgi:application",
        *[part for bind in binds for part in ("--bind", bind)],
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "5",
        "--forwarded-allow-ips",
        "127.0.0.1",
    ]
    manager.add_process("web", shlex.join(web), env=dict(os.environ))
    worker = [sys.executable, "-m", "django", "run_huey", "--settings", "wicketgate.settings"]
    manager.add_process("worker", shlex.join(worker), env=dict(os.environ))
    manager.loop()
    return int(manager.returncode or 0)


def _check_gateway_can_start() -> None:
    from wicketgate.gateway.squid import SQUID, GatewaySetupError, layout, prepare

    if not Path(SQUID).exists():
        raise Refused(
            f"{SQUID} is not installed: run `make install` (it installs squid-openssl), "
            "or start without the gateway: wicketgate up --no-gateway"
        )
    try:
        prepare(layout())
    except GatewaySetupError as exc:
        raise Refused(str(exc)) from exc


def _check_library_can_start() -> None:
    """Refuse here, before anything starts, rather than have the library process stop the
    rest a moment after it starts."""
    from wicketgate.learning.library import KIWIX_SERVE, LibraryError, configured, prepare

    if not Path(KIWIX_SERVE).exists():
        raise Refused(
            f"{KIWIX_SERVE} is not installed: run make install (it installs kiwix-tools), "
            "or start without the offline library: wicketgate up --no-library"
        )
    try:
        prepare(configured())
    except (LibraryError, OSError) as exc:
        raise Refused(
            f"the offline library cannot start: {exc} "
            "(or start without it: wicketgate up --no-library)"
        ) from exc


def _check_phone_can_start(ask_base: str) -> None:
    """Refuse here, before anything starts, rather than have the phone process stop the
    rest a moment after it starts."""
    from wicketgate.phone.kamailio import (
        KAMAILIO,
        KamailioSetupError,
        check_config,
        configured,
        prepare,
    )
    from wicketgate.phone.rtpengine import RTPENGINE

    for program, package in ((KAMAILIO, "kamailio"), (RTPENGINE, "rtpengine-daemon")):
        if not Path(program).exists():
            raise Refused(
                f"{program} is not installed: run `make install` (it installs {package}), "
                "or start without phone calls: wicketgate up --no-phone"
            )
    from wicketgate.phone.rtpengine import MediaRelayError
    from wicketgate.phone.rtpengine import configured as media_configured
    from wicketgate.phone.rtpengine import render_config as render_media

    setup = configured(ask_base=ask_base)
    try:
        prepare(setup)
        check_config(setup)
        render_media(media_configured())
    except (KamailioSetupError, MediaRelayError) as exc:
        raise Refused(f"{exc} (or start without phone calls: wicketgate up --no-phone)") from exc


def _reachable(host: str) -> str:
    """Where a process on this machine reaches a web app bound to ``host``: loopback for
    "every address" (0.0.0.0 is no Host the web app answers to)."""
    if host in ("0.0.0.0", ""):  # noqa: S104 - compared with, not bound to
        return "127.0.0.1"
    if host.strip("[]") == "::":
        return "[::1]"
    return _bind_host(host)


def _bind_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


# --- imports -----------------------------------------------------------------------------


@main.group(name="import")
def import_() -> None:
    """Load establishments or prisoners from files (validated whole; all or nothing)."""


# --- demo --------------------------------------------------------------------------------


@main.group(invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_context
def demo(ctx: click.Context, host: str, port: int) -> None:
    """Load the demo estate and start the platform (``demo load`` only loads it)."""
    if ctx.invoked_subcommand is not None:
        return
    _setup_django()
    _prepare(migrate=True)
    from wicketgate.demo.load import load_demo, print_welcome

    welcome = load_demo(progress=progress)
    print_welcome(welcome, base_url=f"http://{_bind_host(host)}:{port}", echo=click.echo)
    sys.exit(_run_services(host, port, workers=2))


@demo.command(name="load")
def demo_load() -> None:
    """Load (or refresh) the demo estate and print the demo logins."""
    _setup_django()
    _prepare(migrate=True)
    from wicketgate.demo.load import load_demo, print_welcome

    welcome = load_demo(progress=progress)
    print_welcome(welcome, base_url="http://127.0.0.1:8000", echo=click.echo)


# Each app owns its commands; the root only attaches them. ``import`` is shared: each app
# that loads a file adds its command to it.
import_.add_command(import_establishments)
import_.add_command(import_prisoners)
for app_command in (
    staff,
    token,
    prisoner,
    policy,
    decide,
    gateway,
    conduct,
    calls,
    phone,
    learning,
    audit,
):
    main.add_command(app_command)

if __name__ == "__main__":
    main()
