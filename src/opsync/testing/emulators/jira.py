"""A Jira emulator shipped with opsync, as the Notion one is: loopback, no account needed.

It serves the Jira REST endpoints opsync's Jira connector uses, Cloud (v3 and v2, token
paginated ``search/jql``, the removed ``/search`` answering 410) or Data Center (v2 with the
offset ``/search``), with Jira's JQL errors, rate limiting and injectable faults. `opsync
emulate jira --port PORT [--seed-example acme]` runs :func:`main`.
"""

from __future__ import annotations

import argparse
import base64
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

import yaml

from opsync.testing.emulators.emulator_server import FaultingEmulator, LoopbackServer
from opsync.testing.emulators.jira_faults import Faults, RateLimiter
from opsync.testing.emulators.jira_http import App, RequestHandler
from opsync.testing.emulators.jira_model import Clock, World

DEFAULT_EMAIL = "opsync@example.com"
DEFAULT_TOKEN = "jira_opsync_emulator_token"
DEFAULT_RATE = 10.0
DEFAULT_BURST = 10
# The custom fields the acme seed creates, by the ids the example config maps.
ACME_FIELDS = {
    "customfield_10050": ("Release tier", "select"),
    "customfield_10060": ("Product manager", "user"),
    "customfield_10070": ("Stakeholder summary", "textarea"),
}
ACME_TIERS = {1: "Low", 2: "Medium", 3: "High"}


def _utc_now() -> datetime:
    return datetime.now(UTC)


class JiraEmulator(FaultingEmulator):
    """One emulated Jira site behind an HTTP server on a background thread.

    Args:
        deployment: ``"cloud"`` or ``"datacenter"``.
        timezone: the calling account's zone; JQL date strings without a zone are read in it.
        rate_limit: requests a second (None: unlimited).
    """

    poll_interval = 0.05  # lets stop() return at once (the default waits up to 0.5 s)

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        deployment: str = "cloud",
        email: str = DEFAULT_EMAIL,
        token: str = DEFAULT_TOKEN,
        timezone: str = "America/New_York",
        rate_limit: float | None = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        clock: Clock = _utc_now,
    ) -> None:
        if deployment not in ("cloud", "datacenter"):
            raise ValueError(f"deployment must be cloud or datacenter, not {deployment!r}")
        self.email = email
        self.token = token
        self.world = World(clock, timezone, deployment)
        basic = base64.b64encode(f"{email}:{token}".encode()).decode()
        accepted = {f"Basic {basic}"} if deployment == "cloud" else {f"Bearer {token}"}
        self._app = App(self.world, accepted, RateLimiter(rate_limit, burst))
        super().__init__(LoopbackServer((host, port), RequestHandler, self._app), "jira-emulator")
        self._app.base_url = self.base_url

    @property
    def faults(self) -> Faults:
        return self._app.faults

    def set_rate_limit(
        self, rate: float | None, burst: int = DEFAULT_BURST, *, http_date: bool = False
    ) -> None:
        """Requests a second (None: unlimited); ``http_date`` sends Retry-After as a date."""
        self._app.limiter.configure(rate, burst, http_date=http_date)

    def set_page_cap(self, size: int | None) -> None:
        """Return at most ``size`` issues per search page, whatever was asked (pages shrink)."""
        self._app.page_cap = size

    def seed_acme(self) -> None:
        """Project ACME with the acme example's releases as epics, one fix version each."""
        text = (resources.files("opsync") / "examples/acme/tracker/releases.yaml").read_text()
        seed_releases(self.world, yaml.safe_load(text))


def seed_releases(world: World, releases: list[dict[str, Any]]) -> None:
    """Releases (tracker rows) as issues of project ACME: tier as a select, PM as a user
    picker, area as a component, eng lead as an ``eng-<key>`` label, the launch date and
    launched flag on the issue's own fix version, the summary as a textarea."""
    world.add_project("ACME", "Acme Analytics")
    for field_id, (name, kind) in ACME_FIELDS.items():
        world.add_field(name, kind, field_id)
    for area in sorted({str(r["product_area"]) for r in releases if r.get("product_area")}):
        world.add_component("ACME", area)
    for pm in sorted({str(r["pm"]) for r in releases if r.get("pm")}):
        world.add_user(f"acct-{pm}", pm, pm.capitalize(), f"{pm}@acme-analytics.example")
    for row in releases:
        launch = row.get("launch_date")
        versions = []
        if isinstance(launch, date):
            version = world.add_version(
                "ACME",
                f"{launch.isoformat()} {row['key']}",
                release_date=launch,
                released=bool(row.get("launched")),
            )
            versions.append(version.id)
        world.create_issue(
            "ACME",
            str(row["title"]),
            key=str(row["key"]),
            description=row.get("description") or None,
            fixVersions=versions,
            components=[row["product_area"]] if row.get("product_area") else [],
            labels=[f"eng-{row['eng_lead']}"] if row.get("eng_lead") else [],
            customfield_10050=ACME_TIERS.get(row["tier"]) if row.get("tier") else None,
            customfield_10060=f"acct-{row['pm']}" if row.get("pm") else None,
            customfield_10070=row.get("stakeholder_summary") or None,
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Serve an emulator until interrupted, after printing how to point opsync at it."""
    parser = argparse.ArgumentParser(prog="opsync emulate jira", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--deployment", choices=("cloud", "datacenter"), default="cloud")
    parser.add_argument("--email", default=DEFAULT_EMAIL)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE, help="0 for no limit")
    parser.add_argument("--burst", type=int, default=DEFAULT_BURST)
    parser.add_argument("--seed-example", choices=("acme",), default=None)
    args = parser.parse_args(argv)
    emulator = JiraEmulator(
        host=args.host,
        port=args.port,
        deployment=args.deployment,
        email=args.email,
        token=args.token,
        rate_limit=args.rate or None,
        burst=args.burst,
    )
    if args.seed_example == "acme":
        emulator.seed_acme()
    banner = [
        f"Jira emulator ({args.deployment}) serving at {emulator.base_url}",
        f"OPSYNC_JIRA_BASE_URL={emulator.base_url}",
    ]
    if args.deployment == "cloud":
        banner.append(f"JIRA_EMAIL={emulator.email}")
    banner.append(f"JIRA_API_TOKEN={emulator.token}")
    return emulator.serve_until_interrupted(banner, "Jira emulator stopped.")


if __name__ == "__main__":
    sys.exit(main())
