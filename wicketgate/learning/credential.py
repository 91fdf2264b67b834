"""The learner record as a signed credential a person can take with them on release.

A W3C Verifiable Credential 2.0 shaped as an Open Badges 3.0 ``OpenBadgeCredential``,
secured with a Data Integrity proof of the ``eddsa-jcs-2022`` cryptosuite
(https://www.w3.org/TR/vc-di-eddsa/): the proof configuration and the document are each
canonicalised with JCS (RFC 8785) and hashed with SHA-256, and the two hashes, proof
configuration first, are signed with the issuing establishment's Ed25519 key. The key is
named by a ``did:key``, so anyone can check a credential offline; only the estate's list
of its establishments' keys (``published_keys``) says the issuer is one of ours.

The prison number is never written into the credential: holding it must not mean
disclosing a prison number to whoever it is shown to.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import hashlib
import json
import os
import re
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import base58
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from wicketgate.learning.record import CourseRecord, LearnerRecord

CONTEXTS = (
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
)
TYPES = ("VerifiableCredential", "OpenBadgeCredential")
NAME = "Learning record"
PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"
# The one achievement every learning record attests: the courses it lists.
ACHIEVEMENT_ID = "urn:wicketgate:learning:achievement:learning-record"

UNTRUSTED_ISSUER = "issued by a key this estate does not know"
CHANGED = "the signature does not match: the credential was changed after it was signed"

_CODE = re.compile(r"[A-Z]{2,5}")  # as estate.models allows
_ED25519_MULTICODEC = b"\xed\x01"
_DID_KEY = "did:key:"
# XML Schema dateTime, as Data Integrity requires of ``created``.
_DATETIME = re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
_PROOF_FIELDS = frozenset(
    {"type", "cryptosuite", "created", "verificationMethod", "proofPurpose", "proofValue"}
)
_PROOF_OPTIONAL_FIELDS = frozenset({"@context"})


class KeyFileError(RuntimeError):
    """An establishment's signing key file exists but cannot be used."""


@dataclass(frozen=True)
class Verification:
    """What ``verify_credential`` found. ``valid`` is True only when nothing went wrong;
    without a list of trusted keys it means the credential is intact, not who made it."""

    valid: bool
    problems: tuple[str, ...]
    issuer_name: str | None
    issuer_did: str | None
    trusted_issuer: bool
    subject_name: str | None


# --- the document --------------------------------------------------------------------


def credential_document(
    record: LearnerRecord, *, credential_id: str | None = None, issuer_did: str | None = None
) -> dict[str, Any]:
    """The unsigned credential for ``record``. The issuer is named by the did:key of the
    issuing establishment's key (made on first use) unless ``issuer_did`` is given."""
    if issuer_did is None:
        issuer_did = did_key(establishment_key(record.issued_by_code).public_key())
    return {
        "@context": list(CONTEXTS),
        "type": list(TYPES),
        "id": credential_id or f"urn:uuid:{uuid.uuid4()}",
        "issuer": {
            "id": issuer_did,
            "type": ["Profile"],
            "name": record.issued_by_name,
            "wicketgateEstablishment": record.issued_by_code,
        },
        "validFrom": f"{record.issued_on.isoformat()}T00:00:00Z",
        "name": NAME,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": record.full_name,
            "dateOfBirth": record.date_of_birth.isoformat(),
            # Open Badges wants one achievement per credential: this one is "the learning
            # record", and ``courses`` carries what it is made of.
            "achievement": {
                "id": ACHIEVEMENT_ID,
                "type": ["Achievement"],
                "name": NAME,
                "description": "Courses followed in custody, with unit results and attendance.",
                "criteria": {"narrative": "Recorded by the education staff of the issuer."},
            },
            "courses": [_course(course) for course in record.courses],
        },
    }


def _course(course: CourseRecord) -> dict[str, Any]:
    return {
        "title": course.title,
        "provider": course.provider,
        # Where it was taken: after a transfer, the issuer is the learner's new establishment.
        "takenAt": course.establishment_name,
        "level": course.level,
        "levelLabel": course.level_label,
        "subject": course.subject,
        "subjectLabel": course.subject_label,
        "mode": course.mode_label,
        "startsOn": course.starts_on.isoformat(),
        "endsOn": course.ends_on.isoformat(),
        "enrolledOn": course.enrolled_on.isoformat(),
        "leftOn": course.left_on.isoformat() if course.left_on else None,
        "status": course.status,
        "statusLabel": course.status_label,
        "units": [
            {
                "code": unit.code,
                "title": unit.title,
                "outcome": unit.outcome,
                "outcomeLabel": unit.outcome_label,
                "recordedOn": unit.recorded_on.isoformat(),
            }
            for unit in course.units
        ],
        "attendance": {
            "sessionsPresent": course.sessions_present,
            "sessionsAbsent": course.sessions_absent,
            "sessionsExcluded": course.sessions_excluded,
        },
        "minutesOnline": course.minutes_online,
    }


def issue_credential(
    record: LearnerRecord, *, created: dt.datetime | None = None, credential_id: str | None = None
) -> dict[str, Any]:
    """The credential for ``record``, signed with the issuing establishment's key."""
    key = establishment_key(record.issued_by_code)
    document = credential_document(
        record, credential_id=credential_id, issuer_did=did_key(key.public_key())
    )
    return sign_credential(document, key, created=created or dt.datetime.now(dt.UTC))


# --- signing and verifying -----------------------------------------------------------


def sign_credential(
    document: Mapping[str, Any], key: Ed25519PrivateKey, *, created: dt.datetime
) -> dict[str, Any]:
    """A copy of ``document`` with an ``eddsa-jcs-2022`` proof made with ``key``, which
    must be the key the document names as its issuer."""
    if "proof" in document:
        raise ValueError("the document is already signed")
    did = did_key(key.public_key())
    issuer = _issuer_id(document)
    if issuer != did:
        raise ValueError(f"the issuer is {issuer!r}, but the key is {did}")
    signed = copy.deepcopy(dict(document))
    signed["proof"] = create_proof(document, key, created=created)
    return signed


def create_proof(
    unsecured: Mapping[str, Any], key: Ed25519PrivateKey, *, created: dt.datetime
) -> dict[str, Any]:
    """The spec's Create Proof (eddsa-jcs-2022): the proof, ``proofValue`` included,
    whose verification method is the did:key of ``key``."""
    did = did_key(key.public_key())
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": _xml_datetime(created),
        "verificationMethod": f"{did}#{did.removeprefix(_DID_KEY)}",
        "proofPurpose": PROOF_PURPOSE,
    }
    # Step 2 of Create Proof: binds the proof to the document's contexts, so the proof
    # stays sound if it is ever moved into a proof set or chain.
    if "@context" in unsecured:
        proof["@context"] = copy.deepcopy(unsecured["@context"])
    signature = key.sign(hash_data(unsecured, proof))
    proof["proofValue"] = "z" + base58.b58encode(signature).decode("ascii")
    return proof


def hash_data(unsecured: Mapping[str, Any], proof_options: Mapping[str, Any]) -> bytes:
    """SHA-256 of the canonical proof configuration, then SHA-256 of the canonical
    document: the 64 bytes that are signed. Raises ``rfc8785.CanonicalizationError`` for
    what JCS cannot carry (NaN, infinities, integers beyond 2**53)."""
    config = {name: value for name, value in proof_options.items() if name != "proofValue"}
    if config.get("type") != PROOF_TYPE or config.get("cryptosuite") != CRYPTOSUITE:
        raise ValueError(f"not a {PROOF_TYPE} of the {CRYPTOSUITE} cryptosuite")
    document = {name: value for name, value in unsecured.items() if name != "proof"}
    return (
        hashlib.sha256(rfc8785.dumps(config)).digest()
        + hashlib.sha256(rfc8785.dumps(document)).digest()
    )


def verify_credential(
    document: object, *, trusted: Mapping[str, str] | None = None
) -> Verification:
    """Check a learning record credential: its shape, that its proof was made by the key
    its issuer names, and that nothing has changed since. With ``trusted`` (establishment
    code → did:key) the issuer must also be one of those keys; without it, the answer is
    about integrity only and ``trusted_issuer`` is False. A trusted key listed under an
    establishment code must also be the key of the establishment the issuer claims to be;
    one listed under any other name (a key given by hand) vouches for the key alone.
    Never raises."""
    problems: list[str] = []
    issuer_did = issuer_name = subject_name = None
    trusted_issuer = False
    try:
        if not isinstance(document, dict):
            problems.append(f"not a credential: a JSON object was expected, not {_kind(document)}")
        else:
            issuer_did, issuer_name, subject_name = _read_parties(document, problems)
            problems.extend(verify_proof(document))
            method = _proof_did(document)
            if issuer_did is not None and method is not None and method != issuer_did:
                problems.append(
                    f"the proof was made with a different key ({method}) "
                    f"from the issuer's ({issuer_did})"
                )
            if trusted is not None and issuer_did is not None:
                trusted_issuer = _check_trust(document, issuer_did, trusted, problems)
    except Exception as exc:  # a verifier reports; it never crashes on what it is given
        problems.append(f"the credential could not be checked ({type(exc).__name__}: {exc})")
        trusted_issuer = False
    return Verification(
        valid=not problems,
        problems=tuple(problems),
        issuer_name=issuer_name,
        issuer_did=issuer_did,
        trusted_issuer=trusted_issuer and not problems,
        subject_name=subject_name,
    )


def verify_proof(secured: Mapping[str, Any]) -> list[str]:
    """The spec's Verify Proof (eddsa-jcs-2022) for a document with exactly one proof,
    against the key its verification method names: the problems, none when it holds."""
    if "proof" not in secured:
        return ["there is no proof: the credential is not signed"]
    proof = secured["proof"]
    if isinstance(proof, list):
        return [f"the proof is a list of {len(proof)}: a learning record has exactly one proof"]
    if not isinstance(proof, dict):
        return [f"the proof is {_kind(proof)}, not a JSON object"]
    problems = _proof_shape_problems(proof)
    if problems:
        return problems
    context = proof.get("@context")
    if context is not None and context != secured.get("@context"):
        return ["the proof was made for different @context values from the credential's"]
    public_key = public_key_from_did(_split_method(proof["verificationMethod"]))
    signature = base58.b58decode(proof["proofValue"][1:])
    if len(signature) != 64:
        return ["the proof value is not an Ed25519 signature (64 bytes)"]
    try:
        data = hash_data(secured, proof)
    except rfc8785.CanonicalizationError as exc:
        return [f"the credential holds a value JSON canonicalisation cannot carry ({exc})"]
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return [CHANGED]
    return []


def load_credential(text: str | bytes) -> object:
    """Parse JSON strictly: a repeated key (two ``proof`` fields, one for the eye and one
    for the verifier) and NaN or Infinity are refused with ValueError."""
    return json.loads(text, object_pairs_hook=_no_repeated_keys, parse_constant=_no_constant)


# --- keys ----------------------------------------------------------------------------


def keys_dir() -> Path:
    configured = getattr(settings, "WICKETGATE_LEARNING_KEYS_DIR", None)
    if configured:
        return Path(configured)
    return Path(settings.DATA_DIR) / "learning" / "keys"


def establishment_key(code: str) -> Ed25519PrivateKey:
    """The establishment's signing key, made on first use (PKCS#8 PEM, mode 0600, in a
    folder of mode 0700)."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise ValueError(f"{code!r} is not an establishment code (2 to 5 capital letters)")
    path = keys_dir() / f"{code}.pem"
    if not path.exists():
        _create_key(path)
    return _load_key(path)


def published_keys() -> dict[str, str]:
    """Establishment code → did:key for every key in the keys folder."""
    folder = keys_dir()
    if not folder.is_dir():
        return {}
    return {
        path.stem: did_key(_load_key(path).public_key())
        for path in sorted(folder.glob("*.pem"))
        if _CODE.fullmatch(path.stem)
    }


def did_key(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _DID_KEY + "z" + base58.b58encode(_ED25519_MULTICODEC + raw).decode("ascii")


def public_key_from_did(did: str) -> Ed25519PublicKey:
    """The Ed25519 key a ``did:key:z6Mk…`` names; ValueError for anything else."""
    if not isinstance(did, str) or not did.startswith(_DID_KEY):
        raise ValueError(f"{did!r} is not a did:key")
    identifier = did.removeprefix(_DID_KEY)
    if not identifier.startswith("z"):
        raise ValueError(f"{did}: not a base58-btc multibase key (it must start with 'z')")
    try:
        decoded = base58.b58decode(identifier[1:])
    except ValueError as exc:
        raise ValueError(f"{did}: not valid base58-btc") from exc
    if len(decoded) != 34 or not decoded.startswith(_ED25519_MULTICODEC):
        raise ValueError(f"{did}: not an Ed25519 public key")
    key = Ed25519PublicKey.from_public_bytes(decoded[2:])
    # One key, one spelling: a padded or otherwise odd encoding is not the issuer's did.
    if did_key(key) != did:
        raise ValueError(f"{did}: not the canonical spelling of its key")
    return key


def _create_key(path: Path) -> None:
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:  # mkstemp made it 0600
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        # A hard link appears whole or not at all and, unlike os.replace, never replaces a
        # key another process made first and may already have signed with.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def _load_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise KeyFileError(f"{path}: cannot read an Ed25519 private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 private key")
    return key


# --- helpers -------------------------------------------------------------------------


def _read_parties(
    document: Mapping[str, Any], problems: list[str]
) -> tuple[str | None, str | None, str | None]:
    """The issuer's did and name and the subject's name, noting what is missing."""
    context = document.get("@context")
    if not isinstance(context, list) or not context or context[0] != CONTEXTS[0]:
        problems.append(f"@context must be a list starting with {CONTEXTS[0]}")
    types = document.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        problems.append("type must be a list including VerifiableCredential")
    issuer = document.get("issuer")
    issuer_did = issuer_name = None
    if not isinstance(issuer, dict):
        problems.append("the issuer must be a JSON object with an id and a name")
    else:
        issuer_did = _string(issuer.get("id"))
        issuer_name = _string(issuer.get("name"))
        if issuer_did is None:
            problems.append("the issuer has no id")
        else:
            try:
                public_key_from_did(issuer_did)
            except ValueError as exc:
                problems.append(f"the issuer's id is not an Ed25519 did:key ({exc})")
    subject = document.get("credentialSubject")
    subject_name = _string(subject.get("name")) if isinstance(subject, dict) else None
    if subject_name is None:
        problems.append("the credential does not name whose record it is")
    return issuer_did, issuer_name, subject_name


def _proof_shape_problems(proof: Mapping[str, Any]) -> list[str]:
    missing = sorted(_PROOF_FIELDS - proof.keys())
    if missing:
        return [f"the proof is missing {', '.join(missing)}"]
    unknown = sorted(proof.keys() - _PROOF_FIELDS - _PROOF_OPTIONAL_FIELDS)
    if unknown:
        return [f"the proof has fields this verifier does not know: {', '.join(unknown)}"]
    problems = []
    expected = {"type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE, "proofPurpose": PROOF_PURPOSE}
    for name, value in expected.items():
        if proof[name] != value:
            problems.append(f"the proof's {name} is {proof[name]!r}, not {value!r}")
    if not isinstance(proof["created"], str) or not _DATETIME.fullmatch(proof["created"]):
        problems.append("the proof's created is not a date and time")
    value = proof["proofValue"]
    if not isinstance(value, str) or not value.startswith("z"):
        problems.append("the proof value is not base58-btc multibase (it must start with 'z')")
    else:
        try:
            base58.b58decode(value[1:])
        except ValueError:
            problems.append("the proof value is not valid base58-btc")
    try:
        public_key_from_did(_split_method(proof["verificationMethod"]))
    except ValueError as exc:
        problems.append(f"the proof's verification method is not an Ed25519 did:key ({exc})")
    return problems


def _split_method(method: object) -> str:
    """The did of a ``did:key:X#X`` verification method."""
    if not isinstance(method, str):
        raise ValueError("the verification method is not a string")
    did, sep, fragment = method.partition("#")
    if not sep or fragment != did.removeprefix(_DID_KEY):
        raise ValueError(f"{method!r} is not did:key:X#X")
    return did


def _proof_did(document: Mapping[str, Any]) -> str | None:
    proof = document.get("proof")
    if not isinstance(proof, dict):
        return None
    try:
        return _split_method(proof.get("verificationMethod"))
    except ValueError:
        return None


def _check_trust(
    document: Mapping[str, Any], issuer_did: str, trusted: Mapping[str, str], problems: list[str]
) -> bool:
    codes = [code for code, did in trusted.items() if did == issuer_did]
    if not codes:
        problems.append(UNTRUSTED_ISSUER)
        return False
    issuer = document.get("issuer")
    claimed = issuer.get("wicketgateEstablishment") if isinstance(issuer, dict) else None
    # A key trusted by hand (not under an establishment code) vouches for the key alone.
    named = [code for code in codes if _CODE.fullmatch(code)]
    if named and claimed not in named:
        problems.append(
            f"the issuer says it is establishment {claimed!r}, "
            f"but its key is {', '.join(sorted(named))}'s"
        )
        return False
    return True


def _xml_datetime(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("created must be a timezone-aware datetime")
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _issuer_id(document: Mapping[str, Any]) -> object:
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _kind(value: object) -> str:
    kinds = {list: "a list", str: "a string", bool: "true or false", type(None): "null"}
    for python_type, name in kinds.items():
        if isinstance(value, python_type):
            return name
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError(f"the key {name!r} appears twice in one object")
        result[name] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
