"""The email notifier: ``email:<list>`` and ``email-dm:<person>`` messages over SMTP.

Why the standard library: :mod:`smtplib`, :mod:`email` (``EmailMessage``,
``headerregistry``) and :mod:`ssl` are maintained with CPython itself, cover SMTP
submission completely (EHLO, STARTTLS, implicit TLS, AUTH PLAIN/LOGIN, SMTPUTF8, 8BITMIME)
and build RFC 5322/MIME messages with header folding, encoded words and address parsing
done right; they release with every Python, have no dependencies of their own and are what
the third-party clients wrap. A run sends a handful of messages, so nothing an asynchronous
client (aiosmtplib) or a provider's HTTP API offers is needed, and an SMTP account works
with every provider (Gmail, Microsoft 365, SES, a company relay) the same way.

**One connection per run**, opened on the first send (a run with nothing to send never
connects) and closed by :meth:`EmailNotifier.close`. Each message is one SMTP transaction
driven step by step (``MAIL``, ``RCPT``, ``DATA``), so a failure is known to have happened
before or after the message could have reached the server:

- **Connecting** (TCP, greeting, EHLO, STARTTLS, login) sends nothing, so a transient
  failure there (refused, timed out, a 4xx greeting) is retried a bounded number of times
  (tenacity, :data:`CONNECT_ATTEMPTS`). A login the server refuses, a certificate that does
  not verify or a server without STARTTLS will not change within a run: the first such
  failure is kept and raised again for every later message, without connecting again (a
  wrong password tried once per message locks accounts).
- **MAIL/RCPT** send nothing either: a reused connection the server dropped while idle is
  opened again once, and a refusal is classified by its code (5xx permanent, 4xx transient).
- **DATA** is never retried within the run: once the message's bytes went out, a lost
  connection or a missing reply leaves it unknown whether the server took the message, and
  sending it again in the same run would be a second delivery of what may be a first. The
  failure is reported; the engine's journal marks the send failed and the next run sends it
  again, under the same Message-ID (:mod:`.compose`), which mail clients show once.

**What was sent**: an SMTP server cannot be asked whether it took a message earlier, so
:meth:`EmailNotifier.sent` finds nothing (``set()``). The engine's journal is the record of
what went out; a send the journal saw start and never finish is sent again, with the same
Message-ID, and the local workspace's outbox (the archive) covers a lost state store.

The password is read when the connection is opened, from ``password_env`` or
``password_file`` through :class:`opsync.secrets.Secrets`, and is never logged or put in an
error: smtplib's debug output stays off.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from email.generator import BytesGenerator
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from io import BytesIO
from typing import ClassVar

import tenacity

from opsync.clock import Clock, SystemClock
from opsync.connectors.base import Capabilities, Message, Role
from opsync.connectors.email.compose import compose
from opsync.connectors.email.config import (
    HOST_ENV,
    PORT_ENV,
    EmailConnectorConfig,
    is_loopback,
    parse_address,
)
from opsync.domain import Finding, Level, Person
from opsync.errors import AuthError, ConfigError, ConnectorError, PermanentError, TransientError
from opsync.secrets import Secrets

log = logging.getLogger("opsync.email")

LIST_PREFIX = "email:"
PERSON_PREFIX = "email-dm:"
CONNECT_ATTEMPTS = 3  # connecting sends nothing: this many tries before a send fails
CONNECT_WAIT = 1.0  # seconds before the second try, doubling after


def channel_kind(channel: str) -> tuple[str, str] | None:
    """``("list", name)`` or ``("person", key)`` for an email channel, else None."""
    for prefix, kind in ((LIST_PREFIX, "list"), (PERSON_PREFIX, "person")):
        if channel.startswith(prefix) and channel[len(prefix) :]:
            return kind, channel[len(prefix) :]
    return None


def endpoint(config: EmailConnectorConfig, environ: Mapping[str, str]) -> tuple[str, int]:
    """(host, port): ``OPSYNC_SMTP_HOST``/``OPSYNC_SMTP_PORT`` when set, else the config's."""
    host = environ.get(HOST_ENV, "").strip() or config.host
    raw_port = environ.get(PORT_ENV, "").strip()
    if not raw_port:
        return host, config.port
    if not raw_port.isdigit() or not 1 <= int(raw_port) <= 65535:
        raise ConfigError(
            f"{PORT_ENV}={raw_port!r} is not a port", key=PORT_ENV, hint="a number, 1 to 65535"
        )
    return host, int(raw_port)


def _reply(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return f"{code} {' '.join(text.split())}".strip()


class _Broken(Exception):
    """Raised inside the connect retry for a failure that retrying will not help."""

    def __init__(self, error: ConnectorError) -> None:
        self.error = error
        super().__init__(str(error))


class EmailNotifier:
    """Sends messages as email, one SMTP connection per run.

    Args:
        config: the ``[connectors.<name>]`` table.
        name: the connector's name in the config, carried by errors and findings.
        secrets: where the password is read from.
        clock: the ``Date`` of each message.
        people: ``[[org.people]]``, whose ``email`` a direct message goes to.
        environ: the environment ``OPSYNC_SMTP_HOST``/``PORT`` are read from (the process's).
        connect_attempts, connect_wait: the bounded retry of the connect step.
    """

    name: ClassVar[str] = "email"
    capabilities: ClassVar[Capabilities] = Capabilities(roles=frozenset({Role.NOTIFIER}))

    def __init__(
        self,
        config: EmailConnectorConfig,
        *,
        name: str = "email",
        secrets: Secrets | None = None,
        clock: Clock | None = None,
        people: Sequence[Person] = (),
        environ: Mapping[str, str] | None = None,
        connect_attempts: int = CONNECT_ATTEMPTS,
        connect_wait: float = CONNECT_WAIT,
    ) -> None:
        self.config = config
        self.connector = name
        self.secrets = secrets or Secrets()
        self.clock = clock or SystemClock()
        self.people = {p.key: p for p in people}
        self.environ = os.environ if environ is None else environ
        self.connect_attempts = max(1, connect_attempts)
        self.connect_wait = connect_wait
        self.sender = parse_address(config.sender)
        self.reply_to = parse_address(config.reply_to) if config.reply_to else None
        self._smtp: smtplib.SMTP | None = None
        self._broken: ConnectorError | None = None
        self._writes = 0

    # -- addressing ---------------------------------------------------------------------

    @property
    def table(self) -> str:
        return f"connectors.{self.connector}"

    def person_address(self, key: str) -> Address | None:
        """The address ``email-dm:<key>`` goes to: the config's override, else the email of
        the person in ``[[org.people]]``; None when neither has one."""
        person = self.people.get(key)
        value = self.config.people.get(key) or (person.email if person else None)
        if not value:
            return None
        try:
            address = parse_address(value)
        except ValueError:
            return None
        if person is not None and not address.display_name:
            address = Address(display_name=person.name, addr_spec=address.addr_spec)
        return address

    def recipients(self, channel: str) -> list[Address]:
        """The addresses ``channel`` sends to; empty when it names no list or address."""
        kind = channel_kind(channel)
        if kind is None:
            return []
        if kind[0] == "list":
            return [parse_address(a) for a in self.config.lists.get(kind[1], ())]
        address = self.person_address(kind[1])
        return [] if address is None else [address]

    def accepts(self, channel: str) -> bool:
        """``email:<list>`` for a configured list with addresses, ``email-dm:<person>`` for a
        person with an address. Any other channel, an unknown list among them, is left to
        the next notifier, or becomes the plan's ``message.undeliverable`` finding."""
        return bool(self.recipients(channel))

    # -- the Notifier protocol ----------------------------------------------------------

    def sent(self, wanted: Sequence[Message], unsure: frozenset[str]) -> set[str]:
        """Nothing: an SMTP server cannot be asked whether it took a message. The journal
        is the record of what was sent; an ``unsure`` message is sent again under the same
        Message-ID, which mail clients show once."""
        return set()

    def send(self, message: Message) -> None:
        to = self.recipients(message.channel)
        record = f"messages/{message.key}"
        if not to:  # accepts() kept it from being routed here; a guard, not a path
            raise PermanentError(
                f"no address for channel {message.channel!r}: add the list under "
                f"{self.table}.lists or the person's email",
                connector=self.connector,
                record=record,
            )
        hide = len(to) > self.config.hide_recipients_over
        mail = compose(
            message,
            sender=self.sender,
            to=to,
            hide_recipients=hide,
            reply_to=self.reply_to,
            id_domain=self.config.id_domain(),
            date=self._now(),
        )
        self._transaction(mail, [a.addr_spec for a in to], record)
        self._writes += 1

    # -- Connector ----------------------------------------------------------------------

    def check(self) -> list[Finding]:
        """What ``opsync doctor`` shows: lists without addresses, people without one, and
        whether the server takes the connection, the TLS and the login (then ``NOOP``)."""
        findings = self._setup_findings()
        try:
            smtp = self._smtp = self._open()
            code, reply = smtp.noop()
            if code != 250:
                findings.append(
                    self._finding("host", f"the server answered NOOP with {_reply(code, reply)}")
                )
        except _Broken as exc:
            findings.append(self._finding(_field(exc.error, self.config), str(exc.error)))
        except ConfigError as exc:
            findings.append(self._finding(exc.key.rpartition(".")[2], f"{exc.message}; {exc.hint}"))
        except ConnectorError as exc:
            findings.append(self._finding(_field(exc, self.config), str(exc)))
        finally:
            self.close()
        return findings

    def counts(self) -> dict[str, int]:
        return {"reads": 0, "writes": self._writes}

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            smtp.close()

    # -- SMTP ---------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.clock.now()

    def _transaction(self, mail: EmailMessage, to: list[str], record: str) -> None:
        reused = self._smtp is not None
        smtp = self._session()
        payload, options = _flatten(mail, smtp, [self.sender.addr_spec, *to])
        if options is None:
            raise PermanentError(
                "an address is not ASCII and the SMTP server does not support SMTPUTF8; "
                f"use an ASCII address in {self.table}",
                connector=self.connector,
                record=record,
            )
        try:
            refused = self._envelope(smtp, to, options, record)
        except smtplib.SMTPServerDisconnected:
            self._drop()
            if not reused:
                raise TransientError(
                    "the SMTP server closed the connection before the message was sent",
                    connector=self.connector,
                    record=record,
                    request="MAIL/RCPT",
                ) from None
            # a connection kept open since the last message and dropped by the server in
            # between (servers close idle ones): nothing of this message was sent
            smtp = self._session()
            try:
                refused = self._envelope(smtp, to, options, record)
            except smtplib.SMTPServerDisconnected:
                self._drop()
                raise TransientError(
                    "the SMTP server closed the connection before the message was sent",
                    connector=self.connector,
                    record=record,
                    request="MAIL/RCPT",
                ) from None
        self._data(smtp, payload, record)
        if refused:
            listed = "; ".join(f"{a} ({r})" for a, r in sorted(refused.items()))
            log.warning(
                "%s: %s was delivered to the other recipients but refused for %s; "
                "fix or remove these addresses in %s",
                self.connector,
                record,
                listed,
                self.table,
            )

    def _envelope(
        self, smtp: smtplib.SMTP, to: list[str], options: list[str], record: str
    ) -> dict[str, str]:
        """MAIL FROM and RCPT TO: nothing of the message is sent yet. Returns the
        recipients refused while others were accepted."""
        try:
            code, reply = smtp.mail(self.sender.addr_spec, options)
            if code != 250:
                self._reset(smtp)
                raise _classify(
                    code,
                    f"the SMTP server refused the sender {self.sender.addr_spec} "
                    f"({_reply(code, reply)}); check {self.table}.sender is an address the "
                    "account may send as",
                    connector=self.connector,
                    record=record,
                    request="MAIL FROM",
                )
            refused: dict[str, tuple[int, str]] = {}
            for address in to:
                code, reply = smtp.rcpt(address)
                if code not in (250, 251):
                    refused[address] = (code, _reply(code, reply))
        except smtplib.SMTPServerDisconnected:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise self._lost(exc, record, "MAIL/RCPT", sent=False) from exc
        if len(refused) == len(to):
            self._reset(smtp)
            permanent = all(code >= 500 for code, _ in refused.values())
            listed = "; ".join(f"{a} ({r})" for a, (_, r) in sorted(refused.items()))
            error = PermanentError if permanent else TransientError
            raise error(
                f"the SMTP server refused every recipient: {listed}"
                + (f"; fix the addresses in {self.table}" if permanent else ""),
                connector=self.connector,
                record=record,
                request="RCPT TO",
            )
        return {a: r for a, (_, r) in refused.items()}

    def _data(self, smtp: smtplib.SMTP, payload: bytes, record: str) -> None:
        """DATA: from here on the server may have the message, so nothing is retried."""
        try:
            code, reply = smtp.data(payload)
        except smtplib.SMTPDataError as exc:  # DATA itself refused: nothing was sent
            self._reset(smtp)
            raise _classify(
                exc.smtp_code,
                f"the SMTP server refused the message ({_reply(exc.smtp_code, exc.smtp_error)})",
                connector=self.connector,
                record=record,
                request="DATA",
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise self._lost(exc, record, "DATA", sent=True) from exc
        if code != 250:
            self._reset(smtp)
            raise _classify(
                code,
                f"the SMTP server refused the message ({_reply(code, reply)})",
                connector=self.connector,
                record=record,
                request="DATA",
            )

    def _lost(self, exc: BaseException, record: str, request: str, *, sent: bool) -> TransientError:
        what = (
            "the connection was lost while the message was sent, so it may have been "
            "delivered; it is not sent again in this run, and the next run sends it again "
            "under the same Message-ID"
            if sent
            else "the connection failed before the message was sent"
        )
        return TransientError(
            f"{what} ({type(exc).__name__}: {exc})",
            connector=self.connector,
            record=record,
            request=request,
        )

    def _reset(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def _session(self) -> smtplib.SMTP:
        """The run's connection, opened on first use with a bounded retry."""
        if self._smtp is not None:
            return self._smtp
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(TransientError),
            stop=tenacity.stop_after_attempt(self.connect_attempts),
            wait=tenacity.wait_exponential(
                multiplier=self.connect_wait, max=10 * self.connect_wait
            ),
            reraise=True,
        )
        try:
            self._smtp = retrying(self._open)
        except _Broken as exc:
            raise exc.error from None
        return self._smtp

    def _open(self) -> smtplib.SMTP:
        """Connect, EHLO, STARTTLS when configured, log in when configured.

        Raises:
            TransientError: worth another try (refused, timed out, a 4xx).
            _Broken: will not change within a run (kept, and raised for every later send).
            ConfigError: the password is not set.
        """
        if self._broken is not None:
            raise _Broken(self._broken)
        host, port = endpoint(self.config, self.environ)
        where = f"{host}:{port}"
        if self.config.security == "none" and not is_loopback(host):
            raise ConfigError(
                f'security "none" is not allowed for host "{host}"',
                key=f"{self.table}.security",
                hint='use "starttls" or "ssl"; "none" is for a server on this machine only',
            )
        context = self._tls()
        smtp: smtplib.SMTP | None = None
        step = "connect"
        try:
            if self.config.security == "ssl":
                smtp = smtplib.SMTP_SSL(host, port, timeout=self.config.timeout, context=context)
            else:
                smtp = smtplib.SMTP(host, port, timeout=self.config.timeout)
            step = "EHLO"
            smtp.ehlo()
            if self.config.security == "starttls":
                step = "STARTTLS"
                if not smtp.has_extn("starttls"):
                    raise self._break(
                        PermanentError(
                            f"the SMTP server at {where} does not offer STARTTLS; use the "
                            'submission port with security = "starttls" (587), or '
                            'security = "ssl" (465)',
                            connector=self.connector,
                            request="STARTTLS",
                        )
                    )
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.config.username:
                step = "AUTH"
                self._login(smtp, where)
        except BaseException as exc:
            if smtp is not None:
                smtp.close()
            if isinstance(exc, _Broken | ConfigError | TransientError):
                raise
            if isinstance(exc, Exception):
                raise self._connect_error(exc, where, step) from exc
            raise
        return smtp

    def _tls(self) -> ssl.SSLContext | None:
        if self.config.security == "none":
            return None
        ca = self.config.tls_ca_file
        if ca is not None and not ca.is_file():
            raise ConfigError(
                f"the CA file {ca} does not exist",
                key=f"{self.table}.tls_ca_file",
                hint="give the PEM file of the CA that signed the server's certificate",
            )
        return ssl.create_default_context(cafile=str(ca) if ca else None)

    def _login(self, smtp: smtplib.SMTP, where: str) -> None:
        config = self.config
        variable = config.password_env
        source = (
            f"the file {config.password_file} ({self.table}.password_file)"
            if config.password_file
            else f"the environment variable {variable} ({self.table}.password_env)"
        )
        password = self.secrets.read(
            config.password_file,
            variable,
            table=self.table,
            what="SMTP password",
            hint=f"export {variable}=<the password> (an app password for Gmail and Microsoft 365)",
            file_hint="create the file with the SMTP password, readable by opsync only",
            env_field="password_env",
            file_field="password_file",
        )
        try:
            smtp.login(config.username or "", password)
        except smtplib.SMTPAuthenticationError as exc:
            raise self._break(
                AuthError(
                    f"the SMTP server at {where} refused the login of {config.username} "
                    f"({_reply(exc.smtp_code, exc.smtp_error)}); check the password in "
                    f"{source} (Gmail and Microsoft 365 need an app password)",
                    connector=self.connector,
                    request="AUTH",
                )
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise self._break(
                AuthError(
                    f"the SMTP server at {where} offers no login (AUTH) on this connection; "
                    f"check {self.table}.security and port, or remove {self.table}.username "
                    "for a relay that needs none",
                    connector=self.connector,
                    request="AUTH",
                )
            ) from None

    def _break(self, error: ConnectorError) -> _Broken:
        self._broken = error
        return _Broken(error)

    def _connect_error(self, exc: Exception, where: str, step: str) -> Exception:
        hint = f"check {self.table}.host, port and security, and that the network lets SMTP out"
        if isinstance(exc, ssl.SSLCertVerificationError):
            return self._break(
                PermanentError(
                    f"the certificate of {where} does not verify ({exc.verify_message}); "
                    f"give its CA in {self.table}.tls_ca_file, or fix host to the name on "
                    "the certificate",
                    connector=self.connector,
                    request=step,
                )
            )
        if isinstance(exc, ssl.SSLError):
            return self._break(
                PermanentError(
                    f"TLS with {where} failed ({exc.reason or exc}); port 465 speaks "
                    'security = "ssl", port 587 security = "starttls"',
                    connector=self.connector,
                    request=step,
                )
            )
        if isinstance(exc, smtplib.SMTPResponseException):
            return _classify(
                exc.smtp_code,
                f"the SMTP server at {where} answered {step} with "
                f"{_reply(exc.smtp_code, exc.smtp_error)}",
                connector=self.connector,
                request=step,
                broken=self._break,
            )
        if isinstance(exc, socket.gaierror):
            return TransientError(
                f"cannot find the SMTP server {where} ({exc.strerror}); {hint}",
                connector=self.connector,
                request=step,
            )
        if isinstance(exc, smtplib.SMTPException | OSError):
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return TransientError(
                f"cannot reach the SMTP server at {where} ({reason or type(exc).__name__}); {hint}",
                connector=self.connector,
                request=step,
            )
        return exc

    # -- doctor -------------------------------------------------------------------------

    def _setup_findings(self) -> list[Finding]:
        findings = [
            self._finding(
                "lists",
                f'the list "{name}" has no addresses, so email:{name} messages are not sent; '
                f"add addresses under {self.table}.lists.{name}",
            )
            for name, addresses in sorted(self.config.lists.items())
            if not addresses
        ]
        for key in sorted(self.config.people):
            if self.people and key not in self.people:
                findings.append(
                    self._finding(
                        "people",
                        f'"{key}" in {self.table}.people is not a person of [[org.people]]; '
                        "fix the key or remove it",
                        Level.WARNING,
                    )
                )
        without = [key for key in sorted(self.people) if self.person_address(key) is None]
        if without:
            findings.append(
                self._finding(
                    "people",
                    f"no email address for {', '.join(without)}, so email-dm: messages to "
                    "them are not sent; add email to their [[org.people]] entry or an "
                    f"address under {self.table}.people",
                    Level.WARNING,
                )
            )
        return findings

    def _finding(self, field: str, message: str, level: Level = Level.ERROR) -> Finding:
        return Finding(
            code="email.setup",
            record=f"config/connectors/{self.connector}",
            field=field,
            level=level,
            message=message,
        )


def _field(error: ConnectorError, config: EmailConnectorConfig) -> str:
    """The config key a finding about ``error`` points to."""
    if isinstance(error, AuthError):
        return "password_file" if config.password_file else "password_env"
    if error.request in ("STARTTLS",) or "certificate" in str(error) or "TLS" in str(error):
        return "security"
    return "host"


def _classify(
    code: int,
    message: str,
    *,
    connector: str,
    record: str | None = None,
    request: str,
    broken: Callable[[ConnectorError], _Broken] | None = None,
) -> Exception:
    """A 4xx reply is transient (try later), a 5xx permanent."""
    if 400 <= code < 500:
        return TransientError(message, connector=connector, record=record, request=request)
    error = PermanentError(message, connector=connector, record=record, request=request)
    return broken(error) if broken is not None else error


def _flatten(
    mail: EmailMessage, smtp: smtplib.SMTP, addresses: Iterable[str]
) -> tuple[bytes, list[str] | None]:
    """The message's bytes with CRLF line ends, and the MAIL options it needs: SMTPUTF8
    when an address is not ASCII (as ``smtplib.SMTP.send_message`` does); None for the
    options when it needs SMTPUTF8 and the server does not offer it."""
    options: list[str] = []
    generator_policy: EmailPolicy = mail.policy  # type: ignore[assignment]  # EmailMessage's
    if not all(a.isascii() for a in addresses):
        if not smtp.has_extn("smtputf8"):
            return b"", None
        generator_policy = generator_policy.clone(utf8=True)
        options = ["SMTPUTF8", "BODY=8BITMIME"]
    with BytesIO() as out:
        BytesGenerator(out, policy=generator_policy).flatten(mail, linesep="\r\n")
        return out.getvalue(), options


__all__ = ["CONNECT_ATTEMPTS", "EmailNotifier", "channel_kind", "endpoint"]
