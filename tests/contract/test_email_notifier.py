"""The email notifier against a real SMTP server: aiosmtpd on 127.0.0.1 (a random free port),
its handler keeping every envelope it took. smtplib is never mocked: what is asserted is
what the server received, parsed back with the standard library's ``email`` package.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from opsync.clock import FixedClock
from opsync.config import parse_config
from opsync.connectors import registry
from opsync.connectors.base import Message, Role
from opsync.connectors.context import ConnectorContext
from opsync.connectors.email.config import EmailConnectorConfig
from opsync.connectors.email.factory import factory
from opsync.connectors.email.notifier import EmailNotifier
from opsync.documents.model import Document, Link, bullets, cell, heading, item, para, table, text
from opsync.domain import Level, Person
from opsync.errors import AuthError, ConfigError, PermanentError, TransientError
from opsync.secrets import Secrets

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=ZoneInfo("America/New_York"))
PASSWORD = "s3cret-app-password"
PEOPLE = (
    Person(key="ana", name="Ana Ruiz", email="ana@acme.example"),
    Person(key="ben", name="Ben Okafor"),
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Collector:
    """An aiosmtpd handler: keeps every envelope; refuses recipients starting with
    ``refused`` (550) or ``later`` (451); ``drop_after_data`` closes the connection once it
    has the message, before answering."""

    envelopes: list[Envelope] = field(default_factory=list)
    peers: list[Any] = field(default_factory=list)
    drop_after_data: bool = False
    close_after_reply: bool = False

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.startswith("refused"):
            return "550 5.1.1 <" + address + ">: no such user"
        if address.startswith("later"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        self.peers.append(session.peer)
        if self.drop_after_data:
            server.transport.close()
        if self.close_after_reply:  # as a server closing an idle connection would
            asyncio.get_running_loop().call_later(0.05, server.transport.close)
        return "250 OK"

    def body(self, kind: str, index: int = -1) -> str:
        """The ``text/<kind>`` part of a received message, its line ends as Python's."""
        part = self.received(index).get_body((kind,))
        assert part is not None, f"no text/{kind} part"
        content: str = part.get_content()
        return content.replace("\r\n", "\n")

    def received(self, index: int = -1) -> EmailMessage:
        parsed = email.message_from_bytes(
            self.envelopes[index].original_content or b"", policy=email.policy.default
        )
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Server:
    port: int
    handler: Collector
    ca_file: Path | None = None
    logins: list[tuple[str, str]] = field(default_factory=list)
    login_peers: list[Any] = field(default_factory=list)


ServerFactory = Callable[..., Server]


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def smtp_server(tmp_path: Path, ca: trustme.CA) -> Iterator[ServerFactory]:
    """Starts aiosmtpd servers on free loopback ports: plain, STARTTLS (a certificate from
    a CA made for the test) or implicit TLS, optionally requiring a login."""
    started: list[Controller] = []

    def start(
        *, tls: str | None = None, auth: bool = False, only: str | None = None, **handler: Any
    ) -> Server:
        collector = Collector(**handler)
        server = Server(free_port(), collector)
        kwargs: dict[str, Any] = {"server_hostname": "smtp.test", "decode_data": False}
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
            server.ca_file = tmp_path / "ca.pem"
            ca.cert_pem.write_to_path(str(server.ca_file))
            if tls == "starttls":
                kwargs |= {"tls_context": context, "require_starttls": True}
            else:
                kwargs["ssl_context"] = context
        if auth:

            def authenticator(
                srv: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
            ) -> AuthResult:
                assert isinstance(data, LoginPassword)
                login, password = data.login.decode(), data.password.decode()
                server.logins.append((mechanism, login))
                server.login_peers.append(session.peer)
                ok = (login, password) == ("opsync", PASSWORD)
                return AuthResult(success=ok, handled=False)  # aiosmtpd answers 235/535

            # auth over TLS only (aiosmtpd's default), as a real submission server
            kwargs |= {"authenticator": authenticator, "auth_required": True}
            if only is not None:  # offer one mechanism: smtplib uses the one offered
                kwargs["auth_exclude_mechanism"] = [m for m in ("LOGIN", "PLAIN") if m != only]
        controller = Controller(collector, hostname="127.0.0.1", port=server.port, **kwargs)
        controller.start()
        started.append(controller)
        return server

    yield start
    for controller in started:
        controller.stop()


def config(server: Server | None = None, **overrides: Any) -> EmailConnectorConfig:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": server.port if server else free_port(),
        "security": "none",
        "sender": "Acme Product Ops <product-ops@acme.example>",
        "lists": {
            "stakeholders": ["cto@acme.example", "Head of Sales <sales@acme.example>"],
            "nobody": [],
        },
        "timeout": 5,
    }
    return EmailConnectorConfig.model_validate(values | overrides)


def notifier(settings: EmailConnectorConfig, **kwargs: Any) -> EmailNotifier:
    kwargs = {
        "name": "mail",
        "clock": FixedClock(NOW),
        "people": PEOPLE,
        "secrets": Secrets({"OPSYNC_SMTP_PASSWORD": PASSWORD}),
        "connect_wait": 0,
    } | kwargs
    return EmailNotifier(settings, **kwargs)


HOSTILE = "Q4 <script>alert('x')</script> & more"
DOC = Document(
    title="Weekly Product Update",
    children=(
        heading(2, "Key launches"),
        bullets(
            item(
                Link(text="SSO enforcement", url="https://tracker.acme.example/browse/ACME-121"),
                " — Tier 3",
                children=(item(text(HOSTILE, bold=True)),),
            )
        ),
        table(("Area", "PM"), [(cell("Billing"), cell("Ana Ruiz"))]),
        para(Link(text="bad", url="javascript:alert(1)")),
    ),
)
PAGE = "https://wiki.acme.example/pages/weekly-2026-W49"


def weekly(key: str = "weekly/2026-W49/email", **changes: Any) -> Message:
    values: dict[str, Any] = {
        "key": key,
        "channel": "email:stakeholders",
        "text": "Weekly Product Update — December 3, 2026\n\nTwo launches this week.",
        "title": "Weekly Product Update — December 3, 2026",
        "document": DOC,
        "link": PAGE,
    }
    return Message(**(values | changes))


def expected_id(key: str, domain: str = "acme.example") -> str:
    return f"<opsync.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def test_a_message_arrives_as_text_and_html_alternatives(smtp_server: ServerFactory) -> None:
    server = smtp_server()
    mail = notifier(config(server))

    mail.send(weekly())
    mail.close()

    (envelope,) = server.handler.envelopes
    assert envelope.mail_from == "product-ops@acme.example"
    assert envelope.rcpt_tos == ["cto@acme.example", "sales@acme.example"]
    received = server.handler.received()
    assert received.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in received.iter_parts()] == ["text/plain", "text/html"]
    assert received["From"].addresses[0].addr_spec == "product-ops@acme.example"
    assert received["From"].addresses[0].display_name == "Acme Product Ops"
    assert [a.addr_spec for a in received["To"].addresses] == [
        "cto@acme.example",
        "sales@acme.example",
    ]
    assert received["Subject"] == "Weekly Product Update — December 3, 2026"
    assert received["Message-ID"] == expected_id("weekly/2026-W49/email")
    assert received["X-Opsync-Key"] == "weekly/2026-W49/email"
    assert received["Date"].datetime == NOW  # the connector context's clock
    plain_text, html_text = server.handler.body("plain"), server.handler.body("html")
    assert f"Open the page: {PAGE}" in plain_text
    assert "SSO enforcement <https://tracker.acme.example/browse/ACME-121>" in plain_text
    assert HOSTILE in plain_text  # plain text is literal
    assert f'href="{PAGE}"' in html_text
    assert 'href="https://tracker.acme.example/browse/ACME-121"' in html_text
    assert "Q4 &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in html_text
    assert "<script" not in html_text and "javascript:" not in html_text.split("bad")[0]
    assert 'href="javascript' not in html_text
    assert "<style" not in html_text
    assert mail.counts() == {"reads": 0, "writes": 1}


def test_the_message_id_is_the_same_for_the_same_key_across_runs(
    smtp_server: ServerFactory,
) -> None:
    server = smtp_server()
    for _run in range(2):  # a resend after a crash is a new run, a new connection
        mail = notifier(config(server))
        mail.send(weekly("weekly/2026-W49/email"))
        mail.close()
    mail = notifier(config(server, message_id_domain="ops.acme.example"))
    mail.send(weekly("weekly/2026-W50/email"))
    mail.close()

    ids = [server.handler.received(i)["Message-ID"] for i in range(3)]
    assert ids[0] == ids[1] == expected_id("weekly/2026-W49/email")
    assert ids[2] == expected_id("weekly/2026-W50/email", "ops.acme.example")
    assert ids[2] != ids[0]


def test_one_connection_per_run_opened_only_when_sending(smtp_server: ServerFactory) -> None:
    server = smtp_server()
    idle = notifier(config(server))
    idle.close()  # a run with nothing to send never connects
    mail = notifier(config(server))

    mail.send(weekly("a"))
    mail.send(weekly("b", channel="email-dm:ana"))
    mail.close()

    assert len(server.handler.envelopes) == 2
    assert server.handler.peers[0] == server.handler.peers[1]  # the same client socket
    assert mail.counts() == {"reads": 0, "writes": 2}


def test_a_connection_the_server_closed_while_idle_is_opened_again(
    smtp_server: ServerFactory,
) -> None:
    server = smtp_server(close_after_reply=True)
    mail = notifier(config(server))

    mail.send(weekly("a"))
    time.sleep(0.3)  # the server closes the connection meanwhile
    mail.send(weekly("b"))
    mail.close()

    assert [e.original_content is not None for e in server.handler.envelopes] == [True, True]
    assert server.handler.peers[0] != server.handler.peers[1]


def test_without_a_document_the_html_is_the_text_and_the_subject_its_first_line(
    smtp_server: ServerFactory,
) -> None:
    server = smtp_server()
    mail = notifier(config(server))

    mail.send(
        Message(
            key="weekly/2026-W49/email",
            channel="email:stakeholders",
            text="Subject: Weekly <update>\n\nShipped: A & B.\nNext: C.",
        )
    )
    mail.close()

    received = server.handler.received()
    assert received["Subject"] == "Weekly <update>"
    assert "Shipped: A &amp; B.<br>Next: C." in server.handler.body("html")
    plain = server.handler.body("plain")
    assert plain.startswith("Weekly <update>\n===")
    assert "Subject:" not in plain
    assert "Shipped: A & B.\nNext: C." in plain


def test_direct_messages_go_to_the_person_and_unknown_channels_are_not_accepted(
    smtp_server: ServerFactory,
) -> None:
    server = smtp_server()
    mail = notifier(config(server, people={"ben": "ben.okafor@acme.example"}))

    assert mail.accepts("email:stakeholders") and mail.accepts("email-dm:ana")
    assert mail.accepts("email-dm:ben")  # the config's address for a person without one
    assert not mail.accepts("email:unknown")  # left to the plan's undeliverable finding
    assert not mail.accepts("email:nobody")  # a list with no addresses
    assert not mail.accepts("email-dm:zoe")
    assert not mail.accepts("#general") and not mail.accepts("dm:ana")
    mail.send(weekly("dm", channel="email-dm:ana"))
    mail.close()

    received = server.handler.received()
    assert server.handler.envelopes[0].rcpt_tos == ["ana@acme.example"]
    assert str(received["To"]) == "Ana Ruiz <ana@acme.example>"


def test_sent_cannot_ask_the_server_and_finds_nothing(smtp_server: ServerFactory) -> None:
    server = smtp_server()
    mail = notifier(config(server))
    mail.send(weekly())

    assert mail.sent([weekly()], frozenset({weekly().key})) == set()
    mail.close()


def test_a_large_list_is_one_message_with_the_addresses_hidden(
    smtp_server: ServerFactory,
) -> None:
    server = smtp_server()
    many = [f"person{i}@acme.example" for i in range(5)]
    mail = notifier(config(server, lists={"all": many}, hide_recipients_over=3))

    mail.send(weekly(channel="email:all"))
    mail.close()

    (envelope,) = server.handler.envelopes
    assert envelope.rcpt_tos == many
    received = server.handler.received()
    assert received["To"].groups[0].display_name == "undisclosed-recipients"
    assert received["To"].addresses == ()
    assert b"person0@" not in (envelope.original_content or b"")
    assert "Bcc" not in received


def test_starttls_verifies_the_server_against_the_configured_ca(
    smtp_server: ServerFactory,
) -> None:
    server = smtp_server(tls="starttls")
    mail = notifier(config(server, security="starttls", tls_ca_file=server.ca_file))

    mail.send(weekly())
    mail.close()

    assert len(server.handler.envelopes) == 1


def test_a_certificate_that_does_not_verify_is_permanent_and_names_tls_ca_file(
    smtp_server: ServerFactory,
) -> None:
    server = smtp_server(tls="starttls")
    mail = notifier(config(server, security="starttls"))  # the system CAs only

    with pytest.raises(PermanentError) as caught:
        mail.send(weekly())
    with pytest.raises(PermanentError):  # kept: no second handshake for the next message
        mail.send(weekly("b"))
    mail.close()

    assert "connectors.mail.tls_ca_file" in str(caught.value)
    assert server.handler.envelopes == []


def test_implicit_tls_on_the_ssl_port(smtp_server: ServerFactory) -> None:
    server = smtp_server(tls="ssl")
    mail = notifier(config(server, security="ssl", tls_ca_file=server.ca_file))

    mail.send(weekly())
    mail.close()

    assert len(server.handler.envelopes) == 1


def test_a_server_without_starttls_is_refused_when_starttls_is_configured(
    smtp_server: ServerFactory,
) -> None:
    server = smtp_server()  # plain, offers no STARTTLS
    mail = notifier(config(server, security="starttls"))

    with pytest.raises(PermanentError, match="does not offer STARTTLS"):
        mail.send(weekly())
    mail.close()
    assert server.handler.envelopes == []


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_login_over_starttls(smtp_server: ServerFactory, mechanism: str) -> None:
    server = smtp_server(tls="starttls", auth=True, only=mechanism)
    settings = config(server, security="starttls", tls_ca_file=server.ca_file, username="opsync")
    mail = notifier(settings)

    mail.send(weekly())
    mail.close()

    assert server.logins == [(mechanism, "opsync")]
    assert len(server.handler.envelopes) == 1


def test_a_wrong_password_is_an_auth_error_naming_the_variable_once(
    smtp_server: ServerFactory,
) -> None:
    server = smtp_server(tls="starttls", auth=True)
    settings = config(server, security="starttls", tls_ca_file=server.ca_file, username="opsync")
    mail = notifier(settings, secrets=Secrets({"OPSYNC_SMTP_PASSWORD": "wrong-password"}))

    with pytest.raises(AuthError) as caught:
        mail.send(weekly())
    with pytest.raises(AuthError):
        mail.send(weekly("b"))
    mail.close()

    message = str(caught.value)
    assert "OPSYNC_SMTP_PASSWORD" in message and "connectors.mail.password_env" in message
    assert "wrong-password" not in message
    # one connection's login (smtplib tries PLAIN, then LOGIN), not one per message: a
    # wrong password tried again and again locks the account
    assert len(set(server.login_peers)) == 1
    assert server.handler.envelopes == []


def test_a_password_file_is_read_and_named_when_refused(
    smtp_server: ServerFactory, tmp_path: Path
) -> None:
    server = smtp_server(tls="starttls", auth=True)
    secret = tmp_path / "smtp-password"
    secret.write_text("not-it\n", encoding="utf-8")
    settings = config(
        server,
        security="starttls",
        tls_ca_file=server.ca_file,
        username="opsync",
        password_file=secret,
    )

    with pytest.raises(AuthError, match="password_file"):
        notifier(settings, secrets=Secrets({})).send(weekly())


def test_a_missing_password_is_a_config_error_on_password_env(
    smtp_server: ServerFactory,
) -> None:
    server = smtp_server(tls="starttls", auth=True)
    settings = config(server, security="starttls", tls_ca_file=server.ca_file, username="opsync")
    mail = notifier(settings, secrets=Secrets({}))

    with pytest.raises(ConfigError) as caught:
        mail.send(weekly())
    mail.close()

    assert caught.value.key == "connectors.mail.password_env"
    assert "OPSYNC_SMTP_PASSWORD" in caught.value.message


def test_a_refused_recipient_is_permanent_and_named(smtp_server: ServerFactory) -> None:
    server = smtp_server()
    lists = {"ops": ["refused@acme.example"], "stakeholders": ["cto@acme.example"]}
    mail = notifier(config(server, lists=lists))

    with pytest.raises(PermanentError) as caught:
        mail.send(weekly(channel="email:ops"))
    mail.send(weekly("next"))  # the connection is still good for the next message
    mail.close()

    assert "refused@acme.example" in str(caught.value)
    assert "550" in str(caught.value)
    assert caught.value.record == "messages/weekly/2026-W49/email"
    assert len(server.handler.envelopes) == 1
    assert mail.counts()["writes"] == 1


def test_one_refused_recipient_among_others_still_delivers_once(
    smtp_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    server = smtp_server()
    mail = notifier(config(server, lists={"ops": ["ok@acme.example", "refused@acme.example"]}))

    mail.send(weekly(channel="email:ops"))  # raising would resend to ok@ next run
    mail.close()

    assert server.handler.envelopes[0].rcpt_tos == ["ok@acme.example"]
    assert "refused@acme.example" in caplog.text


def test_a_recipient_deferred_with_4xx_is_transient(smtp_server: ServerFactory) -> None:
    server = smtp_server()
    mail = notifier(config(server, lists={"ops": ["later@acme.example"]}))

    with pytest.raises(TransientError, match="451"):
        mail.send(weekly(channel="email:ops"))
    mail.close()


def test_a_server_that_is_down_is_transient_and_named(tmp_path: Path) -> None:
    port = free_port()  # nothing listens on it
    mail = notifier(config(port=port), connect_attempts=2)

    with pytest.raises(TransientError) as caught:
        mail.send(weekly())
    mail.close()

    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "connectors.mail.host" in str(caught.value)
    assert mail.counts() == {"reads": 0, "writes": 0}


def test_a_connection_lost_after_data_is_not_retried_in_the_run(
    smtp_server: ServerFactory,
) -> None:
    server = smtp_server(drop_after_data=True)
    mail = notifier(config(server))

    with pytest.raises(TransientError, match="may have been delivered") as caught:
        mail.send(weekly())
    mail.close()

    assert caught.value.request == "DATA"
    assert len(server.handler.envelopes) == 1  # the server has it, once: no second DATA
    assert mail.counts()["writes"] == 0


# -- doctor ------------------------------------------------------------------------------


def context(settings: EmailConnectorConfig, secrets: Secrets | None = None) -> ConnectorContext:
    return ConnectorContext(
        name="mail",
        settings=settings,
        clock=FixedClock(NOW),
        people=PEOPLE,
        secrets=secrets or Secrets({"OPSYNC_SMTP_PASSWORD": PASSWORD}),
    )


def test_doctor_passes_a_working_setup(smtp_server: ServerFactory) -> None:
    server = smtp_server(tls="starttls", auth=True)
    settings = config(
        server,
        security="starttls",
        tls_ca_file=server.ca_file,
        username="opsync",
        lists={"stakeholders": ["cto@acme.example"]},
        people={"ben": "ben@acme.example"},
    )

    assert factory.doctor(context(settings)) == []
    assert server.logins and server.handler.envelopes == []  # NOOP, nothing sent


def test_doctor_names_each_problem_and_its_fix(smtp_server: ServerFactory) -> None:
    server = smtp_server(tls="starttls", auth=True)
    settings = config(server, security="starttls", tls_ca_file=server.ca_file, username="opsync")

    findings = factory.doctor(context(settings, Secrets({"OPSYNC_SMTP_PASSWORD": "nope"})))

    by_field = {f.field: f for f in findings}
    assert "OPSYNC_SMTP_PASSWORD" in by_field["password_env"].message
    assert by_field["password_env"].level is Level.ERROR
    assert 'the list "nobody" has no addresses' in by_field["lists"].message
    assert "connectors.mail.lists.nobody" in by_field["lists"].message
    assert "no email address for ben" in by_field["people"].message
    assert all(f.record == "config/connectors/mail" for f in findings)


def test_doctor_names_an_unreachable_host_and_port() -> None:
    port = free_port()
    settings = config(port=port, lists={"stakeholders": ["cto@acme.example"]})

    findings = factory.doctor(context(settings))

    host = [f for f in findings if f.field == "host"]
    assert len(host) == 1
    assert f"127.0.0.1:{port}" in host[0].message


# -- registration and config -------------------------------------------------------------


def test_the_email_type_is_registered_as_a_notifier_only() -> None:
    assert "email" in registry.types()
    assert registry.factory("email").roles == frozenset({Role.NOTIFIER})
    assert registry.serves("email", Role.NOTIFIER)
    assert not registry.serves("email", Role.WIKI)
    assert registry.hook("email", "doctor") is not None


def test_a_config_file_with_the_email_connector_routes_email_to_it(tmp_path: Path) -> None:
    data = {
        "org": {"name": "Acme", "timezone": "America/New_York"},
        "connectors": {
            "local": {"type": "local"},
            "mail": {
                "type": "email",
                "host": "smtp.gmail.com",
                "sender": "ops@acme.example",
                "username": "ops@acme.example",
                "lists": {"stakeholders": ["cto@acme.example"]},
            },
        },
        # with two connectors every role is named (the email one serves only notifier)
        "roles": {
            "tracker": "local",
            "wiki": "local",
            "pages": "local",
            "feeds": "local",
            "notifier": ["mail", "local"],
        },
    }

    loaded = parse_config(data, base_dir=tmp_path)

    assert loaded.notifiers() == ["mail", "local"]
    settings = loaded.connectors["mail"]
    assert isinstance(settings, EmailConnectorConfig)
    assert (settings.port, settings.security) == (587, "starttls")
    assert settings.id_domain() == "acme.example"


# -- through the engine ------------------------------------------------------------------


def test_a_sync_emails_the_weekly_update_once_and_a_second_run_sends_nothing(
    smtp_server: ServerFactory, acme: Path
) -> None:
    from opsync import api

    server = smtp_server()
    acme.write_text(
        acme.read_text(encoding="utf-8")
        + f"""
[connectors.mail]
type = "email"
host = "127.0.0.1"
port = {server.port}
security = "none"
sender = "Acme Product Ops <product-ops@acme-analytics.example>"

[connectors.mail.lists]
stakeholders = ["leadership@acme-analytics.example"]

[roles]
tracker = "local"
wiki = "local"
pages = "local"
feeds = "local"
notifier = ["mail", "local"]
""",
        encoding="utf-8",
    )

    first = api.sync(acme, now=NOW)
    second = api.sync(acme, now=NOW)

    (envelope,) = server.handler.envelopes
    assert envelope.rcpt_tos == ["leadership@acme-analytics.example"]
    received = server.handler.received()
    assert received["X-Opsync-Key"] == "weekly-update/2026-W49/email"
    assert received["Subject"] == "Weekly Product Update — December 3, 2026"
    assert first.requests["email"] == {"reads": 0, "writes": 1}
    assert second.requests["email"] == {"reads": 0, "writes": 0}
