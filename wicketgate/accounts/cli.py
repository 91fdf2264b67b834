"""``wicketgate staff``, ``token`` and ``prisoner``: staff accounts, API tokens and
prisoners' device accounts."""

from __future__ import annotations

from typing import Any

import click

from wicketgate.lib.cli import BY, Refused, refusals
from wicketgate.lib.cli import setup_django as _setup_django


@click.group()
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
@BY
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
    with refusals():
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
@BY
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


@click.group()
def token() -> None:
    """API tokens for integrations; each acts as, and is scoped like, a member of staff."""


@token.command(name="create")
@click.argument("username")
@click.option("--name", required=True, help="What will use the token.")
@click.option("--days", type=click.IntRange(1, 3650), help="Expire after this many days.")
@BY
def token_create(username: str, name: str, days: int | None, by: str | None) -> None:
    """Create a token and print it (it is shown only once)."""
    _setup_django()
    import datetime as dt

    from django.utils import timezone

    from wicketgate.accounts.actions import do_create_api_token
    from wicketgate.audit.log import Actor

    user = _staff_user(username)
    expires = timezone.now() + dt.timedelta(days=days) if days else None
    with refusals():
        _token, secret = do_create_api_token(
            user, name, actor=Actor.operator(by), expires_at=expires
        )
    click.echo(secret)


@token.command(name="revoke")
@click.argument("key_id")
@BY
def token_revoke(key_id: str, by: str | None) -> None:
    """Revoke a token by its key id (the part after ``wg_``)."""
    _setup_django()
    from wicketgate.accounts.actions import do_revoke_api_token
    from wicketgate.accounts.models import ApiToken
    from wicketgate.audit.log import Actor

    found = ApiToken.objects.filter(key_id=key_id).first()
    if found is None:
        raise Refused(f"no token {key_id}")
    with refusals():
        do_revoke_api_token(found, actor=Actor.operator(by))
    click.echo(f"revoked {key_id}")


@click.group()
def prisoner() -> None:
    """Prisoner device accounts."""


@prisoner.command(name="set-pin")
@click.argument("prison_number")
@BY
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
    with refusals():
        do_set_prisoner_pin(found, pin, actor=Actor.operator(by))
    click.echo(f"PIN set for {found.prison_number}")


@prisoner.command(name="unlock")
@click.argument("prison_number")
@BY
def prisoner_unlock(prison_number: str, by: str | None) -> None:
    """Clear the wrong PINs counted for a prisoner's device account, on every device."""
    _setup_django()
    from wicketgate.accounts.actions import do_unlock_prisoner_account
    from wicketgate.accounts.models import PrisonerAccount
    from wicketgate.audit.log import Actor

    found = PrisonerAccount.objects.filter(prisoner__prison_number=prison_number.upper()).first()
    if found is None:
        raise Refused(f"no device account for {prison_number}")
    with refusals():
        do_unlock_prisoner_account(found, actor=Actor.operator(by))
    click.echo(f"wrong PINs cleared for {prison_number.upper()}")


@prisoner.command(name="unlock-device")
@click.argument("device_id")
@BY
def prisoner_unlock_device(device_id: str, by: str | None) -> None:
    """Clear the wrong PINs counted on a device (for any account), so it takes PINs again."""
    _setup_django()
    from wicketgate.accounts.actions import do_unlock_pin_device
    from wicketgate.audit.log import Actor
    from wicketgate.gateway.models import Device

    found = Device.objects.filter(device_id=device_id).first()
    if found is None:
        raise Refused(f"no device {device_id}")
    with refusals():
        do_unlock_pin_device(found, actor=Actor.operator(by))
    click.echo(f"wrong PINs cleared for the device {device_id}")
