"""Real certificates for the TLS tests, made fresh for each test run with ``cryptography``.

``make_pki(directory)`` writes a CA, a server certificate for 127.0.0.1 / localhost
signed by it, a client certificate signed by it, and a second CA (with a client
certificate of its own) that the server must not trust; all PEM, keys unencrypted.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path
    stranger_cert: Path  # signed by other_ca
    stranger_key: Path


@dataclass(frozen=True)
class _Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject: str, issuer: x509.Name, key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )


def _ca(name: str) -> _Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(name, _name(name), key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # key_cert_sign, crl_sign
        .sign(key, hashes.SHA256())
    )
    return _Issued(cert, key)


def _leaf(name: str, ca: _Issued, *, server: bool) -> _Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = _builder(name, ca.cert.subject, key).add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if server:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return _Issued(builder.sign(ca.key, hashes.SHA256()), key)


def _write(directory: Path, stem: str, issued: _Issued) -> tuple[Path, Path]:
    cert, key = directory / f"{stem}.pem", directory / f"{stem}.key"
    cert.write_bytes(issued.cert.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        issued.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key.chmod(0o600)
    return cert, key


def make_pki(directory: Path) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    ca, other = _ca("rubric test CA"), _ca("some other CA")
    ca_cert, _ = _write(directory, "ca", ca)
    other_cert, _ = _write(directory, "other-ca", other)
    server_cert, server_key = _write(directory, "server", _leaf("127.0.0.1", ca, server=True))
    client_cert, client_key = _write(directory, "client", _leaf("rubric test client", ca, server=False))
    stranger_cert, stranger_key = _write(directory, "stranger", _leaf("stranger", other, server=False))
    return Pki(ca_cert, server_cert, server_key, client_cert, client_key, other_cert, stranger_cert, stranger_key)
