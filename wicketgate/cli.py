"""The ``wicketgate`` command: one front door for operators and scripts.

Exit codes scripts can rely on: 0 done; 1 refused (bad input, a rule said no; nothing
was changed); 2 wrong usage (unknown option, missing argument).
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from wicketgate.calls.cli import calls
from wicketgate.conduct.cli import conduct
from wicketgate.gateway.cli import gateway
from wicketgate.lib.cli import EXIT_REFUSED, Group, Refused
from wicketgate.lib.cli import setup_django as _setup_django

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
def up(host: str, port: int, workers: int, no_migrate: bool, gateway: bool, calls: bool) -> None:
    """Start the whole platform in the foreground; Ctrl-C stops everything it started."""
    _setup_django()
    _prepare(migrate=not no_migrate)
    sys.exit(_run_services(host, port, workers, gateway=gateway, calls=calls))


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
    host: str, port: int, workers: int, *, gateway: bool = True, calls: bool = True
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
        return _supervise(manager, host, port, workers, binds, gateway=gateway)
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
    manager: Any, host: str, port: int, workers: int, binds: list[str], *, gateway: bool
) -> int:
    if gateway:
        _check_gateway_can_start()
        env = dict(os.environ)
        # Blocked requests go to this web app's block page unless configured otherwise.
        env.setdefault("WICKETGATE_GATEWAY_PORTAL_URL", f"http://{_bind_host(host)}:{port}")
        command = [str(Path(sys.executable).with_name("wicketgate")), "gateway", "run"]
        manager.add_process("gateway", shlex.join(command), env=env)
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


def _bind_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


# --- imports -----------------------------------------------------------------------------


@main.group(name="import")
def import_() -> None:
    """Load establishments or prisoners from files (validated whole; all or nothing)."""


@import_.command(name="establishments")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--by", "by", metavar="USERNAME", help="Record this operator instead of the OS user.")
def import_establishments(file: Path, by: str | None) -> None:
    """Create or update establishments and their locations from a YAML FILE."""
    _setup_django()
    from wicketgate.audit.log import Actor
    from wicketgate.estate.actions import do_import_establishments
    from wicketgate.estate.imports import read_establishments
    from wicketgate.estate.models import Location

    existing = {
        code: (est, kind)
        for code, est, kind in Location.objects.values_list("code", "establishment__code", "kind")
    }
    with _refusals():
        parsed = read_establishments(file, existing)
        summary = do_import_establishments(parsed, actor=Actor.operator(by))
    click.echo(
        f"{file}: "
        + summary.line(
            ["establishments created", "establishments updated", "establishments unchanged"]
        )
        + "; "
        + summary.line(["locations created", "locations updated", "locations unchanged"])
    )


@import_.command(name="prisoners")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--by", "by", metavar="USERNAME", help="Record this operator instead of the OS user.")
def import_prisoners(file: Path, by: str | None) -> None:
    """Create, update or transfer prisoners from a CSV FILE (upsert by prison number).

    Columns: prison_number, given_name, family_name, date_of_birth, establishment,
    location, category, incentive_level, legal_status, alerts.
    """
    _setup_django()
    from wicketgate.audit.log import Actor
    from wicketgate.people.actions import IMPORT_COUNTS, do_import_prisoners
    from wicketgate.people.imports import read_prisoners, reference_data

    with _refusals():
        reference = reference_data()
        rows = _count_lines(file)
        with _progress(rows, "Checking ") as tick:
            checked = read_prisoners(file, reference, progress=tick)
        with _progress(len(checked), "Writing  ") as tick:
            summary = do_import_prisoners(
                checked, actor=Actor.operator(by), file_name=str(file), progress=tick
            )
    click.echo(f"{file}: " + summary.line(IMPORT_COUNTS))


def _count_lines(file: Path) -> int:
    try:
        with file.open("rb") as handle:
            return max(sum(1 for _ in handle) - 1, 0)
    except OSError:
        return 0  # the reader reports the problem with the file's name


@contextmanager
def _progress(length: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal for long work; silent when output is piped."""
    show = sys.stderr.isatty() and length > 200
    if not show:
        yield lambda _n: None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield bar.update


@contextmanager
def _refusals() -> Iterator[None]:
    """Turn a rejected import or a broken rule into exit 1 with every problem listed."""
    from wicketgate.accounts.actions import AccountError
    from wicketgate.lib.errors import ActionError
    from wicketgate.lib.importing import ImportRejected

    try:
        yield
    except ImportRejected as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise Refused(f"{len(exc.problems)} problem(s); nothing was written") from exc
    except (AccountError, ActionError) as exc:
        raise Refused(str(exc)) from exc


# --- accounts ----------------------------------------------------------------------------


@main.group()
def staff() -> None:
    """Staff accounts: create them, issue backup codes, enrol an authenticator app."""


@staff.command(name="add")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    metavar="ROLE@CODE",
    help="A role at an establishment, e.g. security@NGT (repeatable). Roles: wing_officer, security, education, visits, governor.",
)
@click.option("--estate-admin", is_flag=True, help="Sees and manages every establishment.")
@click.option("--first-name", default="")
@click.option("--last-name", default="")
@click.option("--email", default="")
@click.option("--by", "by", metavar="USERNAME", help="Record this operator instead of the OS user.")
def staff_add(
    username: str,
    roles: tuple[str, ...],
    estate_admin: bool,
    first_name: str,
    last_name: str,
    email: str,
    by: str | None,
) -> None:
    """Create a member of staff; asks for the password and prints backup codes."""
    _setup_django()
    from wicketgate.accounts.actions import do_create_staff_user, do_issue_backup_codes
    from wicketgate.audit.log import Actor
    from wicketgate.estate.models import Establishment

    pairs = []
    with _refusals():
        for item in roles:
            role, _, code = item.partition("@")
            establishment = Establishment.objects.filter(code=code.upper()).first()
            if not code or establishment is None:
                raise Refused(f"--role {item}: expected ROLE@CODE with a known establishment code")
            pairs.append((establishment, role))
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        actor = Actor.operator(by)
        user = do_create_staff_user(
            username,
            password=password,
            roles=pairs,
            estate_admin=estate_admin,
            first_name=first_name,
            last_name=last_name,
            email=email,
            actor=actor,
        )
        codes = do_issue_backup_codes(user, actor=actor)
    click.echo(f"Created {username}. Backup codes for the second factor (each works once):")
    click.echo("  " + "  ".join(codes))
    click.echo(f"Enrol an authenticator app with: wicketgate staff totp {username}")


@staff.command(name="backup-codes")
@click.argument("username")
@click.option("--by", "by", metavar="USERNAME", help="Record this operator instead of the OS user.")
def staff_backup_codes(username: str, by: str | None) -> None:
    """Replace a member of staff's backup codes and print the new ones."""
    _setup_django()
    from wicketgate.accounts.actions import do_issue_backup_codes
    from wicketgate.audit.log import Actor

    user = _staff_user(username)
    codes = do_issue_backup_codes(user, actor=Actor.operator(by))
    click.echo("  ".join(codes))


@staff.command(name="totp")
@click.argument("username")
def staff_totp(username: str) -> None:
    """Print the otpauth:// address (and a QR code) to enrol an authenticator app."""
    _setup_django()
    import io

    import qrcode
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = _staff_user(username)
    device = TOTPDevice.objects.filter(user=user).first()
    if device is None:
        raise Refused(f"{username} has no authenticator device")
    qr = qrcode.QRCode(border=1)
    qr.add_data(device.config_url)
    buffer = io.StringIO()
    qr.print_ascii(out=buffer, invert=True)
    click.echo(buffer.getvalue())
    click.echo(device.config_url)


def _staff_user(username: str) -> Any:
    from wicketgate.accounts.models import User, UserKind

    user = User.objects.filter(username=username, kind=UserKind.STAFF).first()
    if user is None:
        raise Refused(f"no member of staff called {username}")
    return user


@main.group()
def token() -> None:
    """API tokens for integrations; each acts as, and is scoped like, a member of staff."""


@token.command(name="create")
@click.argument("username")
@click.option("--name", required=True, help="What will use the token.")
@click.option("--days", type=click.IntRange(1, 3650), help="Expire after this many days.")
@click.option("--by", "by", metavar="USERNAME", help="Record this operator instead of the OS user.")
def token_create(username: str, name: str, days: int | None, by: str | None) -> None:
    """Create a token and print it (it is shown only once)."""
    _setup_django()
    import datetime as dt

    from django.utils import timezone

    from wicketgate.accounts.actions import do_create_api_token
    from wicketgate.audit.log import Actor

    user = _staff_user(username)
    expires = timezone.now() + dt.timedelta(days=days) if days else None
    with _refusals():
        _token, secret = do_create_api_token(
            user, name, actor=Actor.operator(by), expires_at=expires
        )
    click.echo(secret)


@token.command(name="revoke")
@click.argument("key_id")
@click.option("--by", "by", metavar="USERNAME", help="Record this operator instead of the OS user.")
def token_revoke(key_id: str, by: str | None) -> None:
    """Revoke a token by its key id (the part after ``wg_``)."""
    _setup_django()
    from wicketgate.accounts.actions import do_revoke_api_token
    from wicketgate.accounts.models import ApiToken
    from wicketgate.audit.log import Actor

    found = ApiToken.objects.filter(key_id=key_id).first()
    if found is None:
        raise Refused(f"no token {key_id}")
    with _refusals():
        do_revoke_api_token(found, actor=Actor.operator(by))
    click.echo(f"revoked {key_id}")


@main.group()
def prisoner() -> None:
    """Prisoner device accounts."""


@prisoner.command(name="set-pin")
@click.argument("prison_number")
@click.option("--by", "by", metavar="USERNAME", help="Record this operator instead of the OS user.")
def prisoner_set_pin(prison_number: str, by: str | None) -> None:
    """Set (or reset) a prisoner's device PIN; asks for it. Also clears its wrong PINs."""
    _setup_django()
    from wicketgate.accounts.actions import do_set_prisoner_pin
    from wicketgate.audit.log import Actor
    from wicketgate.people.models import Prisoner

    found = Prisoner.objects.filter(prison_number=prison_number.upper()).first()
    if found is None:
        raise Refused(f"no prisoner {prison_number}")
    pin = click.prompt("PIN", hide_input=True, confirmation_prompt=True)
    with _refusals():
        do_set_prisoner_pin(found, pin, actor=Actor.operator(by))
    click.echo(f"PIN set for {found.prison_number}")


@prisoner.command(name="unlock")
@click.argument("prison_number")
@click.option("--by", "by", metavar="USERNAME", help="Record this operator instead of the OS user.")
def prisoner_unlock(prison_number: str, by: str | None) -> None:
    """Clear the wrong PINs counted for a prisoner's device account, on every device."""
    _setup_django()
    from wicketgate.accounts.actions import do_unlock_prisoner_account
    from wicketgate.accounts.models import PrisonerAccount
    from wicketgate.audit.log import Actor

    found = PrisonerAccount.objects.filter(prisoner__prison_number=prison_number.upper()).first()
    if found is None:
        raise Refused(f"no device account for {prison_number}")
    with _refusals():
        do_unlock_prisoner_account(found, actor=Actor.operator(by))
    click.echo(f"wrong PINs cleared for {prison_number.upper()}")


@prisoner.command(name="unlock-device")
@click.argument("device_id")
@click.option("--by", "by", metavar="USERNAME", help="Record this operator instead of the OS user.")
def prisoner_unlock_device(device_id: str, by: str | None) -> None:
    """Clear the wrong PINs counted on a device (for any account), so it takes PINs again."""
    _setup_django()
    from wicketgate.accounts.actions import do_unlock_pin_device
    from wicketgate.audit.log import Actor
    from wicketgate.gateway.models import Device

    found = Device.objects.filter(device_id=device_id).first()
    if found is None:
        raise Refused(f"no device {device_id}")
    with _refusals():
        do_unlock_pin_device(found, actor=Actor.operator(by))
    click.echo(f"wrong PINs cleared for the device {device_id}")


# --- policy ------------------------------------------------------------------------------


@main.group()
def policy() -> None:
    """The access policy: approved sites, rules, per-prisoner exceptions."""


@policy.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--establishment", default=None, help="Rules in the file apply at this establishment only."
)
@click.option("--by", "by", metavar="USERNAME", help="Record this operator instead of the OS user.")
def policy_import(file: Path, establishment: str | None, by: str | None) -> None:
    """Load sites, rules and exceptions from a YAML FILE (an administrator action: applied at once)."""
    _setup_django()
    from wicketgate.audit.log import Actor
    from wicketgate.estate.models import Establishment
    from wicketgate.people.models import AlertCode, Prisoner
    from wicketgate.policy.actions import do_import_policy
    from wicketgate.policy.imports import Known, read_policy
    from wicketgate.policy.models import Category, Site

    scope = None
    if establishment is not None:
        scope = Establishment.objects.filter(code=establishment.upper()).first()
        if scope is None:
            raise Refused(f"--establishment {establishment}: no such establishment")
    known = Known(
        categories=set(Category.objects.values_list("code", flat=True)),
        sites=set(Site.objects.values_list("name", flat=True)),
        prisoners=set(Prisoner.objects.values_list("prison_number", flat=True)),
        establishments=set(Establishment.objects.values_list("code", flat=True)),
        alerts=set(AlertCode.objects.values_list("code", flat=True)),
    )
    with _refusals():
        parsed = read_policy(file, known)
        summary = do_import_policy(
            parsed, actor=Actor.operator(by), file_name=str(file), establishment=scope
        )
    click.echo(f"{file}: " + ", ".join(f"{n} {what}" for what, n in sorted(summary.counts.items())))


@policy.command(name="cedar")
def policy_cedar() -> None:
    """Print the Cedar policy set the rules compile to (for review, line by line)."""
    _setup_django()
    from wicketgate.policy.compiler import build_snapshot

    click.echo(build_snapshot().cedar_text)


@main.command()
@click.option("--prisoner", required=True, help="Prison number, e.g. A1234BC.")
@click.option("--url", required=True, help="The address asked for (or a bare host, as for HTTPS).")
@click.option(
    "--at",
    "at",
    default=None,
    help="ISO-8601 time (default: now); without a zone, establishment time.",
)
@click.option("--location", default=None, help="Location kind the request comes from, e.g. CELL.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def decide(prisoner: str, url: str, at: str | None, location: str | None, as_json: bool) -> None:
    """Ask the policy engine: exit 0 allowed, 1 denied, 2 bad input."""
    _setup_django()
    import datetime as dt
    import json

    from django.utils import timezone

    from wicketgate.estate.codes import LocationKind
    from wicketgate.policy.engine import UnknownPrisoner
    from wicketgate.policy.engine import decide as decide_
    from wicketgate.policy.hosts import BadResource

    moment = None
    if at is not None:
        try:
            moment = dt.datetime.fromisoformat(at)
        except ValueError as exc:
            raise click.BadParameter(f"{at!r} is not an ISO-8601 time", param_hint="--at") from exc
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
    if location is not None and location.upper() not in LocationKind.values:
        raise click.BadParameter(
            f"{location!r}; use one of {', '.join(LocationKind.values)}", param_hint="--location"
        )
    try:
        decision = decide_(
            prisoner, url, at=moment, location=location.upper() if location else None
        )
    except (UnknownPrisoner, BadResource) as exc:
        raise click.UsageError(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(decision.as_json()))
    else:
        click.echo(("ALLOW" if decision.allowed else "DENY") + f"  ({', '.join(decision.rules)})")
        for reason in decision.reasons:
            click.echo(f"  {reason}")
    sys.exit(0 if decision.allowed else 1)


# --- audit -------------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """The tamper-evident audit log: verify it, export from it, sign its head."""


@audit.command(name="verify")
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Public key (PEM) to check checkpoints against; default: this installation's own.",
)
def audit_verify(key_file: Path | None) -> None:
    """Recompute the hash chain and check every signed checkpoint.

    Exits 0 when the log is intact; otherwise 1, naming the first bad event and what is
    wrong with it (modified, missing, inserted, reordered, truncated after a checkpoint).
    """
    _setup_django()
    from wicketgate.audit.models import AuditHead
    from wicketgate.audit.signing import SigningKeyError, load_public_key, private_key
    from wicketgate.audit.verify import verify

    try:
        public = load_public_key(key_file.read_bytes()) if key_file else private_key().public_key()
    except (OSError, ValueError, SigningKeyError) as exc:
        raise Refused(f"cannot read the public key: {exc}") from exc
    head = AuditHead.objects.filter(pk=1).first()
    with _progress(head.seq if head else 0, "Verifying ") as tick:
        report = verify(public, progress=tick)
    if report.problem is not None:
        raise Refused(f"the audit log is NOT intact: {report.problem}")
    click.echo(
        f"intact: {report.events} events, {report.checkpoints} signed checkpoints, head {report.head_hash[:16]}…"
    )


@audit.command(name="export")
@click.option("--prisoner", default="", help="Prison number the events are about.")
@click.option("--actor", default="", help="Username (or component) that acted.")
@click.option(
    "--action", default="", help='Exact action, or a prefix ending in "." such as people.'
)
@click.option("--establishment", default="", help="Establishment code.")
@click.option("--since", type=click.DateTime(), help="From this time (establishment local time).")
@click.option("--until", type=click.DateTime(), help="Up to (not including) this time.")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: standard output).",
)
@click.option("--by", "by", metavar="USERNAME", help="Record this operator instead of the OS user.")
def audit_export(
    prisoner: str,
    actor: str,
    action: str,
    establishment: str,
    since: Any,
    until: Any,
    fmt: str,
    output: Path | None,
    by: str | None,
) -> None:
    """Export a selection of events with the signed checkpoint they verify against.

    The export is itself recorded in the log. For CSV the checkpoint is written beside
    the file as FILE.checkpoint.json (or to standard error).
    """
    _setup_django()
    import json

    from django.utils import timezone

    from wicketgate.audit.export import do_export_audit_events, write_all
    from wicketgate.audit.log import Actor
    from wicketgate.audit.models import AuditEvent
    from wicketgate.audit.queries import EventFilter, search

    def aware(moment: Any) -> Any:
        return timezone.make_aware(moment) if moment is not None else None

    chosen = EventFilter(
        prisoner=prisoner,
        actor=actor,
        action=action,
        establishment=establishment,
        since=aware(since),
        until=aware(until),
    )
    manifest, lines = do_export_audit_events(
        search(AuditEvent.objects.all(), chosen), chosen=chosen, fmt=fmt, actor=Actor.operator(by)
    )
    if output is None:
        write_all(lines, sys.stdout)
        if fmt == "csv":
            click.echo(json.dumps(manifest), err=True)
        return
    with output.open("w", encoding="utf-8", newline="") as handle:
        write_all(lines, handle)
    if fmt == "csv":
        output.with_name(output.name + ".checkpoint.json").write_text(
            json.dumps(manifest, indent=2) + "\n"
        )
    click.echo(f"{output}: {manifest['events']} events", err=True)


@audit.command(name="checkpoint")
def audit_checkpoint() -> None:
    """Sign the chain's head now (the background worker does this every few minutes)."""
    _setup_django()
    from wicketgate.audit.log import sign_checkpoint

    checkpoint = sign_checkpoint(force=True)
    if checkpoint is None:
        raise Refused("the audit log is empty; there is nothing to sign")
    click.echo(
        f"checkpoint at event {checkpoint.seq}: {checkpoint.head_hash} signed by key {checkpoint.key_id}"
    )


@audit.command(name="replay")
def audit_replay() -> None:
    """Write events left in local spool files (after a crash) into the log."""
    _setup_django()
    from wicketgate.audit.spool import replay_all

    click.echo(f"{replay_all()} events written from the spool")


@audit.command(name="public-key")
def audit_public_key() -> None:
    """Print the public key (PEM) that verifies this installation's checkpoints."""
    _setup_django()
    from wicketgate.audit.signing import public_key_pem

    click.echo(public_key_pem().decode(), nl=False)


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

    welcome = load_demo(progress=_progress)
    print_welcome(welcome, base_url=f"http://{_bind_host(host)}:{port}", echo=click.echo)
    sys.exit(_run_services(host, port, workers=2))


@demo.command(name="load")
def demo_load() -> None:
    """Load (or refresh) the demo estate and print the demo logins."""
    _setup_django()
    _prepare(migrate=True)
    from wicketgate.demo.load import load_demo, print_welcome

    welcome = load_demo(progress=_progress)
    print_welcome(welcome, base_url="http://127.0.0.1:8000", echo=click.echo)


main.add_command(gateway)  # the web gateway's commands live with the gateway app
main.add_command(conduct)  # so do conduct's
main.add_command(calls)  # and the video calls'

if __name__ == "__main__":
    main()
