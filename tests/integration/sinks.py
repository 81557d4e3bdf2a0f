"""Local receivers for alert sinks: an HTTP endpoint that records what it is sent (and can fail on
cue), and an SMTP server (aiosmtpd) with STARTTLS and login, on free loopback ports."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int  # what the endpoint answered

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Endpoint:
    url: str
    received: list[Received] = field(default_factory=list)  # every request, failed or not
    fail: list[int] = field(default_factory=list)  # statuses to answer with, one per request, before 200s
    # seconds to hang, one per request before the others: then the connection drops unanswered (status 0)
    delay: list[float] = field(default_factory=list)

    @property
    def delivered(self) -> list[Received]:
        return [r for r in self.received if r.status == 200]


@contextmanager
def http_endpoint() -> Iterator[Endpoint]:
    """An HTTP server on a free port recording POSTs; answers `fail` statuses first, then 200."""
    endpoint = Endpoint("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if endpoint.delay:
                endpoint.received.append(Received(dict(self.headers.items()), body, 0))
                time.sleep(endpoint.delay.pop(0))
                self.close_connection = True
                return
            status = endpoint.fail.pop(0) if endpoint.fail else 200
            endpoint.received.append(Received(dict(self.headers.items()), body, status))
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, written to `folder`; the certificate is its own CA."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp.crt", folder / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@dataclass
class Mailbox:
    port: int
    messages: list[Any] = field(default_factory=list)  # email.message.EmailMessage
    logins: list[str] = field(default_factory=list)


@contextmanager
def smtp_server(tls: tuple[Path, Path] | None = None, password: str | None = None) -> Iterator[Mailbox]:
    """aiosmtpd on a free port; with `tls`, STARTTLS is required; with `password`, login is."""
    import email
    import socket
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Mailbox(port)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password.decode() == password
        if ok:
            box.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers 535 itself on failure

    context = None
    if tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls)
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=bool(tls),
        auth_required=bool(password),
        auth_require_tls=bool(tls),
        authenticator=authenticate if password else None,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
