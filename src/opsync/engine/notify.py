"""Delivery: which notifier sends each message, and the link it carries.

An organisation sends through several notifiers at once (Slack for channels and direct
messages, email for lists), so the engine sees them as one :class:`Delivery` that routes each
message by its channel to the first notifier that accepts it. A message no configured
notifier accepts is not sent: it is a finding, so that configuring the channel later sends
it then, instead of it being recorded as sent nowhere.

A message that announces a page goes out only once the page exists, and carries the page's
link; the link is asked of the wiki at send time because a page created in the same run has
no URL before its write.

Exactly once rests on three records, asked in this order, so that a run with nothing to send
makes no call to any service:

1. the journal: a send journaled ``done`` went out (the state store's record of it);
2. the archive: the local workspace's ``outbox/`` keeps a copy of every message sent through
   another notifier, in the folder, so deleting ``.opsync/`` does not forget them;
3. the service, asked only about the keys nobody can vouch for: a send the journal shows
   started and not finished (killed between the call and its record), or, when the state
   store is new (lost, or a first run), every message not in the archive. Slack finds them by
   the key in their metadata; a service that cannot be asked (email) sends again, under the
   same Message-ID, which mail clients show once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol, runtime_checkable

from opsync.connectors.base import Message, Notifier, PageStore
from opsync.domain.findings import Finding, Level
from opsync.errors import OpsyncError


@runtime_checkable
class Revising(Protocol):
    """A notifier that corrects a message it sent, for a while (Slack's ``chat.update``)."""

    def revisable(self, wanted: Sequence[Message]) -> set[str]:
        """Keys among ``wanted`` it sent whose content changed and that it may still edit."""
        ...


@runtime_checkable
class KeepsCopies(Protocol):
    """A notifier that keeps a copy of each message it sends or archives, in a folder
    people can read (the local workspace's ``outbox/``)."""

    def missing_copies(self, sent: Sequence[Message]) -> list[str]:
        """Where the copies of ``sent`` that are gone were written, as ``<folder>/<file>``
        (checked by name: no file is read)."""
        ...


class PageMissing(OpsyncError):
    """The page a message announces is not in the wiki (its write failed or comes later):
    the message waits for the next run rather than announce nothing. Not a failure of the
    notifier's service, so it never counts towards stopping that service's sends."""


class Delivery:
    """The configured notifiers, seen by the engine as one notifier."""

    def __init__(
        self, notifiers: Sequence[Notifier], pages: PageStore, archive: Notifier | None = None
    ) -> None:
        self.notifiers = tuple(notifiers)
        self.pages = pages
        # copies what the other notifiers send; what it sends itself is its own record
        self.archive = archive

    def route(self, channel: str) -> Notifier | None:
        return next((n for n in self.notifiers if n.accepts(channel)), None)

    def accepts(self, channel: str) -> bool:
        return self.route(channel) is not None

    def sent(
        self,
        wanted: Sequence[Message],
        *,
        done: frozenset[str],
        unsure: frozenset[str],
        fresh: bool,
    ) -> set[str]:
        """The keys among ``wanted`` already sent. ``done`` are the sends the journal
        recorded, ``unsure`` those it saw start and not finish; ``fresh`` says the state store
        remembers no run, so nothing it does not hold can be trusted as unsent."""
        found = {m.key for m in wanted if m.key in done and m.key not in unsure}
        rest = [m for m in wanted if m.key not in found]
        if self.archive is not None and rest:
            found |= self.archive.sent(rest, frozenset()) & {m.key for m in rest}
            rest = [m for m in rest if m.key not in found]
        by_notifier: dict[int, list[Message]] = {}
        for message in rest:
            notifier = self.route(message.channel)
            if notifier is not None:
                by_notifier.setdefault(id(notifier), []).append(message)
        for notifier in self.notifiers:
            mine = by_notifier.get(id(notifier))
            if mine:
                keys = {m.key for m in mine}
                ask = keys if fresh else unsure & keys
                there = notifier.sent(mine, frozenset(ask)) & keys
                if self.archive is None or notifier is self.archive:
                    found |= there
                # else what the service has and the archive lacks (a run killed between the
                # two) is planned again: the notifier, having just found it, does not send it
                # twice, and the copy gets written
        for notifier in self.notifiers:
            if isinstance(notifier, Revising):  # corrected in place: planned as a send again
                found -= notifier.revisable(
                    [m for m in wanted if self.route(m.channel) is notifier]
                )
        return found

    def send(self, message: Message) -> None:
        notifier = self.route(message.channel)
        if notifier is None:  # the plan leaves such messages out; a guard, not a path
            raise ValueError(f"no notifier accepts channel {message.channel!r}")
        if message.announces is not None:
            url = self.pages.page_url(message.announces)
            if url is None:
                raise PageMissing(
                    f"the page {message.announces!r} it announces is not in the wiki yet; "
                    "the message goes out with the run that finds it there"
                )
            message = replace(message, link=url)
        notifier.send(message)
        if self.archive is not None and notifier is not self.archive:
            self.archive.send(message)

    def copies_missing(self, wanted: Sequence[Message], done: frozenset[str]) -> list[Finding]:
        """One finding per channel whose copies of sent messages are gone (``outbox/``
        deleted or pruned). The journal (``done``) records them as sent, so they are not sent
        again; only the copies people read are missing."""
        by_keeper: dict[int, tuple[KeepsCopies, list[Message]]] = {}
        for message in wanted:
            if message.key not in done:
                continue
            keeper: object = self.archive or self.route(message.channel)
            if isinstance(keeper, KeepsCopies):
                by_keeper.setdefault(id(keeper), (keeper, []))[1].append(message)
        gone: dict[str, int] = {}
        for keeper, messages in by_keeper.values():
            for where in keeper.missing_copies(messages):
                folder = where.partition("/")[0]  # the channel's folder
                gone[folder] = gone.get(folder, 0) + 1
        return [
            Finding(
                code="message.copy-missing",
                record=f"outbox/{folder}",
                level=Level.INFO,
                message=(
                    f"outbox/{folder}: {count} sent message(s)' copies are missing; they were "
                    "sent (the state store's journal records them) and are not sent again"
                ),
            )
            for folder, count in sorted(gone.items())
        ]

    def undeliverable(self, wanted: Sequence[Message]) -> list[Finding]:
        """One finding per channel that no notifier serves, naming the messages held back."""
        held: dict[str, list[str]] = {}
        for message in wanted:
            if not self.accepts(message.channel):
                held.setdefault(message.channel, []).append(message.key)
        return [
            Finding(
                code="message.undeliverable",
                record=f"messages/{channel}",
                level=Level.WARNING,
                message=(
                    f"No configured notifier sends to {channel!r}, so {len(keys)} message(s) "
                    f"wait unsent ({', '.join(sorted(keys)[:3])}"
                    f"{', …' if len(keys) > 3 else ''}). Add a notifier that serves it under "
                    "[roles] notifier, or change the channel in the settings."
                ),
            )
            for channel, keys in sorted(held.items())
        ]
