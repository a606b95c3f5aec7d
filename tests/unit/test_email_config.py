"""``[connectors.<name>]`` with ``type = "email"``: each problem names its key and its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opsync.config import parse_config
from opsync.connectors.base import Message
from opsync.connectors.email.compose import message_id, subject_and_text
from opsync.connectors.email.config import EmailConnectorConfig, is_loopback
from opsync.errors import ConfigError

ROLES = {"tracker": "local", "wiki": "local", "pages": "local", "feeds": "local"}


def load(tmp_path: Path, **mail: Any) -> EmailConnectorConfig:
    table = {"type": "email", "host": "smtp.gmail.com", "sender": "ops@acme.example"} | mail
    data = {
        "org": {"name": "Acme", "timezone": "America/New_York"},
        "connectors": {"local": {"type": "local"}, "mail": table},
        "roles": ROLES | {"notifier": ["mail", "local"]},
    }
    settings = parse_config(data, base_dir=tmp_path).connectors["mail"]
    assert isinstance(settings, EmailConnectorConfig)
    return settings


def problem(tmp_path: Path, **mail: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, **mail)
    return caught.value


def test_defaults_are_the_submission_port_with_starttls(tmp_path: Path) -> None:
    settings = load(tmp_path, password_file="secrets/smtp")

    assert (settings.port, settings.security, settings.timeout) == (587, "starttls", 30)
    assert settings.password_env == "OPSYNC_SMTP_PASSWORD"
    assert settings.password_file == tmp_path / "secrets" / "smtp"  # relative to the file
    assert settings.id_domain() == "acme.example"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]"])
def test_plain_smtp_is_allowed_on_this_machine(tmp_path: Path, host: str) -> None:
    assert load(tmp_path, host=host, port=1025, security="none").security == "none"
    assert is_loopback(host)


def test_plain_smtp_to_another_host_names_the_security_key(tmp_path: Path) -> None:
    error = problem(tmp_path, security="none")

    assert error.key == "connectors.mail.security"
    assert 'security "none" is not allowed for host "smtp.gmail.com"' in error.message
    assert "starttls" in error.hint


@pytest.mark.parametrize(
    ("mail", "key"),
    [
        ({"sender": "not an address"}, "connectors.mail.sender"),
        ({"reply_to": "a@acme.example, b@acme.example"}, "connectors.mail.reply_to"),
        ({"lists": {"team": ["ok@acme.example", "nope"]}}, "connectors.mail.lists.team[1]"),
        ({"lists": {"the team": []}}, "connectors.mail.lists"),
        ({"people": {"ana": "ana@"}}, "connectors.mail.people.ana"),
        ({"host": "smtp.gmail.com:587"}, "connectors.mail.host"),
        ({"host": "smtps://smtp.gmail.com"}, "connectors.mail.host"),
        ({"port": 0}, "connectors.mail.port"),
        ({"security": "tls"}, "connectors.mail.security"),
        ({"port": 465}, "connectors.mail.security"),  # 465 speaks TLS from the first byte
        ({"security": "ssl"}, "connectors.mail.security"),  # on 587, the default port
        ({"message_id_domain": "not a domain"}, "connectors.mail.message_id_domain"),
        ({"sender": "ops@acme.example\nBcc: everyone@acme.example"}, "connectors.mail.sender"),
    ],
)
def test_each_bad_value_names_its_key(tmp_path: Path, mail: dict[str, Any], key: str) -> None:
    error = problem(tmp_path, **mail)

    assert [p.key for p in error.problems] == [key]


def test_a_password_in_the_file_is_refused_and_points_to_password_env(tmp_path: Path) -> None:
    error = problem(tmp_path, password="hunter2")

    assert error.key == "connectors.mail.password"
    assert "hunter2" not in str(error)
    assert "password_env" in error.hint


def test_the_message_id_depends_on_the_key_only() -> None:
    first = message_id("weekly/2026-W49/email", "acme.example")

    assert first == message_id("weekly/2026-W49/email", "acme.example")
    assert first != message_id("weekly/2026-W50/email", "acme.example")
    assert first.startswith("<opsync.") and first.endswith("@acme.example>")
    assert len(first.split("@")[0]) == len("<opsync.") + 32


@pytest.mark.parametrize(
    ("title", "text", "subject"),
    [
        ("Launch: SSO", "body", "Launch: SSO"),
        ("", "Subject: Weekly update\n\nbody", "Weekly update"),
        ("", "SSO ships tomorrow\nmore", "SSO ships tomorrow"),
        ("Two\nlines", "x", "Two lines"),
        ("", "", "(no subject)"),
    ],
)
def test_the_subject_is_the_title_or_the_first_line(title: str, text: str, subject: str) -> None:
    message = Message(key="k", channel="email:x", text=text, title=title)

    assert subject_and_text(message)[0] == subject
