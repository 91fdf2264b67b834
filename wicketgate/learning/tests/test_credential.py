"""The signed learner credential: made, checked, and refused when anything was changed."""

from __future__ import annotations

import copy
import datetime as dt
import json
import stat
from pathlib import Path
from typing import Any

import base58
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wicketgate.learning.credential import (
    CHANGED,
    UNTRUSTED_ISSUER,
    KeyFileError,
    create_proof,
    credential_document,
    did_key,
    establishment_key,
    hash_data,
    issue_credential,
    keys_dir,
    load_credential,
    public_key_from_did,
    published_keys,
    sign_credential,
    verify_credential,
    verify_proof,
)
from wicketgate.learning.credential_cli import verify
from wicketgate.learning.tests.test_record_pdf import PRISON_NUMBER, two_courses

CREATED = dt.datetime(2025, 3, 14, 10, 30, tzinfo=dt.UTC)
CREDENTIAL_ID = "urn:uuid:1d0f6c52-6a2b-4c1e-9d7a-3f9d2b1c0e11"


@pytest.fixture(autouse=True)
def keys(settings: Any, tmp_path: Path) -> Path:
    settings.WICKETGATE_LEARNING_KEYS_DIR = tmp_path / "keys"
    return tmp_path / "keys"


def issued() -> dict[str, Any]:
    return issue_credential(two_courses(), created=CREATED, credential_id=CREDENTIAL_ID)


def trusted() -> dict[str, str]:
    return published_keys()


# --- the document --------------------------------------------------------------------


def test_it_shapes_the_record_as_an_open_badge_credential() -> None:
    document = credential_document(two_courses(), credential_id=CREDENTIAL_ID)

    assert document["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["id"] == CREDENTIAL_ID
    assert document["issuer"] == {
        "id": did_key(establishment_key("NGT").public_key()),
        "type": ["Profile"],
        "name": "HMP Northgate",
        "wicketgateEstablishment": "NGT",
    }
    assert document["validFrom"] == "2025-03-14T00:00:00Z"
    assert document["name"] == "Learning record"
    subject = document["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["name"] == "Sam Okafor"
    assert subject["dateOfBirth"] == "1990-05-17"
    assert subject["achievement"]["type"] == ["Achievement"]
    first, second = subject["courses"]
    assert first["title"] == "Functional Skills Maths"
    assert first["leftOn"] == "2025-01-31"
    assert second["leftOn"] is None
    assert first["units"][1] == {
        "code": "FSM-02",
        "title": "Using numbers, part 2: fractions, decimals and percentages",
        "outcome": "partially",
        "outcomeLabel": "Partially achieved",
        "recordedOn": "2024-11-03",
    }
    assert first["attendance"] == {
        "sessionsPresent": 38,
        "sessionsAbsent": 3,
        "sessionsExcluded": 1,
    }
    assert first["minutesOnline"] == 605


def test_it_keeps_the_prison_number_and_the_tutors_out() -> None:
    text = json.dumps(issued())

    assert PRISON_NUMBER not in text
    assert "J. Tutor" not in text


def test_the_document_is_the_same_every_time_but_for_its_id() -> None:
    one = credential_document(two_courses(), credential_id=CREDENTIAL_ID)
    again = credential_document(two_courses(), credential_id=CREDENTIAL_ID)
    fresh = credential_document(two_courses())

    assert one == again
    assert json.loads(json.dumps(one)) == one
    assert fresh["id"].startswith("urn:uuid:") and fresh["id"] != CREDENTIAL_ID
    assert issued() == issued()  # Ed25519 signatures are deterministic


# --- signing and verifying -----------------------------------------------------------


def test_it_verifies_what_it_issued() -> None:
    credential = issued()

    result = verify_credential(credential, trusted=trusted())

    assert result.valid, result.problems
    assert result.problems == ()
    assert result.trusted_issuer
    assert result.subject_name == "Sam Okafor"
    assert result.issuer_name == "HMP Northgate"
    assert result.issuer_did == trusted()["NGT"]
    proof = credential["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["created"] == "2025-03-14T10:30:00Z"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"] == f"{result.issuer_did}#{result.issuer_did[8:]}"
    assert proof["proofValue"].startswith("z")


def test_it_survives_a_trip_through_json() -> None:
    text = json.dumps(issued(), indent=2)

    assert verify_credential(load_credential(text), trusted=trusted()).valid


def test_without_trusted_keys_it_checks_integrity_only() -> None:
    result = verify_credential(issued())

    assert result.valid
    assert not result.trusted_issuer


def _set(path: tuple[str | int, ...], value: Any) -> Any:
    def change(document: dict[str, Any]) -> None:
        target: Any = document
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    "change",
    [
        _set(("credentialSubject", "courses", 0, "units", 2, "outcome"), "achieved"),
        _set(("credentialSubject", "courses", 0, "units", 2, "outcomeLabel"), "Achieved"),
        _set(("credentialSubject", "name"), "Someone Else"),
        _set(("credentialSubject", "dateOfBirth"), "1991-05-17"),
        _set(("credentialSubject", "courses", 1, "minutesOnline"), 6000),
        _set(("issuer", "name"), "HMP Elsewhere"),
        _set(("validFrom",), "2020-01-01T00:00:00Z"),
        _set(("proof", "created"), "2025-03-15T10:30:00Z"),
    ],
    ids=[
        "outcome",
        "outcome label",
        "name",
        "date of birth",
        "minutes online",
        "issuer name",
        "valid from",
        "proof created",
    ],
)
def test_a_changed_credential_is_not_valid(change: Any) -> None:
    credential = issued()
    change(credential)

    result = verify_credential(credential, trusted=trusted())

    assert not result.valid
    assert CHANGED in result.problems
    assert not result.trusted_issuer


def test_a_unit_removed_is_a_change() -> None:
    credential = issued()
    del credential["credentialSubject"]["courses"][0]["units"][2]

    assert verify_credential(credential).problems == (CHANGED,)


def test_a_proof_made_by_another_key_is_not_the_issuers() -> None:
    credential = issued()
    other = Ed25519PrivateKey.generate()
    unsigned = {name: value for name, value in credential.items() if name != "proof"}
    unsigned["credentialSubject"]["courses"][0]["units"][2]["outcome"] = "achieved"
    credential = {**unsigned, "proof": create_proof(unsigned, other, created=CREATED)}

    # The proof itself holds: only who made it is wrong.
    assert verify_proof(credential) == []
    for result in (verify_credential(credential), verify_credential(credential, trusted=trusted())):
        assert not result.valid
        assert any("different key" in problem for problem in result.problems), result.problems


def test_a_record_reissued_under_another_key_is_unknown_to_the_estate() -> None:
    record = two_courses()
    forger = Ed25519PrivateKey.generate()
    document = credential_document(
        record, credential_id=CREDENTIAL_ID, issuer_did=did_key(forger.public_key())
    )
    forged = sign_credential(document, forger, created=CREATED)

    assert verify_credential(forged).valid  # intact: it is what the forger signed
    result = verify_credential(forged, trusted=trusted())
    assert not result.valid
    assert result.problems == (UNTRUSTED_ISSUER,)
    assert not result.trusted_issuer


def test_an_establishment_cannot_speak_for_another() -> None:
    mine = establishment_key("AAA")
    establishment_key("BBB")
    document = credential_document(two_courses(), issuer_did=did_key(mine.public_key()))
    document["issuer"]["wicketgateEstablishment"] = "BBB"
    signed = sign_credential(document, mine, created=CREATED)

    result = verify_credential(signed, trusted=trusted())

    assert not result.valid
    assert any("establishment 'BBB'" in problem for problem in result.problems)


@pytest.mark.parametrize(
    "field", ["type", "cryptosuite", "created", "verificationMethod", "proofPurpose", "proofValue"]
)
def test_a_proof_missing_a_field_is_not_valid(field: str) -> None:
    credential = issued()
    del credential["proof"][field]

    result = verify_credential(credential, trusted=trusted())

    assert not result.valid
    assert any(f"missing {field}" in problem for problem in result.problems)


def test_without_a_proof_it_is_not_signed() -> None:
    credential = issued()
    del credential["proof"]

    result = verify_credential(credential)

    assert not result.valid
    assert result.problems == ("there is no proof: the credential is not signed",)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", "Ed25519Signature2020"),
        ("cryptosuite", "eddsa-rdfc-2022"),
        ("proofPurpose", "authentication"),
        ("created", "yesterday"),
        ("proofValue", 12),
    ],
)
def test_a_proof_of_another_kind_is_not_valid(field: str, value: Any) -> None:
    credential = issued()
    credential["proof"][field] = value

    result = verify_credential(credential)

    assert not result.valid
    assert any(field in problem or "proof value" in problem for problem in result.problems)


def test_a_proof_value_not_in_base58btc_is_not_valid() -> None:
    credential = issued()
    signature = base58.b58decode(credential["proof"]["proofValue"][1:])
    credential["proof"]["proofValue"] = "f" + signature.hex()  # multibase base16

    result = verify_credential(credential)

    assert not result.valid
    assert "the proof value is not base58-btc multibase (it must start with 'z')" in (
        result.problems
    )


@pytest.mark.parametrize("value", ["z0OIl", "z", "z" + "1" * 40])
def test_a_proof_value_that_is_not_a_signature_is_not_valid(value: str) -> None:
    credential = issued()
    credential["proof"]["proofValue"] = value

    assert not verify_credential(credential).valid


def test_a_list_of_proofs_is_not_valid() -> None:
    credential = issued()
    forger = Ed25519PrivateKey.generate()
    unsigned = {name: value for name, value in credential.items() if name != "proof"}
    extra = create_proof(unsigned, forger, created=CREATED)

    for proofs in ([credential["proof"], extra], [credential["proof"]]):
        credential["proof"] = proofs
        result = verify_credential(credential, trusted=trusted())
        assert not result.valid
        assert any("exactly one proof" in problem for problem in result.problems)


def test_a_proof_with_an_unknown_field_is_not_valid() -> None:
    credential = issued()
    credential["proof"]["expires"] = "2020-01-01T00:00:00Z"

    result = verify_credential(credential)

    assert not result.valid
    assert any("expires" in problem for problem in result.problems)


def test_a_proof_for_other_contexts_is_not_valid() -> None:
    credential = issued()
    credential["@context"].append("https://example.org/extra-context")

    result = verify_credential(credential)

    assert not result.valid
    assert any("@context" in problem for problem in result.problems)


def test_an_issuer_that_is_not_a_did_key_is_not_valid() -> None:
    credential = issued()
    credential["issuer"] = "https://example.org/issuer"

    result = verify_credential(credential)

    assert not result.valid
    assert result.issuer_did is None


@pytest.mark.parametrize(
    "document", [[], [{"proof": {}}], "a credential", 42, None, True, 1.5], ids=repr
)
def test_what_is_not_a_json_object_is_not_valid(document: Any) -> None:
    result = verify_credential(document)

    assert not result.valid
    assert result.problems[0].startswith("not a credential: a JSON object was expected")


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), 2**60, -(2**70)], ids=["nan", "inf", "2^60", "-2^70"]
)
def test_numbers_json_cannot_carry_exactly_are_problems_not_crashes(value: Any) -> None:
    credential = issued()
    credential["credentialSubject"]["courses"][0]["minutesOnline"] = value

    result = verify_credential(credential)

    assert not result.valid
    assert any("canonicalisation" in problem for problem in result.problems)


def test_anything_strange_inside_is_a_problem_not_a_crash() -> None:
    credential = issued()
    credential["credentialSubject"]["odd"] = {1: object()}  # not JSON at all

    result = verify_credential(credential)

    assert not result.valid


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    credential = issued()
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    credential["credentialSubject"]["deep"] = deep

    assert not verify_credential(credential).valid


def test_it_reads_json_strictly() -> None:
    with pytest.raises(ValueError, match="appears twice"):
        load_credential('{"proof": 1, "proof": 2}')
    for constant in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(ValueError, match="not a JSON number"):
            load_credential(f'{{"n": {constant}}}')
    huge = load_credential('{"n": 1e400}')  # a float Python reads as infinity
    assert verify_credential(huge).valid is False


def test_it_signs_only_with_the_issuers_key() -> None:
    document = credential_document(two_courses())
    with pytest.raises(ValueError, match="the issuer is"):
        sign_credential(document, Ed25519PrivateKey.generate(), created=CREATED)
    key = establishment_key("NGT")
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_credential(document, key, created=dt.datetime(2025, 3, 14, 10, 30))  # noqa: DTZ001 - naive on purpose
    with pytest.raises(ValueError, match="already signed"):
        sign_credential(sign_credential(document, key, created=CREATED), key, created=CREATED)


def test_signing_leaves_the_document_as_it_was() -> None:
    document = credential_document(two_courses())
    before = copy.deepcopy(document)

    sign_credential(document, establishment_key("NGT"), created=CREATED)

    assert document == before


# --- keys ----------------------------------------------------------------------------


def test_it_makes_a_key_on_first_use_readable_by_its_owner_only(keys: Path) -> None:
    key = establishment_key("NGT")

    path = keys / "NGT.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert did_key(establishment_key("NGT").public_key()) == did_key(key.public_key())
    assert [p.name for p in keys.iterdir()] == ["NGT.pem"]  # no temporary file left


def test_it_publishes_every_establishments_key() -> None:
    assert published_keys() == {}
    ngt = establishment_key("NGT")
    wkf = establishment_key("WKFLD")

    assert published_keys() == {
        "NGT": did_key(ngt.public_key()),
        "WKFLD": did_key(wkf.public_key()),
    }


@pytest.mark.parametrize("code", ["ngt", "N", "NGTABC", "../NGT", "NGT.pem", "", "N GT"])
def test_an_establishment_code_is_three_to_five_capitals(code: str) -> None:
    with pytest.raises(ValueError, match="not an establishment code"):
        establishment_key(code)


def test_a_broken_key_file_is_named(keys: Path, tmp_path: Path) -> None:
    path = write(tmp_path, issued())
    (keys / "BAD.pem").write_text("not a key")

    with pytest.raises(KeyFileError, match="BAD.pem"):
        published_keys()
    result = CliRunner().invoke(verify, [str(path)])
    assert result.exit_code == 1
    assert "BAD.pem" in result.stderr


def test_without_the_setting_keys_live_in_the_data_folder(settings: Any, tmp_path: Path) -> None:
    settings.WICKETGATE_LEARNING_KEYS_DIR = None
    settings.DATA_DIR = tmp_path / "data"

    assert keys_dir() == tmp_path / "data" / "learning" / "keys"


def test_a_did_key_names_its_public_key() -> None:
    key = Ed25519PrivateKey.generate().public_key()
    did = did_key(key)

    assert did.startswith("did:key:z6Mk")
    assert did_key(public_key_from_did(did)) == did


@pytest.mark.parametrize(
    "did",
    [
        "did:web:example.org",
        "did:key:6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",  # no multibase prefix
        "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ0",  # 0 is not base58
        "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ",  # a byte short
        "did:key:" + "z" + base58.b58encode(b"\xe7\x01" + b"\x02" * 33).decode(),  # secp256k1
        "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6Mk",
        "",
    ],
)
def test_it_refuses_what_is_not_an_ed25519_did_key(did: str) -> None:
    with pytest.raises(ValueError):
        public_key_from_did(did)


# --- the specification's test vector (vc-di-eddsa, Representation: eddsa-jcs-2022) ----

SPEC_SECRET_KEY = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
SPEC_PUBLIC_KEY = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
SPEC_UNSIGNED: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
SPEC_PROOF = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-jcs-2022",
    "created": "2023-02-24T23:36:38Z",
    "verificationMethod": f"did:key:{SPEC_PUBLIC_KEY}#{SPEC_PUBLIC_KEY}",
    "proofPurpose": "assertionMethod",
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "proofValue": "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX",
}
SPEC_HASH_DATA = (
    "66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db"
    "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"
)


def spec_key() -> Ed25519PrivateKey:
    decoded = base58.b58decode(SPEC_SECRET_KEY[1:])
    assert decoded[:2] == b"\x80\x26"  # the multicodec of an Ed25519 private key
    return Ed25519PrivateKey.from_private_bytes(decoded[2:])


def test_it_reproduces_the_specifications_test_vector() -> None:
    key = spec_key()
    assert did_key(key.public_key()) == f"did:key:{SPEC_PUBLIC_KEY}"

    assert hash_data(SPEC_UNSIGNED, SPEC_PROOF).hex() == SPEC_HASH_DATA
    created = dt.datetime(2023, 2, 24, 23, 36, 38, tzinfo=dt.UTC)
    assert create_proof(SPEC_UNSIGNED, key, created=created) == SPEC_PROOF


def test_it_verifies_the_specifications_signed_credential() -> None:
    signed = {**SPEC_UNSIGNED, "proof": SPEC_PROOF}

    assert verify_proof(signed) == []
    changed = {**signed, "name": "Alumni Credential!"}
    assert verify_proof(changed) == [CHANGED]
    # Its issuer is a web address, not a did:key: whole-credential checks refuse it.
    assert not verify_credential(signed).valid


# --- wicketgate learning verify ------------------------------------------------------


def write(tmp_path: Path, document: Any, name: str = "record.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=2))
    return path


def test_the_command_says_valid_and_exits_0(tmp_path: Path) -> None:
    credential = issued()
    path = write(tmp_path, credential)

    result = CliRunner().invoke(verify, [str(path)])

    assert result.exit_code == 0, result.output
    did = credential["issuer"]["id"]
    assert result.stdout == (
        f"VALID: learning record of Sam Okafor issued by HMP Northgate ({did})\n"
    )


def test_the_command_trusts_keys_given_by_hand(tmp_path: Path) -> None:
    credential = issued()
    path = write(tmp_path, credential)

    given = CliRunner().invoke(verify, [str(path), "--key", credential["issuer"]["id"]])
    other = did_key(Ed25519PrivateKey.generate().public_key())
    refused = CliRunner().invoke(verify, [str(path), "--key", other])

    assert given.exit_code == 0, given.output
    assert refused.exit_code == 1
    assert UNTRUSTED_ISSUER in refused.stdout


def test_the_command_refuses_a_key_the_estate_does_not_know(tmp_path: Path, settings: Any) -> None:
    path = write(tmp_path, issued())
    settings.WICKETGATE_LEARNING_KEYS_DIR = tmp_path / "another-estate"

    refused = CliRunner().invoke(verify, [str(path)])
    integrity = CliRunner().invoke(verify, [str(path), "--integrity-only"])

    assert refused.exit_code == 1
    assert UNTRUSTED_ISSUER in refused.stdout
    assert integrity.exit_code == 0, integrity.output
    assert "integrity only" in integrity.stdout


def test_the_command_lists_what_is_wrong_and_exits_1(tmp_path: Path) -> None:
    credential = issued()
    credential["credentialSubject"]["courses"][0]["units"][2]["outcome"] = "achieved"
    path = write(tmp_path, credential)

    result = CliRunner().invoke(verify, [str(path)])

    assert result.exit_code == 1
    assert result.stdout.startswith("NOT VALID:")
    assert CHANGED in result.stdout


def test_the_command_reads_standard_input() -> None:
    result = CliRunner().invoke(verify, ["-"], input=json.dumps(issued()))

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("VALID:")


@pytest.mark.parametrize(
    "content", ["this is not json", "", '{"proof": 1, "proof": 2}', "\xff"], ids=repr
)
def test_the_command_refuses_a_file_that_is_not_json(tmp_path: Path, content: str) -> None:
    path = tmp_path / "record.json"
    path.write_bytes(content.encode("latin-1"))

    result = CliRunner().invoke(verify, [str(path)])

    assert result.exit_code == 1
    assert f"{path}: not a JSON credential" in result.stderr


def test_the_command_says_so_for_json_that_is_not_a_credential(tmp_path: Path) -> None:
    path = write(tmp_path, [1, 2, 3])

    result = CliRunner().invoke(verify, [str(path), "--integrity-only"])

    assert result.exit_code == 1
    assert "not a credential" in result.stdout


def test_the_command_wants_a_file_that_exists(tmp_path: Path) -> None:
    result = CliRunner().invoke(verify, [str(tmp_path / "missing.json")])

    assert result.exit_code == 2
