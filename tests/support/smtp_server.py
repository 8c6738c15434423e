"""A real SMTP server on loopback (aiosmtpd) that wants STARTTLS and a login, like a provider's.

    ca = trustme.CA()
    with SmtpServer(ca, users={"bot": "pw"}) as server:
        ...                        # send to 127.0.0.1:server.port with STARTTLS and AUTH
        server.mails               # each mail received, parsed (email.message.EmailMessage)
        server.logins              # each login tried: (user, accepted)

Its certificate is issued in the test by `trustme`'s throwaway CA; clients trust that CA only.
`port` may be given to start it where a client already tried (a server down, then up).
"""

import email
import email.policy
import socket
import ssl
import threading
from email.message import EmailMessage
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    """A loopback port nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """aiosmtpd with STARTTLS required and AUTH required, recording what it receives."""

    def __init__(
        self, ca: trustme.CA, users: dict[str, str] | None = None, port: int | None = None
    ) -> None:
        self.users = dict(users or {})
        self.port = port or free_port()
        self.mails: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self.logins: list[tuple[str, bool]] = []
        self.tls_sessions = 0
        self.lock = threading.Lock()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(tls)
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=tls,
            require_starttls=True,
            auth_required=True,
            authenticator=self._authenticate,
        )

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any):
        assert isinstance(data, LoginPassword)
        user, password = data.login.decode(), data.password.decode()
        accepted = self.users.get(user) == password
        with self.lock:
            self.logins.append((user, accepted))
        return AuthResult(success=accepted, handled=False)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Keep the mail, parsed as a mailbox would."""
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.mails.append(mail)  # type: ignore[arg-type]
            self.envelopes.append(envelope)
            self.tls_sessions += session.ssl is not None
        return "250 OK"

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
