"""A throwaway certificate authority for the fake internet.

Chromium is told to trust the leaf by the SHA-256 of its public key
(``--ignore-certificate-errors-spki-list``), which makes pages real secure contexts (service
workers register) without touching any trust store. The leaf key never changes during a run, so
the leaf can be re-issued with more hostnames (``add_page`` on a new host) while the SPKI pin stays valid.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from model.domains import registrable_domain


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "consentwatch fake internet")])


def san_names(hosts: set[str]) -> list[str]:
    """Every host, plus ``*.<registrable domain>`` so siblings on one site are covered too."""
    names = set(hosts)
    for host in hosts:
        domain = registrable_domain(host)
        if domain:
            names.update({domain, f"*.{domain}"})
    return sorted(names)


class CertificateAuthority:
    """A CA and one leaf key; writes PEM files to a private temp dir (never into the repository)."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="consentwatch-fakeweb-")
        self.dir = Path(self._dir.name)
        now = dt.datetime.now(dt.UTC)
        self._not_before = now - dt.timedelta(days=1)
        self._not_after = now + dt.timedelta(days=30)
        self._ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca_cert = (
            x509.CertificateBuilder()
            .subject_name(_name("consentwatch fake internet CA"))
            .issuer_name(_name("consentwatch fake internet CA"))
            .public_key(self._ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self._not_before)
            .not_valid_after(self._not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(self._ca_key, hashes.SHA256())
        )
        self._leaf_key = ec.generate_private_key(ec.SECP256R1())
        self.ca_path = self.dir / "ca.pem"
        self.ca_path.write_bytes(self.ca_cert.public_bytes(serialization.Encoding.PEM))
        self.key_path = self.dir / "leaf.key"
        self.key_path.write_bytes(self._leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        self.cert_path = self.dir / "leaf.pem"
        self.names: list[str] = []

    @property
    def spki_sha256(self) -> str:
        """base64(sha256(SubjectPublicKeyInfo)) of the leaf: the value Chromium's pin flag wants."""
        spki = self._leaf_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(hashlib.sha256(spki).digest()).decode()

    def issue(self, hosts: set[str]) -> None:
        """(Re)issue the leaf for these hosts with the same key; writes the chain to ``cert_path``."""
        self.names = san_names(hosts)
        alt = [x509.DNSName(n) for n in self.names]
        alt += [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        leaf = (
            x509.CertificateBuilder()
            .subject_name(_name("consentwatch fake internet"))
            .issuer_name(self.ca_cert.subject)
            .public_key(self._leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self._not_before)
            .not_valid_after(self._not_after)
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(self._ca_key, hashes.SHA256())
        )
        self.cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM)
                                   + self.ca_cert.public_bytes(serialization.Encoding.PEM))

    def covers(self, host: str) -> bool:
        if host in self.names:
            return True
        parent = host.split(".", 1)[1] if "." in host else ""
        return f"*.{parent}" in self.names

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert_path, self.key_path)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """For Python clients (aiohttp, urllib) that should trust the fake internet."""
        return ssl.create_default_context(cafile=str(self.ca_path))

    def cleanup(self) -> None:
        self._dir.cleanup()
