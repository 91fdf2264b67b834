"""The Ed25519 key that signs checkpoints, kept outside the database.

The private key is read from ``WICKETGATE_AUDIT_SIGNING_KEY_FILE`` (PEM, PKCS#8); when
that names nothing and the default file in the data folder does not exist yet, one is
generated there with mode 0600. Anyone holding the exported public key can verify
checkpoints; nobody without the private key can forge one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from functools import cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from wicketgate.audit.chain import canonical_time


class SigningKeyError(RuntimeError):
    """The signing key cannot be read; checkpoints cannot be signed."""


def checkpoint_message(seq: int, head_hash: str, signed_at: dt.datetime) -> bytes:
    return f"wicketgate-audit-checkpoint:v1:{seq}:{head_hash}:{canonical_time(signed_at)}".encode()


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def key_path() -> Path:
    return Path(settings.WICKETGATE_AUDIT_SIGNING_KEY_FILE)


@cache
def _load_private_key(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        if path != Path(settings.DATA_DIR) / "audit-signing-key.pem":
            raise SigningKeyError(f"{path}: the audit signing key file does not exist")
        _generate(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise SigningKeyError(f"{path}: cannot read an Ed25519 private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path}: not an Ed25519 private key")
    return key


def _generate(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def private_key() -> Ed25519PrivateKey:
    return _load_private_key(key_path())


def public_key_pem() -> bytes:
    return (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def sign(message: bytes) -> tuple[str, str]:
    """(key id, hex signature) of ``message`` with the configured key."""
    key = private_key()
    return key_id(key.public_key()), key.sign(message).hex()


def signature_is_valid(public_key: Ed25519PublicKey, message: bytes, signature_hex: str) -> bool:
    try:
        public_key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True
