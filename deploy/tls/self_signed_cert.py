"""Write a self-signed TLS certificate and its key for the reverse proxy, unless both exist.

For trying the compose recipe on a laptop or a staging host (``compose.yaml``'s ``tls-init``
service runs it) and for the tests of the topology. A public deployment mounts a certificate
from a certificate authority (ACME, the organisation's own) in their place; verifiers and
wallets refuse a self-signed one.

    python deploy/tls/self_signed_cert.py --out DIR --name skills-vc.example.org [--name 127.0.0.1]
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["main", "self_signed"]

CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
VALID_DAYS = 397


def _alternative_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def self_signed(names: Sequence[str], now: datetime, days: int = VALID_DAYS) -> tuple[bytes, bytes]:
    """A PEM certificate for ``names`` (host names or IP addresses) and its PEM P-256 private key.

    The certificate is its own issuer and is not a CA: a client trusts it by holding it as its
    only trust anchor (``httpx.Client(verify=ssl.create_default_context(cafile=...))``).
    """
    if not names:
        raise ValueError("a certificate needs at least one name")
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        # A few minutes back, so a client whose clock is a little behind still accepts it.
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([_alternative_name(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for cert.pem and key.pem")
    parser.add_argument("--name", action="append", required=True, help="a host name or IP address")
    args = parser.parse_args(argv)
    cert_path, key_path = args.out / CERT_FILE, args.out / KEY_FILE
    if cert_path.exists() and key_path.exists():
        print(f"{cert_path} and {key_path} exist: kept")
        return 0
    cert_pem, key_pem = self_signed(args.name, now=datetime.now(UTC))
    args.out.mkdir(parents=True, exist_ok=True)
    # The key is written readable by its owner only, and before the certificate, so a proxy
    # never finds a certificate without its key.
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_pem)
    cert_path.write_bytes(cert_pem)
    print(f"self-signed certificate for {', '.join(args.name)} written to {cert_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
