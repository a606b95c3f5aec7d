"""What people said back in chat, merged into the snapshot the rules read.

A chat connector that plays the ``signals`` role (Slack, ``connectors/slack/signals.py``)
reads plain data back: the reactions to the survey and pulse messages opsync sent, status
pings counted per week, and the messages of the intake channel. Here they become the
records the rules already read, beside the hand-entered ones, so no rule knows where an
answer came from:

- a reaction to ``survey/<release>/<channel>`` is a :class:`SurveyAnswer` (✅ aware, ❌
  not aware), one per release and respondent whichever stakeholder channels they answered
  in; a person who left both ✅ and ❌ is not counted (Slack does not say which came last);
  a hand-entered answer of the same person for the same release wins;
- a reaction to ``pulse/<quarter>/<person>`` is a :class:`PulseAnswer` (✅ agree, ❌
  disagree), unless that PM's answer for the quarter was entered by hand (a record of theirs
  whose key names the quarter, ``2026-Q4-maya``);
- a week's ping count is a :class:`PingAudit`, unless that week was entered by hand; the
  earliest week counted is the baseline, unless a baseline was entered by hand;
- a message in the intake channel is a :class:`Request`, and a :class:`RecordSeed` that
  creates it once in the wiki's ``requests`` collection, where people triage it: created
  once and never updated (its key comes from the channel and the message's ts), so a
  person's status and friction are never overwritten and a lost state store, which reads
  the channel again, finds the record there and creates nothing.

Records read from Slack carry keys starting ``slack-``; requests also ``source = "slack"``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from opsync.connectors.base import PingCount, Reaction, SignalAsk, Signals, SignalSource
from opsync.domain import Collection, Finding, Level, Snapshot
from opsync.domain.intake import Request, RequestStatus
from opsync.domain.survey import PingAudit, PulseAnswer, SurveyAnswer
from opsync.errors import ConnectorError
from opsync.rules.output import RecordSeed
from opsync.rules.surveys import PULSE_PREFIX, SURVEY_PREFIX
from opsync.settings import Settings

_log = logging.getLogger("opsync.engine")

#: Reaction names read as yes and as no (with their common look-alikes).
YES = frozenset({"white_check_mark", "heavy_check_mark", "ballot_box_with_check"})
NO = frozenset({"x", "negative_squared_cross_mark", "heavy_multiplication_x"})
SOURCE = "slack"


def ask(settings: Settings, timezone: str, now: datetime) -> SignalAsk:
    """What the settings ask to read back; empty (falsy) when they ask nothing."""
    surveys, scorecard = settings.surveys, settings.scorecard
    reactions = []
    if surveys.stakeholder_channels:
        reactions.append(SURVEY_PREFIX)
    if surveys.pulse_business_day is not None:
        reactions.append(PULSE_PREFIX)
    since = scorecard.ping_since
    if since is None and settings.rollout:
        since = min(p.starts_on for p in settings.rollout)
    return SignalAsk(
        now=now,
        timezone=timezone,
        reactions=tuple(reactions),
        reaction_days=surveys.read_days,
        ping_channels=scorecard.ping_channels,
        ping_patterns=scorecard.ping_patterns,
        ping_since=since,
        intake_channel=settings.intake.slack_channel,
        intake_days=settings.intake.slack_days,
    )


def read(sources: Sequence[object], wanted: SignalAsk) -> tuple[Signals, list[Finding]]:
    """The first signal source's answer; a finding when none is configured or it failed
    (the run goes on with the hand-entered records)."""
    if not wanted:
        return Signals(), []
    source = next((s for s in sources if isinstance(s, SignalSource)), None)
    if source is None:
        return Signals(), [
            _finding(
                "surveys, status pings or Slack intake are configured, but no notifier reads "
                "chat back: add a Slack connector under [roles] notifier, or leave "
                "[rules.surveys], [rules.scorecard] ping_channels and [rules.intake] "
                "slack_channel unset",
            )
        ]
    try:
        signals = source.read_signals(wanted)
    except ConnectorError as exc:
        return Signals(), [_finding(f"reading Slack back failed ({exc}); the next run tries again")]
    return signals, list(signals.findings)


def _finding(message: str) -> Finding:
    return Finding(
        code="slack.signals", record="config/rules", level=Level.WARNING, message=message
    )


def merge(snapshot: Snapshot, signals: Signals) -> tuple[Snapshot, tuple[RecordSeed, ...]]:
    """The snapshot with what chat said added, and the request records to create."""
    requests = {r.key: r for r in _requests(signals)}
    seeds = tuple(
        RecordSeed(
            collection=Collection.REQUESTS,
            key=r.key,
            # what the message says; status, friction and triage are people's, left unset
            values=r.model_dump(exclude={"key"}, exclude_defaults=True),
        )
        for r in requests.values()
    )
    have = {r.key for r in snapshot.requests}
    update = {
        "survey_answers": snapshot.survey_answers
        + _surveys(signals.reactions, snapshot.survey_answers),
        "pulse_answers": snapshot.pulse_answers
        + _pulses(signals.reactions, snapshot.pulse_answers),
        "ping_audits": snapshot.ping_audits + _pings(signals.pings, snapshot.ping_audits),
        "requests": snapshot.requests + tuple(r for k, r in requests.items() if k not in have),
    }
    return snapshot.model_copy(update=update), seeds


def _verdict(names: Iterable[str]) -> bool | None:
    """True for ✅ only, False for ❌ only, None for neither or both."""
    seen = set(names)
    yes, no = bool(seen & YES), bool(seen & NO)
    return yes if yes != no else None


def _surveys(
    reactions: Sequence[Reaction], by_hand: Sequence[SurveyAnswer]
) -> tuple[SurveyAnswer, ...]:
    names: dict[tuple[str, str], set[str]] = {}
    teams: dict[tuple[str, str], str] = {}
    for reaction in reactions:
        if not reaction.message.startswith(SURVEY_PREFIX):
            continue
        release, _, channel = reaction.message.removeprefix(SURVEY_PREFIX).rpartition("/")
        who = (release, reaction.person or reaction.user)
        names.setdefault(who, set()).update(reaction.names)
        teams.setdefault(who, channel)
    entered = {(a.release_key, a.respondent) for a in by_hand}
    found = []
    for (release, respondent), seen in sorted(names.items()):
        aware = _verdict(seen)
        if aware is None or (release, respondent) in entered:
            continue
        found.append(
            SurveyAnswer(
                key=f"slack-{release}-{respondent}",
                release_key=release,
                respondent=respondent,
                team=teams[(release, respondent)],
                aware_before_ship=aware,
            )
        )
    return tuple(found)


def _pulses(
    reactions: Sequence[Reaction], by_hand: Sequence[PulseAnswer]
) -> tuple[PulseAnswer, ...]:
    names: dict[tuple[str, str], set[str]] = {}
    asked: dict[tuple[str, str], date] = {}
    for reaction in reactions:
        if not reaction.message.startswith(PULSE_PREFIX):
            continue
        quarter, _, person = reaction.message.removeprefix(PULSE_PREFIX).partition("/")
        if reaction.person not in (None, person):
            continue  # only the PM asked answers their own pulse
        names.setdefault((quarter, person), set()).update(reaction.names)
        asked[(quarter, person)] = reaction.on
    found = []
    for (quarter, person), seen in sorted(names.items()):
        agree = _verdict(seen)
        # a hand-entered answer names its quarter in its key, as acme's 2026-Q4-maya
        entered = any(a.respondent == person and quarter in a.key for a in by_hand)
        if agree is None or entered:
            continue
        found.append(
            PulseAnswer(
                key=f"slack-{quarter}-{person}",
                respondent=person,
                agree=agree,
                answered_on=asked[(quarter, person)],
            )
        )
    return tuple(found)


def _pings(counts: Sequence[PingCount], by_hand: Sequence[PingAudit]) -> tuple[PingAudit, ...]:
    entered = {a.period_start for a in by_hand}
    kept = [c for c in counts if c.week not in entered]
    if not kept:
        return ()
    first = min(c.week for c in kept)
    baseline = not any(a.baseline for a in by_hand)
    return tuple(
        PingAudit(
            key=f"slack-{c.week.isoformat()}-{c.channel.lstrip('#')}",
            period_start=c.week,
            count=c.count,
            baseline=baseline and c.week == first,
            channel=c.channel.lstrip("#"),
        )
        for c in sorted(kept, key=lambda c: (c.week, c.channel))
    )


def _requests(signals: Signals) -> list[Request]:
    found = []
    for message in signals.requests:
        lines = [line.strip() for line in message.text.splitlines() if line.strip()]
        if not lines:
            continue
        summary = lines[0] if len(lines[0]) <= 200 else lines[0][:199] + "…"
        found.append(
            Request(
                key=message.key,
                summary=summary,
                requested_by=message.person or message.user,
                received_on=message.on,
                source=SOURCE,
                status=RequestStatus.NEW,
                link=message.link,
                notes=message.text if len(lines) > 1 or summary != lines[0] else "",
            )
        )
    return found
