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
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType

from opsync.testing.emulators.notion_faults import Counts, Faults, RateLimiter
from opsync.testing.emulators.notion_http import API_VERSION, App, Server
from opsync.testing.emulators.notion_model import Clock, World

DEFAULT_TOKEN = "ntn_opsync_emulator"
DEFAULT_RATE = 3.0
DEFAULT_BURST = 5


def _utc_now() -> datetime:
    return datetime.now(UTC)


class NotionEmulator:
    """One emulated workspace behind an HTTP server on a background thread.

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
        self._server = Server((host, port), self._app)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """What notion-client takes as `base_url` (it appends `/v1/` itself)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

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

    @property
    def faults(self) -> Faults:
        return self._app.faults

    @property
    def counts(self) -> Counts:
        return self._app.counter.snapshot()

    def reset_counts(self) -> None:
        self._app.counter.reset()

    def set_rate_limit(self, rate: float | None, burst: int = DEFAULT_BURST) -> None:
        """Requests per second on average (None: unlimited), with bursts up to `burst`."""
        self._app.limiter.configure(rate, burst)

    def start(self) -> NotionEmulator:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="notion-emulator", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> NotionEmulator:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


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
    with emulator:
        print(f"Notion emulator (API {API_VERSION}) serving at {emulator.base_url}", flush=True)
        print(f"OPSYNC_NOTION_BASE_URL={emulator.base_url}", flush=True)
        print(f"NOTION_TOKEN={emulator.token}", flush=True)
        print(f"root page id: {emulator.root_page_id}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("Notion emulator stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
