"""The demo estate: three establishments, about 300 synthetic prisoners, staff and families.

Everything is generated from a fixed seed, so every load gives the same people, and it
goes through the same import and account actions as real data does. Loading again
refreshes the demo accounts (passwords, backup codes, PINs) and changes nothing else.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from faker import Faker

from wicketgate.accounts.actions import (
    do_create_family_account,
    do_create_staff_user,
    do_issue_backup_codes,
    do_set_prisoner_pin,
)
from wicketgate.accounts.models import PrisonerAccount, User
from wicketgate.accounts.roles import StaffRole
from wicketgate.audit.log import Actor
from wicketgate.estate.actions import do_import_establishments
from wicketgate.estate.imports import EstablishmentsFile
from wicketgate.estate.models import Location
from wicketgate.gateway.actions import do_register_device
from wicketgate.gateway.models import Device, DeviceKind, hash_secret
from wicketgate.lib import csvsafe
from wicketgate.people.actions import do_import_prisoners
from wicketgate.people.imports import COLUMNS, read_prisoners, reference_data
from wicketgate.people.models import AlertCode, Prisoner

SEED = 20261126
DEMO_PASSWORD = "wicketgate-demo"  # noqa: S105 - demo accounts only; printed at every start
DEMO_BACKUP_CODES = [f"demo{n:04d}" for n in range(1, 11)]
DEMO_PIN = "2580"
# The demo runs on loopback: its devices, the suite terminal among them, use the gateway
# from this machine.
DEMO_TERMINAL_ADDRESS = "127.0.0.1"
DEMO_DEVICE_KEY = "wicketgate-demo-device"  # demo devices only; printed at every start
DEMO_PHONE_PIN = "4826"  # the first demo prisoner's, on a handset; printed at every start
# A softphone on this machine is the demo's wing phone: Kamailio sees its calls come from here.
DEMO_HANDSET_ADDRESS = "127.0.0.1"
# A SIPp trunk that answers at once (SIPp's built-in uas will not do: it does not copy the
# Record-Route into its 200 OK, so the handset's ACK never reaches it).
TRUNK_STAND_IN = (
    Path(__file__).resolve().parents[1] / "phone" / "tests" / "sipp" / "uas_trunk_accepts.xml"
)
ACTOR = Actor.system("demo-loader")

ProgressFactory = Callable[[int, str], AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True)
class DemoEstablishment:
    code: str
    name: str
    kind: str
    youth: bool
    prisoners: int
    wings: list[str]
    landings: int
    cells_per_landing: int
    categories: list[tuple[str, int]]  # category, weight
    levels: list[str]
    facts: dict[str, Any] = field(default_factory=dict)


ESTABLISHMENTS = [
    DemoEstablishment(
        code="NGT",
        name="HMP Northgate",
        kind="local",
        youth=False,
        prisoners=130,
        wings=["A", "B", "C"],
        landings=2,
        cells_per_landing=12,
        categories=[("B", 70), ("C", 15), ("UNSENTENCED", 10), ("A_STANDARD", 5)],
        levels=["BAS", "STD", "ENH"],
        facts={
            "capacity": 150,
            "kiosks": 6,
            "wifi": False,
            "in_cell_cabling": False,
            "in_cell_laptops": False,
        },
    ),
    DemoEstablishment(
        code="RVS",
        name="HMP Riverside",
        kind="training",
        youth=False,
        prisoners=120,
        wings=["H", "J", "K"],
        landings=2,
        cells_per_landing=10,
        categories=[("C", 90), ("D", 5), ("B", 5)],
        levels=["BAS", "STD", "ENH", "EN2"],
        facts={
            "capacity": 130,
            "in_wales": True,  # its phone announcement is in Welsh, then English
            "welsh_name": "CEF Glan yr Afon",
            "kiosks": 4,
            "wifi": True,
            "in_cell_cabling": True,
            "in_cell_laptops": True,
        },
    ),
    DemoEstablishment(
        code="WBK",
        name="HMYOI Westbrook",
        kind="yoi",
        youth=True,
        prisoners=50,
        wings=["Oak", "Ash"],
        landings=1,
        cells_per_landing=14,
        categories=[("YOI_CLOSED", 80), ("YOI_RESTRICTED", 10), ("YOI_OPEN", 10)],
        levels=["BAS", "STD", "ENH"],
        facts={
            "capacity": 60,
            "kiosks": 3,
            "wifi": False,
            "in_cell_cabling": False,
            "in_cell_laptops": False,
        },
    ),
]

STAFF_ROLES = [
    (StaffRole.WING_OFFICER, "officer"),
    (StaffRole.SECURITY, "security"),
    (StaffRole.EDUCATION, "education"),
    (StaffRole.VISITS, "visits"),
    (StaffRole.GOVERNOR, "governor"),
]

FAMILY = [
    ("Fay", "Ashdown"),
    ("Kwame", "Mensah"),
    ("Siân", "Roberts"),
    ("Priya", "Shah"),
    ("Tom", "Walsh"),
]


@dataclass
class Welcome:
    staff: list[tuple[str, str]]  # username, what they are
    families: list[str]
    prisoners: list[tuple[str, str]]  # prison number, name and establishment
    counts: dict[str, int]
    devices: list[tuple[str, str, str]] = field(default_factory=list)  # id, where, prisoner
    conduct: list[str] = field(default_factory=list)  # what the demo's conduct records show
    calls: list[str] = field(default_factory=list)  # the demo's video calls
    phone: list[str] = field(default_factory=list)  # the demo's phone lists and credit
    learning: list[str] = field(default_factory=list)  # the demo's course and library book


def load_demo(progress: ProgressFactory | None = None) -> Welcome:
    establishments_file = EstablishmentsFile.model_validate(
        {"establishments": [_establishment(e) for e in ESTABLISHMENTS]}
    )
    do_import_establishments(establishments_file, actor=ACTOR)

    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "demo-prisoners.csv"
        _write_prisoners_csv(csv_path)
        rows = read_prisoners(csv_path, reference_data())
        if progress is None:
            do_import_prisoners(rows, actor=ACTOR, file_name="demo-prisoners.csv")
        else:
            with progress(len(rows), "Demo prisoners ") as tick:
                do_import_prisoners(
                    rows, actor=ACTOR, file_name="demo-prisoners.csv", progress=tick
                )

    _load_policy()
    staff = _staff_accounts()
    families = _family_accounts()
    prisoners = _prisoner_accounts()
    devices = _devices()
    conduct = _conduct(prisoners)
    _contacts(families, prisoners)
    calls = _video_calls(families, prisoners)
    phone = _phone(prisoners)
    learning = _learning(prisoners)
    return Welcome(
        staff=staff,
        families=families,
        prisoners=prisoners,
        devices=devices,
        conduct=conduct,
        calls=calls,
        phone=phone,
        learning=learning,
        counts={"establishments": len(ESTABLISHMENTS), "prisoners": Prisoner.objects.count()},
    )


def print_welcome(welcome: Welcome, *, base_url: str, echo: Callable[[str], None]) -> None:
    rule = "─" * 72
    echo(rule)
    echo(
        f"Wicketgate demo estate: {welcome.counts['establishments']} establishments, {welcome.counts['prisoners']} prisoners"
    )
    echo(f"  Staff UI          {base_url}/staff/")
    echo(f"  Prisoner portal   {base_url}/portal/")
    echo(f"  Family portal     {base_url}/family/")
    echo(f"  API (OpenAPI)     {base_url}/api/v1/docs  ·  {base_url}/api/v1/openapi.json")
    echo(f"  Health            {base_url}/healthz  ·  {base_url}/readyz")
    echo("")
    echo(f"Staff sign-in: password {DEMO_PASSWORD!r}, and as the one-time code any backup code")
    echo(
        f"  {' '.join(DEMO_BACKUP_CODES)}  (each works once per account; a new demo run resets them)"
    )
    for username, what in welcome.staff:
        echo(f"  {username:<22} {what}")
    echo(f"Family sign-in: password {DEMO_PASSWORD!r}")
    for email in welcome.families:
        echo(f"  {email}")
    echo(f"Prisoner device sign-in: PIN {DEMO_PIN}")
    for number, what in welcome.prisoners:
        echo(f"  {number}  {what}")
    if welcome.devices:
        echo(
            f"Web gateway (Squid) on {settings.WICKETGATE_GATEWAY_LISTEN}; demo devices, key {DEMO_DEVICE_KEY!r}:"
        )
        for device_id, where, number in welcome.devices:
            echo(f"  {device_id:<16} {where:<14} for {number}")
        device_id, _where, number = welcome.devices[0]
        echo("  Sign in on a device and browse through the gateway:")
        echo(
            f"    curl -s -X POST {base_url}/api/v1/device/sessions -H 'X-Wicketgate-Device: "
            f"{device_id}:{DEMO_DEVICE_KEY}' -H 'Content-Type: application/json' "
            f'-d \'{{"prison_number": "{number}", "pin": "{DEMO_PIN}"}}\''
        )
        echo(
            f"    curl -x http://{settings.WICKETGATE_GATEWAY_LISTEN} -U USERNAME:PASSWORD http://www.nhs.uk/"
        )
        echo(f"  or: wicketgate gateway session open --prisoner {number} --device {device_id}")
    if welcome.calls:
        echo("Video calls (Janus):")
        for line in welcome.calls:
            echo(f"  {line}")
    if welcome.phone:
        echo("Phone calls (Kamailio):")
        for line in welcome.phone:
            echo(f"  {line}")
    if welcome.learning:
        echo("Learning (courses, the offline library on kiwix-serve):")
        for line in welcome.learning:
            echo(f"  {line}")
    if welcome.conduct:
        echo("Conduct (incidents, sanctions, alerts):")
        for line in welcome.conduct:
            echo(f"  {line}")
    echo(rule)


# --- the estate --------------------------------------------------------------------------


def _establishment(spec: DemoEstablishment) -> dict[str, Any]:
    locations: list[dict[str, Any]] = []
    for wing in spec.wings:
        wing_code = f"{spec.code}-{wing.upper()}"
        locations.append({"code": wing_code, "kind": "WING", "name": f"{wing} wing"})
        for landing in range(1, spec.landings + 1):
            landing_code = f"{wing_code}-{landing}"
            locations.append(
                {
                    "code": landing_code,
                    "kind": "LANDING",
                    "parent": wing_code,
                    "name": f"{wing} wing, landing {landing}",
                }
            )
            for cell in range(1, spec.cells_per_landing + 1):
                locations.append(
                    {
                        "code": f"{landing_code}-{cell:02d}",
                        "kind": "CELL",
                        "parent": landing_code,
                        "capacity": 2,
                    }
                )
        locations.append(
            {
                "code": f"{wing_code}-KIOSK",
                "kind": "KIOSK_AREA",
                "parent": wing_code,
                "name": f"{wing} wing kiosks",
            }
        )
    locations += [
        {"code": f"{spec.code}-EDU", "kind": "EDUCATION", "name": "Education centre"},
        {"code": f"{spec.code}-LIB", "kind": "LIBRARY", "name": "Library"},
        {"code": f"{spec.code}-WKS", "kind": "WORKSHOP", "name": "Workshops"},
        {"code": f"{spec.code}-VS1", "kind": "VIDEO_SUITE", "name": "Video suite 1"},
    ]
    return {
        "code": spec.code,
        "name": spec.name,
        "kind": spec.kind,
        "youth": spec.youth,
        "incentive_levels": spec.levels,
        "default_incentive_level": "STD",
        **spec.facts,
        "locations": locations,
    }


def _write_prisoners_csv(path: Path) -> None:
    fake = Faker("en_GB")
    fake.seed_instance(SEED)
    rng = random.Random(SEED)  # noqa: S311 - synthetic data, not a secret
    today = timezone.localdate()
    alert_codes = sorted(AlertCode.objects.filter(active=True).values_list("code", flat=True))
    taken: set[str] = set(
        Prisoner.objects.exclude(
            establishment__code__in=[e.code for e in ESTABLISHMENTS]
        ).values_list("prison_number", flat=True)
    )
    with path.open("w", newline="", encoding="utf-8") as handle:
        # Like every CSV the product writes (no cell here starts like a formula anyway).
        writer = csvsafe.writer(handle)
        writer.writerow(COLUMNS)
        for spec in ESTABLISHMENTS:
            cells = list(
                Location.objects.filter(establishment__code=spec.code, kind="CELL")
                .order_by("code")
                .values_list("code", flat=True)
            )
            for _ in range(spec.prisoners):
                number = _prison_number(rng, taken)
                # Whole years from this year, so that reloading on another day (of the
                # same year) gives the same people and the import reports them unchanged.
                age = rng.randint(16, 20) if spec.youth else rng.randint(22, 70)
                born = dt.date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
                category = rng.choices(
                    [c for c, _ in spec.categories], weights=[w for _, w in spec.categories]
                )[0]
                level = rng.choices(spec.levels, weights=[8, 60, 25, 7][: len(spec.levels)])[0]
                status = (
                    "REMAND"
                    if category == "UNSENTENCED"
                    else rng.choices(
                        ["SENTENCED", "RECALL", "CONVICTED_UNSENTENCED", "INDETERMINATE_SENTENCE"],
                        weights=[80, 10, 5, 5],
                    )[0]
                )
                alerts = rng.sample(alert_codes, k=rng.choices([0, 1, 2], weights=[80, 15, 5])[0])
                given = fake.first_name_male() if spec.kind != "women" else fake.first_name_female()
                writer.writerow(
                    [
                        number,
                        given,
                        fake.last_name(),
                        born.isoformat(),
                        spec.code,
                        rng.choice(cells),
                        category,
                        level,
                        status,
                        ";".join(sorted(alerts)),
                    ]
                )


def _prison_number(rng: random.Random, taken: set[str]) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    while True:
        number = (
            f"{rng.choice('AG')}{rng.randint(1000, 9999)}{rng.choice(letters)}{rng.choice(letters)}"
        )
        if number not in taken:
            taken.add(number)
            return number


def _load_policy() -> None:
    from wicketgate.policy.actions import do_import_policy
    from wicketgate.policy.imports import PolicyFile

    text = (Path(__file__).with_name("policy.yaml")).read_text(encoding="utf-8")
    import yaml

    do_import_policy(
        PolicyFile.model_validate(yaml.safe_load(text)), actor=ACTOR, file_name="demo/policy.yaml"
    )


# --- accounts ---------------------------------------------------------------------------


def _staff_accounts() -> list[tuple[str, str]]:
    from wicketgate.estate.models import Establishment

    made: list[tuple[str, str]] = []
    admin = _staff("estate.admin", estate_admin=True, first="Elaine", last="Adeyemi")
    made.append((admin.username, "estate administrator: every establishment"))
    for spec in ESTABLISHMENTS:
        establishment = Establishment.objects.get(code=spec.code)
        for role, suffix in STAFF_ROLES:
            username = f"{spec.code.lower()}.{suffix}"
            _staff(username, roles=[(establishment, role)], first=suffix.title(), last=spec.code)
            made.append((username, f"{StaffRole(role).label} at {spec.name}"))
    return made


def _staff(
    username: str,
    *,
    roles: list[tuple[Any, str]] | None = None,
    estate_admin: bool = False,
    first: str,
    last: str,
) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = do_create_staff_user(
            username,
            password=DEMO_PASSWORD,
            roles=roles or [],
            estate_admin=estate_admin,
            first_name=first,
            last_name=last,
            actor=ACTOR,
            check_password=False,
        )
    else:
        user.set_password(DEMO_PASSWORD)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
    do_issue_backup_codes(user, actor=ACTOR, codes=DEMO_BACKUP_CODES)
    from axes.utils import reset

    reset(username=username)
    return user


def _family_accounts() -> list[str]:
    """Each demo family member registered as the family portal registers them, their
    address confirmed as its link would; on loading again, their password put back."""
    from wicketgate.contacts.actions import do_register_family_member, do_verify_email

    emails = []
    for index, (first, last) in enumerate(FAMILY):
        email = f"{first.lower().replace('â', 'a')}.{last.lower()}@example.org"
        user = User.objects.filter(username=email).first()
        if user is None:
            _person, token = do_register_family_member(
                email=email,
                password=DEMO_PASSWORD,
                given_name=first,
                family_name=last,
                date_of_birth=_family_birthday(index),
                check_password=False,
            )
            do_verify_email(token)
        else:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        emails.append(email)
    return emails


def _family_birthday(index: int) -> dt.date:
    return dt.date(1960 + 3 * index, 4, 1 + index)


def _prisoner_accounts() -> list[tuple[str, str]]:
    made = []
    for spec in ESTABLISHMENTS:
        prisoner = (
            Prisoner.objects.filter(establishment__code=spec.code).order_by("prison_number").first()
        )
        if prisoner is None:
            continue
        do_set_prisoner_pin(prisoner, DEMO_PIN, actor=ACTOR)
        made.append((prisoner.prison_number, f"{prisoner.full_name}, {spec.name}"))
    return made


def _devices() -> list[tuple[str, str, str]]:
    """A device for each demo prisoner: an in-cell laptop where the establishment has them,
    else the kiosk on their wing. Keys are the demo's fixed one, so the demo can print it."""
    made = []
    for number, _what in _prisoner_accounts_listed():
        prisoner = Prisoner.objects.select_related("establishment", "location").get(
            prison_number=number
        )
        cell = prisoner.location
        if cell is None:
            continue
        place: Location | None
        if prisoner.establishment.in_cell_laptops:
            kind, place = DeviceKind.LAPTOP, cell
        else:
            wing = cell.wing()
            place = Location.objects.filter(code=f"{wing.code}-KIOSK").first() if wing else None
            kind = DeviceKind.KIOSK
            if place is None:
                continue
        device_id = f"{place.code}-LAPTOP" if kind == DeviceKind.LAPTOP else f"{place.code}-1"
        device = Device.objects.filter(device_id=device_id).first()
        if device is None:
            device, _key = do_register_device(
                device_id=device_id,
                establishment=prisoner.establishment,
                location=place,
                kind=kind,
                actor=ACTOR,
            )
        if device.key_hash != hash_secret(DEMO_DEVICE_KEY):
            Device.objects.filter(pk=device.pk).update(key_hash=hash_secret(DEMO_DEVICE_KEY))
        made.append((device.device_id, place.code, number))
    return made


def _conduct(prisoners: list[tuple[str, str]]) -> list[str]:
    """An adjudicated incident with a sanction in force and one suspended, on the first
    demo prisoner, and an incident awaiting its hearing; once, however often the demo loads."""
    from wicketgate.conduct.actions import do_add_sanction, do_move_incident, do_report_incident
    from wicketgate.conduct.codes import Status
    from wicketgate.conduct.models import Incident

    if not prisoners:
        return []
    number = prisoners[0][0]
    prisoner = Prisoner.objects.select_related("establishment").get(prison_number=number)
    summary = "Tried to reach news sites from an education PC"
    if not Incident.objects.filter(prisoner=prisoner, summary=summary).exists():
        now = timezone.now()
        incident = do_report_incident(
            prisoner=prisoner,
            occurred_at=now - dt.timedelta(days=1, hours=3),
            service="web",
            summary=summary,
            description="Repeated attempts at news sites during a class, after a warning.",
            actor=ACTOR,
        )
        do_move_incident(
            incident, Status.HEARING_SCHEDULED, actor=ACTOR, hearing_at=now - dt.timedelta(hours=4)
        )
        do_move_incident(incident, Status.PROVED, actor=ACTOR, notes="Admitted at the hearing.")
        do_add_sanction(
            prisoner=prisoner,
            incident=incident,
            service="web",
            categories=["NEWS"],
            days=14,
            reason=f"{incident.reference}: news sites during class",
            actor=ACTOR,
        )
        do_add_sanction(
            prisoner=prisoner,
            incident=incident,
            service="video",
            days=7,
            suspend_months=3,
            reason=f"{incident.reference}: suspended loss of video calls",
            actor=ACTOR,
        )
        other = (
            Prisoner.objects.filter(establishment=prisoner.establishment)
            .exclude(pk=prisoner.pk)
            .order_by("prison_number")
            .first()
        )
        if other is not None:
            do_report_incident(
                prisoner=other,
                occurred_at=now - dt.timedelta(hours=6),
                service="device",
                summary="Kiosk screen covered during a session",
                description="Covered the kiosk's camera and screen with paper.",
                actor=ACTOR,
            )
    return [
        f"{number} has a proved incident: News sites stopped for 14 days, loss of video calls "
        "suspended (see My sanctions on the portal)",
        f"Give one: wicketgate conduct sanction add --prisoner {number} --service web --days 7 "
        "--reason 'Proved charge'  (quash: wicketgate conduct sanction quash ID --reason ...)",
    ]


# Who each demo family member is to which demo prisoner (by position in the printed list),
# and how far their link has got: approved, waiting for staff, waiting for the prisoner.
DEMO_LINKS = [
    (0, 0, "MOTHER", "approved"),
    (1, 1, "FRIEND", "approved"),
    (2, 2, "PARTNER", "approved"),
    (3, 0, "FRIEND", "confirmed"),
    (4, 1, "BROTHER", "requested"),
]


def _contacts(families: list[str], prisoners: list[tuple[str, str]]) -> None:
    """Each demo family member as a contact with checked identity, on a demo prisoner's
    list; and a solicitor for the first demo prisoner. Once, however often the demo loads."""
    from wicketgate.contacts.actions import (
        do_add_official,
        do_check_identity,
        do_confirm_link,
        do_decide_link,
        do_give_identity,
        do_request_link,
    )
    from wicketgate.contacts.models import Contact, ContactLink

    if not prisoners:
        return
    for family_index, prisoner_index, relationship, stage in DEMO_LINKS:
        if family_index >= len(families) or prisoner_index >= len(prisoners):
            continue
        user = User.objects.get(username=families[family_index])
        person = Contact.objects.filter(user=user).first()
        if person is None:  # an account an older demo made, never asked to be a contact
            continue
        if person.identity_checked_at is None:
            owner = Actor.of_user(user)
            do_give_identity(
                person,
                document_type="passport",
                document_number=f"DEMO{family_index:05d}",
                address=f"{family_index + 1} Demo Street, Leeds",
                postcode="LS1 1AA",
                actor=owner,
            )
            do_check_identity(person, actor=ACTOR)
        prisoner = Prisoner.objects.get(prison_number=prisoners[prisoner_index][0])
        if ContactLink.objects.filter(prisoner=prisoner, contact=person).exists():
            continue
        link = do_request_link(
            person,
            prison_number=prisoner.prison_number,
            prisoner_date_of_birth=prisoner.date_of_birth,
            relationship=relationship,
            actor=Actor.of_user(user),
        )
        if stage in ("confirmed", "approved"):
            do_confirm_link(link, accept=True, actor=ACTOR)
        if stage == "approved":
            do_decide_link(link, approve=True, actor=ACTOR)
    first = Prisoner.objects.get(prison_number=prisoners[0][0])
    if not ContactLink.objects.filter(prisoner=first, relationship="SOLICITOR").exists():
        do_add_official(
            first,
            given_name="Grace",
            family_name="Okafor",
            relationship="SOLICITOR",
            email="grace.okafor@example.org",
            actor=ACTOR,
        )


# Numbers in Ofcom's London range for drama (020 7946 0000 to 0999): never anyone's.
DEMO_NUMBERS = [
    ("+442079460101", "Mum", "social", "approved"),
    ("+442079460102", "Grace Okafor, solicitor", "legal", "approved"),
    ("+442079460103", "Job centre", "official", "approved"),
    ("+442079460104", "My cousin Dan", "social", "requested"),
]
DEMO_CREDIT_PENCE = 1000


def _phone(prisoners: list[tuple[str, str]]) -> list[str]:
    """The first demo prisoner's phone list (the solicitor's number linked to her, one
    number waiting for staff) and £10 of credit, once however often the demo loads; her
    phone PIN, set again at every load; and a phone on her wing at this machine's address,
    so that a softphone here can call through Kamailio."""
    from wicketgate.contacts.models import ContactLink
    from wicketgate.phone.actions import (
        do_add_phone_credit,
        do_add_phone_number,
        do_request_phone_number,
        do_set_phone_pin,
    )
    from wicketgate.phone.decide import phone_settings_for
    from wicketgate.phone.models import CreditEntry, PhoneNumber

    if not prisoners:
        return []
    prisoner = Prisoner.objects.get(prison_number=prisoners[0][0])
    solicitor = ContactLink.objects.filter(prisoner=prisoner, relationship="SOLICITOR").first()
    for number, name, kind, status in DEMO_NUMBERS:
        if PhoneNumber.objects.filter(prisoner=prisoner, number=number).exists():
            continue
        if status == "requested":
            account = PrisonerAccount.objects.filter(prisoner=prisoner).first()
            asker = Actor.of_user(account.user) if account is not None else ACTOR
            do_request_phone_number(prisoner, number, name=name, kind=kind, actor=asker)
        else:
            link = solicitor if kind == "legal" else None
            do_add_phone_number(
                prisoner, number, name=name, kind=kind, contact_link=link, actor=ACTOR
            )
    if not CreditEntry.objects.filter(prisoner=prisoner).exists():
        do_add_phone_credit(
            prisoner, DEMO_CREDIT_PENCE, reason="Demo: from private cash", actor=ACTOR
        )
    do_set_phone_pin(prisoner, DEMO_PHONE_PIN, actor=ACTOR)
    handset = _wing_phone(prisoner)
    listen = str(settings.WICKETGATE_PHONE_SIP_LISTEN)
    number, name, _kind, _status = DEMO_NUMBERS[0]
    hours = phone_settings_for(prisoner.establishment_id).hours
    trunk = str(settings.WICKETGATE_PHONE_TRUNK).removeprefix("sip:")
    trunk_host, _, trunk_port = trunk.rpartition(":")
    lines = [
        f"{prisoner.prison_number}: {len(DEMO_NUMBERS) - 1} approved numbers, 1 waiting for the "
        "visits team; £10.00 of credit (staff: Phone on the prisoner's page; prisoner: My phone "
        "numbers and credit)",
        f"Kamailio on udp:{listen}, realm {settings.WICKETGATE_PHONE_REALM}; a SIP softphone on "
        f"this machine is the wing phone {handset}:",
        f"  account sip:{prisoner.prison_number}@{listen}, user {prisoner.prison_number}, "
        f"password (phone PIN) {DEMO_PHONE_PIN}",
        f"  dial 0{number[3:]} ({name}) in phone hours, {hours}",
        f"  an allowed call goes to the trunk sip:{trunk}: something must answer there, e.g. "
        f"sipp -sf {TRUNK_STAND_IN} -i {trunk_host} -p {trunk_port}",
        "  not built yet: media relay, announcements, recording",
    ]
    return lines if handset else lines[:1]


def _wing_phone(prisoner: Prisoner) -> str:
    """The phone on the prisoner's wing at DEMO_HANDSET_ADDRESS: its device id ("" when
    the prisoner has no wing)."""
    wing = prisoner.location.wing() if prisoner.location is not None else None
    if wing is None:
        return ""
    device_id = f"{wing.code}-PHONE-1"
    if not Device.objects.filter(device_id=device_id).exists():
        do_register_device(
            device_id=device_id,
            establishment=prisoner.establishment,
            location=wing,
            kind=DeviceKind.PHONE,
            address=DEMO_HANDSET_ADDRESS,
            actor=ACTOR,
        )
    return device_id


DEMO_SESSIONS = [(dt.time(9, 30), 30), (dt.time(14, 0), 30), (dt.time(18, 0), 60)]
WATCHERS = ["officer", "security", "governor"]  # the demo staff who may oversee calls


def _video_calls(families: list[str], prisoners: list[tuple[str, str]]) -> list[str]:
    """Sessions every day in each establishment's video suite, the suite's terminal, and a
    call for the first demo family starting now (the demo's own one-off session), so that a
    call can be tried at once: the family page in one browser window, the prisoner portal
    in another, the prisoner signed in on the suite's terminal (a device session)."""
    from wicketgate.calls.booking import BookingError, do_book_video_call, do_cancel_booking
    from wicketgate.calls.models import Booking, SessionTemplate
    from wicketgate.calls.offer import do_add_call_session, do_deactivate_call_session
    from wicketgate.contacts.models import ContactLink

    for spec in ESTABLISHMENTS:
        suite = Location.objects.get(code=f"{spec.code}-VS1")
        if not SessionTemplate.objects.filter(suite=suite).exists():
            for weekday in range(7):
                for starts, minutes in DEMO_SESSIONS:
                    do_add_call_session(
                        suite,
                        weekday=weekday,
                        starts=starts,
                        minutes=minutes,
                        capacity=3,
                        actor=ACTOR,
                    )
        terminal = f"{spec.code}-VS1-T1"
        if not Device.objects.filter(device_id=terminal).exists():
            do_register_device(
                device_id=terminal,
                establishment=suite.establishment,
                location=suite,
                kind=DeviceKind.SUITE,
                actor=ACTOR,
            )
    if not families or not prisoners:
        return []
    link = (
        ContactLink.objects.filter(contact__user__username=families[0], status="approved")
        .select_related("prisoner__establishment", "contact")
        .first()
    )
    if link is None:
        return []
    prisoner, caller = link.prisoner, link.contact
    now = timezone.localtime()
    call = (
        Booking.objects.live()
        .filter(prisoner=prisoner, ends_at__gt=now + dt.timedelta(minutes=10))
        .order_by("starts_at")
        .first()
    )
    if call is None or call.starts_at > now + dt.timedelta(hours=1):
        # A one-off session from the last half hour, 60 minutes: booked as if the day
        # before (the lead time), then no longer offered.
        slot = now.replace(minute=now.minute - now.minute % 30, second=0, microsecond=0)
        suite = Location.objects.get(code=f"{prisoner.establishment.code}-VS1")
        session = do_add_call_session(
            suite,
            weekday=slot.weekday(),
            starts=slot.time(),
            minutes=60,
            capacity=1,
            actor=ACTOR,
        )
        try:
            call = do_book_video_call(
                prisoner=prisoner,
                session=session,
                day=slot.date(),
                main_caller=caller,
                actor=ACTOR,
                now=slot - dt.timedelta(days=1),
            )
        except BookingError as exc:
            return [f"No demo call now: {exc}"]
        finally:
            do_deactivate_call_session(session, actor=ACTOR)
        if not call.starts_at <= timezone.now() < call.ends_at:
            # The hour the clocks go back happens twice: a slot in it can land in the
            # other one. Say so rather than offer a call that is not on.
            do_cancel_booking(call, reason="Demo: the clocks changed", actor=ACTOR)
            return ["No demo call now (the clocks are changing): load the demo again later."]
    # The prisoner joins only while signed in on a terminal in the suite: sign them in on
    # it now (a device session, as the terminal's agent does with their PIN).
    from wicketgate.gateway.actions import do_open_device_session

    suite_device = Device.objects.get(device_id=f"{prisoner.establishment.code}-VS1-T1")
    do_open_device_session(
        prisoner=prisoner, device=suite_device, actor=ACTOR, address=DEMO_TERMINAL_ADDRESS
    )
    begins, ends = timezone.localtime(call.starts_at), timezone.localtime(call.ends_at)
    return [
        f"{caller.email} and {prisoner.prison_number} have a call {begins:%H:%M}-{ends:%H:%M} today:",
        "  sign in as each (two browser windows) and open Video calls, then Join.",
        f"  {prisoner.prison_number} is signed in on the suite's terminal {suite_device.device_id} "
        "(a prisoner joins only from there); after",
        "  15 idle minutes sign in again: wicketgate gateway session open "
        f"--prisoner {prisoner.prison_number} --device {suite_device.device_id} "
        f"--address {DEMO_TERMINAL_ADDRESS}",
        "  Staff watch it under Live calls: "
        + ", ".join(f"{prisoner.establishment.code.lower()}.{who}" for who in WATCHERS)
        + ".",
        "Sessions every day at 09:30, 14:00 (30 min) and 18:00 (60 min) in each video suite.",
    ]


DEMO_BOOK = "functional-maths"
DEMO_BOOK_PAGES = {
    "index": (
        "Functional maths",
        "<p>Working with numbers you meet every day: wages, prices and measures.</p>"
        '<ul><li><a href="fractions">Fractions</a></li>'
        '<li><a href="decimals">Decimals</a></li><li><a href="percentages">Percentages</a>'
        "</li></ul>",
    ),
    "fractions": (
        "Fractions",
        "<p>A fraction is part of a whole: three quarters (3/4) of a 20-hour week is 15 "
        'hours.</p><p><a href="index">Contents</a></p>',
    ),
    "decimals": (
        "Decimals",
        "<p>£12.50 an hour for 7.5 hours is £93.75. Line up the decimal points.</p>"
        '<p><a href="index">Contents</a></p>',
    ),
    "percentages": (
        "Percentages",
        '<p>20% off £45 is £9 off, so you pay £36.</p><p><a href="index">Contents</a></p>',
    ),
}


def _learning(prisoners: list[tuple[str, str]]) -> list[str]:
    """A course at Northgate with a class, a book of its own in the offline library (built
    here with libzim: nothing is downloaded) and the Northgate demo prisoner enrolled."""
    from wicketgate.estate.models import Establishment
    from wicketgate.learning.actions import (
        UnitSpec,
        do_add_class,
        do_create_course,
        do_enrol_learner,
    )
    from wicketgate.learning.books import BookError, do_add_book
    from wicketgate.learning.library import configured
    from wicketgate.learning.models import Book, Course
    from wicketgate.learning.zim import html_page, make_zim
    from wicketgate.policy.models import Category, Site

    northgate = Establishment.objects.get(code="NGT")
    setup = configured()
    lines: list[str] = []
    Category.objects.get_or_create(
        code="COURSE_BOOKS",
        defaults={
            "name": "Course books",
            "description": "Offline library books opened to a course's learners only",
        },
    )
    book = Book.objects.filter(name=DEMO_BOOK, removed_at__isnull=True).first()
    if book is None:
        with tempfile.TemporaryDirectory() as folder:
            path = make_zim(
                Path(folder) / f"{DEMO_BOOK}.zim",
                title="Functional maths: fractions, decimals and percentages",
                pages={
                    key: html_page(title, body) for key, (title, body) in DEMO_BOOK_PAGES.items()
                },
                description="Number skills for work and everyday life",
            )
            try:
                book = do_add_book(path, filename=path.name, category="COURSE_BOOKS", actor=ACTOR)
            except BookError as exc:
                lines.append(f"the offline library's demo book could not be added: {exc}")
    course = Course.objects.filter(establishment=northgate, title="Functional Skills Maths").first()
    if course is None:
        today = timezone.localdate()
        sites = [Site.objects.get(name="OpenLearn")]
        if book is not None and book.site is not None:
            sites.append(book.site)
        course = do_create_course(
            northgate,
            title="Functional Skills Maths",
            provider="Novus",
            level="L1",
            subject="FS_MATHS",
            mode="blended",
            starts_on=today - dt.timedelta(days=14),
            ends_on=today + dt.timedelta(days=70),
            capacity=12,
            sites=sites,
            units=[
                UnitSpec("FSM1", "Using numbers: fractions, decimals and percentages"),
                UnitSpec("FSM2", "Measures, shape and space"),
                UnitSpec("FSM3", "Handling information and data"),
            ],
            description="Functional skills maths, taught in class and studied in cell.",
            actor=ACTOR,
        )
        classroom, _made = Location.objects.get_or_create(
            code="NGT-EDU-1",
            defaults={"establishment": northgate, "kind": "EDUCATION", "name": "Classroom 1"},
        )
        tutor = User.objects.get(username="ngt.education")
        morning = do_add_class(
            course,
            name="Morning group",
            tutor=tutor,
            location=classroom,
            timetable="Mon 09:00-11:30; Wed 09:00-11:30; Fri 09:00-11:30",
            actor=ACTOR,
        )
        learner = next(
            (p for p in Prisoner.objects.filter(establishment=northgate).order_by("prison_number")),
            None,
        )
        if learner is not None:
            do_enrol_learner(
                course, learner, course_class=morning, accept_clashes=True, actor=ACTOR
            )
    learners = ", ".join(
        course.enrolments.filter(status="enrolled").values_list(
            "prisoner__prison_number", flat=True
        )
    )
    lines.append(
        f"{course.title} at {northgate.name}: {learners or 'no one'} enrolled; its sites and "
        "book open in class (Mon, Wed, Fri 09:00-11:30) and in-cell study hours"
    )
    if book is not None:
        lines.append(
            f"Offline library on {settings.WICKETGATE_LIBRARY_LISTEN}, through the gateway as "
            f"http://{setup.host}:{setup.listen_port}/{book.name}/ (for the course's learners)"
        )
    return lines


def _prisoner_accounts_listed() -> list[tuple[str, str]]:
    return [
        (account.prisoner.prison_number, "")
        for account in PrisonerAccount.objects.select_related("prisoner").order_by(
            "prisoner__establishment__code"
        )
    ]


__all__ = ["do_create_family_account", "load_demo", "print_welcome"]
