"""A pinned HTTPS POST connects to the checked address but checks the certificate against the host name.

A throwaway certificate authority signs a certificate for a made-up name only (no IP in it);
a loopback HTTPS server presents it. Posting to the name at 127.0.0.1 succeeds only because
SNI and the name check use the URL's host, not the address connected to.
"""

from __future__ import annotations

import datetime
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from reelay.clients.webhook_sender import HttpWebhookSender

NAME = "hooks.pinned.test"


def _certificate(subject: str, issuer_key: Any, key: Any, issuer: str, *, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, ssl.SSLContext, list[str | None], list[str]]]:
    """An HTTPS server on 127.0.0.1 with a certificate for NAME; the client context trusting its CA."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Reelay test CA", ca_key, ca_key, "Reelay test CA", ca=True)
    leaf = _certificate(NAME, ca_key, key, "Reelay test CA", ca=False)
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    sni_seen: list[str | None] = []
    hosts_seen: list[str] = []
    server_context.sni_callback = lambda _sock, name, _ctx: sni_seen.append(name)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hosts_seen.append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client_context = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    try:
        yield int(server.server_address[1]), client_context, sni_seen, hosts_seen
    finally:
        server.shutdown()
        server.server_close()


def test_tls_names_the_host_while_the_connection_goes_to_the_checked_address(tls_server):
    port, trusted, sni_seen, hosts_seen = tls_server
    sender = HttpWebhookSender(trusted)

    answer = sender.post(f"https://{NAME}:{port}/hooks", ["127.0.0.1"], b"{}", {})

    assert answer.status_code == 204, answer
    assert sni_seen == [NAME]
    assert hosts_seen == [f"{NAME}:{port}"]


def test_a_certificate_for_another_name_is_refused_at_the_checked_address(tls_server):
    port, trusted, _, hosts_seen = tls_server
    sender = HttpWebhookSender(trusted)

    answer = sender.post(f"https://other.pinned.test:{port}/hooks", ["127.0.0.1"], b"{}", {})

    assert answer.status_code is None
    assert answer.error == "ConnectError"  # the TLS handshake failed the name check
    assert hosts_seen == []
