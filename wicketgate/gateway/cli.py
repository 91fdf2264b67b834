"""``wicketgate gateway``: Squid's configuration, devices, device sessions, lockdowns."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from wicketgate.lib.cli import BY, Refused
from wicketgate.lib.cli import setup_django as _setup_django


@click.group()
def gateway() -> None:
    """The web gateway (Squid): configuration, devices, sessions, lockdowns."""


@contextmanager
def _gateway_refusals() -> Iterator[None]:
    from wicketgate.gateway.actions import GatewayError
    from wicketgate.gateway.squid import GatewaySetupError

    try:
        yield
    except (GatewayError, GatewaySetupError) as exc:
        raise Refused(str(exc)) from exc


# --- Squid -------------------------------------------------------------------------------


@gateway.command(name="config")
@click.option(
    "--listen", default=None, help="host:port for Squid (default WICKETGATE_GATEWAY_LISTEN)."
)
def gateway_config(listen: str | None) -> None:
    """Print the rendered squid.conf."""
    _setup_django()
    from wicketgate.gateway.squid import render_config

    click.echo(render_config(listen=listen), nl=False)


@gateway.command(name="run")
@click.option(
    "--listen", default=None, help="host:port for Squid (default WICKETGATE_GATEWAY_LISTEN)."
)
def gateway_run(listen: str | None) -> None:
    """Run Squid, its decision service and the recorder in the foreground until stopped."""
    _setup_django()
    from django.conf import settings

    from wicketgate.gateway.service import GatewayService
    from wicketgate.gateway.squid import check_config, prepare, squid_command

    with _gateway_refusals():
        where = prepare(listen=listen)
        check_config(where)
    service = GatewayService(where.socket)
    service.start()
    squid = subprocess.Popen(squid_command(where))  # noqa: S603 - our own squid.conf
    recorder = _start_recorder()
    click.echo(
        f"wicketgate: gateway on {listen or settings.WICKETGATE_GATEWAY_LISTEN} "
        f"(Squid pid {squid.pid}; config {where.conf})"
    )
    stopping = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        stopping.set()
        squid.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while squid.poll() is None:
            if recorder.poll() is not None and not stopping.is_set():
                click.echo("wicketgate: the gateway recorder stopped; starting it again", err=True)
                recorder = _start_recorder()
            stopping.wait(0.5)
        code = squid.wait()
    finally:
        if squid.poll() is None:
            squid.kill()
        recorder.terminate()  # it records what Squid wrote last before it goes
        try:
            recorder.wait(timeout=30)
        except subprocess.TimeoutExpired:
            recorder.kill()
        service.stop()
    sys.exit(0 if code in (0, -signal.SIGTERM) else code)


def _start_recorder() -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).with_name("wicketgate")), "gateway", "record"]
    return subprocess.Popen(command, preexec_fn=_idle_priority)  # noqa: S603 - our own squid command line


def _idle_priority() -> None:
    """Record with CPU time the decisions do not want: the access log is a durable spool,
    so under peak load the audit log lags (nothing is lost) and catches up after.

    Nice, not SCHED_IDLE: the recorder holds the database's write lock while it writes a
    batch, and a process that gets no CPU at all would keep everyone else waiting for it."""
    os.nice(19)


@gateway.command(name="record")
def gateway_record() -> None:
    """Move Squid's access log into the audit log until stopped (`gateway run` starts it)."""
    _setup_django()
    from wicketgate.gateway.recorder import record_forever
    from wicketgate.gateway.squid import layout, reopen_log_command

    where = layout()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stopping.set())

    def reopen_log() -> None:
        subprocess.run(reopen_log_command(where), check=False, capture_output=True)  # noqa: S603 - our own squid command line

    record_forever(where.access_log, stopping, reopen_log=reopen_log)


@gateway.command(name="ca")
def gateway_ca() -> None:
    """Print the gateway's CA certificate (install it on managed devices for interception)."""
    _setup_django()
    from wicketgate.gateway.squid import layout, prepare

    where = layout()
    if not where.ca_cert.exists():
        with _gateway_refusals():
            prepare()
    click.echo(where.ca_cert.read_text(), nl=False)


# --- devices -----------------------------------------------------------------------------


@gateway.group(name="device")
def device() -> None:
    """Kiosks, in-cell laptops and education-room PCs on the gateway."""


@device.command(name="add")
@click.argument("device_id")
@click.option("--establishment", "establishment_code", required=True, help="Establishment code.")
@click.option("--location", "location_code", required=True, help="Location code, e.g. NGT-A-1-001.")
@click.option(
    "--kind", type=click.Choice(["laptop", "kiosk", "pc", "suite", "phone"]), required=True
)
@click.option(
    "--address",
    default=None,
    help="Only accept this device's sessions (a phone's calls) from this IP address; required for a phone.",
)
@BY
def device_add(
    device_id: str,
    establishment_code: str,
    location_code: str,
    kind: str,
    address: str | None,
    by: str | None,
) -> None:
    """Register a device; prints its key (for its agent to open sessions with), once."""
    _setup_django()
    import ipaddress

    from wicketgate.audit.log import Actor
    from wicketgate.estate.models import Establishment, Location
    from wicketgate.gateway.actions import do_register_device

    establishment = Establishment.objects.filter(code=establishment_code.upper()).first()
    if establishment is None:
        raise Refused(f"--establishment {establishment_code}: no such establishment")
    location = Location.objects.filter(code=location_code.upper()).first()
    if location is None:
        raise Refused(f"--location {location_code}: no such location")
    if address is not None:
        try:
            ipaddress.ip_address(address)
        except ValueError as exc:
            raise Refused(f"--address {address}: not an IP address") from exc
    with _gateway_refusals():
        registered, key = do_register_device(
            device_id=device_id,
            establishment=establishment,
            location=location,
            kind=kind,
            address=address,
            actor=Actor.operator(by),
        )
    click.echo(f"registered {registered.device_id} at {location.code}; device key: {key}")


@device.command(name="list")
@click.option("--establishment", "establishment_code", default=None)
def device_list(establishment_code: str | None) -> None:
    """List devices (all, or one establishment's)."""
    _setup_django()
    from wicketgate.gateway.models import Device

    devices = Device.objects.select_related("establishment", "location")
    if establishment_code:
        devices = devices.filter(establishment__code=establishment_code.upper())
    for item in devices:
        state = "retired" if item.retired_at else "active"
        click.echo(
            f"{item.device_id}\t{item.kind}\t{item.establishment.code}\t{item.location.code}\t{state}"
        )


@device.command(name="retire")
@click.argument("device_id")
@BY
def device_retire(device_id: str, by: str | None) -> None:
    """Retire a device: its open session ends and it cannot open new ones."""
    _setup_django()
    from wicketgate.audit.log import Actor
    from wicketgate.gateway.actions import do_retire_device

    with _gateway_refusals():
        do_retire_device(_device(device_id), actor=Actor.operator(by))
    click.echo(f"retired {device_id.upper()}")


def _device(device_id: str) -> Any:
    from wicketgate.gateway.models import Device

    found = Device.objects.filter(device_id=device_id.strip().upper()).first()
    if found is None:
        raise Refused(f"no device {device_id}")
    return found


# --- sessions ----------------------------------------------------------------------------


@gateway.group(name="session")
def session() -> None:
    """Prisoners' sessions on devices (what the proxy credentials stand for)."""


@session.command(name="open")
@click.option("--prisoner", "prison_number", required=True, help="Prison number, e.g. A1234BC.")
@click.option("--device", "device_id", required=True)
@click.option(
    "--address",
    default=None,
    help="The address the device uses the gateway from (its registered one if omitted).",
)
@BY
def session_open(prison_number: str, device_id: str, address: str | None, by: str | None) -> None:
    """Open a session as if the prisoner signed in on the device; prints USER:PASSWORD.

    The gateway serves the session to the device's address only."""
    _setup_django()
    from wicketgate.audit.log import Actor
    from wicketgate.gateway.actions import do_open_device_session
    from wicketgate.people.models import Prisoner

    prisoner = Prisoner.objects.filter(prison_number=prison_number.strip().upper()).first()
    if prisoner is None:
        raise Refused(f"--prisoner {prison_number}: no such prisoner")
    with _gateway_refusals():
        opened, password = do_open_device_session(
            prisoner=prisoner,
            device=_device(device_id),
            actor=Actor.operator(by),
            address=address,
        )
    click.echo(f"{opened.username}:{password}")


@session.command(name="close")
@click.argument("username", required=False)
@click.option("--device", "device_id", default=None, help="Close the open session on this device.")
@click.option(
    "--prisoner", "prison_number", default=None, help="Close this prisoner's open session."
)
@BY
def session_close(
    username: str | None, device_id: str | None, prison_number: str | None, by: str | None
) -> None:
    """End a session, named by its proxy user name, its device or its prisoner."""
    _setup_django()
    from wicketgate.audit.log import Actor
    from wicketgate.gateway.actions import do_close_device_session
    from wicketgate.gateway.models import CloseReason, DeviceSession

    given = [value for value in (username, device_id, prison_number) if value]
    if len(given) != 1:
        raise click.UsageError("name the session by one of: USERNAME, --device, --prisoner")
    sessions = DeviceSession.objects.filter(closed_at__isnull=True)
    if username:
        sessions = sessions.filter(username=username.split(":", 1)[0])
    elif device_id:
        sessions = sessions.filter(device__device_id=device_id.strip().upper())
    else:
        sessions = sessions.filter(prisoner__prison_number=(prison_number or "").strip().upper())
    found = sessions.first()
    if found is None:
        raise Refused("no open session matches")
    with _gateway_refusals():
        do_close_device_session(found, reason=CloseReason.ENDED_BY_STAFF, actor=Actor.operator(by))
    click.echo(f"closed {found.username}")


@session.command(name="list")
@click.option("--establishment", "establishment_code", default=None)
def session_list(establishment_code: str | None) -> None:
    """List live sessions."""
    _setup_django()
    from wicketgate.gateway.models import DeviceSession

    sessions = DeviceSession.objects.live().select_related("prisoner", "device", "location")
    if establishment_code:
        sessions = sessions.filter(device__establishment__code=establishment_code.upper())
    for item in sessions:
        click.echo(
            f"{item.username}\t{item.prisoner.prison_number}\t{item.device.device_id}\t"
            f"{item.location.code}\t{item.opened_at:%Y-%m-%d %H:%M}"
        )


# --- lockdowns ---------------------------------------------------------------------------


@gateway.group(name="lockdown")
def lockdown() -> None:
    """Stop all device sessions on a wing or a whole establishment."""


@lockdown.command(name="start")
@click.option("--establishment", "establishment_code", required=True)
@click.option("--wing", "wing_code", default=None, help="Only this wing (location code).")
@click.option("--reason", required=True)
@BY
def lockdown_start(
    establishment_code: str, wing_code: str | None, reason: str, by: str | None
) -> None:
    """Start a lockdown: ends the sessions it covers and refuses new ones."""
    _setup_django()
    from wicketgate.audit.log import Actor
    from wicketgate.estate.models import Establishment, Location
    from wicketgate.gateway.actions import do_start_lockdown

    establishment = Establishment.objects.filter(code=establishment_code.upper()).first()
    if establishment is None:
        raise Refused(f"--establishment {establishment_code}: no such establishment")
    wing = None
    if wing_code:
        wing = Location.objects.filter(code=wing_code.upper()).first()
        if wing is None:
            raise Refused(f"--wing {wing_code}: no such location")
    with _gateway_refusals():
        started, ended = do_start_lockdown(
            establishment=establishment, wing=wing, reason=reason, actor=Actor.operator(by)
        )
    click.echo(f"lockdown {started.pk} started; {ended} session(s) ended")


@lockdown.command(name="end")
@click.argument("lockdown_id", type=int)
@BY
def lockdown_end(lockdown_id: int, by: str | None) -> None:
    """Lift a lockdown."""
    _setup_django()
    from wicketgate.audit.log import Actor
    from wicketgate.gateway.actions import do_end_lockdown
    from wicketgate.gateway.models import Lockdown

    found = Lockdown.objects.filter(pk=lockdown_id).first()
    if found is None:
        raise Refused(f"no lockdown {lockdown_id}")
    with _gateway_refusals():
        do_end_lockdown(found, actor=Actor.operator(by))
    click.echo(f"lockdown {lockdown_id} lifted")
