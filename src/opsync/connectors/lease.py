"""One writer per target: the lease a writing run holds in the target itself.

The run lock lives beside the state store, so it keeps apart only the runs that share one
state folder. Two checkouts of one config (a server and a laptop), or a run started after
someone deleted ``.opsync/``, each hold their own lock and both write: on Notion that gave
dozens of duplicate rows (issue 14). The lease lives where the writes go (a file in the
workspace, a row in Notion), so every writer sees it whatever its state and host.

A lease names its holder (host, process, the state store's writer id, the run) and an
expiry, renewed while the run writes; a holder that died leaves a lease that expires, or
that its own host can see is dead at once. Its ``generation`` grows by one each time a run
takes it: a reader that finds another generation than the one it last took knows someone
else wrote since, and reads everything again instead of trusting its mirror (whose "rows
opsync edited are already known" shortcut is only true of its own writes).

This module holds the value and the rules; the connectors store it.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from opsync.errors import LockHeld

DEFAULT_TTL = timedelta(minutes=10)
LEASE_KEY = "opsync-lease"  # the key of the lease's row or file in the target


@dataclass(frozen=True)
class Holder:
    """Who writes: ``writer`` is the state store's id (the same for every run sharing it),
    ``run`` this process's run."""

    host: str
    pid: int
    writer: str
    run: str

    @classmethod
    def me(cls, writer: str) -> Holder:
        return cls(socket.gethostname(), os.getpid(), writer, uuid.uuid4().hex[:12])

    def text(self) -> str:
        return f"{self.host}/{self.pid}/{self.writer}/{self.run}"

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        parts = text.split("/")
        if len(parts) != 4 or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]), parts[2], parts[3])

    def succeeded_by(self, me: Holder) -> bool:
        """An earlier run of the same state store on the same host: it cannot be running,
        since ``me`` holds that store's run lock, so it died without releasing."""
        return self.writer == me.writer and self.host == me.host

    def dead(self) -> bool:
        """True only when this host can see the holder's process is gone."""
        if self.host != socket.gethostname():
            return False
        if self.pid == os.getpid():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False  # alive, someone else's
        return False


@dataclass(frozen=True)
class Lease:
    holder: str = ""
    expires: datetime | None = None
    generation: int = 0

    def dump(self) -> str:
        return json.dumps(
            {
                "holder": self.holder,
                "expires": self.expires.isoformat() if self.expires else None,
                "generation": self.generation,
            },
            sort_keys=True,
        )

    @classmethod
    def load(cls, text: str | None) -> Lease:
        """A stored lease; text a person broke reads as free (generation 0), which the
        generation check then treats as "someone else wrote": a full read, no harm."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            expires = datetime.fromisoformat(data["expires"]) if data.get("expires") else None
            return cls(str(data.get("holder") or ""), expires, int(data.get("generation") or 0))
        except (ValueError, TypeError, KeyError, AttributeError):
            return cls()

    def blocks(self, me: Holder, now: datetime) -> str | None:
        """Why ``me`` may not take this lease (None: it may).

        Free, expired, ours, left by an earlier run of our own state store on this host, or
        held by a process this host can see is gone: takeable. Anything else is a live
        writer somewhere else."""
        if not self.holder or self.holder == me.text():
            return None
        if self.expires is not None and self.expires <= now:
            return None
        other = Holder.parse(self.holder)
        if other is not None and (other.dead() or other.succeeded_by(me)):
            return None
        until = self.expires.isoformat(timespec="seconds") if self.expires else "?"
        return f"another opsync run ({self.holder}) holds the write lease until {until}"

    def taken_by(self, me: Holder, now: datetime, ttl: timedelta) -> Lease:
        return Lease(me.text(), now + ttl, self.generation + 1)

    def renewed(self, now: datetime, ttl: timedelta) -> Lease:
        return replace(self, expires=now + ttl)

    def released(self) -> Lease:
        return Lease("", None, self.generation)


def utc_now() -> datetime:
    return datetime.now(UTC)


def held_elsewhere(where: str, why: str) -> LockHeld:
    return LockHeld(
        f"{why} ({where}); this run wrote nothing, and the next one does its work. A lease "
        "left by a run that died is taken over once it expires, or at once on its own host",
        holder=why,
    )


def lost(where: str, lease: Lease) -> LockHeld:
    return LockHeld(
        f"the write lease in {where} was taken over by {lease.holder or 'nobody'} while this "
        "run wrote; it stopped writing. The other run finishes the work",
        holder=lease.holder,
    )


__all__ = [
    "DEFAULT_TTL",
    "LEASE_KEY",
    "Holder",
    "Lease",
    "held_elsewhere",
    "lost",
    "utc_now",
]
