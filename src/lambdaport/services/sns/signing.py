"""Message signatures as SNS makes them, with a local key and certificate.

SNS signs the canonical string of a message's documented fields (``Name\\nValue\\n`` for each,
in a fixed order) with RSA PKCS#1 v1.5: SHA1 for ``SignatureVersion`` 1, SHA256 for 2, and
puts the base64 signature in ``Signature`` and the certificate's URL in ``SigningCertURL``.
lambdaport generates one RSA key and self-signed certificate per data directory (kept in
``sns/`` below it) and serves the certificate at :data:`CERT_PATH`, so validators that
fetch the certificate and verify succeed.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

RECENT_SIGNATURES = 256

# The fields each message type signs, in the order SNS documents.
NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)


def canonical_string(message: Mapping[str, object]) -> str:
    """The string SNS signs: each documented field present, as ``Name\\nValue\\n``."""
    fields = NOTIFICATION_FIELDS if message.get("Type") == "Notification" else CONFIRMATION_FIELDS
    return "".join(f"{name}\n{message[name]}\n" for name in fields if message.get(name) is not None)


class Signer:
    """The data directory's signing key and certificate."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        key_path, cert_path = directory / "signing-key.pem", directory / "signing-cert.pem"
        if not (key_path.is_file() and cert_path.is_file()):
            _generate(key_path, cert_path)
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{key_path} does not hold an RSA key")
        self._key = key
        self._recent: OrderedDict[tuple[str, str], str] = OrderedDict()
        self.certificate_pem = cert_path.read_bytes()
        self.certificate_name = (
            f"SimpleNotificationService-{hashlib.sha256(self.certificate_pem).hexdigest()[:32]}.pem"
        )

    @property
    def certificate_path(self) -> str:
        """The server path the certificate is served at."""
        return f"/_lambdaport/sns/{self.certificate_name}"

    def sign(self, message: Mapping[str, object], version: str) -> str:
        """The base64 signature; the signed fields name no subscription, so a message fanned
        out to many subscriptions is signed once (a small cache of recent signatures)."""
        canonical = canonical_string(message)
        cached = self._recent.get((canonical, version))
        if cached is not None:
            return cached
        algorithm: hashes.HashAlgorithm = hashes.SHA256() if version == "2" else hashes.SHA1()
        signature = self._key.sign(canonical.encode(), padding.PKCS1v15(), algorithm)
        encoded = base64.b64encode(signature).decode()
        self._recent[(canonical, version)] = encoded
        if len(self._recent) > RECENT_SIGNATURES:
            self._recent.popitem(last=False)
        return encoded


def _generate(key_path: Path, cert_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "lambdaport"),
            x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temp = key_path.with_suffix(".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key_bytes)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    temp.replace(key_path)
