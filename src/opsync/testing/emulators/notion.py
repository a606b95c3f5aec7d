"""A Notion API emulator shipped with opsync, as moto and LocalStack are for AWS.

It serves, on loopback, the subset of Notion API 2025-09-03 that opsync uses, with the
real service's limits and failure modes (pagination caps, validation errors, rate limits,
trash), so people can try Notion mode without an account and connector tests run offline
through the real notion-client SDK. `opsync emulate notion --port PORT` runs `main`.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from opsync.testing.emulators.emulator_server import FaultingEmulator, LoopbackServer
from opsync.testing.emulators.notion_faults import Faults, RateLimiter
from opsync.testing.emulators.notion_http import API_VERSION, App, Handler
from opsync.testing.emulators.notion_model import Clock, World

DEFAULT_TOKEN = "ntn_opsync_emulator"
DEFAULT_RATE = 3.0
DEFAULT_BURST = 5


def _utc_now() -> datetime:
    return datetime.now(UTC)


class NotionEmulator(FaultingEmulator):
    """One emulated workspace behind an HTTP server on a background thread.

    Its `base_url` is what notion-client takes as `base_url` (it appends `/v1/` itself).

    Pass `rate_limit=None` to serve without the 3 requests/second limit (the default
    limit is Notion's documented average). `clock` sets the time the workspace stamps
    objects with; `seed` makes ids repeatable.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = DEFAULT_TOKEN,
        rate_limit: float | None = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        clock: Clock = _utc_now,
        seed: int | None = None,
    ) -> None:
        self.token = token
        self.person_token = f"{token}_person"
        self._world = World(clock, secrets.randbits(64) if seed is None else seed)
        tokens = {token: self._world.bot_id, self.person_token: self._world.person_id}
        self._app = App(self._world, tokens, RateLimiter(rate_limit, burst))
        super().__init__(LoopbackServer((host, port), Handler, self._app), "notion-emulator")

    @property
    def root_page_id(self) -> str:
        """A page shared with the integration, under which bootstrap can create databases."""
        return self._world.root_page_id

    @property
    def bot_user_id(self) -> str:
        return self._world.bot_id

    @property
    def person_user_id(self) -> str:
        """The user `person_token` acts as: edits made with it look like a person's."""
        return self._world.person_id

    def attached_files(self) -> list[tuple[str, bytes]]:
        """(file name, bytes) of each file upload attached to a block, oldest first."""
        with self._world.lock:
            return [
                (u.filename or "", u.data)
                for u in self._world.uploads.values()
                if u.expiry is None and u.data is not None
            ]

    def image_urls(self) -> list[str]:
        """The file URL of each image block not in the trash."""
        with self._world.lock:
            return [
                str(b.content["file"]["url"])
                for b in self._world.blocks.values()
                if b.type == "image" and b.content.get("type") == "file" and not b.in_trash
            ]

    @property
    def faults(self) -> Faults:
        return self._app.faults

    def set_rate_limit(self, rate: float | None, burst: int = DEFAULT_BURST) -> None:
        """Requests per second on average (None: unlimited), with bursts up to `burst`."""
        self._app.limiter.configure(rate, burst)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve an emulator until interrupted, after printing how to point opsync at it."""
    parser = argparse.ArgumentParser(prog="opsync emulate notion", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument(
        "--rate", type=float, default=DEFAULT_RATE, help="requests/second; 0 for no limit"
    )
    parser.add_argument("--burst", type=int, default=DEFAULT_BURST)
    args = parser.parse_args(argv)
    emulator = NotionEmulator(
        host=args.host,
        port=args.port,
        token=args.token,
        rate_limit=args.rate or None,
        burst=args.burst,
    )
    banner = [
        f"Notion emulator (API {API_VERSION}) serving at {emulator.base_url}",
        f"OPSYNC_NOTION_BASE_URL={emulator.base_url}",
        f"NOTION_TOKEN={emulator.token}",
        f"root page id: {emulator.root_page_id}",
    ]
    return emulator.serve_until_interrupted(banner, "Notion emulator stopped.")


if __name__ == "__main__":
    sys.exit(main())
