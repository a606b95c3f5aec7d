"""``[connectors.<name>]`` with ``type = "email"``: the SMTP server, who mail comes from, and
who each channel goes to.

No secret is ever in the table: the password is read from ``password_env`` (default
``OPSYNC_SMTP_PASSWORD``) or ``password_file`` when the connection is opened.
"""

from __future__ import annotations

import ipaddress
import re
from email import policy
from email.headerregistry import Address
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from opsync.config_problems import invalid
from opsync.connectors.config import ConnectorConfig

DEFAULT_PASSWORD_ENV = "OPSYNC_SMTP_PASSWORD"
HOST_ENV = "OPSYNC_SMTP_HOST"  # points a configured connector at another server (a test's)
PORT_ENV = "OPSYNC_SMTP_PORT"
LOOPBACK_NAMES = frozenset({"localhost"})
_LIST_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_DOMAIN = re.compile(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*")

Security = Literal["starttls", "ssl", "none"]


def parse_address(value: str) -> Address:
    """One address, ``ops@acme.example`` or ``Acme Ops <ops@acme.example>``; ValueError
    when ``value`` is not exactly one address with a user and a domain."""
    if "\n" in value or "\r" in value:
        raise ValueError(f'"{value.strip()}" holds a line break')
    try:
        found = policy.default.header_factory("to", value).addresses
    except Exception:  # the parser's own errors (HeaderParseError) and its slips (IndexError)
        found = ()
    domain = found[0].domain if len(found) == 1 else ""
    if (
        len(found) != 1
        or not found[0].username
        or ("." not in domain and domain.lower() != "localhost")
    ):
        raise ValueError(f'"{value}" is not one email address such as "ops@acme.example"')
    address: Address = found[0]
    return address


def _checked(value: str) -> str:
    try:
        parse_address(value)
    except ValueError as exc:
        raise invalid(
            str(exc), 'write one address, "ops@acme.example" or "Name <ops@acme.example>"'
        ) from None
    return value.strip()


EmailAddress = Annotated[str, AfterValidator(_checked)]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine: 127.0.0.1, ::1 (with or without brackets), localhost."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class EmailConnectorConfig(ConnectorConfig):
    """An SMTP server opsync sends email through (``email:<list>`` and ``email-dm:<person>``
    channels)."""

    type: Literal["email"] = Field("email", description="Email, sent over SMTP.")
    host: str = Field(
        description=f"SMTP server host name, e.g. smtp.gmail.com ({HOST_ENV} overrides it)."
    )
    port: int = Field(
        587,
        ge=1,
        le=65535,
        description=(
            f"SMTP port: 587 for STARTTLS, 465 for SSL, 25 or 1025 for a local relay "
            f"({PORT_ENV} overrides it)."
        ),
    )
    security: Security = Field(
        "starttls",
        description=(
            'How the connection is encrypted: "starttls" (upgrade on the submission port), '
            '"ssl" (TLS from the first byte, port 465), "none" (a server on this machine only).'
        ),
    )
    tls_ca_file: Path | None = Field(
        None,
        description=(
            "PEM file of the certificate authority to trust for the server's certificate "
            "(a company CA, a test server's); the system's CAs when not set."
        ),
    )
    username: str | None = Field(
        None, description="SMTP login; no login when not set (a local relay)."
    )
    password_env: str = Field(
        DEFAULT_PASSWORD_ENV,
        description="Environment variable holding the SMTP password (an app password).",
    )
    password_file: Path | None = Field(
        None, description="File holding the SMTP password; read instead of password_env."
    )
    sender: EmailAddress = Field(
        description=(
            "The From address: product-ops@acme.example, or a name and the address in "
            "angle brackets."
        )
    )
    reply_to: EmailAddress | None = Field(
        None, description="Reply-To address; replies go to From if unset."
    )
    lists: dict[str, list[EmailAddress]] = Field(
        default_factory=dict,
        description="Recipient lists, name → addresses: the channel email:NAME goes to list NAME.",
    )
    people: dict[str, EmailAddress] = Field(
        default_factory=dict,
        description=(
            "Person key → address for the channel email-dm:KEY, where it differs from the "
            "email of the person in [[org.people]]."
        ),
    )
    hide_recipients_over: int = Field(
        50,
        ge=1,
        description=(
            "A list with more addresses is still one message, sent with the addresses hidden "
            "(To: undisclosed-recipients) so that nobody replies to all of them."
        ),
    )
    timeout: float = Field(30, gt=0, description="Seconds to wait on the server at each step.")
    message_id_domain: str | None = Field(
        None,
        description="Domain of the Message-ID opsync gives each message; the sender's if unset.",
    )

    NOT_IDENTITY: ClassVar[frozenset[str]] = frozenset(
        {
            "host",
            "port",
            "security",
            "tls_ca_file",
            "username",
            "password_env",
            "password_file",
            "timeout",
        }
    )

    @field_validator("host")
    @classmethod
    def _host(cls, host: str) -> str:
        host = host.strip()
        bare = host.strip("[]")
        if ":" in bare:  # an IPv6 address, or a URL or host:port written in
            try:
                ipaddress.IPv6Address(bare)
            except ValueError:
                bare = ""
        if not bare or any(c.isspace() or c in "/@" for c in bare):
            hint = 'the host name alone, e.g. "smtp.gmail.com"; the port goes in port'
            raise invalid(f'"{host}" is not a host name', hint)
        return bare

    @field_validator("security")
    @classmethod
    def _plain_only_here(cls, security: str, info: ValidationInfo) -> str:
        host = info.data.get("host")
        if security == "none" and host is not None and not is_loopback(host):
            hint = (
                f'use security = "starttls" (port 587) or "ssl" (port 465) for {host}; '
                '"none" sends the password and every message in the clear, and is allowed '
                "only for a server on this machine (127.0.0.1, ::1, localhost)"
            )
            raise invalid(f'security "none" is not allowed for host "{host}"', hint)
        return security

    @field_validator("security")
    @classmethod
    def _port_speaks_it(cls, security: str, info: ValidationInfo) -> str:
        # RFC 8314: 465 is TLS from the first byte, 587 the submission port with STARTTLS;
        # the other way round, each side waits for the other to speak until the timeout
        port = info.data.get("port")
        if (port, security) in ((465, "starttls"), (587, "ssl")):
            fix = "ssl" if port == 465 else "starttls"
            hint = f'set security = "{fix}" for port {port}, or the port that speaks {security}'
            raise invalid(f'port {port} does not speak security "{security}"', hint)
        return security

    @field_validator("lists")
    @classmethod
    def _lists(cls, lists: dict[str, list[str]]) -> dict[str, list[str]]:
        for name in lists:
            if not _LIST_NAME.fullmatch(name):
                hint = "use letters, digits, '.', '_' and '-', e.g. stakeholders"
                raise invalid(f'"{name}" is not a list name', hint)
        return lists

    @field_validator("message_id_domain")
    @classmethod
    def _domain(cls, domain: str | None) -> str | None:
        if domain is not None and not _DOMAIN.fullmatch(domain):
            raise invalid(f'"{domain}" is not a domain name', 'e.g. "acme.example"')
        return domain

    def id_domain(self) -> str:
        """The domain of every Message-ID: ``message_id_domain``, else the sender's."""
        return self.message_id_domain or parse_address(self.sender).domain


__all__ = [
    "DEFAULT_PASSWORD_ENV",
    "HOST_ENV",
    "PORT_ENV",
    "EmailConnectorConfig",
    "is_loopback",
    "parse_address",
]
