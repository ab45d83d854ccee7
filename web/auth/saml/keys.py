"""A tenant's SP key pairs: generated here, private keys encrypted like the OIDC secret.

Rollover without downtime (``flask sso saml-keys SLUG rollover`` then ``... activate`` then
``... retire``): the new key is published beside the signing one first, so the IdP learns it
(metadata refresh) before it signs anything; after ``activate`` it signs, and the old key is
still published and still decrypts what the IdP encrypted for it, until ``retire``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from web.audit.services import record
from web.auth import crypto
from web.auth.models import SamlKey
from web.extensions import db

KEY_BITS = 3072
CERTIFICATE_DAYS = 5 * 365


class NoSigningKey(RuntimeError):
    """The tenant has no SP key yet: ``flask sso saml-keys SLUG create``."""


def generate(common_name: str) -> tuple[str, str]:
    """A new RSA key (PEM, unencrypted) and its self-signed certificate (PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=CERTIFICATE_DAYS))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


def published() -> list[SamlKey]:
    """The keys in the metadata: the signing one first, then any next or previous one."""
    return list(
        db.session.scalars(
            select(SamlKey)
            .where(SamlKey.retired_at.is_(None))
            .order_by(SamlKey.is_signing.desc(), SamlKey.id)
        )
    )


def signing() -> SamlKey:
    keys = [k for k in published() if k.is_signing]
    if not keys:
        raise NoSigningKey()
    return keys[0]


def create(common_name: str, actor=None) -> SamlKey:
    """The first key (signing at once), or the next one of a rollover (published only)."""
    key_pem, cert_pem = generate(common_name)
    first = not any(k.is_signing for k in published())
    key = SamlKey(
        private_key_encrypted=crypto.encrypt(key_pem), certificate_pem=cert_pem, is_signing=first
    )
    db.session.add(key)
    db.session.flush()
    record("sso.saml_key_created", actor=actor, key_id=key.id, is_signing=first)
    return key


class KeyUnusable(ValueError):
    """An imported key pair that does not fit together or is too weak."""


def import_pair(key_pem: str, cert_pem: str, actor=None) -> SamlKey:
    """An externally issued pair (an OCES3 system certificate for Context Handler), published
    as the next key of a rollover (or signing at once when it is the first)."""
    try:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
    except (ValueError, TypeError) as exc:
        raise KeyUnusable("not an unencrypted PEM private key and a PEM certificate") from exc
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise KeyUnusable("the key must be RSA, at least 2048 bits")
    if cert.public_key().public_numbers() != key.public_key().public_numbers():
        raise KeyUnusable("the certificate is not the key's")
    if cert.not_valid_after_utc <= datetime.now(UTC):
        raise KeyUnusable("the certificate has expired")
    plain = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    first = not any(k.is_signing for k in published())
    pair = SamlKey(
        private_key_encrypted=crypto.encrypt(plain),
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        is_signing=first,
    )
    db.session.add(pair)
    db.session.flush()
    record(
        "sso.saml_key_created",
        actor=actor,
        key_id=pair.id,
        is_signing=first,
        imported=True,
        subject_name=cert.subject.rfc4514_string()[:200],
    )
    return pair


def activate(key_id: int, actor=None) -> SamlKey:
    """Make a published key the signing key; the previous one stays published."""
    keys = {k.id: k for k in published()}
    if key_id not in keys:
        raise LookupError(key_id)
    for key in keys.values():
        key.is_signing = key.id == key_id
    db.session.flush()
    record("sso.saml_key_activated", actor=actor, key_id=key_id)
    return keys[key_id]


def retire(key_id: int, actor=None) -> None:
    """Take a key that no longer signs out of the metadata (and out of decryption)."""
    keys = {k.id: k for k in published()}
    if key_id not in keys or keys[key_id].is_signing:
        raise LookupError(key_id)
    keys[key_id].retired_at = datetime.now(UTC)
    db.session.flush()
    record("sso.saml_key_retired", actor=actor, key_id=key_id)


@dataclass
class KeyFiles:
    signing_key: str
    signing_cert: str
    pairs: list[tuple[str, str]]  # (key file, cert file) of every published key, for decryption
    certs: list[str]  # every published certificate (PEM)


@contextmanager
def on_disk() -> Iterator[KeyFiles]:
    """The published keys decrypted into a private temporary directory, for xmlsec1 (which
    reads files); removed when the block ends."""
    keys = published()
    if not any(k.is_signing for k in keys):
        raise NoSigningKey()
    with tempfile.TemporaryDirectory(prefix="aktor-saml-") as folder:
        os.chmod(folder, 0o700)
        pairs, signing_pair = [], None
        for key in keys:
            key_file = os.path.join(folder, f"{key.id}.key")
            cert_file = os.path.join(folder, f"{key.id}.crt")
            with open(os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as out:
                out.write(crypto.decrypt(key.private_key_encrypted))
            with open(cert_file, "w") as out:
                out.write(key.certificate_pem)
            pairs.append((key_file, cert_file))
            if key.is_signing:
                signing_pair = (key_file, cert_file)
        yield KeyFiles(
            signing_key=signing_pair[0],
            signing_cert=signing_pair[1],
            pairs=pairs,
            certs=[k.certificate_pem for k in keys],
        )
